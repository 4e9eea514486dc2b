/*
 * nexttoken's native kernels: a few rows times a weight matrix, for decoding on the CPU path.
 *
 * accumulate: y[r, 0..n) += sum over i in [k0, k1) of x[r, i] * W[i, 0..n)   (W [k, n], GPT-2's Conv1D; r < rows)
 * dots:       y[v] = W[v, 0..k) . x for v in [v0, v1)                   (the lm_head: W = wte [vocab, k])
 * dots_many:  y_r[v] = W[v, 0..k) . x_r for several rows x_r, each sum computed as dots computes it
 *
 * Why native: a decode step of one row streams every weight once, so it runs at the speed memory
 * is read. Measured on GPT-2 small's 48 layer products (2 cores, AMD Zen 5, from the page cache):
 * OpenBLAS's sgemv (AVX2 kernels here) ~10 ms, this kernel with 512-bit loads 6.1-6.3 ms, the
 * same kernel with 256-bit loads ~10 ms; the lm_head (dots, 8 rows per pass) 2.5-3.5 ms against
 * sgemv's 3.5-4.4 ms. The Java Vector API on Java 17 can only load vectors from native memory
 * through fromByteBuffer, which streamed at ~24 GB/s (~14 ms). The wide loads keep more bytes
 * in flight per core, and that, not arithmetic, is the limit here.
 *
 * The caller (dev.nexttoken.core.model.NativeGemv) splits W's rows over the cores, so each
 * thread reads one contiguous run of memory; it checks the arrays' bounds, passes a W of the
 * shape given, and keeps W alive.
 *
 * Built by core/pom.xml with gcc -O3 on Linux x86-64 (at -O2, gcc kept the lm_head's eight sums
 * in memory: 5.3 ms); no machine flags: the kernels ask for AVX-512 with a target attribute,
 * and supported() tells the caller whether this CPU has it.
 */
#include <jni.h>
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Rows of W per pass over y: eight streams in flight at once (four streams measured 7.0-8.6 ms). */
#define ROWS_PER_PASS 8
#define LANES 16

/* The lanes of the last, partial vector of a row of `length` floats (none when it is whole). */
static inline __mmask16 tail_mask(int length) {
    return (__mmask16) ((1u << (length % LANES)) - 1u);
}

/* y[j] += sum over the 8 rows r[q] of a[q] * r[q][j], for the columns of one (possibly partial) vector. */
__attribute__((target("avx512f")))
static inline void pass8(const float *const r[ROWS_PER_PASS], const __m512 a[ROWS_PER_PASS],
                         float *y, int j, __mmask16 m) {
    __m512 low = _mm512_maskz_loadu_ps(m, y + j);
    __m512 high = _mm512_mul_ps(a[4], _mm512_maskz_loadu_ps(m, r[4] + j));
    low = _mm512_fmadd_ps(a[0], _mm512_maskz_loadu_ps(m, r[0] + j), low);
    high = _mm512_fmadd_ps(a[5], _mm512_maskz_loadu_ps(m, r[5] + j), high);
    low = _mm512_fmadd_ps(a[1], _mm512_maskz_loadu_ps(m, r[1] + j), low);
    high = _mm512_fmadd_ps(a[6], _mm512_maskz_loadu_ps(m, r[6] + j), high);
    low = _mm512_fmadd_ps(a[2], _mm512_maskz_loadu_ps(m, r[2] + j), low);
    high = _mm512_fmadd_ps(a[7], _mm512_maskz_loadu_ps(m, r[7] + j), high);
    low = _mm512_fmadd_ps(a[3], _mm512_maskz_loadu_ps(m, r[3] + j), low);
    _mm512_mask_storeu_ps(y + j, m, _mm512_add_ps(low, high));
}

/* y[0..n) += sum over i < count of x[i] * W[i, 0..n): one run of W's rows, w at its first row. */
__attribute__((target("avx512f")))
static void accumulate_rows(const float *w, int n, int count, const float *x, float *y) {
    const int full = n - n % LANES;
    const __mmask16 all = (__mmask16) 0xFFFF;
    const __mmask16 tail = tail_mask(n);
    int i = 0;
    for (; i + ROWS_PER_PASS <= count; i += ROWS_PER_PASS) {
        const float *r[ROWS_PER_PASS];
        __m512 a[ROWS_PER_PASS];
        for (int q = 0; q < ROWS_PER_PASS; q++) {
            r[q] = w + (size_t) (i + q) * (size_t) n;
            a[q] = _mm512_set1_ps(x[i + q]);
        }
        for (int j = 0; j < full; j += LANES) {
            pass8(r, a, y, j, all);
        }
        if (tail) {
            pass8(r, a, y, full, tail);
        }
    }
    for (; i < count; i++) {                                /* the last count mod 8 rows, one at a time */
        const float *r = w + (size_t) i * (size_t) n;
        const __m512 a = _mm512_set1_ps(x[i]);
        for (int j = 0; j < n; j += LANES) {
            const __mmask16 m = j < full ? all : tail;
            __m512 acc = _mm512_maskz_loadu_ps(m, y + j);
            acc = _mm512_fmadd_ps(a, _mm512_maskz_loadu_ps(m, r + j), acc);
            _mm512_mask_storeu_ps(y + j, m, acc);
        }
    }
}

