package dev.nexttoken.benchmarks;

import dev.nexttoken.sampling.LogitsContext;
import dev.nexttoken.sampling.RandomStreams;
import dev.nexttoken.sampling.SamplingOptions;
import dev.nexttoken.sampling.SamplingPipeline;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
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
import org.openjdk.jmh.annotations.Warmup;

import java.util.Collections;
import java.util.concurrent.TimeUnit;

/**
 * The default sampling chain (temperature 0.8, top-k 200, top-p 0.95) plus softmax and the
 * multinomial draw over GPT-2's 50257-token vocabulary, for a batch of rows. The logits are
 * restored before each call (the pipeline works in place).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1) // the forked JVM's options come from bin/benchmarks
public class SamplingBenchmark {

    @Param({"1", "8"})
    int batch;

    private SamplingPipeline pipeline;
    private INDArray original;
    private INDArray logits;
    private LogitsContext context;
    private RandomStreams random;

    @Setup(Level.Trial)
    public void setUp() {
        pipeline = SamplingPipeline.of(SamplingOptions.builder().temperature(0.8).topK(200).topP(0.95).build());
        original = Nd4j.randn(DataType.FLOAT, batch, 50257).muli(3);
        logits = original.dup();
        context = LogitsContext.of(50257, 0, Collections.nCopies(batch, new int[] {1, 2, 3}), new int[batch]);
        random = RandomStreams.create(1);
    }

    @Benchmark
    public int[] chooseNextTokens() {
        logits.assign(original);
        return pipeline.choose(context, logits, random);
    }
}
