package dev.nexttoken.core;

import java.util.List;

/**
 * What one {@link Generator#generate} call produced. Immutable.
 *
 * @param promptTokens the prompt's ids as the model saw them (before cropping to the window)
 * @param samples      one per requested sample, in order
 * @param timings      where the time went
 * @param trace        per step and sample, the candidates and the choice (empty unless asked for)
 */
public record GenerationResult(int[] promptTokens, List<Sample> samples, Timings timings, List<TraceStep> trace) {

    public GenerationResult {
        promptTokens = promptTokens.clone();
        samples = List.copyOf(samples);
        trace = List.copyOf(trace);
    }

    @Override
    public int[] promptTokens() {
        return promptTokens.clone();
    }

    /** The text of the first sample: what a single-sample call wants. */
    public String text() {
        return samples.get(0).text();
    }
}
