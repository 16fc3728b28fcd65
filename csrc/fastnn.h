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
int fnn_malloc_keep_freed(int64_t mmap_threshold, int64_t trim_threshold);

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
/* B packed once for many products with the same B (e.g. a recurrent kernel used at every time step):
 * fnn_gemm_packed_b_len_* elements (64-byte aligned buffer recommended), filled by fnn_gemm_pack_b_*
 * from op(B) (k x n), then C = alpha * op(A) @ B + beta * C (+ bias) by fnn_gemm_packed_*, with the bits
 * of fnn_gemm_* for m > 4. The layout depends on the ISA level active when packing. */
int64_t fnn_gemm_packed_b_len_f32(int64_t n, int64_t k);
int64_t fnn_gemm_packed_b_len_f64(int64_t n, int64_t k);
void fnn_gemm_pack_b_f32(int trans_b, int64_t n, int64_t k, const float *B, int64_t ldb, float *Bp);
void fnn_gemm_pack_b_f64(int trans_b, int64_t n, int64_t k, const double *B, int64_t ldb, double *Bp);
void fnn_gemm_packed_f32(int trans_a, int64_t m, int64_t n, int64_t k, float alpha, const float *A, int64_t lda,
                         const float *Bp, float beta, float *C, int64_t ldc, const float *bias, int n_threads);
void fnn_gemm_packed_f64(int trans_a, int64_t m, int64_t n, int64_t k, double alpha, const double *A,
                         int64_t lda, const double *Bp, double beta, double *C, int64_t ldc, const double *bias,
                         int n_threads);
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
/* Activation kinds (the Python side maps Keras names onto these). */
enum fnn_activation {
    FNN_ACT_LINEAR = 0, FNN_ACT_RELU = 1, FNN_ACT_SIGMOID = 2, FNN_ACT_TANH = 3,
    FNN_ACT_LEAKY_RELU = 4, /* param = negative_slope */
    FNN_ACT_ELU = 5,        /* param = alpha */
    FNN_ACT_SELU = 6, FNN_ACT_SOFTPLUS = 7, FNN_ACT_SOFTSIGN = 8, FNN_ACT_SWISH = 9,
    FNN_ACT_GELU = 10,      /* erf form */
    FNN_ACT_GELU_TANH = 11, /* tanh approximation */
    FNN_ACT_HARD_SIGMOID = 12, /* relu6(x + 3) / 6 */
    FNN_ACT_EXPONENTIAL = 13, FNN_ACT_RELU6 = 14,
    FNN_ACT_HARD_SWISH = 15, /* x * relu6(x + 3) / 6 */
    FNN_ACT_MISH = 16,
    FNN_ACT_COUNT = 17
};
/* 1 when the backward of `kind` (with this param) is computed from the forward OUTPUT y, 0 when it
 * needs the input x. Activations whose backward uses y may run forward in place (y over x). */
int fnn_act_backward_uses_output(int kind, double param);
/* y[i] = f(x[i]) for i < n (overwritten); y may equal x (in place) but not otherwise overlap it.
 * Unknown kind: y = x. float32 runs AVX2/AVX-512 builds when fnn_isa_active() allows. */
void fnn_act_forward_f32(int kind, int64_t n, const float *x, float *y, float param, int n_threads);
void fnn_act_forward_f64(int kind, int64_t n, const double *x, double *y, double param, int n_threads);
/* dx[i] = dy[i] * f'(x[i]) (overwritten); `a` is y when fnn_act_backward_uses_output(kind, param),
 * else x. dx must not overlap a or dy. */
void fnn_act_backward_f32(int kind, int64_t n, const float *a, const float *dy, float *dx, float param,
                          int n_threads);
void fnn_act_backward_f64(int kind, int64_t n, const double *a, const double *dy, double *dx, double param,
                          int n_threads);

/* Row-wise softmax (log_softmax when `log`) of a [rows, cols] matrix, max-shifted; y overwritten, may
 * equal x. */
