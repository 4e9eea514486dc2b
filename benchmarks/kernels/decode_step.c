/*
 * decode_step.c: the matrix products of one GPT-2-small decode step on nexttoken's native kernels,
 * outside the JVM, split over 2 threads as NativeKernels splits them (linear: halves of W's rows,
 * each into its own output; lm_head: halves of the vocabulary). Random weights, 12 layers' own
 * matrices (so a step reads ~125 M weights from memory, not from cache). For trying kernel changes
 * in seconds; `bench` and benchmarks/peers/sitting.sh remain the measurements that count.
 *
 *   gcc -O3 -std=gnu11 -DKERNELS="\"$PWD/core/src/main/c/nexttoken_kernels.c\"" -I$JAVA_HOME/include \
 *       -I$JAVA_HOME/include/linux benchmarks/kernels/decode_step.c -o /tmp/decode_step -lpthread
 *   /tmp/decode_step FORMAT [ISA [STEPS [ROWS]]]
 *
 * FORMAT 0 F32, 1 F16, 2 BF16, 3 Q8; ISA 1 AVX2, 2 AVX-512 (default), 4 AVX-512 VNNI; STEPS measured after 5
 * warm-up steps (default 50); ROWS of x (decode batch, default 1). Prints each product's mean
 * time and bandwidth, and the median step.
 */
#include KERNELS
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <stdatomic.h>
#include <math.h>

enum { L = 12, D = 768, V = 50257 };
static int fmt;
static const struct kernels *K;
typedef struct { uint8_t *w; uint16_t *s; int k, n; } mat;
static mat m[L][4];
static mat wte;
static float x[16 * 4 * D], y2[2][16 * 4 * D], logits[16][V];
static int rowsx = 1, isa = ISA_AVX512;
static void *scratch[2];

__attribute__((target("f16c"))) static mat make(int k, int n) {
    mat r = {0};
    r.k = k; r.n = n;
    size_t cnt = (size_t) k * n;
    r.w = aligned_alloc(64, (cnt * weight_bytes(fmt) + 63) / 64 * 64);
    for (size_t i = 0; i < cnt; i++) {
        float v = ((rand() % 2001) - 1000) * 1e-5f;
        if (fmt == F32) ((float *) r.w)[i] = v;
        else if (fmt == F16) ((uint16_t *) r.w)[i] = _cvtss_sh(v, 0);
        else if (fmt == BF16) { uint32_t b; memcpy(&b, &v, 4); ((uint16_t *) r.w)[i] = b >> 16; }
        else r.w[i] = (uint8_t) (rand() % 255 - 127);
    }
    size_t blocks = (size_t) q8_blocks(k) * n;
    r.s = aligned_alloc(64, (blocks * 2 + 63) / 64 * 64);
    for (size_t i = 0; i < blocks; i++) r.s[i] = _cvtss_sh(1e-3f, 0);
    return r;
}

/* job */
static atomic_int job_seq, done;
static int job_kind; static mat *job_m;
static void run_part(int t) {
    mat *a = job_m;
    if (job_kind == 0) {
        int half = a->k / 2, k0 = t ? half : 0, k1 = t ? a->k : half;
        memset(y2[t], 0, sizeof(float) * a->n * rowsx);
        const uint8_t *run = a->w + (size_t) k0 * a->n * weight_bytes(fmt);
        const uint16_t *rs = fmt == Q8 ? a->s + (size_t) (k0 / Q8_BLOCK) * a->n : NULL;
        K->linear[fmt](run, rs, a->n, k1 - k0, x + k0, a->k, rowsx, y2[t], scratch[t]);
    } else {
        int half = V / 2, v0 = t ? half : 0, v1 = t ? V : half;
        float *ys[16];
        for (int r = 0; r < 16; r++) ys[r] = logits[r];
        K->dots[fmt](a->w, a->s, a->n, v0, v1, x, rowsx, ys);
    }
}
static void *helper(void *arg) {
    (void) arg;
    int seen = 0;
    for (;;) {
        int s;
        while ((s = atomic_load(&job_seq)) == seen) __builtin_ia32_pause();
        seen = s;
        if (s < 0) return NULL;
        run_part(1);
        atomic_fetch_add(&done, 1);
    }
}
static void call(int kind, mat *a) {
    job_kind = kind; job_m = a;
    atomic_store(&done, 0);
    atomic_fetch_add(&job_seq, 1);
    run_part(0);
    while (atomic_load(&done) == 0) __builtin_ia32_pause();
}
static int by_value(const void *a, const void *b) {
    double d = *(const double *) a - *(const double *) b;
    return (d > 0) - (d < 0);
}
static double now(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return ts.tv_sec + ts.tv_nsec * 1e-9; }

int main(int argc, char **argv) {
    fmt = atoi(argv[1]);
    isa = argc > 2 ? atoi(argv[2]) : ISA_AVX512;
    int steps = argc > 3 ? atoi(argv[3]) : 50;
    rowsx = argc > 4 ? atoi(argv[4]) : 1;
    K = kernels_of(isa);
    for (int t = 0; t < 2; t++) scratch[t] = aligned_alloc(64, (linear_scratch(isa, fmt, rowsx, 4 * D, 4 * D) + 63) / 64 * 64 + 64);
    int shapes[4][2] = {{D, 3 * D}, {D, D}, {D, 4 * D}, {4 * D, D}};
    for (int l = 0; l < L; l++) for (int s = 0; s < 4; s++) m[l][s] = make(shapes[s][0], shapes[s][1]);
    wte = make(V, D);
    for (int i = 0; i < 16 * 4 * D; i++) x[i] = ((rand() % 2001) - 1000) * 1e-3f;
    pthread_t th; pthread_create(&th, NULL, helper, NULL);
    double sec[5] = {0};
    double *per = calloc(steps + 5, sizeof(double));
    for (int step = 0; step < steps + 5; step++) {
        double s0 = now();
        for (int l = 0; l < L; l++) for (int s = 0; s < 4; s++) {
            double t0 = now(); call(0, &m[l][s]); if (step >= 5) sec[s] += now() - t0;
        }
        double t0 = now(); call(1, &wte); if (step >= 5) sec[4] += now() - t0;
        per[step] = now() - s0;
    }
    qsort(per + 5, steps, sizeof(double), by_value);
    printf("median step %.3f ms\n", per[5 + steps / 2] * 1e3);
    const char *names[5] = {"qkv", "proj", "fc", "fcproj", "lm_head"};
    double bytesPer = fmt == F32 ? 4 : fmt == Q8 ? 1.0625 : 2;
    double total = 0, totalBytes = 0;
    for (int s = 0; s < 5; s++) {
        double w = s < 4 ? (double) L * shapes[s][0] * shapes[s][1] : (double) V * D;
        double ms = sec[s] / steps * 1e3;
        total += ms; totalBytes += w * bytesPer;
        printf("%-8s %7.3f ms  %5.1f GB/s\n", names[s], ms, w * bytesPer / (ms * 1e-3) / 1e9);
    }
    printf("total    %7.3f ms  %5.1f GB/s  (%.0f tok/s of matrices)\n", total, totalBytes / (total * 1e-3) / 1e9, 1e3 / total);
    return 0;
}
