package dev.nexttoken.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nexttoken.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** nanoGPT's {@code sample.py} command lines carry over to {@code generate} and {@code next}. */
class NanoGptAliasTest {

    @TempDir
    Path tmp;

    @Test
    void sampleDotPyNamesFillTheSameFieldsAsKebabCase() throws IOException {
        Path prompt = tmp.resolve("prompt.txt");
        Files.writeString(prompt, "What is the answer to life, the universe, and everything?", StandardCharsets.UTF_8);

        GenerateCommand nano = parse(GenerateCommand.class, "generate", "--start=FILE:" + prompt,
                "--num_samples=3", "--max_new_tokens=100", "--temperature=0.8", "--top_k=200", "--seed=1337");
        GenerateCommand kebab = parse(GenerateCommand.class, "generate", "--start", "FILE:" + prompt,
                "--num-samples", "3", "--max-new-tokens", "100", "--temperature", "0.8", "--top-k", "200",
                "--seed", "1337");

        for (GenerateCommand command : List.of(nano, kebab)) {
            assertEquals(3, command.generation.numSamples);
            assertEquals(100, command.generation.maxNewTokens);
            assertEquals(0.8, command.sampling.temperature());
            assertEquals(200, command.sampling.topK);
            assertEquals(1337L, command.sampling.seed);
            assertEquals("What is the answer to life, the universe, and everything?", command.prompt.promptText());
            assertArrayEquals(new int[] {2061, 318, 262, 3280, 284, 1204, 11, 262, 6881, 11, 290, 2279, 30},
                    command.prompt.promptTokens(Tokenizer.gpt2()));
            assertNull(command.prompt.model());
        }
    }

    @Test
    void everySamplingOptionHasBothSpellings() {
        String[][] spellings = {
            {"--top-p=0.9", "--top_p=0.9"},
            {"--min-p=0.05", "--min_p=0.05"},
            {"--typical-p=0.95", "--typical_p=0.95"},
            {"--min-tokens-to-keep=3", "--min_tokens_to_keep=3"},
            {"--repetition-penalty=1.3", "--repetition_penalty=1.3"},
            {"--frequency-penalty=0.5", "--frequency_penalty=0.5"},
            {"--presence-penalty=0.25", "--presence_penalty=0.25"},
        };
        for (String[] pair : spellings) {
            SamplingCliOptions kebab = parse(GenerateCommand.class, "generate", pair[0]).sampling;
            SamplingCliOptions snake = parse(GenerateCommand.class, "generate", pair[1]).sampling;
            assertEquals(describe(kebab), describe(snake), pair[0]);
        }
        SamplingCliOptions all = parse(GenerateCommand.class, "generate", "--top-p=0.9", "--min-p=0.05",
                "--typical-p=0.95", "--repetition-penalty=1.3", "--frequency-penalty=0.5",
                "--presence-penalty=0.25", "--min-tokens-to-keep=3").sampling;
        assertEquals("null 0.9 0.05 0.95 1.3 0.5 0.25 null 3", describe(all));
    }

    @Test
    void unsetOptionsStayNullForTheLibraryDefaults() {
        GenerateCommand command = parse(GenerateCommand.class, "generate");

        assertFalse(command.prompt.hasPrompt());
        assertNull(command.prompt.promptText());
        assertNull(command.sampling.temperature());
        assertEquals(List.of(), command.sampling.temperatures());
        assertEquals("null null null null null null null null null", describe(command.sampling));
        assertNull(command.generation.maxNewTokens);
        assertNull(command.generation.numSamples);
        assertEquals(List.of(), command.generation.stops());
        assertFalse(command.generation.stream);
        assertFalse(command.json);
        assertFalse(command.separator);
    }

