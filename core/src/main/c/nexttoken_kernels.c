/*
 * nexttoken's native kernels: a few rows times a weight matrix stored as F32, F16, BF16 or Q8
 * (dev.nexttoken.core.model.WeightFormat), for decoding on the CPU path.
 *
 * linear: y[r, 0..n) += sum over i in [k0, k1) of x[r, i] * W[i, 0..n)   (W [k, n], GPT-2's Conv1D; r < rows)
 * dots:   y_r[v] = W[v, 0..k) . x_r for v in [v0, v1), r < rows          (the lm_head: W = wte [vocab, k])
 * widen:  rows [r0, r1) of W as float32                                   (embeddings)
 * gemm:   y[r, j] += x[r, 0..k) . W[0..k), j] for r < m (any), j in [j0, j1)  (prompts)
 * multiply: the same on two Java arrays, float32                         (a prompt's attention)
 *
 * Q8 (WeightFormat.Q8): the bytes q [rows, cols] and the float16 scales d [ceil(rows/32), cols],
 * one per 32 consecutive values of a column (rows 32b..32b+31 are block row b); W[i, j] is
 * q[i, j] * d[i / 32, j]. For GPT-2's Conv1D matrices the blocks run along the reduction axis,
 * which is what lets the int8 kernels below multiply whole blocks in integers.
 *
 * Why native: a decode step of one row streams every weight once, so it runs at the speed memory
 * is read, and wide loads keep more bytes in flight per core than OpenBLAS's sgemv or the Java
 * Vector API on Java 17 (which reads native memory only through fromByteBuffer). Fewer bytes per
 * weight (F16, BF16, Q8) mean fewer bytes to read per token; decoding them is cheap next to that.
 *
 * Each kernel exists for two instruction sets, chosen with target attributes (no machine flags):
 * "avx2,fma,f16c" (8-float vectors; Haswell, Zen 1-3) and "avx512f" with the former (16-float
 * vectors; Skylake-X, Zen 4-5); a third variant, AVX-512 with VNNI, is the AVX-512 kernels but
 * for Q8's products with W, done in integers (the section "AVX-512 VNNI" below). variants()
 * tells the caller which this CPU runs; the caller picks one per call (NativeKernels: the
 * widest, once per JVM; tests: each in turn).
 *
 * Row-count invariance: a row's result bits do not depend on how many rows share the call or
 * what they hold: every output is computed by the same sequence of operations whatever the row
 * count; continuous batching relies on it. The float kernels decode weights exactly to float32
 * first (F16 and BF16 widen exactly, and q * d is exact in float32: 8 by 11 significant bits),
 * which also makes a product on F16/BF16/Q8 weights give the bits of the F32 product on the
 * widened weights, of the same instruction set; the integer Q8 kernels round x and do not.
 *
 * The caller (dev.nexttoken.core.model.NativeKernels) splits the work over the cores (W's rows,
 * so each thread reads one contiguous run of memory), checks the arrays' bounds and the shapes,
 * and keeps W alive. Built by build.sh beside this file (a pinned gcc; the library is committed).
 */
#include <jni.h>
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* dev.nexttoken.core.model.NativeKernels's codes. */
enum { F32 = 0, F16 = 1, BF16 = 2, Q8 = 3, FORMATS = 4 };
enum { ISA_AVX2 = 1, ISA_AVX512 = 2, ISA_AVX512_VNNI = 4 };

#define MAX_ROWS 16
/* Rows of W per panel of a prompt's product: a panel of KC x 32 floats is 32 KB, in L1. */
#define KC 256
/* Rows of W per pass over y (linear) or per block (dots of one row): eight streams in flight. */
#define PASS 8
#define Q8_BLOCK 32

static inline int weight_bytes(int fmt) {
    return fmt == F32 ? 4 : fmt == Q8 ? 1 : 2;
}

static inline int q8_blocks(int count) {
    return (count + Q8_BLOCK - 1) / Q8_BLOCK;
}

/* The Q8 scales of row `row` of W (cols values a row): those of its block row. */
static inline const uint16_t *scale_row(const uint16_t *scales, int64_t row, int cols) {
    return scales + (size_t) (row / Q8_BLOCK) * (size_t) cols;
}

