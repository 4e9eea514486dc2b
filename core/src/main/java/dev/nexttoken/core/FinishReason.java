package dev.nexttoken.core;

/** Why a sample ended. */
public enum FinishReason {
    /** It reached the maximum number of new tokens. */
    LENGTH,
    /** Its text reached one of the stop strings. */
    STOP,
    /** It produced {@code <|endoftext|>}. */
    EOS,
    /** The call was cancelled before it ended. */
    CANCELLED;

    /** The lower-case name used in JSON ({@code length}, {@code stop}, {@code eos}, {@code cancelled}). */
    public String jsonName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The lower-case name, as the README and the JSON write it: {@code length}, not {@code LENGTH}. */
    @Override
    public String toString() {
        return jsonName();
    }
}
