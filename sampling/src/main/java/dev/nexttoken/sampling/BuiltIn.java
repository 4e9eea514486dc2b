package dev.nexttoken.sampling;

/**
 * Marks the processors of this package. They never turn finite or infinite logits into NaN and
 * report their own errors with {@link SamplingException}, so the pipeline skips the NaN scan after
 * them and does not wrap their exceptions.
 */
interface BuiltIn {
}
