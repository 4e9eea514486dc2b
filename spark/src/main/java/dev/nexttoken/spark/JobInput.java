package dev.nexttoken.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Option;

import java.util.function.Function;

/**
 * What {@link ScoreJob} and {@link GenerateJob} share: where the rows come from, which column
 * holds the text, the model, and where the Parquet goes (a picocli mixin).
 */
final class JobInput {

    /** How the input is stored. */
    enum Format {
        /** One text per line (the column is named by {@code --column}). */
        text,
        /** One JSON object per line. */
        jsonl,
        /** Parquet files. */
        parquet
    }

    @Option(names = "--input", required = true, description = "input file or folder (any Hadoop URI)")
    String input;

    @Option(names = "--format", required = true, description = "text, jsonl or parquet")
    Format format;

    @Option(names = "--column", required = true, description = "the column holding the texts")
    String column;

    @Option(names = "--model", defaultValue = "default",
            description = "model folder URI (hdfs://, s3a://, file:/ or a path), or 'default' for the embedded model")
    String model;

    @Option(names = "--output", required = true, description = "output folder for the Parquet files")
    String output;

    @Option(names = "--overwrite", description = "replace the output folder if it exists")
    boolean overwrite;

    /** The input rows; a text file gives one row per line in the column {@code --column}. */
    Dataset<Row> read(SparkSession spark) {
        return switch (format) {
            case text -> spark.read().text(input).withColumnRenamed("value", column);
            case jsonl -> spark.read().json(input);
            case parquet -> spark.read().parquet(input);
        };
    }

    /** Writes {@code rows} as Parquet to {@code --output}. */
    void write(Dataset<Row> rows) {
        rows.write().mode(overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists).parquet(output);
    }

    /**
     * The job: starts (or joins) the session {@code spark-submit} configured, writes what
     * {@code transform} makes of the input as Parquet, and stops the session.
     *
     * @return 0, the exit status of a job that ran
     */
    int run(String appName, Function<Dataset<Row>, Dataset<Row>> transform) {
        SparkSession spark = SparkSession.builder().appName(appName).getOrCreate();
        try {
            write(transform.apply(read(spark)));
            return 0;
        } finally {
            spark.stop();
        }
    }

    /** Ends the JVM with {@code status} unless it is 0 (then {@code main} returns, as spark-submit expects). */
    static void exitOnFailure(int status) {
        if (status != 0) {
            System.exit(status);
        }
    }

    /** The model source named by {@code --model}. */
    ModelSource source() {
        return ModelSource.of(model);
    }
}
