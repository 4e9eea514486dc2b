package dev.nexttoken.examples;

import dev.nexttoken.core.model.Gpt2Weights;
import dev.nexttoken.core.model.WeightFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code nexttoken convert --dtype f32|f16|bf16|q8 IN OUT}: writes the model folder {@code IN}
 * as a new model folder {@code OUT} ({@code config.json} + {@code model.safetensors}) whose weight
 * matrices are in the given format, which {@code --model OUT} then loads as it is
 * ({@link Gpt2Weights#convert}; the layout is in docs/FORMATS.md). {@code OUT} is written under a
 * temporary name and renamed into place; an existing {@code OUT} is refused unless
 * {@code --force}.
 */
@Command(name = "convert",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        description = "Writes a model folder with its weight matrices in another format (f32, f16, bf16, q8).")
public final class ConvertCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--dtype", paramLabel = "FORMAT", required = true, converter = DtypeOption.FormatConverter.class,
            description = "The weight matrices' format in OUT: f32, f16, bf16 or q8 (docs/FORMATS.md).")
    WeightFormat format;

    @Option(names = "--force", description = "Replace OUT if it exists.")
    boolean force;

    @Parameters(index = "0", paramLabel = "IN", description = "A model folder (config.json + model.safetensors).")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "The folder to write; its parent must exist.")
    Path out;

    @Override
    public Integer call() {
        if (!Files.isDirectory(in)) {
            throw new BadArgumentException(in + " is not a model folder");
        }
        Path parent = out.toAbsolutePath().normalize().getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new BadArgumentException("the folder " + parent + " (OUT's parent) does not exist");
        }
        if (Files.exists(out, LinkOption.NOFOLLOW_LINKS) && !force) {
            throw new BadArgumentException(out + " already exists; choose another folder or add --force to replace it");
        }
        try {
            if (Files.exists(out) && Files.isSameFile(in, out)) {
                throw new BadArgumentException("OUT is IN: write the converted model to another folder");
            }
        } catch (java.io.IOException e) {
            // not the same folder then
        }
        Nd4jStartup.start();
        long start = System.nanoTime();
        Gpt2Weights.convert(in, out, format, force);
        spec.commandLine().getErr().printf("wrote %s (%s) in %.1f s%n", out, format.name().toLowerCase(java.util.Locale.ROOT),
                (System.nanoTime() - start) / 1e9);
        return ExitCodes.OK;
    }
}
