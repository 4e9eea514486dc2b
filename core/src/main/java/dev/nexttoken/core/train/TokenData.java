package dev.nexttoken.core.train;

import dev.nexttoken.core.NextTokenException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * A read-only sequence of token ids: a memory-mapped token file ({@link #open}) or an array
 * ({@link #of}), or a slice of either. Immutable; safe to share between threads.
 */
public final class TokenData {

    /** The largest file {@link #open} maps: one mapping holds at most 2 GiB. */
    private static final long MAX_FILE_BYTES = Integer.MAX_VALUE;

    private final ByteBuffer bytes;          // little-endian; never moved (absolute reads only)
    private final TokenFormat format;
    private final long offset;               // in tokens
    private final long size;                 // in tokens

    private TokenData(ByteBuffer bytes, TokenFormat format, long offset, long size) {
        this.bytes = bytes;
        this.format = format;
        this.offset = offset;
        this.size = size;
    }

    /**
     * Maps a token file read-only.
     *
     * @param file   a file of little-endian ids without header
     * @param format how the ids are stored
     * @return the tokens of the whole file
     * @throws NextTokenException if the file cannot be read, is larger than 2 GiB, or its length
     *                            is not a multiple of the token size
     */
    public static TokenData open(Path file, TokenFormat format) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(format, "format");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long length = channel.size();
            if (length > MAX_FILE_BYTES) {
                throw new NextTokenException(file + ": token file of " + length + " bytes; at most "
                        + MAX_FILE_BYTES + " bytes can be mapped");
            }
            if (length % format.byteSize() != 0) {
                throw new NextTokenException(file + ": " + length + " bytes is not a whole number of "
                        + format + " tokens (" + format.byteSize() + " bytes each)");
            }
            ByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, length).order(ByteOrder.LITTLE_ENDIAN);
            return new TokenData(mapped, format, 0, length / format.byteSize());
        } catch (NoSuchFileException e) {
            throw new NextTokenException(file + ": token file not found", e);
        } catch (IOException e) {
            throw new NextTokenException(file + ": cannot read token file: " + e, e);
        }
    }

    /**
     * Wraps token ids held in memory (copied).
     *
     * @param tokens the ids, each non-negative
     * @return the tokens
     * @throws IllegalArgumentException if an id is negative
     */
    public static TokenData of(int... tokens) {
        ByteBuffer buffer = ByteBuffer.allocate(tokens.length * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0) {
                throw new IllegalArgumentException("token id at index " + i + " is negative: " + tokens[i]);
            }
            buffer.putInt(i * Integer.BYTES, tokens[i]);
        }
        return new TokenData(buffer, TokenFormat.INT32, 0, tokens.length);
    }

    /**
     * Writes token ids to a file that {@link #open} reads. The file is written under a temporary
     * name and moved into place, so a failed write leaves no partial file.
     *
     * @param file   the file to write; an existing file is replaced
     * @param tokens the ids
     * @param format how to store them
     * @throws IllegalArgumentException if an id does not fit the format
     * @throws NextTokenException       if the file cannot be written
     */
    public static void write(Path file, int[] tokens, TokenFormat format) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(format, "format");
        ByteBuffer buffer = ByteBuffer.allocate(tokens.length * format.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < tokens.length; i++) {
            int id = tokens[i];
            if (id < 0 || id > format.maxId()) {
                throw new IllegalArgumentException("token id " + id + " at index " + i + " does not fit "
                        + format + " (0 to " + format.maxId() + ")");
            }
            if (format == TokenFormat.UINT16) {
                buffer.putShort((short) id);
            } else {
                buffer.putInt(id);
            }
        }
        buffer.flip();
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            try (FileChannel out = FileChannel.open(temporary, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
            }
            try {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException ignored) {
                // nothing more to clean up
            }
            throw new NextTokenException(file + ": cannot write token file: " + e, e);
        }
    }

    /** @return the number of tokens */
    public long size() {
        return size;
    }

    /**
     * @param index from 0 to {@code size() - 1}
     * @return the id at that position
     */
    public int get(long index) {
        Objects.checkIndex(index, size);
        long byteIndex = (offset + index) * format.byteSize();
        if (format == TokenFormat.UINT16) {
            return Short.toUnsignedInt(bytes.getShort((int) byteIndex));
        }
        return bytes.getInt((int) byteIndex);
    }

    /**
     * A view of positions {@code from} (inclusive) to {@code to} (exclusive); no copy.
     *
     * @param from first position, {@code 0 <= from <= to}
     * @param to   end position, {@code to <= size()}
     * @return the slice
     */
    public TokenData slice(long from, long to) {
        Objects.checkFromToIndex(from, to, size);
        return new TokenData(bytes, format, offset + from, to - from);
    }

    /** @return a copy of all ids */
    public int[] toArray() {
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException(size + " tokens do not fit in a Java array");
        }
        int[] out = new int[(int) size];
        for (int i = 0; i < out.length; i++) {
            out[i] = get(i);
        }
        return out;
    }

    /** @return the largest id, or -1 when empty */
    public int maxId() {
        int max = -1;
        for (long i = 0; i < size; i++) {
            max = Math.max(max, get(i));
        }
        return max;
    }

    @Override
    public String toString() {
        return "TokenData[" + size + " tokens, " + format + "]";
    }
}
