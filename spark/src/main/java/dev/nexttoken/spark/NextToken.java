package dev.nexttoken.spark;

import dev.nexttoken.core.GenerationOptions;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * nexttoken over Spark datasets: {@link #score} adds how well the model predicts each row's text,
 * {@link #generate} adds a completion of each row's prompt. Both are lazy transformations (nothing
 * runs until an action); the model is loaded once per executor JVM ({@link ExecutorModels}) and
 * shared by its tasks. A row that cannot be handled (null, empty, not UTF-8, too short) gets
 * nulls and its reason in the {@code error} column: it never fails the job.
 *
 * <pre>{@code
 * Dataset<Row> scored = NextToken.score(corpus, "text", ModelSource.of("hdfs://nn/models/gpt2"),
 *         ScoreOptions.builder().stride(512).build());
 * scored.filter("perplexity < 200").write().parquet("hdfs://nn/filtered");
 * }</pre>
 */
public final class NextToken {

    private NextToken() {
    }

    /**
     * Adds {@code tokens} (int), {@code loss} (mean nats per predicted token), {@code perplexity}
     * ({@code exp(loss)}), {@code token_logprobs} (array of doubles, if asked for) and
     * {@code error} (string, null when scored). A text longer than the model's context is scored
     * with strided windows ({@link ScoreOptions.Builder#stride}).
     *
     * @param textColumn a string column, or binary holding UTF-8
     * @throws IllegalArgumentException if the column is missing or not text, or an added column exists
     */
    public static Dataset<Row> score(Dataset<Row> data, String textColumn, ModelSource source, ScoreOptions options) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(options, "options");
        StructType schema = data.schema();
        int index = Schemas.textColumn(schema, textColumn);
        StructType out = ScoreColumns.append(schema, options);
        return data.mapPartitions(new ScorePartition(index, source, hadoopConf(data.sparkSession()), options),
                Encoders.row(out));
    }

    /**
     * Adds {@code completion} (the new text only), {@code finish_reason} ({@code length},
     * {@code stop} or {@code eos}) and {@code error}. Each row's seed is derived from the
     * options' seed and the prompt text, so equal prompts get equal completions; to tell them
     * apart, use {@link #generate(Dataset, String, String, ModelSource, GenerationOptions)}.
     *
     * @throws IllegalArgumentException if the column is missing or not text, an added column
     *                                  exists, or the options hold custom processors, samplers,
     *                                  a trace or several samples
     */
    public static Dataset<Row> generate(Dataset<Row> data, String promptColumn, ModelSource source,
                                        GenerationOptions options) {
        return generate(data, promptColumn, null, source, options);
    }

    /**
     * {@link #generate(Dataset, String, ModelSource, GenerationOptions)} with each row's seed
     * derived from the options' seed and the value of {@code keyColumn} (an id that stays with
     * the row across runs); {@code null} means the prompt.
     */
    public static Dataset<Row> generate(Dataset<Row> data, String promptColumn, String keyColumn, ModelSource source,
                                        GenerationOptions options) {
        Objects.requireNonNull(source, "source");
        GenerationSettings settings = new GenerationSettings(Objects.requireNonNull(options, "options"));
        StructType schema = data.schema();
        int promptIndex = Schemas.textColumn(schema, promptColumn);
        int keyIndex = -1;
        if (keyColumn != null) {
            if (!Arrays.asList(schema.fieldNames()).contains(keyColumn)) {
                throw new IllegalArgumentException("no key column '" + keyColumn + "': the dataset has "
                        + Arrays.toString(schema.fieldNames()));
            }
            keyIndex = schema.fieldIndex(keyColumn);
        }
        StructType out = Schemas.append(schema, List.of(
                DataTypes.createStructField("completion", DataTypes.StringType, true),
                DataTypes.createStructField("finish_reason", DataTypes.StringType, true),
                DataTypes.createStructField(ScoreColumns.ERROR, DataTypes.StringType, true)));
        return data.mapPartitions(new GeneratePartition(promptIndex, keyIndex, source,
                hadoopConf(data.sparkSession()), settings), Encoders.row(out));
    }

    /** The session's Hadoop configuration, to read the model's filesystem on the executors. */
    static SerializableConfiguration hadoopConf(SparkSession spark) {
        return new SerializableConfiguration(spark.sparkContext().hadoopConfiguration());
    }
}
