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
 * One decode step of {@code sequences} separate caches of one sequence each (GPT-2 small, random
 * weights of the real shape) in one joint model call ({@link Gpt2Model#forwardTogether}): what a
 * server's continuous batching runs per step. Cache {@code i} holds {@code context + 8·i}
 * positions, so the caches differ in length as concurrent requests do. With {@code sequences = 1}
 * it is a decode step alone; tokens/s is {@code sequences} over the step's time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1) // the forked JVM's options come from bin/benchmarks
public class DecodeTogetherBenchmark {

    @Param({"1", "8"})
    int sequences;

    @Param({"16"})
    int context;

    private Gpt2Model model;
    private KvCache[] caches;
    private int[][] next;

    @Setup(Level.Trial)
    public void setUp() {
        model = new Gpt2Model(Gpt2Weights.random(Gpt2Config.preset("gpt2"), 1), ComputePath.CPU_BLAS);
        caches = new KvCache[sequences];
        next = new int[sequences][1];                                   // [caches][B_i = 1]
        for (int i = 0; i < sequences; i++) {
            caches[i] = model.newCache(1);
            int[][] prompt = new int[1][context + 8 * i];
            Arrays.setAll(prompt[0], t -> (t * 7919) % 50000);
            model.forward(prompt, caches[i]);
            next[i][0] = 100 + i;
        }
    }

    /** One new position per cache; each cache is rewound so the contexts stay fixed. */
    @Benchmark
    public INDArray[] decodeTogether() {
        INDArray[] logits = model.forwardTogether(next, caches);
        for (int i = 0; i < caches.length; i++) {
            caches[i].truncate(context + 8 * i);
        }
        return logits;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (KvCache cache : caches) {
            cache.close();
        }
        model.close();
    }
}
