package dev.nexttoken.server;

import dev.nexttoken.sampling.LogitsContext;
import dev.nexttoken.sampling.RowLogitsProcessor;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A request's processor that breaks mid-generation: it throws at its {@code failAt}-th row. */
final class FailingProcessor implements RowLogitsProcessor {

    private final int failAt;
    private int calls;

    FailingProcessor(int failAt) {
        this.failAt = failAt;
    }

    @Override
    public void processRow(LogitsContext context, int row, float[] logits) {
        if (++calls == failAt) {
            throw new IllegalStateException("this request's processor broke");
        }
    }

    @Override
    public void process(LogitsContext context, INDArray logits) {
        throw new UnsupportedOperationException("rows only");
    }

    @Override
    public String name() {
        return "Failing";
    }
}
