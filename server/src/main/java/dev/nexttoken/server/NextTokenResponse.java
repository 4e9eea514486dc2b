package dev.nexttoken.server;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;

/**
 * The answer of {@code POST /v1/next}: how the next token after a prompt is chosen, candidate by
 * candidate and processor by processor. The explorer page draws it; docs/SERVER.md shows an
 * example. Its JSON:
 *
 * <pre>{@code
 * {
 *   "object": "next_token_table",
 *   "model": "nexttoken-default",
 *   "prompt_tokens": [464, 3139, 286, 4881, 318],   // after cropping to the window; [50256] for ""
 *   "seed": 1337,                                   // the seed of the draw (random when not given)
 *   "processors": ["TemperatureProcessor(temperature=0.7)", "TopKProcessor(k=3)"],  // the chain, in order
 *   "sampler": "MultinomialSampler",
 *   "chosen_id": 6342,                              // what generate() draws first with these options and seed
 *   "draw": {                                       // the sampler's uniform draw; null at temperature 0
 *     "u": 0.3127,
 *     "intervals": [{"id": 6342, "from": 0.1702, "to": 0.6502}]  // kept candidates' [from, to) of the
 *   },                                              // cumulative distribution in token-id order
 *   "candidates": [                                 // top_n tokens: by final probability, then raw logit
 *     {
 *       "id": 6342,
 *       "token": " Paris",                          // the token's text (Tokenizer.piece)
 *       "logit": -31.2,                             // the raw lm_head logit
 *       "stages": [                                 // the logit after each processor, same order as "processors"
 *         {"processor": "TemperatureProcessor(temperature=0.7)", "logit": -44.57},
 *         {"processor": "TopKProcessor(k=3)", "logit": -44.57}       // null once removed (-inf)
 *       ],
 *       "probability_t1": 0.21,                     // softmax of the raw logits (temperature 1, no processor)
 *       "probability": 0.48,                        // the probability the sampler draws with
 *       "removed_by": null,                         // the processor that set its logit to -inf, or null if kept
 *       "chosen": true
 *     }
 *   ]
 * }
 * }</pre>
 *
 * At temperature 0 (greedy) no sampling processor runs (only penalties and biases) and
 * {@code probability} is the softmax of the processed logits; {@code chosen_id} is their argmax;
 * {@code draw} is null.
 *
 * @param object        always {@code next_token_table}
 * @param model         the served model's id
 * @param promptTokens  the prompt the model saw
 * @param seed          the seed of the draw
 * @param processors    the processor chain, in order
 * @param sampler       the sampler's name
 * @param chosenId      the token drawn
 * @param draw          where the multinomial sampler's draw fell, or null for the greedy sampler
 * @param candidates    the top candidates
 */
@JsonPropertyOrder({"object", "model", "prompt_tokens", "seed", "processors", "sampler", "chosen_id", "draw",
        "candidates"})
public record NextTokenResponse(String object, String model, @JsonProperty("prompt_tokens") int[] promptTokens,
                                long seed, List<String> processors, String sampler,
                                @JsonProperty("chosen_id") int chosenId,
                                @JsonInclude(JsonInclude.Include.ALWAYS) Draw draw, List<Candidate> candidates) {

    /**
     * The multinomial sampler's draw ({@link SamplerDraw}): it chooses the token whose interval of
     * the cumulative distribution, in token-id order, holds {@code u}.
     *
     * @param u         the uniform number in {@code [0, 1)} drawn with the seed
     * @param intervals the kept candidates' intervals, in the order of {@code candidates}
     */
    public record Draw(double u, List<Interval> intervals) {
    }

    /**
     * One token's share {@code [from, to)} of the cumulative distribution; {@code to - from} is its
     * probability.
     *
     * @param id   the token id
     * @param from the cumulative probability of the tokens with smaller ids
     * @param to   {@code from} plus its probability
     */
    public record Interval(int id, double from, double to) {
    }

    /**
     * One candidate token.
     *
     * @param id            the token id
     * @param token         its text
     * @param logit         the raw logit
     * @param stages        its logit after each processor of the chain, in order
     * @param probabilityT1 softmax of the raw logits
     * @param probability   the final probability
     * @param removedBy     the processor that removed it, or null
     * @param chosen        whether it is the token drawn
     */
    @JsonPropertyOrder({"id", "token", "logit", "stages", "probability_t1", "probability", "removed_by", "chosen"})
    public record Candidate(int id, String token, double logit, List<Stage> stages,
                            @JsonProperty("probability_t1") double probabilityT1, double probability,
                            @JsonProperty("removed_by") @JsonInclude(JsonInclude.Include.ALWAYS) String removedBy,
                            boolean chosen) {
    }

    /**
     * A candidate's logit after one processor.
     *
     * @param processor the processor's name
     * @param logit     the logit after it, or null when it is {@code -inf} (removed)
     */
    public record Stage(String processor, @JsonInclude(JsonInclude.Include.ALWAYS) Double logit) {
    }
}
