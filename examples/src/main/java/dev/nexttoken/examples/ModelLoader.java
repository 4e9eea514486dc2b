package dev.nexttoken.examples;

import dev.nexttoken.core.DefaultModel;
import dev.nexttoken.core.Generator;
import dev.nexttoken.core.model.Gpt2Weights;

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

    private static final Logger LOG = LoggerFactory.getLogger(ModelLoader.class);

    private ModelLoader() {
    }

    /**
     * The model folder to load.
     *
     * @param model the folder of {@code --model}, or {@code null} if not given
     * @return {@code model}, or the default model's folder
     * @throws dev.nexttoken.core.ModelLoadException if {@code model} is {@code null} and the default
     *                                               model is not on the class path
     */
    public static Path resolve(Path model) {
        return model != null ? model : DefaultModel.folder();
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
        return load(modelDir, err, false);
    }

    /**
     * {@link #load(Path, PrintWriter)}, optionally using the weights in place over the mapped file
     * instead of reading them into memory ({@link Gpt2Weights.LoadOptions#withMemoryMapped}):
     * near-instant to load, but the file must not change while it is in use, and a large model
     * whose file's cached pages have become slow to read decodes slower (docs/PERFORMANCE.md and
     * docs/RELIABILITY.md have the measurements).
     */
    public static Generator load(Path modelDir, PrintWriter err, boolean memoryMapped) {
        return load(modelDir, err, memoryMapped, null);
    }

    /**
     * {@link #load(Path, PrintWriter, boolean)}, converting the weight matrices to {@code format} on
     * load ({@link Gpt2Weights.LoadOptions#withFormat}; {@code --dtype}), or keeping the file's
     * format when it is null.
     */
    public static Generator load(Path modelDir, PrintWriter err, boolean memoryMapped,
                                 dev.nexttoken.core.model.WeightFormat format) {
        Nd4jStartup.start();
        long start = System.nanoTime();
        Generator generator;
        try (LoadProgress progress = LoadProgress.onTerminal(err)) {
            generator = Generator.load(modelDir,
                    Gpt2Weights.LoadOptions.defaults().withProgress(progress).withMemoryMapped(memoryMapped)
                            .withFormat(format));
        }
        LOG.info("loaded {} in {} ms", modelDir, (System.nanoTime() - start) / 1_000_000);
        return generator;
    }
}
