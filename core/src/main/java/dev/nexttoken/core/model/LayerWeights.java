package dev.nexttoken.core.model;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Objects;

/**
 * The weights of one GPT-2 transformer block, as float32 arrays in GPT-2's own layout.
 *
 * <p>GPT-2's linear layers are {@code Conv1D}s whose weight is stored {@code [in, out]}, so a
 * layer computes {@code x.mmul(w).add(b)} with no transpose. With C = {@code n_embd}:
 *
 * @param ln1Gamma  LayerNorm before attention, scale, {@code [C]} ({@code h.N.ln_1.weight})
 * @param ln1Beta   LayerNorm before attention, shift, {@code [C]} ({@code h.N.ln_1.bias})
 * @param attnW     query, key and value projection, {@code [C, 3C]} ({@code h.N.attn.c_attn.weight});
 *                  output columns are q, then k, then v, each split into heads in order
 * @param attnB     its bias, {@code [3C]} ({@code h.N.attn.c_attn.bias})
 * @param attnProjW attention output projection, {@code [C, C]} ({@code h.N.attn.c_proj.weight})
 * @param attnProjB its bias, {@code [C]} ({@code h.N.attn.c_proj.bias})
 * @param ln2Gamma  LayerNorm before the MLP, scale, {@code [C]} ({@code h.N.ln_2.weight})
 * @param ln2Beta   LayerNorm before the MLP, shift, {@code [C]} ({@code h.N.ln_2.bias})
 * @param fcW       MLP expansion, {@code [C, 4C]} ({@code h.N.mlp.c_fc.weight})
 * @param fcB       its bias, {@code [4C]} ({@code h.N.mlp.c_fc.bias})
 * @param fcProjW   MLP projection back to the residual stream, {@code [4C, C]}
 *                  ({@code h.N.mlp.c_proj.weight})
 * @param fcProjB   its bias, {@code [C]} ({@code h.N.mlp.c_proj.bias})
 */
public record LayerWeights(INDArray ln1Gamma, INDArray ln1Beta,
                           INDArray attnW, INDArray attnB,
                           INDArray attnProjW, INDArray attnProjB,
                           INDArray ln2Gamma, INDArray ln2Beta,
                           INDArray fcW, INDArray fcB,
                           INDArray fcProjW, INDArray fcProjB) {

    /**
     * Requires every array; shapes are checked by {@link Gpt2Weights}.
     *
     * @param ln1Gamma  {@code [C]}
     * @param ln1Beta   {@code [C]}
     * @param attnW     {@code [C, 3C]}
     * @param attnB     {@code [3C]}
     * @param attnProjW {@code [C, C]}
     * @param attnProjB {@code [C]}
     * @param ln2Gamma  {@code [C]}
     * @param ln2Beta   {@code [C]}
     * @param fcW       {@code [C, 4C]}
     * @param fcB       {@code [4C]}
     * @param fcProjW   {@code [4C, C]}
     * @param fcProjB   {@code [C]}
     */
    public LayerWeights {
        Objects.requireNonNull(ln1Gamma, "ln1Gamma");
        Objects.requireNonNull(ln1Beta, "ln1Beta");
        Objects.requireNonNull(attnW, "attnW");
        Objects.requireNonNull(attnB, "attnB");
        Objects.requireNonNull(attnProjW, "attnProjW");
        Objects.requireNonNull(attnProjB, "attnProjB");
        Objects.requireNonNull(ln2Gamma, "ln2Gamma");
        Objects.requireNonNull(ln2Beta, "ln2Beta");
        Objects.requireNonNull(fcW, "fcW");
        Objects.requireNonNull(fcB, "fcB");
        Objects.requireNonNull(fcProjW, "fcProjW");
        Objects.requireNonNull(fcProjB, "fcProjB");
    }
}
