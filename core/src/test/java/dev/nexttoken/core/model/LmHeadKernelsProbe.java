package dev.nexttoken.core.model;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Random;

/**
 * The lm_head of a decode step of 8 rows on GPT-2 small's {@code wte [50257, 768]}: the native
 * kernel that sums each row as the one-row kernel does ({@link NativeKernels#dots(WeightFormat, long,
 * long, float[], int, int, int, int, long[])}, what decode batches use now, so that rows decoded together get what
 * they get alone) against {@link VectorLmHead} (what they used before), in alternating blocks in
 * one JVM so that both see the same load of a shared machine; and one row ({@code dots}) for scale.
 * Prints per round the milliseconds per call of each, then the medians. Not a test: run it with
 * the test class path, e.g. {@code java --add-modules jdk.incubator.vector -cp
 * "core/target/classes:core/target/test-classes:$(cat cp.txt)" dev.nexttoken.core.model.LmHeadKernelsProbe}.
 */
public final class LmHeadKernelsProbe {

    private LmHeadKernelsProbe() {
    }

    /** @param args rounds (default 12) and calls per block (default 20) */
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 12;
        int calls = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int rows = 8;
        Gpt2Config small = Gpt2Config.preset("gpt2");
        int c = small.nEmbd();
        int vocab = small.vocabSize();
        try (Gpt2Weights weights = Gpt2Weights.random(new Gpt2Config(1, small.nHead(), c, small.nPositions(), vocab,
                small.layerNormEpsilon()), 1);
             INDArray logits = Nd4j.create(DataType.FLOAT, rows, vocab)) {                   // [8, V]
            INDArray wte = weights.wte();                                                     // [V, C]
            long wteAddress = new FloatPointer(wte.data().addressPointer()).address();
            long base = new FloatPointer(logits.data().addressPointer()).address();
            long[] outputs = new long[rows];
            for (int r = 0; r < rows; r++) {
                outputs[r] = base + (long) r * vocab * Float.BYTES;
            }
            FloatBuffer out = VectorMatmulSupport.bytes(logits).asFloatBuffer();
            float[] x = new float[rows * c];
            Random random = new Random(1);
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) random.nextGaussian();
            }
            Runnable nativeRows = () -> NativeKernels.dots(WeightFormat.F32, wteAddress, 0, x, 0, rows, c, vocab, outputs);
            Runnable vectorRows = () -> VectorLmHead.lmHead(x, 0, rows, c, VectorMatmulSupport.bytes(wte), vocab, out, 0);
            Runnable oneRow = () -> NativeKernels.dots(WeightFormat.F32, wteAddress, 0, x, 0, 1, c, vocab, new long[] {base});
            for (int warm = 0; warm < 3; warm++) {
                time(nativeRows, calls);
                time(vectorRows, calls);
                time(oneRow, calls);
            }
            double[][] ms = new double[3][rounds];
            for (int round = 0; round < rounds; round++) {
                ms[0][round] = time(nativeRows, calls);
                ms[1][round] = time(vectorRows, calls);
                ms[2][round] = time(oneRow, calls);
                System.out.printf("round %2d: 8 rows native %.2f ms, 8 rows VectorLmHead %.2f ms, 1 row native %.2f ms%n",
                        round + 1, ms[0][round], ms[1][round], ms[2][round]);
            }
            double[] ratio = new double[rounds];
            Arrays.setAll(ratio, i -> ms[0][i] / ms[1][i]);
            System.out.printf("median: 8 rows native %.2f ms, VectorLmHead %.2f ms (native/vector %.2f, %.2f-%.2f),"
                    + " 1 row %.2f ms%n", median(ms[0]), median(ms[1]), median(ratio),
                    Arrays.stream(ratio).min().orElseThrow(), Arrays.stream(ratio).max().orElseThrow(), median(ms[2]));
        }
    }

    /** Milliseconds per call over {@code calls} calls. */
    private static double time(Runnable call, int calls) {
        long start = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            call.run();
        }
        return (System.nanoTime() - start) / 1e6 / calls;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
