package dev.nexttoken.spark;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The seed of one row's generation: from the options' seed and a stable key of the row (its
 * prompt, or a key column the user names), never from the partition, the task or the attempt.
 * So a rerun, a retried task or a different partitioning gives each row the same text; two rows
 * with the same key (and prompt) get the same text, which is why a key column is offered.
 */
final class RowSeeds {

    private RowSeeds() {
    }

    /** The first 8 bytes of SHA-256 over the base seed and the key's UTF-8 bytes. */
    static long seed(long baseSeed, String key) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(ByteBuffer.allocate(Long.BYTES).putLong(baseSeed).array());
            sha.update(key.getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(sha.digest()).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }
}
