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
/* Fused element-wise updates of one parameter array w[n] with its gradient g[n] (read only) and its
 * optimizer state arrays [n], all overwritten in place. Scalars are given in double and rounded to the
 * array's dtype. Every kernel first prepares the gradient as Keras does:
 *   g' = clip(g * grad_scale, -clip_value, clip_value)   (no clipping when clip_value <= 0)
 * (grad_scale carries clipnorm / global_clipnorm; 1 when off), then applies decoupled weight decay
 *   w = w - w * decay   (decay = weight_decay * lr; skipped when 0)
 * then the optimizer's step. Chunks of FNN_OPTIM_CHUNK elements, bit-identical for any n_threads; the
 * `_ref` twins are plain single-threaded loops with the same rounding. */
#define FNN_OPTIM_CHUNK 16384
/* SGD (Keras 3). velocity [n] or NULL when momentum == 0: v = momentum*v - lr*g; w += v
 * (nesterov: w += momentum*v - lr*g); without velocity w -= lr*g. */
void fnn_sgd_f32(int64_t n, float *w, const float *g, float *velocity, double lr, double momentum,
                 int nesterov, double grad_scale, double clip_value, double decay, int n_threads);
void fnn_sgd_f64(int64_t n, double *w, const double *g, double *velocity, double lr, double momentum,
                 int nesterov, double grad_scale, double clip_value, double decay, int n_threads);
void fnn_sgd_ref_f32(int64_t n, float *w, const float *g, float *velocity, double lr, double momentum,
                     int nesterov, double grad_scale, double clip_value, double decay);
void fnn_sgd_ref_f64(int64_t n, double *w, const double *g, double *velocity, double lr, double momentum,
                     int nesterov, double grad_scale, double clip_value, double decay);
/* Adagrad: acc += g^2; w -= lr*g / sqrt(acc + epsilon). */
void fnn_adagrad_f32(int64_t n, float *w, const float *g, float *accumulator, double lr, double epsilon,
                     double grad_scale, double clip_value, double decay, int n_threads);
void fnn_adagrad_f64(int64_t n, double *w, const double *g, double *accumulator, double lr, double epsilon,
                     double grad_scale, double clip_value, double decay, int n_threads);
void fnn_adagrad_ref_f32(int64_t n, float *w, const float *g, float *accumulator, double lr, double epsilon,
                         double grad_scale, double clip_value, double decay);
void fnn_adagrad_ref_f64(int64_t n, double *w, const double *g, double *accumulator, double lr,
                         double epsilon, double grad_scale, double clip_value, double decay);
/* Adadelta: Eg = rho*Eg + (1-rho)*g^2; d = -sqrt(Ed + eps)*g / sqrt(Eg + eps);
 * Ed = rho*Ed + (1-rho)*d^2; w += lr*d. */
void fnn_adadelta_f32(int64_t n, float *w, const float *g, float *acc_grad, float *acc_delta, double lr,
                      double rho, double epsilon, double grad_scale, double clip_value, double decay,
                      int n_threads);
void fnn_adadelta_f64(int64_t n, double *w, const double *g, double *acc_grad, double *acc_delta, double lr,
                      double rho, double epsilon, double grad_scale, double clip_value, double decay,
                      int n_threads);
void fnn_adadelta_ref_f32(int64_t n, float *w, const float *g, float *acc_grad, float *acc_delta, double lr,
                          double rho, double epsilon, double grad_scale, double clip_value, double decay);
void fnn_adadelta_ref_f64(int64_t n, double *w, const double *g, double *acc_grad, double *acc_delta,
                          double lr, double rho, double epsilon, double grad_scale, double clip_value,
                          double decay);
/* RMSprop: v = rho*v + (1-rho)*g^2; centered (avg_grad != NULL): a = rho*a + (1-rho)*g,
 * den = v - a^2 + eps, else den = v + eps; inc = lr*g/sqrt(den); momentum_buf != NULL: mb = momentum*mb + inc,
 * w -= mb; else w -= inc. */
void fnn_rmsprop_f32(int64_t n, float *w, const float *g, float *velocity, float *momentum_buf,
                     float *avg_grad, double lr, double rho, double momentum, double epsilon,
                     double grad_scale, double clip_value, double decay, int n_threads);
