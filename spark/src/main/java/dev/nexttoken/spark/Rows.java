package dev.nexttoken.spark;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/** Rows with columns added at the end. */
final class Rows {

    private Rows() {
    }

    /** {@code row}'s values followed by {@code added}. */
    static Row extend(Row row, Object[] added) {
        Object[] values = new Object[row.length() + added.length];
        for (int i = 0; i < row.length(); i++) {
            values[i] = row.get(i);
        }
        System.arraycopy(added, 0, values, row.length(), added.length);
        return RowFactory.create(values);
    }
}