    @Test
    void generateOptionsParse() {
        GenerateCommand command = parse(GenerateCommand.class, "generate", "--tokens", "50256",
                "--model", "models/gpt2", "--stop", "\n\n", "--stop=THE END", "--stream", "--json", "--allow-special");

        assertArrayEquals(new int[] {50256}, command.prompt.promptTokens(Tokenizer.gpt2()));
        assertNull(command.prompt.promptText());
        assertEquals(Path.of("models/gpt2"), command.prompt.model());
        assertEquals(List.of("\n\n", "THE END"), command.generation.stops());
        assertTrue(command.generation.stream);
        assertTrue(command.json);
        assertTrue(command.prompt.allowSpecial);
    }

    @Test
    void nextTakesATemperatureListForThePlot() {
        NextCommand command = parse(NextCommand.class, "next", "--start", "The capital of France is",
                "--temperature=0.5,1,1.5", "--plot", "t.png", "--top", "5");

        assertEquals(List.of(0.5, 1.0, 1.5), command.sampling.temperatures());
        assertEquals(Path.of("t.png"), command.plot);
        assertEquals(5, command.top);
        assertEquals(10, parse(NextCommand.class, "next").top);
    }

    @Test
    void aTemperatureListIsRejectedWhereOneValueIsExpected() {
        SamplingCliOptions sampling = parse(GenerateCommand.class, "generate", "--temperature=0.5,1").sampling;

        BadArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                BadArgumentException.class, sampling::temperature);
        assertEquals("--temperature takes one value here, got 2; a comma-separated list is only for 'next --plot'",
                e.getMessage());
    }

    @Test
    void initFromAndOutDirAreRejectedWithWhatToDoInstead() {
        CliRun initFrom = CliRun.runWith(new MixinProbe(), "probe", "--init_from=resume");
        CliRun outDir = CliRun.runWith(new MixinProbe(), "probe", "--out_dir=out-shakespeare-char");

        assertEquals(ExitCodes.USAGE, initFrom.exitCode());
        assertEquals(List.of("nexttoken probe: --init_from=resume is nanoGPT's way to choose a model;"
                + " nexttoken reads a Hugging Face GPT-2 folder (config.json and model.safetensors):"
                + " give --model DIR, or neither for the default model"), initFrom.errLines());
        assertEquals(ExitCodes.USAGE, outDir.exitCode());
        assertEquals(1, outDir.errLines().size());
        assertTrue(outDir.err().contains("--out_dir=out-shakespeare-char names a nanoGPT checkpoint folder"));
    }

    @Test
    void deviceAndCompileAreIgnoredWithOneNote() {
        MixinProbe probe = new MixinProbe();
        CliRun run = CliRun.runWith(probe, "probe", "--device=cpu", "--compile=False",
                "--start=Hi", "--top_k=5");

        assertEquals(0, run.exitCode(), run.err());
        assertEquals(List.of("nexttoken probe: note: ignoring nanoGPT's --device=cpu"
                + " --compile=False; the Nd4j backend on the class path decides where and how the model runs"),
                run.errLines());
        assertEquals("ran", run.out().strip());
        assertEquals(5, probe.sampling.topK);
    }

    @Test
    void nanoGptOptionsAreHiddenFromHelp() {
        String help = CliRun.run("generate", "--help").out();

        assertFalse(Pattern.compile("(?m)^ +--(init_from|out_dir|device|compile)").matcher(help).find(), help);
        assertTrue(help.contains("nanoGPT's sample.py names work too"), help); // the footer
        assertTrue(help.contains("--num-samples, --num_samples=N"), help);
    }

    /** Parses a command line and returns the user object of its subcommand, without running it. */
    private static <T> T parse(Class<T> type, String... args) {
        CommandLine commandLine = NextTokenCli.newCommandLine(new PrintWriter(new StringWriter()),
                new PrintWriter(new StringWriter()));
        CommandLine.ParseResult result = commandLine.parseArgs(args);
        return type.cast(result.subcommand().commandSpec().userObject());
    }

    private static String describe(SamplingCliOptions s) {
        return s.temperatures + " " + s.topP + " " + s.minP + " " + s.typicalP + " " + s.repetitionPenalty
                + " " + s.frequencyPenalty + " " + s.presencePenalty + " " + s.seed + " " + s.minTokensToKeep;
    }
}
