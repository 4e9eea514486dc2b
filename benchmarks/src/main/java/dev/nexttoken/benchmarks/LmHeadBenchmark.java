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

import java.util.concurrent.TimeUnit;

/**
 * The share of the lm_head in a decode step: a zero-layer GPT-2 with GPT-2 small's embeddings
 * runs only embedding, final LayerNorm and the tied {@code [50257 × 768]} product, so its step
 * time is (almost all) the lm_head reading {@code wte} once.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1) // the forked JVM's options come from bin/benchmarks
public class LmHeadBenchmark {

    @Param({"1", "8"})
    int batch;

    private Gpt2Model model;
    private KvCache cache;
    private int[][] next;

    @Setup(Level.Trial)
    public void setUp() {
        Gpt2Config small = Gpt2Config.preset("gpt2");
        Gpt2Config headOnly = new Gpt2Config(1, small.nHead(), small.nEmbd(), small.nPositions(),
                small.vocabSize(), small.layerNormEpsilon());
        model = new Gpt2Model(Gpt2Weights.random(headOnly, 1), ComputePath.CPU_BLAS);
        cache = model.newCache(batch);
        next = new int[batch][1];
        model.forward(next, cache);
    }

    @Benchmark
    public INDArray lmHeadStep() {
        INDArray logits = model.forward(next, cache);
        cache.truncate(1);
        return logits;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        cache.close();
        model.close();
    }
}
