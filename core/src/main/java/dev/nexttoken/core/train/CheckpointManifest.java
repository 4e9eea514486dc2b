package dev.nexttoken.core.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nexttoken.core.ModelLoadException;
import dev.nexttoken.core.NextTokenException;
import dev.nexttoken.core.io.AtomicFiles;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The list of a checkpoint folder's files with their sizes and SHA-256 sums, and the step they
 * hold: {@code manifest.json}, written after every other file of the checkpoint. Its presence
 * says the folder was written to the end; its sums say no file was cut short, lost or replaced
 * since.
 *
 * <pre>
 *   {"format": 1, "step": 30,
 *    "files": {"model.safetensors": {"size": 123, "sha256": "ab12..."}, ...}}
 * </pre>
 *
 * @param step  the optimizer steps the checkpoint holds
 * @param files each file's name (in the folder) and digest, in writing order
 */
public record CheckpointManifest(long step, Map<String, FileDigest> files) {

    /** The manifest's file name in a checkpoint folder. */
    public static final String FILE = "manifest.json";
    private static final int FORMAT = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The size and SHA-256 sum of one file.
     *
     * @param size   bytes
     * @param sha256 the sum, 64 lowercase hex digits
     */
    public record FileDigest(long size, String sha256) {
    }

    /**
     * @param step  the optimizer steps the checkpoint holds
     * @param files each file's digest
     */
    public CheckpointManifest {
        files = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(files, "files")));
    }

    /**
     * Digests the named files of a folder.
     *
     * @param folder the checkpoint folder
     * @param step   the steps its files hold
     * @param names  the files to list
     * @return the manifest
     * @throws NextTokenException if a file cannot be read
     */
    public static CheckpointManifest describe(Path folder, long step, List<String> names) {
        Map<String, FileDigest> files = new LinkedHashMap<>();
        for (String name : names) {
            Path file = folder.resolve(name);
            try {
                files.put(name, digest(file));
            } catch (IOException e) {
                throw new NextTokenException(file + ": cannot read back the checkpoint file: " + e, e);
            }
        }
        return new CheckpointManifest(step, files);
    }

    /**
     * Writes {@code manifest.json} into the folder, atomically and flushed to the disk.
     *
     * @param folder the checkpoint folder
     * @throws NextTokenException if it cannot be written
     */
    public void write(Path folder) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("step", step);
        ObjectNode list = root.putObject("files");
        files.forEach((name, d) -> list.putObject(name).put("size", d.size()).put("sha256", d.sha256()));
        Path file = folder.resolve(FILE);
        try {
            AtomicFiles.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
        } catch (IOException e) {
            throw new NextTokenException(file + ": cannot write the checkpoint manifest: " + e, e);
        }
    }

    /**
     * Reads a folder's {@code manifest.json}.
     *
     * @param folder the checkpoint folder
     * @return the manifest
     * @throws ModelLoadException if it is missing (the checkpoint was not written to the end) or malformed
     */
    public static CheckpointManifest read(Path folder) {
        Path file = folder.resolve(FILE);
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new ModelLoadException(folder + ": incomplete checkpoint: no " + FILE, e);
        } catch (IOException e) {
            throw new ModelLoadException(file + ": cannot read the checkpoint manifest: " + e.getMessage(), e);
        }
        if (root == null || root.path("format").asInt(-1) != FORMAT || !root.path("step").canConvertToLong()
                || !root.path("files").isObject()) {
            throw new ModelLoadException(file + ": not a checkpoint manifest of format " + FORMAT);
        }
        Map<String, FileDigest> files = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : root.get("files").properties()) {
            JsonNode d = entry.getValue();
            if (!d.path("size").canConvertToLong() || !d.path("sha256").isTextual()) {
                throw new ModelLoadException(file + ": the entry of '" + entry.getKey() + "' lacks its size or sha256");
            }
            files.put(entry.getKey(), new FileDigest(d.get("size").asLong(), d.get("sha256").asText()));
        }
        return new CheckpointManifest(root.get("step").asLong(), files);
    }

    /**
     * Checks that the folder's files are those the manifest lists: each required one listed,
     * each listed one present, of its size and SHA-256 sum.
     *
     * @param folder   the checkpoint folder
     * @param required the files a complete checkpoint has
     * @throws ModelLoadException naming the first file that is unlisted, missing, cut short or changed
     */
    public void verify(Path folder, List<String> required) {
        for (String name : required) {
            if (!files.containsKey(name)) {
                throw new ModelLoadException(folder.resolve(FILE) + ": does not list " + name);
            }
        }
        for (Map.Entry<String, FileDigest> entry : files.entrySet()) {
            Path file = folder.resolve(entry.getKey());
            FileDigest expected = entry.getValue();
            FileDigest actual;
            try {
                actual = digest(file);
            } catch (NoSuchFileException e) {
                throw new ModelLoadException(file + ": missing from the checkpoint (" + FILE + " lists it)", e);
            } catch (IOException e) {
                throw new ModelLoadException(file + ": cannot read the checkpoint file: " + e.getMessage(), e);
            }
            if (actual.size() != expected.size()) {
                throw new ModelLoadException(file + ": " + actual.size() + " bytes, but " + FILE + " says "
                        + expected.size() + ": the file was cut short or replaced");
            }
            if (!actual.sha256().equals(expected.sha256())) {
                throw new ModelLoadException(file + ": SHA-256 differs from " + FILE + ": the file was changed"
                        + " or damaged");
            }
        }
    }

    private static FileDigest digest(Path file) throws IOException {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
        long size = 0;
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha256)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                size += n;
            }
        }
        return new FileDigest(size, HexFormat.of().formatHex(sha256.digest()));
    }
}