/* A float16 bit pattern as float32, exactly (as vcvtph2ps: a NaN comes out quiet). */
static inline float half_to_float(uint16_t h) {
    const uint32_t sign = (uint32_t) (h & 0x8000u) << 16;
    const uint32_t exponent = (h >> 10) & 0x1Fu;
    const uint32_t mantissa = h & 0x3FFu;
    uint32_t bits;
    if (exponent == 0) {                                    /* zero or subnormal: mantissa * 2^-24 */
        const float magnitude = (float) mantissa * 0x1p-24f;
        return sign ? -magnitude : magnitude;
    } else if (exponent == 0x1F) {
        bits = sign | 0x7F800000u | (mantissa << 13) | (mantissa ? 0x400000u : 0u);
    } else {
        bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
    }
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

/*
 * W[row, j] as float32, exactly as the vector decoders give it: for the last, partial vectors.
 * scales: the row's (scale_row), for Q8.
 */
static inline float decode(int fmt, const uint8_t *row, const uint16_t *scales, int j) {
    switch (fmt) {
        case F32: {
            float value;
            memcpy(&value, row + (size_t) j * 4, sizeof value);
            return value;
        }
        case F16: {
            uint16_t h;
            memcpy(&h, row + (size_t) j * 2, sizeof h);
            return half_to_float(h);
        }
        case BF16: {
            uint16_t b;
            memcpy(&b, row + (size_t) j * 2, sizeof b);
            const uint32_t bits = (uint32_t) b << 16;
            float value;
            memcpy(&value, &bits, sizeof value);
            return value;
        }
        default:
            return (float) (int8_t) row[j] * half_to_float(scales[j]);
    }
}

/*
 * Asks for the bytes at offset `at` of the next `count` rows of W, `ahead` bytes past the `count`
 * rows being read (w[q] their starts): the same column of the next pass or block, read next.
 * A pass reads `count` short streams at once (a row of GPT-2's smaller matrices is 0.75-1.5 KB
 * in 8 and 16 bits), too short for the hardware prefetchers to lock on before each ends, so
 * without this a pass waits on memory at every row; with it the next pass is on its way to L2
 * while this one computes. Once per cache line of each row; a prefetch never faults, so the one
 * past the matrix's end is harmless.
 */
static inline void prefetch_ahead(const uint8_t *const *w, int count, ptrdiff_t ahead, size_t at) {
    if ((at & 63) != 0) {
        return;
    }
    for (int q = 0; q < count; q++) {
        __builtin_prefetch(w[q] + ahead + at, 0, 2);         /* prefetcht1: into L2 */
    }
}

/* scratch: linear_scratch / gemm_scratch bytes, 64-byte aligned, the caller's. */
typedef void (*linear_fn)(const uint8_t *w, const uint16_t *s, int n, int count, const float *x, int xstride,
                          int rows, float *y, void *scratch);
typedef void (*dots_fn)(const uint8_t *w, const uint16_t *s, int k, int v0, int v1, const float *x, int rows,
                        float *const *y);
typedef void (*widen_fn)(const uint8_t *w, const uint16_t *s, int cols, int64_t r0, int64_t r1, float *out);
typedef void (*gemm_fn)(const uint8_t *w, const uint16_t *s, int k, int n, int j_from, int j_to, const float *x, int m,
                        float *y, int ystride, void *scratch);

/* One instruction set's kernels, indexed by format. */
struct kernels {
    linear_fn linear[FORMATS];
    dots_fn dots[FORMATS];
    widen_fn widen[FORMATS];
    gemm_fn gemm[FORMATS];
};

/* ---- AVX2 + FMA + F16C: 8 floats a vector ---- */

#define TARGET_AVX2 "avx2,fma,f16c"
#define PRIMITIVE_AVX2 static inline __attribute__((target(TARGET_AVX2), always_inline))

/* The Q8 scales of columns j..j+8 of a block row (scale_row). */
PRIMITIVE_AVX2 __m256 scale_avx2(const uint16_t *scales, int j) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) (scales + j)));
}

/* W[row, j..j+8) decoded; for Q8, d is scale_avx2 of those columns. */
PRIMITIVE_AVX2 __m256 load_avx2(int fmt, const uint8_t *row, __m256 d, int j) {
    switch (fmt) {
        case F32:
            return _mm256_loadu_ps((const float *) row + j);
        case F16:
            return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) (row + (size_t) j * 2)));
        case BF16:
            return _mm256_castsi256_ps(_mm256_slli_epi32(
                    _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *) (row + (size_t) j * 2))), 16));
        default:
            return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *) (row + j)))), d);
    }
}

PRIMITIVE_AVX2 __m256 tail_avx2(int fmt, const uint8_t *row, const uint16_t *scales, int j, int lanes) {
    float buffer[8];
    for (int t = 0; t < 8; t++) {
        buffer[t] = t < lanes ? decode(fmt, row, scales, j + t) : 0.0f;
    }
    return _mm256_loadu_ps(buffer);
}

PRIMITIVE_AVX2 __m256 floats_avx2(const float *p) { return _mm256_loadu_ps(p); }
PRIMITIVE_AVX2 void put_avx2(float *p, __m256 v) { _mm256_storeu_ps(p, v); }
PRIMITIVE_AVX2 __m256 set1_avx2(float a) { return _mm256_set1_ps(a); }
PRIMITIVE_AVX2 __m256 fma_avx2(__m256 a, __m256 b, __m256 c) { return _mm256_fmadd_ps(a, b, c); }
PRIMITIVE_AVX2 __m256 mul_avx2(__m256 a, __m256 b) { return _mm256_mul_ps(a, b); }
PRIMITIVE_AVX2 __m256 add_avx2(__m256 a, __m256 b) { return _mm256_add_ps(a, b); }
PRIMITIVE_AVX2 __m256 zero_avx2(void) { return _mm256_setzero_ps(); }

/* ((0+4) + (2+6)) + ((1+5) + (3+7)): a fixed order. */
PRIMITIVE_AVX2 float sum_avx2(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

#define S avx2
#define TARGET TARGET_AVX2
#define VF __m256
#define LANES 8
#define GX 2                                        /* 4 x 2 accumulators, 4 weights, x: 13 of 16 registers */
#define GEMM_MR 6                                   /* 6 x 2 accumulators, 2 weights, x: 15 of 16 registers */
#define NR (2 * LANES)
#include "nexttoken_kernels_isa.h"
#undef S
#undef TARGET
#undef VF
#undef LANES
#undef GX
#undef GEMM_MR
#undef NR

/* ---- AVX-512F (with AVX2, FMA, F16C, which every AVX-512 CPU has): 16 floats a vector ---- */

#define TARGET_AVX512 "avx512f,avx2,fma,f16c"
#define PRIMITIVE_AVX512 static inline __attribute__((target(TARGET_AVX512), always_inline))

/* The Q8 scales of columns j..j+16 of a block row (scale_row). */
PRIMITIVE_AVX512 __m512 scale_avx512(const uint16_t *scales, int j) {
    return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) (scales + j)));
}

