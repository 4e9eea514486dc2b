package dev.nexttoken.spark;

import java.io.Serializable;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the executors get the model from: a Hugging Face GPT-2 folder ({@code config.json} +
 * {@code model.safetensors}) on any filesystem Spark's Hadoop layer reads ({@code file:},
 * {@code hdfs:}, {@code s3a:}…), or the embedded default model. A small serializable value that
 * travels with the tasks; each executor JVM turns it into one loaded model
 * ({@link ExecutorModels}), so two sources with the same {@link #key()} share that model.
 */
public final class ModelSource implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final String DEFAULT_KEY = "default";

    private final String uri;                          // null for the embedded default model

    private ModelSource(String uri) {
        this.uri = uri;
    }

    /** The embedded default model ({@code nexttoken-default-model}, which the job jar carries). */
    public static ModelSource defaultModel() {
        return new ModelSource(null);
    }

    /**
     * A model folder given as a Hadoop URI ({@code hdfs://nn/models/gpt2}, {@code s3a://bucket/gpt2},
     * {@code file:/models/gpt2}) or a local path; the word {@code default} means {@link #defaultModel()}.
     *
     * @throws IllegalArgumentException if {@code location} is blank or not a valid URI
     */
    public static ModelSource of(String location) {
        Objects.requireNonNull(location, "location");
        String trimmed = location.strip();
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException("the model location is blank: give a model folder URI or 'default'");
        }
        if (trimmed.equals(DEFAULT_KEY)) {
            return defaultModel();
        }
        try {
            URI parsed = new URI(trimmed);
            if (parsed.getScheme() == null) {                          // a plain path: the local filesystem
                parsed = Path.of(trimmed).toAbsolutePath().normalize().toUri();
            }
            return new ModelSource(parsed.toString());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("the model location '" + location + "' is not a valid URI: "
                    + e.getMessage(), e);
        }
    }

    /** Whether this is the embedded default model. */
    public boolean isDefault() {
        return uri == null;
    }

    /** The folder's URI; only for a folder source. */
    public URI uri() {
        if (uri == null) {
            throw new IllegalStateException("the default model has no URI");
        }
        return URI.create(uri);
    }

    /** What identifies the model in an executor's holder: the URI, or {@code default}. */
    public String key() {
        return uri == null ? DEFAULT_KEY : uri;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelSource other && key().equals(other.key());
    }

    @Override
    public int hashCode() {
        return key().hashCode();
    }

    @Override
    public String toString() {
        return uri == null ? "the default model" : uri;
    }
}
