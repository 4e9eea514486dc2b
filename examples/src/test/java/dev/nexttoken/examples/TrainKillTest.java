package dev.nexttoken.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills {@code nexttoken train}, a separate JVM, with SIGKILL at many moments (between steps and
 * at every stage of a checkpoint write, held there by the test hook
 * {@code -Dnexttoken.checkpoint.haltAt=STEP:STAGE}), resumes each run to the end in this JVM, and
 * checks that the final weights are those of an uninterrupted run, bit for bit; or, when no
 * checkpoint was complete yet, that the resume is refused with one line.
 */
class TrainKillTest {

    private static final int MAX_STEPS = 6;                 // checkpoints at steps 2, 4 and 6
    private static final Pattern RESUMING = Pattern.compile("resuming .* at step (\\d+) of " + MAX_STEPS);
    private static final long TIMEOUT_SECONDS = 120;

    /**
     * When to kill the child.
     *
     * @param haltAt     the hook's STEP:STAGE, or null to kill at a line of progress
     * @param marker     the line of the child's output after which to kill
     * @param delayMs    how long after the marker
     * @param resumeStep the step the resume must continue from; -1: refused (no complete checkpoint);
     *                   null: either (a kill racing the child's steps)
     */
    private record Moment(String haltAt, String marker, long delayMs, Long resumeStep) {

        static Moment halt(long step, String stage, long resumeStep) {
            return new Moment(step + ":" + stage, "checkpoint halt: " + step + " " + stage, 0, resumeStep);
        }

        static Moment after(String progressLine, long delayMs) {
            return new Moment(null, progressLine, delayMs, null);
        }

        @Override
        public String toString() {
            return haltAt != null ? "halt at " + haltAt : "+" + delayMs + " ms after '" + marker + "'";
        }
    }

    /** The stages of a checkpoint write, in order (see {@code CheckpointHalt}); "switched" is the commit. */
    private static final List<String> STAGES = List.of("config.json", "model.safetensors", "optimizer.safetensors",
            "state.json", "manifest.json", "renamed", "switched", "published", "cleaned");

    private static final List<Moment> MOMENTS = Stream.of(
            halts(2, -1, "config.json", "manifest.json", "renamed", "switched"),
            halts(4, 2, STAGES.toArray(String[]::new)),
            halts(6, 4, "state.json", "switched"),
            Stream.of(Moment.after("step 1/" + MAX_STEPS + ":", 0), Moment.after("step 3/" + MAX_STEPS + ":", 20),
                    Moment.after("step 5/" + MAX_STEPS + ":", 60)))
            .flatMap(s -> s).toList();

    /** Halts in the write of {@code step}'s checkpoint: before the switch, the resume goes on from {@code previous}. */
    private static Stream<Moment> halts(long step, long previous, String... stages) {
        return Stream.of(stages).map(stage -> Moment.halt(step, stage,
                STAGES.indexOf(stage) < STAGES.indexOf("switched") ? previous : step));
    }

    @TempDir
    Path tmp;

