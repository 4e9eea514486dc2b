package dev.nexttoken.spark;

import dev.nexttoken.core.Generator;
import dev.nexttoken.core.ScoreResult;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link NextToken#score} in Spark local mode with the embedded default model. */
class ScoreTest {

    private static final ModelSource MODEL = ModelSource.defaultModel();
    private static SparkSession spark;
    private static Generator reference;

    @BeforeAll
    static void start() {
        spark = SparkTestSession.get();
        reference = Generator.loadDefault();                 // in-process, independent of the executors' holder
    }

    @AfterAll
    static void close() {
        reference.close();
    }

    private static Dataset<Row> texts(List<String> lines, int partitions) {
        return spark.createDataset(lines, Encoders.STRING()).toDF("text").repartition(partitions);
    }

    @Test
    void aCorpusOf2000LinesScoresAsGeneratorScoreDoesOnEachRow() {
        List<String> lines = Corpus.lines(2000);
        List<Row> rows = NextToken.score(texts(lines, 4), "text", MODEL, ScoreOptions.defaults()).collectAsList();
        assertEquals(2000, rows.size());
        Map<String, ScoreResult> expectedScores = lines.parallelStream()        // both cores: Generator is thread-safe
                .collect(Collectors.toConcurrentMap(text -> text, reference::score));
        Set<String> seen = new HashSet<>();
        for (Row row : rows) {
            String text = row.getString(0);
            seen.add(text);
            ScoreResult expected = expectedScores.get(text);
            assertNull(row.get(row.fieldIndex("error")), text);
            assertEquals(expected.tokens().length, row.getInt(row.fieldIndex("tokens")), text);
            assertEquals(expected.loss(), row.getDouble(row.fieldIndex("loss")), 1e-6, text);
            assertEquals(expected.perplexity(), row.getDouble(row.fieldIndex("perplexity")),
                    1e-6 * expected.perplexity(), text);
        }
        assertEquals(new HashSet<>(lines), seen);
        // four partitions on two task threads, one model in this (the only) executor JVM
        assertEquals(1, ExecutorModels.loadCount(MODEL));
    }

    @Test
    void longTextsUseStridedWindowsAndTokenLogProbsAreTheNegatedTokenLosses() {
        String longText = String.join(" ", Corpus.lines(200));         // over a thousand tokens, past n_positions 256
        List<String> lines = List.of(longText, longText.substring(0, 900), "A short line.");
        ScoreOptions options = ScoreOptions.builder().stride(64).tokenLogProbs(true).build();
        List<Row> rows = NextToken.score(texts(lines, 2), "text", MODEL, options).collectAsList();
        for (Row row : rows) {
            String text = row.getString(0);
            int[] tokens = reference.tokenizer().encode(text);
            ScoreResult expected = reference.score(tokens, 64);
            assertEquals(expected.loss(), row.getDouble(row.fieldIndex("loss")), 1e-6);
            List<Double> logProbs = row.getList(row.fieldIndex("token_logprobs"));
            double[] losses = expected.tokenLosses();
            assertEquals(losses.length, logProbs.size());
            for (int i = 0; i < losses.length; i++) {
                assertEquals(-losses[i], logProbs.get(i), 1e-6);
            }
        }
        int window = reference.model().config().nPositions();
        assertTrue(reference.tokenizer().encode(longText).length > window + 3 * 64, "the long text spans 4 windows");
    }

    @Test
    void batchesOfRowsScoreAsEachRowAloneUpToFloatRounding() {
        List<String> lines = new ArrayList<>(Corpus.lines(150));
        lines.add(70, "");                                                        // a bad row inside a batch
        lines.add(String.join(" ", Corpus.lines(120)));                           // past the window: scored alone
        ScoreOptions options = ScoreOptions.builder().batchSize(32).stride(64).build();
        List<Row> rows = NextToken.score(texts(lines, 3), "text", MODEL, options).collectAsList();
        assertEquals(lines.size(), rows.size());
        for (Row row : rows) {
            String text = row.getString(0);
            if (text.isEmpty()) {
                assertEquals("the text is empty", row.getString(row.fieldIndex("error")));
                assertTrue(row.isNullAt(row.fieldIndex("loss")));
                continue;
            }
            assertNull(row.get(row.fieldIndex("error")), text);
            int[] tokens = reference.tokenizer().encode(text);
            assertEquals(reference.score(tokens, 64).loss(), row.getDouble(row.fieldIndex("loss")), 1e-5, text);
        }
    }