/* W[row, j..j+16) decoded; for Q8, d is scale_avx512 of those columns. */
PRIMITIVE_AVX512 __m512 load_avx512(int fmt, const uint8_t *row, __m512 d, int j) {
    switch (fmt) {
        case F32:
            return _mm512_loadu_ps((const float *) row + j);
        case F16:
            return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) (row + (size_t) j * 2)));
        case BF16:
            return _mm512_castsi512_ps(_mm512_slli_epi32(
                    _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *) (row + (size_t) j * 2))), 16));
        default:
            return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *) (row + j)))), d);
    }
}

PRIMITIVE_AVX512 __m512 tail_avx512(int fmt, const uint8_t *row, const uint16_t *scales, int j, int lanes) {
    if (fmt == F32) {
        return _mm512_maskz_loadu_ps((__mmask16) ((1u << lanes) - 1u), (const float *) row + j);
    }
    float buffer[16];
    for (int t = 0; t < 16; t++) {
        buffer[t] = t < lanes ? decode(fmt, row, scales, j + t) : 0.0f;
    }
    return _mm512_loadu_ps(buffer);
}

PRIMITIVE_AVX512 __m512 floats_avx512(const float *p) { return _mm512_loadu_ps(p); }
PRIMITIVE_AVX512 void put_avx512(float *p, __m512 v) { _mm512_storeu_ps(p, v); }
PRIMITIVE_AVX512 __m512 set1_avx512(float a) { return _mm512_set1_ps(a); }
PRIMITIVE_AVX512 __m512 fma_avx512(__m512 a, __m512 b, __m512 c) { return _mm512_fmadd_ps(a, b, c); }
PRIMITIVE_AVX512 __m512 mul_avx512(__m512 a, __m512 b) { return _mm512_mul_ps(a, b); }
PRIMITIVE_AVX512 __m512 add_avx512(__m512 a, __m512 b) { return _mm512_add_ps(a, b); }
PRIMITIVE_AVX512 __m512 zero_avx512(void) { return _mm512_setzero_ps(); }
PRIMITIVE_AVX512 float sum_avx512(__m512 v) { return _mm512_reduce_add_ps(v); }

#define S avx512
#define TARGET TARGET_AVX512
#define VF __m512
#define LANES 16
#define GX 4                                        /* 4 x 4 accumulators, 4 weights, x: 21 of 32 registers */
#define GEMM_MR 12                                  /* 12 x 2 accumulators, 2 weights, x: 27 of 32 registers */
#define NR (2 * LANES)
#include "nexttoken_kernels_isa.h"
#undef S
#undef TARGET
#undef VF
#undef LANES
#undef GX
#undef GEMM_MR
#undef NR

/* ---- AVX-512 VNNI: Q8 weights times int8 rows of x ---- */

/*
 * Where the CPU has AVX-512 VNNI (Ice Lake, Zen 4-5 and later), Q8's products with W run in
 * integers, as llama.cpp's Q8_0 does. Each row of x is quantized per block of 32 values along the
 * reduction axis, the blocks of W's scales: sx = max|x| / 127, xq = x * (127 / max|x|) rounded
 * to nearest (ties to even) in [-127, 127]. One vpdpbusd then multiplies 4 rows of W by 4
 * values of xq for 16 columns, 64 products summed exactly in 32-bit integers; a block's integer
 * sums are scaled by d * sx into the float32 sums once. That is several times fewer instructions
 * per weight than decoding each weight to float32 and one FMA per row, which is what bounds Q8
 * when several rows share the weights: batched decoding and prompts.
 *
 * The price: x is rounded to 8 bits per block (at most half of sx per value), so these products
 * are not the F32 product on the widened weights (WeightFormatsTest states the difference). A
 * row's results still depend on that row alone (its quantization, its integer sums and their
 * scaling in a fixed order), so decoding stays row-count invariant. A NaN or infinity in a block
 * of x makes its sx NaN, and so every output of the row NaN, as in float32; a block whose
 * largest |value| is below Q8_TINY counts as zeros.
 *
 * vpdpbusd multiplies unsigned by signed bytes: W's bytes are offset by 128 (q + 128 in 1..255:
 * the sign bit flipped), and each block's integer sum starts at -128 * sum(xq) to take it back.
 *
 * Layout of a packed chunk (QC = 64 columns by a block of 32 rows of W): 8 groups of 4 rows, 4
 * vectors each; dword t of 128-bit lane L of vector v holds the group's 4 rows of column
 * 16 L + 4 v + t, the order two rounds of in-lane unpacks give. Outputs and scales are kept in
 * that order while a chunk is computed, and put back in column order at the end.
 */
#define TARGET_VNNI "avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c"
#define VNNI static inline __attribute__((target(TARGET_VNNI), always_inline))
#define QC 64                               /* columns of W per chunk: 4 vectors of 16 sums */
#define QR 6                                /* rows of x per tile: 24 accumulators, 4 weights, x: 29 of 32 registers */
#define QPF 8                               /* chunks ahead that each row of W is asked for (into L2) */
#define QPACK (8 * 4)                       /* vectors per packed block of a chunk */
#define Q8_TINY 1e-30f                      /* a block of x whose largest |value| is below this counts as zeros */

/* Rows of x quantized per block of 32 values: [rows][blocks * 32] values, [rows][blocks] sx and starts. */
typedef struct {
    int8_t *q;
    float *scale;
    int32_t *start;                         /* -128 * the block's sum of q: the offset of W's bytes taken back */
    int blocks;
} qrows;

