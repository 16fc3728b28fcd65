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

/* Panel rows for a scratch buffer of about `budget_bytes` (0: a default of a few MB), at least 1 and
 * at most M; 0 when the convolution takes the 1x1 / stride-1 / no-padding path that needs no scratch. */
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
/* dw[K, out_c] += im2col(x)^T @ dy, summed panel by panel in ascending row order;
 * db[out_c] += column sums of dy (skipped when db == NULL). Both accumulated. */
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

/* ---- rnn: LSTM / GRU / SimpleRNN steps (rnn.c) ---- */

/* end rnn */

#ifdef __cplusplus
}
#endif
#endif /* FASTNN_H */
