package dev.nexttoken.core;

import dev.nexttoken.core.model.ComputePath;
import dev.nexttoken.core.model.Fixtures;
import dev.nexttoken.core.model.Gpt2Model;
import dev.nexttoken.core.model.Gpt2Weights;
import dev.nexttoken.core.model.KvCache;
import dev.nexttoken.core.model.WeightFormat;
import dev.nexttoken.sampling.Candidate;
import dev.nexttoken.sampling.Inspection;
import dev.nexttoken.sampling.LogitsContext;
import dev.nexttoken.sampling.RandomStreams;
import dev.nexttoken.sampling.SamplingPipeline;
import dev.nexttoken.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The weight format enters sampling only through the logits: for a model loaded in each format,
 * the generator's next-token table (logits processors: repetition penalty, temperature, top-k; the
 * seeded sampler) is exactly the sampling pipeline applied by hand to that model's own logits.
 * So a format changes what the processors and the sampler produce exactly as much as it changes
 * the logits, and no more.
 */
class FormatOnlyThroughLogitsTest {

    @Test
    void nextTokenTableIsThePipelineOnTheFormatsOwnLogits() {
        int[] prompt = {464, 2068, 7586, 21831, 464, 2068};
        GenerationOptions options = GenerationOptions.builder().temperature(0.8).topK(20).repetitionPenalty(1.3)
                .seed(7).maxNewTokens(1).build();
        for (WeightFormat format : WeightFormat.values()) {
            Gpt2Weights weights = Gpt2Weights.load(Fixtures.modelDir("tiny"),
                    Gpt2Weights.LoadOptions.defaults().withFormat(format));
            try (Generator generator = new Generator(new Gpt2Model(weights, ComputePath.CPU_BLAS), Tokenizer.gpt2())) {
                NextTokenTable table = generator.next(prompt, options, 10);

                SamplingPipeline pipeline = SamplingPipeline.of(options.sampling().toBuilder()
                        .endOfTextId(generator.tokenizer().endOfTextId()).build());
                Inspection expected;
                try (KvCache cache = generator.model().newCache(1)) {
                    INDArray logits = generator.model().forward(new int[][] {prompt}, cache);
                    LogitsContext context = LogitsContext.of(generator.tokenizer().vocabSize(), 0, List.of(prompt),
                            new int[] {prompt.length});
                    expected = pipeline.inspect(context, logits, RandomStreams.create(options.seed()), 10).get(0);
                }
                assertEquals(expected.chosenId(), table.chosenId(), format.toString());
                assertEquals(expected.candidates().size(), table.candidates().size(), format.toString());
                for (int i = 0; i < expected.candidates().size(); i++) {
                    Candidate c = expected.candidates().get(i);
                    TraceCandidate t = table.candidates().get(i);
                    assertEquals(c.id(), t.id(), format + " candidate " + i);
                    assertEquals(c.rawLogit(), t.rawLogit(), 0.0, format + " candidate " + i);
                    assertEquals(c.processedLogit(), t.processedLogit(), 0.0, format + " candidate " + i);
                    assertEquals(c.probability(), t.probability(), 0.0, format + " candidate " + i);
                }
            }
        }
    }
}
