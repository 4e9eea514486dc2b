package dev.nexttoken.core.io;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Fixture paths and hand-made safetensors files for the io tests. */
final class TestFiles {

    private TestFiles() {
    }

    /** Asserts that {@code actual} contains every one of {@code parts}, showing it if not. */
    static void assertContains(String actual, String... parts) {
        for (String part : parts) {
            org.junit.jupiter.api.Assertions.assertTrue(actual != null && actual.contains(part),
                    "expected the message to contain <" + part + ">, but it was <" + actual + ">");
        }
    }

    /** @return a fixture folder from the test resources, such as {@code tiny} or {@code tiny-f16} */
    static Path fixture(String name) {
        URL url = TestFiles.class.getResource("/fixtures/" + name);
        if (url == null) {
            throw new IllegalStateException("test resource /fixtures/" + name + " not found");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return the tiny F32 model's safetensors file */
    static Path tinyWeights() {
        return fixture("tiny").resolve("model.safetensors");
    }

    /**
     * Writes a safetensors file by hand: the 8-byte little-endian length, the header exactly as
     * given (no padding), then the data.
     */
    static Path writeRaw(Path file, String headerJson, byte[] data) {
        byte[] header = headerJson.getBytes(StandardCharsets.UTF_8);
        ByteBuffer bytes = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putLong(header.length).put(header).put(data);
        try {
            Files.write(file, bytes.array());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** @return little-endian float32 bytes of the values */
    static byte[] f32Bytes(float... values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            bytes.putFloat(v);
        }
        return bytes.array();
    }

    /** @return little-endian 16-bit bytes of the bit patterns */
    static byte[] u16Bytes(int... values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            bytes.putShort((short) v);
        }
        return bytes.array();
    }

    /**
     * Makes a model folder in {@code dir}: the tiny model's config.json and its tensors (as
     * loaded, float32) after {@code edit} has changed them, written in {@code dtype}.
     */
    static Path modelFolder(Path dir, Dtype dtype, java.util.function.Consumer<Map<String, INDArray>> edit) {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (SafetensorsFile tiny = SafetensorsFile.open(tinyWeights())) {
            for (String name : tiny.names()) {
                tensors.put(name, tiny.load(name));
            }
            edit.accept(tensors);
            SafetensorsFile.write(dir.resolve("model.safetensors"), tensors, dtype);
        }
        copyConfig(dir);
        return dir;
    }

    /** Copies the tiny model's config.json into {@code dir}. */
    static void copyConfig(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.copy(fixture("tiny").resolve("config.json"), dir.resolve("config.json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
