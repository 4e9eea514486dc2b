package dev.nexttoken.server;

/**
 * What {@code nexttoken serve} is told: where to listen, how many generations run at once and
 * wait, and the limits that protect the server from one large request. Immutable; built with
 * {@link #builder()}, whose defaults suit a 2-core machine.
 *
 * @param host            the address to listen on (default {@code 127.0.0.1}: this machine only)
 * @param port            the port; 0 picks a free one (see {@link NextTokenServer#port()})
 * @param modelId         the model name {@code /v1/models} lists and requests must name
 * @param maxConcurrent   requests that run at once, their generations decoded together in one
 *                        batch, {@code >= 1} (default 8: the decode cost grows little up to 8-16 rows)
 * @param queue           requests that wait for a slot, {@code >= 0} (default 16); beyond: 429
 * @param maxTokensLimit  the largest {@code max_tokens} a request may ask for (default 2048)
 * @param maxPromptTokens the longest prompt, in tokens (default 4096; longer than the model's
 *                        window is allowed: the library keeps its last {@code n_positions} tokens)
 * @param maxBodyBytes    the largest request body (default 1 MiB); beyond: 413
 */
public record ServerConfig(String host, int port, String modelId, int maxConcurrent, int queue, int maxTokensLimit,
                           int maxPromptTokens, long maxBodyBytes) {

    /** Checks every value and names its valid range. */
    public ServerConfig {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host must not be empty");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in [0, 65535] (0 = any free port), got " + port);
        }
        if (modelId == null || modelId.isBlank()) {
            throw new IllegalArgumentException("the model id must not be empty");
        }
        if (maxConcurrent < 1) {
            throw new IllegalArgumentException("max-concurrent must be >= 1, got " + maxConcurrent);
        }
        if (queue < 0) {
            throw new IllegalArgumentException("queue must be >= 0, got " + queue);
        }
        if (maxTokensLimit < 1) {
            throw new IllegalArgumentException("max-tokens-limit must be >= 1, got " + maxTokensLimit);
        }
        if (maxPromptTokens < 1) {
            throw new IllegalArgumentException("max-prompt-tokens must be >= 1, got " + maxPromptTokens);
        }
        if (maxBodyBytes < 1) {
            throw new IllegalArgumentException("max-body-bytes must be >= 1, got " + maxBodyBytes);
        }
    }

    /** @return a builder with the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link ServerConfig}; starts at the defaults. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = 8080;
        private String modelId = "nexttoken-default";
        private int maxConcurrent = 8;
        private int queue = 16;
        private int maxTokensLimit = 2048;
        private int maxPromptTokens = 4096;
        private long maxBodyBytes = 1 << 20;

        private Builder() {
        }

        /**
         * @param host the address to listen on
         * @return this builder
         */
        public Builder host(String host) {
            this.host = host;
            return this;
        }

        /**
         * @param port the port, 0 for any free one
         * @return this builder
         */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /**
         * @param modelId the served model's name
         * @return this builder
         */
        public Builder modelId(String modelId) {
            this.modelId = modelId;
            return this;
        }

        /**
         * @param n generations at once
         * @return this builder
         */
        public Builder maxConcurrent(int n) {
            this.maxConcurrent = n;
            return this;
        }

        /**
         * @param n waiting requests
         * @return this builder
         */
        public Builder queue(int n) {
            this.queue = n;
            return this;
        }

        /**
         * @param n the largest max_tokens
         * @return this builder
         */
        public Builder maxTokensLimit(int n) {
            this.maxTokensLimit = n;
            return this;
        }

        /**
         * @param n the longest prompt in tokens
         * @return this builder
         */
        public Builder maxPromptTokens(int n) {
            this.maxPromptTokens = n;
            return this;
        }

        /**
         * @param n the largest body in bytes
         * @return this builder
         */
        public Builder maxBodyBytes(long n) {
            this.maxBodyBytes = n;
            return this;
        }

        /** @return the checked configuration */
        public ServerConfig build() {
            return new ServerConfig(host, port, modelId, maxConcurrent, queue, maxTokensLimit, maxPromptTokens,
                    maxBodyBytes);
        }
    }
}
