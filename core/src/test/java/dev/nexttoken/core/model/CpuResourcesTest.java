package dev.nexttoken.core.model;

import dev.nexttoken.core.GenerationOptions;
import dev.nexttoken.core.Generator;
import dev.nexttoken.core.io.ChildJvm;
import dev.nexttoken.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link CpuResources}: the recycled memory of the CPU path is kept while a model is open and
 * released with the last one. Checked in a fresh JVM: other tests of this one may hold models.
 */
class CpuResourcesTest {

    @Test
    void thePoolsAreEmptiedWhenTheLastCpuModelCloses() throws Exception {
        List<String> out = ChildJvm.run(Child.class, List.of("--add-modules", "jdk.incubator.vector"));
        assertEquals("open: in use, kept; first closed: in use, kept; last closed: released, 0 floats kept",
                out.get(out.size() - 1), String.join("\n", out));
    }

    /** Opens two CPU models, generates with both, closes them one by one, and prints the pools' state after each step. */
    public static final class Child {
        public static void main(String[] args) {
            Gpt2Config wide = new Gpt2Config(2, 4, 256, 128, 50257, 1e-5);
            Generator first = new Generator(new Gpt2Model(Gpt2Weights.random(wide, 1), ComputePath.CPU_BLAS),
                    Tokenizer.gpt2());
            Generator second = new Generator(new Gpt2Model(Gpt2Weights.random(wide, 2), ComputePath.CPU_BLAS),
                    Tokenizer.gpt2());
            GenerationOptions options = GenerationOptions.builder().maxNewTokens(4).seed(1).build();
            first.generate("A prompt long enough for the prompt kernels and their scratch memory, twice over.", options);
            second.generate("Another prompt", options);
            StringBuilder report = new StringBuilder("open: " + state());
            first.close();
            report.append("; first closed: ").append(state());
            second.close();
            second.close();                                // twice: released once
            report.append("; last closed: ").append(state()).append(", ")
                    .append(FloatArrayPool.SHARED.heldFloats()).append(" floats kept");
            System.out.println(report);
        }

        private static String state() {
            return (CpuResources.inUse() ? "in use" : "released")
                    + (FloatArrayPool.SHARED.heldFloats() > 0 ? ", kept" : "");
        }
    }
}
