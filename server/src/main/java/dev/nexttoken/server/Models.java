package dev.nexttoken.server;

/** The one model a server serves: requests may name it or leave {@code model} out. */
final class Models {

    private Models() {
    }

    /** The model id to answer with; throws 400 for any other name. */
    static String check(String requested, ServerConfig config) {
        if (requested == null || requested.equals(config.modelId())) {
            return config.modelId();
        }
        throw ApiException.unknownModel(requested, config.modelId());
    }
}
