package dev.nexttoken.spark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Spark as an installation has it, for the tests that run the job jar the way {@code spark-submit}
 * does: the class path of spark-sql alone (resolved by Maven from {@code src/test/spark-runtime/pom.xml},
 * once per build), and the launch of {@code org.apache.spark.deploy.SparkSubmit} in a new JVM.
 */
final class SparkRuntime {

    private SparkRuntime() {
    }

    /** The job jar that {@code mvn package} built. */
    static Path jobJar() {
        Path jar = Path.of(System.getProperty("job.jar", "target/missing-job.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: these tests run after the package phase (mvn verify)");
        }
        return jar;
    }

    /** Spark's jars, in class-path order. */
    static synchronized List<Path> classpath() throws IOException, InterruptedException {
        Path file = Path.of("target", "spark-runtime-classpath.txt");
        if (!Files.isRegularFile(file)) {
            String mvn = Path.of(System.getProperty("maven.home", "/usr/share/maven"), "bin", "mvn").toString();
            Process process = new ProcessBuilder(mvn, "-B", "-q", "-f", "src/test/spark-runtime/pom.xml",
                    "dependency:build-classpath", "-Dspark.version=" + System.getProperty("spark.version"),
                    "-Dmdep.outputFile=" + file.toAbsolutePath())
                    .redirectErrorStream(true).redirectOutput(Path.of("target", "spark-runtime-mvn.log").toFile())
                    .start();
            if (!process.waitFor(5, TimeUnit.MINUTES) || process.exitValue() != 0) {
                throw new IllegalStateException("could not resolve Spark's class path: see target/spark-runtime-mvn.log");
            }
        }
        List<Path> jars = new ArrayList<>();
        for (String entry : Files.readString(file, StandardCharsets.UTF_8).strip().split(java.io.File.pathSeparator)) {
            jars.add(Path.of(entry));
        }
        return jars;
    }

    /**
     * Runs {@code SparkSubmit --master local[2] --class mainClass jobJar args} in a new JVM with
     * Spark's launcher flags, and returns its exit status; its output goes to {@code log}.
     */
    static int submit(String mainClass, Path log, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx2g");
        command.add("--add-modules=jdk.incubator.vector");
        command.addAll(Arrays.asList(System.getProperty("spark.opens").trim().split("\\s+")));
        command.add("-cp");
        command.add(String.join(java.io.File.pathSeparator, classpath().stream().map(Path::toString).toList()));
        command.add("org.apache.spark.deploy.SparkSubmit");
        command.addAll(List.of("--master", "local[2]", "--class", mainClass,
                "--conf", "spark.ui.enabled=false", "--conf", "spark.driver.host=127.0.0.1",
                "--conf", "spark.driver.bindAddress=127.0.0.1", jobJar().toString()));
        command.addAll(Arrays.asList(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!process.waitFor(3, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException("SparkSubmit ran over 3 minutes: see " + log);
        }
        return process.exitValue();
    }
}
