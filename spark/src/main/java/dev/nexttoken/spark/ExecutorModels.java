package dev.nexttoken.spark;

import dev.nexttoken.core.Generator;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The models of this JVM: one {@link Generator} per {@link ModelSource#key()}, fetched and
 * loaded by the first task that asks and then shared by every task of the executor (a
 * {@code Generator} is thread-safe: each call has its own cache and buffers, the weights are
 * only read). The weights are read into memory (core's default), not memory-mapped: a mapping
 * would let the executors of one machine share pages, but docs/PERFORMANCE.md measured mapped
 * weights decoding up to 2× slower once their pages are old, and a mapped file that changes
 * kills the JVM; one executor per machine with several cores keeps one copy per machine anyway. The weights stay loaded for the executor's life and are closed by a JVM shutdown
 * hook when the executor stops: executors have no listener bus ({@code SparkListener}s run on
 * the driver only), and a shutdown hook needs no {@code spark.plugins} setting from the user.
 */
public final class ExecutorModels {

    private static final Logger LOG = LoggerFactory.getLogger(ExecutorModels.class);
    private static final Map<String, Generator> MODELS = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> LOADS = new ConcurrentHashMap<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ExecutorModels::closeAll, "nexttoken-close-models"));
    }

    private ExecutorModels() {
    }

    /**
     * The model of {@code source} in this JVM, fetched and loaded on first use; concurrent first
     * calls wait for one load.
     *
     * @param conf the Hadoop configuration that reads the source's filesystem
     */
    public static Generator get(ModelSource source, Configuration conf) {
        return MODELS.computeIfAbsent(source.key(), key -> load(source, conf));
    }

    /** How many times this JVM has loaded {@code source}: once, whatever the tasks, unless {@link #closeAll()} ran. */
    public static int loadCount(ModelSource source) {
        AtomicInteger count = LOADS.get(source.key());
        return count == null ? 0 : count.get();
    }

    /**
     * Closes and forgets every model of this JVM; a later {@link #get} loads again. Called by the
     * shutdown hook; a driver that ran in local mode may call it to free the weights early.
     */
    public static void closeAll() {
        List<Generator> open = new ArrayList<>(MODELS.values());
        MODELS.clear();
        for (Generator generator : open) {
            generator.close();
        }
    }

    private static Generator load(ModelSource source, Configuration conf) {
        long start = System.nanoTime();
        Generator generator;
        if (source.isDefault()) {
            generator = Generator.loadDefault();
        } else {
            Path local = ModelFetcher.fetch(source.uri(), conf);
            long fetched = System.nanoTime();
            LOG.info("model {} is at {} (fetch {} ms)", source, local, (fetched - start) / 1_000_000);
            generator = Generator.load(local);
        }
        LOADS.computeIfAbsent(source.key(), key -> new AtomicInteger()).incrementAndGet();
        LOG.info("loaded {} in {} ms", source, (System.nanoTime() - start) / 1_000_000);
        return generator;
    }
}