/* The column of W that packed position p (0..QC) of a chunk holds, relative to the chunk. */
static inline int q8_column(int p) {
    return 16 * ((p / 4) % 4) + 4 * (p / 16) + p % 4;
}

/* Room for n_rows quantized rows of count values, carved from memory at *at (advanced). */
static inline qrows q8_rows_at(char **at, int n_rows, int count) {
    qrows rows;
    rows.blocks = q8_blocks(count);
    const size_t cells = (size_t) n_rows * (size_t) rows.blocks;
    rows.q = (int8_t *) *at;
    rows.scale = (float *) (*at + cells * Q8_BLOCK);
    rows.start = (int32_t *) (*at + cells * (Q8_BLOCK + 4));
    *at += cells * (Q8_BLOCK + 8);
    return rows;
}

static inline size_t q8_rows_bytes(int n_rows, int count) {
    return (size_t) n_rows * (size_t) q8_blocks(count) * (Q8_BLOCK + 8);
}

/* out = rows r < n_rows of x (count values each, xstride apart), quantized block by block. */
VNNI void q8_quantize(const float *x, int xstride, int count, int n_rows, const qrows *out) {
    for (int r = 0; r < n_rows; r++) {
        const float *xr = x + (size_t) r * (size_t) xstride;
        for (int b = 0; b < out->blocks; b++) {
            const int left = count - b * Q8_BLOCK;
            const __mmask16 m0 = left >= 16 ? (__mmask16) 0xFFFF : (__mmask16) ((1u << left) - 1u);
            const __mmask16 m1 = left >= 32 ? (__mmask16) 0xFFFF
                                 : left <= 16 ? (__mmask16) 0 : (__mmask16) ((1u << (left - 16)) - 1u);
            const __m512 v0 = _mm512_maskz_loadu_ps(m0, xr + b * Q8_BLOCK);
            const __m512 v1 = _mm512_maskz_loadu_ps(m1, xr + b * Q8_BLOCK + 16);
            const int nan = (_mm512_cmp_ps_mask(v0, v0, _CMP_UNORD_Q) | _mm512_cmp_ps_mask(v1, v1, _CMP_UNORD_Q)) != 0;
            const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
            /* Q8_TINY: below it the block adds nothing visible (and 127 / amax would overflow) */
            const int zero = nan || !(amax >= Q8_TINY) || amax > 3.0e38f;
            const __m512 inv = _mm512_set1_ps(zero ? 0.0f : 127.0f / amax);
            const __m512i q0 = zero ? _mm512_setzero_si512() : _mm512_cvtps_epi32(_mm512_mul_ps(v0, inv));
            const __m512i q1 = zero ? _mm512_setzero_si512() : _mm512_cvtps_epi32(_mm512_mul_ps(v1, inv)); /* to nearest, ties to even */
            const size_t cell = (size_t) r * (size_t) out->blocks + (size_t) b;
            _mm_storeu_si128((__m128i *) (out->q + cell * Q8_BLOCK), _mm512_cvtepi32_epi8(q0));
            _mm_storeu_si128((__m128i *) (out->q + cell * Q8_BLOCK + 16), _mm512_cvtepi32_epi8(q1));
            /* a NaN or an infinity in the block: sx NaN, so that every output of the row is NaN, as in float32 */
            out->scale[cell] = nan || amax > 3.0e38f ? __builtin_nanf("") : !(amax >= Q8_TINY) ? 0.0f : amax / 127.0f;
            out->start[cell] = -128 * _mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1));
        }
    }
}

/*
 * out[QPACK] = rows [0, rows) (at most 32; from w, n bytes apart) of columns [j0, j0 + QC) of
 * W, offset by 128 and interleaved as described above; zero bytes past row `rows` and column n.
 */
VNNI void q8_pack(const uint8_t *w, int n, int rows, int j0, __m512i *out) {
    const int cols = n - j0 < QC ? n - j0 : QC;
    const __mmask64 mask = cols == QC ? ~(__mmask64) 0 : ((__mmask64) 1 << cols) - 1;
    const __m512i flip = _mm512_set1_epi8((char) 0x80);
    for (int g = 0; g < 8; g++) {
        __m512i a[4];
        for (int q = 0; q < 4; q++) {
            const int i = 4 * g + q;
            a[q] = _mm512_xor_si512(flip, i < rows ? _mm512_maskz_loadu_epi8(mask, w + (size_t) i * (size_t) n + j0)
                                                     : _mm512_setzero_si512());
        }
        const __m512i ab_lo = _mm512_unpacklo_epi8(a[0], a[1]);
        const __m512i ab_hi = _mm512_unpackhi_epi8(a[0], a[1]);
        const __m512i cd_lo = _mm512_unpacklo_epi8(a[2], a[3]);
        const __m512i cd_hi = _mm512_unpackhi_epi8(a[2], a[3]);
        _mm512_storeu_si512(out + g * 4 + 0, _mm512_unpacklo_epi16(ab_lo, cd_lo));
        _mm512_storeu_si512(out + g * 4 + 1, _mm512_unpackhi_epi16(ab_lo, cd_lo));
        _mm512_storeu_si512(out + g * 4 + 2, _mm512_unpacklo_epi16(ab_hi, cd_hi));
        _mm512_storeu_si512(out + g * 4 + 3, _mm512_unpackhi_epi16(ab_hi, cd_hi));
    }
}

