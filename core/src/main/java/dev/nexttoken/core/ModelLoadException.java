package dev.nexttoken.core;

/**
 * A model folder or one of its files cannot be used: a missing or unreadable path, a malformed
 * {@code config.json}, a damaged {@code model.safetensors}, or weights that disagree with the
 * configuration.
 *
 * <p>The message names the file and, where one is involved, the tensor, for example
 * {@code models/x/model.safetensors: tensor 'h.0.attn.c_attn.weight' has shape [64, 190],
 * expected [64, 192] (n_embd=64)}.
 */
public class ModelLoadException extends NextTokenException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong, naming the file and (where relevant) the tensor
     */
    public ModelLoadException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong, naming the file and (where relevant) the tensor
     * @param cause   the lower-level failure (an I/O or JSON error), kept for the stack trace
     */
    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
