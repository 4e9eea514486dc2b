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

    /**
     * Every sample's new text under a line saying why it ended, for printing a result as it is:
     * <pre>
     * sample 0 (length, 5 new tokens):
     *  Ableote Nepimateourney
     * </pre>
     * The text is printed as generated, line breaks included.
     */
    @Override
    public String toString() {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < samples.size(); i++) {
            Sample sample = samples.get(i);
            int tokens = sample.tokens().length;
            out.append("sample ").append(i).append(" (").append(sample.finishReason()).append(", ")
                    .append(tokens).append(tokens == 1 ? " new token" : " new tokens").append("):\n")
                    .append(sample.text()).append('\n');
        }
        return out.toString();
    }
}
