package dev.nexttoken.core.model;

/** The CPU fast path (direct BLAS calls). */
class Gpt2ModelFixtureCpuBlasTest extends Gpt2ModelFixtureTest {
    @Override
    ComputePath path() {
        return ComputePath.CPU_BLAS;
    }
}
