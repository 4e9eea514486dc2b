package dev.nexttoken.server;

/**
 * A request the server answers with an error: the HTTP status and the fields of OpenAI's error
 * object ({@code {"error": {"message", "type", "param", "code"}}}), which is what OpenAI's clients
 * parse. The message names the field and its valid range, so a client can fix its request.
 *
 * <p>Why one exception type: every handler throws it and one exception handler of
 * {@link NextTokenServer} writes it, so no error path can forget the shape.
 */
public final class ApiException extends RuntimeException {

    /** OpenAI's type of a bad request. */
    public static final String INVALID_REQUEST = "invalid_request_error";

    private final int status;
    private final String type;
    private final String param;
    private final String code;
    private final Integer retryAfterSeconds;

    ApiException(int status, String message, String type, String param, String code, Integer retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 400: a field has a wrong type or value; {@code message} names it and its valid range. */
    public static ApiException invalid(String param, String message) {
        return new ApiException(400, message, INVALID_REQUEST, param, "invalid_value", null);
    }

    /** 400: the request names a model this server does not serve. */
    public static ApiException unknownModel(String model, String served) {
        return new ApiException(400, "The model '" + model + "' does not exist; this server serves '" + served + "'",
                INVALID_REQUEST, "model", "model_not_found", null);
    }

    /** 413: the body is larger than the server accepts. */
    public static ApiException tooLarge(long limit) {
        return new ApiException(413, "The request body is larger than the limit of " + limit
                + " bytes (--max-body-bytes)", INVALID_REQUEST, null, "request_too_large", null);
    }

    /** 429: every generation slot and every queue place is taken. */
    public static ApiException queueFull(int running, int queued, int retryAfterSeconds) {
        return new ApiException(429, "The server is busy: " + running + " generations are running and the queue of "
                + queued + " is full; retry after " + retryAfterSeconds + " s", "server_overloaded", null,
                "queue_full", retryAfterSeconds);
    }

    /** 503: the server is shutting down and takes no new requests. */
    public static ApiException draining() {
        return new ApiException(503, "The server is shutting down and takes no new requests", "server_unavailable",
                null, "shutting_down", null);
    }

    /** 404: no such endpoint. */
    public static ApiException notFound(String method, String path) {
        return new ApiException(404, "There is no endpoint " + method + " " + path
                + " (see /v1/completions, /v1/models, /v1/next, /tokenize, /detokenize, /health, /metrics)",
                INVALID_REQUEST, null, "unknown_url", null);
    }

    /** 500: something failed inside the server; the message says nothing of its internals. */
    public static ApiException internal() {
        return new ApiException(500, "The server failed to complete the request (the error is in its log)",
                "server_error", null, "internal_error", null);
    }

    /** @return the HTTP status */
    public int status() {
        return status;
    }

    /** @return OpenAI's error type, e.g. {@code invalid_request_error} */
    public String type() {
        return type;
    }

    /** @return the request field at fault, or null */
    public String param() {
        return param;
    }

    /** @return a short machine-readable code, e.g. {@code invalid_value} */
    public String code() {
        return code;
    }

    /** @return seconds for the {@code Retry-After} header, or null for none */
    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
