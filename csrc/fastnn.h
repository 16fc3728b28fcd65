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
 * k == 0 gives C = beta * C (+ bias). Bit-identical for any n_threads.
 */
void fnn_gemm_f32(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                  float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                  float beta, float *C, int64_t ldc, const float *bias, int n_threads);
void fnn_gemm_f64(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                  double alpha, const double *A, int64_t lda, const double *B, int64_t ldb,
                  double beta, double *C, int64_t ldc, const double *bias, int n_threads);
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

/* ---- rnn: LSTM / GRU / SimpleRNN steps (rnn.c) ----
 * Whole sequences, one direction, time-major buffers: T_ steps, N samples, D input features, U units.
 * act / rec_act: FNN_RNN_* codes. mask: (T_, N) uint8 (0 = masked step: state carried unchanged) or NULL.
 * rmask: (N, U) recurrent-dropout multipliers applied to h_{t-1} in the recurrent GEMMs, or NULL.
 * H: (T_+1, N, U) states: H[0] = h0 is read, H[1..T_] are written (H[t+1] = h_t). Likewise C for LSTM.
 * HD: (T_, N, U) written with h_{t-1} * rmask when rmask (read back by backward), else unused (may be NULL).
 * Backward: dY (T_, N, U) gradient w.r.t. H[1..T_] or NULL; dh (N, U) in: gradient w.r.t. the final h,
 * out: w.r.t. h0 (dc likewise for LSTM); dG scratch written with the gate pre-activation gradients;
 * dx (T_, N, D) OVERWRITTEN (or NULL: skipped); dK, dR, db ACCUMULATED += (each may be NULL: skipped);
 * work: (N, U) scratch. Results are bit-identical for any n_threads. `_ref`: plain loops + fnn_gemm_ref. */
#define FNN_RNN_LINEAR 0
#define FNN_RNN_TANH 1
#define FNN_RNN_SIGMOID 2
#define FNN_RNN_RELU 3
#define FNN_RNN_HARD_SIGMOID 4

/* LSTM (Keras gate order i, f, c, o): K (D, 4U), R (U, 4U), b (4U) or NULL.
 * G (T_, N, 4U) written: gate activations; C (T_+1, N, U) cell states; AC (T_, N, U) act(c_t). */
#define FNN_LSTM_DECL(T, S)                                                                               \
    void fnn_lstm_forward_##S(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int rec_act,          \
                              const T *x, const T *K, const T *R, const T *b, const uint8_t *mask,        \
                              const T *rmask, T *G, T *H, T *C, T *AC, T *HD, int n_threads);             \
    void fnn_lstm_forward_ref_##S(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int rec_act,      \
                                  const T *x, const T *K, const T *R, const T *b, const uint8_t *mask,    \
                                  const T *rmask, T *G, T *H, T *C, T *AC, T *HD);                        \
    void fnn_lstm_backward_##S(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int rec_act,         \
                               const T *x, const T *K, const T *R, const uint8_t *mask, const T *rmask,   \
                               const T *G, const T *H, const T *C, const T *AC, const T *HD, const T *dY, \
                               T *dh, T *dc, T *dG, T *dx, T *dK, T *dR, T *db, T *work, int n_threads);  \
    void fnn_lstm_backward_ref_##S(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int rec_act,     \
                                   const T *x, const T *K, const T *R, const uint8_t *mask,               \
                                   const T *rmask, const T *G, const T *H, const T *C, const T *AC,       \
                                   const T *HD, const T *dY, T *dh, T *dc, T *dG, T *dx, T *dK, T *dR,    \
                                   T *db, T *work);
FNN_LSTM_DECL(float, f32)
FNN_LSTM_DECL(double, f64)

/* GRU (Keras gate order z, r, h~): K (D, 3U), R (U, 3U); b (2, 3U) [input; recurrent] with reset_after,
 * (3U) without, or NULL. G (T_, N, 3U) written: z, r, h~. S: reset_after: (T_, N, 3U) recurrent
 * projections h_{t-1} R + b_rec; otherwise (T_, N, U) r * h_{t-1}. Backward: dG (T_, N, 3U) input-side
 * gradients; dGr (T_, N, 3U) recurrent-side ones (reset_after only, else NULL). */
#define FNN_GRU_DECL(T, S)                                                                                \
    void fnn_gru_forward_##S(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int rec_act,           \
                             int reset_after, const T *x, const T *K, const T *R, const T *b,             \
                             const uint8_t *mask, const T *rmask, T *G, T *Sb, T *H, T *HD, int n_threads); \
    void fnn_gru_forward_ref_##S(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int rec_act,       \
                                 int reset_after, const T *x, const T *K, const T *R, const T *b,         \
                                 const uint8_t *mask, const T *rmask, T *G, T *Sb, T *H, T *HD);          \
    void fnn_gru_backward_##S(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int rec_act,          \
                              int reset_after, const T *x, const T *K, const T *R, const uint8_t *mask,   \
                              const T *rmask, const T *G, const T *Sb, const T *H, const T *HD,           \
                              const T *dY, T *dh, T *dG, T *dGr, T *dx, T *dK, T *dR, T *db, T *work,     \
                              int n_threads);                                                             \
    void fnn_gru_backward_ref_##S(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int rec_act,      \
                                  int reset_after, const T *x, const T *K, const T *R,                    \
                                  const uint8_t *mask, const T *rmask, const T *G, const T *Sb,           \
                                  const T *H, const T *HD, const T *dY, T *dh, T *dG, T *dGr, T *dx,      \
                                  T *dK, T *dR, T *db, T *work);
FNN_GRU_DECL(float, f32)
FNN_GRU_DECL(double, f64)

/* SimpleRNN: K (D, U), R (U, U), b (U) or NULL; G (T_, N, U) scratch (pre-activations / their grads). */
#define FNN_SIMPLE_RNN_DECL(T, S)                                                                         \
    void fnn_simple_rnn_forward_##S(int64_t T_, int64_t N, int64_t D, int64_t U, int act, const T *x,     \
                                    const T *K, const T *R, const T *b, const uint8_t *mask,              \
                                    const T *rmask, T *G, T *H, T *HD, int n_threads);                    \
    void fnn_simple_rnn_forward_ref_##S(int64_t T_, int64_t N, int64_t D, int64_t U, int act, const T *x, \
                                        const T *K, const T *R, const T *b, const uint8_t *mask,          \
                                        const T *rmask, T *G, T *H, T *HD);                               \
    void fnn_simple_rnn_backward_##S(int64_t T_, int64_t N, int64_t D, int64_t U, int act, const T *x,    \
                                     const T *K, const T *R, const uint8_t *mask, const T *rmask,         \
                                     const T *H, const T *HD, const T *dY, T *dh, T *dG, T *dx, T *dK,    \
                                     T *dR, T *db, T *work, int n_threads);                               \
    void fnn_simple_rnn_backward_ref_##S(int64_t T_, int64_t N, int64_t D, int64_t U, int act,            \
                                         const T *x, const T *K, const T *R, const uint8_t *mask,         \
                                         const T *rmask, const T *H, const T *HD, const T *dY, T *dh,     \
                                         T *dG, T *dx, T *dK, T *dR, T *db, T *work);
FNN_SIMPLE_RNN_DECL(float, f32)
FNN_SIMPLE_RNN_DECL(double, f64)

/* end rnn */

#ifdef __cplusplus
}
#endif
#endif /* FASTNN_H */
