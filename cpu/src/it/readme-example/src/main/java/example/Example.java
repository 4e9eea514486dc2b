package example;

import dev.nexttoken.core.GenerationOptions;
import dev.nexttoken.core.Generator;
import dev.nexttoken.core.TokenStream;
import dev.nexttoken.sampling.LogitsProcessor;

public class Example {
    public static void main(String[] args) {
        try (Generator gen = Generator.loadDefault()) {         // or Generator.load(Path.of("models/gpt2"))
            GenerationOptions options = GenerationOptions.builder()
                    .maxNewTokens(40).temperature(0.8).topK(200).seed(1337).build();
            System.out.println("The meaning of life is" + gen.generate("The meaning of life is", options).text());

            // a custom processor: never end a line (no token that holds a "\n")
            int[] newlines = gen.tokenizer().tokensWhere(piece -> piece.contains("\n"));
            LogitsProcessor noNewlines = (context, logits) -> {
                for (int id : newlines) {
                    logits.getColumn(id).assign(Double.NEGATIVE_INFINITY);
                }
            };
            GenerationOptions oneLine = options.toBuilder().addProcessor(noNewlines).build();
            System.out.println("Once upon a time" + gen.generate("Once upon a time", oneLine).text());

            // tokens as they come
            System.out.print("A fool and his money");
            try (TokenStream tokens = gen.stream("A fool and his money", oneLine)) {
                tokens.forEachRemaining(token -> System.out.print(token.text()));
            }
            System.out.println();

            // how is the next token chosen? The top 10 candidates, their logits and probabilities
            System.out.println(gen.next("The capital of France is", options, 10));
        }
    }
}
