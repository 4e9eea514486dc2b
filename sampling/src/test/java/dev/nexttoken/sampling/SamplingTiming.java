package dev.nexttoken.sampling;

import java.util.Arrays;
import java.util.Random;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Micro timing of one sampling step over GPT-2's vocabulary (not a test, no assertions): run with
 * the test class path, for example
 * <pre>
 *   mvn -o -q -pl sampling test-compile dependency:build-classpath -Dmdep.outputFile=cp.txt -Dmdep.includeScope=test
 *   OMP_WAIT_POLICY=PASSIVE java -cp sampling/target/classes:sampling/target/test-classes:$(cat cp.txt) \
 *       dev.nexttoken.sampling.SamplingTiming
 * </pre>
 * Arguments: {@code [steps [name-filter [batch]]]}; the JIT's branch profiles depend on which
 * cases ran before, so run one case per JVM for clean figures. Each step restores the logits (as
 * the model would write them; not timed), then times {@code choose} (copy out, processors,
 * checks, sampling, copy back). Prints median and 90th percentile per step.
 */
public final class SamplingTiming {

    private static final int VOCAB = 50257;

    private SamplingTiming() {
    }

    public static void main(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        String only = args.length > 1 ? args[1] : ""; // run only the cases whose name contains this
        int[] batches = args.length > 2 ? new int[] {Integer.parseInt(args[2])} : new int[] {1, 8};
        Nd4j.create(1); // initialise the backend before timing
        SamplingOptions defaultChain = SamplingOptions.builder().temperature(0.8).topK(200).topP(0.95).build();
        Object[][] cases = {
            {"T 0.8 + top-k 200 + top-p 0.95", defaultChain},
            {"nanoGPT (T 0.8 + top-k 200)", SamplingOptions.nanoGpt()},
            {"greedy", SamplingOptions.greedy()},
            {"T 1.0, full vocabulary", SamplingOptions.builder().temperature(1).topK(0).build()},
            {"T 0.8 + top-p 0.95, no top-k", SamplingOptions.builder().temperature(0.8).topK(0).topP(0.95).build()},
            {"T 0.8 + min-p 0.05, no top-k", SamplingOptions.builder().temperature(0.8).topK(0).minP(0.05).build()},
            {"nanoGPT + rep. 1.3 + no-repeat 3 (1024-token history)",
                SamplingOptions.builder().repetitionPenalty(1.3).noRepeatNgramSize(3).build()},
        };
        for (int batch : batches) {
            float[][] master = gpt2LikeLogits(batch, 7);
            INDArray logits = Nd4j.createFromArray(master);
            LogitsContext empty = LogitsContext.empty(batch, VOCAB);
            LogitsContext long1024 = longHistory(batch);
            for (Object[] c : cases) {
                if (!((String) c[0]).contains(only)) {
                    continue;
                }
                SamplingPipeline pipeline = SamplingPipeline.of((SamplingOptions) c[1]);
                LogitsContext context = ((String) c[0]).contains("history") ? long1024 : empty;
                RandomStreams random = RandomStreams.create(1337);
                long[] times = new long[steps];
                for (int i = -steps / 2; i < steps; i++) { // the first half warms up the JIT
                    LogitsArrays.write(master, logits);
                    long start = System.nanoTime();
                    pipeline.choose(context, logits, random);
                    long elapsed = System.nanoTime() - start;
                    if (i >= 0) {
                        times[i] = elapsed;
                    }
                }
                Arrays.sort(times);
                System.out.printf("batch %d  %-55s median %7.1f us  p90 %7.1f us  (%6.1f us per row)%n", batch,
                        c[0], times[steps / 2] / 1e3, times[steps * 9 / 10] / 1e3, times[steps / 2] / 1e3 / batch);
            }
        }
    }

    /** Gaussian logits (std 3) around -80 with a few stand-outs, roughly like GPT-2's last position. */
    private static float[][] gpt2LikeLogits(int batch, long seed) {
        Random random = new Random(seed);
        float[][] rows = new float[batch][VOCAB];
        for (float[] row : rows) {
            for (int i = 0; i < VOCAB; i++) {
                row[i] = (float) (-80 + 3 * random.nextGaussian());
            }
            for (int j = 0; j < 20; j++) {
                row[random.nextInt(VOCAB)] = (float) (-62 + 4 * random.nextGaussian());
            }
        }
        return rows;
    }

    private static LogitsContext longHistory(int batch) {
        Random random = new Random(1);
        java.util.List<int[]> rows = new java.util.ArrayList<>();
        for (int r = 0; r < batch; r++) {
            int[] tokens = new int[1024];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = random.nextInt(VOCAB);
            }
            rows.add(tokens);
        }
        int[] prompts = new int[batch];
        Arrays.fill(prompts, 10);
        return LogitsContext.of(VOCAB, 1014, rows, prompts);
    }
}
