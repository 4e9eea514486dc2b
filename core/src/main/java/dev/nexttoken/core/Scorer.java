package dev.nexttoken.core;

import dev.nexttoken.core.model.Gpt2Model;
import dev.nexttoken.core.model.LossResult;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * Turns token sequences into losses for {@link Generator#score}: long texts through strided
 * windows, several short ones together in padded batches. The rules are in the Javadoc of
 * {@link Generator#score(int[], int)} and {@link Generator#score(List, int)}.
 */
final class Scorer {

    /** The most positions (sequences × the longest) one batched pass holds: its logits are 4 B × vocabulary each. */
    static final int BATCH_POSITIONS = 1024;

    private final Gpt2Model model;
    private final int window;

    Scorer(Gpt2Model model) {
        this.model = model;
        this.window = model.config().nPositions();
    }

    /** One sequence, window after window; each target predicted once (see {@link Generator#score(int[], int)}). */
    ScoreResult score(int[] tokens, int stride) {
        Objects.requireNonNull(tokens, "tokens");
        checkStride(stride);
        if (tokens.length < 2) {
            throw new IllegalArgumentException("scoring needs at least 2 tokens, got " + tokens.length);
        }
        VocabularyMatch.checkIds(tokens, model.config().vocabSize());
        int inputs = tokens.length - 1;                                            // input i predicts token i + 1
        double[] losses = new double[inputs];
        int scored = 0;                                                            // inputs [0, scored) are done
        while (scored < inputs) {
            int end = scored == 0 ? Math.min(inputs, window) : Math.min(inputs, scored + stride);
            int start = Math.max(0, end - window);                                 // window inputs [start, end)
            int[] in = Arrays.copyOfRange(tokens, start, end);
            int[] targets = Arrays.copyOfRange(tokens, start + 1, end + 1);
            Arrays.fill(targets, 0, scored - start, -1);                           // predicted by an earlier window
            LossResult result = model.loss(new int[][] {in}, new int[][] {targets});
            System.arraycopy(result.tokenLosses()[0], scored - start, losses, scored, end - scored);
            scored = end;
        }
        return result(tokens, losses);
    }

    /** Several sequences: those that fit one window in padded batches, the others alone (see {@link Generator#score(List, int)}). */
    List<ScoreResult> score(List<int[]> sequences, int stride) {
        Objects.requireNonNull(sequences, "sequences");
        checkStride(stride);
        ScoreResult[] results = new ScoreResult[sequences.size()];
        List<Integer> fitting = new ArrayList<>();
        for (int i = 0; i < results.length; i++) {
            int[] tokens = Objects.requireNonNull(sequences.get(i), "sequence " + i);
            if (tokens.length < 2) {
                throw new IllegalArgumentException("sequence " + i + ": scoring needs at least 2 tokens, got " + tokens.length);
            }
            VocabularyMatch.checkIds(tokens, model.config().vocabSize());
            if (tokens.length - 1 <= window) {
                fitting.add(i);
            } else {
                results[i] = score(tokens, stride);
            }
        }
        fitting.sort(Comparator.comparingInt(i -> sequences.get(i).length));
        int from = 0;
        while (from < fitting.size()) {
            int to = from;
            int time = 0;                                                          // the longest input of the batch
            while (to < fitting.size()) {
                int inputs = sequences.get(fitting.get(to)).length - 1;
                if (to > from && (to - from + 1L) * Math.max(time, inputs) > BATCH_POSITIONS) {
                    break;
                }
                time = Math.max(time, inputs);
                to++;
            }
            int[][] batch = new int[to - from][time];                              // [B][T]; padding: token 0, target -1
            int[][] targets = new int[to - from][time];
            for (int b = 0; b < batch.length; b++) {
                int[] tokens = sequences.get(fitting.get(from + b));
                System.arraycopy(tokens, 0, batch[b], 0, tokens.length - 1);
                Arrays.fill(targets[b], -1);
                System.arraycopy(tokens, 1, targets[b], 0, tokens.length - 1);
            }
            double[][] losses = model.loss(batch, targets).tokenLosses();          // [B][T]
            for (int b = 0; b < batch.length; b++) {
                int[] tokens = sequences.get(fitting.get(from + b));
                results[fitting.get(from + b)] = result(tokens, Arrays.copyOf(losses[b], tokens.length - 1));
            }
            from = to;
        }
        return List.of(results);
    }

    private void checkStride(int stride) {
        if (stride < 1 || stride > window) {
            throw new IllegalArgumentException("stride must be in [1, " + window + "] (n_positions), got " + stride);
        }
    }

    private ScoreResult result(int[] tokens, double[] losses) {
        double mean = Arrays.stream(losses).average().orElseThrow();
        if (!Double.isFinite(mean)) {
            throw new NextTokenException("the loss is " + mean + ": the model's logits hold NaN or infinity: "
                    + WeightsScan.explain(model.weights()));
        }
        return new ScoreResult(tokens, mean, losses);
    }
}
