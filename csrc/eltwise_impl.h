/* Template body of eltwise.c, included once per float type with
 *   T       the element type (float or double)
 *   SFX(f)  the suffixed name (f##_f32 / f##_f64)
 * Math calls go through <tgmath.h>, so they pick the float or double variant from T. */

/* ---------------- activations ---------------- */

static inline T SFX(sigmoid_)(T v) { return (T)1 / ((T)1 + EXPT(-v)); }

static inline T SFX(softplus_)(T v) { return fmax(v, (T)0) + log1p(exp(-fabs(v))); }

#define ISA_TARGET
#define ISA_SFX(f) SFX(f##_generic)
#include "act_impl.h"
#undef ISA_TARGET
#undef ISA_SFX
#if ELT_ISA_VARIANTS
#define ISA_TARGET __attribute__((target("avx2,fma")))
#define ISA_SFX(f) SFX(f##_avx2)
#include "act_impl.h"
#undef ISA_TARGET
#undef ISA_SFX
#define ISA_TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,fma")))
#define ISA_SFX(f) SFX(f##_avx512)
#include "act_impl.h"
#undef ISA_TARGET
#undef ISA_SFX
#endif

/* fn = the build of block function `name` for the active ISA (name_generic without ISA variants). */
#if ELT_ISA_VARIANTS
#define ELT_ISA_PICK(fn, name)                                                                   \
    do {                                                                                         \
        const int isa_ = fnn_isa_active();                                                       \
        fn = isa_ >= FNN_ISA_AVX512 ? SFX(name##_avx512)                                         \
             : isa_ >= FNN_ISA_AVX2 ? SFX(name##_avx2)                                           \
                                    : SFX(name##_generic);                                       \
    } while (0)
#else
#define ELT_ISA_PICK(fn, name) ((fn) = SFX(name##_generic))
#endif

typedef void (*SFX(act_inplace_fn))(int, int64_t, T *, T);
typedef void (*SFX(act_block_fn))(int, int64_t, const T *restrict, T *restrict, T);
typedef void (*SFX(act_backward_fn))(int, int64_t, const T *restrict, const T *restrict, T *restrict, T, int);

void SFX(fnn_act_forward)(int kind, int64_t n, const T *x, T *y, T param, int n_threads)
{
    const int64_t n_blocks = (n + ELT_BLOCK - 1) / ELT_BLOCK;
    const int par = n_threads > 1 && n >= act_par_min(kind);
    SFX(act_inplace_fn) inplace;
    SFX(act_block_fn) block;
    ELT_ISA_PICK(inplace, act_forward_inplace);
    ELT_ISA_PICK(block, act_forward_block);
    OMP_FOR_IF(par)
    for (int64_t b = 0; b < n_blocks; b++) {
        const int64_t i0 = b * ELT_BLOCK, len = n - i0 < ELT_BLOCK ? n - i0 : ELT_BLOCK;
        if (x == y)
            inplace(kind, len, y + i0, param);
        else
            block(kind, len, x + i0, y + i0, param);
    }
}

void SFX(fnn_act_backward)(int kind, int64_t n, const T *a, const T *dy, T *dx, T param, int n_threads)
{
    const int64_t n_blocks = (n + ELT_BLOCK - 1) / ELT_BLOCK;
    const int par = n_threads > 1 && n >= act_par_min(kind);
    const int from_y = fnn_act_backward_uses_output(kind, (double)param);
    SFX(act_backward_fn) block;
    ELT_ISA_PICK(block, act_backward_block);
    OMP_FOR_IF(par)
    for (int64_t b = 0; b < n_blocks; b++) {
        const int64_t i0 = b * ELT_BLOCK, len = n - i0 < ELT_BLOCK ? n - i0 : ELT_BLOCK;
        block(kind, len, a + i0, dy + i0, dx + i0, param, from_y);
    }
}

/* ---------------- softmax over the last axis ---------------- */

#include "row_math_impl.h"

static void SFX(softmax_row)(int64_t cols, const T *x, T *y, int log_out)
{
    T mx;
    if (log_out) {
        /* y may alias x: the exponentials go through the stack, then y = x - lse */
        const T lse = (T)SFX(row_lse)(cols, x, NULL, &mx, NULL);
        for (int64_t j = 0; j < cols; j++)
            y[j] = x[j] - lse;
    } else {
        mx = SFX(row_max)(cols, x);
        if (isinf(mx) && mx < 0)
            mx = 0;
        SFX(exp_shift)(cols, x, mx, y);  /* elementwise, so safe when y == x */
        const T inv = (T)(1.0 / SFX(row_sum)(cols, y));
        for (int64_t j = 0; j < cols; j++)
            y[j] *= inv;
    }
}

void SFX(fnn_softmax)(int64_t rows, int64_t cols, const T *x, T *y, int log_out, int n_threads)
{
    const int par = n_threads > 1 && rows > 1 && rows * cols >= ELT_PAR_MIN / 4;
    OMP_FOR_IF(par)
    for (int64_t r = 0; r < rows; r++)
        SFX(softmax_row)(cols, x + r * cols, y + r * cols, log_out);
}

void SFX(fnn_softmax_backward)(int64_t rows, int64_t cols, const T *y, const T *dy, T *dx, int log_out,
                               int n_threads)
{
    const int par = n_threads > 1 && rows > 1 && rows * cols >= ELT_PAR_MIN / 4;
    OMP_FOR_IF(par)
    for (int64_t r = 0; r < rows; r++) {
        const T *yr = y + r * cols, *dyr = dy + r * cols;
        T *dxr = dx + r * cols;
        double s = 0;
        if (log_out) {
            for (int64_t j = 0; j < cols; j++)
                s += (double)dyr[j];
            for (int64_t j = 0; j < cols; j++)
                dxr[j] = dyr[j] - EXPT(yr[j]) * (T)s;
        } else {
            for (int64_t j = 0; j < cols; j++)
                s += (double)dyr[j] * (double)yr[j];
            for (int64_t j = 0; j < cols; j++)
                dxr[j] = yr[j] * (dyr[j] - (T)s);
        }
    }
}

/* ---------------- column sums (bias gradient) ---------------- */

/* Partial column sums of rows [r0, r1) into acc[n] (overwritten). */
static void SFX(colsum_rows)(int64_t r0, int64_t r1, int64_t n, const T *dz, double *acc)
{
    for (int64_t j = 0; j < n; j++)
        acc[j] = 0;
    for (int64_t i = r0; i < r1; i++) {
        const T *row = dz + i * n;
        for (int64_t j = 0; j < n; j++)
            acc[j] += (double)row[j];
    }
}

void SFX(fnn_column_sum_accumulate)(int64_t m, int64_t n, const T *dz, T *out, double *scratch, int n_threads)
{
    const int64_t chunk = colsum_chunk_rows(n);
    const int64_t n_chunks = (m + chunk - 1) / chunk;
    if (n_chunks <= 1) {
        /* One chunk: sum each column in row order straight into a small stack or scratch buffer. */
        for (int64_t j0 = 0; j0 < n; j0 += 256) {
            double acc[256];
            const int64_t w = n - j0 < 256 ? n - j0 : 256;
            for (int64_t j = 0; j < w; j++)
                acc[j] = 0;
            for (int64_t i = 0; i < m; i++)
                for (int64_t j = 0; j < w; j++)
                    acc[j] += (double)dz[i * n + j0 + j];
            for (int64_t j = 0; j < w; j++)
                out[j0 + j] = (T)((double)out[j0 + j] + acc[j]);
        }
        return;
    }
    const int par = n_threads > 1 && m * n >= ELT_PAR_MIN;
    OMP_FOR_IF(par)
    for (int64_t c = 0; c < n_chunks; c++) {
        const int64_t r0 = c * chunk, r1 = r0 + chunk < m ? r0 + chunk : m;
        SFX(colsum_rows)(r0, r1, n, dz, scratch + c * n);
    }
    for (int64_t j = 0; j < n; j++) {
        double s = 0;
        for (int64_t c = 0; c < n_chunks; c++)
            s += scratch[c * n + j];
        out[j] = (T)((double)out[j] + s);
    }
}

void SFX(fnn_column_sum_add)(int64_t m, int64_t n, const T *dz, T *out, int n_threads)
{
    const int64_t chunk = colsum_chunk_rows(n);
    const int64_t n_chunks = (m + chunk - 1) / chunk;
    double *scratch = n_chunks > 1 ? malloc(sizeof(double) * (size_t)(n_chunks * n)) : NULL;
    if (n_chunks <= 1 || scratch) {
        SFX(fnn_column_sum_accumulate)(m, n, dz, out, scratch, n_threads);
        free(scratch);
        return;
    }
    for (int64_t j = 0; j < n; j++) {
        double s = 0;
        for (int64_t r0 = 0; r0 < m; r0 += chunk) {
            const int64_t r1 = r0 + chunk < m ? r0 + chunk : m;
            double part = 0;
            for (int64_t i = r0; i < r1; i++)
                part += (double)dz[i * n + j];
            s += part;
        }
        out[j] = (T)((double)out[j] + s);
    }
}

void SFX(fnn_column_sum_accumulate_ref)(int64_t m, int64_t n, const T *dz, T *out)
{
    for (int64_t j = 0; j < n; j++) {
        double s = 0;
        for (int64_t i = 0; i < m; i++)
            s += (double)dz[i * n + j];
        out[j] = (T)((double)out[j] + s);
    }
}

/* ---------------- dropout ---------------- */

typedef void (*SFX(dropout_block_fn))(int64_t, int64_t, dropout_key, uint32_t, T, const T *restrict, T *restrict,
                                      uint8_t *restrict);

void SFX(fnn_dropout_forward)(int64_t n, uint64_t seed, double rate, T scale, const T *x, T *y, uint8_t *keep,
                              int n_threads)
{
    const int64_t n_blocks = (n + ELT_BLOCK - 1) / ELT_BLOCK;
    const int par = n_threads > 1 && n >= ELT_PAR_MIN;
    const uint32_t threshold = dropout_threshold(rate);
    const dropout_key key = dropout_make_key(seed);
    SFX(dropout_block_fn) block;
    ELT_ISA_PICK(block, dropout_block);
    OMP_FOR_IF(par)
    for (int64_t b = 0; b < n_blocks; b++) {
        const int64_t i0 = b * ELT_BLOCK, len = n - i0 < ELT_BLOCK ? n - i0 : ELT_BLOCK;
        if (x == y) {
            /* in place: go through a stack copy so the block function can assume no aliasing */
            T buf[ELT_BLOCK];
            for (int64_t i = 0; i < len; i++)
                buf[i] = x[i0 + i];
            block(i0, len, key, threshold, scale, buf, y + i0, keep + i0);
        } else {
            block(i0, len, key, threshold, scale, x + i0, y + i0, keep + i0);
        }
    }
}

void SFX(fnn_dropout_backward)(int64_t n, const uint8_t *keep, T scale, const T *dy, T *dx, int n_threads)
{
    const int64_t n_blocks = (n + ELT_BLOCK - 1) / ELT_BLOCK;
    const int par = n_threads > 1 && n >= ELT_PAR_MIN;
    void (*block)(int64_t, const uint8_t *restrict, T, const T *restrict, T *restrict);
    ELT_ISA_PICK(block, dropout_backward_block);
    OMP_FOR_IF(par)
    for (int64_t b = 0; b < n_blocks; b++) {
        const int64_t i0 = b * ELT_BLOCK, len = n - i0 < ELT_BLOCK ? n - i0 : ELT_BLOCK;
        block(len, keep + i0, scale, dy + i0, dx + i0);
    }
}

/* ---------------- batch normalization ---------------- */

void SFX(fnn_bn_stats)(int64_t m, int64_t c, const T *x, T *mean, T *var, double *scratch, int n_threads)
{
    const int64_t chunk = colsum_chunk_rows(c);
    const int64_t n_chunks = (m + chunk - 1) / chunk;
    const int par = n_threads > 1 && n_chunks > 1 && m * c >= ELT_PAR_MIN;
    double *part = scratch;
    double stack_part[FNN_BN_STACK];
    if (n_chunks <= 1 && c <= FNN_BN_STACK)
        part = stack_part;
    /* pass 1: mean */
    OMP_FOR_IF(par)
    for (int64_t k = 0; k < n_chunks; k++) {
        const int64_t r0 = k * chunk, r1 = r0 + chunk < m ? r0 + chunk : m;
        SFX(colsum_rows)(r0, r1, c, x, part + k * c);
    }
    for (int64_t j = 0; j < c; j++) {
        double s = 0;
        for (int64_t k = 0; k < n_chunks; k++)
            s += part[k * c + j];
        mean[j] = (T)(m > 0 ? s / (double)m : 0.0);
    }
    /* pass 2: biased variance about the (rounded) mean */
    OMP_FOR_IF(par)
    for (int64_t k = 0; k < n_chunks; k++) {
        const int64_t r0 = k * chunk, r1 = r0 + chunk < m ? r0 + chunk : m;
        double *acc = part + k * c;
        for (int64_t j = 0; j < c; j++)
            acc[j] = 0;
        for (int64_t i = r0; i < r1; i++)
            for (int64_t j = 0; j < c; j++) {
                const double d = (double)x[i * c + j] - (double)mean[j];
                acc[j] += d * d;
            }
    }
    for (int64_t j = 0; j < c; j++) {
        double s = 0;
        for (int64_t k = 0; k < n_chunks; k++)
            s += part[k * c + j];
        var[j] = (T)(m > 0 ? s / (double)m : 0.0);
    }
}

void SFX(fnn_bn_stats_ref)(int64_t m, int64_t c, const T *x, T *mean, T *var)
{
    for (int64_t j = 0; j < c; j++) {
        double s = 0, q = 0;
        for (int64_t i = 0; i < m; i++)
            s += (double)x[i * c + j];
        mean[j] = (T)(m > 0 ? s / (double)m : 0.0);
        for (int64_t i = 0; i < m; i++) {
            const double d = (double)x[i * c + j] - (double)mean[j];
            q += d * d;
        }
        var[j] = (T)(m > 0 ? q / (double)m : 0.0);
    }
}

void SFX(fnn_bn_forward)(int64_t m, int64_t c, const T *x, const T *mean, const T *inv_std, const T *gamma,
                         const T *beta, T *y, int n_threads)
{
    const int par = n_threads > 1 && m * c >= ELT_PAR_MIN;
    OMP_FOR_IF(par)
    for (int64_t i = 0; i < m; i++) {
        const T *xr = x + i * c;
        T *yr = y + i * c;
        for (int64_t j = 0; j < c; j++) {
            const T g = gamma ? gamma[j] : (T)1, b = beta ? beta[j] : (T)0;
            yr[j] = (xr[j] - mean[j]) * inv_std[j] * g + b;
        }
    }
}

void SFX(fnn_bn_backward)(int64_t m, int64_t c, const T *x, const T *mean, const T *inv_std, const T *gamma,
                          const T *dy, T *dgamma, T *dbeta, T *dx, int batch_stats, double *scratch,
                          int n_threads)
{
    const int64_t chunk = colsum_chunk_rows(c);
    const int64_t n_chunks = (m + chunk - 1) / chunk;
    const int par = n_threads > 1 && m * c >= ELT_PAR_MIN;
    double stack_part[FNN_BN_STACK];
    double *part = (n_chunks <= 1 && 2 * c <= FNN_BN_STACK) ? stack_part : scratch;
    /* partials per chunk: [sum dy (c) | sum dy*xhat (c)] */
    OMP_FOR_IF(par && n_chunks > 1)
    for (int64_t k = 0; k < n_chunks; k++) {
        const int64_t r0 = k * chunk, r1 = r0 + chunk < m ? r0 + chunk : m;
        double *sd = part + 2 * k * c, *sdx = sd + c;
        for (int64_t j = 0; j < 2 * c; j++)
            sd[j] = 0;
        for (int64_t i = r0; i < r1; i++)
            for (int64_t j = 0; j < c; j++) {
                const double g = (double)dy[i * c + j];
                sd[j] += g;
                sdx[j] += g * (double)((x[i * c + j] - mean[j]) * inv_std[j]);
            }
    }
    /* combine in chunk order into the first chunk's slots */
    for (int64_t j = 0; j < c; j++) {
        double sd = 0, sdx = 0;
        for (int64_t k = 0; k < n_chunks; k++) {
            sd += part[2 * k * c + j];
            sdx += part[2 * k * c + c + j];
        }
        part[j] = sd;
        part[c + j] = sdx;
        if (dbeta)
            dbeta[j] = (T)((double)dbeta[j] + sd);
        if (dgamma)
            dgamma[j] = (T)((double)dgamma[j] + sdx);
    }
    if (!dx)
        return;
    const double inv_m = m > 0 ? 1.0 / (double)m : 0.0;
    const double *sum_dy = part, *sum_dyx = part + c;
    OMP_FOR_IF(par)
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < c; j++) {
            const T s = (gamma ? gamma[j] : (T)1) * inv_std[j];
            if (batch_stats) {
                const T xhat = (x[i * c + j] - mean[j]) * inv_std[j];
                dx[i * c + j] = s * (dy[i * c + j] - (T)(sum_dy[j] * inv_m) - xhat * (T)(sum_dyx[j] * inv_m));
            } else {
                dx[i * c + j] = s * dy[i * c + j];
            }
        }
}

void SFX(fnn_bn_backward_ref)(int64_t m, int64_t c, const T *x, const T *mean, const T *inv_std, const T *gamma,
                              const T *dy, T *dgamma, T *dbeta, T *dx, int batch_stats)
{
    for (int64_t j = 0; j < c; j++) {
        double sd = 0, sdx = 0;
        for (int64_t i = 0; i < m; i++) {
            sd += (double)dy[i * c + j];
            sdx += (double)dy[i * c + j] * ((double)x[i * c + j] - (double)mean[j]) * (double)inv_std[j];
        }
        if (dbeta)
            dbeta[j] = (T)((double)dbeta[j] + sd);
        if (dgamma)
            dgamma[j] = (T)((double)dgamma[j] + sdx);
        if (!dx)
            continue;
        const double g = gamma ? (double)gamma[j] : 1.0, is = (double)inv_std[j];
        for (int64_t i = 0; i < m; i++) {
            const double xhat = ((double)x[i * c + j] - (double)mean[j]) * is;
            const double d = (double)dy[i * c + j];
            dx[i * c + j] = (T)(batch_stats ? g * is * (d - sd / (double)m - xhat * sdx / (double)m) : g * is * d);
        }
    }
}

#undef ELT_ISA_PICK
