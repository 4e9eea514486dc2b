/**
 * How the next token is chosen: logits processors, softmax, samplers and explicit randomness.
 *
 * <p>The model gives, for every sequence of a batch, one logit per vocabulary entry
 * ({@code [batch, vocab]}, float32). A {@link dev.nexttoken.sampling.SamplingPipeline} runs a chain of
 * {@link dev.nexttoken.sampling.LogitsProcessor}s over them (penalties, bias and bans first, then
 * temperature, top-k, top-p, min-p, typical-p, then the user's own processors), turns the result into
 * probabilities with a numerically stable {@link dev.nexttoken.sampling.Softmax} and lets a
 * {@link dev.nexttoken.sampling.Sampler} pick one id per sequence. Randomness is explicit: sequence
 * {@code i} of a call draws from its own {@link dev.nexttoken.sampling.RandomStream} derived from
 * {@code (seed, i)}, held in a {@link dev.nexttoken.sampling.RandomStreams} object for the whole call.
 *
 * <h2>Speed</h2>
 * Each Nd4j call costs far more than a Java loop over a row, and element-wise JNI access is slower
 * still, so the pipeline copies
 * each row of logits into a Java {@code float[]} once (one bulk copy through the array's host
 * buffer), runs every built-in processor, the softmax and the sampler with plain Java loops, and
 * writes the processed row back once. This works the same on the CPU and CUDA backends. Processors
 * that implement {@link dev.nexttoken.sampling.RowLogitsProcessor} share that copy; other
 * processors receive the {@code INDArray}.
 *
 * <p>The module depends on {@code nd4j-api} only; the application chooses the backend.
 */
package dev.nexttoken.sampling;
