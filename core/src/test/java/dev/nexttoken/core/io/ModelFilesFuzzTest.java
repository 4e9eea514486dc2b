package dev.nexttoken.core.io;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.nexttoken.core.ModelLoadException;
import dev.nexttoken.core.model.Gpt2Config;
import dev.nexttoken.core.model.Gpt2Weights;
import org.junit.jupiter.api.BeforeAll;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Coverage-guided fuzz tests (Jazzer) of the two files of a model folder: whatever bytes
 * {@code model.safetensors} or {@code config.json} hold, reading them gives a valid result or a
 * {@link ModelLoadException}, never another exception, a hang or a JVM crash.
 *
 * <p>In the normal suite each target runs only its seed corpus, the files in
 * {@code src/test/resources/dev/nexttoken/core/io/ModelFilesFuzzTestInputs/<method>/}, plus the
 * empty input. With {@code JAZZER_FUZZ=1} one target is fuzzed for its {@code maxDuration} (see
 * the README for the command); a finding is written to that folder and so becomes a regression
 * test.
 */
class ModelFilesFuzzTest {

    /** One folder for the whole run: the targets write their input into it at every execution. */
    private static final Path DIR = tempDir();

    /**
     * {@code src/test/resources/junit-platform.properties} turns Jazzer's instrumentation off for
     * the fast regression runs; fuzzing without it would be blind, so refuse to start.
     */
    @BeforeAll
    static void fuzzingNeedsTheInstrumentation() {
        String fuzz = System.getenv("JAZZER_FUZZ");
        if (fuzz != null && !fuzz.isEmpty() && !"true".equals(System.getProperty("jazzer.hooks"))) {
            throw new IllegalStateException("JAZZER_FUZZ is set but Jazzer's instrumentation is off"
                    + " (junit-platform.properties): add -Djazzer.hooks=true to fuzz with coverage guidance");
        }
    }

    /**
     * Arbitrary bytes as {@code model.safetensors}: {@link SafetensorsFile#open} either fails with
     * {@link ModelLoadException} or gives a file whose every loadable tensor loads (zero-copy and
     * as a copy) with the header's shape and exactly the values its bytes encode, whose
     * {@code firstNonFinite} finds the first NaN or infinity, and whose other tensors are refused
     * with {@link ModelLoadException}.
     */
    @FuzzTest(maxDuration = "2m")
    void safetensorsBytesLoadOrFailWithModelLoadException(FuzzedDataProvider data) throws IOException {
        byte[] bytes = data.consumeRemainingAsBytes();
        Path file = Files.write(DIR.resolve("model.safetensors"), bytes);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            long dataStart = 8 + ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
            for (String name : st.names()) {
                checkTensor(st, st.info(name), bytes, dataStart);
            }
        } catch (ModelLoadException expected) {
            // a damaged file, reported as such
        } finally {
            Files.delete(file);         // a new file (inode) next time: arrays still mapped keep the old one
        }
    }

    /**
     * Arbitrary bytes as {@code config.json}: {@link ConfigJson#read} gives a valid configuration
     * or fails with {@link ModelLoadException}; a folder of that configuration and the tiny
     * fixture's weights then loads (when they agree) or fails with {@link ModelLoadException}.
     */
    @FuzzTest(maxDuration = "2m")
    void configJsonParsesOrFailsWithModelLoadException(FuzzedDataProvider data) throws IOException {
        Path config = Files.write(DIR.resolve("config.json"), data.consumeRemainingAsBytes());
        Gpt2Config parsed;
        try {
            parsed = ConfigJson.read(config);
        } catch (ModelLoadException expected) {
            return;
        }
        if (parsed.nLayer() < 1 || parsed.nHead() < 1 || parsed.nEmbd() % parsed.nHead() != 0
                || parsed.nPositions() < 1 || parsed.vocabSize() < 1 || !(parsed.layerNormEpsilon() > 0)) {
            throw new AssertionError("read an invalid configuration: " + parsed);
        }
        Path weights = DIR.resolve("model.safetensors");
        if (!Files.exists(weights)) {
            Files.createSymbolicLink(weights, TestFiles.tinyWeights());
        }
        try (Gpt2Weights loaded = Gpt2Weights.load(DIR)) {
            if (!loaded.config().equals(parsed)) {
                throw new AssertionError("loaded " + loaded.config() + " from " + parsed);
            }
        } catch (ModelLoadException expected) {
            // the configuration disagrees with the tiny model's tensors
        }
    }

    /** Loads one tensor every way there is and compares it with the bytes of the file. */
    private static void checkTensor(SafetensorsFile st, TensorInfo info, byte[] bytes, long dataStart) {
        String name = info.name();
        long count = info.elementCount();
        if (!info.dtype().isLoadable()) {
            expectModelLoadException(() -> st.load(name), name);
            expectModelLoadException(() -> st.loadCopy(name), name);
            if (st.firstNonFinite(name) != -1) {
                throw new AssertionError(name + ": firstNonFinite of a " + info.dtype() + " tensor");
            }
            return;
        }
        float[] expected = decode(info, bytes, dataStart);
        long firstNonFinite = -1;
        for (int i = 0; i < expected.length && firstNonFinite < 0; i++) {
            firstNonFinite = Float.isFinite(expected[i]) ? -1 : i;
        }
        if (st.firstNonFinite(name) != firstNonFinite) {
            throw new AssertionError(name + ": firstNonFinite " + st.firstNonFinite(name) + ", expected " + firstNonFinite);
        }
        for (INDArray array : new INDArray[] {st.load(name), st.loadCopy(name)}) {
            if (array.dataType() != DataType.FLOAT || !Arrays.equals(array.shape(), info.shape())
                    || array.length() != count) {
                throw new AssertionError(name + ": loaded " + array.dataType() + " " + Arrays.toString(array.shape())
                        + " for " + info);
            }
            float[] actual = count == 0 ? new float[0] : array.data().asFloat();
            if (actual.length < count || !Arrays.equals(Arrays.copyOf(actual, (int) count), expected)) {
                throw new AssertionError(name + ": loaded values differ from the file's bytes (" + info + ")");
            }
        }
    }

    /** The tensor's values straight from the file's bytes: the reference the reader must match. */
    private static float[] decode(TensorInfo info, byte[] bytes, long dataStart) {
        int size = info.dtype().byteSize();
        float[] values = new float[Math.toIntExact(info.elementCount())];
        ByteBuffer data = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < values.length; i++) {
            int at = Math.toIntExact(dataStart + info.begin() + (long) i * size);
            values[i] = switch (info.dtype()) {
                case F32 -> data.getFloat(at);
                case F16 -> Float16.halfToFloat(data.getShort(at));
                case BF16 -> Float16.bf16ToFloat(data.getShort(at));
                default -> throw new AssertionError(info.dtype());
            };
        }
        return values;
    }

    private static void expectModelLoadException(Runnable call, String name) {
        try {
            call.run();
        } catch (ModelLoadException expected) {
            return;
        }
        throw new AssertionError(name + ": loading a tensor of a type that cannot be loaded did not fail");
    }

    private static Path tempDir() {
        try {
            Path dir = Files.createTempDirectory("nexttoken-fuzz");
            dir.toFile().deleteOnExit();                                     // deleted last: after its files
            dir.resolve("config.json").toFile().deleteOnExit();
            dir.resolve("model.safetensors").toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
