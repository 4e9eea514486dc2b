package dev.nexttoken.examples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The loss curve of a {@code nexttoken train} run, drawn with XChart from what the run printed
 * (its standard output and error in one file, as {@code > LOG 2>&1} writes them): the running
 * training loss of its progress lines ({@code step N/M: loss X | ...}, printed when no terminal
 * shows a bar), the training and validation losses of its evaluations ({@code step N: train loss
 * X, val loss Y, ...}), and the unigram baseline it printed first. A resumed run's log may
 * repeat steps; the later line of a step wins.
 *
 * <pre>java -cp 'examples/target/lib/*:examples/target/nexttoken-examples.jar' \
 *     dev.nexttoken.examples.TrainingLogPlot LOG OUT.png</pre>
 */
public final class TrainingLogPlot {

    private static final Pattern PROGRESS = Pattern.compile("^step (\\d+)/\\d+: loss ([0-9.]+)");
    private static final Pattern EVALUATION = Pattern.compile("^step (\\d+): train loss ([0-9.]+), val loss ([0-9.]+)");
    private static final Pattern BASELINE = Pattern.compile("^unigram baseline: val loss ([0-9.]+)");

    /** The curves of one log: x is the step, y the loss in nats. */
    record Curves(List<double[]> running, List<double[]> train, List<double[]> validation, double baseline) {
    }

    private TrainingLogPlot() {
    }

    /**
     * Writes the chart of a training log as a PNG.
     *
     * @param args the log file and the PNG file
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: TrainingLogPlot LOG OUT.png");
            System.exit(2);
        }
        System.setProperty("java.awt.headless", "true");
        Curves curves = parse(Files.readAllLines(Path.of(args[0])));
        if (curves.validation().isEmpty()) {
            System.err.println(args[0] + ": no evaluation lines (step N: train loss X, val loss Y)");
            System.exit(1);
        }
        Files.write(Path.of(args[1]), render(curves, Path.of(args[0]).getFileName().toString()));
    }

    /** The curves in the lines of a log; lines of other kinds are skipped. */
    static Curves parse(List<String> lines) {
        List<double[]> running = new ArrayList<>();
        List<double[]> train = new ArrayList<>();
        List<double[]> validation = new ArrayList<>();
        double baseline = Double.NaN;
        for (String line : lines) {
            Matcher m;
            if ((m = PROGRESS.matcher(line)).find()) {
                put(running, Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)));
            } else if ((m = EVALUATION.matcher(line)).find()) {
                put(train, Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)));
                put(validation, Double.parseDouble(m.group(1)), Double.parseDouble(m.group(3)));
            } else if ((m = BASELINE.matcher(line)).find()) {
                baseline = Double.parseDouble(m.group(1));
            }
        }
        return new Curves(running, train, validation, baseline);
    }

    /** Adds the point, replacing an earlier one at the same step (a resumed run repeats steps). */
    private static void put(List<double[]> curve, double step, double loss) {
        curve.removeIf(point -> point[0] == step);
        curve.add(new double[] {step, loss});
        curve.sort((a, b) -> Double.compare(a[0], b[0]));
    }

    /** The chart as PNG bytes. */
    static byte[] render(Curves curves, String title) {
        XYChart chart = new XYChartBuilder().width(900).height(500).title("nexttoken train: " + title)
                .xAxisTitle("step").yAxisTitle("loss (nats)").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        add(chart, "training (running mean)", curves.running(), SeriesMarkers.NONE);
        add(chart, "training (evaluation)", curves.train(), SeriesMarkers.CIRCLE);
        add(chart, "validation (held-out documents)", curves.validation(), SeriesMarkers.DIAMOND);
        if (!Double.isNaN(curves.baseline()) && !curves.validation().isEmpty()) {
            double last = java.util.stream.Stream.of(curves.running(), curves.validation())
                    .flatMap(List::stream).mapToDouble(p -> p[0]).max().orElse(0);
            XYSeries s = chart.addSeries("unigram baseline", new double[] {0, last},
                    new double[] {curves.baseline(), curves.baseline()});
            s.setMarker(SeriesMarkers.NONE);
        }
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void add(XYChart chart, String name, List<double[]> curve, org.knowm.xchart.style.markers.Marker marker) {
        if (curve.isEmpty()) {
            return;
        }
        double[] x = curve.stream().mapToDouble(p -> p[0]).toArray();
        double[] y = curve.stream().mapToDouble(p -> p[1]).toArray();
        chart.addSeries(name, x, y).setMarker(marker);
    }
}