    @Test
    void badRowsGetNullsAndAnErrorAndTheGoodRowsAreStillScored() {
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("text", DataTypes.BinaryType);
        byte[] notUtf8 = {'a', (byte) 0xC3, (byte) 0x28, 'b'};
        List<Row> input = List.of(
                RowFactory.create(1, "A good line of text.".getBytes(StandardCharsets.UTF_8)),
                RowFactory.create(2, null),
                RowFactory.create(3, new byte[0]),
                RowFactory.create(4, notUtf8),
                RowFactory.create(5, "a".getBytes(StandardCharsets.UTF_8)));
        Map<Integer, Row> out = NextToken.score(spark.createDataFrame(input, schema), "text", MODEL,
                        ScoreOptions.defaults()).collectAsList().stream()
                .collect(Collectors.toMap(r -> r.getInt(0), r -> r));
        assertEquals(reference.score("A good line of text.").loss(), out.get(1).getDouble(3), 1e-6);
        assertNull(out.get(1).get(5));
        Map<Integer, String> expectedErrors = Map.of(2, "the text is null", 3, "the text is empty",
                4, "not valid UTF-8", 5, "scoring needs at least 2");
        expectedErrors.forEach((id, error) -> {
            Row row = out.get(id);
            assertTrue(row.isNullAt(2) && row.isNullAt(3) && row.isNullAt(4), "nulls in row " + id);
            assertTrue(row.getString(5).contains(error), row.getString(5));
        });
    }

    @Test
    void aTaskThatFailsOnceIsRetriedAndTheOutputIsTheSame() {
        Dataset<Row> scored = NextToken.score(texts(Corpus.lines(120), 4), "text", MODEL, ScoreOptions.defaults());
        List<String> clean = describe(scored.collectAsList());
        FailingOnce.failures.set(0);
        List<String> retried = describe(scored.map(new FailingOnce(), Encoders.row(scored.schema())).collectAsList());
        assertTrue(FailingOnce.failures.get() >= 1, "no task failed: the test did not test a retry");
        assertEquals(clean, retried);
    }

    @Test
    void theColumnMustExistAndBeTextAndTheAddedColumnsMustBeNew() {
        Dataset<Row> data = texts(List.of("x y"), 1);
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> NextToken.score(data, "body", MODEL, ScoreOptions.defaults()));
        assertTrue(missing.getMessage().contains("[text]"), missing.getMessage());
        Dataset<Row> clash = data.withColumn("loss", org.apache.spark.sql.functions.lit(1.0));
        assertThrows(IllegalArgumentException.class, () -> NextToken.score(clash, "text", MODEL, ScoreOptions.defaults()));
        Dataset<Row> numbers = spark.range(3).toDF("text");
        assertThrows(IllegalArgumentException.class, () -> NextToken.score(numbers, "text", MODEL, ScoreOptions.defaults()));
    }

    @Test
    void aModelFolderIsLoadedOncePerJvmWhateverTheTasks() throws Exception {
        java.nio.file.Path folder = java.nio.file.Files.createTempDirectory("nexttoken-spark-model");
        for (String file : List.of("config.json", "model.safetensors")) {
            java.nio.file.Files.copy(dev.nexttoken.core.DefaultModel.folder().resolve(file), folder.resolve(file));
        }
        ModelSource source = ModelSource.of(folder.toString());
        List<Row> rows = NextToken.score(texts(Corpus.lines(100), 6), "text", source, ScoreOptions.defaults())
                .collectAsList();
        assertEquals(100, rows.size());
        assertEquals(1, ExecutorModels.loadCount(source));
        ModelSource missing = ModelSource.of(folder.resolve("absent").toString());
        Exception e = assertThrows(Exception.class,
                () -> NextToken.score(texts(List.of("a b"), 1), "text", missing, ScoreOptions.defaults()).collectAsList());
        assertTrue(String.valueOf(e.getMessage()).contains("has no config.json"), e.getMessage());
    }

    /** Each row as one comparable line. */
    static List<String> describe(List<Row> rows) {
        List<String> lines = new ArrayList<>();
        for (Row row : rows) {
            lines.add(row.mkString("|"));
        }
        lines.sort(null);
        return lines;
    }

    /** Passes rows through, but the first attempt of partition 1 throws: Spark retries that task. */
    static final class FailingOnce implements MapFunction<Row, Row> {
        static final AtomicInteger failures = new AtomicInteger();

        @Override
        public Row call(Row row) {
            TaskContext task = TaskContext.get();
            if (task.partitionId() == 1 && task.attemptNumber() == 0) {
                failures.incrementAndGet();
                throw new IllegalStateException("forced failure of the first attempt");
            }
            return row;
        }
    }
}
