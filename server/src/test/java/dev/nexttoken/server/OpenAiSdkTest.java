package dev.nexttoken.server;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import dev.nexttoken.core.GenerationOptions;
import dev.nexttoken.core.GenerationResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The official OpenAI Java SDK, pointed at the local server, gets what the library gives in-process. */
class OpenAiSdkTest {

    private static TestServer server;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        server = new TestServer();
        client = OpenAIOkHttpClient.builder().baseUrl(server.server.address() + "/v1").apiKey("not-needed")
                .maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        client.close();
        server.close();
    }

    private static CompletionCreateParams.Builder params() {
        return CompletionCreateParams.builder().model("nexttoken-default").prompt("Once upon a time")
                .maxTokens(12).temperature(0.9).seed(7L)
                .putAdditionalBodyProperty("top_k", JsonValue.from(40));
    }

    private static GenerationResult expected() {
        return server.generator.generate("Once upon a time", GenerationOptions.builder().temperature(0.9).topK(40)
                .maxNewTokens(12).seed(7).build());
    }

    @Test
    void completion() {
        Completion completion = client.completions().create(params().build());
        assertEquals("nexttoken-default", completion.model());
        CompletionChoice choice = completion.choices().get(0);
        assertEquals(expected().text(), choice.text());
        assertEquals(expected().samples().get(0).tokens().length, completion.usage().orElseThrow().completionTokens());
    }

    @Test
    void streamedCompletion() {
        StringBuilder text = new StringBuilder();
        try (StreamResponse<Completion> stream = client.completions().createStreaming(params().build())) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(c -> text.append(c.text())));
        }
        assertEquals(expected().text(), text.toString());
    }

    @Test
    void logprobs() {
        Completion completion = client.completions().create(params().logprobs(2L).build());
        CompletionChoice.Logprobs logprobs = completion.choices().get(0).logprobs().orElseThrow();
        List<String> tokens = logprobs.tokens().orElseThrow();
        List<Double> values = logprobs.tokenLogprobs().orElseThrow();
        assertEquals(expected().samples().get(0).tokens().length, tokens.size());
        assertEquals(tokens.size(), values.size());
        assertEquals(tokens.size(), logprobs.topLogprobs().orElseThrow().size());
        assertEquals(0L, logprobs.textOffset().orElseThrow().get(0));
        values.forEach(v -> assertTrue(v <= 0, "log-probabilities are <= 0: " + v));
        assertEquals(expected().text(), completion.choices().get(0).text());
    }

    @Test
    void errorCase() {
        BadRequestException e = assertThrows(BadRequestException.class,
                () -> client.completions().create(params().temperature(-1.0).build()));
        assertEquals(400, e.statusCode());
        assertEquals("temperature", e.param().orElseThrow());
        assertTrue(e.getMessage().contains("temperature must be >= 0, got -1"), e.getMessage());
    }
}
