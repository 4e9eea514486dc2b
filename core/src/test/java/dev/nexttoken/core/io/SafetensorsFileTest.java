package dev.nexttoken.core.io;

import dev.nexttoken.core.ModelLoadException;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static dev.nexttoken.core.io.TestFiles.assertContains;
import static dev.nexttoken.core.io.TestFiles.f32Bytes;
import static dev.nexttoken.core.io.TestFiles.u16Bytes;
import static dev.nexttoken.core.io.TestFiles.writeRaw;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class SafetensorsFileTest {

    @TempDir
    Path dir;

    // ------------------------------------------------------------------------------------------
    // Reading good files

    @Test
    void opensTheTinyFixture() {
        try (SafetensorsFile file = SafetensorsFile.open(TestFiles.tinyWeights())) {
            assertEquals(28, file.names().size());
            assertEquals(Map.of("format", "pt"), file.metadata());
            assertEquals(new TensorInfo("h.0.attn.c_attn.weight", Dtype.F32, new long[]{64, 192}, 768, 49920),
                    file.info("h.0.attn.c_attn.weight"));
            assertEquals(64 * 192, file.info("h.0.attn.c_attn.weight").elementCount());
        }
    }

    @Test
    void loadsF32ValuesWithTheirShapes() {
        try (SafetensorsFile file = SafetensorsFile.open(TestFiles.tinyWeights())) {
            INDArray wte = file.load("wte.weight");
            assertArrayEquals(new long[]{50257, 64}, wte.shape());
            assertEquals(DataType.FLOAT, wte.dataType());
            assertEquals('c', wte.ordering());
            // reference values read with numpy
            assertEquals(0.06911683827638626f, wte.getFloat(0, 0));
            assertEquals(0.164323627948761f, wte.getFloat(0, 1));
            assertEquals(-0.39512571692466736f, wte.getFloat(50256, 63));
            assertEquals(-0.062445640563964844f, file.load("h.0.attn.c_attn.weight").getFloat(63, 191));
            INDArray lnFBias = file.load("ln_f.bias");
            assertArrayEquals(new long[]{64}, lnFBias.shape());
            assertEquals(1, lnFBias.rank());
            assertEquals(0.02949598804116249f, lnFBias.getFloat(5));
        }
    }

    @Test
    void f32IsZeroCopy() {
        try (SafetensorsFile file = SafetensorsFile.open(TestFiles.tinyWeights())) {
            INDArray wte = file.load("wte.weight");
            assertTrue(file.isMapped(wte));
            assertTrue(file.isMapped(wte.getRow(100)));
            assertFalse(file.isMapped(wte.dup()));
            // loading twice uses the same mapping
            assertEquals(wte.data().address(), file.load("wte.weight").data().address());
        }
    }

    @Test
    void loadCopyGivesWritableArraysOutsideTheMapping() {
        try (SafetensorsFile file = SafetensorsFile.open(TestFiles.tinyWeights())) {
            INDArray copy = file.loadCopy("ln_f.bias");
            assertFalse(file.isMapped(copy));
            copy.addi(1);                                               // would crash the JVM on a mapped array
            assertEquals(1.02949598804116249f, copy.getFloat(5), 1e-7);
            assertEquals(0.02949598804116249f, file.load("ln_f.bias").getFloat(5));
            assertEquals(file.load("wte.weight"), file.loadCopy("wte.weight"));
        }
    }

    @Test
    void sameDataComparesDtypeShapeAndBytes() {
        try (SafetensorsFile file = SafetensorsFile.open(TestFiles.tinyWeights())) {
            assertTrue(file.sameData("wte.weight", "wte.weight"));
            assertFalse(file.sameData("ln_f.bias", "ln_f.weight"));         // same shape, other values
            assertFalse(file.sameData("ln_f.bias", "wpe.weight"));
        }
        Path file = writeRaw(dir.resolve("x.safetensors"),
                "{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                        + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]},"
                        + "\"c\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[8,12]}}",
                concat(u16Bytes(0x3C00, 0x4000), u16Bytes(0x3C00, 0x4000), u16Bytes(0x3C00, 0x4000)));
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertTrue(st.sameData("a", "c"));
            assertFalse(st.sameData("a", "b"));                              // same bytes, other dtype
        }
    }

    /** The array reads the file's pages: a change written to the file shows in the array at once. */
    @Test
    void f32ArraySeesTheFileItself() throws IOException {
        Path copy = Files.copy(TestFiles.tinyWeights(), dir.resolve("model.safetensors"));
        try (SafetensorsFile file = SafetensorsFile.open(copy)) {
            INDArray bias = file.load("ln_f.bias");
            assertEquals(0.02949598804116249f, bias.getFloat(5));
            long position = 8 + 2288 + file.info("ln_f.bias").begin() + 5 * 4;
            try (FileChannel channel = FileChannel.open(copy, StandardOpenOption.WRITE)) {
                channel.write(ByteBuffer.wrap(f32Bytes(42.5f)), position);
            }
            assertEquals(42.5f, bias.getFloat(5));
        }
    }

    @Test
    void f16LoadsAsFloat32EqualToTheF32ModelToHalfPrecision() {
        try (SafetensorsFile f32 = SafetensorsFile.open(TestFiles.tinyWeights());
             SafetensorsFile f16 = SafetensorsFile.open(TestFiles.fixture("tiny-f16").resolve("model.safetensors"))) {
            assertEquals(f32.names(), f16.names());
            for (String name : f32.names()) {
                assertEquals(Dtype.F16, f16.info(name).dtype());
                INDArray exact = f32.load(name);
                INDArray half = f16.load(name);
                assertEquals(DataType.FLOAT, half.dataType());
                assertArrayEquals(exact.shape(), half.shape(), name);
                assertFalse(f16.isMapped(half));
                // |x - half(x)| <= half an ulp of half precision: |x|·2^-11, or 2^-25 among subnormals
                float[] x = exact.data().asFloat();
                float[] h = half.data().asFloat();
                boolean differs = false;
                for (int i = 0; i < x.length; i++) {
                    double bound = Math.max(Math.abs(x[i]) * 0x1p-11, 0x1p-25);
                    if (Math.abs(x[i] - h[i]) > bound || Float16.halfToFloat(Float16.floatToHalf(x[i])) != h[i]) {
                        fail(name + "[" + i + "]: F32 " + x[i] + " but F16 " + h[i]);
                    }
                    differs |= x[i] != h[i];
                }
                assertTrue(differs, name + " should differ somewhere from the F32 copy");
            }
            // a value numpy converted: wte[0, 0] = 0.06911684 is stored as 0.069091796875
            assertEquals(0.069091796875f, f16.load("wte.weight").getFloat(0, 0));
        }
    }

    @Test
    void decodesHandMadeF16AndBf16() {
        Path file = writeRaw(dir.resolve("x.safetensors"),
                "{\"h\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[8,14]}}",
                concat(u16Bytes(0x3C00, 0x0001, 0xFBFF, 0x8000), u16Bytes(0x3F80, 0xC000, 0x3E20)));
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            INDArray h = st.load("h");
            assertArrayEquals(new long[]{2, 2}, h.shape());
            assertArrayEquals(new float[]{1f, 0x1p-24f, -65504f, -0f}, h.data().asFloat());
            assertArrayEquals(new float[]{1f, -2f, 0.15625f}, st.load("b").data().asFloat());
        }
    }

    @Test
    void unalignedF32IsCopied() {
        // 'a' takes 2 bytes, so 'b' starts 2 bytes past a 4-byte boundary
        String header = pad("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[2,14]}}");
        Path file = writeRaw(dir.resolve("x.safetensors"), header, concat(new byte[2], f32Bytes(1.5f, -2.25f, 3e-3f)));
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            INDArray b = st.load("b");
            assertFalse(st.isMapped(b));
            assertArrayEquals(new float[]{1.5f, -2.25f, 3e-3f}, b.data().asFloat());
        }
    }

    @Test
    void scalarAndEmptyTensors() {
        Path file = writeRaw(dir.resolve("x.safetensors"),
                "{\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
                        + "\"e\":{\"dtype\":\"F32\",\"shape\":[0,4],\"data_offsets\":[4,4]}}",
                f32Bytes(-1e4f));
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            INDArray s = st.load("s");
            assertEquals(0, s.rank());
            assertEquals(-1e4f, s.getFloat(0));
            INDArray e = st.load("e");
            assertEquals(0, e.length());
        }
    }

    @Test
    void largerTensorsAreConvertedInChunks() {
        // more elements than one conversion chunk (2^20), with a recognisable pattern
        int n = (1 << 20) + 3;
        float[] pattern = new float[n];
        for (int i = 0; i < n; i++) {
            pattern[i] = (float) Math.sin(i * 1e-3) * (1 + i % 7);
        }
        INDArray values = Nd4j.create(pattern, new long[]{1, n}, DataType.FLOAT);
        Path file = dir.resolve("big.safetensors");
        SafetensorsFile.write(file, Map.of("v", values), Dtype.BF16);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            INDArray loaded = st.load("v");
            assertArrayEquals(new long[]{1, n}, loaded.shape());
            for (int i : new int[]{0, 1, 1 << 20, n - 1}) {
                float expected = Float16.bf16ToFloat(Float16.floatToBf16(values.getFloat(0, i)));
                assertEquals(expected, loaded.getFloat(0, i), "element " + i);
            }
        }
    }

    @Test
    void largeF32CopiesAreReadInParallelChunksIntoTheArray() throws IOException {
        // three and a bit read chunks (2^20 floats each), every element checked
        int n = 3 * (1 << 20) + 5;
        float[] pattern = new float[n];
        for (int i = 0; i < n; i++) {
            pattern[i] = i * 0.25f - 7f;
        }
        Path file = dir.resolve("big32.safetensors");
        SafetensorsFile.write(file, Map.of("v", Nd4j.create(pattern, new long[]{n}, DataType.FLOAT)), Dtype.F32);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            INDArray copy = st.loadCopy("v");
            assertFalse(st.isMapped(copy));
            assertArrayEquals(pattern, copy.data().asFloat());
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                channel.truncate(Files.size(file) - 4 * 1000);      // cut the last chunk short after opening
            }
            ModelLoadException e = assertThrows(ModelLoadException.class, () -> st.loadCopy("v"));
            assertTrue(e.getMessage().contains("tensor 'v': unexpected end of file"), e.getMessage());
        }
    }

    @Test
    void copyWindowsReachPastTwoGigabytes() {
        // the window of a chunk 3 GB into a (large) array: never touched here, only its address checked
        try (BytePointer base = new BytePointer(16)) {
            long from = 3L << 30;
            ByteBuffer window = SafetensorsFile.window(base, from, 4096);
            assertEquals(0, window.position());
            assertEquals(4096, window.remaining());
            assertEquals(base.address() + from, new Pointer(window).address());
        }
    }

    @Test
    void scansForNonFiniteValues() {
        Path file = writeRaw(dir.resolve("x.safetensors"), pad(
                "{\"ok\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"nan\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[8,20]},"
                        + "\"inf16\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[20,26]},"
                        + "\"infbf\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[26,28]}}"),
                concat(f32Bytes(1, 2), f32Bytes(1, Float.NaN, 3), u16Bytes(0x3C00, 0x3C00, 0xFC00), u16Bytes(0x7F80)));
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals(-1, st.firstNonFinite("ok"));
            assertEquals(1, st.firstNonFinite("nan"));
            assertEquals(2, st.firstNonFinite("inf16"));
            assertEquals(0, st.firstNonFinite("infbf"));
        }
    }

    @Test
    void nonFloatDtypesAreValidatedButNotLoaded() {
        Path file = writeRaw(dir.resolve("x.safetensors"),
                "{\"i\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}", new byte[16]);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals(Dtype.I64, st.info("i").dtype());
            ModelLoadException e = assertThrows(ModelLoadException.class, () -> st.load("i"));
            assertEquals(file + ": tensor 'i' has dtype I64; only F32, F16 and BF16 tensors can be loaded",
                    e.getMessage());
            ModelLoadException unknown = assertThrows(ModelLoadException.class, () -> st.load("j"));
            assertEquals(file + ": no tensor named 'j'", unknown.getMessage());
        }
    }

    @Test
    void closeIsIdempotentAndStopsLoading() {
        SafetensorsFile file = SafetensorsFile.open(TestFiles.tinyWeights());
        file.close();
        file.close();
        assertThrows(IllegalStateException.class, () -> file.load("wte.weight"));
        assertEquals(28, file.names().size());
    }

    /** Arrays (and their views) keep their mapping alive after the file is closed and collected. */
    @Test
    void arraysOutliveTheirFile() throws InterruptedException {
        INDArray row;
        try (SafetensorsFile file = SafetensorsFile.open(TestFiles.tinyWeights())) {
            row = file.load("wte.weight").getRow(50256);
        }
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(-0.39512571692466736f, row.getFloat(63));
        assertEquals(64, row.length());
    }

    // ------------------------------------------------------------------------------------------
    // Writing

    @Test
    void writesF32AndReadsItBack() throws IOException {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        tensors.put("m", Nd4j.createFromArray(new float[][]{{1, 2, 3}, {4, 5, 6}}));
        tensors.put("t", Nd4j.createFromArray(new float[][]{{1, 2, 3}, {4, 5, 6}}).transpose()); // a strided view
        tensors.put("d", Nd4j.createFromArray(0.1, 0.2));                                         // doubles
        tensors.put("s", Nd4j.scalar(7f));
        Path file = dir.resolve("w.safetensors");
        SafetensorsFile.write(file, tensors, Dtype.F32);
        long headerLength = ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + headerLength) % 8, "data section must start 8-byte aligned");
        assertFalse(Files.exists(dir.resolve("w.safetensors.tmp")));
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals(java.util.List.of("m", "t", "d", "s"), java.util.List.copyOf(st.names()));
            assertEquals(Map.of("format", "pt"), st.metadata());
            assertEquals(tensors.get("m"), st.load("m"));
            assertArrayEquals(new long[]{3, 2}, st.load("t").shape());
            assertArrayEquals(new float[]{1, 4, 2, 5, 3, 6}, st.load("t").data().asFloat());
            assertArrayEquals(new float[]{0.1f, 0.2f}, st.load("d").data().asFloat());
            assertEquals(0, st.info("s").shape().length);
            assertEquals(7f, st.load("s").getFloat(0));
        }
    }

    /** Saving over the file the weights are mapped from: the old arrays keep the old data. */
    @Test
    void overwritingAMappedFileLeavesTheLoadedArraysIntact() throws IOException {
        Path file = Files.copy(TestFiles.tinyWeights(), dir.resolve("model.safetensors"));
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            INDArray wte = st.load("wte.weight");
            assertTrue(st.isMapped(wte));
            SafetensorsFile.write(file, Map.of("x", Nd4j.scalar(1f)), Dtype.F32);
            assertEquals(-0.39512571692466736f, wte.getFloat(50256, 63));
        }
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals(java.util.Set.of("x"), st.names());
        }
    }

    @Test
    void writesF16AndBf16WithRoundingToNearestEven() {
        INDArray values = Nd4j.createFromArray(1f, 0.1f, -65519f, 70000f, 1e-8f, 3.14159f);
        for (Dtype dtype : new Dtype[]{Dtype.F16, Dtype.BF16}) {
            Path file = dir.resolve(dtype + ".safetensors");
            SafetensorsFile.write(file, Map.of("v", values), dtype);
            try (SafetensorsFile st = SafetensorsFile.open(file)) {
                assertEquals(dtype, st.info("v").dtype());
                float[] loaded = st.load("v").data().asFloat();
                for (int i = 0; i < loaded.length; i++) {
                    float v = values.getFloat(i);
                    float expected = dtype == Dtype.F16 ? Float16.halfToFloat(Float16.floatToHalf(v))
                            : Float16.bf16ToFloat(Float16.floatToBf16(v));
                    assertEquals(expected, loaded[i], dtype + " element " + i);
                }
                if (dtype == Dtype.F16) {
                    assertEquals(Float.POSITIVE_INFINITY, loaded[3]);
                    assertEquals(-65504f, loaded[2]);
                }
            }
        }
    }

    @Test
    void writeRefusesOtherDtypes() {
        assertThrows(IllegalArgumentException.class,
                () -> SafetensorsFile.write(dir.resolve("x"), Map.of("a", Nd4j.scalar(1f)), Dtype.I32));
        assertThrows(IllegalArgumentException.class,
                () -> SafetensorsFile.write(dir.resolve("x"), Map.of("__metadata__", Nd4j.scalar(1f)), Dtype.F32));
    }

    // ------------------------------------------------------------------------------------------
    // Bad files: one test per case, each message names the file and (where there is one) the tensor

    @Test
    void zeroByteFile() throws IOException {
        Path file = Files.createFile(dir.resolve("empty.safetensors"));
        assertOpenFails(file, file + ": the file is empty (0 bytes), not a safetensors file");
    }

    @Test
    void fileShorterThanTheHeaderLength() throws IOException {
        Path file = Files.write(dir.resolve("short.safetensors"), new byte[]{1, 2, 3});
        assertOpenFails(file, file + ": the file is too short (3 bytes) to be a safetensors file: it must start"
                + " with an 8-byte header length");
    }

    @Test
    void headerLengthBeyondTheFile() throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(8 + 20).order(ByteOrder.LITTLE_ENDIAN).putLong(1000);
        Path file = Files.write(dir.resolve("x.safetensors"), bytes.array());
        assertOpenFails(file, file + ": header length 1000 (the first 8 bytes) goes beyond the end of the file"
                + " (28 bytes): the file is truncated or not a safetensors file");
    }

    @Test
    void headerLengthWithTheTopBitSet() throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L);
        Path file = Files.write(dir.resolve("x.safetensors"), bytes.array());
        assertOpenFails(file, file + ": header length 18446744073709551615 (the first 8 bytes) goes beyond the end"
                + " of the file (16 bytes): the file is truncated or not a safetensors file");
    }

    @Test
    void notASafetensorsFileAtAll() throws IOException {
        Path file = Files.writeString(dir.resolve("config.json"), "{\"n_layer\": 12, \"n_head\": 12}");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> SafetensorsFile.open(file));
        assertContains(e.getMessage(), file + ": header length ", "goes beyond the end of the file");
    }

    @Test
    void malformedHeaderJson() {
        Path file = writeRaw(dir.resolve("x.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],,\"data_offsets\":[0,4]}}", f32Bytes(1));
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> SafetensorsFile.open(file));
        assertContains(e.getMessage(), file + ": malformed header JSON: ", "(at byte ");
    }

    @Test
    void headerWithTrailingGarbage() {
        Path file = writeRaw(dir.resolve("x.safetensors"), "{} x", new byte[0]);
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> SafetensorsFile.open(file));
        assertContains(e.getMessage(), file + ": malformed header JSON: ");
    }

    @Test
    void headerWithADuplicateTensor() {
        Path file = writeRaw(dir.resolve("x.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", f32Bytes(1, 2));
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> SafetensorsFile.open(file));
        assertContains(e.getMessage(), file + ": malformed header JSON: ", "Duplicate field 'a'");
    }

    @Test
    void headerThatIsNotAnObject() {
        Path file = writeRaw(dir.resolve("x.safetensors"), "[1, 2]", new byte[0]);
        assertOpenFails(file, file + ": malformed header JSON: expected an object, found array");
    }

    @Test
    void missingDtype() {
        Path file = writeRaw(dir.resolve("x.safetensors"),
                "{\"h.0.ln_1.weight\":{\"shape\":[1],\"data_offsets\":[0,4]}}", f32Bytes(1));
        assertOpenFails(file, file + ": tensor 'h.0.ln_1.weight': header entry has no 'dtype'");
    }

    @Test
    void missingShape() {
        Path file = writeRaw(dir.resolve("x.safetensors"),
                "{\"h.0.ln_1.weight\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", f32Bytes(1));
        assertOpenFails(file, file + ": tensor 'h.0.ln_1.weight': header entry has no 'shape'");
    }

    @Test
    void missingDataOffsets() {
        Path file = writeRaw(dir.resolve("x.safetensors"),
                "{\"h.0.ln_1.weight\":{\"dtype\":\"F32\",\"shape\":[1]}}", f32Bytes(1));
        assertOpenFails(file, file + ": tensor 'h.0.ln_1.weight': header entry has no 'data_offsets'");
    }

    @Test
    void malformedShapeAndOffsets() {
        Path shape = writeRaw(dir.resolve("a.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", f32Bytes(1));
        assertOpenFails(shape, shape + ": tensor 'w': 'shape' must be an array of non-negative integers, got [-1]");
        Path offsets = writeRaw(dir.resolve("b.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", f32Bytes(1));
        assertOpenFails(offsets, offsets + ": tensor 'w': 'data_offsets' must be an array of 2 non-negative"
                + " integers, got [0]");
        Path backwards = writeRaw(dir.resolve("c.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", f32Bytes(1));
        assertOpenFails(backwards, backwards + ": tensor 'w': data_offsets [4, 0] end before they begin");
        Path entry = writeRaw(dir.resolve("d.safetensors"), "{\"w\":[1,2]}", new byte[0]);
        assertOpenFails(entry, entry + ": tensor 'w': header entry must be an object with dtype, shape and"
                + " data_offsets, got [1,2]");
    }

    @Test
    void metadataMustHoldStrings() {
        Path file = writeRaw(dir.resolve("x.safetensors"), "{\"__metadata__\":{\"format\":1}}", new byte[0]);
        assertOpenFails(file, file + ": malformed header: '__metadata__' value 'format' must be a string, got 1");
    }

    @Test
    void unsupportedDtype() {
        Path file = writeRaw(dir.resolve("x.safetensors"),
                "{\"wte.weight\":{\"dtype\":\"Q4_K\",\"shape\":[4],\"data_offsets\":[0,4]}}", new byte[4]);
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> SafetensorsFile.open(file));
        assertContains(e.getMessage(), file + ": tensor 'wte.weight': unsupported dtype 'Q4_K' (safetensors dtypes: ",
                "F16, BF16", "F32");
    }

    @Test
    void byteSizeDisagreeingWithShape() {
        Path file = writeRaw(dir.resolve("x.safetensors"),
                "{\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", f32Bytes(1, 2));
        assertOpenFails(file, file + ": tensor 'wpe.weight' (F32, shape [3]) needs 12 bytes, but its data_offsets"
                + " [0, 8] hold 8");
    }

    @Test
    void offsetsOutOfRange() {
        Path file = writeRaw(dir.resolve("x.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
                        + "\"ln_f.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[100,112]}}",
                f32Bytes(1, 2, 3));
        assertOpenFails(file, file + ": tensor 'ln_f.bias' has data_offsets [100, 112] out of range: the data section"
                + " holds only 12 bytes (the header is corrupt or the file is truncated)");
    }

    @Test
    void truncatedFile() throws IOException {
        Path file = Files.copy(TestFiles.tinyWeights(), dir.resolve("model.safetensors"));
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(6_000_000);
        }
        assertOpenFails(file, file + ": the file is truncated: its header describes 13274368 bytes of tensor data"
                + " but only 5997704 are present (file size 6000000, expected 13276664); tensor 'wte.weight'"
                + " is incomplete");
    }

    @Test
    void overlappingOffsets() {
        Path file = writeRaw(dir.resolve("x.safetensors"),
                "{\"h.0.ln_1.weight\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
                        + "\"h.0.ln_1.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[8,20]}}",
                f32Bytes(1, 2, 3, 4, 5));
        assertOpenFails(file, file + ": tensors 'h.0.ln_1.weight' [0, 12] and 'h.0.ln_1.bias' [8, 20] have"
                + " overlapping data_offsets");
    }

    @Test
    void directoryInsteadOfFile() {
        assertOpenFails(dir, dir + ": is a directory, expected a .safetensors file");
    }

    @Test
    void missingFile() {
        Path file = dir.resolve("nope.safetensors");
        assertOpenFails(file, file + ": file not found");
    }

    /**
     * Damaged headers: any change to the header bytes of a valid file gives either a file that
     * opens and loads or a ModelLoadException, never another exception or a crash.
     */
    @Test
    void randomlyDamagedHeadersNeverGiveAnythingButModelLoadException() throws IOException {
        String header = pad("{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                + "\"b\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[24,32]},"
                + "\"c\":{\"dtype\":\"BF16\",\"shape\":[],\"data_offsets\":[32,34]}}");
        byte[] valid = Files.readAllBytes(writeRaw(dir.resolve("valid.safetensors"), header,
                concat(f32Bytes(1, 2, 3, 4, 5, 6), u16Bytes(0x3C00, 0x4000, 0x4200, 0x4400), u16Bytes(0x3F80))));
        Random random = new Random(7);
        Path file = dir.resolve("damaged.safetensors");
        int opened = 0;
        for (int trial = 0; trial < 1000; trial++) {
            byte[] damaged = valid.clone();
            for (int k = 0; k <= random.nextInt(3); k++) {
                int position = random.nextInt(8 + header.length());
                damaged[position] = (byte) (random.nextBoolean() ? random.nextInt(256) : "0123456789[]{},\"".charAt(random.nextInt(16)));
            }
            if (random.nextInt(10) == 0) {
                damaged = java.util.Arrays.copyOf(damaged, random.nextInt(damaged.length));
            }
            Files.write(file, damaged);
            try (SafetensorsFile st = SafetensorsFile.open(file)) {
                opened++;
                for (String name : st.names()) {
                    if (st.info(name).dtype().isLoadable()) {
                        assertDoesNotThrow(() -> st.load(name).sumNumber(), "trial " + trial + " tensor " + name);
                    }
                }
            } catch (ModelLoadException expected) {
                // the point of the test
            }
        }
        assertTrue(opened > 0 && opened < 1000, "opened " + opened);
    }

    // ------------------------------------------------------------------------------------------

    private static void assertOpenFails(Path file, String message) {
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> SafetensorsFile.open(file));
        assertEquals(message, e.getMessage());
    }

    /** Pads a header with spaces to a multiple of 8 bytes, as writers do. */
    private static String pad(String header) {
        int length = header.getBytes(StandardCharsets.UTF_8).length;
        return header + " ".repeat((8 - length % 8) % 8);
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        ByteBuffer all = ByteBuffer.allocate(length);
        for (byte[] part : parts) {
            all.put(part);
        }
        return all.array();
    }
}
