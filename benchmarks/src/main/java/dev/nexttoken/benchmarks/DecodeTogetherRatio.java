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
 * {@code i} holding {@code 16 + 8·i} positions), so both see the same load, and prints per pair
 * of blocks the tokens/s of each and their ratio, then the medians.
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
            block(model, alone, together, next, steps, false);             // warm-up of both
            block(model, alone, together, next, steps, true);
            double[] aloneRates = new double[pairs];
            double[] togetherRates = new double[pairs];
            double[] ratios = new double[pairs];
            for (int p = 0; p < pairs; p++) {
                aloneRates[p] = block(model, alone, together, next, steps, false);
                togetherRates[p] = block(model, alone, together, next, steps, true);
                ratios[p] = togetherRates[p] / aloneRates[p];
                System.out.printf("pair %2d: 1 alone %6.1f tokens/s, %d together %6.1f tokens/s, ratio %.2f%n",
                        p + 1, aloneRates[p], sequences, togetherRates[p], ratios[p]);
            }
            System.out.printf("median: 1 alone %.1f tokens/s, %d together %.1f tokens/s, ratio %.2f (min %.2f, max %.2f)%n",
                    median(aloneRates), sequences, median(togetherRates), median(ratios),
                    Arrays.stream(ratios).min().orElseThrow(), Arrays.stream(ratios).max().orElseThrow());
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

    /** Tokens/s of {@code steps} steps, alone or together; the caches are rewound after each step. */
    private static double block(Gpt2Model model, KvCache alone, KvCache[] together, int[][] next, int steps,
                                boolean joint) {
        long start = System.nanoTime();
        for (int s = 0; s < steps; s++) {
            if (joint) {
                model.forwardTogether(next, together);
                for (int i = 0; i < together.length; i++) {
                    together[i].truncate(CONTEXT + 8 * i);
                }
            } else {
                model.forward(new int[][] {next[0]}, alone);                    // [1][1]
                alone.truncate(CONTEXT);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return (joint ? together.length : 1) * steps / seconds;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
