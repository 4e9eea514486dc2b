package dev.nexttoken.spark;

import dev.nexttoken.core.ModelLoadException;
import dev.nexttoken.core.io.FileTrees;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Brings a model folder from a Hadoop filesystem to local disk, where the weights can be read or
 * memory-mapped. A folder on the local filesystem is used in place. A remote one is copied into
 * {@code <cache>/<digest>}, named after its URI, sizes and modification times, so an executor
 * that already holds an unchanged copy (from an earlier application) does not fetch it again;
 * the copy is written into a scratch folder and moved into place in one step, so two JVMs
 * fetching at once never see half a file.
 */
final class ModelFetcher {

    /** The system property that moves the local cache ({@code java.io.tmpdir/nexttoken-spark} by default). */
    static final String CACHE_PROPERTY = "nexttoken.spark.cache";

    private static final List<String> REQUIRED = List.of("config.json", "model.safetensors");
    private static final Logger LOG = LoggerFactory.getLogger(ModelFetcher.class);

    private ModelFetcher() {
    }

    /**
     * The local folder holding the model at {@code folder}.
     *
     * @throws ModelLoadException if the folder cannot be listed, lacks a required file, or cannot be copied
     */
    static Path fetch(URI folder, Configuration conf) {
        try {
            FileSystem fs = FileSystem.get(folder, conf);
            if (fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem) {
                org.apache.hadoop.fs.Path remote = new org.apache.hadoop.fs.Path(folder);
                requiredFiles(fs, remote);
                return Path.of(fs.makeQualified(remote).toUri());
            }
            return copyToCache(fs, folder, cacheRoot());
        } catch (IOException e) {
            throw new ModelLoadException("cannot fetch the model folder " + folder + ": " + e, e);
        }
    }

    /** The copy of {@code folder} in {@code cache}, made now unless an unchanged copy is there. */
    static Path copyToCache(FileSystem fs, URI folder, Path cache) throws IOException {
        FileStatus[] files = requiredFiles(fs, new org.apache.hadoop.fs.Path(folder));
        Path target = cache.resolve("model-" + digest(folder, files));
        if (isComplete(target, files)) {
            return target;
        }
        Files.createDirectories(cache);
        Path scratch = Files.createTempDirectory(cache, ".fetching-");
        try {
            for (FileStatus file : files) {
                try (InputStream in = fs.open(file.getPath())) {
                    Files.copy(in, scratch.resolve(file.getPath().getName()));
                }
            }
            try {
                Files.move(scratch, target, StandardCopyOption.ATOMIC_MOVE);
                LOG.info("fetched the model {} to {}", folder, target);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException | AtomicMoveNotSupportedException e) {
                LOG.debug("another JVM fetched {} first: using {}", folder, target);
            }
        } finally {
            FileTrees.delete(scratch);
        }
        return target;
    }

    private static FileStatus[] requiredFiles(FileSystem fs, org.apache.hadoop.fs.Path folder) throws IOException {
        FileStatus[] found = new FileStatus[REQUIRED.size()];
        for (int i = 0; i < found.length; i++) {
            org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(folder, REQUIRED.get(i));
            if (!fs.exists(file)) {
                throw new ModelLoadException("the model folder " + folder + " has no " + REQUIRED.get(i)
                        + ": a model folder holds config.json and model.safetensors (a Hugging Face GPT-2 folder)");
            }
            found[i] = fs.getFileStatus(file);
        }
        return found;
    }

    static Path cacheRoot() {
        String property = System.getProperty(CACHE_PROPERTY);
        return property != null && !property.isBlank() ? Path.of(property)
                : Path.of(System.getProperty("java.io.tmpdir"), "nexttoken-spark");
    }

    private static boolean isComplete(Path folder, FileStatus[] files) throws IOException {
        for (FileStatus file : files) {
            Path local = folder.resolve(file.getPath().getName());
            if (!Files.isRegularFile(local) || Files.size(local) != file.getLen()) {
                return false;
            }
        }
        return true;
    }

    private static String digest(URI folder, FileStatus[] files) {
        StringBuilder identity = new StringBuilder(folder.toString());
        for (FileStatus file : files) {
            identity.append('\n').append(file.getPath().getName()).append(' ').append(file.getLen())
                    .append(' ').append(file.getModificationTime());
        }
        try {
            byte[] sha = MessageDigest.getInstance("SHA-256").digest(identity.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }
}
