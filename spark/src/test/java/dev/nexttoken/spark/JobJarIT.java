package dev.nexttoken.spark;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The job jar: nexttoken and the CPU backend inside, no second copy of Spark, Scala or Hadoop. */
class JobJarIT {

    @Test
    void theJobJarCarriesNexttokenAndNoSparkScalaOrHadoop() throws Exception {
        Set<String> entries = entries(SparkRuntime.jobJar());
        for (String present : List.of("dev/nexttoken/spark/ScoreJob.class", "dev/nexttoken/spark/GenerateJob.class",
                "dev/nexttoken/core/Generator.class", "dev/nexttoken/default-model/model.safetensors",
                "org/nd4j/linalg/cpu/nativecpu/CpuBackend.class", "picocli/CommandLine.class",
                "dev/nexttoken/spark/shaded/jackson/databind/ObjectMapper.class")) {
            assertTrue(entries.contains(present), "the job jar lacks " + present);
        }
        assertTrue(entries.stream().anyMatch(e -> e.startsWith("org/nd4j/linalg/cpu/nativecpu/bindings/linux-x86_64/")
                || e.startsWith("org/nd4j/nativeblas/linux-x86_64/")), "the job jar lacks the CPU natives");
        for (String absent : List.of("org/apache/spark/", "scala/", "org/apache/hadoop/", "com/fasterxml/jackson/",
                "org/slf4j/")) {
            assertTrue(entries.stream().noneMatch(e -> e.startsWith(absent)), "the job jar holds " + absent);
        }
        try (JarFile jar = new JarFile(SparkRuntime.jobJar().toFile())) {
            Manifest manifest = jar.getManifest();
            assertEquals(System.getProperty("spark.version"), manifest.getMainAttributes().getValue("Spark-Version"));
        }
    }

    @Test
    void noClassOfTheJobJarIsAlsoOnSparksClassPath() throws Exception {
        Set<String> ours = new HashSet<>();
        for (String entry : entries(SparkRuntime.jobJar())) {
            if (entry.endsWith(".class") && !entry.startsWith("META-INF/")) {
                ours.add(entry);
            }
        }
        Set<String> both = new TreeSet<>();
        for (Path jar : SparkRuntime.classpath()) {
            for (String entry : entries(jar)) {
                if (ours.contains(entry)) {
                    both.add(jar.getFileName() + ": " + entry);
                }
            }
        }
        assertTrue(both.isEmpty(), both.size() + " classes are in the job jar and in Spark: "
                + both.stream().limit(20).toList());
    }

    private static Set<String> entries(Path jarPath) throws Exception {
        Set<String> names = new HashSet<>();
        try (JarFile jar = new JarFile(jarPath.toFile())) {
            for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                names.add(e.nextElement().getName());
            }
        }
        return names;
    }
}
