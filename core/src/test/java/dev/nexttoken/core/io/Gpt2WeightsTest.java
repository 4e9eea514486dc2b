package dev.nexttoken.core.io;

import dev.nexttoken.core.ModelLoadException;
import dev.nexttoken.core.model.Gpt2Config;
import dev.nexttoken.core.model.Gpt2Weights;
import dev.nexttoken.core.model.LayerWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.nexttoken.core.io.TestFiles.assertContains;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Gpt2WeightsTest {

    private static final Gpt2Config TINY = new Gpt2Config(2, 4, 64, 32, 50257, 1e-5);

    @TempDir
    Path dir;

    // ------------------------------------------------------------------------------------------
    // Loading good folders

    @Test
    void loadsTheTinyModelWithTheContractShapes() {
        long start = System.nanoTime();
        try (Gpt2Weights w = Gpt2Weights.load(TestFiles.fixture("tiny"))) {
            long millis = (System.nanoTime() - start) / 1_000_000;
            System.err.println("loaded tiny (F32) in " + millis + " ms");
            assertEquals(TINY, w.config());
            assertShapes(w);
            assertEquals(3_318_592L, w.parameterCount());
            assertEquals(TINY.parameterCount(), w.parameterCount());
            // reference values read with numpy
            assertEquals(0.06911683827638626f, w.wte().getFloat(0, 0));
            assertEquals(0.05230353772640228f, w.wpe().getFloat(31, 0));
            assertEquals(-0.062445640563964844f, w.layers().get(0).attnW().getFloat(63, 191));
            assertEquals(0.28385090827941895f, w.layers().get(1).fcProjW().getFloat(255, 63));
            assertEquals(1.1025530099868774f, w.layers().get(1).ln2Gamma().getFloat(0));
            assertEquals(0.02949598804116249f, w.lnFBeta().getFloat(5));
        }
    }

    @Test
    void loadsTheTinyF16ModelEqualToF32ToHalfPrecision() {
        long start = System.nanoTime();
        try (Gpt2Weights f16 = Gpt2Weights.load(TestFiles.fixture("tiny-f16"));
             Gpt2Weights f32 = Gpt2Weights.load(TestFiles.fixture("tiny"))) {
            System.err.println("loaded tiny-f16 (with tiny) in " + (System.nanoTime() - start) / 1_000_000 + " ms");
            assertShapes(f16);
            assertEquals(0.069091796875f, f16.wte().getFloat(0, 0));           // numpy's float16 of 0.06911684
            assertEquals(1.1025390625f, f16.layers().get(1).ln2Gamma().getFloat(0));
            assertEquals(0.283935546875f, f16.layers().get(1).fcProjW().getFloat(255, 63));
            Map<String, INDArray> halves = f16.toTensorMap();
            f32.toTensorMap().forEach((name, exact) -> {
                double worst = exact.sub(halves.get(name)).amaxNumber().doubleValue();
                double bound = exact.amaxNumber().doubleValue() * 0x1p-11;
                assertTrue(worst <= bound, name + ": max |f32 - f16| = " + worst);
            });
        }
    }

    /** Memory-mapped F32 weights are the file's memory: no copy, whatever the model size. */
    @Test
    void memoryMappedF32WeightsAreZeroCopy() throws IOException {
        Path model = copyTiny();
        try (Gpt2Weights w = Gpt2Weights.load(model, Gpt2Weights.LoadOptions.defaults().withMemoryMapped(true));
             SafetensorsFile file = SafetensorsFile.open(model.resolve("model.safetensors"))) {
            // a change to the file on disk shows in the loaded weights: they are the mapped pages
            float before = w.lnFBeta().getFloat(5);
            long position = 8 + 2288 + file.info("ln_f.bias").begin() + 5 * 4;
            try (var channel = java.nio.channels.FileChannel.open(model.resolve("model.safetensors"),
                    java.nio.file.StandardOpenOption.WRITE)) {
                channel.write(java.nio.ByteBuffer.wrap(TestFiles.f32Bytes(before + 1)), position);
            }
            assertEquals(before + 1, w.lnFBeta().getFloat(5));
        }
    }

    @Test
    void defaultLoadCopiesIntoWritableMemory() {
        try (Gpt2Weights w = Gpt2Weights.load(TestFiles.fixture("tiny"));
             SafetensorsFile file = SafetensorsFile.open(TestFiles.tinyWeights())) {
            INDArray bias = w.lnFBeta();
            bias.addi(1);                                               // would crash the JVM on a mapped array
            assertEquals(1.02949598804116249f, bias.getFloat(5), 1e-7);
            assertEquals(0.02949598804116249f, file.load("ln_f.bias").getFloat(5));
        }
    }

    @Test
    void acceptsTheTransformerPrefix() {
        Path model = TestFiles.modelFolder(dir.resolve("prefixed"), Dtype.F32, tensors -> rename(tensors, "transformer."));
        try (Gpt2Weights w = Gpt2Weights.load(model); Gpt2Weights tiny = Gpt2Weights.load(TestFiles.fixture("tiny"))) {
            assertShapes(w);
            assertEquals(tiny.toTensorMap(), w.toTensorMap());
            assertTrue(w.toTensorMap().containsKey("wte.weight"));   // names come back without prefix
        }
    }

    @Test
    void loadsBf16() {
        Path model = TestFiles.modelFolder(dir.resolve("bf16"), Dtype.BF16, tensors -> { });
        try (Gpt2Weights w = Gpt2Weights.load(model); Gpt2Weights tiny = Gpt2Weights.load(TestFiles.fixture("tiny"))) {
            assertShapes(w);
            Map<String, INDArray> bf16 = w.toTensorMap();
            tiny.toTensorMap().forEach((name, exact) -> {
                double worst = exact.sub(bf16.get(name)).amaxNumber().doubleValue();
                assertTrue(worst <= exact.amaxNumber().doubleValue() * 0x1p-8, name + ": " + worst);
                assertNotEquals(0.0, worst, name);
            });
            float x = tiny.wte().getFloat(0, 0);
            assertEquals(Float16.bf16ToFloat(Float16.floatToBf16(x)), w.wte().getFloat(0, 0));
        }
    }

    @Test
    void tiedLmHeadIsAcceptedAndIgnored() {
        Path model = TestFiles.modelFolder(dir.resolve("lm"), Dtype.F32,
                tensors -> tensors.put("lm_head.weight", tensors.get("wte.weight")));
        try (Gpt2Weights w = Gpt2Weights.load(model)) {
            assertShapes(w);
            assertFalse(w.toTensorMap().containsKey("lm_head.weight"));
        }
        Path prefixed = TestFiles.modelFolder(dir.resolve("lm2"), Dtype.F16, tensors -> {
            rename(tensors, "transformer.");
            tensors.put("lm_head.weight", tensors.get("transformer.wte.weight"));
        });
        try (Gpt2Weights w = Gpt2Weights.load(prefixed)) {
            assertShapes(w);
        }
    }

    @Test
    void untiedLmHeadIsRefused() {
        Path model = TestFiles.modelFolder(dir.resolve("lm"), Dtype.F32,
                tensors -> tensors.put("lm_head.weight", tensors.get("wte.weight").mul(2)));
        assertLoadFails(model, model.resolve("model.safetensors") + ": tensor 'lm_head.weight' differs from"
                + " 'wte.weight': this model's output layer is not tied to the token embedding, and nexttoken"
                + " (like GPT-2) uses wte as the output layer");
    }

    @Test
    void lmHeadOfTheWrongShapeIsRefused() {
        Path model = TestFiles.modelFolder(dir.resolve("lm"), Dtype.F32,
                tensors -> tensors.put("lm_head.weight", Nd4j.zeros(DataType.FLOAT, 50257, 32)));
        assertLoadFails(model, model.resolve("model.safetensors") + ": tensor 'lm_head.weight' has shape"
                + " [50257, 32], expected [50257, 64] (vocab_size=50257, n_embd=64; tied to wte.weight)");
    }

    @Test
    void attentionBuffersAreIgnoredWhateverTheirDtype() {
        Path model = TestFiles.modelFolder(dir.resolve("buffers"), Dtype.F32, tensors -> {
            INDArray tril = Nd4j.ones(DataType.FLOAT, 32, 32);
            for (int i = 0; i < 32; i++) {
                for (int j = i + 1; j < 32; j++) {
                    tril.putScalar(i, j, 0);
                }
            }
            tensors.put("h.0.attn.bias", tril.reshape(1, 1, 32, 32));
            tensors.put("h.1.attn.bias", tril.reshape(1, 1, 32, 32));
            tensors.put("h.0.attn.masked_bias", Nd4j.scalar(-1e4f));
            tensors.put("h.1.attn.masked_bias", Nd4j.scalar(-1e4f));
        });
        // and as a hand-patched U8 mask, which the loader must not try to convert
        try (Gpt2Weights w = Gpt2Weights.load(model)) {
            assertShapes(w);
        }
        Path u8 = dir.resolve("u8");
        TestFiles.copyConfig(u8);
        writeTinyWithExtraU8Tensor(u8.resolve("model.safetensors"), "transformer.h.1.attn.bias");
        try (Gpt2Weights w = Gpt2Weights.load(u8)) {
            assertShapes(w);
        }
    }

    @Test
    void progressIsReportedPerTensor() {
        List<long[]> calls = new ArrayList<>();
        try (Gpt2Weights w = Gpt2Weights.load(TestFiles.fixture("tiny"), (loaded, total) -> calls.add(new long[]{loaded, total}))) {
            assertEquals(28, calls.size());
            assertArrayEquals(new long[]{13_274_368, 13_274_368}, calls.get(27));
            for (int i = 1; i < calls.size(); i++) {
                assertTrue(calls.get(i)[0] > calls.get(i - 1)[0]);
            }
        }
    }

    @Test
    void checkFiniteReportsTheTensorAndElement() {
        Path model = TestFiles.modelFolder(dir.resolve("nan"), Dtype.F16, tensors -> {
            INDArray fc = tensors.get("h.1.mlp.c_fc.weight").dup();
            fc.putScalar(3, 17, Float.NaN);
            tensors.put("h.1.mlp.c_fc.weight", fc);
        });
        Gpt2Weights.LoadOptions check = Gpt2Weights.LoadOptions.defaults().withCheckFinite(true);
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> Gpt2Weights.load(model, check));
        assertEquals(model.resolve("model.safetensors") + ": tensor 'h.1.mlp.c_fc.weight' holds a NaN or infinite"
                + " value at [3, 17] (and maybe more): the checkpoint is damaged", e.getMessage());
        try (Gpt2Weights unchecked = Gpt2Weights.load(model)) {
            assertTrue(Float.isNaN(unchecked.layers().get(1).fcW().getFloat(3, 17)));
        }
        try (Gpt2Weights fine = Gpt2Weights.load(TestFiles.fixture("tiny"), check)) {
            assertShapes(fine);
        }
    }

    @Test
    void closeIsIdempotentAndArraysObtainedBeforeFailInsteadOfReadingReleasedMemory() throws InterruptedException {
        Gpt2Weights w = Gpt2Weights.load(TestFiles.fixture("tiny"));
        INDArray wte = w.wte();
        w.close();
        w.close();
        assertThrows(IllegalStateException.class, w::wte);
        assertThrows(IllegalStateException.class, w::layers);
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertThrows(IllegalStateException.class, () -> wte.getFloat(50256, 63));   // not a JVM crash
        assertTrue(w.toString().contains("closed"));
    }

    /** Mapped arrays dropped and collected again and again: the mappings go, nothing crashes. */
    @Test
    void repeatedLoadingAndCollectingIsSafe() throws InterruptedException {
        double expected = 0;
        for (int i = 0; i < 20; i++) {
            Gpt2Weights w = Gpt2Weights.load(TestFiles.fixture(i % 2 == 0 ? "tiny" : "tiny-f16"));
            double sum = w.wte().sumNumber().doubleValue();
            if (i == 0) {
                expected = sum;
            }
            assertEquals(expected, sum, 1.0);
            if (i % 3 == 0) {
                w.close();
            }
            System.gc();
            Thread.sleep(5);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Random weights, tensor maps, checkpoints

    @Test
    void randomWeightsFollowGpt2Init() {
        Gpt2Config config = new Gpt2Config(2, 4, 64, 32, 1000, 1e-5);
        try (Gpt2Weights w = Gpt2Weights.random(config, 1337); Gpt2Weights again = Gpt2Weights.random(config, 1337);
             Gpt2Weights other = Gpt2Weights.random(config, 1338)) {
            assertShapes(w);
            assertEquals(w.toTensorMap(), again.toTensorMap());
            assertNotEquals(w.wte(), other.wte());
            assertEquals(0.02, w.wte().stdNumber().doubleValue(), 0.001);
            assertEquals(0.0, w.wte().meanNumber().doubleValue(), 0.001);
            assertEquals(0.02 / Math.sqrt(4), w.layers().get(0).fcProjW().stdNumber().doubleValue(), 0.001);
            assertEquals(0.02 / Math.sqrt(4), w.layers().get(1).attnProjW().stdNumber().doubleValue(), 0.001);
            LayerWeights layer = w.layers().get(1);
            assertEquals(0.0, layer.attnB().amaxNumber().doubleValue());
            assertEquals(0.0, layer.fcProjB().amaxNumber().doubleValue());
            assertEquals(Nd4j.ones(DataType.FLOAT, 64), layer.ln1Gamma());
            assertEquals(Nd4j.zeros(DataType.FLOAT, 64), w.lnFBeta());
            layer.attnW().addi(1);                                     // random weights are writable
        }
    }

    @Test
    void randomGpt2PresetHasTheRightParameterCount() {
        try (Gpt2Weights w = Gpt2Weights.random(Gpt2Config.preset("gpt2"), 1)) {
            assertEquals(124_439_808L, w.parameterCount());
            assertArrayEquals(new long[]{50257, 768}, w.wte().shape());
            assertArrayEquals(new long[]{768, 2304}, w.layers().get(11).attnW().shape());
        }
    }

    @Test
    void checkpointRoundTripThroughToTensorMap() {
        Gpt2Config config = new Gpt2Config(3, 2, 16, 8, 100, 1e-5);
        Path folder = dir.resolve("checkpoint");
        try (Gpt2Weights w = Gpt2Weights.random(config, 5)) {
            Map<String, INDArray> tensors = w.toTensorMap();
            assertEquals(2 + 3 * 12 + 2, tensors.size());
            assertEquals(List.of("wte.weight", "wpe.weight", "h.0.ln_1.weight"), new ArrayList<>(tensors.keySet()).subList(0, 3));
            assertTrue(Files.notExists(folder) || Files.isDirectory(folder));
            try {
                Files.createDirectories(folder);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            ConfigJson.write(config, folder.resolve("config.json"));
            SafetensorsFile.write(folder.resolve("model.safetensors"), tensors, Dtype.F32);
            try (Gpt2Weights back = Gpt2Weights.load(folder)) {
                assertEquals(config, back.config());
                assertEquals(tensors, back.toTensorMap());
            }
        }
    }

    @Test
    void ofChecksShapes() {
        try (Gpt2Weights w = Gpt2Weights.random(TINY, 3)) {
            Gpt2Weights same = Gpt2Weights.of(TINY, w.wte(), w.wpe(), w.layers(), w.lnFGamma(), w.lnFBeta());
            assertEquals(w.parameterCount(), same.parameterCount());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Gpt2Weights.of(TINY, w.wpe(), w.wpe(), w.layers(), w.lnFGamma(), w.lnFBeta()));
            assertEquals("tensor 'wte.weight' has shape [32, 64], expected [50257, 64] (vocab_size=50257, n_embd=64)",
                    e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> Gpt2Weights.of(TINY, w.wte(), w.wpe(), w.layers().subList(0, 1), w.lnFGamma(), w.lnFBeta()));
        }
    }

    // ------------------------------------------------------------------------------------------
    // Bad folders: one test per case, each message names the file and (where there is one) the tensor

    @Test
    void missingTensor() {
        Path model = TestFiles.modelFolder(dir.resolve("m"), Dtype.F32, tensors -> tensors.remove("h.1.mlp.c_fc.bias"));
        assertLoadFails(model, model.resolve("model.safetensors") + ": missing tensor 'h.1.mlp.c_fc.bias'");
    }

    @Test
    void missingTensorsAreNamedWithTheFilesPrefix() {
        Path model = TestFiles.modelFolder(dir.resolve("m"), Dtype.F32, tensors -> {
            rename(tensors, "transformer.");
            tensors.remove("transformer.ln_f.weight");
            tensors.remove("transformer.ln_f.bias");
        });
        assertLoadFails(model, model.resolve("model.safetensors") + ": missing tensor 'transformer.ln_f.weight'"
                + " (and 1 more)");
    }

    @Test
    void unexpectedTensor() {
        Path model = TestFiles.modelFolder(dir.resolve("m"), Dtype.F32,
                tensors -> tensors.put("h.0.attn.rotary.weight", Nd4j.zeros(DataType.FLOAT, 4)));
        assertLoadFails(model, model.resolve("model.safetensors") + ": unexpected tensor 'h.0.attn.rotary.weight':"
                + " not a GPT-2 weight (expected names like 'wte.weight', 'h.0.attn.c_attn.weight' or 'ln_f.bias',"
                + " optionally prefixed 'transformer.')");
    }

    @Test
    void tensorOfALayerBeyondNLayer() {
        Path model = TestFiles.modelFolder(dir.resolve("m"), Dtype.F32,
                tensors -> tensors.put("h.2.ln_1.weight", Nd4j.ones(DataType.FLOAT, 64)));
        assertLoadFails(model, model.resolve("model.safetensors") + ": unexpected tensor 'h.2.ln_1.weight':"
                + " config.json has n_layer=2, so the blocks are h.0 to h.1");
    }

    @Test
    void wrongShape() {
        Path model = TestFiles.modelFolder(dir.resolve("m"), Dtype.F32,
                tensors -> tensors.put("h.0.attn.c_attn.weight", Nd4j.zeros(DataType.FLOAT, 64, 190)));
        assertLoadFails(model, model.resolve("model.safetensors") + ": tensor 'h.0.attn.c_attn.weight' has shape"
                + " [64, 190], expected [64, 192] (n_embd=64)");
    }

    @Test
    void transposedWeightGetsAHint() {
        Path model = TestFiles.modelFolder(dir.resolve("m"), Dtype.F32,
                tensors -> tensors.put("h.1.mlp.c_fc.weight", tensors.get("h.1.mlp.c_fc.weight").transpose()));
        assertLoadFails(model, model.resolve("model.safetensors") + ": tensor 'h.1.mlp.c_fc.weight' has shape"
                + " [256, 64], expected [64, 256] (n_embd=64); it looks transposed (GPT-2 stores Conv1D weights"
                + " as [in, out])");
    }

    @Test
    void configDisagreeingWithTheEmbeddings() throws IOException {
        Path model = copyTiny();
        String config = Files.readString(model.resolve("config.json"));
        Files.writeString(model.resolve("config.json"), config.replace("\"n_positions\": 32", "\"n_positions\": 64"));
        assertLoadFails(model, model.resolve("model.safetensors") + ": tensor 'wpe.weight' has shape [32, 64],"
                + " expected [64, 64] (n_positions=64, n_embd=64)");
        Files.writeString(model.resolve("config.json"), config.replace("\"vocab_size\": 50257", "\"vocab_size\": 50000"));
        assertLoadFails(model, model.resolve("model.safetensors") + ": tensor 'wte.weight' has shape [50257, 64],"
                + " expected [50000, 64] (vocab_size=50000, n_embd=64)");
    }

    @Test
    void unsupportedWeightDtype() {
        Path model = dir.resolve("m");
        TestFiles.copyConfig(model);
        writeTinyWithExtraU8Tensor(model.resolve("model.safetensors"), null);   // ln_f.bias stored as I32
        assertLoadFails(model, model.resolve("model.safetensors") + ": tensor 'ln_f.bias' has unsupported dtype I32;"
                + " weights must be F32, F16 or BF16");
    }

    @Test
    void sameWeightTwice() {
        Path model = TestFiles.modelFolder(dir.resolve("m"), Dtype.F32,
                tensors -> tensors.put("transformer.ln_f.bias", tensors.get("ln_f.bias")));
        assertLoadFails(model, model.resolve("model.safetensors") + ": tensors 'ln_f.bias' and"
                + " 'transformer.ln_f.bias' are the same weight; keep one of them");
    }

    @Test
    void truncatedWeightsFile() throws IOException {
        Path model = copyTiny();
        try (var channel = java.nio.channels.FileChannel.open(model.resolve("model.safetensors"),
                java.nio.file.StandardOpenOption.WRITE)) {
            channel.truncate(13_000_000);
        }
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> Gpt2Weights.load(model));
        assertContains(e.getMessage(), model.resolve("model.safetensors") + ": the file is truncated",
                "tensor 'wte.weight' is incomplete");
    }

    @Test
    void folderNotFound() {
        Path model = dir.resolve("no-such-model");
        assertLoadFails(model, model + ": model folder not found");
    }

    @Test
    void fileInsteadOfFolder() {
        Path file = TestFiles.tinyWeights();
        assertLoadFails(file, file + ": not a folder; expected a model folder holding config.json and model.safetensors");
    }

    @Test
    void configJsonMissing() throws IOException {
        Path model = copyTiny();
        Files.delete(model.resolve("config.json"));
        assertLoadFails(model, model.resolve("config.json") + ": config.json not found in the model folder");
    }

    @Test
    void configJsonMalformed() throws IOException {
        Path model = copyTiny();
        Files.writeString(model.resolve("config.json"), "{\"n_layer\": 2, \"n_head\": 4,");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> Gpt2Weights.load(model));
        assertContains(e.getMessage(), model.resolve("config.json") + ": malformed JSON: ");
    }

    @Test
    void modelSafetensorsMissing() throws IOException {
        Path model = copyTiny();
        Files.move(model.resolve("model.safetensors"), model.resolve("pytorch_model.bin"));
        assertLoadFails(model, model.resolve("model.safetensors") + ": model.safetensors not found in the model folder"
                + " (this folder holds pytorch_model.bin; nexttoken reads only the safetensors format: download"
                + " model.safetensors from the same Hugging Face repository)");
    }

    @Test
    void modelSafetensorsIsADirectory() throws IOException {
        Path model = dir.resolve("m");
        TestFiles.copyConfig(model);
        Files.createDirectory(model.resolve("model.safetensors"));
        assertLoadFails(model, model.resolve("model.safetensors") + ": is a directory, expected a .safetensors file");
    }

    @Test
    void emptyWeightsFile() throws IOException {
        Path model = dir.resolve("m");
        TestFiles.copyConfig(model);
        Files.createFile(model.resolve("model.safetensors"));
        assertLoadFails(model, model.resolve("model.safetensors") + ": the file is empty (0 bytes), not a safetensors file");
    }

    // ------------------------------------------------------------------------------------------

    private static void assertShapes(Gpt2Weights w) {
        Gpt2Config c = w.config();
        long e = c.nEmbd();
        assertArrayEquals(new long[]{c.vocabSize(), e}, w.wte().shape());
        assertArrayEquals(new long[]{c.nPositions(), e}, w.wpe().shape());
        assertArrayEquals(new long[]{e}, w.lnFGamma().shape());
        assertArrayEquals(new long[]{e}, w.lnFBeta().shape());
        assertEquals(c.nLayer(), w.layers().size());
        for (LayerWeights l : w.layers()) {
            assertArrayEquals(new long[]{e}, l.ln1Gamma().shape());
            assertArrayEquals(new long[]{e}, l.ln1Beta().shape());
            assertArrayEquals(new long[]{e, 3 * e}, l.attnW().shape());
            assertArrayEquals(new long[]{3 * e}, l.attnB().shape());
            assertArrayEquals(new long[]{e, e}, l.attnProjW().shape());
            assertArrayEquals(new long[]{e}, l.attnProjB().shape());
            assertArrayEquals(new long[]{e}, l.ln2Gamma().shape());
            assertArrayEquals(new long[]{e}, l.ln2Beta().shape());
            assertArrayEquals(new long[]{e, 4 * e}, l.fcW().shape());
            assertArrayEquals(new long[]{4 * e}, l.fcB().shape());
            assertArrayEquals(new long[]{4 * e, e}, l.fcProjW().shape());
            assertArrayEquals(new long[]{e}, l.fcProjB().shape());
        }
        for (INDArray array : w.toTensorMap().values()) {
            assertEquals(DataType.FLOAT, array.dataType());
        }
    }

    private static void assertLoadFails(Path model, String message) {
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> Gpt2Weights.load(model));
        assertEquals(message, e.getMessage());
    }

    private Path copyTiny() throws IOException {
        Path model = dir.resolve("copy");
        Files.createDirectories(model);
        Files.copy(TestFiles.fixture("tiny").resolve("config.json"), model.resolve("config.json"));
        Files.copy(TestFiles.tinyWeights(), model.resolve("model.safetensors"));
        return model;
    }

    private static void rename(Map<String, INDArray> tensors, String prefix) {
        Map<String, INDArray> renamed = new LinkedHashMap<>();
        tensors.forEach((name, array) -> renamed.put(prefix + name, array));
        tensors.clear();
        tensors.putAll(renamed);
    }

    /**
     * Writes the tiny model by hand with the safetensors header edited: with {@code extra}, an
     * added U8 tensor of shape [1, 1, 32, 32] of that name (appended after the data); without,
     * ln_f.bias relabelled as I32 (same byte size as F32).
     */
    private static void writeTinyWithExtraU8Tensor(Path target, String extra) {
        try {
            byte[] file = Files.readAllBytes(TestFiles.tinyWeights());
            int headerLength = (int) java.nio.ByteBuffer.wrap(file, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
            String header = new String(file, 8, headerLength, java.nio.charset.StandardCharsets.UTF_8).trim();
            byte[] data = java.util.Arrays.copyOfRange(file, 8 + headerLength, file.length);
            if (extra == null) {
                header = header.replace("\"ln_f.bias\":{\"dtype\":\"F32\"", "\"ln_f.bias\":{\"dtype\":\"I32\"");
            } else {
                header = header.substring(0, header.length() - 1) + ",\"" + extra + "\":{\"dtype\":\"U8\",\"shape\":[1,1,32,32],"
                        + "\"data_offsets\":[" + data.length + "," + (data.length + 1024) + "]}}";
                data = java.util.Arrays.copyOf(data, data.length + 1024);
            }
            TestFiles.writeRaw(target, header, data);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
