package dev.nexttoken.spark;

import dev.nexttoken.core.GenerationOptions;
import dev.nexttoken.core.Generator;
import dev.nexttoken.core.Sample;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link NextToken#generate}: the same text on every run, whatever the partitioning. */
class GenerateTest {

    private static final ModelSource MODEL = ModelSource.defaultModel();
    private static final GenerationOptions OPTIONS = GenerationOptions.builder()
            .maxNewTokens(8).temperature(1.0).topK(50).seed(7).build();
    private static SparkSession spark;
    private static Generator reference;

    @BeforeAll
    static void start() {
        spark = SparkTestSession.get();
        reference = Generator.loadDefault();
    }

    @AfterAll
    static void close() {
        reference.close();
    }

    private static Dataset<Row> prompts(int partitions) {
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("prompt", DataTypes.StringType);
        List<Row> rows = new ArrayList<>();
        List<String> lines = Corpus.lines(12);
        for (int i = 0; i < lines.size(); i++) {
            rows.add(RowFactory.create(i, lines.get(i)));
        }
        rows.add(RowFactory.create(100, lines.get(0)));                      // the same prompt as row 0
        rows.add(RowFactory.create(101, null));
        return spark.createDataFrame(rows, schema).repartition(partitions);
    }

    private static Map<Integer, Row> byId(Dataset<Row> rows) {
        return rows.collectAsList().stream().collect(Collectors.toMap(r -> r.getInt(0), r -> r));
    }

    @Test
    void twoRunsWithOtherPartitioningsGiveTheSameCompletions() {
        Map<Integer, Row> first = byId(NextToken.generate(prompts(3), "prompt", MODEL, OPTIONS));
        Map<Integer, Row> second = byId(NextToken.generate(prompts(2), "prompt", MODEL, OPTIONS));
        assertEquals(14, first.size());
        first.forEach((id, row) -> assertEquals(row, second.get(id), "row " + id));
        assertEquals(first.get(0).getString(2), first.get(100).getString(2), "the prompt is the key");
        assertTrue(first.values().stream().filter(r -> r.get(4) == null).map(r -> r.getString(2)).distinct().count() > 6,
                "different prompts, different completions");
    }

    @Test
    void eachRowIsWhatGeneratorGivesWithTheRowsSeed() {
        Map<Integer, Row> rows = byId(NextToken.generate(prompts(2), "prompt", MODEL, OPTIONS));
        for (int id = 0; id < 12; id++) {
            String prompt = rows.get(id).getString(1);
            Sample expected = reference.generate(prompt,
                    OPTIONS.toBuilder().seed(RowSeeds.seed(OPTIONS.seed(), prompt)).build()).samples().get(0);
            assertEquals(expected.text(), rows.get(id).getString(2));
            assertEquals(expected.finishReason().jsonName(), rows.get(id).getString(3));
        }
    }

    @Test
    void aKeyColumnSeedsEachRowAndANullPromptIsAnError() {
        Map<Integer, Row> rows = byId(NextToken.generate(prompts(2), "prompt", "id", MODEL, OPTIONS));
        assertNotEquals(rows.get(0).getString(2), rows.get(100).getString(2), "same prompt, other keys");
        Row bad = rows.get(101);
        assertNull(bad.get(2));
        assertNull(bad.get(3));
        assertEquals("the text is null", bad.getString(4));
    }

    @Test
    void optionsThatCannotTravelAreRefusedOnTheDriver() {
        Dataset<Row> data = prompts(1);
        assertThrows(IllegalArgumentException.class, () -> NextToken.generate(data, "prompt", MODEL,
                OPTIONS.toBuilder().addProcessor((context, logits) -> { }).build()));
        assertThrows(IllegalArgumentException.class, () -> NextToken.generate(data, "prompt", MODEL,
                OPTIONS.toBuilder().numSamples(2).build()));
    }
}
