package dev.nexttoken.core.model;

import dev.nexttoken.core.model.NativeKernels.Isa;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The decode products of GPT-2 small through {@link NativeKernels}, per {@link WeightFormat} and
 * per instruction set this CPU runs: the 48 layer products of one step ({@code 12 × [768×2304,
 * 768×768, 768×3072, 3072×768]}) and the lm_head ({@code 50257×768}), at 1 row and at 8, the
 * instruction sets alternating within each round so both see the same load of a shared machine.
 * Prints the median and fastest milliseconds of each and the GB/s of weights they read. The
 * weights are bytes of a fixed pattern (normal, finite values in every format): the time does not
 * depend on the values. Not a test: run it with the test class path, e.g. {@code java
 * --add-modules jdk.incubator.vector -cp "core/target/classes:core/target/test-classes:$(cat cp.txt)"
 * dev.nexttoken.core.model.NativeKernelsProbe [rounds]}.
 */
public final class NativeKernelsProbe {

    private static final int[][] LAYER_SHAPES = {{768, 2304}, {768, 768}, {768, 3072}, {3072, 768}};
    private static final int LAYERS = 12;
    private static final int VOCAB = 50257;
    private static final int C = 768;

    private NativeKernelsProbe() {
    }

    /** @param args rounds (default 11) */
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 11;
        List<Isa> isas = new ArrayList<>();
        for (Isa isa : Isa.values()) {
            if (NativeKernels.supports(isa)) {
                isas.add(isa);
            }
        }
        System.out.println("variant " + NativeKernels.variant() + ", running " + isas + ", "
                + ParallelRange.threads() + " threads");
        for (WeightFormat format : WeightFormat.values()) {
            List<BytePointer> memory = new ArrayList<>();
            try {
                long[][] layers = new long[LAYERS * LAYER_SHAPES.length][];
                double layerBytes = 0;
                for (int i = 0; i < layers.length; i++) {
                    int k = LAYER_SHAPES[i % LAYER_SHAPES.length][0];
                    int n = LAYER_SHAPES[i % LAYER_SHAPES.length][1];
                    layers[i] = matrix(format, k, n, memory);
                    layerBytes += bytes(format, k, n);
                }
                long[] head = matrix(format, VOCAB, C, memory);
                double headBytes = bytes(format, VOCAB, C);
                for (int rows : new int[] {1, 8}) {
                    float[] x = new float[rows * 3072];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (i % 7) * 0.1f - 0.3f;
                    }
                    float[] y = new float[rows * 3072];
                    try (FloatPointer logits = new FloatPointer((long) rows * VOCAB)) {
                        long[] outputs = new long[rows];
                        for (int r = 0; r < rows; r++) {
                            outputs[r] = logits.address() + (long) r * VOCAB * Float.BYTES;
                        }
                        double[][] products = new double[isas.size()][rounds];
                        double[][] heads = new double[isas.size()][rounds];
                        for (int round = -2; round < rounds; round++) {
                            for (int v = 0; v < isas.size(); v++) {
                                Isa isa = isas.get(v);
                                long t0 = System.nanoTime();
                                for (int i = 0; i < layers.length; i++) {
                                    int k = LAYER_SHAPES[i % LAYER_SHAPES.length][0];
                                    int n = LAYER_SHAPES[i % LAYER_SHAPES.length][1];
                                    NativeKernels.linear(isa, format, layers[i][0], layers[i][1], x, 0, rows, k, n, null,
                                            false, y, 0);
                                }
                                long t1 = System.nanoTime();
                                NativeKernels.dots(isa, format, head[0], head[1], x, 0, rows, C, VOCAB, outputs);
                                long t2 = System.nanoTime();
                                if (round >= 0) {
                                    products[v][round] = (t1 - t0) / 1e6;
                                    heads[v][round] = (t2 - t1) / 1e6;
                                }
                            }
                        }
                        for (int v = 0; v < isas.size(); v++) {
                            double[] p = products[v].clone();
                            double[] h = heads[v].clone();
                            Arrays.sort(p);
                            Arrays.sort(h);
                            System.out.printf("%-4s %-6s rows=%-2d 48 products %7.2f ms (fastest %7.2f; %5.1f GB/s)"
                                            + "  lm_head %7.2f ms (fastest %7.2f; %5.1f GB/s)%n", format,
                                    isas.get(v).label, rows, p[rounds / 2], p[0], layerBytes / p[rounds / 2] / 1e6,
                                    h[rounds / 2], h[0], headBytes / h[rounds / 2] / 1e6);
                        }
                    }
                }
            } finally {
                memory.forEach(BytePointer::close);
            }
        }
    }

    /** A {@code [rows, cols]} matrix in {@code format} filled with a fixed pattern: {address, scales address or 0}. */
    private static long[] matrix(WeightFormat format, int rows, int cols, List<BytePointer> memory) {
        BytePointer values = filled((long) rows * cols * format.bytesPerWeight());
        memory.add(values);
        long scales = 0;
        if (format == WeightFormat.Q8) {
            BytePointer s = filled((long) WeightFormat.q8Blocks(rows) * cols * 2);
            memory.add(s);
            scales = s.address();
        }
        return new long[] {values.address(), scales};
    }

    /** Bytes 0x30–0x3B: as the high byte of a float32, bfloat16 or float16, a normal finite value. */
    private static BytePointer filled(long bytes) {
        BytePointer pointer = new BytePointer(bytes);
        ByteBuffer buffer = pointer.asBuffer();
        for (long i = 0; i < bytes; i++) {
            buffer.put((int) i, (byte) ((((i * 2654435761L) >>> 13) & 0x0B) | 0x30));
        }
        return pointer;
    }

    private static double bytes(WeightFormat format, int rows, int cols) {
        return (double) rows * cols * format.bytesPerWeight()
                + (format == WeightFormat.Q8 ? (double) WeightFormat.q8Blocks(rows) * cols * 2 : 0);
    }
}