void fnn_rmsprop_f64(int64_t n, double *w, const double *g, double *velocity, double *momentum_buf,
                     double *avg_grad, double lr, double rho, double momentum, double epsilon,
                     double grad_scale, double clip_value, double decay, int n_threads);
void fnn_rmsprop_ref_f32(int64_t n, float *w, const float *g, float *velocity, float *momentum_buf,
                         float *avg_grad, double lr, double rho, double momentum, double epsilon,
                         double grad_scale, double clip_value, double decay);
void fnn_rmsprop_ref_f64(int64_t n, double *w, const double *g, double *velocity, double *momentum_buf,
                         double *avg_grad, double lr, double rho, double momentum, double epsilon,
                         double grad_scale, double clip_value, double decay);
/* Adam (Keras 3): m += (g-m)*(1-b1); v += (g^2-v)*(1-b2); amsgrad (v_hat != NULL): v_hat = max(v_hat, v)
 * replaces v below; w -= m*alpha / (sqrt(v) + eps), alpha = lr*sqrt(1-b2^t)/(1-b1^t) from the caller. */
void fnn_adam_f32(int64_t n, float *w, const float *g, float *m, float *v, float *v_hat, double alpha,
                  double beta_1, double beta_2, double epsilon, double grad_scale, double clip_value,
                  double decay, int n_threads);
void fnn_adam_f64(int64_t n, double *w, const double *g, double *m, double *v, double *v_hat, double alpha,
                  double beta_1, double beta_2, double epsilon, double grad_scale, double clip_value,
                  double decay, int n_threads);
void fnn_adam_ref_f32(int64_t n, float *w, const float *g, float *m, float *v, float *v_hat, double alpha,
                      double beta_1, double beta_2, double epsilon, double grad_scale, double clip_value,
                      double decay);
void fnn_adam_ref_f64(int64_t n, double *w, const double *g, double *m, double *v, double *v_hat,
                      double alpha, double beta_1, double beta_2, double epsilon, double grad_scale,
                      double clip_value, double decay);
/* Nadam (Keras 3): m += (g-m)*(1-b1); v += (g^2-v)*(1-b2);
 * m_hat = u_next*m/(1-u_prod_next) + (1-u_t)*g/(1-u_prod); v_hat = v/(1-b2^t);
 * w -= m_hat*lr / (sqrt(v_hat) + eps). */
void fnn_nadam_f32(int64_t n, float *w, const float *g, float *m, float *v, double lr, double beta_1,
                   double beta_2, double epsilon, double u_t, double u_next, double u_prod,
                   double u_prod_next, double beta_2_power, double grad_scale, double clip_value,
                   double decay, int n_threads);
void fnn_nadam_f64(int64_t n, double *w, const double *g, double *m, double *v, double lr, double beta_1,
                   double beta_2, double epsilon, double u_t, double u_next, double u_prod,
                   double u_prod_next, double beta_2_power, double grad_scale, double clip_value,
                   double decay, int n_threads);
void fnn_nadam_ref_f32(int64_t n, float *w, const float *g, float *m, float *v, double lr, double beta_1,
                       double beta_2, double epsilon, double u_t, double u_next, double u_prod,
                       double u_prod_next, double beta_2_power, double grad_scale, double clip_value,
                       double decay);
void fnn_nadam_ref_f64(int64_t n, double *w, const double *g, double *m, double *v, double lr,
                       double beta_1, double beta_2, double epsilon, double u_t, double u_next,
                       double u_prod, double u_prod_next, double beta_2_power, double grad_scale,
                       double clip_value, double decay);
/* Sum of squares for clipnorm: partials[c] = sum of x^2 (in double) over chunk c of FNN_OPTIM_CHUNK
 * elements (overwritten; fnn_optim_num_chunks(n) entries). The caller adds partials in order. */
int64_t fnn_optim_num_chunks(int64_t n);
void fnn_sumsq_chunks_f32(int64_t n, const float *x, double *partials, int n_threads);
void fnn_sumsq_chunks_f64(int64_t n, const double *x, double *partials, int n_threads);
/* Plain sequential sum of x^2 in double. */
double fnn_sumsq_ref_f32(int64_t n, const float *x);
double fnn_sumsq_ref_f64(int64_t n, const double *x);

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
