package dev.nexttoken.core.io;

import dev.nexttoken.core.ModelLoadException;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;

/**
 * Checks a path before it is opened, so that only regular files are ever opened for reading.
 *
 * <p>Why: opening a FIFO blocks until a writer appears (forever, for a model folder), a device
 * can be endless, and the JDK's own messages for a symbolic-link loop or a denied permission
 * ("model folder not found") mislead. Every check follows symbolic links and reads the file's
 * attributes without opening it; the messages name the path and what to do.
 *
 * <p>A file can still change between this check and its opening; the openers therefore keep
 * their own handling of a file that has vanished in between.
 */
public final class FileChecks {

    /** The reason the JDK gives (from {@code strerror(ELOOP)}) for a symbolic-link loop. */
    private static final String LINK_LOOP = "Too many levels of symbolic links";

    /** The file type bits of {@code unix:mode} ({@code S_IFMT}) and the special types among them. */
    private static final int TYPE_MASK = 0170000;
    private static final int FIFO = 0010000;
    private static final int CHARACTER_DEVICE = 0020000;
    private static final int BLOCK_DEVICE = 0060000;
    private static final int SOCKET = 0140000;

    private FileChecks() {
    }

    /**
     * Requires {@code file} to be a regular file (after following symbolic links) that this
     * process may read.
     *
     * @param file     the file
     * @param what     what it should be, after "expected a", e.g. {@code "config.json file"}
     * @param notFound the message after {@code "<file>: "} when it does not exist
     * @throws ModelLoadException if it does not exist, is a directory, a FIFO, a device or a
     *                            socket, is a symbolic-link loop, or cannot be read
     */
    public static void requireRegularFile(Path file, String what, String notFound) {
        BasicFileAttributes attributes = attributes(file).orElseThrow(
                () -> new ModelLoadException(file + ": " + notFound + vanishedFolder(file)));
        if (attributes.isDirectory()) {
            throw new ModelLoadException(file + ": is a directory, expected a " + what);
        }
        if (!attributes.isRegularFile()) {
            throw new ModelLoadException(file + ": is " + specialType(file) + ", expected a " + what
                    + "; nexttoken reads only regular files (copy the data into a file)");
        }
        if (!Files.isReadable(file)) {
            throw new ModelLoadException(file + ": permission denied: this process may not read the " + what
                    + " (check its permissions, e.g. chmod a+r)");
        }
    }

    /**
     * Requires {@code folder} to be a directory (after following symbolic links) whose files
     * this process may read.
     *
     * @param folder   the folder
     * @param what     what it should be, e.g. {@code "model folder"}
     * @param notAFolder the message after {@code "<folder>: "} when it exists but is no folder
     * @throws ModelLoadException if it does not exist, is no folder, is a symbolic-link loop, or
     *                            cannot be read
     */
    public static void requireFolder(Path folder, String what, String notAFolder) {
        BasicFileAttributes attributes = attributes(folder).orElseThrow(
                () -> new ModelLoadException(folder + ": " + what + " not found"));
        if (!attributes.isDirectory()) {
            throw new ModelLoadException(folder + ": " + notAFolder);
        }
        if (!Files.isReadable(folder) || !Files.isExecutable(folder)) {
            throw new ModelLoadException(folder + ": permission denied: this process may not read the " + what
                    + " (check its permissions, e.g. chmod a+rx)");
        }
    }

    /**
     * The attributes of a path, following symbolic links.
     *
     * @return empty if nothing exists there
     * @throws ModelLoadException for a symbolic-link loop, a denied permission or another I/O
     *                            error; the message names the path
     */
    static Optional<BasicFileAttributes> attributes(Path path) {
        try {
            return Optional.of(Files.readAttributes(path, BasicFileAttributes.class));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (AccessDeniedException e) {
            throw new ModelLoadException(path + ": permission denied: this process may not look into a folder on"
                    + " the way to it (check the folders' permissions, e.g. chmod a+rx)", e);
        } catch (FileSystemException e) {
            if (e.getReason() != null && e.getReason().contains(LINK_LOOP)) {
                throw new ModelLoadException(path + ": too many levels of symbolic links (a symbolic-link loop?);"
                        + " point the link at a real file or folder", e);
            }
            throw new ModelLoadException(path + ": cannot read its attributes: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ModelLoadException(path + ": cannot read its attributes: " + e.getMessage(), e);
        }
    }

    /** A hint when the file's folder itself has gone (deleted or moved while loading). */
    private static String vanishedFolder(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            return " (its folder " + parent + " does not exist (any more): was it deleted or moved?)";
        }
        return "";
    }

    /** "a FIFO (named pipe)", "a character device", ...: what a non-regular, non-directory file is. */
    private static String specialType(Path file) {
        try {
            int type = (Integer) Files.getAttribute(file, "unix:mode") & TYPE_MASK;
            return switch (type) {
                case FIFO -> "a FIFO (named pipe)";
                case CHARACTER_DEVICE -> "a character device";
                case BLOCK_DEVICE -> "a block device";
                case SOCKET -> "a socket";
                default -> "a special file";
            };
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            return "a special file (not a regular file)";
        }
    }
}