void fnn_softmax_f32(int64_t rows, int64_t cols, const float *x, float *y, int log, int n_threads);
void fnn_softmax_f64(int64_t rows, int64_t cols, const double *x, double *y, int log, int n_threads);
/* Backward of the above from its output y [rows, cols] and dy: dx overwritten (may equal dy).
 * softmax: dx = y * (dy - sum_j dy*y);  log_softmax: dx = dy - exp(y) * sum_j dy. */
void fnn_softmax_backward_f32(int64_t rows, int64_t cols, const float *y, const float *dy, float *dx, int log,
                              int n_threads);
void fnn_softmax_backward_f64(int64_t rows, int64_t cols, const double *y, const double *dy, double *dx,
                              int log, int n_threads);

/* Column reductions over a [m, n] row-major matrix use fixed row chunks (a function of m and n only);
 * each chunk's partial sums (double) go to `scratch`, then combine in chunk order: bit-identical for
 * any n_threads. fnn_colsum_scratch_len gives the doubles `scratch` must hold (0: may be NULL). */
int64_t fnn_colsum_scratch_len(int64_t m, int64_t n);
/* out[j] += sum_i dz[i, j]  (accumulated; the bias gradient). */
void fnn_column_sum_accumulate_f32(int64_t m, int64_t n, const float *dz, float *out, double *scratch,
                                   int n_threads);
void fnn_column_sum_accumulate_f64(int64_t m, int64_t n, const double *dz, double *out, double *scratch,
                                   int n_threads);
/* The same sums with their own scratch (the bias gradient of conv and recurrent layers); when the scratch
 * cannot be allocated, the same chunk sums column by column: the same bits, more slowly. */
void fnn_column_sum_add_f32(int64_t m, int64_t n, const float *dz, float *out, int n_threads);
void fnn_column_sum_add_f64(int64_t m, int64_t n, const double *dz, double *out, int n_threads);
/* Plain sequential twins (row order, double accumulators). */
void fnn_column_sum_accumulate_ref_f32(int64_t m, int64_t n, const float *dz, float *out);
void fnn_column_sum_accumulate_ref_f64(int64_t m, int64_t n, const double *dz, double *out);

/* Dropout with a counter-based generator: element i is kept when u(seed, i) >= rate, where u is a
 * uniform [0, 1) double from a splitmix64 hash of (seed, i); the mask is a function of (seed, i)
 * only, so identical for any thread count. keep[i] (uint8, overwritten) = 1 kept / 0 dropped. */
void fnn_dropout_mask(int64_t n, uint64_t seed, double rate, uint8_t *keep, int n_threads);
/* y[i] = keep ? x[i] * scale : 0 and keep[i] written (overwritten); y may equal x. */
void fnn_dropout_forward_f32(int64_t n, uint64_t seed, double rate, float scale, const float *x, float *y,
                             uint8_t *keep, int n_threads);
void fnn_dropout_forward_f64(int64_t n, uint64_t seed, double rate, double scale, const double *x, double *y,
                             uint8_t *keep, int n_threads);
/* dx[i] = keep[i] ? dy[i] * scale : 0 (overwritten; dx may equal dy). */
void fnn_dropout_backward_f32(int64_t n, const uint8_t *keep, float scale, const float *dy, float *dx,
                              int n_threads);
void fnn_dropout_backward_f64(int64_t n, const uint8_t *keep, double scale, const double *dy, double *dx,
                              int n_threads);

/* Batch normalization over the rows of x [m, c] (channels last).
 * stats: mean[c], var[c] (biased) overwritten; two passes, fixed chunks (scratch: fnn_colsum_scratch_len). */
void fnn_bn_stats_f32(int64_t m, int64_t c, const float *x, float *mean, float *var, double *scratch,
                      int n_threads);
void fnn_bn_stats_f64(int64_t m, int64_t c, const double *x, double *mean, double *var, double *scratch,
                      int n_threads);
/* y = (x - mean) * inv_std * gamma + beta (overwritten; gamma/beta NULL mean 1/0). inv_std[c] given. */
void fnn_bn_forward_f32(int64_t m, int64_t c, const float *x, const float *mean, const float *inv_std,
                        const float *gamma, const float *beta, float *y, int n_threads);
