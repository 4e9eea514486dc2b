package dev.nexttoken.spark;

import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.util.SerializableConfiguration;

import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * SQL functions over one model: after {@code NextTokenFunctions.register(spark, model)},
 * <pre>{@code SELECT text, nexttoken_perplexity(text) FROM corpus WHERE nexttoken_tokens(text) > 10}</pre>
 * works. {@code nexttoken_perplexity(text)} and {@code nexttoken_loss(text)} return DOUBLE,
 * {@code nexttoken_tokens(text)} INT (the token count, for any non-null text); a text that cannot
 * be scored gives NULL. Registering again replaces the functions (the last model wins).
 */
public final class NextTokenFunctions {

    private NextTokenFunctions() {
    }

    /** Registers the functions with consecutive windows for long texts. */
    public static void register(SparkSession spark, ModelSource model) {
        register(spark, model, ScoreOptions.defaults());
    }

    /** Registers the functions, scoring with {@code options} (its stride; log-probabilities are not returned). */
    public static void register(SparkSession spark, ModelSource model, ScoreOptions options) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(options, "options");
        SerializableConfiguration conf = NextToken.hadoopConf(spark);
        spark.udf().register("nexttoken_perplexity", new ScoreFunction(model, conf, options, s -> Math.exp(s)),
                DataTypes.DoubleType);
        spark.udf().register("nexttoken_loss", new ScoreFunction(model, conf, options, s -> s), DataTypes.DoubleType);
        spark.udf().register("nexttoken_tokens", (UDF1<String, Integer>) text -> text == null ? null
                : ExecutorModels.get(model, conf.value()).tokenizer().encode(text).length, DataTypes.IntegerType);
    }

    /** A score of one text as a SQL value, or NULL where the row cannot be scored. */
    private static final class ScoreFunction implements UDF1<String, Double> {

        private static final long serialVersionUID = 1L;

        private final ModelSource model;
        private final SerializableConfiguration conf;
        private final ScoreOptions options;
        private final LossMapping fromLoss;

        ScoreFunction(ModelSource model, SerializableConfiguration conf, ScoreOptions options, LossMapping fromLoss) {
            this.model = model;
            this.conf = conf;
            this.options = options;
            this.fromLoss = fromLoss;
        }

        @Override
        public Double call(String text) {
            try {
                TextScorer scorer = new TextScorer(ExecutorModels.get(model, conf.value()), options);
                return fromLoss.applyAsDouble(scorer.scoreText(InputText.of(text)).loss());
            } catch (BadRowException e) {
                return null;
            }
        }
    }

    /** What a function returns, computed from the loss; serializable, as Spark ships it. */
    private interface LossMapping extends ToDoubleFunction<Double>, java.io.Serializable {
    }
}
