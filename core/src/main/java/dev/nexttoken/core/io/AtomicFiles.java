package dev.nexttoken.core.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes that a crash cannot leave half done: a file is written beside its target under a
 * temporary name, flushed to the disk, and renamed over the target in one step, so a reader sees
 * the old content or the new one, never a mix or a truncated file.
 *
 * <p>The rename is atomic on POSIX file systems; where the file system refuses an atomic move,
 * a plain replacing move is used. Flushing a folder (so that a rename survives a power loss) is
 * done where the platform allows opening a folder, and skipped elsewhere.
 */
public final class AtomicFiles {

    /** The suffix of the temporary file a write goes to before its rename. */
    public static final String TEMPORARY_SUFFIX = ".tmp";

    private AtomicFiles() {
    }

    /**
     * Replaces {@code file} with {@code text} (UTF-8) atomically and durably.
     *
     * @param file the target; its folder must exist
     * @param text the new content
     * @throws IOException if writing, flushing or renaming fails; the target is then unchanged
     */
    public static void writeString(Path file, String text) throws IOException {
        Path temporary = file.resolveSibling(file.getFileName() + TEMPORARY_SUFFIX);
        try {
            Files.writeString(temporary, text, StandardCharsets.UTF_8);
            force(temporary);
            replace(temporary, file);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
    }

    /**
     * Renames {@code source} to {@code target} in one step, replacing {@code target}, and
     * flushes the folder so that the rename is durable.
     *
     * @param source the file or folder to move
     * @param target its new name, in the same folder or on the same file system
     * @throws IOException if the move fails
     */
    public static void replace(Path source, Path target) throws IOException {
        try {
            Files.move(source, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(source, target, StandardCopyOption.REPLACE_EXISTING);
        }
        forceFolder(target.toAbsolutePath().getParent());
    }

    /**
     * Flushes a file's content to the disk ({@code fsync}).
     *
     * @param file a regular file
     * @throws IOException if it cannot be opened or flushed
     */
    public static void force(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }

    /**
     * Flushes a folder's entries (new names, renames) to the disk where the platform can open a
     * folder (Linux, macOS); does nothing where it cannot (Windows).
     *
     * @param folder a folder
     */
    public static void forceFolder(Path folder) {
        if (folder == null) {
            return;
        }
        try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // folders cannot be opened on this platform: the rename stands, only its durability is the OS's
        }
    }
}
