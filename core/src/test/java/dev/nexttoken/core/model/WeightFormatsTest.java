package dev.nexttoken.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nexttoken.core.io.Float16;
import dev.nexttoken.core.io.SafetensorsFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.nexttoken.core.model.Fixtures.ints;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fixture model converted to F16, BF16 and Q8 (by {@link Gpt2Weights#convert}, the code of
 * {@code nexttoken convert}) against the float32 model on the CPU fast path, whose logits the
 * fixture tests hold to the reference within 1e-4. The reference here is the F32 model of the same
 * pass; what is compared: every position's logits of the fixture sequences (max |Δlogit| and
 * top-1 agreement), and the greedy continuations of the fixture prompts (the share of tokens equal
 * to F32's, up to the first difference). The bounds are the (F16: 1e-2) or, for BF16 and
 * Q8, about twice what was measured (printed on standard error, with the kernel that ran).
 *
 * <p>The tests exercise whichever kernels the model reports and assert that name: the native
 * ones where {@link NativeKernels} runs the format, else the Java fallback.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WeightFormatsTest {

    /**
     * Max |Δlogit| against F32 allowed per format over the whole vocabulary at every position:
     * about 2x measured (F16 0.0112, BF16 0.081, Q8 0.435 on the integer kernels and 0.326 on the
     * float ones; top-10: 0.0049, 0.044, 0.208 / 0.167; top-1 agreement 39, 39 and 37 / 40 of 40
     * positions; F16: the fixture's own F16 reference differs from its F32 one by up to 0.006 on
     * the top-10 alone, so this is the weights' rounding, not the kernels').
     */
    private static final Map<WeightFormat, Double> LOGIT_BOUND = Map.of(
            WeightFormat.F16, 2e-2, WeightFormat.BF16, 0.15, WeightFormat.Q8, 0.65);
    /** Max |Δlogit| on F32's top-10 tokens of each position: F16 within the 1e-2. */
    private static final Map<WeightFormat, Double> TOP10_BOUND = Map.of(
            WeightFormat.F16, 1e-2, WeightFormat.BF16, 0.1, WeightFormat.Q8, 0.35);
    /** The Q8 bounds on the integer kernels, which also round the activations (about 2x their 0.435 and 0.208). */
    private static final double Q8_INTEGER_LOGIT_BOUND = 0.9;
    private static final double Q8_INTEGER_TOP10_BOUND = 0.45;
    /** Least share of positions whose top-1 token agrees with F32's (F16 measured 39/40: a near-tie). */
    private static final Map<WeightFormat, Double> TOP1_BOUND = Map.of(
            WeightFormat.F16, 0.95, WeightFormat.BF16, 0.9, WeightFormat.Q8, 0.9);

    @TempDir
    static Path temp;
    private Gpt2Model f32;
    private final Map<WeightFormat, Path> converted = new EnumMap<>(WeightFormat.class);
    private final List<String> report = new ArrayList<>();

    @BeforeAll
    void convertAndLoad() {
        f32 = new Gpt2Model(Gpt2Weights.load(Fixtures.modelDir("tiny")), ComputePath.CPU_BLAS);
        for (WeightFormat format : WeightFormat.values()) {
            Path out = temp.resolve("tiny-" + format);
            Gpt2Weights.convert(Fixtures.modelDir("tiny"), out, format, false);
            converted.put(format, out);
        }
    }

    @AfterAll
    void close() {
        f32.close();
        report.forEach(System.err::println);
    }

    /** The kernel a model of {@code format} must report on the CPU path. */
    private static String expectedKernel(WeightFormat format) {
        boolean nativeRuns = NativeKernels.isAvailable();
        return nativeRuns ? "native " + NativeKernels.variant() : "java";
    }

    @Test
    void convertedModelsKeepTheirFormatAndReportTheirKernel() {
        assertEquals(expectedKernel(WeightFormat.F32), f32.kernel());
        for (WeightFormat format : WeightFormat.values()) {
            try (Gpt2Model model = new Gpt2Model(Gpt2Weights.load(converted.get(format)), ComputePath.CPU_BLAS)) {
                assertEquals(format, model.weights().format());
                assertEquals(expectedKernel(format), model.kernel(), format.toString());
            }
        }
        try (Gpt2Model nd4j = new Gpt2Model(Gpt2Weights.load(converted.get(WeightFormat.Q8)), ComputePath.ND4J_OPS)) {
            assertEquals("nd4j", nd4j.kernel());
        }
    }

    @Test
    void logitsAgreeWithF32WithinTheFormatsBounds() {
        for (WeightFormat format : List.of(WeightFormat.F16, WeightFormat.BF16, WeightFormat.Q8)) {
            try (Gpt2Model model = new Gpt2Model(Gpt2Weights.load(converted.get(format)), ComputePath.CPU_BLAS)) {
                double maxDiff = 0;
                double maxTop10 = 0;
                int agree = 0;
                int positions = 0;
                for (JsonNode sequence : Fixtures.expected().get("sequences")) {
                    int[] tokens = ints(sequence.get("tokens"));
                    float[][] reference = owned(f32.forwardAllPositions(new int[][] {tokens}));
                    float[][] logits = owned(model.forwardAllPositions(new int[][] {tokens}));
                    for (int t = 0; t < tokens.length; t++) {
                        for (int v = 0; v < logits[t].length; v++) {
                            maxDiff = Math.max(maxDiff, Math.abs(logits[t][v] - reference[t][v]));
                        }
                        for (int v : topK(reference[t], 10)) {
                            maxTop10 = Math.max(maxTop10, Math.abs(logits[t][v] - reference[t][v]));
                        }
                        agree += argMax(logits[t]) == argMax(reference[t]) ? 1 : 0;
                        positions++;
                    }
                }
                double share = (double) agree / positions;
                report.add(String.format("%s (%s): max |logit - F32| %.3g (on F32's top-10: %.3g), top-1 agreement %d/%d",
                        format, model.kernel(), maxDiff, maxTop10, agree, positions));
                boolean integer = ProductReference.roundsRowsForQ8(model.kernel(), format);
                double logitBound = integer ? Q8_INTEGER_LOGIT_BOUND : LOGIT_BOUND.get(format);
                double top10Bound = integer ? Q8_INTEGER_TOP10_BOUND : TOP10_BOUND.get(format);
                assertTrue(maxDiff <= logitBound, format + " (" + model.kernel() + "): max |Δlogit| " + maxDiff);
                assertTrue(maxTop10 <= top10Bound, format + " (" + model.kernel() + "): max |Δlogit| on the top-10 " + maxTop10);
                assertTrue(share >= TOP1_BOUND.get(format), format + ": top-1 agreement " + share);
            }
        }
    }

    @Test
    void greedyContinuationsAgreeWithF32() {
        for (WeightFormat format : List.of(WeightFormat.F16, WeightFormat.BF16, WeightFormat.Q8)) {
            try (Gpt2Model model = new Gpt2Model(Gpt2Weights.load(converted.get(format)), ComputePath.CPU_BLAS)) {
                int same = 0;
                int total = 0;
                for (JsonNode entry : Fixtures.expected().get("greedy")) {
                    int[] prompt = ints(entry.get("prompt"));
                    int n = entry.get("max_new_tokens").asInt();
                    int[] expected = Gpt2ModelFixtureTest.greedy(f32, prompt, n);
                    int[] actual = Gpt2ModelFixtureTest.greedy(model, prompt, n);
                    int prefix = 0;
                    while (prefix < n && expected[prefix] == actual[prefix]) {
                        prefix++;
                    }
                    same += prefix;
                    total += n;
                }
                report.add(String.format("%s (%s): greedy continuations equal to F32's up to the first difference:"
                        + " %d/%d tokens", format, model.kernel(), same, total));
                if (format == WeightFormat.F16) {
                    assertEquals(total, same, "F16 greedy continuations");
                } else {
                    assertTrue(same >= total / 4, format + ": " + same + "/" + total);
                }
            }
        }
    }

    @Test
    void formatOnLoadEqualsConvertThenLoadBitForBit() {
        int[] tokens = ints(Fixtures.expected().get("sequences").get(0).get("tokens"));
        for (WeightFormat format : WeightFormat.values()) {
            Gpt2Weights.LoadOptions options = Gpt2Weights.LoadOptions.defaults().withFormat(format);
            try (Gpt2Model onLoad = new Gpt2Model(Gpt2Weights.load(Fixtures.modelDir("tiny"), options), ComputePath.CPU_BLAS);
                 Gpt2Model fromFile = new Gpt2Model(Gpt2Weights.load(converted.get(format)), ComputePath.CPU_BLAS);
                 Gpt2Model mapped = new Gpt2Model(Gpt2Weights.load(converted.get(format),
                         Gpt2Weights.LoadOptions.defaults().withMemoryMapped(true)), ComputePath.CPU_BLAS)) {
                float[][] a = owned(onLoad.forwardAllPositions(new int[][] {tokens}));
                float[][] b = owned(fromFile.forwardAllPositions(new int[][] {tokens}));
                float[][] c = owned(mapped.forwardAllPositions(new int[][] {tokens}));
                for (int t = 0; t < a.length; t++) {
                    assertArrayEquals(a[t], b[t], 0f, format + " position " + t);
                    assertArrayEquals(b[t], c[t], 0f, format + " mapped, position " + t);
                }
                assertEquals(greedyOf(onLoad, tokens), greedyOf(fromFile, tokens), format.toString());
            }
        }
    }

    @Test
    void bf16RoundTripIsExactAndQ8StaysWithinHalfAStep() {
        Path back = temp.resolve("bf16-back-to-f32");
        Gpt2Weights.convert(converted.get(WeightFormat.BF16), back, WeightFormat.F32, false);
        try (Gpt2Weights original = Gpt2Weights.load(Fixtures.modelDir("tiny"));
             Gpt2Weights roundTrip = Gpt2Weights.load(back);
             Gpt2Weights q8 = Gpt2Weights.load(converted.get(WeightFormat.Q8))) {
            assertEquals(WeightFormat.F32, roundTrip.format());
            Map<String, INDArray> before = original.toTensorMap();
            Map<String, INDArray> after = roundTrip.toTensorMap();
            for (String name : before.keySet()) {
                float[] in = before.get(name).dup('c').data().asFloat();
                float[] out = after.get(name).dup('c').data().asFloat();
                boolean matrix = Gpt2Weights.isMatrix(name);           // the other tensors stay float32
                for (int i = 0; i < in.length; i++) {
                    float expected = matrix ? Float16.bf16ToFloat(Float16.floatToBf16(in[i])) : in[i];
                    assertEquals(expected, out[i], 0f, name + "[" + i + "]");
                }
            }
            for (String name : before.keySet()) {
                if (!Gpt2Weights.isMatrix(name)) {
                    continue;
                }
                WeightMatrix m = q8.matrix(name);
                assertEquals(WeightFormat.Q8, m.format());
                float[][] w = before.get(name).toFloatMatrix();
                float[] row = new float[m.cols()];
                for (int r0 = 0; r0 < m.rows(); r0 += WeightFormat.Q8_BLOCK) {      // blocks down the columns
                    int r1 = Math.min(m.rows(), r0 + WeightFormat.Q8_BLOCK);
                    float[] amax = new float[m.cols()];
                    for (int r = r0; r < r1; r++) {
                        for (int j = 0; j < m.cols(); j++) {
                            amax[j] = Math.max(amax[j], Math.abs(w[r][j]));
                        }
                    }
                    for (int r = r0; r < r1; r++) {
                        m.widenRow(r, 0, m.cols(), row, 0);
                        for (int j = 0; j < m.cols(); j++) {
                            double step = amax[j] / 127.0;                 // half a step, plus the F16 scale's rounding
                            assertTrue(Math.abs(row[j] - w[r][j]) <= step * (0.5 + 127 * 0x1p-11) + 1e-12,
                                    name + "[" + r + ", " + j + "]: " + w[r][j] + " -> " + row[j]);
                        }
                    }
                }
            }
        }
    }

    @Test
    void q8FileLayoutIsDocumentedAndRewritesIdentically() throws Exception {
        Path file = converted.get(WeightFormat.Q8).resolve("model.safetensors");
        try (SafetensorsFile q8 = SafetensorsFile.open(file)) {
            Set<String> names = q8.names();
            assertTrue(names.contains("h.0.mlp.c_fc.weight.q8_scales"), names.toString());
            assertEquals(dev.nexttoken.core.io.Dtype.I8, q8.info("h.0.mlp.c_fc.weight").dtype());
            long[] shape = q8.info("h.0.mlp.c_fc.weight").shape();
            assertArrayEquals(new long[] {(shape[0] + 31) / 32, shape[1]}, q8.info("h.0.mlp.c_fc.weight.q8_scales").shape());
            assertEquals(dev.nexttoken.core.io.Dtype.F32, q8.info("h.0.ln_1.weight").dtype());
        }
        Path again = temp.resolve("q8-again");
        Gpt2Weights.convert(converted.get(WeightFormat.Q8), again, WeightFormat.Q8, false);
        assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(again.resolve("model.safetensors")));
    }

    @Test
    void q8WithoutItsScalesOrWithWrongScalesIsAClearLoadError() throws Exception {
        Path source = converted.get(WeightFormat.Q8);
        Map<String, SafetensorsFile.RawTensor> tensors = new java.util.LinkedHashMap<>();
        try (SafetensorsFile file = SafetensorsFile.open(source.resolve("model.safetensors"))) {
            for (String name : file.names()) {
                dev.nexttoken.core.io.TensorInfo info = file.info(name);
                INDArray raw = file.loadRaw(name);
                byte[] bytes = new byte[(int) info.byteLength()];
                WeightMatrix.view(raw).get(bytes);
                raw.close();
                tensors.put(name, new SafetensorsFile.RawTensor(info.dtype(), info.shape(), java.nio.ByteBuffer.wrap(bytes)));
            }
        }
        Path missing = temp.resolve("q8-missing-scales");
        Files.createDirectories(missing);
        Files.copy(source.resolve("config.json"), missing.resolve("config.json"));
        Map<String, SafetensorsFile.RawTensor> without = new java.util.LinkedHashMap<>(tensors);
        without.remove("h.1.mlp.c_proj.weight.q8_scales");
        SafetensorsFile.writeRaw(missing.resolve("model.safetensors"), without);
        dev.nexttoken.core.ModelLoadException e = assertThrows(dev.nexttoken.core.ModelLoadException.class,
                () -> Gpt2Weights.load(missing));
        assertTrue(e.getMessage().contains("'h.1.mlp.c_proj.weight' is I8 but has no 'h.1.mlp.c_proj.weight.q8_scales'"),
                e.getMessage());

        Path wrong = temp.resolve("q8-wrong-scales");
        Files.createDirectories(wrong);
        Files.copy(source.resolve("config.json"), wrong.resolve("config.json"));
        Map<String, SafetensorsFile.RawTensor> bad = new java.util.LinkedHashMap<>(tensors);
        SafetensorsFile.RawTensor scales = bad.get("h.0.attn.c_attn.weight.q8_scales");
        bad.put("h.0.attn.c_attn.weight.q8_scales", new SafetensorsFile.RawTensor(dev.nexttoken.core.io.Dtype.BF16,
                scales.shape(), scales.data()));
        SafetensorsFile.writeRaw(wrong.resolve("model.safetensors"), bad);
        e = assertThrows(dev.nexttoken.core.ModelLoadException.class, () -> Gpt2Weights.load(wrong));
        assertTrue(e.getMessage().contains("expected F16"), e.getMessage());

        Path old = temp.resolve("q8-scales-along-rows");                   // the layout before the integer kernels
        Files.createDirectories(old);
        Files.copy(source.resolve("config.json"), old.resolve("config.json"));
        Map<String, SafetensorsFile.RawTensor> rowScales = new java.util.LinkedHashMap<>(tensors);
        long[] shape = tensors.get("h.0.attn.c_attn.weight").shape();
        long[] alongRows = {shape[0], (shape[1] + 31) / 32};
        rowScales.put("h.0.attn.c_attn.weight.q8_scales", new SafetensorsFile.RawTensor(dev.nexttoken.core.io.Dtype.F16,
                alongRows, java.nio.ByteBuffer.wrap(new byte[(int) (alongRows[0] * alongRows[1] * 2)])));
        SafetensorsFile.writeRaw(old.resolve("model.safetensors"), rowScales);
        e = assertThrows(dev.nexttoken.core.ModelLoadException.class, () -> Gpt2Weights.load(old));
        assertTrue(e.getMessage().contains("Convert the model again"), e.getMessage());
    }

    @Test
    void convertRefusesToOverwriteUnlessTold() {
        Path out = converted.get(WeightFormat.F16);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Gpt2Weights.convert(Fixtures.modelDir("tiny"), out, WeightFormat.BF16, false));
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
        Path other = temp.resolve("overwritten");
        Gpt2Weights.convert(Fixtures.modelDir("tiny"), other, WeightFormat.F16, false);
        Gpt2Weights.convert(Fixtures.modelDir("tiny"), other, WeightFormat.BF16, true);
        try (Gpt2Weights w = Gpt2Weights.load(other)) {
            assertEquals(WeightFormat.BF16, w.format());
        }
        assertTrue(Files.notExists(temp.resolve("overwritten.tmp")) && Files.notExists(temp.resolve("overwritten.old")));
    }

    /**
     * The Nd4j path widens a Q8 model's matrices to exactly their values: it gives the logits of
     * the CPU path on those values as float32 (the Q8 model converted to F32; the Q8 model itself
     * may run integer kernels that round the activations, see docs/FORMATS.md).
     */
    @Test
    void nd4jPathWidensPackedMatricesToTheSameValues() {
        int[] tokens = ints(Fixtures.expected().get("sequences").get(1).get("tokens"));
        Path widened = temp.resolve("q8-widened-f32");
        Gpt2Weights.convert(converted.get(WeightFormat.Q8), widened, WeightFormat.F32, true);
        try (Gpt2Model cpu = new Gpt2Model(Gpt2Weights.load(widened), ComputePath.CPU_BLAS);
             Gpt2Model nd4j = new Gpt2Model(Gpt2Weights.load(converted.get(WeightFormat.Q8)), ComputePath.ND4J_OPS)) {
            float[][] a = owned(cpu.forwardAllPositions(new int[][] {tokens}));
            float[][] b = owned(nd4j.forwardAllPositions(new int[][] {tokens}));
            for (int t = 0; t < a.length; t++) {
                assertArrayEquals(b[t], a[t], 1e-4f, "position " + t);
            }
        }
    }

    @Test
    void decodingTogetherGivesEachCacheItsLogitsAloneInEveryFormat() {
        for (WeightFormat format : WeightFormat.values()) {
            try (Gpt2Model model = new Gpt2Model(Gpt2Weights.load(converted.get(format)), ComputePath.CPU_BLAS);
                 KvCache a = model.newCache(1); KvCache b = model.newCache(2);
                 KvCache a1 = model.newCache(1); KvCache b1 = model.newCache(2)) {
                model.forward(new int[][] {{464, 2068, 7586}}, a);
                model.forward(new int[][] {{15496, 11}, {13, 318}}, b);
                model.forward(new int[][] {{464, 2068, 7586}}, a1);
                model.forward(new int[][] {{15496, 11}, {13, 318}}, b1);
                INDArray[] together = model.forwardTogether(new int[][] {{21831}, {616, 1438}}, new KvCache[] {a, b});
                float[][] ta = together[0].toFloatMatrix();
                float[][] tb = together[1].toFloatMatrix();
                float[][] aloneA = model.forward(new int[][] {{21831}}, a1).toFloatMatrix();
                float[][] aloneB = model.forward(new int[][] {{616}, {1438}}, b1).toFloatMatrix();
                float tolerance = 0f;                   // bit for bit, as lastLogitsTogether promises
                assertArrayEquals(aloneA[0], ta[0], tolerance, format.toString());
                assertArrayEquals(aloneB[0], tb[0], tolerance, format.toString());
                assertArrayEquals(aloneB[1], tb[1], tolerance, format.toString());
            }
        }
    }

    private static List<Integer> greedyOf(Gpt2Model model, int[] prompt) {
        List<Integer> out = new ArrayList<>();
        for (int id : Gpt2ModelFixtureTest.greedy(model, prompt, 8)) {
            out.add(id);
        }
        return out;
    }

    private static float[][] owned(INDArray logits) {
        float[][] out = logits.toFloatMatrix();
        logits.close();
        return out;
    }

    private static int[] topK(float[] row, int k) {
        return java.util.stream.IntStream.range(0, row.length).boxed()
                .sorted((a, b) -> Float.compare(row[b], row[a])).limit(k).mapToInt(Integer::intValue).toArray();
    }

    private static int argMax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best;
    }
}