/*
 * y[r, 0..n) += x[r, i] * W[i, 0..n) for 8 rows i of W from `row` and every r < rows, at the
 * columns [j, j + 16) (the lanes in m): the 8 W vectors are loaded once for all rows of x.
 * Unmasked calls keep plain loads and stores (masked stores are slow on AMD's cores).
 */
__attribute__((target("avx512f")))
static inline void column8(const float *row, int n, const float *x, int k, int rows, float *y, int j,
                           __mmask16 m, int masked) {
    __m512 v[ROWS_PER_PASS];
    for (int q = 0; q < ROWS_PER_PASS; q++) {
        const float *at = row + (size_t) q * (size_t) n + j;
        v[q] = masked ? _mm512_maskz_loadu_ps(m, at) : _mm512_loadu_ps(at);
    }
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t) r * (size_t) k;
        float *yr = y + (size_t) r * (size_t) n + j;
        __m512 low = masked ? _mm512_maskz_loadu_ps(m, yr) : _mm512_loadu_ps(yr);
        __m512 high = _mm512_mul_ps(_mm512_set1_ps(xr[4]), v[4]);
        for (int q = 0; q < 4; q++) {
            low = _mm512_fmadd_ps(_mm512_set1_ps(xr[q]), v[q], low);
        }
        for (int q = 5; q < ROWS_PER_PASS; q++) {
            high = _mm512_fmadd_ps(_mm512_set1_ps(xr[q]), v[q], high);
        }
        if (masked) {
            _mm512_mask_storeu_ps(yr, m, _mm512_add_ps(low, high));
        } else {
            _mm512_storeu_ps(yr, _mm512_add_ps(low, high));
        }
    }
}

/*
 * y[r, 0..n) += sum over i < count of x[r, i] * W[i, 0..n) for r < rows (x's rows k apart, y's n
 * apart): one run of W's rows, w at its first row, each W row read once for all rows of x.
 */
__attribute__((target("avx512f")))
static void accumulate_many(const float *w, int n, int count, const float *x, int k, int rows, float *y) {
    const int full = n - n % LANES;
    const __mmask16 tail = tail_mask(n);
    int i = 0;
    for (; i + ROWS_PER_PASS <= count; i += ROWS_PER_PASS) {
        const float *row = w + (size_t) i * (size_t) n;
        for (int j = 0; j < full; j += LANES) {
            column8(row, n, x + i, k, rows, y, j, (__mmask16) 0xFFFF, 0);
        }
        if (tail) {
            column8(row, n, x + i, k, rows, y, full, tail, 1);
        }
    }
    for (int r = 0; r < rows; r++) {                        /* the last count mod 8 rows of W, per row of x */
        accumulate_rows(w + (size_t) i * (size_t) n, n, count - i, x + (size_t) r * (size_t) k + i,
                        y + (size_t) r * (size_t) n);
    }
}

