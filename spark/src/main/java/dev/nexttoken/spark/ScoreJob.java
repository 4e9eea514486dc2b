package dev.nexttoken.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

import static org.apache.spark.sql.functions.col;

/**
 * The scoring job to submit:
 * <pre>
 * spark-submit --class dev.nexttoken.spark.ScoreJob nexttoken-spark-VERSION-job.jar \
 *     --input PATH --format text|jsonl|parquet --column text --model URI --output PATH [--max-perplexity X]
 * </pre>
 * writes Parquet: the input columns and {@code tokens}, {@code loss}, {@code perplexity},
 * {@code error}; with {@code --max-perplexity}, only the rows scored at or below it (the filter
 * use: rows that could not be scored do not pass).
 */
@Command(name = "ScoreJob", mixinStandardHelpOptions = true,
        description = "Scores each text with a GPT-2 and writes the rows with their loss and perplexity as Parquet.")
public final class ScoreJob implements Callable<Integer> {

    @Mixin
    JobInput io;

    @Option(names = "--max-perplexity", description = "keep only the rows whose perplexity is at most this")
    Double maxPerplexity;

    @Option(names = "--stride", defaultValue = "0",
            description = "window stride for texts longer than the context (0: the whole context)")
    int stride;

    @Option(names = "--token-logprobs", description = "add the token_logprobs column")
    boolean tokenLogProbs;

    @Option(names = "--batch-size", defaultValue = "1",
            description = "rows scored together (faster for short texts; equal to single scoring up to float rounding)")
    int batchSize;

    /** Runs the job; a non-zero status for bad arguments. */
    public static void main(String[] args) {
        JobInput.exitOnFailure(new CommandLine(new ScoreJob()).execute(args));
    }

    @Override
    public Integer call() {
        if (maxPerplexity != null && !(maxPerplexity > 0)) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--max-perplexity must be > 0, got " + maxPerplexity);
        }
        ScoreOptions options = ScoreOptions.builder().stride(stride).tokenLogProbs(tokenLogProbs)
                .batchSize(batchSize).build();
        return io.run("nexttoken-score", input -> {
            Dataset<Row> scored = NextToken.score(input, io.column, io.source(), options);
            return maxPerplexity == null ? scored : scored.filter(col(ScoreColumns.PERPLEXITY).leq(maxPerplexity));
        });
    }
}
