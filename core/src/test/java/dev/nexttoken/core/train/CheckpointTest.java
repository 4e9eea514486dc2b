package dev.nexttoken.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nexttoken.core.ModelLoadException;
import dev.nexttoken.core.io.Dtype;
import dev.nexttoken.core.model.Gpt2Weights;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The on-disk checkpoint: versioned folders, the pointer, the manifest, and what a load refuses. */
class CheckpointTest {

    @TempDir
    Path tmp;

    private Path dir;
    private Path folder;

    /** A model folder whose current checkpoint is that of step 3 (one of step 2 written before it). */
    @BeforeEach
    void saveTwoCheckpoints() {
        Trainer trainer;
        try (Gpt2Weights weights = TrainerTest.tinyFixture()) {
            trainer = Trainer.start(weights, TrainerTest.smallOptions(3), TrainerTest.repetitiveData());
        }
        dir = tmp.resolve("model");
        trainer.step();
        trainer.step();
        trainer.save(dir, Dtype.F32);
        trainer.step();
        trainer.save(dir, Dtype.F32);
        folder = dir.resolve("training/step-3");
    }

    @Test
    void onlyTheLatestCheckpointIsKeptAndItsModelIsAHuggingFaceFolderAtTheTop() throws IOException {
        try (Stream<Path> entries = Files.list(dir.resolve("training"))) {
            assertEquals(List.of("latest", "step-3"), entries.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertEquals("step-3\n", Files.readString(dir.resolve("training/latest")));
        for (String file : List.of("config.json", "model.safetensors")) {
            assertArrayEquals(Files.readAllBytes(folder.resolve(file)), Files.readAllBytes(dir.resolve(file)), file);
        }
        CheckpointManifest manifest = CheckpointManifest.read(folder);
        assertEquals(3, manifest.step());
        assertEquals(List.of("config.json", "model.safetensors", "optimizer.safetensors", "state.json"),
                List.copyOf(manifest.files().keySet()));
        try (Gpt2Weights weights = Gpt2Weights.load(dir)) {
            assertEquals(2, weights.config().nLayer());
        }
        assertEquals(3, Checkpoint.load(dir).state().step());
    }

    @Test
    void aMissingFileIsRefused() throws IOException {
        Files.delete(folder.resolve("optimizer.safetensors"));
        assertRefused(folder.resolve("optimizer.safetensors") + ": missing from the checkpoint (manifest.json lists it)");
    }

    @Test
    void aTruncatedFileIsRefused() throws IOException {
        Path model = folder.resolve("model.safetensors");
        long size = Files.size(model);
        try (FileChannel channel = FileChannel.open(model, StandardOpenOption.WRITE)) {
            channel.truncate(size - 100);
        }
        assertRefused(model + ": " + (size - 100) + " bytes, but manifest.json says " + size
                + ": the file was cut short or replaced");
    }

    @Test
    void aChangedByteIsRefused() throws IOException {
        Path optimizer = folder.resolve("optimizer.safetensors");
        byte[] bytes = Files.readAllBytes(optimizer);
        bytes[bytes.length - 1] ^= 1;
        Files.write(optimizer, bytes);
        assertRefused(optimizer + ": SHA-256 differs from manifest.json: the file was changed or damaged");
    }

    @Test
    void aManifestOfAnotherStepIsRefused() {
        CheckpointManifest manifest = CheckpointManifest.read(folder);
        new CheckpointManifest(4, manifest.files()).write(folder);
        assertRefused(folder.resolve("state.json") + ": step 3, but manifest.json says step 4: the checkpoint mixes two steps");
    }

    @Test
    void aFolderWithoutManifestIsIncomplete() throws IOException {
        Files.delete(folder.resolve("manifest.json"));
        assertRefused(folder + ": incomplete checkpoint: no manifest.json");
    }

    @Test
    void aPointerToAMissingFolderIsRefused() throws IOException {
        Files.writeString(dir.resolve("training/latest"), "step-9\n");
        assertRefused(dir.resolve("training/latest") + ": names step-9, which does not exist");
        Files.writeString(dir.resolve("training/latest"), "../..\n");
        assertRefused(dir.resolve("training/latest") + ": '../..' is not a checkpoint folder name (step-N)");
    }

    @Test
    void aFolderWithoutPointerIsNotACheckpointAndTheEarlierLayoutIsNamed() throws IOException {
        Files.delete(dir.resolve("training/latest"));
        assertRefused(dir + ": not a training checkpoint (no training/latest)");
        Files.copy(folder.resolve("state.json"), dir.resolve("training/state.json"));
        assertRefused(dir + ": a checkpoint of an earlier nexttoken (training/state.json without training/latest);"
                + " it has no manifest to prove it complete, so it cannot be resumed: start a new run");
    }

    @Test
    void anInterruptedWriteIsIgnoredAndCleanedUpByTheNextOne() throws IOException {
        Path staged = dir.resolve("training/step-4.tmp");
        Files.createDirectories(staged);
        Files.writeString(staged.resolve("model.safetensors"), "half a file");
        assertEquals(3, Checkpoint.load(dir).state().step());

        Trainer resumed = Trainer.resume(dir, TrainerTest.smallOptions(4), TrainerTest.repetitiveData());
        resumed.step();
        resumed.save(dir, Dtype.F32);
        try (Stream<Path> entries = Files.list(dir.resolve("training"))) {
            assertEquals(List.of("latest", "step-4"), entries.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertFalse(Files.exists(dir.resolve("model.safetensors.tmp")));
    }

    @Test
    void aNewRunOverAnotherRunsCheckpointOfTheSameStepTakesAnotherName() {
        Trainer other;
        try (Gpt2Weights weights = TrainerTest.tinyFixture()) {
            other = Trainer.start(weights, TrainerTest.smallOptions(3), TrainerTest.repetitiveData());
        }
        for (int i = 0; i < 3; i++) {
            other.step();
        }
        other.save(dir, Dtype.F32);
        assertTrue(Files.isDirectory(dir.resolve("training/step-3-1")));
        assertFalse(Files.exists(folder));
        assertEquals(3, Checkpoint.load(dir).state().step());
    }

    private void assertRefused(String message) {
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> Checkpoint.load(dir));
        assertEquals(message, e.getMessage());
    }
}
