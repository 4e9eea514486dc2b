package dev.nexttoken.examples;

import dev.nexttoken.core.Generator;
import java.io.PrintWriter;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds and loads the model of {@code generate}, {@code next} and {@code score}: the folder of
 * {@code --model}, or else the {@link DefaultModel}; loading shows a {@link LoadProgress} bar on
 * standard error for large weights.
 */
public final class ModelLoader {

    /** The line printed (after the command's name) when there is no model to use. */
    static final String NO_MODEL = "no --model given and no embedded default model in this build:"
            + " pass --model DIR (a Hugging Face GPT-2 folder)";

    private static final Logger LOG = LoggerFactory.getLogger(ModelLoader.class);

    private ModelLoader() {
    }

    /**
     * The model folder to load.
     *
     * @param model the folder of {@code --model}, or {@code null} if not given
     * @return {@code model}, or the default model's folder
     * @throws BadArgumentException if {@code model} is {@code null} and this build has no default model
     */
    public static Path resolve(Path model) {
        if (model != null) {
            return model;
        }
        return DefaultModel.locate().orElseThrow(() -> new BadArgumentException(NO_MODEL));
    }

    /**
     * Loads a model folder, with a progress bar on {@code err} when it is a terminal and the
     * weights are large.
     *
     * @param modelDir a Hugging Face GPT-2 folder ({@code config.json} and {@code model.safetensors})
     * @param err      the command's standard error
     * @return the loaded generator; close it when done
     * @throws dev.nexttoken.core.ModelLoadException if the folder cannot be loaded
     */
    public static Generator load(Path modelDir, PrintWriter err) {
        Nd4jStartup.start();
        long start = System.nanoTime();
        Generator generator;
        try (LoadProgress progress = LoadProgress.onTerminal(err)) {
            generator = Generator.load(modelDir, progress);
        }
        LOG.info("loaded {} in {} ms", modelDir, (System.nanoTime() - start) / 1_000_000);
        return generator;
    }
}
