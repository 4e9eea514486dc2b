package dev.nexttoken.spark;

import org.apache.spark.sql.SparkSession;

/**
 * The tests' Spark: one local session per test JVM, started on first use and shared by the test
 * classes (a SparkContext costs seconds to start). {@code local[2,4]}: two task threads, and a
 * failed task is retried up to 4 times, as {@code spark.task.maxFailures} does on a cluster.
 */
final class SparkTestSession {

    private static SparkSession spark;

    private SparkTestSession() {
    }

    static synchronized SparkSession get() {
        if (spark == null) {
            spark = SparkSession.builder()
                    .master("local[2,4]")
                    .appName("nexttoken-spark-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.sql.shuffle.partitions", "4")
                    .getOrCreate();
        }
        return spark;
    }
}
