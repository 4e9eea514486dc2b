package dev.nexttoken.spark;

import dev.nexttoken.core.DefaultModel;
import dev.nexttoken.core.Generator;
import dev.nexttoken.core.ModelLoadException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ModelFetcher}: a folder read through Hadoop's FileSystem API lands once on local disk. */
class ModelFetcherTest {

    @TempDir
    Path tmp;

    private Path modelFolder() throws Exception {
        Path folder = Files.createDirectories(tmp.resolve("remote/gpt2"));
        for (String file : List.of("config.json", "model.safetensors")) {
            Files.copy(DefaultModel.folder().resolve(file), folder.resolve(file));
        }
        return folder;
    }

    @Test
    void aFolderIsCopiedIntoTheCacheOnceAndLoadsTheSameModel() throws Exception {
        Path remote = modelFolder();
        FileSystem fs = FileSystem.get(remote.toUri(), new Configuration());
        Path cache = tmp.resolve("cache");
        Path copy = ModelFetcher.copyToCache(fs, remote.toUri(), cache);
        assertTrue(copy.startsWith(cache), copy.toString());
        assertArrayEquals(Files.readAllBytes(remote.resolve("model.safetensors")),
                Files.readAllBytes(copy.resolve("model.safetensors")));
        FileTime copied = Files.getLastModifiedTime(copy.resolve("model.safetensors"));
        assertEquals(copy, ModelFetcher.copyToCache(fs, remote.toUri(), cache), "an unchanged folder is not fetched again");
        assertEquals(copied, Files.getLastModifiedTime(copy.resolve("model.safetensors")));
        try (Generator original = Generator.load(remote); Generator fetched = Generator.load(copy)) {
            assertEquals(original.score("The cat saw the house.").loss(), fetched.score("The cat saw the house.").loss(), 0.0);
        }
        Files.setLastModifiedTime(remote.resolve("model.safetensors"), FileTime.fromMillis(copied.toMillis() + 60_000));
        assertNotEquals(copy, ModelFetcher.copyToCache(fs, remote.toUri(), cache), "a changed folder is fetched anew");
    }

    @Test
    void aLocalFolderIsUsedInPlaceAndAMissingFileIsNamed() throws Exception {
        Path remote = modelFolder();
        assertEquals(remote.toRealPath(), ModelFetcher.fetch(remote.toUri(), new Configuration()).toRealPath());
        Files.delete(remote.resolve("model.safetensors"));
        ModelLoadException e = assertThrows(ModelLoadException.class,
                () -> ModelFetcher.fetch(remote.toUri(), new Configuration()));
        assertTrue(e.getMessage().contains("has no model.safetensors"), e.getMessage());
    }
}
