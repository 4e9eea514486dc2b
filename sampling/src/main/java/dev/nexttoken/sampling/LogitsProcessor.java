package dev.nexttoken.sampling;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Changes the next-token logits of every sequence of a batch, in place: the extension point of
 * the sampling pipeline. Processors compose into a chain that runs in order before the softmax.
 *
 * <p>{@code logits} is a {@code [batch, vocab]} float32 matrix; row {@code r} belongs to row
 * {@code r} of the {@link LogitsContext}. Removing a token means setting its logit to
 * {@code -inf}. A processor must not produce NaN; the pipeline checks after each processor it did
 * not write itself and names the culprit.
 *
 * <p>A lambda is enough:
 * <pre>{@code
 * LogitsProcessor noNewlines = (context, logits) -> logits.getColumn(198).assign(Double.NEGATIVE_INFINITY);
 * }</pre>
 * Use whole-array Nd4j operations (they run on CPU and GPU backends alike), never
 * {@code getDouble}/{@code putScalar} loops over the vocabulary: each such call crosses JNI. A
 * processor that is easier to write as a loop over a Java array implements
 * {@link RowLogitsProcessor}, which also saves the pipeline a copy.
 */
@FunctionalInterface
public interface LogitsProcessor {

    /**
     * Changes the logits in place.
     *
     * @param context the tokens so far of each row, the step, the vocabulary size
     * @param logits {@code [batch, vocab]} float32, changed in place
     */
    void process(LogitsContext context, INDArray logits);

    /**
     * The name used in error messages and chain descriptions: by default the class's simple name,
     * "lambda in Host" for a lambda written in class {@code Host}. Built-in processors add their
     * parameters, for example {@code TopKProcessor(k=200)}.
     *
     * @return a short readable name
     */
    default String name() {
        return Names.describe(getClass());
    }

    /**
     * Gives a processor (typically a lambda) a name for error messages and chain descriptions.
     *
     * @param name the name
     * @param processor the processor; a {@link RowLogitsProcessor} stays one
     * @return a processor that delegates to {@code processor}
     */
    static LogitsProcessor named(String name, LogitsProcessor processor) {
        if (name == null || processor == null) {
            throw new IllegalArgumentException("name and processor must not be null");
        }
        if (processor instanceof RowLogitsProcessor) {
            RowLogitsProcessor row = (RowLogitsProcessor) processor;
            return new RowLogitsProcessor() {
                @Override
                public void processRow(LogitsContext context, int r, float[] logits) {
                    row.processRow(context, r, logits);
                }

                @Override
                public void process(LogitsContext context, INDArray logits) {
                    row.process(context, logits);
                }

                @Override
                public String name() {
                    return name;
                }

                @Override
                public String toString() {
                    return name;
                }
            };
        }
        return new LogitsProcessor() {
            @Override
            public void process(LogitsContext context, INDArray logits) {
                processor.process(context, logits);
            }

            @Override
            public String name() {
                return name;
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }
}
