package dev.nexttoken.examples;

import picocli.CommandLine.Option;

/**
 * The {@code --mmap} option of the commands that load a model folder ({@code generate},
 * {@code bench}): use the weights in place over the memory-mapped file instead of reading them
 * into memory ({@link ModelLoader#load(java.nio.file.Path, java.io.PrintWriter, boolean)}).
 */
final class MemoryMapOption {

    @Option(names = "--mmap",
            description = "Map the weights file instead of reading it into memory: loads in a fraction of a second"
                    + " and shares the page cache with other processes, but the file must not change while it is"
                    + " in use (a truncated file ends the JVM with SIGBUS); a file cached long ago can decode"
                    + " slower (docs/PERFORMANCE.md, docs/RELIABILITY.md).")
    boolean memoryMapped;
}
