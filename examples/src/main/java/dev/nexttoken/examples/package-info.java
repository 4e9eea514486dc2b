/**
 * The {@code nexttoken} command line: {@link dev.nexttoken.examples.NextTokenCli} and one class per
 * subcommand ({@code tokenize}, {@code next}, {@code score}, {@code generate}, {@code bench}),
 * with the option groups they share ({@link dev.nexttoken.examples.PromptOptions},
 * {@link dev.nexttoken.examples.SamplingCliOptions},
 * {@link dev.nexttoken.examples.GenerationCliOptions},
 * {@link dev.nexttoken.examples.NanoGptOptions}). The model commands find their model through
 * {@link dev.nexttoken.examples.ModelLoader} ({@code --model}, else the
 * {@link dev.nexttoken.examples.DefaultModel}).
 *
 * <p>This is the only module that picks an Nd4j backend (the {@code cpu} Maven profile by
 * default). Run it through {@code bin/nexttoken}, which sets the JVM flags Nd4j needs.
 */
package dev.nexttoken.examples;
