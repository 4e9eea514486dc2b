package dev.nexttoken.examples;

import dev.nexttoken.core.model.WeightFormat;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

import java.util.Locale;

/**
 * The {@code --dtype f32|f16|bf16|q8} option of the commands that load a model folder: converts
 * the weight matrices to that format on load
 * ({@link dev.nexttoken.core.model.Gpt2Weights.LoadOptions#withFormat}); without it they stay in
 * the file's format. docs/FORMATS.md says what each format costs.
 */
final class DtypeOption {

    @Option(names = "--dtype", paramLabel = "FORMAT", converter = FormatConverter.class,
            description = "Convert the weight matrices on load: f32, f16, bf16 or q8 (8-bit blocks of 32 with an F16"
                    + " scale); default: the file's format (docs/FORMATS.md).")
    WeightFormat format;

    /** Parses {@code f32}, {@code f16}, {@code bf16} or {@code q8} in any case, and nanoGPT's {@code float32}, {@code float16}, {@code bfloat16}. */
    static final class FormatConverter implements ITypeConverter<WeightFormat> {
        @Override
        public WeightFormat convert(String value) {
            switch (value.trim().toLowerCase(Locale.ROOT)) {
                case "float32" -> {
                    return WeightFormat.F32;
                }
                case "float16" -> {
                    return WeightFormat.F16;
                }
                case "bfloat16" -> {
                    return WeightFormat.BF16;
                }
                default -> {
                }
            }
            try {
                return WeightFormat.valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "' is not a weight format: use f32, f16, bf16 or q8");
            }
        }
    }
}
