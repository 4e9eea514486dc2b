package dev.nexttoken.core.model;

/**
 * A product {@code y [rows, n] = (start) + x [rows, k] · W [k, n]} split by rows of {@code W} into
 * one contiguous run per core, so that each thread reads one run of memory: the way
 * {@link VectorGemm} and {@link NativeKernels} spread a decode step's product over the cores. Part 0
 * computes into {@code y} itself (with its starting value and bias); every other part into a
 * {@code [rows, n]} partial sum of this call, added to {@code y} once all parts are done.
 */
final class RowSplit {

    /** The fewest rows of {@code W} in a part: shorter products are not split. */
    static final int MIN_PART_ROWS = 16;
    /** The most parts, whatever the number of cores: the caller adds the partial sums alone. */
    static final int MAX_PARTS = 8;

    /** Partial sums, one set per product in flight, reused across calls and only ever grown. */
    private static final ScratchPool<float[][]> PARTIALS = new ScratchPool<>(() -> new float[0][]);

    /** One part of the product: {@code W}'s rows {@code [k0, k1)}. */
    @FunctionalInterface
    interface Part {
        /**
         * Computes the part. The first part computes into {@code y} as the whole product would
         * (its starting value and bias included); the others write their sum into {@code out}
         * from {@code outOff}, a partial sum holding whatever an earlier call left there.
         */
        void run(int k0, int k1, boolean first, float[] out, int outOff);
    }

    private RowSplit() {
    }

    /** How many parts a product with {@code k} rows of {@code W} is split into: one per core, within the bounds above. */
    static int parts(int k) {
        return Math.max(1, Math.min(Math.min(ParallelRange.threads(), MAX_PARTS), k / MIN_PART_ROWS));
    }

    /**
     * Runs the {@code parts} parts of a product over {@code k} rows of {@code W}, one per core, and
     * adds the partial sums into {@code y[yOff, yOff + size)}.
     */
    static void run(int parts, int k, float[] y, int yOff, int size, Part part) {
        run(parts, k, 1, y, yOff, size, part);
    }

    /**
     * The same with every part but the last starting and ending on a multiple of {@code align}
     * rows (a Q8 matrix's blocks of 32 rows, which its kernels take whole); a part may be empty.
     */
    static void run(int parts, int k, int align, float[] y, int yOff, int size, Part part) {
        float[][] partials = partials(parts - 1, size);          // this call's
        ParallelRange.run(parts, 1, (from, to) -> {
            for (int p = from; p < to; p++) {
                int k0 = boundary(k, p, parts, align);
                int k1 = boundary(k, p + 1, parts, align);
                if (p == 0) {
                    part.run(k0, k1, true, y, yOff);
                } else {
                    part.run(k0, k1, false, partials[p - 1], 0);
                }
            }
        });
        for (int p = 1; p < parts; p++) {
            float[] partial = partials[p - 1];
            for (int i = 0; i < size; i++) {
                y[yOff + i] += partial[i];
            }
        }
        PARTIALS.give(partials);
    }

    /** Where part {@code p} of {@code parts} starts: {@code k·p/parts} rounded down to a multiple of {@code align}, {@code k} at the end. */
    private static int boundary(int k, int p, int parts, int align) {
        return p == parts ? k : (int) ((long) k * p / parts) / align * align;
    }

    private static float[][] partials(int count, int floats) {
        float[][] partials = PARTIALS.take();
        if (partials.length < count || (count > 0 && partials[0].length < floats)) {
            int width = Math.max(floats, partials.length > 0 ? partials[0].length : 0);
            partials = new float[Math.max(count, partials.length)][width];
        }
        return partials;
    }
}
