/**
 * Training GPT-2 on token data with nanoGPT's recipe, in Nd4j.
 *
 * <p>The pieces, in the order data flows through them:
 * <ul>
 *   <li>{@link dev.nexttoken.core.train.TokenData}: a token file (nanoGPT's {@code uint16} or
 *       {@code int32}, little-endian, no header), memory-mapped, split into training and
 *       validation parts by {@link dev.nexttoken.core.train.DataSplit};</li>
 *   <li>{@link dev.nexttoken.core.train.WindowSampler}: random windows of {@code block_size + 1}
 *       tokens, inputs and the targets shifted by one;</li>
 *   <li>{@link dev.nexttoken.core.train.TrainableGpt2}: the GPT-2 of
 *       {@link dev.nexttoken.core.model.Gpt2Model} (same function, weight tying, Conv1D layout)
 *       with hand-written backward functions, in the style of llm.c, into reused buffers;</li>
 *   <li>{@link dev.nexttoken.core.train.AdamW} with decoupled weight decay on the matrices only,
 *       the global gradient-norm clip of {@link dev.nexttoken.core.train.TrainableGpt2}, and the
 *       warm-up plus cosine {@link dev.nexttoken.core.train.LearningRateSchedule};</li>
 *   <li>{@link dev.nexttoken.core.train.Trainer}: the loop, periodic evaluation and
 *       {@link dev.nexttoken.core.train.Checkpoint}s in the Hugging Face format that
 *       {@code Generator.load} reads, plus the optimizer state to resume from, each written
 *       whole or not at all and checked against its manifest when resumed.</li>
 * </ul>
 */
package dev.nexttoken.core.train;