/* y[v] = sum over j of W[v, j] * x[j] for v in [v0, v1): W row-major [rows, k]; the lm_head against wte. */
__attribute__((target("avx512f")))
static void dot_rows(const float *w, int k, int v0, int v1, const float *x, float *y) {
    const int full = k - k % LANES;
    const __mmask16 tail = tail_mask(k);
    int v = v0;
    for (; v + ROWS_PER_PASS <= v1; v += ROWS_PER_PASS) {
        const float *r = w + (size_t) v * (size_t) k;
        __m512 acc[ROWS_PER_PASS];
        for (int q = 0; q < ROWS_PER_PASS; q++) {
            acc[q] = _mm512_setzero_ps();
        }
        for (int j = 0; j < full; j += LANES) {
            const __m512 xs = _mm512_loadu_ps(x + j);
            for (int q = 0; q < ROWS_PER_PASS; q++) {
                acc[q] = _mm512_fmadd_ps(_mm512_loadu_ps(r + (size_t) q * (size_t) k + j), xs, acc[q]);
            }
        }
        if (tail) {
            const __m512 xs = _mm512_maskz_loadu_ps(tail, x + full);
            for (int q = 0; q < ROWS_PER_PASS; q++) {
                acc[q] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, r + (size_t) q * (size_t) k + full), xs, acc[q]);
            }
        }
        for (int q = 0; q < ROWS_PER_PASS; q++) {
            y[v + q] = _mm512_reduce_add_ps(acc[q]);
        }
    }
    for (; v < v1; v++) {                                   /* the last rows, one at a time */
        const float *r = w + (size_t) v * (size_t) k;
        __m512 acc = _mm512_setzero_ps();
        for (int j = 0; j < k; j += LANES) {
            const __mmask16 m = j < full ? (__mmask16) 0xFFFF : tail;
            acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, r + j), _mm512_maskz_loadu_ps(m, x + j), acc);
        }
        y[v] = _mm512_reduce_add_ps(acc);
    }
}

/*
 * y[r][v] = sum over j of W[v, j] * x[r, j] for v in [v0, v1) and r < rows (x's rows k apart; y[r]
 * the address of row r's results, indexed by v): the lm_head of a decode step of several rows.
 * Each sum is computed exactly as dot_rows computes it for one row: one accumulator from zero over
 * the whole vectors of the row in order, the masked tail last, then _mm512_reduce_add_ps. So a
 * row's logits are the same bits whether it is alone (dots) or shares the call with any other
 * rows, which is what lets requests decoded together get what they would get alone. W is taken
 * 4 rows at a time (12 KB for GPT-2 small, in L1) and applied to 4 rows of x at once: 16
 * accumulators, 8 loads per 16 FMAs; W is read from memory once per call.
 */
__attribute__((target("avx512f")))
static void dot_many(const float *w, int k, int v0, int v1, const float *x, int rows, float *const *y) {
    const int full = k - k % LANES;
    const __mmask16 tail = tail_mask(k);
    int v = v0;
    for (; v + 4 <= v1; v += 4) {
        const float *r = w + (size_t) v * (size_t) k;
        int i = 0;
        for (; i + 4 <= rows; i += 4) {
            const float *xi = x + (size_t) i * (size_t) k;
            __m512 acc[4][4];
            for (int q = 0; q < 4; q++) {
                for (int p = 0; p < 4; p++) {
                    acc[q][p] = _mm512_setzero_ps();
                }
            }
            for (int j = 0; j < full; j += LANES) {
                __m512 ws[4];
                for (int q = 0; q < 4; q++) {
                    ws[q] = _mm512_loadu_ps(r + (size_t) q * (size_t) k + j);
                }
                for (int p = 0; p < 4; p++) {
                    const __m512 xs = _mm512_loadu_ps(xi + (size_t) p * (size_t) k + j);
                    for (int q = 0; q < 4; q++) {
                        acc[q][p] = _mm512_fmadd_ps(ws[q], xs, acc[q][p]);
                    }
                }
            }
            if (tail) {
                __m512 ws[4];
                for (int q = 0; q < 4; q++) {
                    ws[q] = _mm512_maskz_loadu_ps(tail, r + (size_t) q * (size_t) k + full);
                }
                for (int p = 0; p < 4; p++) {
                    const __m512 xs = _mm512_maskz_loadu_ps(tail, xi + (size_t) p * (size_t) k + full);
                    for (int q = 0; q < 4; q++) {
                        acc[q][p] = _mm512_fmadd_ps(ws[q], xs, acc[q][p]);
                    }
                }
            }
            for (int p = 0; p < 4; p++) {
                for (int q = 0; q < 4; q++) {
                    y[i + p][v + q] = _mm512_reduce_add_ps(acc[q][p]);
                }
            }
        }
        for (; i < rows; i++) {                             /* the last rows mod 4 of x, one at a time */
            dot_rows(w, k, v, v + 4, x + (size_t) i * (size_t) k, y[i]);
        }
    }
    for (int i = 0; i < rows; i++) {                        /* the last rows mod 4 of W */
        dot_rows(w, k, v, v1, x + (size_t) i * (size_t) k, y[i]);
    }
}

JNIEXPORT jboolean JNICALL
Java_dev_nexttoken_core_model_NativeGemv_supported(JNIEnv *env, jclass cls) {
    (void) env;
    (void) cls;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? JNI_TRUE : JNI_FALSE;
}

