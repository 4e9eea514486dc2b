package dev.nexttoken.benchmarks;

import dev.nexttoken.core.model.ComputePath;
import dev.nexttoken.core.model.Gpt2Config;
import dev.nexttoken.core.model.Gpt2Model;
import dev.nexttoken.core.model.Gpt2Weights;
import dev.nexttoken.core.model.KvCache;

import java.util.Arrays;

/**
 * The gain of decoding requests together, as a ratio that a busy shared machine cannot skew: in
 * one JVM, on one GPT-2 small (random weights of the real shape), it alternates blocks of
 * {@code steps} decode steps of one sequence alone ({@link Gpt2Model#forward}) with blocks of
 * {@code steps} joint steps of 8 separate caches ({@link Gpt2Model#forwardTogether}, cache
 * {@code i} holding {@code 16 + 8·i} positions) and with blocks of one cache of 8 sequences
 * ({@link Gpt2Model#forward} at batch 8: one generation of 8 samples), so all three see the same
 * load, and prints per round the tokens/s of each and the ratios, then the medians.
 *
 * <pre>{@code
 * java --add-modules jdk.incubator.vector -cp "benchmarks/target/classes:benchmarks/target/lib/*" \
 *     dev.nexttoken.benchmarks.DecodeTogetherRatio [PAIRS [STEPS [SEQUENCES]]]
 * }</pre>
 */
public final class DecodeTogetherRatio {

    private static final int CONTEXT = 16;

    private DecodeTogetherRatio() {
    }

    /** @param args pairs of blocks (default 12), steps per block (default 20), sequences together (default 8) */
    public static void main(String[] args) {
        int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 12;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int sequences = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        try (Gpt2Model model = new Gpt2Model(Gpt2Weights.random(Gpt2Config.preset("gpt2"), 1), ComputePath.CPU_BLAS)) {
            KvCache alone = prefilled(model, 0);
            KvCache[] together = new KvCache[sequences];
            int[][] next = new int[sequences][1];                            // [caches][B_i = 1]
            for (int i = 0; i < sequences; i++) {
                together[i] = prefilled(model, i);
                next[i][0] = 100 + i;
            }
            KvCache batch = model.newCache(sequences);
            int[][] prompt = new int[sequences][CONTEXT];                    // [B][T]
            for (int[] row : prompt) {
                Arrays.setAll(row, t -> (t * 7919) % 50000);
            }
            model.forward(prompt, batch);
            for (Mode mode : Mode.values()) {                                // warm-up of each
                block(model, alone, together, batch, next, steps, mode);
            }
            double[][] rates = new double[Mode.values().length][pairs];
            double[] ratios = new double[pairs];
            double[] ofBatch = new double[pairs];
            for (int p = 0; p < pairs; p++) {
                for (Mode mode : Mode.values()) {
                    rates[mode.ordinal()][p] = block(model, alone, together, batch, next, steps, mode);
                }
                ratios[p] = rates[Mode.TOGETHER.ordinal()][p] / rates[Mode.ALONE.ordinal()][p];
                ofBatch[p] = rates[Mode.TOGETHER.ordinal()][p] / rates[Mode.BATCH.ordinal()][p];
                System.out.printf("round %2d: 1 alone %6.1f tokens/s, %d together %6.1f, one cache of %d %6.1f;"
                        + " together/alone %.2f, together/batch %.2f%n", p + 1, rates[0][p], sequences, rates[1][p],
                        sequences, rates[2][p], ratios[p], ofBatch[p]);
            }
            System.out.printf("median: 1 alone %.1f tokens/s, %d together %.1f, one cache of %d %.1f;"
                            + " together/alone %.2f (%.2f-%.2f), together/batch %.2f (%.2f-%.2f)%n",
                    median(rates[0]), sequences, median(rates[1]), sequences, median(rates[2]),
                    median(ratios), min(ratios), max(ratios), median(ofBatch), min(ofBatch), max(ofBatch));
            batch.close();
            alone.close();
            for (KvCache cache : together) {
                cache.close();
            }
        }
    }

    /** A cache of one sequence holding {@code 16 + 8·i} prompt positions. */
    private static KvCache prefilled(Gpt2Model model, int i) {
        KvCache cache = model.newCache(1);
        int[][] prompt = new int[1][CONTEXT + 8 * i];
        Arrays.setAll(prompt[0], t -> (t * 7919 + i) % 50000);
        model.forward(prompt, cache);
        return cache;
    }

    /** What a block of steps runs. */
    private enum Mode {
        /** One cache of one sequence, {@link Gpt2Model#forward}. */
        ALONE,
        /** The separate caches, {@link Gpt2Model#forwardTogether}. */
        TOGETHER,
        /** One cache of as many sequences, {@link Gpt2Model#forward}. */
        BATCH
    }

    /** Tokens/s of {@code steps} steps of a mode; the caches are rewound after each step. */
    private static double block(Gpt2Model model, KvCache alone, KvCache[] together, KvCache batch, int[][] next,
                                int steps, Mode mode) {
        long start = System.nanoTime();
        for (int s = 0; s < steps; s++) {
            switch (mode) {
                case ALONE -> {
                    model.forward(new int[][] {next[0]}, alone);                  // [1][1]
                    alone.truncate(CONTEXT);
                }
                case TOGETHER -> {
                    model.forwardTogether(next, together);
                    for (int i = 0; i < together.length; i++) {
                        together[i].truncate(CONTEXT + 8 * i);
                    }
                }
                case BATCH -> {
                    model.forward(next, batch);                                   // [B][1]
                    batch.truncate(CONTEXT);
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return (mode == Mode.ALONE ? 1 : together.length) * steps / seconds;
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElseThrow();
    }

    private static double max(double[] values) {
        return Arrays.stream(values).max().orElseThrow();
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
