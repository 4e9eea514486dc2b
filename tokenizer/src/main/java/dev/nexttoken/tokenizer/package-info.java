/**
 * GPT-2's tokenizer: byte-level BPE with the {@code r50k_base} ranks (through jtokkit), and a
 * decoder that turns generated token ids into text one token at a time without ever splitting a
 * UTF-8 character.
 *
 * <p>Entry point: {@link dev.nexttoken.tokenizer.Tokenizer#gpt2()}.
 */
package dev.nexttoken.tokenizer;
