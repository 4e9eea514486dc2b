package dev.nexttoken.core;

import dev.nexttoken.tokenizer.TokenText;
import java.util.List;
import java.util.Locale;

/**
 * Writes next-token candidates as a text table, the one format of {@link NextTokenTable#toString()}
 * and of the CLI's {@code next} and {@code generate --trace}: rank, id, the token's piece in quotes
 * ({@link TokenText#quote(String)}), the raw logit, the logit after the processors ({@code -inf}
 * for removed tokens) and the probability the sampler draws with. A chosen token is marked with
 * {@code <}.
 *
 * <pre>
 * rank     id  token           logit  processed      prob
 *    1  45349  " gently"     -0.8467    -1.0583  0.000037  &lt;
 * </pre>
 */
public final class CandidateTable {

    /** Wider tokens are not truncated, but they no longer widen the column. */
    private static final int MAX_TOKEN_WIDTH = 30;

    private CandidateTable() {
    }

    /**
     * The header and one line per candidate, each line ending in {@code \n}.
     *
     * @param candidates the candidates, most likely first
     * @param chosenId   the id to mark as chosen, or -1 for none
     * @param indent     text before every line (spaces, to nest the table under a heading)
     * @return the table
     */
    public static String format(List<TraceCandidate> candidates, int chosenId, String indent) {
        int tokenWidth = "token".length();
        for (TraceCandidate c : candidates) {
            tokenWidth = Math.max(tokenWidth, Math.min(MAX_TOKEN_WIDTH, TokenText.quote(c.token()).length()));
        }
        String header = indent + "%4s  %5s  %-" + tokenWidth + "s  %9s  %9s  %8s\n";
        String row = indent + "%4d  %5d  %-" + tokenWidth + "s  %9s  %9s  %8s%s\n";
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, header, "rank", "id", "token", "logit", "processed", "prob"));
        int rank = 1;
        for (TraceCandidate c : candidates) {
            out.append(String.format(Locale.ROOT, row, rank++, c.id(), TokenText.quote(c.token()),
                    number(c.rawLogit(), 4), number(c.processedLogit(), 4), number(c.probability(), 6),
                    c.id() == chosenId ? "  <" : ""));
        }
        return out.toString();
    }

    /**
     * A number as the table writes it, so that other tables of the CLI match.
     *
     * @param value    the number
     * @param decimals digits after the point
     * @return the number with {@code decimals} decimals, or {@code inf}, {@code -inf}, {@code nan}
     */
    public static String number(double value, int decimals) {
        if (Double.isNaN(value)) {
            return "nan";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "inf" : "-inf";
        }
        return String.format(Locale.ROOT, "%." + decimals + "f", value);
    }
}
