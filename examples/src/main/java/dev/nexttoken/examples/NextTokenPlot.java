package dev.nexttoken.examples;

import dev.nexttoken.core.NextTokenTable;
import dev.nexttoken.core.TraceCandidate;
import dev.nexttoken.tokenizer.TokenText;
import java.awt.Color;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * The bar chart of {@code next --plot FILE.png}: the probabilities of the top next-token
 * candidates at each temperature, one series (colour) per temperature, drawn with XChart
 * ({@link CategoryChart}) and written as PNG. It runs headless ({@code java.awt.headless=true}).
 *
 * <p>The x axis holds the candidates of the lowest temperature, most likely first. Dividing the
 * logits by a temperature keeps their order, so these are the top candidates at every
 * temperature; a token missing from another temperature's table (removed by top-p, say) is drawn
 * at 0. Temperature 0 is greedy decoding: drawn as probability 1 for the token it picks and 0
 * for the others, which is the distribution {@code generate} then really draws from.
 */
public final class NextTokenPlot {

    /** Width of the PNG in pixels. */
    static final int WIDTH = 1000;

    /** Height of the PNG in pixels. */
    static final int HEIGHT = 600;

    private static final int MAX_TITLE = 70;

    private NextTokenPlot() {
    }

    /**
     * Draws the chart and writes it to {@code file} (exactly that name; no extension is added).
     *
     * @param file         the PNG file to write
     * @param promptText   the prompt, for the title
     * @param temperatures the temperature of each table
     * @param tables       the next-token table at each temperature, in the same order
     * @throws BadArgumentException if the file cannot be written
     */
    public static void write(Path file, String promptText, List<Double> temperatures, List<NextTokenTable> tables) {
        byte[] png = render(promptText, temperatures, tables);
        checkWritable(file);
        try {
            Files.write(file, png);
        } catch (IOException e) {
            throw new BadArgumentException("--plot " + file + ": cannot write: " + e.getMessage(), e);
        }
    }

    /**
     * Checks, before any work, that the chart can be written where asked: the folder exists and
     * the file, if it exists, is a writable file.
     *
     * @param file the PNG file of {@code --plot}
     * @throws BadArgumentException if it cannot be written
     */
    public static void checkWritable(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new BadArgumentException("--plot " + file + ": no such folder: " + parent);
        }
        if (Files.isDirectory(file)) {
            throw new BadArgumentException("--plot " + file + ": is a folder; give a file name such as next.png");
        }
        if (Files.exists(file) && !Files.isWritable(file)) {
            throw new BadArgumentException("--plot " + file + ": permission denied");
        }
    }

    /**
     * Draws the chart as PNG bytes.
     *
     * @param promptText   the prompt, for the title
     * @param temperatures the temperature of each table
     * @param tables       the next-token table at each temperature, in the same order
     * @return the PNG file's bytes
     */
    static byte[] render(String promptText, List<Double> temperatures, List<NextTokenTable> tables) {
        System.setProperty("java.awt.headless", "true");
        int lowest = 0;
        for (int i = 1; i < temperatures.size(); i++) {
            if (temperatures.get(i) < temperatures.get(lowest)) {
                lowest = i;
            }
        }
        List<TraceCandidate> axis = tables.get(lowest).candidates();
        List<String> labels = labels(axis);

        CategoryChart chart = new CategoryChartBuilder()
                .width(WIDTH)
                .height(HEIGHT)
                .title(title(promptText))
                .xAxisTitle("next token")
                .yAxisTitle("probability")
                .build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setXAxisLabelRotation(45);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisDecimalPattern("0.###");
        chart.getStyler().setAvailableSpaceFill(0.8);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setToolTipsEnabled(false);

        for (int i = 0; i < tables.size(); i++) {
            NextTokenTable table = tables.get(i);
            double temperature = temperatures.get(i);
            Map<Integer, Double> probability = new HashMap<>();
            if (temperature == 0) {
                probability.put(table.chosenId(), 1.0);
            } else {
                for (TraceCandidate c : table.candidates()) {
                    probability.put(c.id(), c.probability());
                }
            }
            List<Double> values = new ArrayList<>(axis.size());
            for (TraceCandidate c : axis) {
                values.add(probability.getOrDefault(c.id(), 0.0));
            }
            chart.addSeries(seriesName(temperature, temperatures.subList(0, i)), labels, values);
        }
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot encode the chart as PNG", e);
        }
    }

    /** A temperature without needless digits: 1, 0.1, 1.5. */
    static String format(double temperature) {
        return BigDecimal.valueOf(temperature).stripTrailingZeros().toPlainString();
    }

    /** "T=0.1", "T=0 (greedy)"; a repeated temperature gets a number so series names stay unique. */
    private static String seriesName(double temperature, List<Double> earlier) {
        String name = "T=" + format(temperature) + (temperature == 0 ? " (greedy)" : "");
        long repeats = earlier.stream().filter(t -> t == temperature).count();
        return repeats == 0 ? name : name + " #" + (repeats + 1);
    }

    /** The quoted token of each candidate; pieces that look alike get their id, so labels stay unique. */
    private static List<String> labels(List<TraceCandidate> candidates) {
        List<String> labels = new ArrayList<>(candidates.size());
        Set<String> seen = new HashSet<>();
        for (TraceCandidate c : candidates) {
            String label = TokenText.quote(c.token());
            if (!seen.add(label)) {
                label = label + " #" + c.id();
                seen.add(label);
            }
            labels.add(label);
        }
        return labels;
    }

    /** The title: the prompt in quotes, shortened to its end when long. */
    private static String title(String promptText) {
        String quoted = TokenText.quote(promptText);
        if (quoted.length() > MAX_TITLE) {
            quoted = "\"..." + quoted.substring(quoted.length() - (MAX_TITLE - 4));
        }
        return "Next token after " + quoted;
    }
}
