package dev.nexttoken.examples;

import picocli.CommandLine.Option;

/**
 * The {@code --copy-weights} option of the commands that load a model folder ({@code generate},
 * {@code bench}): read the weights into memory instead of mapping the file
 * ({@link ModelLoader#load(java.nio.file.Path, java.io.PrintWriter, boolean)}).
 */
final class CopyWeightsOption {

    @Option(names = "--copy-weights",
            description = "Read the weights into memory instead of mapping the file: slower to load (every 4 KB of"
                    + " fresh memory is a page fault), faster to decode when the file's cached pages are slow to"
                    + " read (docs/PERFORMANCE.md has the numbers).")
    boolean copyWeights;
}
