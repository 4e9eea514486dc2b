package dev.nexttoken.core.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Deletes a file or a folder with everything below it: for caches and superseded checkpoints. */
public final class FileTrees {

    private FileTrees() {
    }

    /**
     * Deletes {@code root} and, if it is a folder, everything below it, deepest first; nothing
     * if it does not exist.
     *
     * @param root a file or folder
     * @throws IOException if an entry cannot be deleted
     */
    public static void delete(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
