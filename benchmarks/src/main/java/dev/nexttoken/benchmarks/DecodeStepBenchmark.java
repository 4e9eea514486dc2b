package dev.nexttoken.benchmarks;

import dev.nexttoken.core.model.ComputePath;
import dev.nexttoken.core.model.Gpt2Config;
import dev.nexttoken.core.model.Gpt2Model;
import dev.nexttoken.core.model.Gpt2Weights;
import dev.nexttoken.core.model.KvCache;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * One decode step of GPT-2 small (random weights of the real shape): every sequence of the batch
 * runs one new position against a cache already holding {@code context} positions. Attention
 * cost grows with the context; the weight products do not.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1) // the forked JVM's options come from bin/benchmarks
public class DecodeStepBenchmark {

    @Param({"1", "8"})
    int batch;

    @Param({"16", "512", "900"})
    int context;

    @Param({"CPU_BLAS"})
    String path;

    private Gpt2Model model;
    private KvCache cache;
    private int[][] next;

    @Setup(Level.Trial)
    public void setUp() {
        model = new Gpt2Model(Gpt2Weights.random(Gpt2Config.preset("gpt2"), 1), ComputePath.valueOf(path));
        cache = model.newCache(batch);
        int[][] prompt = new int[batch][context];
        for (int[] row : prompt) {
            Arrays.setAll(row, i -> (i * 7919) % 50000);
        }
        model.forward(prompt, cache);
        next = new int[batch][1];
    }

    /** One new position per sequence; the cache is rewound so the context stays fixed. */
    @Benchmark
    public INDArray decodeStep() {
        INDArray logits = model.forward(next, cache);
        cache.truncate(context);
        return logits;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        cache.close();
        model.close();
    }
}
