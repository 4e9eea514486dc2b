package dev.nexttoken.core;

import java.util.List;

/**
 * How one token of one sample was chosen.
 *
 * @param step       0-based index of the new token
 * @param sample     the sample's index in the batch
 * @param chosenId   the token picked
 * @param candidates the top candidates by probability, most likely first
 */
public record TraceStep(int step, int sample, int chosenId, List<TraceCandidate> candidates) {

    public TraceStep {
        candidates = List.copyOf(candidates);
    }
}
