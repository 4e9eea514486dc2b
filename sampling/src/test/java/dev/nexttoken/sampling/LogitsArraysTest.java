package dev.nexttoken.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Bulk copies between INDArrays (views and odd layouts included) and Java rows. */
class LogitsArraysTest {

    private static INDArray grid(int rows, int columns) {
        return Nd4j.arange(0, rows * columns).castTo(DataType.FLOAT).reshape(rows, columns);
    }

    private static void assertRoundTrip(INDArray view, INDArray base, float[][] baseBefore) {
        float[][] rows = LogitsArrays.read(view);
        assertArrayEquals(Fixtures.values(view), rows);
        for (float[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                row[i] = -row[i] - 1000;
            }
        }
        LogitsArrays.write(rows, view);
        assertArrayEquals(rows, Fixtures.values(view));
        // nothing outside the view changed
        float[][] after = Fixtures.values(base);
        int changed = 0;
        for (int r = 0; r < after.length; r++) {
            for (int c = 0; c < after[r].length; c++) {
                if (after[r][c] != baseBefore[r][c]) {
                    changed++;
                }
            }
        }
        assertEquals(view.length(), changed);
    }

    @Test
    void plainMatrix() {
        INDArray m = grid(3, 7);
        assertRoundTrip(m, m, Fixtures.values(m));
    }

    @Test
    void rowView() {
        INDArray m = grid(4, 5);
        assertRoundTrip(m.getRow(2, true), m, Fixtures.values(m));
    }

    @Test
    void rowRangeView() {
        INDArray m = grid(5, 6);
        assertRoundTrip(m.get(NDArrayIndex.interval(1, 4), NDArrayIndex.all()), m, Fixtures.values(m));
    }

    @Test
    void columnRangeView() {
        INDArray m = grid(4, 9);
        assertRoundTrip(m.get(NDArrayIndex.all(), NDArrayIndex.interval(2, 6)), m, Fixtures.values(m));
    }

    @Test
    void lastPositionOfASequenceTensor() {
        INDArray t = Nd4j.arange(0, 2 * 3 * 4).castTo(DataType.FLOAT).reshape(2, 3, 4);
        INDArray last = t.get(NDArrayIndex.all(), NDArrayIndex.point(2), NDArrayIndex.all());
        float[][] rows = LogitsArrays.read(last);
        assertArrayEquals(new float[][] {{8, 9, 10, 11}, {20, 21, 22, 23}}, rows);
        rows[1][3] = -1;
        LogitsArrays.write(rows, last);
        assertEquals(-1f, t.getFloat(1, 2, 3));
        assertEquals(19f, t.getFloat(1, 1, 3));
    }

    @Test
    void fortranOrderAndDoublesTakeTheSlowPath() {
        INDArray f = Nd4j.create(DataType.FLOAT, new long[] {3, 4}, 'f').assign(grid(3, 4));
        assertRoundTrip(f, f, Fixtures.values(f));
        INDArray d = grid(2, 3).castTo(DataType.DOUBLE);
        assertRoundTrip(d, d, Fixtures.values(d));
    }
}