/* dp[4] = the scales of a block row (srow) for columns [j0, j0 + QC), in packed order; 0 past n. */
VNNI void q8_pack_scales(const uint16_t *srow, int n, int j0, __m512 *dp) {
    __m512 c[4];                                            /* c[u]: columns 16u..16u+15 */
    for (int u = 0; u < 4; u++) {
        const int left = n - j0 - 16 * u;
        const __mmask16 m = left >= 16 ? (__mmask16) 0xFFFF : left <= 0 ? (__mmask16) 0 : (__mmask16) ((1u << left) - 1u);
        c[u] = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, srow + j0 + 16 * u));
    }
    /* packed vector v, lane L = c[L]'s lane v: a 4 x 4 transpose of 128-bit lanes */
    const __m512 t0 = _mm512_shuffle_f32x4(c[0], c[1], 0x44), t1 = _mm512_shuffle_f32x4(c[0], c[1], 0xEE);
    const __m512 t2 = _mm512_shuffle_f32x4(c[2], c[3], 0x44), t3 = _mm512_shuffle_f32x4(c[2], c[3], 0xEE);
    dp[0] = _mm512_shuffle_f32x4(t0, t2, 0x88);
    dp[1] = _mm512_shuffle_f32x4(t0, t2, 0xDD);
    dp[2] = _mm512_shuffle_f32x4(t1, t3, 0x88);
    dp[3] = _mm512_shuffle_f32x4(t1, t3, 0xDD);
}

/*
 * yp[r, 0..QC) += sum over b < nb of (integer sums of packed block b with x's block b0 + b) *
 * dp[b] * sx, for the rows r0 + r, r < rows (1..QR, a constant once inlined), yp's rows ypstride
 * apart, in packed order. Each block's sums start from the row's start and are scaled once.
 */
VNNI void q8_tile(const __m512i *packed, const __m512 *dp, int nb, const qrows *x, int r0, int b0, int rows,
                  float *yp, int ypstride) {
    for (int b = 0; b < nb; b++) {
        __m512i acc[QR][4];
        const int32_t *xq[QR];
        for (int r = 0; r < QR; r++) {
            if (r < rows) {
                const size_t cell = (size_t) (r0 + r) * (size_t) x->blocks + (size_t) (b0 + b);
                xq[r] = (const int32_t *) (x->q + cell * Q8_BLOCK);
                for (int v = 0; v < 4; v++) {
                    acc[r][v] = _mm512_set1_epi32(x->start[cell]);
                }
            }
        }
        const __m512i *wb = packed + (size_t) b * QPACK;
        for (int g = 0; g < 8; g++) {
            const __m512i w0 = _mm512_loadu_si512(wb + g * 4 + 0), w1 = _mm512_loadu_si512(wb + g * 4 + 1);
            const __m512i w2 = _mm512_loadu_si512(wb + g * 4 + 2), w3 = _mm512_loadu_si512(wb + g * 4 + 3);
            for (int r = 0; r < QR; r++) {
                if (r < rows) {
                    int32_t four;
                    memcpy(&four, xq[r] + g, sizeof four);
                    const __m512i xs = _mm512_set1_epi32(four);
                    acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], w0, xs);
                    acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], w1, xs);
                    acc[r][2] = _mm512_dpbusd_epi32(acc[r][2], w2, xs);
                    acc[r][3] = _mm512_dpbusd_epi32(acc[r][3], w3, xs);
                }
            }
        }
        for (int r = 0; r < QR; r++) {
            if (r < rows) {
                const __m512 sx = _mm512_set1_ps(x->scale[(size_t) (r0 + r) * (size_t) x->blocks + (size_t) (b0 + b)]);
                float *y = yp + (size_t) r * (size_t) ypstride;
                for (int v = 0; v < 4; v++) {
                    _mm512_storeu_ps(y + 16 * v, _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[r][v]),
                                                                 _mm512_mul_ps(dp[b * 4 + v], sx),
                                                                 _mm512_loadu_ps(y + 16 * v)));
                }
            }
        }
    }
}

/* q8_tile for rows 1..QR, each row count compiled on its own so the accumulators stay in registers. */
static __attribute__((target(TARGET_VNNI))) void q8_tiles(const __m512i *packed, const __m512 *dp, int nb,
                                                          const qrows *x, int r0, int b0, int rows, float *yp,
                                                          int ypstride) {
    for (; rows >= QR; rows -= QR, r0 += QR, yp += (size_t) QR * (size_t) ypstride) {
        q8_tile(packed, dp, nb, x, r0, b0, QR, yp, ypstride);
    }
    switch (rows) {
        case 1: q8_tile(packed, dp, nb, x, r0, b0, 1, yp, ypstride); break;
        case 2: q8_tile(packed, dp, nb, x, r0, b0, 2, yp, ypstride); break;
        case 3: q8_tile(packed, dp, nb, x, r0, b0, 3, yp, ypstride); break;
        case 4: q8_tile(packed, dp, nb, x, r0, b0, 4, yp, ypstride); break;
        case 5: q8_tile(packed, dp, nb, x, r0, b0, 5, yp, ypstride); break;
        default: break;
    }
}

/* y[j0 + j - y_from] += yp[packed position of j] for the columns j of the chunk in [j0, j_to). */
static inline void q8_unpack_add(const float *yp, int j0, int j_to, int y_from, float *y) {
    for (int p = 0; p < QC; p++) {
        const int j = j0 + q8_column(p);
        if (j < j_to) {
            y[j - y_from] += yp[p];
        }
    }
}

static size_t linear_q8_vnni_scratch(int rows, int count, int n) {
    const size_t chunks = (size_t) (n + QC - 1) / QC;
    return QPACK * 64 + 4 * 64 + (size_t) rows * chunks * QC * 4 + q8_rows_bytes(rows, count);
}

