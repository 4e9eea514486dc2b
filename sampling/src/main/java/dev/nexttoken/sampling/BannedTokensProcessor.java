package dev.nexttoken.sampling;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;

/**
 * Banned tokens and banned token sequences, as Hugging Face's {@code NoBadWordsLogitsProcessor}:
 * <pre>
 *   x'_b = -inf                       for every banned token b
 *   x'_{s_m} = -inf                   for every banned sequence s_1 .. s_m whose first m-1 tokens
 *                                     are the last m-1 tokens of the row's history
 * </pre>
 * A sequence of one token is a banned token. The history includes the prompt. Valid ranges: ids
 * {@code >= 0} (and inside the vocabulary, checked when applied), sequences not empty. Immutable
 * and thread-safe.
 */
public final class BannedTokensProcessor implements RowLogitsProcessor, BuiltIn {

    private final int[] tokens;
    private final List<int[]> sequences;

    /**
     * @param tokens banned token ids
     * @param sequences banned sequences (each at least one id); the last id is the one removed
     * @throws IllegalArgumentException if an id is negative or a sequence is empty
     */
    public BannedTokensProcessor(Collection<Integer> tokens, Collection<int[]> sequences) {
        if (tokens == null || sequences == null) {
            throw new IllegalArgumentException("tokens and sequences must not be null (use empty collections)");
        }
        TreeSet<Integer> single = new TreeSet<>();
        for (Integer id : tokens) {
            single.add(checkId(id));
        }
        List<int[]> longer = new ArrayList<>();
        for (int[] sequence : sequences) {
            if (sequence == null || sequence.length == 0) {
                throw new IllegalArgumentException("a banned sequence must hold at least one token id");
            }
            for (int id : sequence) {
                checkId(id);
            }
            if (sequence.length == 1) {
                single.add(sequence[0]);
            } else {
                longer.add(sequence.clone());
            }
        }
        this.tokens = single.stream().mapToInt(Integer::intValue).toArray();
        this.sequences = Collections.unmodifiableList(longer);
    }

    /**
     * Bans single tokens.
     *
     * @param tokens the banned ids
     * @return the processor
     */
    public static BannedTokensProcessor of(int... tokens) {
        List<Integer> list = new ArrayList<>();
        for (int id : tokens) {
            list.add(id);
        }
        return new BannedTokensProcessor(list, List.of());
    }

    private static int checkId(Integer id) {
        if (id == null || id < 0) {
            throw new IllegalArgumentException("banned token ids must be >= 0, got " + id);
        }
        return id;
    }

    /** @return the banned single tokens, ascending (a copy) */
    public int[] tokens() {
        return tokens.clone();
    }

    /** @return the banned sequences of two or more tokens (copies) */
    public List<int[]> sequences() {
        List<int[]> copy = new ArrayList<>();
        for (int[] s : sequences) {
            copy.add(s.clone());
        }
        return copy;
    }

    @Override
    public void processRow(LogitsContext context, int row, float[] logits) {
        for (int id : tokens) {
            ban(logits, id);
        }
        int length = context.length(row);
        for (int[] sequence : sequences) {
            int prefix = sequence.length - 1;
            if (prefix > length) {
                continue;
            }
            boolean match = true;
            for (int j = 0; j < prefix; j++) {
                if (context.token(row, length - prefix + j) != sequence[j]) {
                    match = false;
                    break;
                }
            }
            if (match) {
                ban(logits, sequence[prefix]);
            }
        }
    }

    private void ban(float[] logits, int id) {
        if (id >= logits.length) {
            throw Checks.outsideVocabulary(name(), "banned token id", id, logits.length);
        }
        logits[id] = Float.NEGATIVE_INFINITY;
    }

    @Override
    public String name() {
        StringBuilder s = new StringBuilder("BannedTokensProcessor(tokens=").append(Arrays.toString(tokens));
        if (!sequences.isEmpty()) {
            s.append(", sequences=[");
            for (int i = 0; i < sequences.size(); i++) {
                s.append(i == 0 ? "" : ", ").append(Arrays.toString(sequences.get(i)));
            }
            s.append(']');
        }
        return s.append(')').toString();
    }

    @Override
    public String toString() {
        return name();
    }
}
