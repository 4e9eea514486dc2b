package dev.nexttoken.spark;

import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.Arrays;
import java.util.List;

/** Column checks with errors that name what is there. */
final class Schemas {

    private Schemas() {
    }

    /**
     * The index of the text column {@code name}.
     *
     * @throws IllegalArgumentException if there is no such column or it is neither a string nor binary
     */
    static int textColumn(StructType schema, String name) {
        if (name == null || !Arrays.asList(schema.fieldNames()).contains(name)) {
            throw new IllegalArgumentException("no column '" + name + "': the dataset has "
                    + Arrays.toString(schema.fieldNames()));
        }
        int index = schema.fieldIndex(name);
        StructField field = schema.fields()[index];
        if (!(field.dataType() instanceof StringType) && !(field.dataType() instanceof BinaryType)) {
            throw new IllegalArgumentException("column '" + name + "' is " + field.dataType().simpleString()
                    + ": it must be a string (or binary UTF-8)");
        }
        return index;
    }

    /** {@code input} followed by {@code added}; refuses a name that is already there. */
    static StructType append(StructType input, List<StructField> added) {
        StructType out = input;
        for (StructField field : added) {
            if (Arrays.asList(input.fieldNames()).contains(field.name())) {
                throw new IllegalArgumentException("the dataset already has a column '" + field.name()
                        + "', which nexttoken adds: rename or drop it first");
            }
            out = out.add(field);
        }
        return out;
    }
}