/*
 * linear for Q8 in integers: y[r, 0..n) += sum over i < count of x[r, i] * W[i, 0..n), W's rows
 * from w (starting a block; its block rows' scales from s). Block row by block row of W (32
 * streams read along their rows), chunk by chunk of QC columns, each chunk packed once for all
 * rows of x; the sums in packed order in scratch until the end.
 */
static __attribute__((target(TARGET_VNNI))) void linear_q8_vnni(const uint8_t *w, const uint16_t *s, int n, int count,
                                                                const float *restrict x, int xstride, int rows,
                                                                float *restrict y, void *scratch) {
    const int chunks = (n + QC - 1) / QC;
    const int ypstride = chunks * QC;
    __m512i *packed = (__m512i *) scratch;
    __m512 *dp = (__m512 *) (packed + QPACK);
    float *yp = (float *) (dp + 4);
    char *at = (char *) (yp + (size_t) rows * (size_t) ypstride);
    const qrows xq = q8_rows_at(&at, rows, count);
    q8_quantize(x, xstride, count, rows, &xq);
    memset(yp, 0, sizeof(float) * (size_t) rows * (size_t) ypstride);
    for (int b = 0; b < xq.blocks; b++) {
        const uint8_t *wb = w + (size_t) b * Q8_BLOCK * (size_t) n;
        const int brows = count - b * Q8_BLOCK < Q8_BLOCK ? count - b * Q8_BLOCK : Q8_BLOCK;
        for (int c = 0; c < chunks; c++) {
            const size_t ahead = (size_t) (c + QPF) * QC;    /* this block row's bytes QPF chunks on, or the next's */
            const uint8_t *next = ahead < (size_t) n ? wb + ahead : wb + (size_t) Q8_BLOCK * (size_t) n + (ahead - (size_t) n);
            for (int i = 0; i < brows; i++) {
                __builtin_prefetch(next + (size_t) i * (size_t) n, 0, 2);
            }
            q8_pack(wb, n, brows, c * QC, packed);
            q8_pack_scales(s + (size_t) b * (size_t) n, n, c * QC, dp);
            q8_tiles(packed, dp, 1, &xq, 0, b, rows, yp + c * QC, ypstride);
        }
    }
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < chunks; c++) {
            q8_unpack_add(yp + (size_t) r * (size_t) ypstride + c * QC, c * QC, n, 0, y + (size_t) r * (size_t) n);
        }
    }
}

static size_t gemm_q8_vnni_scratch(int m, int k) {
    return (size_t) q8_blocks(k) * (QPACK + 4) * 64 + (size_t) QR * QC * 4 + q8_rows_bytes(m, k);
}

/*
 * gemm for Q8 in integers: y[r, j - j_from] += x[r, 0..k) . W[0..k), j] for r < m and j in
 * [j_from, j_to) (j_from a multiple of QC). Chunk by chunk of QC columns: the chunk's whole
 * height packed once, then every tile of QR rows of x over it.
 */
static __attribute__((target(TARGET_VNNI))) void gemm_q8_vnni(const uint8_t *w, const uint16_t *s, int k, int n,
                                                              int j_from, int j_to, const float *x, int m, float *y,
                                                              int ystride, void *scratch) {
    const int blocks = q8_blocks(k);
    __m512i *packed = (__m512i *) scratch;
    __m512 *dp = (__m512 *) (packed + (size_t) blocks * QPACK);
    float *yp = (float *) (dp + (size_t) blocks * 4);
    char *at = (char *) (yp + QR * QC);
    const qrows xq = q8_rows_at(&at, m, k);
    q8_quantize(x, k, k, m, &xq);
    for (int j0 = j_from; j0 < j_to; j0 += QC) {
        for (int b = 0; b < blocks; b++) {
            const int brows = k - b * Q8_BLOCK < Q8_BLOCK ? k - b * Q8_BLOCK : Q8_BLOCK;
            q8_pack(w + (size_t) b * Q8_BLOCK * (size_t) n, n, brows, j0, packed + (size_t) b * QPACK);
            q8_pack_scales(s + (size_t) b * (size_t) n, n, j0, dp + (size_t) b * 4);
        }
        for (int r0 = 0; r0 < m; r0 += QR) {
            const int rows = m - r0 < QR ? m - r0 : QR;
            memset(yp, 0, sizeof(float) * QR * QC);
            q8_tiles(packed, dp, blocks, &xq, r0, 0, rows, yp, QC);
            for (int r = 0; r < rows; r++) {
                q8_unpack_add(yp + (size_t) r * QC, j0, j_to, j_from, y + (size_t) (r0 + r) * (size_t) ystride);
            }
        }
    }
}

/* The AVX-512 kernels, with Q8's products in integers. */
static const struct kernels kernels_avx512vnni = {
    {linear_avx512_F32, linear_avx512_F16, linear_avx512_BF16, linear_q8_vnni},
    {dots_avx512_F32, dots_avx512_F16, dots_avx512_BF16, dots_avx512_Q8},
    {widen_avx512_F32, widen_avx512_F16, widen_avx512_BF16, widen_avx512_Q8},
    {gemm_avx512_F32, gemm_avx512_F16, gemm_avx512_BF16, gemm_q8_vnni},
};

/* Bytes of scratch a linear call takes (rows of x, count rows of W, n columns). */
static size_t linear_scratch(int isa, int format, int rows, int count, int n) {
    return isa == ISA_AVX512_VNNI && format == Q8 ? linear_q8_vnni_scratch(rows, count, n) : 0;
}

/* Bytes of scratch a gemm call takes (m rows of x, k rows of W): the float kernels' panel, or the integer ones'. */
static size_t gemm_scratch(int isa, int format, int m, int k) {
    return isa == ISA_AVX512_VNNI && format == Q8 ? gemm_q8_vnni_scratch(m, k) : sizeof(float) * KC * 32;
}

