package dev.nexttoken.spark;

import dev.nexttoken.core.GenerationResult;
import dev.nexttoken.core.Generator;
import dev.nexttoken.core.NextTokenException;
import dev.nexttoken.core.Sample;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.util.SerializableConfiguration;

import java.util.Iterator;

/**
 * The task side of {@link NextToken#generate}: one completion per row from the executor's
 * shared model, each row seeded by {@link RowSeeds} from its key, so the text does not depend on
 * which task, attempt or partition ran it. Rows go one at a time (core batches the samples of
 * one prompt, not different prompts).
 */
final class GeneratePartition implements MapPartitionsFunction<Row, Row> {

    private static final long serialVersionUID = 1L;

    private final int promptIndex;
    private final int keyIndex;                          // -1: the prompt is the key
    private final ModelSource source;
    private final SerializableConfiguration conf;
    private final GenerationSettings settings;

    GeneratePartition(int promptIndex, int keyIndex, ModelSource source, SerializableConfiguration conf,
                      GenerationSettings settings) {
        this.promptIndex = promptIndex;
        this.keyIndex = keyIndex;
        this.source = source;
        this.conf = conf;
        this.settings = settings;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        Generator generator = ExecutorModels.get(source, conf.value());
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public Row next() {
                Row row = rows.next();
                return Rows.extend(row, complete(generator, row));
            }
        };
    }

    /** completion, finish_reason, error. */
    private Object[] complete(Generator generator, Row row) {
        try {
            String prompt = InputText.of(row.get(promptIndex));
            if (keyIndex >= 0 && row.isNullAt(keyIndex)) {
                throw new BadRowException("the key is null: each row needs a key to seed its generation");
            }
            String key = keyIndex < 0 ? prompt : String.valueOf(row.get(keyIndex));
            GenerationResult result = generator.generate(prompt, settings.toOptions(RowSeeds.seed(settings.seed(), key)));
            Sample sample = result.samples().get(0);
            return new Object[] {sample.text(), sample.finishReason().jsonName(), null};
        } catch (BadRowException | NextTokenException e) {
            return new Object[] {null, null, e.getMessage()};
        }
    }
}
