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
 * Q8 (WeightFormat.Q8): the bytes q [rows, cols] and the float16 scales d [rows, ceil(cols/32)],
 * one per 32 consecutive values of a row; a weight is q * d.
 *
 * Why native: a decode step of one row streams every weight once, so it runs at the speed memory
 * is read, and wide loads keep more bytes in flight per core than OpenBLAS's sgemv or the Java
 * Vector API on Java 17 (which reads native memory only through fromByteBuffer). Fewer bytes per
 * weight (F16, BF16, Q8) mean fewer bytes to read per token; decoding them is cheap next to that.
 *
 * Each kernel exists for two instruction sets, chosen with target attributes (no machine flags):
 * "avx2,fma,f16c" (8-float vectors; Haswell, Zen 1-3) and "avx512f" with the former (16-float
 * vectors; Skylake-X, Zen 4-5). variants() tells the caller which this CPU runs; the caller
 * picks one per call (NativeKernels: the widest, once per JVM; tests: each in turn).
 *
 * Row-count invariance: a row's result bits do not depend on how many rows share the call or
 * what they hold. Weights are decoded exactly to float32 first (F16 and BF16 widen exactly, and
 * q * d is exact in float32: 8 by 11 significant bits), then every output is computed by the
 * same sequence of float operations whatever the row count; continuous batching relies on it.
 * It also makes a product on F16/BF16/Q8 weights give the bits of the F32 product on the widened
 * weights, of the same instruction set.
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
enum { ISA_AVX2 = 1, ISA_AVX512 = 2 };

#define MAX_ROWS 16
/* Rows of W per panel of a prompt's product: a panel of KC x 32 floats is 32 KB, in L1. */
#define KC 256
/* Rows of W per pass over y (linear) or per block (dots of one row): eight streams in flight. */
#define PASS 8
#define Q8_BLOCK 32

static inline int weight_bytes(int fmt) {
    return fmt == F32 ? 4 : fmt == Q8 ? 1 : 2;
}

static inline int q8_blocks(int cols) {
    return (cols + Q8_BLOCK - 1) / Q8_BLOCK;
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

/* W[row, j] as float32, exactly as the vector decoders give it: for the last, partial vectors. */
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
            return (float) (int8_t) row[j] * half_to_float(scales[j / Q8_BLOCK]);
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

typedef void (*linear_fn)(const uint8_t *w, const uint16_t *s, int n, int count, const float *x, int xstride,
                          int rows, float *y);
typedef void (*dots_fn)(const uint8_t *w, const uint16_t *s, int k, int v0, int v1, const float *x, int rows,
                        float *const *y);
typedef void (*widen_fn)(const uint8_t *w, const uint16_t *s, int cols, int64_t r0, int64_t r1, float *out);
typedef void (*gemm_fn)(const uint8_t *w, const uint16_t *s, int k, int n, int j_from, int j_to, const float *x, int m,
                        float *y, int ystride, float *panel);

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

/* The Q8 scale of the block of column j of a row, in every lane. */
PRIMITIVE_AVX2 __m256 scale_avx2(const uint16_t *scales, int j) {
    return _mm256_set1_ps(_cvtsh_ss(scales[j / Q8_BLOCK]));
}

/* W[row, j..j+8) decoded; for Q8, d is scale_avx2 of the block (j is a multiple of 8: the 8 share one block). */
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

/* The Q8 scale of the block of column j of a row, in every lane. */
PRIMITIVE_AVX512 __m512 scale_avx512(const uint16_t *scales, int j) {
    return _mm512_set1_ps(_cvtsh_ss(scales[j / Q8_BLOCK]));
}

/* W[row, j..j+16) decoded; for Q8, d is scale_avx512 of the block (j is a multiple of 16: the 16 share one block). */
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

/* ---- JNI: dev.nexttoken.core.model.NativeKernels ---- */

/* The kernels of an instruction set code; the Java caller has checked that this CPU runs it. */
static const struct kernels *kernels_of(int isa) {
    return isa == ISA_AVX512 ? &kernels_avx512 : &kernels_avx2;
}

/* Bit ISA_AVX2: this CPU (and its OS) runs the AVX2 kernels; bit ISA_AVX512: the AVX-512 ones. */
JNIEXPORT jint JNICALL
Java_dev_nexttoken_core_model_NativeKernels_variants(JNIEnv *env, jclass cls) {
    (void) env;
    (void) cls;
    __builtin_cpu_init();
    const int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
                     && __builtin_cpu_supports("f16c");
    const int avx512 = avx2 && __builtin_cpu_supports("avx512f");
    return (avx2 ? ISA_AVX2 : 0) | (avx512 ? ISA_AVX512 : 0);
}

/*
 * The arrays are copied in and out (a few KB) rather than pinned: a product can take long (weights
 * paged in from disk), and a pinned array would hold off the garbage collector for that long.
 */

/* `bytes` bytes from malloc, or NULL with an OutOfMemoryError thrown into Java. */
static void *buffer(JNIEnv *env, size_t bytes) {
    void *memory = malloc(bytes == 0 ? 1 : bytes);
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
    float *xs = buffer(env, sizeof(float) * (xs_size + (size_t) rows * (size_t) n));
    if (xs == NULL) {
        return;                                             /* an OutOfMemoryError is pending */
    }
    float *ys = xs + xs_size;
    for (int r = 0; r < rows; r++) {
        (*env)->GetFloatArrayRegion(env, x, xOff + r * k + k0, count, xs + (size_t) r * (size_t) count);
    }
    (*env)->GetFloatArrayRegion(env, y, yOff, rows * n, ys);
    if (!(*env)->ExceptionCheck(env)) {
        const uint8_t *run = (const uint8_t *) (intptr_t) w + (size_t) k0 * (size_t) n * (size_t) weight_bytes(format);
        const uint16_t *run_scales = format == Q8
                ? (const uint16_t *) (intptr_t) scales + (size_t) k0 * (size_t) q8_blocks(n) : NULL;
        kernels_of(isa)->linear[format](run, run_scales, n, count, xs, count, rows, ys);
        (*env)->SetFloatArrayRegion(env, y, yOff, rows * n, ys);
    }
    free(xs);
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
 * multiple of 2 * the variant's lanes); W at address w ([k, n] in `format`), Q8 scales at
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
    float *xs = buffer(env, sizeof(float) * (xs_size + ys_size + (size_t) KC * 32));
    if (xs == NULL) {
        return;                                             /* an OutOfMemoryError is pending */
    }
    float *ys = xs + xs_size;
    float *panel = ys + ys_size;
    (*env)->GetFloatArrayRegion(env, x, xOff, (jsize) xs_size, xs);
    for (int r = 0; r < m && !(*env)->ExceptionCheck(env); r++) {
        (*env)->GetFloatArrayRegion(env, y, yOff + r * n + jFrom, cols, ys + (size_t) r * (size_t) cols);
    }
    if (!(*env)->ExceptionCheck(env)) {
        kernels_of(isa)->gemm[format]((const uint8_t *) (intptr_t) w, (const uint16_t *) (intptr_t) scales, k, n, jFrom,
                                      jTo, xs, m, ys, cols, panel);
        for (int r = 0; r < m; r++) {
            (*env)->SetFloatArrayRegion(env, y, yOff + r * n + jFrom, cols, ys + (size_t) r * (size_t) cols);
        }
    }
    free(xs);
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
