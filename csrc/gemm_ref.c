/* Reference GEMM: the obvious triple loop, accumulating in the operand type, k in ascending order.
 * The optimized kernels in gemm.c are tested against it. */
#include "fastnn.h"

#define DEFINE_GEMM_REF(T, SUFFIX)                                                              \
    void fnn_gemm_ref_##SUFFIX(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,      \
                               T alpha, const T *A, int64_t lda, const T *B, int64_t ldb,      \
                               T beta, T *C, int64_t ldc, const T *bias)                       \
    {                                                                                          \
        for (int64_t i = 0; i < m; ++i)                                                        \
            for (int64_t j = 0; j < n; ++j) {                                                  \
                T acc = 0;                                                                     \
                for (int64_t p = 0; p < k; ++p) {                                              \
                    T a = trans_a ? A[p * lda + i] : A[i * lda + p];                           \
                    T b = trans_b ? B[j * ldb + p] : B[p * ldb + j];                           \
                    acc += a * b;                                                              \
                }                                                                              \
                T out = alpha * acc;                                                           \
                if (beta != 0) out += beta * C[i * ldc + j];                                   \
                if (bias) out += bias[j];                                                      \
                C[i * ldc + j] = out;                                                          \
            }                                                                                  \
    }

DEFINE_GEMM_REF(float, f32)
DEFINE_GEMM_REF(double, f64)
