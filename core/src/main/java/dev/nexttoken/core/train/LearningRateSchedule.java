package dev.nexttoken.core.train;

/**
 * nanoGPT's learning rate: a linear warm-up to {@code maxRate}, then a cosine decay to
 * {@code minRate} at step {@code decaySteps}, and {@code minRate} after it. Steps count from 0.
 *
 * <ul>
 *   <li>{@code step < warmupSteps}: {@code maxRate · (step + 1) / warmupSteps} (so step
 *       {@code warmupSteps - 1} already runs at the peak and step 0 is not wasted at rate 0);</li>
 *   <li>{@code warmupSteps <= step <= decaySteps}:
 *       {@code minRate + ½(1 + cos(π·r))·(maxRate − minRate)} with
 *       {@code r = (step − warmupSteps) / (decaySteps − warmupSteps)};</li>
 *   <li>{@code step > decaySteps}: {@code minRate}.</li>
 * </ul>
 *
 * @param maxRate     the peak rate, positive
 * @param minRate     the final rate, in [0, maxRate]
 * @param warmupSteps steps of linear warm-up, at least 0
 * @param decaySteps  the step at which the decay reaches {@code minRate}, at least {@code warmupSteps}
 */
public record LearningRateSchedule(double maxRate, double minRate, long warmupSteps, long decaySteps) {

    /**
     * @param maxRate     the peak rate, positive
     * @param minRate     the final rate, in [0, maxRate]
     * @param warmupSteps steps of warm-up, at least 0
     * @param decaySteps  the end of the decay, at least {@code warmupSteps}
     * @throws IllegalArgumentException if a value is out of range
     */
    public LearningRateSchedule {
        if (!(maxRate > 0) || Double.isInfinite(maxRate)) {
            throw new IllegalArgumentException("learning rate must be positive and finite, got " + maxRate);
        }
        if (!(minRate >= 0 && minRate <= maxRate)) {
            throw new IllegalArgumentException("min learning rate must be in [0, " + maxRate + "], got " + minRate);
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("warm-up steps must be at least 0, got " + warmupSteps);
        }
        if (decaySteps < warmupSteps) {
            throw new IllegalArgumentException("decay steps (" + decaySteps + ") must be at least the warm-up steps ("
                    + warmupSteps + ")");
        }
    }

    /**
     * @param step the optimizer step, from 0
     * @return the learning rate of that step
     */
    public double rate(long step) {
        if (step < warmupSteps) {
            return maxRate * (step + 1) / warmupSteps;
        }
        if (step >= decaySteps) {
            return minRate;
        }
        double ratio = (double) (step - warmupSteps) / (decaySteps - warmupSteps);
        double coefficient = 0.5 * (1.0 + Math.cos(Math.PI * ratio));
        return minRate + coefficient * (maxRate - minRate);
    }
}
