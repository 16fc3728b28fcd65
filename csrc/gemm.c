/* GEMM driver (first version: row-parallel i-p-j loops that GCC vectorizes; to be replaced by the
 * packed, register-blocked kernels). Rows of C are split across threads; each row's k sum runs in
 * ascending order, so results do not depend on n_threads. */
#include "fastnn.h"
#include <string.h>

#define DEFINE_GEMM(T, SUFFIX)                                                                 \
    void fnn_gemm_##SUFFIX(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,         \
                           T alpha, const T *A, int64_t lda, const T *B, int64_t ldb,         \
                           T beta, T *C, int64_t ldc, const T *bias, int n_threads)            \
    {                                                                                          \
        if (m <= 0 || n <= 0) return;                                                          \
        int threads = (double)m * n * k < 2e6 ? 1 : n_threads;                                 \
        _Pragma("omp parallel for num_threads(threads) schedule(static) if(threads > 1)")     \
        for (int64_t i = 0; i < m; ++i) {                                                      \
            T *c = C + i * ldc;                                                                \
            T row[n];                                                                          \
            memset(row, 0, sizeof(T) * n);                                                     \
            for (int64_t p = 0; p < k; ++p) {                                                  \
                T a = trans_a ? A[p * lda + i] : A[i * lda + p];                               \
                if (trans_b) {                                                                 \
                    for (int64_t j = 0; j < n; ++j) row[j] += a * B[j * ldb + p];              \
                } else {                                                                       \
                    const T *b = B + p * ldb;                                                  \
                    for (int64_t j = 0; j < n; ++j) row[j] += a * b[j];                        \
                }                                                                              \
            }                                                                                  \
            for (int64_t j = 0; j < n; ++j) {                                                  \
                T out = alpha * row[j];                                                        \
                if (beta != 0) out += beta * c[j];                                             \
                if (bias) out += bias[j];                                                      \
                c[j] = out;                                                                    \
            }                                                                                  \
        }                                                                                      \
    }

DEFINE_GEMM(float, f32)
DEFINE_GEMM(double, f64)
