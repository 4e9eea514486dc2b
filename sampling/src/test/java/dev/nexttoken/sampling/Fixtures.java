package dev.nexttoken.sampling;

import java.util.ArrayList;
import java.util.List;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Small helpers shared by the tests. */
final class Fixtures {

    static final float NEG_INF = Float.NEGATIVE_INFINITY;
    static final float POS_INF = Float.POSITIVE_INFINITY;

    /** The notebook's logits. */
    static final float[] NOTEBOOK = {6f, 2f, 7f, 0.1f, -8f, 9f};

    private Fixtures() {
    }

    /** A [rows, vocab] float32 matrix. */
    static INDArray matrix(float[]... rows) {
        return Nd4j.createFromArray(rows);
    }

    /** The rows of a matrix read element by element (slow; a reference for tests only). */
    static float[][] values(INDArray m) {
        float[][] out = new float[(int) m.rows()][(int) m.columns()];
        for (int r = 0; r < out.length; r++) {
            for (int c = 0; c < out[r].length; c++) {
                out[r][c] = m.getFloat(r, c);
            }
        }
        return out;
    }

    /** A one-row context with the given history, all of it prompt. */
    static LogitsContext history(int vocab, int... tokens) {
        return LogitsContext.of(vocab, 0, List.of(tokens), new int[] {tokens.length});
    }

    /** A context whose rows have the given histories, all of them prompt. */
    static LogitsContext histories(int vocab, int[]... tokens) {
        int[] prompts = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            prompts[i] = tokens[i].length;
        }
        return LogitsContext.of(vocab, 0, List.of(tokens), prompts);
    }

    /** Applies a row processor to a copy of one row. */
    static float[] apply(RowLogitsProcessor processor, LogitsContext context, float... logits) {
        float[] row = logits.clone();
        processor.processRow(context, 0, row);
        return row;
    }

    /** Applies a row processor to a copy of one row without history. */
    static float[] apply(RowLogitsProcessor processor, float... logits) {
        return apply(processor, LogitsContext.empty(1, logits.length), logits);
    }

    /** Natural logs of probabilities, as float logits. */
    static float[] logs(double... probabilities) {
        float[] out = new float[probabilities.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = probabilities[i] == 0 ? NEG_INF : (float) Math.log(probabilities[i]);
        }
        return out;
    }

    /** Ids whose logit is above -inf. */
    static List<Integer> kept(float[] row) {
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < row.length; i++) {
            if (row[i] > NEG_INF) {
                ids.add(i);
            }
        }
        return ids;
    }
}
