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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job jar submitted as {@code spark-submit} does it: {@code org.apache.spark.deploy.SparkSubmit}
 * in new JVMs (three at once) with only Spark's jars on their class path, {@code --master local[2]}; the Parquet
 * it writes is read back here and checked against the model in this JVM.
 */
class SubmitJobIT {

    @TempDir
    static Path dir;
    private static SparkSession spark;
    private static Generator reference;
    private static final List<String> LINES = Corpus.lines(30);

    private static Map<String, Future<String>> submissions;

    /** Writes the three inputs and submits the three jobs at once (Spark's start-up mostly waits). */
    @BeforeAll
    static void submitAll() throws Exception {
        spark = SparkTestSession.get();
        reference = Generator.loadDefault();
        List<String> lines = new ArrayList<>(LINES);
        lines.add("");                                                       // a bad row: in the output, with its error
        Path text = Files.write(dir.resolve("corpus.txt"), lines);
        List<String> json = new ArrayList<>();
        for (int i = 0; i < LINES.size(); i++) {
            json.add("{\"id\":" + i + ",\"body\":\"" + LINES.get(i) + "\"}");
        }
        Path jsonl = Files.write(dir.resolve("corpus.jsonl"), json);
        StructType schema = new StructType().add("id", DataTypes.LongType).add("prompt", DataTypes.StringType);
        List<Row> prompts = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            prompts.add(RowFactory.create((long) i, LINES.get(i)));
        }
        Path parquet = dir.resolve("prompts.parquet");
        spark.createDataFrame(prompts, schema).write().parquet(parquet.toString());

        ExecutorService pool = Executors.newFixedThreadPool(3);
        submissions = new LinkedHashMap<>();
        submissions.put("score-text", pool.submit(() -> submit(ScoreJob.class.getName(), "score-text",
                "--input", text.toString(), "--format", "text", "--column", "text", "--model", "default",
                "--output", dir.resolve("scored-text").toString())));
        submissions.put("score-jsonl", pool.submit(() -> submit(ScoreJob.class.getName(), "score-jsonl",
                "--input", jsonl.toString(), "--format", "jsonl", "--column", "body",
                "--output", dir.resolve("scored-jsonl").toString(), "--max-perplexity", Double.toString(threshold()))));
        submissions.put("generate-parquet", pool.submit(() -> submit(GenerateJob.class.getName(), "generate-parquet",
                "--input", parquet.toString(), "--format", "parquet", "--column", "prompt", "--key-column", "id",
                "--max-new-tokens", "6", "--output", dir.resolve("generated").toString())));
        pool.shutdown();
    }

    /** Midway between two middle perplexities of the corpus (in this JVM): about half the JSONL rows pass, none is near it. */
    private static double threshold() {
        List<Double> sorted = LINES.stream().map(t -> reference.score(t).perplexity()).sorted().toList();
        return (sorted.get(LINES.size() / 2) + sorted.get(LINES.size() / 2 + 1)) / 2;
    }

    /** The output folder of a finished submission, or its log as the failure message. */
    private static String output(String name, String folder) throws Exception {
        String failure = submissions.get(name).get(4, TimeUnit.MINUTES);
        assertNull(failure, failure);
        return dir.resolve(folder).toString();
    }

    @AfterAll
    static void close() {
        reference.close();
    }

    /** Null when the job succeeded, else its status and log. */
    private static String submit(String mainClass, String name, String... args) throws Exception {
        Path log = Path.of("target", "submit-" + name + ".log");
        int status = SparkRuntime.submit(mainClass, log, args);
        return status == 0 ? null : "SparkSubmit " + name + " exited with " + status + ":\n" + Files.readString(log);
    }

    @Test
    void scoreJobOnATextFileWritesEveryLineWithItsScore() throws Exception {
        List<Row> rows = spark.read().parquet(output("score-text", "scored-text")).collectAsList();
        assertEquals(LINES.size() + 1, rows.size());
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
        Map<String, Double> perplexity = LINES.stream().collect(Collectors.toMap(t -> t, t -> reference.score(t).perplexity()));
        double threshold = threshold();
        List<Row> rows = spark.read().parquet(output("score-jsonl", "scored-jsonl")).collectAsList();
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
        List<Row> rows = spark.read().parquet(output("generate-parquet", "generated")).collectAsList();
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
