/**
 * The {@code nexttoken} command line: {@link dev.nexttoken.examples.NextTokenCli} and one class per
 * subcommand ({@code tokenize}, {@code next}, {@code score}, {@code generate}, {@code bench}),
 * with the option groups they share ({@link dev.nexttoken.examples.PromptOptions},
 * {@link dev.nexttoken.examples.SamplingCliOptions},
 * {@link dev.nexttoken.examples.GenerationCliOptions},
 * {@link dev.nexttoken.examples.NanoGptOptions}). The model commands find their model through
 * {@link dev.nexttoken.examples.ModelLoader} ({@code --model}, else the
 * {@link dev.nexttoken.core.DefaultModel}).
 *
 * <p>It depends on {@code nexttoken-cpu} (or {@code nexttoken-cuda} with the {@code cuda} Maven
 * profile), as a user's program does. Run it through {@code bin/nexttoken}.
 */
package dev.nexttoken.examples;