/* ---- JNI: dev.nexttoken.core.model.NativeKernels ---- */

/* The kernels of an instruction set code; the Java caller has checked that this CPU runs it. */
static const struct kernels *kernels_of(int isa) {
    return isa == ISA_AVX512_VNNI ? &kernels_avx512vnni : isa == ISA_AVX512 ? &kernels_avx512 : &kernels_avx2;
}

/* Bit ISA_AVX2: this CPU (and its OS) runs the AVX2 kernels; ISA_AVX512: the AVX-512 ones; ISA_AVX512_VNNI: those with VNNI. */
JNIEXPORT jint JNICALL
Java_dev_nexttoken_core_model_NativeKernels_variants(JNIEnv *env, jclass cls) {
    (void) env;
    (void) cls;
    __builtin_cpu_init();
    const int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
                     && __builtin_cpu_supports("f16c");
    const int avx512 = avx2 && __builtin_cpu_supports("avx512f");
    const int vnni = avx512 && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
                     && __builtin_cpu_supports("avx512vnni");
    return (avx2 ? ISA_AVX2 : 0) | (avx512 ? ISA_AVX512 : 0) | (vnni ? ISA_AVX512_VNNI : 0);
}

/*
 * The arrays are copied in and out (a few KB) rather than pinned: a product can take long (weights
 * paged in from disk), and a pinned array would hold off the garbage collector for that long.
 */

/* `bytes` bytes from the C heap, 64-byte aligned, or NULL with an OutOfMemoryError thrown into Java. */
static void *buffer(JNIEnv *env, size_t bytes) {
    void *memory = aligned_alloc(64, bytes == 0 ? 64 : (bytes + 63) / 64 * 64);
    if (memory == NULL) {
        (*env)->ThrowNew(env, (*env)->FindClass(env, "java/lang/OutOfMemoryError"), "nexttoken: native buffer");
    }
    return memory;
}

/*
 * y[yOff + r*n, +n) += x[xOff + r*k + i] * W[i, 0..n) for i in [k0, k1) and r < rows; W at
 * address w ([k, n] in `format`), Q8 scales at address scales. The x values of the run are
 * copied row by row, k1 - k0 apart.
 */
JNIEXPORT void JNICALL
Java_dev_nexttoken_core_model_NativeKernels_linear(JNIEnv *env, jclass cls, jint isa, jint format, jlong w,
                                                   jlong scales, jint k, jint n, jint k0, jint k1, jint rows,
                                                   jfloatArray x, jint xOff, jfloatArray y, jint yOff) {
    (void) cls;
    const int count = k1 - k0;
    const size_t xs_size = (size_t) rows * (size_t) count;
    const size_t xs_bytes = (sizeof(float) * (xs_size + (size_t) rows * (size_t) n) + 63) / 64 * 64;
    char *memory = buffer(env, xs_bytes + linear_scratch(isa, format, rows, count, n));
    if (memory == NULL) {
        return;                                             /* an OutOfMemoryError is pending */
    }
    float *xs = (float *) memory;
    float *ys = xs + xs_size;
    for (int r = 0; r < rows; r++) {
        (*env)->GetFloatArrayRegion(env, x, xOff + r * k + k0, count, xs + (size_t) r * (size_t) count);
    }
    (*env)->GetFloatArrayRegion(env, y, yOff, rows * n, ys);
    if (!(*env)->ExceptionCheck(env)) {
        const uint8_t *run = (const uint8_t *) (intptr_t) w + (size_t) k0 * (size_t) n * (size_t) weight_bytes(format);
        const uint16_t *run_scales = format == Q8                 /* k0 starts a block (the caller's split) */
                ? (const uint16_t *) (intptr_t) scales + (size_t) (k0 / Q8_BLOCK) * (size_t) n : NULL;
        kernels_of(isa)->linear[format](run, run_scales, n, count, xs, count, rows, ys, memory + xs_bytes);
        (*env)->SetFloatArrayRegion(env, y, yOff, rows * n, ys);
    }
    free(memory);
}

/*
 * y[r][v] = W[v, 0..k) . x[xOff + r*k, +k) for v in [v0, v1) and r < rows; W at address w
 * ([vocab, k] in `format`), Q8 scales at address scales; y holds each row's result address
 * (floats, indexed by v).
 */
JNIEXPORT void JNICALL
Java_dev_nexttoken_core_model_NativeKernels_dots(JNIEnv *env, jclass cls, jint isa, jint format, jlong w,
                                                 jlong scales, jint k, jint v0, jint v1, jfloatArray x, jint xOff,
                                                 jint rows, jlongArray y) {
    (void) cls;
    float *xs = buffer(env, sizeof(float) * (size_t) rows * (size_t) k);
    if (xs == NULL) {
        return;                                             /* an OutOfMemoryError is pending */
    }
    jlong addresses[MAX_ROWS];
    float *ys[MAX_ROWS];
    (*env)->GetFloatArrayRegion(env, x, xOff, rows * k, xs);
    (*env)->GetLongArrayRegion(env, y, 0, rows, addresses);
    if (!(*env)->ExceptionCheck(env)) {
        for (int r = 0; r < rows; r++) {
            ys[r] = (float *) (intptr_t) addresses[r];
        }
        kernels_of(isa)->dots[format]((const uint8_t *) (intptr_t) w, (const uint16_t *) (intptr_t) scales, k, v0, v1,
                                      xs, rows, ys);
    }
    free(xs);
}

