package dev.nexttoken.sampling;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A {@link LogitsProcessor} written as a loop over one row of logits held in a Java array.
 *
 * <p>The {@link SamplingPipeline} copies each row of the model's logits into a {@code float[]} once;
 * consecutive row processors all work on that copy, and it is written back once. Applied on its
 * own to an {@code INDArray}, {@link #process(LogitsContext, INDArray)} does the same: one bulk copy
 * out, {@link #processRow} for each row, one bulk copy back. Plain Java loops over 50257 floats take
 * microseconds, so this is the fast way to write a processor that looks at individual tokens, and it
 * behaves the same on every Nd4j backend.
 */
@FunctionalInterface
public interface RowLogitsProcessor extends LogitsProcessor {

    /**
     * Changes one row of logits in place.
     *
     * @param context the tokens so far of each row, the step, the vocabulary size
     * @param row the row index in the batch
     * @param logits the row's logits, {@code vocabSize} values, changed in place; valid during the
     *     call only (the pipeline reuses the array for later steps)
     */
    void processRow(LogitsContext context, int row, float[] logits);

    /**
     * Applies {@link #processRow} to every row of {@code logits}: one bulk copy out, one back.
     *
     * @param context the tokens so far of each row, the step, the vocabulary size
     * @param logits {@code [batch, vocab]} float32, changed in place
     */
    @Override
    default void process(LogitsContext context, INDArray logits) {
        LogitsArrays.checkMatches(context, logits);
        float[][] rows = LogitsArrays.read(logits);
        for (int r = 0; r < rows.length; r++) {
            processRow(context, r, rows[r]);
        }
        LogitsArrays.write(rows, logits);
    }
}
