package dev.nexttoken.spark;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;

/** The columns {@link NextToken#score} adds, in order: tokens, loss, perplexity, [token_logprobs], error. */
final class ScoreColumns {

    static final String TOKENS = "tokens";
    static final String LOSS = "loss";
    static final String PERPLEXITY = "perplexity";
    static final String TOKEN_LOGPROBS = "token_logprobs";
    static final String ERROR = "error";

    private ScoreColumns() {
    }

    /** How many columns are added. */
    static int count(ScoreOptions options) {
        return options.tokenLogProbs() ? 5 : 4;
    }

    /** {@code input} followed by the added columns (all nullable: a bad row has nulls). */
    static StructType append(StructType input, ScoreOptions options) {
        List<StructField> added = new ArrayList<>();
        added.add(DataTypes.createStructField(TOKENS, DataTypes.IntegerType, true));
        added.add(DataTypes.createStructField(LOSS, DataTypes.DoubleType, true));
        added.add(DataTypes.createStructField(PERPLEXITY, DataTypes.DoubleType, true));
        if (options.tokenLogProbs()) {
            added.add(DataTypes.createStructField(TOKEN_LOGPROBS,
                    DataTypes.createArrayType(DataTypes.DoubleType, false), true));
        }
        added.add(DataTypes.createStructField(ERROR, DataTypes.StringType, true));
        return Schemas.append(input, added);
    }
}
