package dev.nexttoken.server;

import dev.nexttoken.core.GenerationOptions;
import dev.nexttoken.core.Generator;
import dev.nexttoken.core.NextTokenTable;
import dev.nexttoken.core.TraceCandidate;
import dev.nexttoken.sampling.LogitsContext;
import dev.nexttoken.sampling.LogitsProcessor;
import dev.nexttoken.sampling.MultinomialSampler;
import dev.nexttoken.sampling.RowLogitsProcessor;
import dev.nexttoken.sampling.SamplingOptions;
import dev.nexttoken.sampling.SamplingPipeline;
import dev.nexttoken.sampling.Softmax;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;

/**
 * Builds {@link NextTokenResponse}: the library's next-token table ({@link Generator#next}, which
 * gives the candidates, their final probabilities and the token drawn), and beside it each
 * candidate's logit after every processor of the chain. For those it takes the raw logits of the
 * whole vocabulary (a second {@code next} call, greedy and without processors, with a processor
 * that copies them) and runs the same chain ({@link SamplingPipeline#of}) on them one processor at
 * a time; the last of them also gives where the sampler's draw fell ({@link SamplerDraw}).
 */
final class NextTokenExplainer {

    private final Generator generator;

    NextTokenExplainer(Generator generator) {
        this.generator = generator;
    }

    NextTokenResponse explain(String model, int[] prompt, GenerationOptions options, int topN) {
        NextTokenTable table = generator.next(prompt, options, topN);
        int[] context = table.promptTokens();
        float[] row = rawLogits(prompt);
        double logSumExp = Softmax.logSumExp(row);

        SamplingOptions sampling = options.sampling().toBuilder()
                .endOfTextId(generator.tokenizer().endOfTextId()).build();
        SamplingPipeline pipeline = SamplingPipeline.of(sampling);
        List<LogitsProcessor> chain = pipeline.processors();
        List<TraceCandidate> candidates = table.candidates();
        float[][] stages = new float[candidates.size()][chain.size()];
        String[] removedBy = new String[candidates.size()];
        LogitsContext ctx = LogitsContext.of(row.length, 0, List.of(context), new int[] {context.length});
        for (int p = 0; p < chain.size(); p++) {
            row = apply(chain.get(p), ctx, row);
            for (int c = 0; c < candidates.size(); c++) {
                float value = row[candidates.get(c).id()];
                stages[c][p] = value;
                if (value == Float.NEGATIVE_INFINITY && removedBy[c] == null) {
                    removedBy[c] = chain.get(p).name();
                }
            }
        }

        List<String> names = new ArrayList<>();
        chain.forEach(p -> names.add(p.name()));
        List<NextTokenResponse.Candidate> out = new ArrayList<>();
        for (int c = 0; c < candidates.size(); c++) {
            TraceCandidate candidate = candidates.get(c);
            List<NextTokenResponse.Stage> steps = new ArrayList<>();
            for (int p = 0; p < chain.size(); p++) {
                float value = stages[c][p];
                steps.add(new NextTokenResponse.Stage(names.get(p),
                        value == Float.NEGATIVE_INFINITY ? null : (double) value));
            }
            out.add(new NextTokenResponse.Candidate(candidate.id(), candidate.token(), candidate.rawLogit(), steps,
                    Math.exp(candidate.rawLogit() - logSumExp), candidate.probability(), removedBy[c],
                    candidate.id() == table.chosenId()));
        }
        NextTokenResponse.Draw draw = pipeline.sampler() instanceof MultinomialSampler
                ? SamplerDraw.of(row, options.seed(), candidates.stream().mapToInt(TraceCandidate::id).toArray())
                : null;
        return new NextTokenResponse("next_token_table", model, context, options.seed(), names,
                pipeline.sampler().name(), table.chosenId(), draw, out);
    }

    /** The lm_head output for the prompt's next position, all of the vocabulary. */
    private float[] rawLogits(int[] prompt) {
        float[][] captured = new float[1][];
        RowLogitsProcessor copy = new RowLogitsProcessor() {
            @Override
            public void processRow(LogitsContext context, int r, float[] logits) {
                captured[0] = logits.clone();
            }

            @Override
            public void process(LogitsContext context, INDArray logits) {
                throw new UnsupportedOperationException("the pipeline calls processRow on row processors");
            }
        };
        generator.next(prompt, GenerationOptions.builder().sampling(SamplingOptions.greedy()).addProcessor(copy)
                .build(), 1);
        return captured[0];
    }

    private static float[] apply(LogitsProcessor processor, LogitsContext ctx, float[] row) {
        if (processor instanceof RowLogitsProcessor rowProcessor) {
            rowProcessor.processRow(ctx, 0, row);
            return row;
        }
        INDArray logits = Nd4j.createFromArray(new float[][] {row});              // [1, V]
        processor.process(ctx, logits);
        return logits.toFloatVector();
    }
}
