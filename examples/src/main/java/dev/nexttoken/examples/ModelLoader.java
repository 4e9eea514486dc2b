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
     * {@link #load(Path, PrintWriter)}, optionally reading the weights into memory instead of
     * mapping the file ({@link Gpt2Weights.LoadOptions#withWritable}): slower to load (every 4 KB
     * of fresh memory is a page fault), but decoding reads ordinary memory, which pays off for a
     * large model whose file's cached pages have become slow to read; GPT-2 small decodes no
     * faster (docs/PERFORMANCE.md has the measurements).
     */
    public static Generator load(Path modelDir, PrintWriter err, boolean copyWeights) {
        Nd4jStartup.start();
        long start = System.nanoTime();
        Generator generator;
        try (LoadProgress progress = LoadProgress.onTerminal(err)) {
            generator = Generator.load(modelDir,
                    Gpt2Weights.LoadOptions.defaults().withProgress(progress).withWritable(copyWeights));
        }
        LOG.info("loaded {} in {} ms", modelDir, (System.nanoTime() - start) / 1_000_000);
        return generator;
    }
}