void fnn_bn_forward_f64(int64_t m, int64_t c, const double *x, const double *mean, const double *inv_std,
                        const double *gamma, const double *beta, double *y, int n_threads);
/* Backward. xhat = (x - mean) * inv_std. dgamma[c] += sum dy*xhat, dbeta[c] += sum dy (accumulated;
 * either may be NULL). dx (overwritten, may be NULL) = g*inv_std*(dy - sum(dy)/m - xhat*sum(dy*xhat)/m)
 * when `batch_stats` (training), else g*inv_std*dy; g = gamma or 1 when gamma is NULL. */
void fnn_bn_backward_f32(int64_t m, int64_t c, const float *x, const float *mean, const float *inv_std,
                         const float *gamma, const float *dy, float *dgamma, float *dbeta, float *dx,
                         int batch_stats, double *scratch, int n_threads);
void fnn_bn_backward_f64(int64_t m, int64_t c, const double *x, const double *mean, const double *inv_std,
                         const double *gamma, const double *dy, double *dgamma, double *dbeta, double *dx,
                         int batch_stats, double *scratch, int n_threads);
/* Plain sequential twins of stats and backward (double accumulators, row order). */
void fnn_bn_stats_ref_f64(int64_t m, int64_t c, const double *x, double *mean, double *var);
void fnn_bn_stats_ref_f32(int64_t m, int64_t c, const float *x, float *mean, float *var);
void fnn_bn_backward_ref_f32(int64_t m, int64_t c, const float *x, const float *mean, const float *inv_std,
                             const float *gamma, const float *dy, float *dgamma, float *dbeta, float *dx,
                             int batch_stats);
void fnn_bn_backward_ref_f64(int64_t m, int64_t c, const double *x, const double *mean, const double *inv_std,
                             const double *gamma, const double *dy, double *dgamma, double *dbeta, double *dx,
                             int batch_stats);
/* end eltwise */

/* ---- loss: fused losses and their gradients (loss.c) ---- */
/* Softmax cross-entropy of logits z [rows, cols].
 * Sparse: labels[rows] (int64). Rows whose label == ignore_class get loss 0 and gradient 0.
 * Returns -1 - r when labels[r] is outside [0, cols) (and not ignore_class), checked before anything
 * is written; otherwise the sum over rows of w[r] * loss[r] (w = weight or 1 when weight is NULL).
 * loss[rows] overwritten (may be NULL). grad [rows, cols] (overwritten, may be NULL) =
 * (softmax(z) - onehot) * w[r] * scale. */
double fnn_softmax_xent_sparse_f32(int64_t rows, int64_t cols, const float *z, const int64_t *labels,
                                   int64_t ignore_class, const float *weight, double scale, float *loss,
                                   float *grad, int n_threads);
double fnn_softmax_xent_sparse_f64(int64_t rows, int64_t cols, const double *z, const int64_t *labels,
                                   int64_t ignore_class, const double *weight, double scale, double *loss,
                                   double *grad, int n_threads);
/* Dense targets t [rows, cols] (one-hot or probabilities), label smoothing ls applied on the fly:
 * t' = t * (1 - ls) + ls / cols. loss[r] = sum_j t'_j * (lse(z) - z_j);
 * grad = (softmax(z) * sum_j t'_j - t') * w[r] * scale. Returns sum_r w[r] * loss[r]. */
double fnn_softmax_xent_dense_f32(int64_t rows, int64_t cols, const float *z, const float *t, double ls,
                                  const float *weight, double scale, float *loss, float *grad, int n_threads);
double fnn_softmax_xent_dense_f64(int64_t rows, int64_t cols, const double *z, const double *t, double ls,
                                  const double *weight, double scale, double *loss, double *grad,
                                  int n_threads);
/* Cross-entropy of probabilities p [rows, cols] (Keras: p / sum(p), clipped to [eps, 1 - eps]).
 * Sparse labels (same error convention and ignore_class as above) or dense targets (labels == NULL,
 * t given, smoothing ls). grad is d loss / d p (the clip passes no gradient outside its range), times
 * w[r] * scale. Returns sum_r w[r] * loss[r]. */
