package dev.nexttoken.core.model;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * A stand-alone speed probe (a {@code main}, no JMH, not a test): {@link VectorGemm} and
 * {@link VectorLmHead} against
 * OpenBLAS's {@code cblas_sgemm} ({@code M = B}) and {@code cblas_sgemv} ({@code B = 1}) on the
 * same random arrays, reported as GB/s of weights streamed (weight bytes / median time).
 *
 * <ul>
 * <li>linear: one sweep = {@code layers} products against different {@code [k, n]} weights
 * (default 12 × [768, 3072] = 113 MB, far over the caches), for B = 1, 4, 8, 16;</li>
 * <li>lm_head: {@code logits[B, V] = X · wteᵀ} against {@code wte [50257, 768]} (154 MB), B = 1, 8.</li>
 * </ul>
 * Every round times each variant once, in turn, so that noise from other work on the machine
 * spreads over all of them; medians and min–max over the rounds. Run it, after
 * {@code mvn -B -o -q -pl core test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt}, with
 * <pre>
 * OMP_WAIT_POLICY=PASSIVE java --add-modules jdk.incubator.vector -Dorg.bytedeco.javacpp.maxphysicalbytes=0 \
 *     -cp core/target/test-classes:core/target/classes:$(cat /tmp/cp.txt) dev.nexttoken.core.model.VectorKernelProbe
 * </pre>
 * Options (system properties): {@code -Drounds=15}, {@code -Dlayers=12}, {@code -Dk=768}, {@code -Dn=3072},
 * {@code -Dvocab=50257}, {@code -Dc=768}, {@code -Dbatches=1,4,8,16}, {@code -DheadBatches=1,8}, and
 * {@code -Drepeat=1} (runs per timing: with small, cache-resident shapes it shows the kernels' compute rate),
 * {@code -DblasThreads=0} (OpenBLAS's thread count; 0 keeps its default). For one thread on both sides add
 * {@code -XX:ActiveProcessorCount=1} (the kernels' pool then runs on the caller) and {@code -DblasThreads=1}.
 */
public final class VectorKernelProbe {

    private static final int ROW_MAJOR = openblas.CblasRowMajor;
    private static final int NO_TRANS = openblas.CblasNoTrans;
    private static final int TRANS = openblas.CblasTrans;

    /** One named variant: its weight bytes per run and the run itself. */
    private record Variant(String name, double bytes, Runnable run, List<Double> micros) {
        Variant(String name, double bytes, Runnable run) {
            this(name, bytes, run, new ArrayList<>());
        }
    }

    private VectorKernelProbe() {
    }

    /**
     * Runs the probe and prints one line per variant.
     *
     * @param args unused; see the class comment for the options
     */
    public static void main(String[] args) {
        if (!VectorMatmulSupport.isAvailable()) {
            System.err.println("the Vector API is not available: run with --add-modules jdk.incubator.vector");
            System.exit(2);
        }
        int rounds = Integer.getInteger("rounds", 15);
        int repeat = Integer.getInteger("repeat", 1);
        int layers = Integer.getInteger("layers", 12);
        int k = Integer.getInteger("k", 768);
        int n = Integer.getInteger("n", 3072);
        int vocab = Integer.getInteger("vocab", 50257);
        int c = Integer.getInteger("c", 768);
        int[] batches = ints(System.getProperty("batches", "1,4,8,16"));
        int[] headBatches = ints(System.getProperty("headBatches", "1,8"));
        int blasThreads = Integer.getInteger("blasThreads", 0);
        if (blasThreads > 0) {
            Nd4j.factory().blas().setMaxThreads(blasThreads);
        }
        int maxRows = Math.max(Arrays.stream(batches).max().orElse(1), Arrays.stream(headBatches).max().orElse(1));

        Random random = new Random(1);
        INDArray[] w = new INDArray[layers];
        FloatPointer[] wPointer = new FloatPointer[layers];
        ByteBuffer[] wBytes = new ByteBuffer[layers];
        for (int l = 0; l < layers; l++) {
            w[l] = Nd4j.rand(DataType.FLOAT, k, n).subi(0.5);
            wPointer[l] = new FloatPointer(w[l].data().addressPointer());
            wBytes[l] = VectorMatmulSupport.bytes(w[l]);
        }
        INDArray wte = Nd4j.rand(DataType.FLOAT, vocab, c).subi(0.5);
        FloatPointer wtePointer = new FloatPointer(wte.data().addressPointer());
        ByteBuffer wteBytes = VectorMatmulSupport.bytes(wte);
        int width = Math.max(k, c);
        float[] xHeap = new float[maxRows * width];
        for (int i = 0; i < xHeap.length; i++) {
            xHeap[i] = random.nextFloat() - 0.5f;
        }
        INDArray xArray = Nd4j.createFromArray(xHeap);
        FloatPointer xPointer = new FloatPointer(xArray.data().addressPointer());
        float[] yHeap = new float[maxRows * n];
        INDArray yArray = Nd4j.create(DataType.FLOAT, (long) maxRows * n);
        FloatPointer yPointer = new FloatPointer(yArray.data().addressPointer());
        INDArray logits = Nd4j.create(DataType.FLOAT, maxRows, vocab);
        FloatPointer logitsPointer = new FloatPointer(logits.data().addressPointer());
        FloatBuffer logitsBuffer = VectorMatmulSupport.bytes(logits).asFloatBuffer();

        double linearBytes = (double) layers * k * n * Float.BYTES;
        double headBytes = (double) vocab * c * Float.BYTES;
        List<Variant> variants = new ArrayList<>();
        for (int b : batches) {
            variants.add(new Variant(String.format("linear %dx[%d,%d] B=%-2d vector", layers, k, n, b), linearBytes, () -> {
                for (ByteBuffer weights : wBytes) {
                    VectorGemm.linear(xHeap, 0, b, k, weights, n, null, false, yHeap, 0);
                }
            }));
            variants.add(new Variant(String.format("linear %dx[%d,%d] B=%-2d sgemm ", layers, k, n, b), linearBytes, () -> {
                for (FloatPointer weights : wPointer) {
                    openblas.cblas_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, b, n, k, 1f, xPointer, k, weights, n, 0f, yPointer, n);
                }
            }));
            if (b == 1) {
                variants.add(new Variant(String.format("linear %dx[%d,%d] B=1  sgemv ", layers, k, n), linearBytes, () -> {
                    for (FloatPointer weights : wPointer) {
                        openblas.cblas_sgemv(ROW_MAJOR, TRANS, k, n, 1f, weights, n, xPointer, 1, 0f, yPointer, 1);
                    }
                }));
            }
        }
        for (int b : headBatches) {
            variants.add(new Variant(String.format("lm_head [%d,%d] B=%-2d vector", vocab, c, b), headBytes,
                    () -> VectorLmHead.lmHead(xHeap, 0, b, c, wteBytes, vocab, logitsBuffer, 0)));
            variants.add(new Variant(String.format("lm_head [%d,%d] B=%-2d sgemm ", vocab, c, b), headBytes,
                    () -> openblas.cblas_sgemm(ROW_MAJOR, NO_TRANS, TRANS, b, vocab, c, 1f, xPointer, c,
                            wtePointer, c, 0f, logitsPointer, vocab)));
            if (b == 1) {
                variants.add(new Variant(String.format("lm_head [%d,%d] B=1  sgemv ", vocab, c), headBytes,
                        () -> openblas.cblas_sgemv(ROW_MAJOR, NO_TRANS, vocab, c, 1f, wtePointer, c, xPointer, 1,
                                0f, logitsPointer, 1)));
            }
        }

        long first = System.nanoTime();
        variants.get(0).run().run();
        System.out.printf(Locale.ROOT, "first call (interpreted, then compiled): %.1f ms%n", (System.nanoTime() - first) / 1e6);
        for (int warm = 0; warm < 5; warm++) {
            variants.forEach(v -> v.run().run());
        }
        for (int round = 0; round < rounds; round++) {
            for (Variant v : variants) {
                long start = System.nanoTime();
                for (int i = 0; i < repeat; i++) {
                    v.run().run();
                }
                v.micros().add((System.nanoTime() - start) / 1e3 / repeat);
            }
        }
        System.out.printf(Locale.ROOT, "lanes %d, rounds %d, kernel threads %d, OpenBLAS threads %d%n", VectorGemm.lanes(),
                rounds, Runtime.getRuntime().availableProcessors(), Nd4j.factory().blas().getMaxThreads());
        for (Variant v : variants) {
            double[] sorted = v.micros().stream().mapToDouble(Double::doubleValue).sorted().toArray();
            double median = sorted[sorted.length / 2];
            System.out.printf(Locale.ROOT, "%-40s median %8.0f us  %6.1f GB/s   (min-max %.0f-%.0f us = %.1f-%.1f GB/s)%n",
                    v.name(), median, v.bytes() / median / 1e3, sorted[0], sorted[sorted.length - 1],
                    v.bytes() / sorted[sorted.length - 1] / 1e3, v.bytes() / sorted[0] / 1e3);
        }
        // keep the arrays (and so the memory behind the pointers and buffers) alive to the end
        System.out.println("checksum " + (yHeap[0] + logitsBuffer.get(0) + w.length + wte.length() + xArray.length()
                + yArray.length()));
    }

    private static int[] ints(String list) {
        return Arrays.stream(list.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
    }
}
