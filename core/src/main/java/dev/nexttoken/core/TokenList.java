package dev.nexttoken.core;

import java.util.Arrays;

/** A growable list of token ids without boxing; memory grows with what is generated, not with the limit. */
final class TokenList {

    private int[] ids;
    private int size;

    TokenList(int[] initial) {
        this.ids = Arrays.copyOf(initial, Math.max(16, initial.length * 2));
        this.size = initial.length;
    }

    void add(int id) {
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, ids.length * 2);
        }
        ids[size++] = id;
    }

    int size() {
        return size;
    }

    int[] toArray() {
        return Arrays.copyOf(ids, size);
    }

    /** The last {@code n} ids (all of them when there are fewer). */
    int[] last(int n) {
        return Arrays.copyOfRange(ids, Math.max(0, size - n), size);
    }
}
