package dev.nexttoken.sampling;

/**
 * The logits given to a {@link SamplingPipeline} held NaN, {@code +inf} or {@code -inf} before
 * any processor ran: the model produced them. A model's logits are finite; a {@code -inf} that a
 * processor writes later (a banned token) is legitimate and never reported so.
 *
 * <p>Why a type of its own: it carries where the value was, so that the caller that ran the
 * model can say why (nexttoken's generator names the damaged weight tensor).
 */
public final class NonFiniteLogitsException extends SamplingException {

    private static final long serialVersionUID = 1L;

    private final int row;
    private final int token;
    private final float value;

    /**
     * @param row   the row of the batch
     * @param token the token id (column)
     * @param value the non-finite logit
     */
    public NonFiniteLogitsException(int row, int token, float value) {
        super("the logits given to the sampling pipeline contain " + name(value) + " (row " + row + ", token " + token
                + ") before any processor ran: the model produced them");
        this.row = row;
        this.token = token;
        this.value = value;
    }

    /** @return the row of the batch holding the value */
    public int row() {
        return row;
    }

    /** @return the token id (column) holding the value */
    public int token() {
        return token;
    }

    /** @return the value: NaN or an infinity */
    public float value() {
        return value;
    }

    /** @return {@code "NaN"}, {@code "+Infinity"} or {@code "-Infinity"} */
    public String valueName() {
        return name(value);
    }

    private static String name(float value) {
        return value > 0 ? "+Infinity" : value < 0 ? "-Infinity" : "NaN";
    }
}