double fnn_prob_xent_f32(int64_t rows, int64_t cols, const float *p, const int64_t *labels, int64_t ignore_class,
                         const float *t, double ls, double eps, const float *weight, double scale, float *loss,
                         float *grad, int n_threads);
double fnn_prob_xent_f64(int64_t rows, int64_t cols, const double *p, const int64_t *labels,
                         int64_t ignore_class, const double *t, double ls, double eps, const double *weight,
                         double scale, double *loss, double *grad, int n_threads);
/* Plain single-threaded twins of the two softmax cross-entropies (same contract). */
double fnn_softmax_xent_sparse_ref_f64(int64_t rows, int64_t cols, const double *z, const int64_t *labels,
                                       int64_t ignore_class, const double *weight, double scale, double *loss,
                                       double *grad);
double fnn_softmax_xent_sparse_ref_f32(int64_t rows, int64_t cols, const float *z, const int64_t *labels,
                                       int64_t ignore_class, const float *weight, double scale, float *loss,
                                       float *grad);
double fnn_softmax_xent_dense_ref_f64(int64_t rows, int64_t cols, const double *z, const double *t, double ls,
                                      const double *weight, double scale, double *loss, double *grad);
double fnn_softmax_xent_dense_ref_f32(int64_t rows, int64_t cols, const float *z, const float *t, double ls,
                                      const float *weight, double scale, float *loss, float *grad);
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

/* ---- conv: im2col / col2im and convolution (conv.c) ----
 * Channels-last: x (batch, in_h, in_w, in_c), y (batch, out_h, out_w, out_c), kernel w
 * (k_h, k_w, in_c, out_c) row-major, i.e. a (k_h*k_w*in_c, out_c) matrix. An output pixel (n, oh, ow)
 * reads x[n, oh*stride_h - pad_top + i*dil_h, ow*stride_w - pad_left + j*dil_w, :]; positions outside
 * the image read zero. The caller fixes out_h = (in_h + pad_top + pad_bottom - dil_h*(k_h-1) - 1) /
 * stride_h + 1 (likewise out_w), so bottom/right padding is implied by out_h/out_w.
 * "Rows" are output pixels in (n, oh, ow) order: M = batch*out_h*out_w rows; one im2col row holds
 * K = k_h*k_w*in_c values ordered (i, j, c) like the kernel's rows.
 * Scratch: `scratch` holds max(1, n_threads) * scratch_rows * K elements (one panel per thread;
 * fnn_conv2d_scratch_rows gives the panel size the kernels are tuned for). The batch is processed in
 * panels of at most scratch_rows rows (whole images when one fits); their sizes and the order in which
 * they add into accumulated outputs never depend on n_threads, nor do the results. */
typedef struct fnn_conv_geom {
    int64_t batch, in_h, in_w, in_c;
    int64_t out_h, out_w, out_c;
    int64_t k_h, k_w, stride_h, stride_w, dil_h, dil_w;
    int64_t pad_top, pad_left;
} fnn_conv_geom;

/* Panel rows for a scratch buffer of about `budget_bytes` (0: a default of 4 MB), also capped at
 * max(M / 8, 1024) rows so that large batches split into several panels; between 64 and M. 0 when the
 * convolution takes the 1x1 / stride-1 / no-padding path that needs no scratch. */
int64_t fnn_conv2d_scratch_rows(const fnn_conv_geom *g, int64_t elem_size, int64_t budget_bytes);

/* col[rows, K] = the im2col rows row0 .. row0+rows-1 of x (overwritten). */
void fnn_im2col_f32(const fnn_conv_geom *g, const float *x, int64_t row0, int64_t rows, float *col, int n_threads);
void fnn_im2col_f64(const fnn_conv_geom *g, const double *x, int64_t row0, int64_t rows, double *col, int n_threads);
void fnn_im2col_ref_f32(const fnn_conv_geom *g, const float *x, int64_t row0, int64_t rows, float *col);
void fnn_im2col_ref_f64(const fnn_conv_geom *g, const double *x, int64_t row0, int64_t rows, double *col);
/* dx[batch, in_h, in_w, in_c] += col2im(col[rows, K]) for rows row0 .. row0+rows-1: the exact adjoint
 * of im2col (accumulated). */
