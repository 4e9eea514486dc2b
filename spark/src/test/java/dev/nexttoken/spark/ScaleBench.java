package dev.nexttoken.spark;

import dev.nexttoken.core.Generator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The measurements of docs/SCALE.md (a program, not a test): scoring tokens/s of one process
 * ({@code Generator.score} in a loop) and of Spark with {@code local[1]} and {@code local[2]},
 * and where a Spark run's time goes (model fetch, load, scoring, Parquet write).
 *
 * <p>Arguments: {@code MODEL_DIR|default LINES REPEAT_LINE}: the corpus is {@code LINES} lines,
 * each {@link Corpus} line repeated {@code REPEAT_LINE} times into one text (longer texts).
 */
public final class ScaleBench {

    private ScaleBench() {
    }

    public static void main(String[] args) throws Exception {
        String model = args.length > 0 ? args[0] : "default";
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        int repeat = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        List<String> base = Corpus.lines(n);
        List<String> texts = base.stream().map(line -> (line + " ").repeat(repeat).strip()).toList();
        ModelSource source = ModelSource.of(model);

        long t0 = System.nanoTime();
        Generator gen = source.isDefault() ? Generator.loadDefault() : Generator.load(Path.of(source.uri()));
        double loadS = seconds(t0);
        long tokens = 0;
        gen.score(texts.get(0));                                                          // warm-up
        t0 = System.nanoTime();
        for (String text : texts) {
            tokens += gen.score(text).tokens().length;
        }
        double oneS = seconds(t0);
        gen.close();
        print("single process: load %.2f s, %d texts, %d tokens, %.2f s, %.0f tokens/s", loadS, n, tokens, oneS,
                tokens / oneS);

        if (!source.isDefault()) {                                                          // the fetch, as ModelFetcher copies
            Configuration conf = new Configuration();
            FileSystem fs = FileSystem.get(source.uri(), conf);
            Path scratch = Files.createTempDirectory("fetch-bench");
            t0 = System.nanoTime();
            for (String file : List.of("config.json", "model.safetensors")) {
                try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(source.uri() + "/" + file))) {
                    Files.copy(in, scratch.resolve(file));
                }
            }
            print("fetch through Hadoop's FileSystem (file: to local disk): %.2f s", seconds(t0));
        }

        for (String master : List.of("local[1]", "local[2]")) {
            ExecutorModels.closeAll();
            SparkSession spark = SparkSession.builder().master(master).appName("scale-bench")
                    .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
            Dataset<Row> data = spark.createDataset(texts, Encoders.STRING()).toDF("text").repartition(4).cache();
            data.count();
            t0 = System.nanoTime();
            NextToken.score(data.limit(1), "text", source, ScoreOptions.defaults()).write().format("noop")
                    .mode(SaveMode.Overwrite).save();                                       // loads the model
            double firstS = seconds(t0);
            t0 = System.nanoTime();
            NextToken.score(data, "text", source, ScoreOptions.defaults()).write().format("noop")
                    .mode(SaveMode.Overwrite).save();
            double scoreS = seconds(t0);
            Path out = Files.createTempDirectory("scale-bench");
            t0 = System.nanoTime();
            NextToken.score(data, "text", source, ScoreOptions.defaults()).write().mode(SaveMode.Overwrite)
                    .parquet(out.toString());
            double parquetS = seconds(t0);
            print("%s: first task (load) %.2f s, scoring %.2f s = %.0f tokens/s, scoring + Parquet %.2f s (Parquet %.2f s)",
                    master, firstS, scoreS, tokens / scoreS, parquetS, parquetS - scoreS);
            t0 = System.nanoTime();
            NextToken.score(data, "text", source, ScoreOptions.builder().batchSize(64).build()).write().format("noop")
                    .mode(SaveMode.Overwrite).save();
            double batchS = seconds(t0);
            print("%s, batches of 64 rows: scoring %.2f s = %.0f tokens/s", master, batchS, tokens / batchS);
            spark.stop();
        }
        ExecutorModels.closeAll();
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

    private static void print(String format, Object... args) {
        System.out.println("BENCH " + String.format(Locale.ROOT, format, args));
    }
}
