package dev.nexttoken.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nexttoken.core.GenerationOptions;
import dev.nexttoken.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * A checked {@code POST /v1/completions} request: the prompts as token ids and the
 * {@link GenerationOptions} of one generation per prompt ({@code n} samples each).
 *
 * <p>Fields beyond {@link SamplingFields}: {@code max_tokens} (default 16, as OpenAI; at most the
 * server's limit) → {@code maxNewTokens}; {@code n} → {@code numSamples}; {@code stop} (a string or
 * up to 4) → stop strings; {@code min_tokens} → {@code minNewTokens}; {@code ignore_eos} →
 * {@code stopAtEndOfText(false)}; {@code logprobs} (0–20), {@code echo}, {@code stream},
 * {@code stream_options.include_usage} shape the response; {@code user} is accepted and ignored.
 *
 * @param model        the model id the response names
 * @param prompts      one token array per prompt
 * @param options      the options of every prompt's generation
 * @param n            samples per prompt
 * @param logprobs     top log-probabilities per token, or null for none
 * @param echo         whether each choice starts with its prompt
 * @param stream       whether to answer with Server-Sent Events
 * @param includeUsage whether a streamed answer ends with a usage chunk
 */
record CompletionRequest(String model, List<int[]> prompts, GenerationOptions options, int n, Integer logprobs,
                         boolean echo, boolean stream, boolean includeUsage) {

    /** OpenAI's default {@code max_tokens} for completions. */
    static final int DEFAULT_MAX_TOKENS = 16;
    /** The most samples per prompt. */
    static final int MAX_N = 16;
    /** The most top log-probabilities per token. */
    static final int MAX_LOGPROBS = 20;

    static CompletionRequest parse(RequestFields fields, ServerConfig config, Tokenizer tokenizer) {
        String model = Models.check(fields.string("model"), config);
        List<int[]> prompts = Prompts.read(fields.node("prompt"), tokenizer, config.maxPromptTokens());
        GenerationOptions.Builder options = GenerationOptions.builder();
        SamplingFields.apply(fields, options, tokenizer.vocabSize());

        Integer maxTokens = fields.integer("max_tokens", 0, Integer.MAX_VALUE);
        int max = maxTokens == null ? Math.min(DEFAULT_MAX_TOKENS, config.maxTokensLimit()) : maxTokens;
        if (max > config.maxTokensLimit()) {
            throw ApiException.invalid("max_tokens", "max_tokens must be in [0, " + config.maxTokensLimit()
                    + "] on this server (--max-tokens-limit), got " + max);
        }
        options.maxNewTokens(max);
        Integer n = fields.integer("n", 1, MAX_N);
        int samples = n == null ? 1 : n;
        options.numSamples(samples);
        Integer minTokens = fields.integer("min_tokens", 0, max);
        if (minTokens != null && minTokens > 0) {
            options.minNewTokens(minTokens);
        }
        Boolean ignoreEos = fields.bool("ignore_eos");
        options.stopAtEndOfText(ignoreEos == null || !ignoreEos);
        options.stopStrings(stops(fields.node("stop")));
        Integer logprobs = fields.integer("logprobs", 0, MAX_LOGPROBS);
        Boolean echo = fields.bool("echo");
        Boolean stream = fields.bool("stream");
        fields.string("user");
        boolean includeUsage = false;
        JsonNode streamOptions = fields.node("stream_options");
        if (streamOptions != null) {
            if (!streamOptions.isObject()) {
                throw ApiException.invalid("stream_options", "stream_options must be an object such as"
                        + " {\"include_usage\": true}, got " + RequestFields.kind(streamOptions));
            }
            JsonNode include = streamOptions.get("include_usage");
            if (include != null && !include.isNull() && !include.isBoolean()) {
                throw ApiException.invalid("stream_options", "stream_options.include_usage must be true or false, got "
                        + RequestFields.kind(include));
            }
            includeUsage = include != null && include.asBoolean();
        }
        Long bestOf = fields.longValue("best_of");
        if (bestOf != null && bestOf != samples) {
            throw ApiException.invalid("best_of", "best_of is not supported (leave it out or equal to n), got " + bestOf);
        }
        if (fields.string("suffix") != null) {
            throw ApiException.invalid("suffix", "suffix is not supported: GPT-2 completes text, it does not insert");
        }
        return new CompletionRequest(model, prompts, options.build(), samples, logprobs, echo != null && echo,
                stream != null && stream, includeUsage);
    }

    /** OpenAI's {@code stop}: a string or an array of up to 4 non-empty strings. */
    private static List<String> stops(JsonNode stop) {
        List<String> stops = new ArrayList<>();
        if (stop == null) {
            return stops;
        }
        if (stop.isTextual()) {
            if (!stop.asText().isEmpty()) {
                stops.add(stop.asText());
            }
            return stops;
        }
        if (!stop.isArray()) {
            throw ApiException.invalid("stop", "stop must be a string or an array of up to 4 strings, got "
                    + RequestFields.kind(stop));
        }
        if (stop.size() > 4) {
            throw ApiException.invalid("stop", "stop may hold at most 4 strings, got " + stop.size());
        }
        for (JsonNode s : stop) {
            if (!s.isTextual()) {
                throw ApiException.invalid("stop", "stop must hold strings, got " + RequestFields.kind(s));
            }
            if (!s.asText().isEmpty()) {
                stops.add(s.asText());
            }
        }
        return stops;
    }
}