void fnn_col2im_f32(const fnn_conv_geom *g, const float *col, int64_t row0, int64_t rows, float *dx, int n_threads);
void fnn_col2im_f64(const fnn_conv_geom *g, const double *col, int64_t row0, int64_t rows, double *dx, int n_threads);
void fnn_col2im_ref_f32(const fnn_conv_geom *g, const float *col, int64_t row0, int64_t rows, float *dx);
void fnn_col2im_ref_f64(const fnn_conv_geom *g, const double *col, int64_t row0, int64_t rows, double *dx);

/* y = conv2d(x, w) (+ bias[out_c] when bias != NULL): y overwritten. */
void fnn_conv2d_forward_f32(const fnn_conv_geom *g, const float *x, const float *w, const float *bias, float *y,
                            float *scratch, int64_t scratch_rows, int n_threads);
void fnn_conv2d_forward_f64(const fnn_conv_geom *g, const double *x, const double *w, const double *bias, double *y,
                            double *scratch, int64_t scratch_rows, int n_threads);
/* dx = gradient of the input (overwritten): per panel dcol = dy @ w^T, then col2im. */
void fnn_conv2d_backward_data_f32(const fnn_conv_geom *g, const float *dy, const float *w, float *dx,
                                  float *scratch, int64_t scratch_rows, int n_threads);
void fnn_conv2d_backward_data_f64(const fnn_conv_geom *g, const double *dy, const double *w, double *dx,
                                  double *scratch, int64_t scratch_rows, int n_threads);
/* dw[K, out_c] += im2col(x)^T @ dy; db[out_c] += column sums of dy (skipped when db == NULL). Both
 * accumulated. With 4 or more panels the panels form 4 fixed lanes whose sums (lane 0 onto dw, the others
 * in a temporary of 3*K*out_c elements, malloc'ed) are added in lane order; otherwise panels add in
 * ascending order. */
void fnn_conv2d_backward_filter_f32(const fnn_conv_geom *g, const float *x, const float *dy, float *dw, float *db,
                                    float *scratch, int64_t scratch_rows, int n_threads);
void fnn_conv2d_backward_filter_f64(const fnn_conv_geom *g, const double *x, const double *dy, double *dw, double *db,
                                    double *scratch, int64_t scratch_rows, int n_threads);
/* Direct (7-loop) references with the same contracts, single-threaded, no scratch. */
void fnn_conv2d_forward_ref_f32(const fnn_conv_geom *g, const float *x, const float *w, const float *bias, float *y);
void fnn_conv2d_forward_ref_f64(const fnn_conv_geom *g, const double *x, const double *w, const double *bias, double *y);
void fnn_conv2d_backward_data_ref_f32(const fnn_conv_geom *g, const float *dy, const float *w, float *dx);
void fnn_conv2d_backward_data_ref_f64(const fnn_conv_geom *g, const double *dy, const double *w, double *dx);
void fnn_conv2d_backward_filter_ref_f32(const fnn_conv_geom *g, const float *x, const float *dy, float *dw, float *db);
void fnn_conv2d_backward_filter_ref_f64(const fnn_conv_geom *g, const double *x, const double *dy, double *dw, double *db);

/* end conv */

/* ---- pool: pooling (pool.c) ----
 * Channels-last x (batch, in_h, in_w, channels) -> y (batch, out_h, out_w, channels). Window (oh, ow)
 * covers rows oh*stride_h - pad_top .. + pool_h - 1 and columns ow*stride_w - pad_left .. + pool_w - 1;
 * positions outside the image are ignored (never part of a max, never counted in an average). The caller
 * fixes out_h/out_w (bottom/right padding implied). Results never depend on n_threads. */
typedef struct fnn_pool_geom {
    int64_t batch, in_h, in_w, channels;
    int64_t out_h, out_w;
    int64_t pool_h, pool_w, stride_h, stride_w;
    int64_t pad_top, pad_left;
} fnn_pool_geom;

