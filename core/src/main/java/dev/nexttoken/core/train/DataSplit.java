package dev.nexttoken.core.train;

import java.util.Objects;

/**
 * Tokens split into a training part (the first tokens) and a held-out validation part (the
 * last ones), as nanoGPT's data preparation does.
 *
 * @param train      the tokens to train on
 * @param validation the held-out tokens, never trained on
 */
public record DataSplit(TokenData train, TokenData validation) {

    /**
     * @param train      the tokens to train on
     * @param validation the held-out tokens
     */
    public DataSplit {
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(validation, "validation");
    }

    /**
     * Splits tokens at {@code (1 - validationFraction)} of their length.
     *
     * @param tokens             all tokens
     * @param validationFraction the share held out, in (0, 1)
     * @return the split
     * @throws IllegalArgumentException if the fraction is out of range
     */
    public static DataSplit of(TokenData tokens, double validationFraction) {
        if (!(validationFraction > 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validation fraction must be in (0, 1), got " + validationFraction);
        }
        long trainSize = Math.round(tokens.size() * (1 - validationFraction));
        return new DataSplit(tokens.slice(0, trainSize), tokens.slice(trainSize, tokens.size()));
    }
}
