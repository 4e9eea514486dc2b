/*
 * The kernels of nexttoken_kernels.c for one instruction set, included once per set. The
 * includer defines:
 *   S       the suffix of the names (avx2, avx512)
 *   TARGET  the target attribute string
 *   VF      the vector of floats; LANES its lanes
 *   GX      rows of x per block of the several-row lm_head (as many accumulators as registers allow)
 *   GEMM_MR rows of x per register tile of a prompt's product (2 * GEMM_MR accumulators)
 * and the primitives scale_S (the Q8 scales of LANES columns of a block of rows), load_S (LANES
 * weights of a row, decoded, given their scales), tail_S (the last, partial vector of a row, zero-padded), floats_S / put_S (load / store LANES floats), set1_S, fma_S (a·b + c),
 * mul_S, add_S, zero_S and sum_S (the lanes added, always in the same order).
 *
 * Every format is decoded exactly to float32 first (F16, BF16 and q·d of Q8 are all exact
 * float32 values), then the arithmetic is the F32 kernel's: a product on F16/BF16/Q8 weights
 * gives the bits of the F32 product on the widened weights.
 */

#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define NAME(x) CAT(x, S)
#define KERNEL static inline __attribute__((target(TARGET), always_inline))

/*
 * y[r, j..j+lanes) += sum over q < width of x[r, q] * W[i+q, j..j+lanes) for r < rows (x's rows
 * xstride apart, y's n apart); w[q] / s[q] are W's rows i+q and the Q8 scales of their blocks,
 * d[q] the scales of columns j..j+LANES (Q8). width is PASS or 1, lanes LANES or the row's tail. The W vectors are decoded once for all rows of x.
 * A row's arithmetic does not depend on `rows`: with PASS rows of W, two chains (q 0-3 onto y,
 * q 4-7 from a product) added at the end, as the one-row kernel always did.
 */
KERNEL void NAME(column)(int fmt, const uint8_t *const *w, const uint16_t *const *s, const VF *d, int width, int j,
                         int lanes, const float *restrict x, int xstride, int rows, float *restrict y, int n) {
    VF v[PASS];
    for (int q = 0; q < width; q++) {
        v[q] = lanes == LANES ? NAME(load)(fmt, w[q], d[q], j) : NAME(tail)(fmt, w[q], s[q], j, lanes);
    }
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t) r * (size_t) xstride;
        float *yr = y + (size_t) r * (size_t) n + j;
        float buffer[LANES];
        VF acc;
        if (lanes == LANES) {
            acc = NAME(floats)(yr);                          /* plain loads and stores: masked ones are slow on AMD */
        } else {
            for (int t = 0; t < LANES; t++) {
                buffer[t] = t < lanes ? yr[t] : 0.0f;
            }
            acc = NAME(floats)(buffer);
        }
        if (width == PASS) {
            VF high = NAME(mul)(NAME(set1)(xr[4]), v[4]);
            for (int q = 0; q < 4; q++) {
                acc = NAME(fma)(NAME(set1)(xr[q]), v[q], acc);
            }
            for (int q = 5; q < PASS; q++) {
                high = NAME(fma)(NAME(set1)(xr[q]), v[q], high);
            }
            acc = NAME(add)(acc, high);
        } else {
            acc = NAME(fma)(NAME(set1)(xr[0]), v[0], acc);
        }
        if (lanes == LANES) {
            NAME(put)(yr, acc);
        } else {
            NAME(put)(buffer, acc);
            memcpy(yr, buffer, sizeof(float) * (size_t) lanes);
        }
    }
}

/*
 * column for every whole vector of the row, in order; for Q8 each vector's scales converted once
 * for the rows of the pass that share a block (all of them, but where a pass straddles two).
 */
KERNEL void NAME(columns)(int fmt, const uint8_t *const *w, const uint16_t *const *s, int width, int full,
                          const float *restrict x, int xstride, int rows, float *restrict y, int n) {
    for (int j = 0; j < full; j += LANES) {
        VF d[PASS];
        d[0] = fmt == Q8 ? NAME(scale)(s[0], j) : NAME(zero)();
        for (int q = 1; q < width; q++) {
            d[q] = fmt != Q8 || s[q] == s[0] ? d[0] : NAME(scale)(s[q], j);
        }
        if (width == PASS) {
            prefetch_ahead(w, PASS, PASS * (w[1] - w[0]), (size_t) j * (size_t) weight_bytes(fmt));
        }
        NAME(column)(fmt, w, s, d, width, j, LANES, x, xstride, rows, y, n);
    }
}

/*
 * y[r, 0..n) += sum over i < count of x[r, i] * W[i, 0..n) for r < rows: one run of W's rows (w
 * at its first row, which starts a Q8 block; s at that block's scales), PASS rows of W per pass over y (eight streams in flight), the last count
 * mod PASS rows one at a time.
 */
