package dev.nexttoken.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nexttoken.core.io.SafetensorsFile;
import dev.nexttoken.core.model.Gpt2Weights;
import dev.nexttoken.core.train.TokenData;
import dev.nexttoken.core.train.TokenFormat;
import dev.nexttoken.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandTest {

    /** The final line on standard output. */
    private static final Pattern FINAL_LINE = Pattern.compile("step (\\d+): train loss \\d+\\.\\d{4}, val loss \\d+\\.\\d{4},"
            + " val perplexity \\d+\\.\\d{2} \\(unigram baseline: val loss \\d+\\.\\d{4}, perplexity \\d+\\.\\d{2}\\)\n");

    @TempDir
    Path tmp;

    private Path text(String name, int sentences) throws IOException {
        StringBuilder text = new StringBuilder();
        String[] words = {"the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "its", "home"};
        for (int i = 0; i < sentences; i++) {
            text.append(words[i % words.length]).append(' ').append(words[(i * 7) % words.length]).append(".\n");
        }
        Path file = tmp.resolve(name);
        Files.writeString(file, text);
        return file;
    }

    /** A tiny model: 1 block, width 16, 8 positions; a few steps. */
    private List<String> tinyRun(Path data, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--data", data.toString(), "--out", out.toString(),
                "--n-layer", "1", "--n-head", "2", "--n-embd", "16", "--block-size", "8", "--batch-size", "2",
                "--eval-interval", "2", "--eval-batches", "1", "--learning-rate", "3e-3"));
        args.addAll(List.of(extra));
        return args;
    }

    private static CliRun train(List<String> args) {
        TrainCommand command = new TrainCommand();
        command.progressBar = false;
        return CliRun.runWith(command, args.toArray(String[]::new));
    }

    @Test
    void trainsAndWritesAModelFolderThatLoads() throws IOException {
        Path data = text("corpus.txt", 300);
        Path out = tmp.resolve("model");

        CliRun run = train(tinyRun(data, out, "--max-steps", "4"));

        assertEquals(ExitCodes.OK, run.exitCode(), run.err());
        assertTrue(FINAL_LINE.matcher(run.out()).matches(), run.out());
        assertTrue(run.out().startsWith("step 4: "), run.out());
        assertTrue(run.err().contains("unigram baseline: val loss "), run.err());
        assertTrue(run.err().contains("step 2: train loss "), run.err());
        assertTrue(run.err().contains("step 4: checkpoint written to " + out), run.err());
        assertTrue(run.err().contains("model: 1 layers, 2 heads, width 16, context 8: "), run.err());
        try (Gpt2Weights weights = Gpt2Weights.load(out)) {
            assertEquals(16, weights.config().nEmbd());
            assertEquals(8, weights.config().nPositions());
            assertEquals(50257, weights.config().vocabSize());
        }
        Path cache = tmp.resolve("corpus.txt" + TrainCommand.TOKEN_CACHE_SUFFIX);
        assertArrayEquals(Tokenizer.gpt2().encode(Files.readString(data)),
                TokenData.open(cache, TokenFormat.UINT16).toArray());
    }

    @Test
    void f16OutputIsHalfTheSizeAndStillLoads() throws IOException {
        Path data = text("corpus.txt", 300);
        Path f32 = tmp.resolve("f32");
        Path f16 = tmp.resolve("f16");
        assertEquals(0, train(tinyRun(data, f32, "--max-steps", "2")).exitCode());
        CliRun run = train(tinyRun(data, f16, "--max-steps", "2", "--dtype", "f16"));
        assertEquals(0, run.exitCode(), run.err());
        long full = Files.size(f32.resolve("model.safetensors"));
        long half = Files.size(f16.resolve("model.safetensors"));
        assertTrue(half < full * 0.51, full + " vs " + half);
        try (SafetensorsFile file = SafetensorsFile.open(f16.resolve("model.safetensors"))) {
            assertEquals("F16", file.info("wte.weight").dtype().name());
        }
        try (Gpt2Weights weights = Gpt2Weights.load(f16)) {
            assertEquals(1, weights.config().nLayer());
        }
    }

    @Test
    void resumeContinuesToMaxStepsFromTheCheckpoint() throws IOException {
        Path data = text("corpus.txt", 300);
        Path out = tmp.resolve("model");
        assertEquals(0, train(tinyRun(data, out, "--max-steps", "2")).exitCode());

        CliRun resumed = train(List.of("train", "--data", data.toString(), "--out", out.toString(),
                "--resume", out.toString(), "--max-steps", "4", "--batch-size", "2", "--eval-interval", "2",
                "--eval-batches", "1"));

        assertEquals(0, resumed.exitCode(), resumed.err());
        assertTrue(resumed.err().contains("resuming " + out + " at step 2 of 4"), resumed.err());
        assertTrue(resumed.out().startsWith("step 4: "), resumed.out());
    }

    @Test
    void resumeTakesTheCheckpointsOptionsUnlessGivenAndNamesThoseThatDiffer() throws IOException {
        Path data = text("corpus.txt", 300);
        Path explicit = tmp.resolve("explicit");
        Path implicit = tmp.resolve("implicit");
        assertEquals(0, train(tinyRun(data, explicit, "--max-steps", "2")).exitCode());
        assertEquals(0, train(tinyRun(data, implicit, "--max-steps", "2")).exitCode());

        CliRun all = train(tinyRun(data, explicit, "--resume", explicit.toString(), "--max-steps", "4",
                "--warmup-steps", "0", "--min-learning-rate", "3e-4"));
        CliRun few = train(List.of("train", "--data", data.toString(), "--out", implicit.toString(),
                "--resume", implicit.toString(), "--max-steps", "4"));

        assertEquals(0, all.exitCode(), all.err());
        assertEquals(0, few.exitCode(), few.err());
        assertTrue(few.err().contains("note: --max-steps 4, where the checkpoint's run had 2"), few.err());
        assertFalse(few.err().contains("--batch-size"), few.err());
        try (SafetensorsFile a = SafetensorsFile.open(explicit.resolve("model.safetensors"));
             SafetensorsFile b = SafetensorsFile.open(implicit.resolve("model.safetensors"))) {
            for (String name : a.names()) {
                assertArrayEquals(a.load(name).ravel().toFloatVector(), b.load(name).ravel().toFloatVector(), 0f, name);
            }
        }
        CliRun changed = train(List.of("train", "--data", data.toString(), "--out", implicit.toString(),
                "--resume", implicit.toString(), "--max-steps", "6", "--batch-size", "3"));
        assertEquals(0, changed.exitCode(), changed.err());
        assertTrue(changed.err().contains("note: --batch-size 3, where the checkpoint's run had 2"), changed.err());
    }

    @Test
    void resumeRefusesADamagedCheckpointWithOneLineBeforeAnyWork() throws IOException {
        Path data = text("corpus.txt", 300);
        Path out = tmp.resolve("model");
        assertEquals(0, train(tinyRun(data, out, "--max-steps", "2")).exitCode());
        Path optimizer = out.resolve("training/step-2/optimizer.safetensors");
        long size = Files.size(optimizer);
        Files.write(optimizer, Arrays.copyOf(Files.readAllBytes(optimizer), 1000));      // cut short

        CliRun run = train(List.of("train", "--data", data.toString(), "--out", out.toString(),
                "--resume", out.toString(), "--max-steps", "4"));

        assertOneLineUsageError(run, "nexttoken train: --resume " + optimizer + ": 1000 bytes, but manifest.json says "
                + size + ": the file was cut short or replaced");
    }

    @Test
    void resumeWithAnotherShapeIsABadArgument() throws IOException {
        Path data = text("corpus.txt", 300);
        Path out = tmp.resolve("model");
        assertEquals(0, train(tinyRun(data, out, "--max-steps", "1")).exitCode());

        CliRun run = train(List.of("train", "--data", data.toString(), "--out", out.toString(),
                "--resume", out.toString(), "--n-layer", "3"));

        assertOneLineUsageError(run, "nexttoken train: --n-layer 3 differs from the checkpoint's 1; leave it out when resuming");
    }

    @Test
    void badArgumentsAreOneLineAndExitCode2() throws IOException {
        Path data = text("corpus.txt", 300);
        Path out = tmp.resolve("model");
        Path missing = tmp.resolve("missing.txt");
        assertOneLineUsageError(train(List.of("train", "--data", missing.toString(), "--out", out.toString())),
                "nexttoken train: --data: no such file: " + missing);
        assertOneLineUsageError(train(tinyRun(data, out, "--dtype", "BF16")),
                "nexttoken train: --dtype must be F32 or F16, got 'BF16'");
        assertOneLineUsageError(train(List.of("train", "--data", data.toString(), "--out", out.toString(),
                "--n-embd", "10", "--n-head", "4")), "nexttoken train: --n-embd (10) must be a multiple of --n-head (4)");
        assertOneLineUsageError(train(List.of("train", "--data", data.toString(), "--out", out.toString(),
                "--batch-size", "0")),
                "nexttoken train: --batch-size must be at least 1, got 0");
        assertOneLineUsageError(train(tinyRun(data, out, "--min-learning-rate", "1")),
                "nexttoken train: --min-learning-rate must be in [0, --learning-rate 0.003], got 1.0");
        assertOneLineUsageError(train(tinyRun(data, out, "--resume", data.toString())),
                "nexttoken train: --resume " + data + ": not a training checkpoint (no training/latest)");
        CliRun noOut = train(List.of("train", "--data", data.toString()));
        assertEquals(ExitCodes.USAGE, noOut.exitCode());
        assertTrue(noOut.err().startsWith("nexttoken train: Missing required option: '--out=DIR'"), noOut.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void tooLittleTextForAWindowIsABadArgument() throws IOException {
        Path data = text("short.txt", 3);
        CliRun run = train(tinyRun(data, tmp.resolve("out"), "--max-steps", "1"));
        assertEquals(ExitCodes.USAGE, run.exitCode(), run.err());
        assertTrue(run.err().startsWith("nexttoken train: --data: 12 tokens split into 11 to train on and 1 to validate;"),
                run.err());
    }

    @Test
    void tokenCacheIsUsedWhileNewerThanTheText() throws IOException {
        Path data = text("corpus.txt", 10);
        Path cache = tmp.resolve("corpus.txt" + TrainCommand.TOKEN_CACHE_SUFFIX);
        PrintWriter err = new PrintWriter(new StringWriter());
        Tokenizer tokenizer = Tokenizer.gpt2();
        int[] real = tokenizer.encode(Files.readString(data));

        assertArrayEquals(real, TrainCommand.tokensOf(data, tokenizer, err));      // writes the cache
        TokenData.write(cache, new int[] {1, 2, 3}, TokenFormat.UINT16);            // a cache that differs...
        Files.setLastModifiedTime(cache, FileTime.fromMillis(Files.getLastModifiedTime(data).toMillis() + 5000));
        assertArrayEquals(new int[] {1, 2, 3}, TrainCommand.tokensOf(data, tokenizer, err)); // ...is used while newer

        Files.setLastModifiedTime(data, FileTime.fromMillis(Files.getLastModifiedTime(cache).toMillis() + 5000));
        assertArrayEquals(real, TrainCommand.tokensOf(data, tokenizer, err));      // text changed: tokenized again
        assertArrayEquals(real, TokenData.open(cache, TokenFormat.UINT16).toArray());
    }

    private static void assertOneLineUsageError(CliRun run, String line) {
        assertEquals(ExitCodes.USAGE, run.exitCode(), run.err());
        assertEquals(List.of(line), run.errLines());
        assertEquals("", run.out());
    }
}
