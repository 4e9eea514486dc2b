package dev.nexttoken.sampling;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Temperature scaling: {@code x'_i = x_i / T}, so that {@code softmax(x') = softmax(x / T)}.
 * {@code T < 1} sharpens the distribution, {@code T > 1} flattens it, {@code T = 1} leaves it alone.
 * Valid range: {@code T >= 1e-6} ({@link SamplingOptions#GREEDY_BELOW}) and finite. Temperature 0
 * (greedy decoding) is not a division: it is {@link GreedySampler}, which {@link SamplingOptions}
 * picks for {@code temperature(0)} and for every temperature below 1e-6. Smaller divisors are
 * refused here because they would overflow float32 or lose all resolution (see
 * {@link SamplingOptions#GREEDY_BELOW}); a processor cannot switch the sampler to greedy itself.
 *
 * <p>Implementation: applied on its own to an {@code INDArray}, this is one Nd4j op,
 * {@code logits.divi(T)}. Inside a {@link SamplingPipeline} the row is already a Java array and a
 * Java loop divides it in a fraction of what one Nd4j op call plus the copies it would force
 * costs; both divide in float32 and give identical results. Stateless and thread-safe.
 */
public final class TemperatureProcessor implements RowLogitsProcessor, BuiltIn {

    private final double temperature;
    private final float divisor;

    /**
     * @param temperature {@code T}, at least {@link SamplingOptions#GREEDY_BELOW} (1e-6) and finite
     * @throws IllegalArgumentException if {@code T} is out of range
     */
    public TemperatureProcessor(double temperature) {
        if (!(temperature > 0.0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be > 0 and finite, got " + temperature
                    + " (temperature 0 means greedy decoding: use GreedySampler or SamplingOptions.greedy())");
        }
        if (temperature < SamplingOptions.GREEDY_BELOW) {
            throw new IllegalArgumentException("temperature " + temperature + " is below "
                    + SamplingOptions.GREEDY_BELOW + ", where dividing float32 logits overflows or loses all"
                    + " resolution; valid range [1e-6, +inf): below it decoding is greedy (use GreedySampler, or"
                    + " SamplingOptions' temperature(" + temperature + "), which picks it)");
        }
        this.temperature = temperature;
        this.divisor = (float) temperature;
    }

    /** @return the temperature {@code T} */
    public double temperature() {
        return temperature;
    }

    @Override
    public void processRow(LogitsContext context, int row, float[] logits) {
        for (int i = 0; i < logits.length; i++) {
            logits[i] /= divisor;
        }
    }

    /** One Nd4j op: {@code logits.divi(T)}. */
    @Override
    public void process(LogitsContext context, INDArray logits) {
        LogitsArrays.checkMatches(context, logits);
        logits.divi(divisor);
    }

    @Override
    public String name() {
        return "TemperatureProcessor(temperature=" + temperature + ")";
    }

    @Override
    public String toString() {
        return name();
    }
}
