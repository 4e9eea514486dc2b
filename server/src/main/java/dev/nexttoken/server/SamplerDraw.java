package dev.nexttoken.server;

import dev.nexttoken.sampling.RandomStream;

import java.util.ArrayList;
import java.util.List;

/**
 * Where the multinomial sampler's draw falls: the library's {@code MultinomialSampler} takes one
 * uniform {@code u} in {@code [0, 1)} from the sequence's random stream and chooses the first
 * token, in token-id order, whose cumulative probability passes {@code u}. This class replays that
 * for {@code /v1/next}: {@code u} is the first number of the stream of sequence 0 for the seed (the
 * one {@code Generator.next} and {@code generate} draw their first token with), and each
 * candidate's interval {@code [from, to)} is its share of the cumulative distribution over the
 * whole vocabulary in id order. The chosen token is the one whose interval holds {@code u}.
 */
final class SamplerDraw {

    private SamplerDraw() {
    }

    /**
     * The draw for the final (processed) logits of the whole vocabulary.
     *
     * @param logits    the logits the sampler draws from, one per token id
     * @param seed      the request's seed
     * @param candidate the ids to give intervals for, in the order of the response's candidates
     * @return {@code u} and the interval of each candidate the processors kept
     */
    static NextTokenResponse.Draw of(float[] logits, long seed, int[] candidate) {
        double u = RandomStream.of(seed, 0).nextDouble();
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double total = 0.0;
        double[] before = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            before[i] = total;
            if (logits[i] != Float.NEGATIVE_INFINITY) {
                total += Math.exp((double) logits[i] - max);
            }
        }
        List<NextTokenResponse.Interval> intervals = new ArrayList<>();
        for (int id : candidate) {
            if (logits[id] != Float.NEGATIVE_INFINITY) {
                double from = before[id] / total;
                intervals.add(new NextTokenResponse.Interval(id, from,
                        from + Math.exp((double) logits[id] - max) / total));
            }
        }
        return new NextTokenResponse.Draw(u, intervals);
    }
}
