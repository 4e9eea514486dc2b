package dev.nexttoken.sampling;

/**
 * The one unchecked exception of the sampling module: no token can be chosen from the logits of a
 * step. Its message names the processor chain (or the processor or sampler) that produced the
 * problem, and says what was found: NaN logits, a row whose every logit is {@code -inf}, a token id
 * outside the vocabulary, or a processor or sampler that threw (its exception is the cause).
 * Non-finite logits from the model are its one subclass, {@link NonFiniteLogitsException}, which
 * says where they were.
 *
 * <p>Invalid arguments (a {@code top_p} of 1.5, a negative {@code top_k}, logits whose shape does not
 * match the context) are reported with {@link IllegalArgumentException} at the call that receives
 * them.
 */
public class SamplingException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a message a user can act on.
     *
     * @param message what went wrong and where
     */
    public SamplingException(String message) {
        super(message);
    }

    /**
     * Creates an exception caused by another one (for example, a custom processor that threw).
     *
     * @param message what went wrong and where
     * @param cause the original exception
     */
    public SamplingException(String message, Throwable cause) {
        super(message, cause);
    }
}