    @Test
    void aRunKilledAtAnyMomentResumesToTheUninterruptedRunsWeights() throws Exception {
        Path data = tmp.resolve("corpus.txt");
        StringBuilder text = new StringBuilder();
        String[] words = {"the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "its", "home"};
        for (int i = 0; i < 300; i++) {
            text.append(words[i % words.length]).append(' ').append(words[(i * 7) % words.length]).append(".\n");
        }
        Files.writeString(data, text);
        Path reference = tmp.resolve("uninterrupted");
        CliRun straight = train(args(data, reference, null));
        assertEquals(ExitCodes.OK, straight.exitCode(), straight.err());
        byte[] expected = Files.readAllBytes(reference.resolve("model.safetensors"));

        List<String> report = new ArrayList<>();
        boolean allHeld = true;
        for (int i = 0; i < MOMENTS.size(); i++) {
            Moment moment = MOMENTS.get(i);
            Path out = tmp.resolve("killed-" + i);
            killAt(data, out, moment);
            boolean committed = Files.exists(out.resolve("training/latest"));
            String problem = problem(moment, committed, train(args(data, out, out)), out, expected);
            allHeld &= problem.startsWith("ok");
            report.add(moment + ": " + problem);
        }
        report.forEach(line -> System.out.println("TrainKillTest: " + line));
        assertTrue(allHeld, String.join("\n", report));
    }

    /** What went wrong with a resume after a kill, or "ok: ..." with what happened. */
    private static String problem(Moment moment, boolean committed, CliRun resumed, Path out, byte[] expected)
            throws IOException {
        if (resumed.exitCode() != ExitCodes.OK) {
            if (resumed.exitCode() != ExitCodes.USAGE || resumed.errLines().size() != 1) {
                return "FAILED: resume ended with exit code " + resumed.exitCode() + " and " + resumed.err();
            }
            if (committed || (moment.resumeStep() != null && moment.resumeStep() != -1)) {
                return "FAILED: refused although a checkpoint was complete: " + resumed.err().strip();
            }
            return "ok: no complete checkpoint, resume refused: " + resumed.err().strip();
        }
        Matcher m = RESUMING.matcher(resumed.err());
        if (!m.find()) {
            return "FAILED: no 'resuming' line in " + resumed.err();
        }
        long from = Long.parseLong(m.group(1));
        if (!Arrays.equals(expected, Files.readAllBytes(out.resolve("model.safetensors")))) {
            return "FAILED: resumed from step " + from + ", but the final weights differ from the uninterrupted run's";
        }
        if (moment.resumeStep() != null && moment.resumeStep() != from) {
            return "FAILED: resumed from step " + from + ", expected " + moment.resumeStep();
        }
        return "ok: resumed from step " + from + ", final weights identical";
    }

    private static List<String> args(Path data, Path out, Path resume) {
        List<String> args = new ArrayList<>(List.of("train", "--data", data.toString(), "--out", out.toString(),
                "--batch-size", "2", "--eval-interval", "2", "--eval-batches", "1", "--learning-rate", "3e-3",
                "--max-steps", String.valueOf(MAX_STEPS)));
        if (resume != null) {
            args.addAll(List.of("--resume", resume.toString()));
        } else {
            args.addAll(List.of("--n-layer", "1", "--n-head", "2", "--n-embd", "16", "--block-size", "8"));
        }
        return args;
    }

    private static CliRun train(List<String> args) {
        TrainCommand command = new TrainCommand();
        command.progressBar = false;
        return CliRun.runWith(command, args.toArray(String[]::new));
    }

    /** Starts {@code nexttoken train} in a new JVM and kills it (SIGKILL) at the moment. */
    private static void killAt(Path data, Path out, Moment moment) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:+UseSerialGC", "-Dorg.bytedeco.javacpp.maxbytes=0",
                "-Dorg.bytedeco.javacpp.maxphysicalbytes=0", "--add-modules", "jdk.incubator.vector"));
        if (moment.haltAt() != null) {
            command.add("-Dnexttoken.checkpoint.haltAt=" + moment.haltAt());
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), NextTokenCli.class.getName()));
        command.addAll(args(data, out, null));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        Process process = builder.start();
        ChildOutput reader = ChildOutput.start(process);
        BlockingQueue<String> lines = reader.lines();
        StringBuilder output = new StringBuilder();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
            while (true) {
                String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                assertNotNull(line, moment + ": the marker did not come within " + TIMEOUT_SECONDS + " s:\n" + output);
                if (line.equals(ChildOutput.END)) {
                    fail(moment + ": the child ended before the marker:\n" + output);
                }
                output.append(line).append('\n');
                if (line.startsWith(moment.marker())) {
                    break;
                }
            }
            if (moment.delayMs() > 0) {
                Thread.sleep(moment.delayMs());
            }
        } finally {
            process.destroyForcibly();
            assertTrue(process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS), moment + ": the child did not die");
            reader.join();
        }
    }
}
