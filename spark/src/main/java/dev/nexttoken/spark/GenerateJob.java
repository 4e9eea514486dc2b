package dev.nexttoken.spark;

import dev.nexttoken.core.GenerationOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/**
 * The generation job to submit:
 * <pre>
 * spark-submit --class dev.nexttoken.spark.GenerateJob nexttoken-spark-VERSION-job.jar \
 *     --input PATH --format text|jsonl|parquet --column prompt --model URI --output PATH [--key-column id]
 * </pre>
 * writes Parquet: the input columns and {@code completion}, {@code finish_reason}, {@code error}.
 * The same input and options give the same completions on every run.
 */
@Command(name = "GenerateJob", mixinStandardHelpOptions = true,
        description = "Completes each prompt with a GPT-2 and writes the rows with their completion as Parquet.")
public final class GenerateJob implements Callable<Integer> {

    @Mixin
    JobInput io;

    @Option(names = "--key-column", description = "a column whose value seeds each row (default: the prompt)")
    String keyColumn;

    @Option(names = "--max-new-tokens", defaultValue = "50", description = "most new tokens per row (default 50)")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0.8", description = "0 is greedy (default 0.8)")
    double temperature;

    @Option(names = "--top-k", defaultValue = "200", description = "0 is off (default 200)")
    int topK;

    @Option(names = "--top-p", defaultValue = "1.0", description = "nucleus sampling (default 1.0: off)")
    double topP;

    @Option(names = "--seed", defaultValue = "1337", description = "the base seed of every row (default 1337)")
    long seed;

    /** Runs the job; a non-zero status for bad arguments. */
    public static void main(String[] args) {
        JobInput.exitOnFailure(new CommandLine(new GenerateJob()).execute(args));
    }

    @Override
    public Integer call() {
        GenerationOptions options = GenerationOptions.builder().maxNewTokens(maxNewTokens).temperature(temperature)
                .topK(topK).topP(topP).seed(seed).build();
        return io.run("nexttoken-generate",
                input -> NextToken.generate(input, io.column, keyColumn, io.source(), options));
    }
}
