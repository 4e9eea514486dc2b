package dev.nexttoken.server;

import dev.nexttoken.sampling.LogitsContext;
import dev.nexttoken.sampling.RowLogitsProcessor;
import dev.nexttoken.sampling.Softmax;
import dev.nexttoken.tokenizer.Tokenizer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Remembers the final logits of the last step, to answer {@code logprobs}: appended as the last
 * processor of the chain it sees exactly the logits the sampler draws from, and changes nothing,
 * so the generated tokens are those of a run without it. A token's log-probability is
 * {@code x_i - logSumExp(x)} of that row (the distribution after every processor, temperature
 * included; {@code -inf} for a removed token). One capture per generation; not thread-safe.
 */
final class LogprobCapture implements RowLogitsProcessor {

    private float[][] rows = new float[0][];
    private double[] logSumExp = new double[0];

    @Override
    public void processRow(LogitsContext context, int row, float[] logits) {
        if (rows.length != context.batchSize()) {
            rows = new float[context.batchSize()][];
            logSumExp = new double[context.batchSize()];
        }
        if (rows[row] == null || rows[row].length != logits.length) {
            rows[row] = new float[logits.length];
        }
        System.arraycopy(logits, 0, rows[row], 0, logits.length);
        logSumExp[row] = Softmax.logSumExp(logits);
    }

    @Override
    public void process(LogitsContext context, INDArray logits) {
        throw new UnsupportedOperationException("the pipeline calls processRow on row processors");
    }

    @Override
    public String name() {
        return "LogprobCapture";
    }

    /** The log-probability of {@code id} in row {@code row} of the last step. */
    double logprob(int row, int id) {
        return rows[row][id] - logSumExp[row];
    }

    /** The {@code k} most likely tokens of row {@code row}, piece → log-probability, most likely first. */
    Map<String, Double> top(int row, int k, Tokenizer tokenizer) {
        Map<String, Double> top = new LinkedHashMap<>();
        if (k == 0) {
            return top;
        }
        float[] x = rows[row];
        PriorityQueue<Integer> best = new PriorityQueue<>(k + 1, (a, b) -> x[a] != x[b]
                ? Float.compare(x[a], x[b]) : Integer.compare(b, a));
        for (int i = 0; i < x.length; i++) {
            if (x[i] == Float.NEGATIVE_INFINITY) {
                continue;
            }
            best.add(i);
            if (best.size() > k) {
                best.poll();
            }
        }
        int[] ids = new int[best.size()];
        for (int i = ids.length - 1; i >= 0; i--) {
            ids[i] = best.poll();
        }
        for (int id : ids) {
            top.putIfAbsent(tokenizer.piece(id), logprob(row, id));
        }
        return top;
    }
}
