package dev.nexttoken.spark;

import dev.nexttoken.core.Generator;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** {@link NextTokenFunctions}: the SQL a data engineer writes. */
class SqlFunctionsTest {

    @Test
    void perplexityLossAndTokensInSql() {
        SparkSession spark = SparkTestSession.get();
        List<String> texts = new ArrayList<>(Corpus.lines(20));
        texts.add(null);
        texts.add("");
        spark.createDataset(texts, Encoders.STRING()).toDF("text").createOrReplaceTempView("corpus");
        NextTokenFunctions.register(spark, ModelSource.defaultModel());

        List<Row> rows = spark.sql("SELECT text, nexttoken_perplexity(text), nexttoken_loss(text), nexttoken_tokens(text)"
                + " FROM corpus").collectAsList();
        assertEquals(22, rows.size());
        try (Generator reference = Generator.loadDefault()) {
            for (Row row : rows) {
                String text = row.getString(0);
                if (text == null || text.isEmpty()) {
                    assertNull(row.get(1));
                    assertNull(row.get(2));
                    continue;
                }
                double loss = reference.score(text).loss();
                assertEquals(Math.exp(loss), row.getDouble(1), 1e-6 * Math.exp(loss), text);
                assertEquals(loss, row.getDouble(2), 1e-6, text);
                assertEquals(reference.tokenizer().encode(text).length, row.getInt(3), text);
            }
        }
        long kept = spark.sql("SELECT text FROM corpus WHERE nexttoken_perplexity(text) < 1e9").count();
        assertEquals(20, kept);
        assertEquals(Arrays.asList(0, null), Arrays.asList(
                spark.sql("SELECT nexttoken_tokens('')").first().get(0),
                spark.sql("SELECT nexttoken_tokens(CAST(NULL AS STRING))").first().get(0)));
    }
}
