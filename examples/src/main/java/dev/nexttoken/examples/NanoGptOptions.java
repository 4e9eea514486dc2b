package dev.nexttoken.examples;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * nanoGPT {@code sample.py} options that have no nexttoken equivalent, accepted so that commands
 * copied from nanoGPT fail or run with a clear message instead of "unknown option". A picocli
 * mixin (its options are hidden from {@code --help}); a command calls {@link #check(CommandSpec)}
 * before anything else.
 *
 * <ul>
 *   <li>{@code --init_from} and {@code --out_dir} choose a model, so they are rejected (a bad
 *       argument): nexttoken reads a Hugging Face GPT-2 folder given with {@code --model DIR},
 *       and using another model than the one asked for, silently, would mislead.</li>
 *   <li>{@code --device} and {@code --compile} are ignored with one note on standard error: the
 *       Nd4j backend on the class path decides where and how the model runs. ({@code --dtype} is
 *       nexttoken's own option, {@link DtypeOption}, which also takes nanoGPT's
 *       {@code float32}, {@code float16} and {@code bfloat16}.)</li>
 * </ul>
 */
public final class NanoGptOptions {

    @Option(names = "--init_from", hidden = true, paramLabel = "NAME")
    String initFrom;

    @Option(names = "--out_dir", hidden = true, paramLabel = "DIR")
    String outDir;

    @Option(names = "--device", hidden = true, paramLabel = "DEVICE")
    String device;

    @Option(names = "--compile", hidden = true, paramLabel = "BOOL")
    String compile;

    /**
     * Rejects the nanoGPT options that choose a model and notes the ignored ones on standard error.
     *
     * @param spec the command's spec, for its name and its standard error
     * @throws BadArgumentException if {@code --init_from} or {@code --out_dir} was given
     */
    public void check(CommandSpec spec) {
        if (initFrom != null) {
            throw new BadArgumentException("--init_from=" + initFrom + " is nanoGPT's way to choose a model;"
                    + " nexttoken reads a Hugging Face GPT-2 folder (config.json and model.safetensors):"
                    + " give --model DIR, or neither for the default model");
        }
        if (outDir != null) {
            throw new BadArgumentException("--out_dir=" + outDir + " names a nanoGPT checkpoint folder (ckpt.pt),"
                    + " which nexttoken cannot read: give --model DIR with a Hugging Face GPT-2 folder"
                    + " (config.json and model.safetensors)");
        }
        List<String> ignored = new ArrayList<>();
        if (device != null) {
            ignored.add("--device=" + device);
        }
        if (compile != null) {
            ignored.add("--compile=" + compile);
        }
        if (!ignored.isEmpty()) {
            PrintWriter err = spec.commandLine().getErr();
            err.println(spec.qualifiedName() + ": note: ignoring nanoGPT's " + String.join(" ", ignored)
                    + "; the Nd4j backend on the class path decides where and how the model runs");
            err.flush();
        }
    }
}