/* Max pooling: y and argmax[batch, out_h, out_w, channels] overwritten; argmax holds ih*in_w + iw of the
 * first maximum in row-major window order (-1 and y = 0 for a window with no valid position). */
void fnn_maxpool2d_forward_f32(const fnn_pool_geom *g, const float *x, float *y, int32_t *argmax, int n_threads);
void fnn_maxpool2d_forward_f64(const fnn_pool_geom *g, const double *x, double *y, int32_t *argmax, int n_threads);
void fnn_maxpool2d_forward_ref_f32(const fnn_pool_geom *g, const float *x, float *y, int32_t *argmax);
void fnn_maxpool2d_forward_ref_f64(const fnn_pool_geom *g, const double *x, double *y, int32_t *argmax);
/* dx (overwritten) = dy routed to the remembered argmax positions (summed where windows overlap). */
void fnn_maxpool2d_backward_f32(const fnn_pool_geom *g, const float *dy, const int32_t *argmax, float *dx, int n_threads);
void fnn_maxpool2d_backward_f64(const fnn_pool_geom *g, const double *dy, const int32_t *argmax, double *dx, int n_threads);
void fnn_maxpool2d_backward_ref_f32(const fnn_pool_geom *g, const float *dy, const int32_t *argmax, float *dx);
void fnn_maxpool2d_backward_ref_f64(const fnn_pool_geom *g, const double *dy, const int32_t *argmax, double *dx);
/* Average pooling over the valid positions of each window (Keras/TF: padding is not counted):
 * y overwritten; backward: dx (overwritten) = dy / count spread over each window. */
void fnn_avgpool2d_forward_f32(const fnn_pool_geom *g, const float *x, float *y, int n_threads);
void fnn_avgpool2d_forward_f64(const fnn_pool_geom *g, const double *x, double *y, int n_threads);
void fnn_avgpool2d_forward_ref_f32(const fnn_pool_geom *g, const float *x, float *y);
void fnn_avgpool2d_forward_ref_f64(const fnn_pool_geom *g, const double *x, double *y);
void fnn_avgpool2d_backward_f32(const fnn_pool_geom *g, const float *dy, float *dx, int n_threads);
void fnn_avgpool2d_backward_f64(const fnn_pool_geom *g, const double *dy, double *dx, int n_threads);
void fnn_avgpool2d_backward_ref_f32(const fnn_pool_geom *g, const float *dy, float *dx);
void fnn_avgpool2d_backward_ref_f64(const fnn_pool_geom *g, const double *dy, double *dx);
/* Global pooling over x (batch, spatial, channels) -> y (batch, channels), overwritten. Max keeps the
 * first maximum's spatial index in argmax (batch, channels); backward overwrites dx. */
void fnn_global_avgpool_forward_f32(int64_t batch, int64_t spatial, int64_t channels, const float *x, float *y, int n_threads);
void fnn_global_avgpool_forward_f64(int64_t batch, int64_t spatial, int64_t channels, const double *x, double *y, int n_threads);
void fnn_global_avgpool_backward_f32(int64_t batch, int64_t spatial, int64_t channels, const float *dy, float *dx, int n_threads);
void fnn_global_avgpool_backward_f64(int64_t batch, int64_t spatial, int64_t channels, const double *dy, double *dx, int n_threads);
void fnn_global_maxpool_forward_f32(int64_t batch, int64_t spatial, int64_t channels, const float *x, float *y,
                                    int32_t *argmax, int n_threads);
void fnn_global_maxpool_forward_f64(int64_t batch, int64_t spatial, int64_t channels, const double *x, double *y,
                                    int32_t *argmax, int n_threads);
void fnn_global_maxpool_backward_f32(int64_t batch, int64_t spatial, int64_t channels, const float *dy,
                                     const int32_t *argmax, float *dx, int n_threads);
void fnn_global_maxpool_backward_f64(int64_t batch, int64_t spatial, int64_t channels, const double *dy,
                                     const int32_t *argmax, double *dx, int n_threads);

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
