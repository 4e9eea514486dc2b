package dev.nexttoken.spark;

import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.util.SerializableConfiguration;

import java.util.Iterator;

/**
 * The task side of {@link NextToken#score}: takes the executor's shared model and scores the
 * partition's rows as they are pulled (nothing is buffered). Core has no batch scoring of texts
 * of different lengths, so rows go through the model one at a time; an executor's task slots
 * score in parallel on the one shared model.
 */
final class ScorePartition implements MapPartitionsFunction<Row, Row> {

    private static final long serialVersionUID = 1L;

    private final int textIndex;
    private final ModelSource source;
    private final SerializableConfiguration conf;
    private final ScoreOptions options;

    ScorePartition(int textIndex, ModelSource source, SerializableConfiguration conf, ScoreOptions options) {
        this.textIndex = textIndex;
        this.source = source;
        this.conf = conf;
        this.options = options;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        TextScorer scorer = new TextScorer(ExecutorModels.get(source, conf.value()), options);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public Row next() {
                Row row = rows.next();
                return Rows.extend(row, scorer.score(row.get(textIndex)));
            }
        };
    }
}
