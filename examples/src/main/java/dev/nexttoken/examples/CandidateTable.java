package dev.nexttoken.examples;

import dev.nexttoken.core.TraceCandidate;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/**
 * Prints next-token candidates as a table, for {@code next} and {@code generate --trace}: rank,
 * id, the token's piece in quotes ({@link TokenText#quote(String)}), the raw logit, the logit
 * after the processors ({@code -inf} for removed tokens) and the probability the sampler draws
 * with. A chosen token is marked with {@code <}.
 *
 * <pre>
 * rank     id  token           logit  processed      prob
 *    1  45349  " gently"     -0.8467    -1.0583  0.000037  &lt;
 * </pre>
 */
public final class CandidateTable {

    private CandidateTable() {
    }

    /**
     * Prints the header and one row per candidate.
     *
     * @param out        where to print
     * @param candidates the candidates, most likely first
     * @param chosenId   the id to mark as chosen, or -1 for none
     * @param indent     spaces before every line
     */
    public static void print(PrintWriter out, List<TraceCandidate> candidates, int chosenId, String indent) {
        int tokenWidth = "token".length();
        for (TraceCandidate c : candidates) {
            tokenWidth = Math.max(tokenWidth, Math.min(30, TokenText.quote(c.token()).length()));
        }
        String header = indent + "%4s  %5s  %-" + tokenWidth + "s  %9s  %9s  %8s%n";
        String row = indent + "%4d  %5d  %-" + tokenWidth + "s  %9s  %9s  %8s%s%n";
        out.printf(Locale.ROOT, header, "rank", "id", "token", "logit", "processed", "prob");
        int rank = 1;
        for (TraceCandidate c : candidates) {
            out.printf(Locale.ROOT, row, rank++, c.id(), TokenText.quote(c.token()), number(c.rawLogit(), 4),
                    number(c.processedLogit(), 4), number(c.probability(), 6), c.id() == chosenId ? "  <" : "");
        }
    }

    /** A number with {@code decimals} decimals, or {@code inf}, {@code -inf}, {@code nan}. */
    static String number(double value, int decimals) {
        if (Double.isNaN(value)) {
            return "nan";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "inf" : "-inf";
        }
        return String.format(Locale.ROOT, "%." + decimals + "f", value);
    }
}
