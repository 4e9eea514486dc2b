/*
 * nexttoken's native kernels: one row times a weight matrix, for batch-1 decoding on the CPU path.
 *
 * accumulate: y[0, n) += sum over i in [k0, k1) of x[i] * W[i, 0..n)   (W row-major [k, n], GPT-2's Conv1D)
 * dots:       y[v] = W[v, 0..k) . x for v in [v0, v1)                   (the lm_head: W = wte [vocab, k])
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
    const __mmask16 tail = (__mmask16) ((1u << (n % LANES)) - 1u);
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

/* y[v] = sum over j of W[v, j] * x[j] for v in [v0, v1): W row-major [rows, k]; the lm_head against wte. */
__attribute__((target("avx512f")))
static void dot_rows(const float *w, int k, int v0, int v1, const float *x, float *y) {
    const int full = k - k % LANES;
    const __mmask16 tail = (__mmask16) ((1u << (k % LANES)) - 1u);
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

/*
 * y[yOff, yOff + n) += x[xOff + i] * W[i, 0..n) for i in [k0, k1); W at address w, row stride n.
 */
JNIEXPORT void JNICALL
Java_dev_nexttoken_core_model_NativeGemv_accumulate(JNIEnv *env, jclass cls, jlong w, jint n, jint k0, jint k1,
                                                     jfloatArray x, jint xOff, jfloatArray y, jint yOff) {
    (void) cls;
    const int count = k1 - k0;
    float *xs = malloc(sizeof(float) * ((size_t) count + (size_t) n));
    if (xs == NULL) {
        (*env)->ThrowNew(env, (*env)->FindClass(env, "java/lang/OutOfMemoryError"), "nexttoken: native buffer");
        return;
    }
    float *ys = xs + count;
    (*env)->GetFloatArrayRegion(env, x, xOff + k0, count, xs);
    (*env)->GetFloatArrayRegion(env, y, yOff, n, ys);
    if (!(*env)->ExceptionCheck(env)) {
        accumulate_rows((const float *) (intptr_t) w + (size_t) k0 * (size_t) n, n, count, xs, ys);
        (*env)->SetFloatArrayRegion(env, y, yOff, n, ys);
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
    float *xs = malloc(sizeof(float) * (size_t) k);
    if (xs == NULL) {
        (*env)->ThrowNew(env, (*env)->FindClass(env, "java/lang/OutOfMemoryError"), "nexttoken: native buffer");
        return;
    }
    (*env)->GetFloatArrayRegion(env, x, xOff, k, xs);
    if (!(*env)->ExceptionCheck(env)) {
        dot_rows((const float *) (intptr_t) w, k, v0, v1, xs, (float *) (intptr_t) y);
    }
    free(xs);
}
