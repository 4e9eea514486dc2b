package dev.nexttoken.core;

import dev.nexttoken.core.io.FileTrees;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * The small GPT-2 that {@link Generator#loadDefault()} and the command line use when no model
 * folder is given. It ships in the artifact {@code dev.nexttoken:nexttoken-default-model}, which
 * {@code nexttoken-cpu} and {@code nexttoken-cuda} bring, as class-path resources.
 *
 * <p>Weights load from a model folder on disk (read, or memory-mapped on request, never from a
 * class-path stream), so the first use extracts the two files into a cache folder named after
 * the weights' SHA-256 and later uses (in this JVM or any other) reuse it. The cache is {@code -Dnexttoken.cache=DIR} if set, else
 * {@code $XDG_CACHE_HOME/nexttoken}, else {@code ~/.cache/nexttoken}. The files are written into
 * a scratch folder, checked against the recorded digest and moved into place in one step, so
 * concurrent first uses never see half a file; extracting a new model removes the folders of
 * older ones.
 */
public final class DefaultModel {

    /** The system property that moves the cache folder. */
    public static final String CACHE_PROPERTY = "nexttoken.cache";

    static final String RESOURCE_DIR = "/dev/nexttoken/default-model/";
    private static final List<String> FILES = List.of("config.json", "model.safetensors");
    private static final String FOLDER_PREFIX = "default-model-";
    private static final Logger LOG = LoggerFactory.getLogger(DefaultModel.class);

    private DefaultModel() {
    }

    /** Whether the default model's artifact is on the class path. */
    public static boolean isAvailable() {
        return resource("model.properties") != null;
    }

    /**
     * The folder holding the default model ({@code config.json} and {@code model.safetensors}),
     * extracted on first use.
     *
     * @return the folder, to pass to {@link Generator#load(Path)}
     * @throws ModelLoadException if {@code nexttoken-default-model} is not on the class path, or
     *                            its files cannot be written to the cache folder
     */
    public static synchronized Path folder() {
        if (!isAvailable()) {
            throw new ModelLoadException("the default model is not on the class path: add the dependency"
                    + " dev.nexttoken:nexttoken-default-model (nexttoken-cpu and nexttoken-cuda bring it),"
                    + " or load a model folder with Generator.load(Path)");
        }
        Properties recorded = recorded();
        Path cache = cacheRoot();
        Path target = cache.resolve(FOLDER_PREFIX + recorded.getProperty("model.safetensors.sha256").substring(0, 16));
        try {
            if (!isComplete(target, recorded)) {
                extract(cache, target, recorded);
            }
            return target;
        } catch (IOException | UncheckedIOException e) {
            throw new ModelLoadException("cannot extract the default model to " + cache + " (" + e.getMessage()
                    + "); set -D" + CACHE_PROPERTY + "=DIR to a writable folder", e);
        }
    }

    /** The cache root: the system property, {@code $XDG_CACHE_HOME/nexttoken} or {@code ~/.cache/nexttoken}. */
    static Path cacheRoot() {
        String property = System.getProperty(CACHE_PROPERTY);
        if (property != null && !property.isBlank()) {
            return Path.of(property);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "nexttoken");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "nexttoken");
    }

    private static boolean isComplete(Path folder, Properties recorded) throws IOException {
        for (String file : FILES) {
            Path path = folder.resolve(file);
            if (!Files.isRegularFile(path) || Files.size(path) != Long.parseLong(recorded.getProperty(file + ".size"))) {
                return false;
            }
        }
        return true;
    }

    private static void extract(Path cache, Path target, Properties recorded) throws IOException {
        Files.createDirectories(cache);
        Path scratch = Files.createTempDirectory(cache, ".extracting-");
        try {
            for (String file : FILES) {
                copy(file, scratch.resolve(file), recorded);
            }
            FileTrees.delete(target);                                           // an incomplete earlier copy
            try {
                Files.move(scratch, target, StandardCopyOption.ATOMIC_MOVE);
                LOG.info("extracted the default model to {}", target);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException | AtomicMoveNotSupportedException e) {
                LOG.debug("another process extracted the default model first: using {}", target);
            }
        } finally {
            FileTrees.delete(scratch);
        }
        removeOlderModels(cache, target);
    }

    private static void copy(String file, Path to, Properties recorded) throws IOException {
        MessageDigest sha = sha256();
        try (InputStream in = new DigestInputStream(open(file), sha); OutputStream out = Files.newOutputStream(to)) {
            in.transferTo(out);
        }
        String expected = recorded.getProperty(file + ".sha256");
        if (expected != null && !expected.equals(HexFormat.of().formatHex(sha.digest()))) {
            throw new IOException("the bundled " + file + " does not match its recorded SHA-256: the"
                    + " nexttoken-default-model jar is damaged");
        }
    }

    /** Folders of other default models (an older or newer version), and scratch folders left by a crash. */
    private static void removeOlderModels(Path cache, Path current) {
        try (Stream<Path> entries = Files.list(cache)) {
            for (Path entry : entries.toList()) {
                String name = entry.getFileName().toString();
                boolean stale = name.startsWith(FOLDER_PREFIX) || (name.startsWith(".extracting-")
                        && Files.getLastModifiedTime(entry).toMillis() < System.currentTimeMillis() - 3_600_000);
                if (stale && !entry.equals(current)) {
                    FileTrees.delete(entry);
                    LOG.info("removed {}, an earlier default model", entry);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.debug("could not clean {}: {}", cache, e.toString());       // a leftover costs disk only
        }
    }

    private static Properties recorded() {
        Properties properties = new Properties();
        try (InputStream in = open("model.properties")) {
            properties.load(in);
        } catch (IOException e) {
            throw new ModelLoadException("cannot read the default model's model.properties: " + e.getMessage(), e);
        }
        return properties;
    }

    private static InputStream open(String file) throws IOException {
        URL url = resource(file);
        if (url == null) {
            throw new IOException("the bundled default model lacks " + file);
        }
        return url.openStream();
    }

    private static URL resource(String file) {
        URL url = DefaultModel.class.getResource(RESOURCE_DIR + file);
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        if (url == null && context != null) {
            url = context.getResource(RESOURCE_DIR.substring(1) + file);
        }
        return url;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }
}
