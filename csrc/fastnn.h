/* fastnn C API: the one public header of the C kernels.
 *
 * Contract for every kernel (see docs/ARCHITECTURE.md):
 *  - raw pointers and int64 sizes, row-major; no allocation of outputs, no Python;
 *  - `n_threads` is explicit; results never depend on it (work is split into fixed chunks,
 *    partial sums combine in a fixed order, never a k-split);
 *  - each prototype states the shapes, and whether each output is overwritten or accumulated (+=).
 * Every optimized kernel has a plain `*_ref` twin used by the tests.
 */
#ifndef FASTNN_H
#define FASTNN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- runtime information and ISA dispatch (dispatch.c) ---- */
enum fnn_isa { FNN_ISA_GENERIC = 0, FNN_ISA_AVX2 = 1, FNN_ISA_AVX512 = 2 };
/* Best ISA level this CPU supports (cached after the first call). */
int fnn_isa_detected(void);
/* ISA level the kernels use now: the detected one, unless lowered by fnn_isa_force. */
int fnn_isa_active(void);
/* Force a lower ISA level (tests exercise every path); clamped to what the CPU supports.
 * Returns the level now active. A negative level restores the detected one. */
int fnn_isa_force(int level);
const char *fnn_isa_name(int level);
const char *fnn_build_flags(void);
int fnn_openmp_enabled(void);
/* Usable OpenMP threads (omp_get_max_threads), 1 without OpenMP. */
int fnn_omp_max_threads(void);

/* ---- GEMM (gemm.c, gemm_ref.c) ----
 * C[m,n] = alpha * op(A)[m,k] @ op(B)[k,n] + beta * C[m,n]  (+ bias[n] on every row when bias != NULL)
 * Row-major. op(A) = A (m x k, lda >= k) or, with trans_a, A^T where A is k x m (lda >= m);
 * likewise op(B) = B (k x n, ldb >= n) or B^T where B is n x k (ldb >= k). ldc >= n.
 * beta == 0 overwrites C (its old contents, even NaN, are ignored); otherwise C is scaled and accumulated.
 * k == 0 gives C = beta * C (+ bias); so does alpha == 0 (BLAS convention: A and B are then not read).
 * Bit-identical for any n_threads (the k loop is never split; see docs/GEMM.md).
 * Overlap of C with A or B is not allowed (fastnn.ops.matmul copies in that case).
 */
void fnn_gemm_f32(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                  float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                  float beta, float *C, int64_t ldc, const float *bias, int n_threads);
void fnn_gemm_f64(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                  double alpha, const double *A, int64_t lda, const double *B, int64_t ldb,
                  double beta, double *C, int64_t ldc, const double *bias, int n_threads);
/* Test hook: while `on` is nonzero every GEMM pack-buffer allocation fails, so the tests exercise the
 * fallbacks (direct engine, then one stack panel per thread); results must not change. Returns the old value. */
int fnn_gemm_test_fail_alloc(int on);
/* Plain triple loop with the same contract, single-threaded; the tests' reference. */
void fnn_gemm_ref_f32(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                      float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                      float beta, float *C, int64_t ldc, const float *bias);
void fnn_gemm_ref_f64(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                      double alpha, const double *A, int64_t lda, const double *B, int64_t ldb,
                      double beta, double *C, int64_t ldc, const double *bias);

/* ---- eltwise: activations, reductions, dropout, batch-norm statistics (eltwise.c) ---- */

/* end eltwise */

/* ---- loss: fused losses and their gradients (loss.c) ---- */

/* end loss */

/* ---- optim: fused optimizer updates (optim.c) ---- */

/* end optim */

/* ---- conv: im2col / col2im and convolution (conv.c) ---- */

/* end conv */

/* ---- pool: pooling (pool.c) ---- */

/* end pool */

/* ---- rnn: LSTM / GRU / SimpleRNN steps (rnn.c) ---- */

/* end rnn */

#ifdef __cplusplus
}
#endif
#endif /* FASTNN_H */