/*
 * y[yOff + r*n + j] += x[xOff + r*k, +k) . W[0..k), j] for r < m and j in [jFrom, jTo) (jFrom a
 * multiple of 2 * the variant's lanes, or of QC for the integer Q8 kernels); W at address w ([k, n] in `format`), Q8 scales at
 * address scales: a prompt's product, the columns of one core. x and those columns of y are
 * copied in, y's back out.
 */
JNIEXPORT void JNICALL
Java_dev_nexttoken_core_model_NativeKernels_gemm(JNIEnv *env, jclass cls, jint isa, jint format, jlong w,
                                                 jlong scales, jint k, jint n, jint jFrom, jint jTo, jint m,
                                                 jfloatArray x, jint xOff, jfloatArray y, jint yOff) {
    (void) cls;
    const int cols = jTo - jFrom;
    const size_t xs_size = (size_t) m * (size_t) k;
    const size_t ys_size = (size_t) m * (size_t) cols;
    const size_t xs_bytes = (sizeof(float) * (xs_size + ys_size) + 63) / 64 * 64;
    char *memory = buffer(env, xs_bytes + gemm_scratch(isa, format, m, k));
    if (memory == NULL) {
        return;                                             /* an OutOfMemoryError is pending */
    }
    float *xs = (float *) memory;
    float *ys = xs + xs_size;
    (*env)->GetFloatArrayRegion(env, x, xOff, (jsize) xs_size, xs);
    for (int r = 0; r < m && !(*env)->ExceptionCheck(env); r++) {
        (*env)->GetFloatArrayRegion(env, y, yOff + r * n + jFrom, cols, ys + (size_t) r * (size_t) cols);
    }
    if (!(*env)->ExceptionCheck(env)) {
        kernels_of(isa)->gemm[format]((const uint8_t *) (intptr_t) w, (const uint16_t *) (intptr_t) scales, k, n, jFrom,
                                      jTo, xs, m, ys, cols, memory + xs_bytes);
        for (int r = 0; r < m; r++) {
            (*env)->SetFloatArrayRegion(env, y, yOff + r * n + jFrom, cols, ys + (size_t) r * (size_t) cols);
        }
    }
    free(memory);
}

/*
 * out[outOff + r*n + j] = a[aOff + r*k, +k) . b[bOff + i*bStride + j over i < k] for r < m, j < n:
 * a small float32 product of two Java arrays on the calling thread (attention's, over one
 * head's cache), by the prompt GEMM; a and b's rows are copied in, the result out.
 */
JNIEXPORT void JNICALL
Java_dev_nexttoken_core_model_NativeKernels_multiply(JNIEnv *env, jclass cls, jint isa, jfloatArray a, jint aOff,
                                                     jint m, jint k, jfloatArray b, jint bOff, jint bStride, jint n,
                                                     jfloatArray out, jint outOff) {
    (void) cls;
    const size_t as_size = (size_t) m * (size_t) k;
    const size_t bs_size = (size_t) k * (size_t) n;
    const size_t ys_size = (size_t) m * (size_t) n;
    float *as = buffer(env, sizeof(float) * (as_size + bs_size + ys_size + (size_t) KC * 32));
    if (as == NULL) {
        return;                                             /* an OutOfMemoryError is pending */
    }
    float *bs = as + as_size;
    float *ys = bs + bs_size;
    float *panel = ys + ys_size;
    (*env)->GetFloatArrayRegion(env, a, aOff, (jsize) as_size, as);
    for (int i = 0; i < k && !(*env)->ExceptionCheck(env); i++) {
        (*env)->GetFloatArrayRegion(env, b, bOff + i * bStride, n, bs + (size_t) i * (size_t) n);
    }
    if (!(*env)->ExceptionCheck(env)) {
        memset(ys, 0, sizeof(float) * ys_size);
        kernels_of(isa)->gemm[F32]((const uint8_t *) bs, NULL, k, n, 0, n, as, m, ys, n, panel);
        (*env)->SetFloatArrayRegion(env, out, outOff, (jsize) ys_size, ys);
    }
    free(as);
}

/* Rows [r0, r1) of W ([rows, cols] in `format`) as float32 at address out. */
JNIEXPORT void JNICALL
Java_dev_nexttoken_core_model_NativeKernels_widenTo(JNIEnv *env, jclass cls, jint isa, jint format, jlong w,
                                                    jlong scales, jint cols, jlong r0, jlong r1, jlong out) {
    (void) env;
    (void) cls;
    kernels_of(isa)->widen[format]((const uint8_t *) (intptr_t) w, (const uint16_t *) (intptr_t) scales, cols, r0, r1,
                                   (float *) (intptr_t) out);
}

/* Rows [r0, r1) of W ([rows, cols] in `format`) as float32 into out from outOff, through a native buffer. */
JNIEXPORT void JNICALL
Java_dev_nexttoken_core_model_NativeKernels_widen(JNIEnv *env, jclass cls, jint isa, jint format, jlong w,
                                                  jlong scales, jint cols, jlong r0, jlong r1, jfloatArray out,
                                                  jint outOff) {
    (void) cls;
    const size_t floats = (size_t) (r1 - r0) * (size_t) cols;
    float *os = buffer(env, sizeof(float) * floats);
    if (os == NULL) {
        return;                                             /* an OutOfMemoryError is pending */
    }
    kernels_of(isa)->widen[format]((const uint8_t *) (intptr_t) w, (const uint16_t *) (intptr_t) scales, cols, r0, r1,
                                   os);
    (*env)->SetFloatArrayRegion(env, out, outOff, (jsize) floats, os);
    free(os);
}
