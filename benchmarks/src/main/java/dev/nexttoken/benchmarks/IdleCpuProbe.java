package dev.nexttoken.benchmarks;

import com.sun.management.OperatingSystemMXBean;
import dev.nexttoken.core.GenerationOptions;
import dev.nexttoken.core.Generator;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;

/**
 * How much CPU an idle process with a loaded model uses: loads a model (the default one, or the
 * folder given), generates once so every thread the library starts has started, waits 5 s, then
 * measures the process's CPU time over 60 s and lists the library's threads at the start and the
 * end of that minute. The library promises ≈ 0 and no thread left once its keep-alive is over.
 *
 * <pre>{@code
 * java -cp "benchmarks/target/classes:benchmarks/target/lib/*" dev.nexttoken.benchmarks.IdleCpuProbe [MODEL_DIR]
 * }</pre>
 */
public final class IdleCpuProbe {

    private IdleCpuProbe() {
    }

    /** @param args optionally a model folder (config.json and model.safetensors) */
    public static void main(String[] args) throws InterruptedException {
        try (Generator gen = args.length > 0 ? Generator.load(Path.of(args[0])) : Generator.loadDefault()) {
            gen.generate("The meaning of life is", GenerationOptions.builder().maxNewTokens(20).seed(1).build());
            Thread.sleep(5_000);
            OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            List<String> threadsBefore = libraryThreads();
            long cpu0 = os.getProcessCpuTime();
            long wall0 = System.nanoTime();
            Thread.sleep(60_000);
            long cpu = os.getProcessCpuTime() - cpu0;
            long wall = System.nanoTime() - wall0;
            System.out.printf("idle for %.1f s: %.1f ms of CPU, %.3f %% of one core; library threads at the start %s,"
                    + " at the end %s%n", wall / 1e9, cpu / 1e6, 100.0 * cpu / wall, threadsBefore, libraryThreads());
        }
    }

    private static List<String> libraryThreads() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(name -> name.startsWith("nexttoken-")).sorted().toList();
    }
}
