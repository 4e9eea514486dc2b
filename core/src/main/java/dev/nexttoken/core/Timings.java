package dev.nexttoken.core;

/**
 * Where the time of one call went.
 *
 * @param prefillMillis     running the prompt through the model, up to the first logits
 * @param decodeMillis      every later step together (model, processors, sampling)
 * @param decodeSteps       number of later steps (one new token per active sample each)
 * @param newTokens         tokens generated over all samples
 */
public record Timings(double prefillMillis, double decodeMillis, int decodeSteps, int newTokens) {

    /** Mean time of one decode step, or 0 when there was none. */
    public double millisPerDecodeStep() {
        return decodeSteps == 0 ? 0 : decodeMillis / decodeSteps;
    }
}
