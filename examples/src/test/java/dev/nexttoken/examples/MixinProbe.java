package dev.nexttoken.examples;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A test command with all the shared mixins: it checks the nanoGPT options and prints "ran". */
@Command(name = "probe")
class MixinProbe implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    PromptOptions prompt;

    @Mixin
    SamplingCliOptions sampling;

    @Mixin
    GenerationCliOptions generation;

    @Mixin
    NanoGptOptions nanoGpt;

    @Override
    public Integer call() {
        nanoGpt.check(spec);
        spec.commandLine().getOut().println("ran");
        return ExitCodes.OK;
    }
}
