// sgemm_peak: the OpenBLAS sgemm rate this machine reaches, the ceiling the runtime benchmarks compare to.
//
//   cc -O2 Benchmarks/sgemm_peak.c -lopenblas -o sgemm_peak && ./sgemm_peak [THREADS] [SIZE] [SECONDS]
//
// Times C = A·B on SIZE×SIZE F32 matrices (default 2048) on THREADS OpenBLAS threads (default: OpenBLAS's own
// choice) for at least SECONDS (default 2) after one warm-up call, and prints one JSON line: the best call's
// GFLOP/s (2·SIZE³ flops), the threads and the kernel OpenBLAS chose (its core name, which OPENBLAS_CORETYPE
// overrides). Benchmarks/runtime.sh and train_step.sh run it in the same run as the model they measure.
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc > 1) openblas_set_num_threads(atoi(argv[1]));
    int n = argc > 2 ? atoi(argv[2]) : 2048;
    double seconds = argc > 3 ? atof(argv[3]) : 2;
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n), *c = malloc(sizeof(float) * n * n);
    if (!a || !b || !c) { fprintf(stderr, "sgemm_peak: cannot allocate three %d×%d matrices\n", n, n); return 1; }
    for (long i = 0; i < (long)n * n; i++) { a[i] = (float)(i % 7) / 7 - 0.5f; b[i] = (float)(i % 5) / 5 - 0.5f; c[i] = 0; }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);  // warm-up
    double best = 1e30, start = now();
    int calls = 0;
    while (calls < 3 || now() - start < seconds) {
        double t0 = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
        double t = now() - t0;
        if (t < best) best = t;
        calls++;
    }
    printf("{\"side\": \"sgemm-peak\", \"size\": %d, \"threads\": %d, \"calls\": %d, \"gflopsPerSecond\": %.1f, \"core\": \"%s\"}\n",
           n, openblas_get_num_threads(), calls, 2.0 * n * n * (double)n / best / 1e9, openblas_get_corename());
    free(a); free(b); free(c);
    return 0;
}
