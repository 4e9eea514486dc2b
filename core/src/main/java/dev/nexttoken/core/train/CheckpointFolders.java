package dev.nexttoken.core.train;

import dev.nexttoken.core.ModelLoadException;
import dev.nexttoken.core.NextTokenException;
import dev.nexttoken.core.io.AtomicFiles;
import dev.nexttoken.core.io.FileTrees;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The versioned checkpoint folders of a model folder, and the one switch that makes a new
 * checkpoint current:
 *
 * <pre>
 *   DIR/training/latest         the name of the current checkpoint folder, for example "step-30"
 *   DIR/training/step-30/       the current checkpoint: every file, and manifest.json last
 *   DIR/training/step-40.tmp/   a checkpoint being written: ignored, deleted by the next write
 *   DIR/config.json             the current checkpoint's model, for --model and Generator.load
 *   DIR/model.safetensors       (hard links to its files, or copies where links are refused)
 * </pre>
 *
 * <p>A new checkpoint is written into a {@code .tmp} folder, which is renamed to its final name
 * once complete; then {@code latest} is replaced by a rename (the commit point), the model is
 * published at the top, and older checkpoint folders are deleted. A crash at any moment leaves
 * {@code latest} naming a complete folder, the previous one or the new one. Renaming a folder over
 * a non-empty one is not possible in one step, hence a new name per checkpoint and a pointer file.
 */
final class CheckpointFolders {

    /** The pointer file's name in {@code training/}. */
    static final String LATEST = "latest";
    private static final Pattern NAME = Pattern.compile("step-\\d+(-\\d+)?");
    private static final String STAGING = ".tmp";
    /** The files of the layout before versioned folders, deleted once a new checkpoint is current. */
    private static final List<String> EARLIER_LAYOUT = List.of("state.json", "state.json.tmp",
            "optimizer.safetensors", "optimizer.safetensors.tmp");

    private final Path dir;
    private final Path training;

    /** @param dir the model folder */
    CheckpointFolders(Path dir) {
        this.dir = dir;
        this.training = dir.resolve(Checkpoint.TRAINING_DIR);
    }

    /** @return whether {@code training/latest} exists: a checkpoint was committed here */
    boolean hasCheckpoint() {
        return Files.isRegularFile(training.resolve(LATEST));
    }

    /**
     * The folder of the current checkpoint, as {@code training/latest} names it.
     *
     * @return the checkpoint folder (its completeness is the manifest's to check)
     * @throws ModelLoadException if there is no pointer, or it names no folder
     */
    Path current() {
        Path pointer = training.resolve(LATEST);
        if (!Files.isRegularFile(pointer)) {
            if (Files.isRegularFile(training.resolve("state.json"))) {
                throw new ModelLoadException(dir + ": a checkpoint of an earlier nexttoken (" + Checkpoint.TRAINING_DIR
                        + "/state.json without " + Checkpoint.TRAINING_DIR + "/" + LATEST + "); it has no manifest to"
                        + " prove it complete, so it cannot be resumed: start a new run");
            }
            throw new ModelLoadException(dir + ": not a training checkpoint (no " + Checkpoint.TRAINING_DIR + "/"
                    + LATEST + ")");
        }
        String name;
        try {
            name = Files.readString(pointer, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new ModelLoadException(pointer + ": cannot read the checkpoint pointer: " + e.getMessage(), e);
        }
        if (!NAME.matcher(name).matches()) {
            throw new ModelLoadException(pointer + ": '" + name + "' is not a checkpoint folder name (step-N)");
        }
        Path folder = training.resolve(name);
        if (!Files.isDirectory(folder)) {
            throw new ModelLoadException(pointer + ": names " + name + ", which does not exist");
        }
        return folder;
    }

    /**
     * A new, empty folder to write the checkpoint of {@code step} into; leftovers of an
     * interrupted write of the same name are deleted first.
     *
     * @param step the checkpoint's step
     * @return the staging folder, to give to {@link #commit} once every file is in it
     * @throws NextTokenException if it cannot be created
     */
    Path stage(long step) {
        String current = currentName();
        String name = "step-" + step;
        for (int k = 1; name.equals(current); k++) {                  // another run's checkpoint of that step
            name = "step-" + step + "-" + k;
        }
        Path staged = training.resolve(name + STAGING);
        try {
            FileTrees.delete(training.resolve(name));
            FileTrees.delete(staged);
            Files.createDirectories(staged);
        } catch (IOException e) {
            throw new NextTokenException(staged + ": cannot create the checkpoint folder: " + e, e);
        }
        return staged;
    }

    /**
     * Makes a fully written staging folder the current checkpoint: renames it to its final name,
     * switches {@code training/latest} to it, publishes its model at the top of the model
     * folder, and deletes the other checkpoint folders.
     *
     * @param staged the folder from {@link #stage}, holding every file and its manifest
     * @param step   the checkpoint's step (for {@link CheckpointHalt})
     * @param model  the files to publish at the top of the model folder
     * @throws NextTokenException if a step fails; the previous checkpoint then stays current
     *                            unless the switch itself was done
     */
    void commit(Path staged, long step, List<String> model) {
        String stagedName = staged.getFileName().toString();
        String name = stagedName.substring(0, stagedName.length() - STAGING.length());
        Path folder = training.resolve(name);
        try {
            AtomicFiles.forceFolder(staged);
            AtomicFiles.replace(staged, folder);                       // the target does not exist: see stage
            CheckpointHalt.reached(step, "renamed");
            AtomicFiles.writeString(training.resolve(LATEST), name + "\n");
            CheckpointHalt.reached(step, "switched");
        } catch (IOException e) {
            throw new NextTokenException(folder + ": cannot make the checkpoint current: " + e, e);
        }
        for (String file : model) {
            publish(folder.resolve(file), dir.resolve(file));
        }
        CheckpointHalt.reached(step, "published");
        deleteAllBut(name);
        CheckpointHalt.reached(step, "cleaned");
    }

    /** Replaces {@code target} with {@code source}'s content in one step: a hard link where possible, else a copy. */
    private static void publish(Path source, Path target) {
        Path temporary = target.resolveSibling(target.getFileName() + AtomicFiles.TEMPORARY_SUFFIX);
        try {
            Files.deleteIfExists(temporary);
            try {
                Files.createLink(temporary, source);
            } catch (UnsupportedOperationException | FileSystemException e) {
                Files.copy(source, temporary, StandardCopyOption.REPLACE_EXISTING);
                AtomicFiles.force(temporary);
            }
            AtomicFiles.replace(temporary, target);
        } catch (IOException e) {
            throw new NextTokenException(target + ": cannot publish the checkpoint's model file: " + e, e);
        }
    }

    /** Deletes every checkpoint folder (and file of the earlier layout) except {@code keep}. */
    private void deleteAllBut(String keep) {
        try (Stream<Path> entries = Files.list(training)) {
            for (Path entry : entries.toList()) {
                String name = entry.getFileName().toString();
                String base = name.endsWith(STAGING) ? name.substring(0, name.length() - STAGING.length()) : name;
                if (!name.equals(keep) && (NAME.matcher(base).matches() || EARLIER_LAYOUT.contains(name))) {
                    FileTrees.delete(entry);
                }
            }
        } catch (IOException e) {
            throw new NextTokenException(training + ": cannot delete older checkpoints: " + e, e);
        }
    }

    /** The current checkpoint folder's name, or null if there is none readable. */
    private String currentName() {
        try {
            return Files.readString(training.resolve(LATEST), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return null;
        }
    }
}
