/* Template body of eltwise.c, included once per float type with
 *   T       the element type (float or double)
 *   SFX(f)  the suffixed name (f##_f32 / f##_f64)
 * Math calls go through <tgmath.h>, so they pick the float or double variant from T. */

/* ---------------- activations ---------------- */

static inline T SFX(sigmoid_)(T v) { return (T)1 / ((T)1 + exp(-v)); }

static inline T SFX(softplus_)(T v) { return fmax(v, (T)0) + log1p(exp(-fabs(v))); }

/* Elementwise loop over i < n, parallel (static, by element: no cross-element arithmetic, so any
 * split gives the same bits). `EXPR` computes the value from the element `v` (and index i). */
#define ELT_LOOP(OUT, EXPR)                                                                       \
    do {                                                                                          \
        _Pragma("omp parallel for schedule(static) num_threads(n_threads) if(par)")               \
        for (int64_t i = 0; i < n; i++) {                                                         \
            const T v = in[i];                                                                    \
            (void)v;                                                                              \
            OUT = (EXPR);                                                                         \
        }                                                                                         \
    } while (0)

void SFX(fnn_act_forward)(int kind, int64_t n, const T *x, T *y, T param, int n_threads)
{
    const int par = n_threads > 1 && n >= ELT_PAR_MIN;
    const T *in = x;
    const T selu_scale = (T)SELU_SCALE, selu_alpha = (T)SELU_ALPHA;
    const T sqrt_half = (T)0.70710678118654752440, gelu_c = (T)0.79788456080286535588;
    switch (kind) {
    case FNN_ACT_RELU: ELT_LOOP(y[i], v > 0 ? v : (T)0); break;
    case FNN_ACT_SIGMOID: ELT_LOOP(y[i], SFX(sigmoid_)(v)); break;
    case FNN_ACT_TANH: ELT_LOOP(y[i], tanh(v)); break;
    case FNN_ACT_LEAKY_RELU: ELT_LOOP(y[i], v > 0 ? v : v * param); break;
    case FNN_ACT_ELU: ELT_LOOP(y[i], v > 0 ? v : param * expm1(v)); break;
    case FNN_ACT_SELU: ELT_LOOP(y[i], v > 0 ? selu_scale * v : selu_scale * selu_alpha * expm1(v)); break;
    case FNN_ACT_SOFTPLUS: ELT_LOOP(y[i], SFX(softplus_)(v)); break;
    case FNN_ACT_SOFTSIGN: ELT_LOOP(y[i], v / ((T)1 + fabs(v))); break;
    case FNN_ACT_SWISH: ELT_LOOP(y[i], v * SFX(sigmoid_)(v)); break;
    case FNN_ACT_GELU: ELT_LOOP(y[i], (T)0.5 * v * ((T)1 + erf(v * sqrt_half))); break;
    case FNN_ACT_GELU_TANH:
        ELT_LOOP(y[i], (T)0.5 * v * ((T)1 + tanh(gelu_c * (v + (T)0.044715 * v * v * v))));
        break;
    case FNN_ACT_HARD_SIGMOID: ELT_LOOP(y[i], fmin(fmax(v + (T)3, (T)0), (T)6) / (T)6); break;
    case FNN_ACT_EXPONENTIAL: ELT_LOOP(y[i], exp(v)); break;
    case FNN_ACT_RELU6: ELT_LOOP(y[i], fmin(fmax(v, (T)0), (T)6)); break;
    case FNN_ACT_HARD_SWISH: ELT_LOOP(y[i], v * (fmin(fmax(v + (T)3, (T)0), (T)6) / (T)6)); break;
    case FNN_ACT_MISH: ELT_LOOP(y[i], v * tanh(SFX(softplus_)(v))); break;
    default:
        if (y != x)
            ELT_LOOP(y[i], v);
        break;
    }
}

