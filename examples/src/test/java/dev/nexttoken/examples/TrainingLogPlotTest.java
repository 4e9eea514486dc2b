package dev.nexttoken.examples;

import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link TrainingLogPlot} reads the lines {@code train} prints and draws them. */
class TrainingLogPlotTest {

    private static final List<String> LOG = List.of(
            "data: 8,312,218 tokens from 2 files: 7,488,175 to train on, 824,043 held out",
            "unigram baseline: val loss 7.2803, perplexity 1451.5",
            "step 150/3000: loss 6.3614 | 1,304 tok/s | lr 3.00e-03 | 1.57 s/step",
            "step 200: train loss 6.1636, val loss 6.1574, val perplexity 472.21",
            "step 200: checkpoint written to models/general",
            "step 300/3000: loss 5.9000 | 1,300 tok/s | lr 3.00e-03 | 1.57 s/step",
            "resuming models/general at step 200 of 3000",
            "step 300/3000: loss 5.8000 | 1,300 tok/s | lr 3.00e-03 | 1.57 s/step",
            "step 400: train loss 5.7, val loss 5.75, val perplexity 314.19");

    @Test
    void readsTheProgressTheEvaluationsAndTheBaselineTheLaterLineOfAStepWinning() {
        TrainingLogPlot.Curves curves = TrainingLogPlot.parse(LOG);
        assertEquals(7.2803, curves.baseline());
        assertEquals(2, curves.running().size());
        assertArrayEquals(new double[] {300, 5.8}, curves.running().get(1));
        assertArrayEquals(new double[] {200, 6.1636}, curves.train().get(0));
        assertArrayEquals(new double[] {400, 5.75}, curves.validation().get(1));
    }

    @Test
    void drawsAPng() throws IOException {
        byte[] png = TrainingLogPlot.render(TrainingLogPlot.parse(LOG), "test.log");
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        assertEquals(900, image.getWidth());
        assertEquals(500, image.getHeight());
    }
}
