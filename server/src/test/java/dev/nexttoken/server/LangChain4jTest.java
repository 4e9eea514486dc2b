package dev.nexttoken.server;

import dev.langchain4j.model.StreamingResponseHandler;
import dev.langchain4j.model.openai.OpenAiLanguageModel;
import dev.langchain4j.model.openai.OpenAiStreamingLanguageModel;
import dev.langchain4j.model.output.Response;
import dev.nexttoken.core.GenerationOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * LangChain4j's OpenAI language models (the completions API) against {@code nexttoken serve}: a
 * LangChain4j program gets the completion the library gives in-process (greedy: LangChain4j sends
 * no max_tokens, so OpenAI's default of 16 applies).
 */
class LangChain4jTest {

    private static TestServer server;

    @BeforeAll
    static void start() {
        server = new TestServer();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String expected() {
        return server.generator.generate("The meaning of life is", GenerationOptions.greedy().toBuilder()
                .maxNewTokens(16).build()).text();
    }

    @Test
    void languageModelGetsACompletion() {
        OpenAiLanguageModel model = OpenAiLanguageModel.builder().baseUrl(server.server.address() + "/v1")
                .apiKey("not-needed").modelName("nexttoken-default").temperature(0.0).maxRetries(0).build();
        Response<String> response = model.generate("The meaning of life is");
        assertEquals(expected(), response.content());
    }

    @Test
    void streamingLanguageModelGetsTheSameCompletion() throws Exception {
        OpenAiStreamingLanguageModel model = OpenAiStreamingLanguageModel.builder()
                .baseUrl(server.server.address() + "/v1").apiKey("not-needed").modelName("nexttoken-default")
                .temperature(0.0).build();
        StringBuilder tokens = new StringBuilder();
        CompletableFuture<Response<String>> done = new CompletableFuture<>();
        model.generate("The meaning of life is", new StreamingResponseHandler<>() {
            @Override
            public void onNext(String token) {
                tokens.append(token);
            }

            @Override
            public void onComplete(Response<String> response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        done.get(60, TimeUnit.SECONDS);
        assertEquals(expected(), tokens.toString());
    }
}
