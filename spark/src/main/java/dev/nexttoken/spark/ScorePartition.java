package dev.nexttoken.spark;

import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.util.SerializableConfiguration;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The task side of {@link NextToken#score}: takes the executor's shared model and scores the
 * partition's rows as they are pulled: one at a time, or {@link ScoreOptions#batchSize()} rows
 * buffered and scored together ({@code Generator.score(List, int)}). An executor's task slots
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
        int batch = options.batchSize();
        return new Iterator<>() {
            private final ArrayDeque<Row> ready = new ArrayDeque<>();

            @Override
            public boolean hasNext() {
                return !ready.isEmpty() || rows.hasNext();
            }

            @Override
            public Row next() {
                if (ready.isEmpty()) {
                    if (batch == 1) {
                        Row row = rows.next();
                        return Rows.extend(row, scorer.score(row.get(textIndex)));
                    }
                    List<Row> taken = new ArrayList<>(batch);
                    List<Object> texts = new ArrayList<>(batch);
                    while (taken.size() < batch && rows.hasNext()) {
                        Row row = rows.next();
                        taken.add(row);
                        texts.add(row.get(textIndex));
                    }
                    List<Object[]> scores = scorer.scoreAll(texts);
                    for (int i = 0; i < taken.size(); i++) {
                        ready.add(Rows.extend(taken.get(i), scores.get(i)));
                    }
                }
                return ready.remove();
            }
        };
    }
}
