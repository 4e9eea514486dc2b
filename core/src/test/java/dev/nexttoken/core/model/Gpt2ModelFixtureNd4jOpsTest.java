package dev.nexttoken.core.model;

/** The plain Nd4j-operations path, the one that runs on CUDA. */
class Gpt2ModelFixtureNd4jOpsTest extends Gpt2ModelFixtureTest {
    @Override
    ComputePath path() {
        return ComputePath.ND4J_OPS;
    }
}
