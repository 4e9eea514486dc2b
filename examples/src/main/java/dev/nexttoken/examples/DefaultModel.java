package dev.nexttoken.examples;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the model comes from when a command is given no {@code --model}: the default model
 * bundled with this build, if any.
 *
 * <p>This build bundles none, so {@link #locate()} is empty and {@code generate}, {@code next}
 * and {@code score} then ask for {@code --model DIR} (see {@link ModelLoader#resolve(Path)}).
 */
public final class DefaultModel {

    private DefaultModel() {
    }

    /**
     * The folder of the bundled default model ({@code config.json} and {@code model.safetensors}).
     *
     * @return the folder, or empty when this build bundles no model
     */
    public static Optional<Path> locate() {
        return Optional.empty();
    }
}