KERNEL void NAME(linear_body)(int fmt, const uint8_t *w, const uint16_t *s, int n, int count,
                              const float *restrict x, int xstride, int rows, float *restrict y) {
    const size_t row_bytes = (size_t) n * (size_t) weight_bytes(fmt);
    const int full = n - n % LANES;
    int i = 0;
    for (; i + PASS <= count; i += PASS) {
        const uint8_t *wr[PASS];
        const uint16_t *sr[PASS];
        for (int q = 0; q < PASS; q++) {
            wr[q] = w + (size_t) (i + q) * row_bytes;
            sr[q] = fmt == Q8 ? scale_row(s, i + q, n) : NULL;
        }
        NAME(columns)(fmt, wr, sr, PASS, full, x + i, xstride, rows, y, n);
        if (full < n) {
            NAME(column)(fmt, wr, sr, NULL, PASS, full, n - full, x + i, xstride, rows, y, n);
        }
    }
    for (; i < count; i++) {
        const uint8_t *wr[1] = {w + (size_t) i * row_bytes};
        const uint16_t *sr[1] = {fmt == Q8 ? scale_row(s, i, n) : NULL};
        NAME(columns)(fmt, wr, sr, 1, full, x + i, xstride, rows, y, n);
        if (full < n) {
            NAME(column)(fmt, wr, sr, NULL, 1, full, n - full, x + i, xstride, rows, y, n);
        }
    }
}

/*
 * y[r0+p][v+q] = W[v+q, 0..k) . x[r0+p, 0..k) for q < gw, p < gx: a block of gw rows of W
 * against gx rows of x (x's rows k apart; xt: each row's last partial vector, zero-padded,
 * LANES apart). Each sum: one accumulator from zero over the whole vectors in order, the tail
 * last, then sum_S: the same whatever block it is computed in, so results are row-count invariant.
 */
KERNEL void NAME(dot_block)(int fmt, const uint8_t *w, const uint16_t *s, int k, int v, int gw, const float *x,
                            const float *xt, int r0, int gx, float *const *y) {
    const size_t row_bytes = (size_t) k * (size_t) weight_bytes(fmt);
    const int full = k - k % LANES;
    const uint8_t *wr[PASS];
    const uint16_t *sr[PASS];
    VF acc[PASS][GX];
    for (int q = 0; q < gw; q++) {
        wr[q] = w + (size_t) (v + q) * row_bytes;
        sr[q] = fmt == Q8 ? scale_row(s, v + q, k) : NULL;
        for (int p = 0; p < gx; p++) {
            acc[q][p] = NAME(zero)();
        }
    }
    for (int j = 0; j < full; j += LANES) {
        VF ws[PASS];
        if (gw > 1) {
            prefetch_ahead(wr, gw, (ptrdiff_t) (gw * row_bytes), (size_t) j * (size_t) weight_bytes(fmt));
        }
        VF d = NAME(zero)();
        for (int q = 0; q < gw; q++) {
            if (fmt == Q8 && (q == 0 || sr[q] != sr[q - 1])) {      /* rows of one block share their scales */
                d = NAME(scale)(sr[q], j);
            }
            ws[q] = NAME(load)(fmt, wr[q], d, j);
        }
        for (int p = 0; p < gx; p++) {
            const VF xs = NAME(floats)(x + (size_t) (r0 + p) * (size_t) k + j);
            for (int q = 0; q < gw; q++) {
                acc[q][p] = NAME(fma)(ws[q], xs, acc[q][p]);
            }
        }
    }
    if (full < k) {
        VF ws[PASS];
        for (int q = 0; q < gw; q++) {
            ws[q] = NAME(tail)(fmt, wr[q], sr[q], full, k - full);
        }
        for (int p = 0; p < gx; p++) {
            const VF xs = NAME(floats)(xt + (size_t) (r0 + p) * LANES);
            for (int q = 0; q < gw; q++) {
                acc[q][p] = NAME(fma)(ws[q], xs, acc[q][p]);
            }
        }
    }
    for (int p = 0; p < gx; p++) {
        for (int q = 0; q < gw; q++) {
            y[r0 + p][v + q] = NAME(sum)(acc[q][p]);
        }
    }
}

/*
 * y[r][v] = W[v, 0..k) . x[r, 0..k) for v in [v0, v1), r < rows (1..MAX_ROWS): the lm_head.
 * One row: PASS rows of W per block (eight streams in flight). Several: 4 rows of W (in L1)
 * against GX rows of x at a time, so W is read from memory once per call.
 */
