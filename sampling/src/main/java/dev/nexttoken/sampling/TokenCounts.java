package dev.nexttoken.sampling;

import java.util.Arrays;

/** The distinct token ids of a row's recent history and how often each occurs. */
final class TokenCounts {

    final int[] ids;
    final int[] counts;
    final int size;

    private TokenCounts(int[] ids, int[] counts, int size) {
        this.ids = ids;
        this.counts = counts;
        this.size = size;
    }

    /**
     * Counts the last {@code window} tokens of the row (all tokens when {@code window == 0}), prompt
     * included. Sorting a copy of the window costs O(n log n) in the window length and never
     * allocates a vocabulary-sized array.
     */
    static TokenCounts of(LogitsContext context, int row, int window) {
        int length = context.length(row);
        int start = window == 0 ? 0 : Math.max(0, length - window);
        int n = length - start;
        int[] sorted = new int[n];
        for (int i = 0; i < n; i++) {
            sorted[i] = context.token(row, start + i);
        }
        Arrays.sort(sorted);
        int[] ids = new int[n];
        int[] counts = new int[n];
        int size = 0;
        for (int i = 0; i < n; i++) {
            if (size > 0 && ids[size - 1] == sorted[i]) {
                counts[size - 1]++;
            } else {
                ids[size] = sorted[i];
                counts[size] = 1;
                size++;
            }
        }
        return new TokenCounts(ids, counts, size);
    }
}