void SFX(fnn_act_backward)(int kind, int64_t n, const T *a, const T *dy, T *dx, T param, int n_threads)
{
    const int par = n_threads > 1 && n >= ELT_PAR_MIN;
    const T *in = a;
    const T selu_scale = (T)SELU_SCALE, selu_sa = (T)(SELU_SCALE * SELU_ALPHA);
    const T sqrt_half = (T)0.70710678118654752440, inv_sqrt_2pi = (T)0.39894228040143267794;
    const T gelu_c = (T)0.79788456080286535588;
    const int from_y = fnn_act_backward_uses_output(kind, (double)param);
    switch (kind) {
    case FNN_ACT_RELU: ELT_LOOP(dx[i], v > 0 ? dy[i] : (T)0); break;
    case FNN_ACT_SIGMOID: ELT_LOOP(dx[i], dy[i] * v * ((T)1 - v)); break;
    case FNN_ACT_TANH: ELT_LOOP(dx[i], dy[i] * ((T)1 - v * v)); break;
    case FNN_ACT_LEAKY_RELU: ELT_LOOP(dx[i], v > 0 ? dy[i] : dy[i] * param); break;
    case FNN_ACT_ELU:
        if (from_y)
            ELT_LOOP(dx[i], v > 0 ? dy[i] : dy[i] * (v + param));
        else
            ELT_LOOP(dx[i], v > 0 ? dy[i] : dy[i] * param * exp(v));
        break;
    case FNN_ACT_SELU: ELT_LOOP(dx[i], v > 0 ? dy[i] * selu_scale : dy[i] * (v + selu_sa)); break;
    case FNN_ACT_SOFTPLUS: ELT_LOOP(dx[i], -dy[i] * expm1(-v)); break;
    case FNN_ACT_SOFTSIGN: ELT_LOOP(dx[i], dy[i] / (((T)1 + fabs(v)) * ((T)1 + fabs(v)))); break;
    case FNN_ACT_SWISH: {
        ELT_LOOP(dx[i], dy[i] * SFX(sigmoid_)(v) * ((T)1 + v * ((T)1 - SFX(sigmoid_)(v))));
        break;
    }
    case FNN_ACT_GELU:
        ELT_LOOP(dx[i], dy[i] * ((T)0.5 * ((T)1 + erf(v * sqrt_half)) + v * inv_sqrt_2pi * exp((T)-0.5 * v * v)));
        break;
    case FNN_ACT_GELU_TANH:
        ELT_LOOP(dx[i], dy[i] * ((T)0.5 * ((T)1 + tanh(gelu_c * (v + (T)0.044715 * v * v * v))) +
                                 (T)0.5 * v * ((T)1 - tanh(gelu_c * (v + (T)0.044715 * v * v * v)) *
                                                          tanh(gelu_c * (v + (T)0.044715 * v * v * v))) *
                                     gelu_c * ((T)1 + (T)(3 * 0.044715) * v * v)));
        break;
    case FNN_ACT_HARD_SIGMOID: ELT_LOOP(dx[i], (v > 0 && v < 1) ? dy[i] / (T)6 : (T)0); break;
    case FNN_ACT_EXPONENTIAL: ELT_LOOP(dx[i], dy[i] * v); break;
    case FNN_ACT_RELU6: ELT_LOOP(dx[i], (v > 0 && v < 6) ? dy[i] : (T)0); break;
    case FNN_ACT_HARD_SWISH:
        ELT_LOOP(dx[i], v <= (T)-3 ? (T)0 : (v >= (T)3 ? dy[i] : dy[i] * ((T)2 * v + (T)3) / (T)6));
        break;
    case FNN_ACT_MISH:
        ELT_LOOP(dx[i], dy[i] * (tanh(SFX(softplus_)(v)) +
                                 v * ((T)1 - tanh(SFX(softplus_)(v)) * tanh(SFX(softplus_)(v))) * SFX(sigmoid_)(v)));
        break;
    default:
        if (dx != dy)
            ELT_LOOP(dx[i], dy[i]);
        break;
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
    _Pragma("omp parallel for schedule(static) num_threads(n_threads) if(par)")
    for (int64_t r = 0; r < rows; r++)
        SFX(softmax_row)(cols, x + r * cols, y + r * cols, log_out);
}

void SFX(fnn_softmax_backward)(int64_t rows, int64_t cols, const T *y, const T *dy, T *dx, int log_out,
                               int n_threads)
{
    const int par = n_threads > 1 && rows > 1 && rows * cols >= ELT_PAR_MIN / 4;
    _Pragma("omp parallel for schedule(static) num_threads(n_threads) if(par)")
    for (int64_t r = 0; r < rows; r++) {
        const T *yr = y + r * cols, *dyr = dy + r * cols;
        T *dxr = dx + r * cols;
        double s = 0;
        if (log_out) {
            for (int64_t j = 0; j < cols; j++)
                s += (double)dyr[j];
            for (int64_t j = 0; j < cols; j++)
                dxr[j] = dyr[j] - exp(yr[j]) * (T)s;
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
    _Pragma("omp parallel for schedule(static) num_threads(n_threads) if(par)")
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

void SFX(fnn_dropout_forward)(int64_t n, uint64_t seed, double rate, T scale, const T *x, T *y, uint8_t *keep,
                              int n_threads)
{
    const int par = n_threads > 1 && n >= ELT_PAR_MIN;
    const uint64_t threshold = dropout_threshold(rate);
    _Pragma("omp parallel for schedule(static) num_threads(n_threads) if(par)")
    for (int64_t i = 0; i < n; i++) {
        const uint8_t k = (uint8_t)(counter_hash(seed, (uint64_t)i) >> 11 >= threshold);
        keep[i] = k;
        y[i] = k ? x[i] * scale : (T)0;
    }
}

void SFX(fnn_dropout_backward)(int64_t n, const uint8_t *keep, T scale, const T *dy, T *dx, int n_threads)
{
    const int par = n_threads > 1 && n >= ELT_PAR_MIN;
    _Pragma("omp parallel for schedule(static) num_threads(n_threads) if(par)")
    for (int64_t i = 0; i < n; i++)
        dx[i] = keep[i] ? dy[i] * scale : (T)0;
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
    _Pragma("omp parallel for schedule(static) num_threads(n_threads) if(par)")
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
    _Pragma("omp parallel for schedule(static) num_threads(n_threads) if(par)")
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
    _Pragma("omp parallel for schedule(static) num_threads(n_threads) if(par)")
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
    _Pragma("omp parallel for schedule(static) num_threads(n_threads) if(par && n_chunks > 1)")
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
    _Pragma("omp parallel for schedule(static) num_threads(n_threads) if(par)")
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

#undef ELT_LOOP