KERNEL void NAME(dots_body)(int fmt, const uint8_t *w, const uint16_t *s, int k, int v0, int v1, const float *x,
                            int rows, float *const *y) {
    const int full = k - k % LANES;
    float xt[MAX_ROWS * LANES];
    for (int r = 0; r < rows; r++) {
        for (int t = 0; t < LANES; t++) {
            xt[r * LANES + t] = full + t < k ? x[(size_t) r * (size_t) k + full + t] : 0.0f;
        }
    }
    int v = v0;
    if (rows == 1) {
        for (; v + PASS <= v1; v += PASS) {
            NAME(dot_block)(fmt, w, s, k, v, PASS, x, xt, 0, 1, y);
        }
        for (; v < v1; v++) {
            NAME(dot_block)(fmt, w, s, k, v, 1, x, xt, 0, 1, y);
        }
        return;
    }
    for (; v + 4 <= v1; v += 4) {
        int r = 0;
        for (; r + GX <= rows; r += GX) {
            NAME(dot_block)(fmt, w, s, k, v, 4, x, xt, r, GX, y);
        }
        for (; r < rows; r++) {
            NAME(dot_block)(fmt, w, s, k, v, 4, x, xt, r, 1, y);
        }
    }
    for (; v < v1; v++) {
        for (int r = 0; r < rows; r++) {
            NAME(dot_block)(fmt, w, s, k, v, 1, x, xt, r, 1, y);
        }
    }
}

/* out[(r - r0) * cols + j] = W[r, j] as float32 for r in [r0, r1), j < cols. */
KERNEL void NAME(widen_body)(int fmt, const uint8_t *w, const uint16_t *s, int cols, int64_t r0, int64_t r1,
                             float *out) {
    const size_t row_bytes = (size_t) cols * (size_t) weight_bytes(fmt);
    const int full = cols - cols % LANES;
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *wr = w + (size_t) r * row_bytes;
        const uint16_t *sr = fmt == Q8 ? scale_row(s, r, cols) : NULL;
        float *o = out + (size_t) (r - r0) * (size_t) cols;
        for (int j = 0; j < full; j += LANES) {
            NAME(put)(o + j, NAME(load)(fmt, wr, fmt == Q8 ? NAME(scale)(sr, j) : NAME(zero)(), j));
        }
        for (int j = full; j < cols; j++) {
            o[j] = decode(fmt, wr, sr, j);
        }
    }
}

/*
 * A prompt's product, y[r, 0..cols) += sum over p < kc of x[r, p] * panel[p, 0..cols) for r <
 * rows (x's rows xstride apart, y's ystride apart): the register tile of the GEMM. rows is
 * GEMM_MR (a constant once inlined, so the accumulators stay in registers) or x's last rows.
 */
KERNEL void NAME(tile)(const float *restrict x, int xstride, const float *restrict panel, int kc, float *restrict y,
                       int ystride, int rows, int cols) {
    VF acc[GEMM_MR][2];
    for (int r = 0; r < GEMM_MR; r++) {
        acc[r][0] = NAME(zero)();
        acc[r][1] = NAME(zero)();
    }
    for (int p = 0; p < kc; p++) {
        const VF b0 = NAME(floats)(panel + (size_t) p * NR);
        const VF b1 = NAME(floats)(panel + (size_t) p * NR + LANES);
        for (int r = 0; r < GEMM_MR; r++) {
            if (r < rows) {
                const VF a = NAME(set1)(x[(size_t) r * (size_t) xstride + (size_t) p]);
                acc[r][0] = NAME(fma)(a, b0, acc[r][0]);
                acc[r][1] = NAME(fma)(a, b1, acc[r][1]);
            }
        }
    }
    for (int r = 0; r < rows; r++) {
        float *yr = y + (size_t) r * (size_t) ystride;
        if (cols == NR) {
            NAME(put)(yr, NAME(add)(NAME(floats)(yr), acc[r][0]));
            NAME(put)(yr + LANES, NAME(add)(NAME(floats)(yr + LANES), acc[r][1]));
        } else {
            float buffer[NR];
            NAME(put)(buffer, acc[r][0]);
            NAME(put)(buffer + LANES, acc[r][1]);
            for (int t = 0; t < cols; t++) {
                yr[t] += buffer[t];
            }
        }
    }
}

/* panel[p, 0..NR) = W[k0 + p, j0..j0+NR) as float32 for p < kc, zero past column n. */
KERNEL void NAME(pack)(int fmt, const uint8_t *w, const uint16_t *s, int n, int k0, int kc, int j0,
                       float *restrict panel) {
    const size_t row_bytes = (size_t) n * (size_t) weight_bytes(fmt);
    const int cols = n - j0 < NR ? n - j0 : NR;
    for (int p = 0; p < kc; p++) {
        const uint8_t *row = w + (size_t) (k0 + p) * row_bytes;
        const uint16_t *sr = fmt == Q8 ? scale_row(s, k0 + p, n) : NULL;
        float *out = panel + (size_t) p * NR;
        if (cols == NR) {
            const VF d0 = fmt == Q8 ? NAME(scale)(sr, j0) : NAME(zero)();
            const VF d1 = fmt == Q8 ? NAME(scale)(sr, j0 + LANES) : NAME(zero)();
            NAME(put)(out, NAME(load)(fmt, row, d0, j0));
            NAME(put)(out + LANES, NAME(load)(fmt, row, d1, j0 + LANES));
        } else {
            for (int t = 0; t < NR; t++) {
                out[t] = t < cols ? decode(fmt, row, sr, j0 + t) : 0.0f;
            }
        }
    }
}

