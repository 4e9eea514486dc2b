package dev.nexttoken.spark;

import dev.nexttoken.core.GenerationOptions;
import dev.nexttoken.core.Generator;
import dev.nexttoken.core.Sample;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job jar submitted as {@code spark-submit} does it: {@code org.apache.spark.deploy.SparkSubmit}
 * in a new JVM with only Spark's jars on its class path, {@code --master local[2]}; the Parquet
 * it writes is read back here and checked against the model in this JVM.
 */
class SubmitJobIT {

    @TempDir
    static Path dir;
    private static SparkSession spark;
    private static Generator reference;
    private static final List<String> LINES = Corpus.lines(30);

    @BeforeAll
    static void start() {
        spark = SparkTestSession.get();
        reference = Generator.loadDefault();
    }

    @AfterAll
    static void close() {
        reference.close();
    }

    private static void submit(String mainClass, String name, String... args) throws Exception {
        Path log = Path.of("target", "submit-" + name + ".log");
        int status = SparkRuntime.submit(mainClass, log, args);
        assertEquals(0, status, "SparkSubmit failed: " + Files.readString(log));
    }

    @Test
    void scoreJobOnATextFileWritesEveryLineWithItsScore() throws Exception {
        List<String> lines = new ArrayList<>(LINES);
        lines.add("");                                                       // a bad row: in the output, with its error
        Path input = Files.write(dir.resolve("corpus.txt"), lines);
        Path output = dir.resolve("scored-text");
        submit(ScoreJob.class.getName(), "score-text", "--input", input.toString(), "--format", "text",
                "--column", "text", "--model", "default", "--output", output.toString());
        List<Row> rows = spark.read().parquet(output.toString()).collectAsList();
        assertEquals(lines.size(), rows.size());
        for (Row row : rows) {
            String text = row.getAs("text");
            if (text.isEmpty()) {
                assertEquals("the text is empty", row.getAs("error"));
                assertNull(row.getAs("loss"));
            } else {
                assertEquals(reference.score(text).loss(), (Double) row.getAs("loss"), 1e-6, text);
            }
        }
    }

    @Test
    void scoreJobOnJsonlWithMaxPerplexityKeepsOnlyTheRowsThatPass() throws Exception {
        List<String> json = new ArrayList<>();
        for (int i = 0; i < LINES.size(); i++) {
            json.add("{\"id\":" + i + ",\"body\":\"" + LINES.get(i) + "\"}");
        }
        Path input = Files.write(dir.resolve("corpus.jsonl"), json);
        Map<String, Double> perplexity = LINES.stream().collect(Collectors.toMap(t -> t, t -> reference.score(t).perplexity()));
        double threshold = perplexity.values().stream().sorted().toList().get(LINES.size() / 2);
        Path output = dir.resolve("scored-jsonl");
        submit(ScoreJob.class.getName(), "score-jsonl", "--input", input.toString(), "--format", "jsonl",
                "--column", "body", "--output", output.toString(), "--max-perplexity", Double.toString(threshold));
        List<Row> rows = spark.read().parquet(output.toString()).collectAsList();
        long expected = perplexity.values().stream().filter(p -> p <= threshold).count();
        assertEquals(expected, rows.size());
        for (Row row : rows) {
            String body = row.getAs("body");
            assertTrue(perplexity.get(body) <= threshold, body);
            assertEquals(LINES.indexOf(body), ((Long) row.getAs("id")).intValue());
        }
    }

    @Test
    void generateJobOnParquetWritesEachRowsCompletion() throws Exception {
        StructType schema = new StructType().add("id", DataTypes.LongType).add("prompt", DataTypes.StringType);
        List<Row> input = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            input.add(RowFactory.create((long) i, LINES.get(i)));
        }
        Path parquet = dir.resolve("prompts.parquet");
        spark.createDataFrame(input, schema).write().parquet(parquet.toString());
        Path output = dir.resolve("generated");
        submit(GenerateJob.class.getName(), "generate-parquet", "--input", parquet.toString(), "--format", "parquet",
                "--column", "prompt", "--key-column", "id", "--max-new-tokens", "6", "--output", output.toString());
        List<Row> rows = spark.read().parquet(output.toString()).collectAsList();
        assertEquals(8, rows.size());
        for (Row row : rows) {
            long id = row.getAs("id");
            GenerationOptions options = GenerationOptions.builder().maxNewTokens(6).temperature(0.8).topK(200)
                    .topP(1.0).seed(RowSeeds.seed(1337, Long.toString(id))).build();
            Sample expected = reference.generate((String) row.getAs("prompt"), options).samples().get(0);
            assertEquals(expected.text(), row.getAs("completion"));
            assertEquals(expected.finishReason().jsonName(), row.getAs("finish_reason"));
        }
    }
}
