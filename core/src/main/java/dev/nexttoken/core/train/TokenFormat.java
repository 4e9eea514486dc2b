package dev.nexttoken.core.train;

/**
 * How token ids are stored in a token file: a plain array of little-endian integers, no header.
 */
public enum TokenFormat {

    /** Unsigned 16-bit ids, nanoGPT's {@code train.bin} format: ids 0 to 65535 (GPT-2 needs 50257). */
    UINT16(2),

    /** Signed 32-bit ids, for vocabularies of more than 65536 tokens. */
    INT32(4);

    private final int byteSize;

    TokenFormat(int byteSize) {
        this.byteSize = byteSize;
    }

    /** @return the bytes one token takes: 2 or 4 */
    public int byteSize() {
        return byteSize;
    }

    /** @return the largest id this format can store */
    public long maxId() {
        return this == UINT16 ? 0xFFFF : Integer.MAX_VALUE;
    }
}