/*
 * y[r, j - j_from] += sum over i < k of x[r, i] * W[i, j] for r < m and j in [j_from, j_to)
 * (j_from a multiple of NR; x's rows k apart, y's ystride apart): a prompt's product. Column
 * panels of NR, KC rows of W at a time, are decoded to float32 once each (into panel: KC * NR
 * floats, the caller's) and used for every row of x.
 */
KERNEL void NAME(gemm_body)(int fmt, const uint8_t *w, const uint16_t *s, int k, int n, int j_from, int j_to,
                            const float *restrict x, int m, float *restrict y, int ystride, float *restrict panel) {
    for (int j0 = j_from; j0 < j_to; j0 += NR) {
        const int cols = j_to - j0 < NR ? j_to - j0 : NR;
        for (int k0 = 0; k0 < k; k0 += KC) {
            const int kc = k - k0 < KC ? k - k0 : KC;
            NAME(pack)(fmt, w, s, n, k0, kc, j0, panel);
            int r = 0;
            for (; r + GEMM_MR <= m; r += GEMM_MR) {
                NAME(tile)(x + (size_t) r * (size_t) k + k0, k, panel, kc,
                           y + (size_t) r * (size_t) ystride + (j0 - j_from), ystride, GEMM_MR, cols);
            }
            if (r < m) {
                NAME(tile)(x + (size_t) r * (size_t) k + k0, k, panel, kc,
                           y + (size_t) r * (size_t) ystride + (j0 - j_from), ystride, m - r, cols);
            }
        }
    }
}

/* The entry points of one format: the format a constant, so each is compiled for it alone. */
#define FORMAT_KERNELS(F)                                                                                   \
    static __attribute__((target(TARGET))) void CAT(NAME(linear), F)(const uint8_t *w, const uint16_t *s,  \
            int n, int count, const float *restrict x, int xstride, int rows, float *restrict y, void *scratch) { \
        (void) scratch;                                                                                     \
        if (rows == 1) {                                                                                    \
            NAME(linear_body)(F, w, s, n, count, x, xstride, 1, y);                                         \
        } else {                                                                                            \
            NAME(linear_body)(F, w, s, n, count, x, xstride, rows, y);                                      \
        }                                                                                                   \
    }                                                                                                       \
    static __attribute__((target(TARGET))) void CAT(NAME(dots), F)(const uint8_t *w, const uint16_t *s,    \
            int k, int v0, int v1, const float *x, int rows, float *const *y) {                             \
        NAME(dots_body)(F, w, s, k, v0, v1, x, rows, y);                                                    \
    }                                                                                                       \
    static __attribute__((target(TARGET))) void CAT(NAME(gemm), F)(const uint8_t *w, const uint16_t *s,    \
            int k, int n, int j_from, int j_to, const float *x, int m, float *y, int ystride, void *scratch) { \
        NAME(gemm_body)(F, w, s, k, n, j_from, j_to, x, m, y, ystride, (float *) scratch);                  \
    }                                                                                                       \
    static __attribute__((target(TARGET))) void CAT(NAME(widen), F)(const uint8_t *w, const uint16_t *s,   \
            int cols, int64_t r0, int64_t r1, float *out) {                                                 \
        NAME(widen_body)(F, w, s, cols, r0, r1, out);                                                       \
    }

FORMAT_KERNELS(F32)
FORMAT_KERNELS(F16)
FORMAT_KERNELS(BF16)
FORMAT_KERNELS(Q8)

static const struct kernels NAME(kernels) = {
    {CAT(NAME(linear), F32), CAT(NAME(linear), F16), CAT(NAME(linear), BF16), CAT(NAME(linear), Q8)},
    {CAT(NAME(dots), F32), CAT(NAME(dots), F16), CAT(NAME(dots), BF16), CAT(NAME(dots), Q8)},
    {CAT(NAME(widen), F32), CAT(NAME(widen), F16), CAT(NAME(widen), BF16), CAT(NAME(widen), Q8)},
    {CAT(NAME(gemm), F32), CAT(NAME(gemm), F16), CAT(NAME(gemm), BF16), CAT(NAME(gemm), Q8)},
};

#undef FORMAT_KERNELS
#undef KERNEL
#undef NAME
#undef CAT
#undef CAT_
