package dev.nexttoken.core;

import dev.nexttoken.tokenizer.Tokenizer;

/**
 * The rule that a model and its tokenizer must agree on the vocabulary: the model's
 * {@code vocab_size} equals the tokenizer's size (50,257 for GPT-2); and that token ids given by
 * a caller lie inside it.
 *
 * <p>Why equality: a smaller model cannot score the tokenizer's upper ids, so every step would
 * fail deep inside sampling; a larger one (e.g. a vocabulary padded to 50,304 for speed) has
 * logits for ids the tokenizer cannot decode, which sampling could pick. nexttoken's trainer
 * writes models with the tokenizer's own size, so what it writes always loads.
 */
final class VocabularyMatch {

    private VocabularyMatch() {
    }

    /**
     * @param modelVocabulary the model's {@code vocab_size}
     * @param tokenizer       the tokenizer the model is to be used with
     * @throws ModelLoadException if the sizes differ; the message names both and what to do
     */
    static void require(int modelVocabulary, Tokenizer tokenizer) {
        int tokens = tokenizer.vocabSize();
        if (modelVocabulary == tokens) {
            return;
        }
        String relation = modelVocabulary > tokens ? "larger" : "smaller";
        throw new ModelLoadException("the model's vocabulary (vocab_size " + modelVocabulary
                + " in its config.json) is " + relation + " than the GPT-2 tokenizer's (" + tokens + "): nexttoken needs vocab_size " + tokens
                + "; use a model made for the GPT-2 tokenizer (as Hugging Face's gpt2 models and nexttoken train's"
                + " are), or crop or pad its wte.weight to " + tokens + " rows and set vocab_size accordingly");
    }

    /**
     * @param tokens     token ids given by a caller
     * @param vocabulary the model's {@code vocab_size}
     * @throws IllegalArgumentException naming the first id outside {@code [0, vocabulary)}
     */
    static void checkIds(int[] tokens, int vocabulary) {
        for (int id : tokens) {
            if (id < 0 || id >= vocabulary) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + vocabulary + ")");
            }
        }
    }
}
