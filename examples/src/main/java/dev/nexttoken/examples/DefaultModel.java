package dev.nexttoken.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * The model used when a command is given no {@code --model}: a small GPT-2 trained by this
 * project (see the README's "The default model"), bundled in this jar as the resources
 * {@value #RESOURCE_DIR}{@code config.json} and {@code model.safetensors}.
 *
 * <p>Weights are memory-mapped, which needs a real file, so on first use the two resources are
 * copied to a folder under the system's temporary directory, named after their size, and reused
 * from there afterwards. The copy is written to a scratch folder and moved into place, so
 * concurrent first runs cannot see half a file.
 */
public final class DefaultModel {

    static final String RESOURCE_DIR = "/dev/nexttoken/examples/default-model/";
    private static final String[] FILES = {"config.json", "model.safetensors"};

    private DefaultModel() {
    }

    /**
     * The folder of the bundled default model ({@code config.json} and {@code model.safetensors}).
     *
     * @return the folder, or empty when this build bundles no model
     * @throws UncheckedIOException if the bundled files cannot be copied out
     */
    public static Optional<Path> locate() {
        if (DefaultModel.class.getResource(RESOURCE_DIR + FILES[1]) == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(extract());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the bundled default model to "
                    + System.getProperty("java.io.tmpdir") + ": " + e.getMessage(), e);
        }
    }

    private static Path extract() throws IOException {
        long size = 0;
        for (String file : FILES) {
            try (InputStream in = open(file)) {
                size += in.transferTo(java.io.OutputStream.nullOutputStream());
            }
        }
        Path target = Path.of(System.getProperty("java.io.tmpdir"), "nexttoken-default-model-" + size);
        if (Files.isRegularFile(target.resolve(FILES[1]))) {
            return target;
        }
        Path scratch = Files.createTempDirectory(target.getParent(), "nexttoken-default-model-");
        for (String file : FILES) {
            try (InputStream in = open(file)) {
                Files.copy(in, scratch.resolve(file), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        try {
            Files.move(scratch, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException | java.nio.file.DirectoryNotEmptyException e) {
            // another process got there first: use its copy
            for (String file : FILES) {
                Files.deleteIfExists(scratch.resolve(file));
            }
            Files.deleteIfExists(scratch);
        }
        return target;
    }

    private static InputStream open(String file) throws IOException {
        InputStream in = DefaultModel.class.getResourceAsStream(RESOURCE_DIR + file);
        if (in == null) {
            throw new IOException("the bundled default model lacks " + file);
        }
        return in;
    }
}
