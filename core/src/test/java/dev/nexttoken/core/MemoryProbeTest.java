package dev.nexttoken.core;

import dev.nexttoken.core.model.ComputePath;
import dev.nexttoken.core.model.Fixtures;
import dev.nexttoken.core.model.Gpt2Model;
import dev.nexttoken.core.model.Gpt2Weights;
import dev.nexttoken.tokenizer.Tokenizer;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.management.JMException;
import javax.management.ObjectName;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The memory probe of issues 6 and 14 (not part of the normal suite: it takes a minute or two per
 * compute path): 1,000 consecutive generations and then 1,000 loss computations on the tiny
 * fixture model, measuring the process's resident memory ({@code VmRSS} of
 * {@code /proc/self/status}) after a warm-up. Nd4j allocates off the Java heap, so a forgotten
 * {@code INDArray} or cache shows up here and not in the heap.
 *
 * <pre>{@code
 * mvn -B -o -q -pl core test -Dtest=MemoryProbeTest -Dnexttoken.memoryProbe=true
 * cat core/target/memory-probe.txt
 * }</pre>
 *
 * Each phase starts after a settling {@link System#gc()} and is sampled every 100 calls with no
 * GC other than the JVM's own: the memory outside the Java heap (RSS minus the heap's resident
 * pages, read from {@code /proc/self/smaps}; the JVM growing or touching its heap is not a leak)
 * must not grow by more than {@value #LIMIT_NO_GC_MB} MB from the start to the last sample, on
 * both compute paths: native memory that only a full collection would free fails it. On the CPU
 * fast path the growth measured after a settling GC at the end must also stay under
 * {@value #LIMIT_MB} MB. {@code -Dnexttoken.memoryProbe.path=ND4J_OPS} probes one path.
 */
@EnabledIfSystemProperty(named = "nexttoken.memoryProbe", matches = "true")
class MemoryProbeTest {

    private static final int RUNS = 1000;
    private static final int WARM_UP = 400;
    private static final long LIMIT_MB = 32;
    private static final long LIMIT_NO_GC_MB = 50;

    @ParameterizedTest
    @EnumSource(value = ComputePath.class, names = {"CPU_BLAS", "ND4J_OPS"})
    void residentMemoryStaysFlatOverAThousandGenerationsAndLossComputations(ComputePath path) {
        String only = System.getProperty("nexttoken.memoryProbe.path");
        Assumptions.assumeTrue(only == null || only.equals(path.name()), "probing " + only + " only");
        Gpt2Model model = new Gpt2Model(Gpt2Weights.load(Fixtures.modelDir("tiny")), path);
        List<String> report = new ArrayList<>();
        try (Generator gen = new Generator(model, Tokenizer.gpt2())) {
            IntConsumer generation = i -> generate(gen, i);
            IntConsumer loss = i -> gen.score(text(i));

            for (int i = 0; i < WARM_UP; i++) {
                generation.accept(i);
                loss.accept(i);
            }
            long start = settledRss();
            report.add(String.format("%s: after %d warm-up generations and losses: RSS %d MB (outside the Java heap %d MB;"
                    + " heap %d MB committed, %d MB used), javacpp physical bytes %d MB", path, WARM_UP, start >> 20,
                    outsideHeap() >> 20, heapCommitted() >> 20, heapUsed() >> 20, Pointer.physicalBytes() >> 20));
            Growth generations = phase("generations", generation, report);
            Growth losses = phase("loss computations", loss, report);
            write(report);
            String why = String.join("\n", report);
            assertTrue(generations.noGc < LIMIT_NO_GC_MB << 20 && losses.noGc < LIMIT_NO_GC_MB << 20, why);
            if (path == ComputePath.CPU_BLAS) {
                assertTrue(generations.afterGc < LIMIT_MB << 20 && losses.afterGc < LIMIT_MB << 20, why);
            }
        }
    }

    /** Growth of the memory outside the Java heap over a phase: at its last no-GC sample, and after a settling GC. */
    private record Growth(long noGc, long afterGc) {
    }

    /**
     * Runs {@link #RUNS} calls after a settling GC, sampling RSS and the memory outside the Java
     * heap every 100 calls (no GC but the JVM's own), then settles again.
     */
    private static Growth phase(String name, IntConsumer call, List<String> report) {
        long startRss = settledRss();
        long start = outsideHeap();
        long[] rss = new long[RUNS / 100 + 1];
        long[] outside = new long[RUNS / 100 + 1];
        rss[0] = startRss;
        outside[0] = start;
        String collectionsBefore = collections();
        long begin = System.nanoTime();
        for (int i = 0; i < RUNS; i++) {
            call.accept(1000 + i);
            if ((i + 1) % 100 == 0) {
                rss[(i + 1) / 100] = rss();
                outside[(i + 1) / 100] = outsideHeap();
            }
        }
        double seconds = (System.nanoTime() - begin) / 1e9;
        String collectionsDuring = collections() + " (at the start: " + collectionsBefore + ")";
        long noGc = outside[outside.length - 1] - start;
        long endRss = settledRss();
        long afterGc = outsideHeap() - start;
        report.add(String.format("  %d %s in %.1f s: outside the Java heap %+.1f MB at the last sample (no GC), %+.1f MB"
                        + " after GC; RSS %d -> %d MB (no GC) -> %d MB (after GC); every 100 (no GC): outside the heap %s MB,"
                        + " RSS %s MB; javacpp physical bytes %d MB; the JVM's collections: %s", RUNS, name, seconds,
                noGc / 1048576.0, afterGc / 1048576.0, startRss >> 20, rss[rss.length - 1] >> 20, endRss >> 20,
                megabytes(outside), megabytes(rss), Pointer.physicalBytes() >> 20, collectionsDuring));
        return new Growth(noGc, afterGc);
    }

    /** How many collections each of the JVM's collectors has run so far (for G1: young and mixed, and full). */
    private static String collections() {
        StringBuilder out = new StringBuilder();
        for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
            out.append(out.length() == 0 ? "" : ", ").append(collector.getName()).append(' ').append(collector.getCollectionCount());
        }
        return out.toString();
    }

    private static String megabytes(long[] samples) {
        StringBuilder out = new StringBuilder();
        for (long s : samples) {
            out.append(out.length() == 0 ? "" : ", ").append(s >> 20);
        }
        return out.toString();
    }

    /** Call {@code i}: a mix of what a service does (batches, streams, tables, penalties, traces). */
    private static void generate(Generator gen, int i) {
        GenerationOptions.Builder options = GenerationOptions.builder().maxNewTokens(16).seed(i)
                .numSamples(i % 10 == 0 ? 3 : 1).stopAtEndOfText(false);
        if (i % 4 == 1) {
            options.repetitionPenalty(1.2).topP(0.9);
        }
        if (i % 25 == 0) {
            options.trace(5);
        }
        String prompt = text(i).substring(0, 20 + i % 40);
        if (i % 7 == 3) {
            try (TokenStream stream = gen.stream(prompt, options.build())) {
                for (int k = 0; k < 10 && stream.hasNext(); k++) {
                    stream.next();
                }
            }
        } else if (i % 11 == 5) {
            gen.next(prompt, options.build(), 10);
        } else {
            gen.generate(prompt, options.build());
        }
    }

    private static String text(int i) {
        return "Call " + i + ": It was the best of times, it was the worst of times, it was the age of wisdom,"
                + " it was the age of foolishness, it was the epoch of belief.";
    }

    /** Resident memory after a garbage collection has had the chance to free native memory. */
    private static long settledRss() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return rss();
    }

    private static long heapCommitted() {
        return Runtime.getRuntime().totalMemory();
    }

    private static long heapUsed() {
        Runtime runtime = Runtime.getRuntime();
        return runtime.totalMemory() - runtime.freeMemory();
    }

    /**
     * RSS minus the resident pages of the Java heap, both summed from one read of
     * {@code /proc/self/smaps} (the heap's mappings are those inside the address range of the JVM's
     * {@code GC.heap_info}), so that a collection or a heap shrinking meanwhile cannot skew one
     * against the other. A heap page touched for the first time raises RSS with no change in the
     * committed heap, so subtracting only the committed growth would count it as native memory.
     */
    private static long outsideHeap() {
        long[] heap = heapRange();
        long resident = 0;
        long inHeap = 0;
        long mappingStart = -1;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
                Matcher mapping = MAPPING.matcher(line);
                if (mapping.lookingAt()) {
                    mappingStart = Long.parseUnsignedLong(mapping.group(1), 16);
                } else if (line.startsWith("Rss:")) {
                    long bytes = Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                    resident += bytes;
                    inHeap += mappingStart >= heap[0] && mappingStart < heap[1] ? bytes : 0;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return resident - inHeap;
    }

    private static final Pattern MAPPING = Pattern.compile("([0-9a-f]+)-([0-9a-f]+) ");
    private static final Pattern ADDRESS = Pattern.compile("0x([0-9a-f]+)");

    /** The Java heap's reserved addresses {@code [start, end)}: the outermost addresses {@code GC.heap_info} prints. */
    private static long[] heapRange() {
        String info;
        try {
            info = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcHeapInfo",
                    new Object[] {null}, new String[] {String[].class.getName()});
        } catch (JMException e) {
            throw new IllegalStateException("no GC.heap_info from this JVM", e);
        }
        long start = Long.MAX_VALUE;
        long end = 0;
        for (String line : info.split("\n")) {
            int bracket = line.indexOf('[');
            if (bracket < 0 || !line.contains("total")) {
                continue;
            }
            Matcher address = ADDRESS.matcher(line.substring(bracket));
            while (address.find()) {
                long a = Long.parseUnsignedLong(address.group(1), 16);
                start = Math.min(start, a);
                end = Math.max(end, a);
            }
        }
        if (end == 0) {
            throw new IllegalStateException("no heap addresses in GC.heap_info: " + info);
        }
        return new long[] {start, end};
    }

    /** {@code VmRSS} of {@code /proc/self/status}, in bytes. */
    static long rss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    private static void write(List<String> report) {
        report.forEach(System.out::println);
        try {
            Path file = Path.of("target", "memory-probe.txt");
            Files.createDirectories(file.getParent());
            Files.write(file, report, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