/*
 * The arrays are copied in and out (a few KB) rather than pinned: a product can take long (weights
 * paged in from disk), and a pinned array would hold off the garbage collector for that long.
 * The Java caller has checked the arrays' bounds; W's shape is its contract.
 */

/* `floats` floats from malloc, or NULL with an OutOfMemoryError thrown into Java. */
static float *buffer(JNIEnv *env, size_t floats) {
    float *memory = malloc(sizeof(float) * floats);
    if (memory == NULL) {
        (*env)->ThrowNew(env, (*env)->FindClass(env, "java/lang/OutOfMemoryError"), "nexttoken: native buffer");
    }
    return memory;
}

/*
 * y[yOff + r*n, +n) += x[xOff + r*k + i] * W[i, 0..n) for i in [k0, k1) and r < rows; W at
 * address w, row stride n. The x values of the run are copied row by row, count apart.
 */
JNIEXPORT void JNICALL
Java_dev_nexttoken_core_model_NativeGemv_accumulate(JNIEnv *env, jclass cls, jlong w, jint k, jint n, jint k0,
                                                     jint k1, jint rows, jfloatArray x, jint xOff, jfloatArray y,
                                                     jint yOff) {
    (void) cls;
    const int count = k1 - k0;
    const size_t xs_size = (size_t) rows * (size_t) count;
    float *xs = buffer(env, xs_size + (size_t) rows * (size_t) n);
    if (xs == NULL) {
        return;                                             /* an OutOfMemoryError is pending */
    }
    float *ys = xs + xs_size;
    for (int r = 0; r < rows; r++) {
        (*env)->GetFloatArrayRegion(env, x, xOff + r * k + k0, count, xs + (size_t) r * (size_t) count);
    }
    (*env)->GetFloatArrayRegion(env, y, yOff, rows * n, ys);
    if (!(*env)->ExceptionCheck(env)) {
        const float *run = (const float *) (intptr_t) w + (size_t) k0 * (size_t) n;
        if (rows == 1) {
            accumulate_rows(run, n, count, xs, ys);
        } else {
            accumulate_many(run, n, count, xs, count, rows, ys);
        }
        (*env)->SetFloatArrayRegion(env, y, yOff, rows * n, ys);
    }
    free(xs);
}

/*
 * y[v] = W[v, 0..k) . x[xOff, xOff + k) for v in [v0, v1); W at address w, row stride k; y at
 * address y (floats, indexed by v).
 */
JNIEXPORT void JNICALL
Java_dev_nexttoken_core_model_NativeGemv_dots(JNIEnv *env, jclass cls, jlong w, jint k, jint v0, jint v1,
                                               jfloatArray x, jint xOff, jlong y) {
    (void) cls;
    float *xs = buffer(env, (size_t) k);
    if (xs == NULL) {
        return;                                             /* an OutOfMemoryError is pending */
    }
    (*env)->GetFloatArrayRegion(env, x, xOff, k, xs);
    if (!(*env)->ExceptionCheck(env)) {
        dot_rows((const float *) (intptr_t) w, k, v0, v1, xs, (float *) (intptr_t) y);
    }
    free(xs);
}

/*
 * y[r][v] = W[v, 0..k) . x[xOff + r*k, +k) for v in [v0, v1) and r < rows; W at address w, row
 * stride k; y holds each row's result address (floats, indexed by v).
 */
JNIEXPORT void JNICALL
Java_dev_nexttoken_core_model_NativeGemv_dotsMany(JNIEnv *env, jclass cls, jlong w, jint k, jint v0, jint v1,
                                                   jfloatArray x, jint xOff, jint rows, jlongArray y) {
    (void) cls;
    float *xs = buffer(env, (size_t) rows * (size_t) k);
    if (xs == NULL) {
        return;                                             /* an OutOfMemoryError is pending */
    }
    jlong *addresses = malloc(sizeof(jlong) * (size_t) rows);
    float **ys = malloc(sizeof(float *) * (size_t) rows);
    if (addresses == NULL || ys == NULL) {
        (*env)->ThrowNew(env, (*env)->FindClass(env, "java/lang/OutOfMemoryError"), "nexttoken: native buffer");
    } else {
        (*env)->GetFloatArrayRegion(env, x, xOff, rows * k, xs);
        (*env)->GetLongArrayRegion(env, y, 0, rows, addresses);
        if (!(*env)->ExceptionCheck(env)) {
            for (int r = 0; r < rows; r++) {
                ys[r] = (float *) (intptr_t) addresses[r];
            }
            dot_many((const float *) (intptr_t) w, k, v0, v1, xs, rows, ys);
        }
    }
    free(ys);
    free(addresses);
    free(xs);
}
