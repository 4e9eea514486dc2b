/**
 * JMH benchmarks of nexttoken's hot pieces. Build with {@code mvn -B -q package -DskipTests}
 * and run {@code bin/benchmarks [JMH options]}, e.g. {@code bin/benchmarks DecodeStep -p batch=1}.
 */
package dev.nexttoken.benchmarks;
