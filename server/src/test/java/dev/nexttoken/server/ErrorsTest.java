package dev.nexttoken.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every bad request gets OpenAI's error object naming the field and its valid range; none a stack trace. */
class ErrorsTest {

    private static TestServer server;

    @BeforeAll
    static void start() {
        server = new TestServer(ServerConfig.builder().maxTokensLimit(64).maxPromptTokens(20).maxBodyBytes(2000));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            unknown model          | {"model": "gpt-4", "prompt": "x"}                  | model        | The model 'gpt-4' does not exist; this server serves 'nexttoken-default'
            no prompt              | {"max_tokens": 3}                                  | prompt       | prompt is required: a string, an array of strings, an array of token ids, or an array of arrays of token ids
            prompt of wrong type   | {"prompt": 5}                                      | prompt       | prompt must be a string, an array of strings, an array of token ids, or an array of arrays of token ids, got a number (5)
            empty prompt array     | {"prompt": []}                                     | prompt       | prompt must not be an empty array: a string, an array of strings, an array of token ids, or an array of arrays of token ids
            token id too large     | {"prompt": [1, 50257]}                             | prompt       | token id 50257 in prompt is outside the vocabulary [0, 50257)
            negative token id      | {"prompt": [[3], [-1]]}                            | prompt       | token id -1 in prompt[1] is outside the vocabulary [0, 50257)
            prompt too long        | {"prompt": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21]} | prompt | The prompt has 21 tokens, more than this server's limit of 20 (--max-prompt-tokens)
            max_tokens over limit  | {"prompt": "x", "max_tokens": 65}                  | max_tokens   | max_tokens must be in [0, 64] on this server (--max-tokens-limit), got 65
            max_tokens a string    | {"prompt": "x", "max_tokens": "ten"}               | max_tokens   | max_tokens must be an integer, got a string ("ten")
            max_tokens fractional  | {"prompt": "x", "max_tokens": 2.5}                 | max_tokens   | max_tokens must be an integer, got a number (2.5)
            negative temperature   | {"prompt": "x", "temperature": -0.5}               | temperature  | temperature must be >= 0, got -0.5
            temperature a string   | {"prompt": "x", "temperature": "hot"}              | temperature  | temperature must be a number, got a string ("hot")
            top_p zero             | {"prompt": "x", "top_p": 0}                        | top_p        | top_p must be in (0, 1], got 0
            top_p above one        | {"prompt": "x", "top_p": 1.5}                      | top_p        | top_p must be in (0, 1], got 1.5
            n zero                 | {"prompt": "x", "n": 0}                            | n            | n must be in [1, 16], got 0
            logprobs above 20      | {"prompt": "x", "logprobs": 21}                    | logprobs     | logprobs must be in [0, 20], got 21
            presence out of range  | {"prompt": "x", "presence_penalty": 3}             | presence_penalty | presence_penalty must be in [-2, 2], got 3
            frequency out of range | {"prompt": "x", "frequency_penalty": -2.5}         | frequency_penalty | frequency_penalty must be in [-2, 2], got -2.5
            five stops             | {"prompt": "x", "stop": ["a","b","c","d","e"]}     | stop         | stop may hold at most 4 strings, got 5
            stop a number          | {"prompt": "x", "stop": 7}                         | stop         | stop must be a string or an array of up to 4 strings, got a number (7)
            logit_bias bad id      | {"prompt": "x", "logit_bias": {"99999": 1}}        | logit_bias   | logit_bias token id 99999 is outside the vocabulary [0, 50257)
            logit_bias too big     | {"prompt": "x", "logit_bias": {"5": 101}}          | logit_bias   | logit_bias values must be numbers in [-100, 100], got a number (101) for token 5
            top_k below -1         | {"prompt": "x", "top_k": -2}                       | top_k        | top_k must be in [-1, 2147483647], got -2
            min_p above one        | {"prompt": "x", "min_p": 1.2}                      | min_p        | min_p must be in [0, 1], got 1.2
            typical_p zero         | {"prompt": "x", "typical_p": 0}                    | typical_p    | typical_p must be in (0, 1], got 0
            repetition_penalty 0   | {"prompt": "x", "repetition_penalty": 0}           | repetition_penalty | repetition_penalty must be > 0, got 0
            min_tokens over max    | {"prompt": "x", "max_tokens": 4, "min_tokens": 5}  | min_tokens   | min_tokens must be in [0, 4], got 5
            stream not a boolean   | {"prompt": "x", "stream": "yes"}                   | stream       | stream must be true or false, got a string ("yes")
            """)
    void badCompletionRequestsGet400NamingTheField(String what, String body, String param, String message)
            throws Exception {
        HttpResponse<String> response = server.post("/v1/completions", body);
        assertEquals(400, response.statusCode(), response.body());
        JsonNode error = TestServer.json(response).get("error");
        assertEquals(message, error.get("message").asText());
        assertEquals("invalid_request_error", error.get("type").asText());
        assertEquals(param, error.get("param").asText());
        assertTrue(error.has("code"));
    }

    @Test
    void malformedJsonAndNonObjectsGet400() throws Exception {
        HttpResponse<String> response = server.post("/v1/completions", "{\"prompt\": ");
        assertEquals(400, response.statusCode());
        JsonNode error = TestServer.json(response).get("error");
        assertTrue(error.get("message").asText().startsWith("The request body is not valid JSON: "),
                error.toString());
        assertTrue(error.get("param").isNull());
        assertEquals("The request body must be a JSON object, got an array ([1,2])",
                TestServer.json(server.post("/v1/completions", "[1,2]")).get("error").get("message").asText());
        assertEquals("The request body is empty; send a JSON object",
                TestServer.json(server.post("/tokenize", "")).get("error").get("message").asText());
    }

    @Test
    void bodiesOverTheLimitGet413() throws Exception {
        String big = "{\"prompt\": \"" + "a".repeat(3000) + "\"}";
        HttpResponse<String> response = server.post("/v1/completions", big);
        assertEquals(413, response.statusCode(), response.body());
        JsonNode error = TestServer.json(response).get("error");
        assertEquals("The request body is larger than the limit of 2000 bytes (--max-body-bytes)",
                error.get("message").asText());
        assertEquals("request_too_large", error.get("code").asText());
    }

    @Test
    void unknownPathsGet404InOpenAisShape() throws Exception {
        HttpResponse<String> response = server.get("/v1/chat/nothing");
        assertEquals(404, response.statusCode());
        assertTrue(TestServer.json(response).get("error").get("message").asText()
                .startsWith("There is no endpoint GET /v1/chat/nothing"));
    }

    @Test
    void otherEndpointsCheckTheirFieldsToo() throws Exception {
        HttpResponse<String> next = server.post("/v1/next", "{\"prompt\": \"x\", \"top_n\": 0}");
        assertEquals(400, next.statusCode());
        assertEquals("top_n must be in [1, 1000], got 0", TestServer.json(next).get("error").get("message").asText());
        HttpResponse<String> detokenize = server.post("/detokenize", "{\"tokens\": [1, 60000]}");
        assertEquals(400, detokenize.statusCode());
        assertEquals("tokens[1] must be a token id in [0, 50257), got a number (60000)",
                TestServer.json(detokenize).get("error").get("message").asText());
        HttpResponse<String> tokenize = server.post("/tokenize", "{\"text\": \"x\"}");
        assertEquals(400, tokenize.statusCode());
        assertEquals("content", TestServer.json(tokenize).get("error").get("param").asText());
    }

    @Test
    void failuresInsideTheServerGet500WithoutAStackTrace() throws Exception {
        // a server whose generator is closed: every generation fails inside the library
        try (TestServer broken = new TestServer()) {
            broken.generator.close();
            HttpResponse<String> response = broken.post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 2}");
            assertEquals(500, response.statusCode());
            JsonNode error = TestServer.json(response).get("error");
            assertEquals("The server failed to complete the request (the error is in its log)",
                    error.get("message").asText());
            assertEquals("server_error", error.get("type").asText());
            assertFalse(response.body().contains("Exception"), response.body());
            assertFalse(response.body().contains("at dev."), response.body());
            HttpResponse<String> streamed = broken.post("/v1/completions",
                    "{\"prompt\": \"x\", \"max_tokens\": 2, \"stream\": true}");
            assertEquals(500, streamed.statusCode(), streamed.body());
            assertEquals("internal_error", TestServer.json(streamed).get("error").get("code").asText());
        }
    }
}
