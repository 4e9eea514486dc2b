package dev.nexttoken.spark;

import java.util.ArrayList;
import java.util.List;

/** Short English-like lines made from fixed word lists: the same corpus on every run. */
final class Corpus {

    private static final String[] SUBJECTS = {"The cat", "A dog", "My aunt", "The king", "A child", "The river",
            "Our cook", "The train", "A bird", "The moon"};
    private static final String[] VERBS = {"saw", "liked", "left", "found", "made", "kept", "took", "hid", "lost", "drew"};
    private static final String[] OBJECTS = {"the house.", "a map.", "the sea.", "a room.", "the road.", "a song.",
            "the door.", "a coat.", "the ship.", "a letter."};

    private Corpus() {
    }

    /** {@code n} lines; line {@code i} is a sentence of about 6 tokens chosen by the digits of {@code i} (distinct up to 2,000). */
    static List<String> lines(int n) {
        List<String> lines = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            lines.add(SUBJECTS[i % 10] + " " + VERBS[(i / 10) % 10] + " " + OBJECTS[(i / 100) % 10]
                    + (i / 1000 % 2 == 1 ? " Again." : ""));
        }
        return lines;
    }
}
