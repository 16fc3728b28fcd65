/* rnn.c body for one dtype: included with T (float or double) and SUF (f32 or f64) defined.
 * Buffers are time-major; see csrc/fastnn.h (rnn section) for every shape. */
#define FN(name) RNN_CAT(name, SUF)

/* ---------------- activations (codes FNN_RNN_*) ---------------- */

RNN_INLINE T FN(act_fast)(int code, T x)
{
    switch (code) {
    case FNN_RNN_TANH: return FN(rnn_tanh_fast)(x);
    case FNN_RNN_SIGMOID: return FN(rnn_sigmoid_fast)(x);
    case FNN_RNN_RELU: return x > 0 ? x : (T)0;
    case FNN_RNN_HARD_SIGMOID: {
        T y = (x + (T)3) / (T)6; /* relu6(x + 3) / 6, Keras 3's hard_sigmoid */
        return y < 0 ? (T)0 : (y > 1 ? (T)1 : y);
    }
    default: return x;
    }
}

RNN_INLINE T FN(act_ref)(int code, T x)
{
    switch (code) {
    case FNN_RNN_TANH: return FN(rnn_tanh_ref)(x);
    case FNN_RNN_SIGMOID: return FN(rnn_sigmoid_ref)(x);
    case FNN_RNN_RELU: return x > 0 ? x : (T)0;
    case FNN_RNN_HARD_SIGMOID: {
        T y = (x + (T)3) / (T)6;
        return y < 0 ? (T)0 : (y > 1 ? (T)1 : y);
    }
    default: return x;
    }
}

/* Derivative of the activation expressed through its output y = act(x). */
RNN_INLINE T FN(act_grad)(int code, T y)
{
    switch (code) {
    case FNN_RNN_TANH: return (T)1 - y * y;
    case FNN_RNN_SIGMOID: return y * ((T)1 - y);
    case FNN_RNN_RELU: return y > 0 ? (T)1 : (T)0;
    case FNN_RNN_HARD_SIGMOID: return (y > 0 && y < 1) ? (T)1 / (T)6 : (T)0;
    default: return (T)1;
    }
}

/* ---------------- fused row bodies (one sample, one step) ---------------- */

/* A masked step: the state gradient carries through (dh += dy). */
RNN_INLINE void FN(carry_row)(int64_t U, const T *restrict dy, T *restrict dh)
{
    if (dy)
        for (int64_t j = 0; j < U; ++j) dh[j] += dy[j];
}

/* g: (4U) pre-activations in, activations i, f, c~, o out; c = f c_prev + i c~; h = o act(c). */
RNN_INLINE void FN(lstm_fwd_row)(int64_t U, int act, int ract, T *restrict g, const T *restrict cp,
                                 T *restrict c, T *restrict ac, T *restrict h)
{
    for (int64_t j = 0; j < U; ++j) {
        const T i = FN(act_fast)(ract, g[j]);
        const T f = FN(act_fast)(ract, g[U + j]);
        const T cc = FN(act_fast)(act, g[2 * U + j]);
        const T o = FN(act_fast)(ract, g[3 * U + j]);
        const T cn = f * cp[j] + i * cc;
        const T a = FN(act_fast)(act, cn);
        g[j] = i;
        g[U + j] = f;
        g[2 * U + j] = cc;
        g[3 * U + j] = o;
        c[j] = cn;
        ac[j] = a;
        h[j] = o * a;
    }
}

/* dh (in: gradient reaching h_t from later steps; out: 0, the GEMM then adds dG @ R^T),
 * dc (in: gradient reaching c_t; out: its part reaching c_{t-1}), dg (out: gate pre-activation grads). */
RNN_INLINE void FN(lstm_bwd_row)(int64_t U, int act, int ract, const T *restrict g,
                                 const T *restrict cp, const T *restrict ac, const T *restrict dy,
                                 T *restrict dh, T *restrict dc, T *restrict dg)
{
    FN(carry_row)(U, dy, dh);
    for (int64_t j = 0; j < U; ++j) {
        const T dht = dh[j];
        const T i = g[j], f = g[U + j], cc = g[2 * U + j], o = g[3 * U + j], a = ac[j];
        const T dct = dc[j] + dht * o * FN(act_grad)(act, a);
        dg[j] = dct * cc * FN(act_grad)(ract, i);
        dg[U + j] = dct * cp[j] * FN(act_grad)(ract, f);
        dg[2 * U + j] = dct * i * FN(act_grad)(act, cc);
        dg[3 * U + j] = dht * a * FN(act_grad)(ract, o);
        dc[j] = dct * f;
        dh[j] = 0;
    }
}

/* GRU reset_after: g (3U) input projections in, z, r, h~ out; s (3U) recurrent projections. */
RNN_INLINE void FN(gru_fwd_row)(int64_t U, int act, int ract, T *restrict g, const T *restrict s,
                                const T *restrict hp, T *restrict h)
{
    for (int64_t j = 0; j < U; ++j) {
        const T z = FN(act_fast)(ract, g[j] + s[j]);
        const T r = FN(act_fast)(ract, g[U + j] + s[U + j]);
        const T hh = FN(act_fast)(act, g[2 * U + j] + r * s[2 * U + j]);
        g[j] = z;
        g[U + j] = r;
        g[2 * U + j] = hh;
        h[j] = z * hp[j] + ((T)1 - z) * hh;
    }
}

/* dgx: gradients of the input-side pre-activations; dgr: of the recurrent projections (s). */
RNN_INLINE void FN(gru_bwd_row)(int64_t U, int act, int ract, const T *restrict g, const T *restrict s,
                                const T *restrict hp, const T *restrict dy, T *restrict dh,
                                T *restrict dgx, T *restrict dgr)
{
    FN(carry_row)(U, dy, dh);
    for (int64_t j = 0; j < U; ++j) {
        const T dht = dh[j];
        const T z = g[j], r = g[U + j], hh = g[2 * U + j];
        const T dpz = dht * (hp[j] - hh) * FN(act_grad)(ract, z);
        const T dph = dht * ((T)1 - z) * FN(act_grad)(act, hh);
        const T dpr = dph * s[2 * U + j] * FN(act_grad)(ract, r);
        dgx[j] = dpz;
        dgx[U + j] = dpr;
        dgx[2 * U + j] = dph;
        dgr[j] = dpz;
        dgr[U + j] = dpr;
        dgr[2 * U + j] = dph * r;
        dh[j] = dht * z;
    }
}

RNN_INLINE void FN(gru0_fwd_row_a)(int64_t U, int ract, T *restrict g, const T *restrict hpd, T *restrict s)
{
    for (int64_t j = 0; j < U; ++j) {
        const T z = FN(act_fast)(ract, g[j]);
        const T r = FN(act_fast)(ract, g[U + j]);
        g[j] = z;
        g[U + j] = r;
        s[j] = r * hpd[j];
    }
}

RNN_INLINE void FN(gru0_fwd_row_b)(int64_t U, int act, T *restrict g, const T *restrict hp, T *restrict h)
{
    for (int64_t j = 0; j < U; ++j) {
        const T z = g[j];
        const T hh = FN(act_fast)(act, g[2 * U + j]);
        g[2 * U + j] = hh;
        h[j] = z * hp[j] + ((T)1 - z) * hh;
    }
}

/* Writes dG[z], dG[h~]; dh := dht * z (the recurrent GEMMs then add the rest). */
RNN_INLINE void FN(gru0_bwd_row_a)(int64_t U, int act, int ract, const T *restrict g, const T *restrict hp,
                                   const T *restrict dy, T *restrict dh, T *restrict dg)
{
    FN(carry_row)(U, dy, dh);
    for (int64_t j = 0; j < U; ++j) {
        const T dht = dh[j];
        const T z = g[j], hh = g[2 * U + j];
        dg[j] = dht * (hp[j] - hh) * FN(act_grad)(ract, z);
        dg[2 * U + j] = dht * ((T)1 - z) * FN(act_grad)(act, hh);
        dh[j] = dht * z;
    }
}

/* drhp: gradient of r * hpd; writes dG[r]; dh += drhp * r (* recurrent dropout mask). */
RNN_INLINE void FN(gru0_bwd_row_b)(int64_t U, int ract, const T *restrict g, const T *restrict hpd,
                                   const T *restrict drhp, const T *restrict rm, T *restrict dh, T *restrict dg)
{
    for (int64_t j = 0; j < U; ++j) {
        const T r = g[U + j];
        dg[U + j] = drhp[j] * hpd[j] * FN(act_grad)(ract, r);
        dh[j] += rm ? drhp[j] * r * rm[j] : drhp[j] * r;
    }
}

RNN_INLINE void FN(simple_fwd_row)(int64_t U, int act, const T *restrict g, T *restrict h)
{
    for (int64_t j = 0; j < U; ++j) h[j] = FN(act_fast)(act, g[j]);
}

RNN_INLINE void FN(simple_bwd_row)(int64_t U, int act, const T *restrict h, const T *restrict dy,
                                   T *restrict dh, T *restrict dg)
{
    FN(carry_row)(U, dy, dh);
    for (int64_t j = 0; j < U; ++j) {
        const T dht = dh[j];
        dg[j] = dht * FN(act_grad)(act, h[j]);
        dh[j] = 0;
    }
}

/* ---------------- small-batch recurrent product ----------------
 * C[rows, cols] (+)= h[rows, U] @ R[U, cols] (+ bias) for the few rows of a small batch: nr x nv
 * accumulator vectors (GCC vector extension, 64 bytes; nr and nv are constants after inlining, so
 * they stay in registers) with R read in place — no packing, which is what costs most when a step has
 * only a few rows. Every sum runs over k in ascending order, and column blocks are independent, so
 * threads never change a result. */
typedef T FN(rvec) __attribute__((vector_size(64)));
#define RNN_VL ((int64_t)(64 / sizeof(T)))
#define RNN_SUPER (8 * RNN_VL) /* columns per thread block: 8 vectors */

RNN_INLINE void FN(rec_vblock)(int nr, int nv, int64_t U, const T *restrict h, int64_t ldh,
                               const T *restrict R, int64_t ldr, int beta, const T *restrict bias,
                               T *restrict C, int64_t ldc)
{
    FN(rvec) acc[4][8];
    _Pragma("GCC unroll 4") for (int i = 0; i < nr; ++i)
        _Pragma("GCC unroll 8") for (int v = 0; v < nv; ++v) acc[i][v] = (FN(rvec)){0};
    for (int64_t k = 0; k < U; ++k) {
        FN(rvec) r[8];
        _Pragma("GCC unroll 8") for (int v = 0; v < nv; ++v) memcpy(&r[v], R + k * ldr + v * RNN_VL, sizeof r[v]);
        _Pragma("GCC unroll 4") for (int i = 0; i < nr; ++i) {
            const FN(rvec) a = (FN(rvec)){0} + h[i * ldh + k];
            _Pragma("GCC unroll 8") for (int v = 0; v < nv; ++v) acc[i][v] += a * r[v];
        }
    }
    _Pragma("GCC unroll 4") for (int i = 0; i < nr; ++i) {
        _Pragma("GCC unroll 8") for (int v = 0; v < nv; ++v) {
            T *c = C + i * ldc + v * RNN_VL;
            FN(rvec) out = acc[i][v], tmp;
            if (beta) {
                memcpy(&tmp, c, sizeof tmp);
                out = tmp + out;
            }
            if (bias) {
                memcpy(&tmp, bias + v * RNN_VL, sizeof tmp);
                out = out + tmp;
            }
            memcpy(c, &out, sizeof out);
        }
    }
}

/* Fewer than one vector of columns left: plain loops. */
static void FN(rec_scalar)(int64_t N, int64_t U, int64_t jw, const T *h, int64_t ldh, const T *R, int64_t ldr,
                           int beta, const T *bias, T *C, int64_t ldc)
{
    for (int64_t n = 0; n < N; ++n)
        for (int64_t j = 0; j < jw; ++j) {
            T acc = 0;
            for (int64_t k = 0; k < U; ++k) acc += h[n * ldh + k] * R[k * ldr + j];
            T v = beta ? C[n * ldc + j] + acc : acc;
            C[n * ldc + j] = bias ? v + bias[j] : v;
        }
}

#define RNN_VB(nr, nv, n, j)                                                                            \
    FN(rec_vblock)(nr, nv, U, h + (n) * ldh, ldh, R + (j), ldr, beta, bias ? bias + (j) : NULL,        \
                   C + (n) * ldc + (j), ldc)

/* Columns [0, jw) (jw <= RNN_SUPER) of the product, every row. */
RNN_INLINE void FN(rec_cols)(int64_t N, int64_t U, int64_t jw, const T *h, int64_t ldh, const T *R, int64_t ldr,
                             int beta, const T *bias, T *C, int64_t ldc)
{
    int64_t n = 0;
    if (jw == RNN_SUPER) {
        for (; n + 4 <= N; n += 4) {
            RNN_VB(4, 4, n, 0);
            RNN_VB(4, 4, n, 4 * RNN_VL);
        }
        switch (N - n) {
        case 3: RNN_VB(3, 4, n, 0); RNN_VB(3, 4, n, 4 * RNN_VL); break;
        case 2: RNN_VB(2, 8, n, 0); break;
        case 1: RNN_VB(1, 8, n, 0); break;
        default: break;
        }
        return;
    }
    const int64_t full = jw / RNN_VL * RNN_VL;
    for (int64_t j = 0; j < full; j += RNN_VL) {
        for (n = 0; n + 4 <= N; n += 4) RNN_VB(4, 1, n, j);
        for (; n < N; ++n) RNN_VB(1, 1, n, j);
    }
    if (full < jw)
        FN(rec_scalar)(N, U, jw - full, h, ldh, R + full, ldr, beta, bias ? bias + full : NULL, C + full, ldc);
}
#undef RNN_VB

/* ---------------- the fused step passes, one per ISA level ---------------- */

#define ISA generic
#define ISA_ATTR
#include "rnn_steps_tmpl.h"
#undef ISA
#undef ISA_ATTR

#if defined(__x86_64__) || defined(__i386__)
#define RNN_HAVE_X86 1
#define ISA avx2
#define ISA_ATTR __attribute__((target("avx2,fma")))
#include "rnn_steps_tmpl.h"
#undef ISA
#undef ISA_ATTR

#define ISA avx512
#define ISA_ATTR __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,fma")))
#include "rnn_steps_tmpl.h"
#undef ISA
#undef ISA_ATTR
#else
#define RNN_HAVE_X86 0
#endif

/* ---------------- reference steps: plain loops on libm, one thread ---------------- */

static void FN(lstm_step_fwd_ref)(int64_t N, int64_t U, int act, int ract, const uint8_t *mask, T *G,
                                  const T *hp, const T *cp, T *h, T *c, T *ac)
{
    for (int64_t n = 0; n < N; ++n) {
        for (int64_t j = 0; j < U; ++j) {
            const int64_t k = n * U + j;
            T *g = G + n * 4 * U;
            if (mask && !mask[n]) {
                h[k] = hp[k];
                c[k] = cp[k];
                continue;
            }
            T i = FN(act_ref)(ract, g[j]), f = FN(act_ref)(ract, g[U + j]);
            T cc = FN(act_ref)(act, g[2 * U + j]), o = FN(act_ref)(ract, g[3 * U + j]);
            g[j] = i;
            g[U + j] = f;
            g[2 * U + j] = cc;
            g[3 * U + j] = o;
            c[k] = f * cp[k] + i * cc;
            ac[k] = FN(act_ref)(act, c[k]);
            h[k] = o * ac[k];
        }
    }
}

static void FN(lstm_step_bwd_ref)(int64_t N, int64_t U, int act, int ract, const uint8_t *mask, const T *G,
                                  const T *cp, const T *ac, const T *dy, T *dh, T *dc, T *dG)
{
    for (int64_t n = 0; n < N; ++n) {
        for (int64_t j = 0; j < U; ++j) {
            const int64_t k = n * U + j;
            const T *g = G + n * 4 * U;
            T *dg = dG + n * 4 * U;
            T d = dh[k] + (dy ? dy[k] : (T)0);
            if (mask && !mask[n]) {
                dh[k] = d;
                dg[j] = dg[U + j] = dg[2 * U + j] = dg[3 * U + j] = 0;
                continue;
            }
            T i = g[j], f = g[U + j], cc = g[2 * U + j], o = g[3 * U + j];
            T dct = dc[k] + d * o * FN(act_grad)(act, ac[k]);
            dg[3 * U + j] = d * ac[k] * FN(act_grad)(ract, o);
            dg[j] = dct * cc * FN(act_grad)(ract, i);
            dg[U + j] = dct * cp[k] * FN(act_grad)(ract, f);
            dg[2 * U + j] = dct * i * FN(act_grad)(act, cc);
            dc[k] = dct * f;
            dh[k] = 0;
        }
    }
}

static void FN(gru_step_fwd_ref)(int64_t N, int64_t U, int act, int ract, const uint8_t *mask, T *G,
                                 const T *S, const T *hp, T *h)
{
    for (int64_t n = 0; n < N; ++n) {
        T *g = G + n * 3 * U;
        const T *s = S + n * 3 * U;
        for (int64_t j = 0; j < U; ++j) {
            const int64_t k = n * U + j;
            if (mask && !mask[n]) {
                h[k] = hp[k];
                continue;
            }
            T z = FN(act_ref)(ract, g[j] + s[j]);
            T r = FN(act_ref)(ract, g[U + j] + s[U + j]);
            T hh = FN(act_ref)(act, g[2 * U + j] + r * s[2 * U + j]);
            g[j] = z;
            g[U + j] = r;
            g[2 * U + j] = hh;
            h[k] = z * hp[k] + (1 - z) * hh;
        }
    }
}

static void FN(gru_step_bwd_ref)(int64_t N, int64_t U, int act, int ract, const uint8_t *mask, const T *G,
                                 const T *S, const T *hp, const T *dy, T *dh, T *dGx, T *dGr)
{
    for (int64_t n = 0; n < N; ++n) {
        const T *g = G + n * 3 * U, *s = S + n * 3 * U;
        T *dgx = dGx + n * 3 * U, *dgr = dGr + n * 3 * U;
        for (int64_t j = 0; j < U; ++j) {
            const int64_t k = n * U + j;
            T d = dh[k] + (dy ? dy[k] : (T)0);
            if (mask && !mask[n]) {
                dh[k] = d;
                dgx[j] = dgx[U + j] = dgx[2 * U + j] = 0;
                dgr[j] = dgr[U + j] = dgr[2 * U + j] = 0;
                continue;
            }
            T z = g[j], r = g[U + j], hh = g[2 * U + j];
            T dph = d * (1 - z) * FN(act_grad)(act, hh);
            dgx[j] = dgr[j] = d * (hp[k] - hh) * FN(act_grad)(ract, z);
            dgx[U + j] = dgr[U + j] = dph * s[2 * U + j] * FN(act_grad)(ract, r);
            dgx[2 * U + j] = dph;
            dgr[2 * U + j] = dph * r;
            dh[k] = d * z;
        }
    }
}

static void FN(gru0_step_fwd_a_ref)(int64_t N, int64_t U, int ract, const uint8_t *mask, T *G, const T *hpd,
                                    T *S)
{
    for (int64_t n = 0; n < N; ++n)
        for (int64_t j = 0; j < U; ++j) {
            T *g = G + n * 3 * U;
            if (mask && !mask[n]) {
                S[n * U + j] = 0;
                continue;
            }
            g[j] = FN(act_ref)(ract, g[j]);
            g[U + j] = FN(act_ref)(ract, g[U + j]);
            S[n * U + j] = g[U + j] * hpd[n * U + j];
        }
}

static void FN(gru0_step_fwd_b_ref)(int64_t N, int64_t U, int act, const uint8_t *mask, T *G, const T *hp,
                                    T *h)
{
    for (int64_t n = 0; n < N; ++n)
        for (int64_t j = 0; j < U; ++j) {
            const int64_t k = n * U + j;
            T *g = G + n * 3 * U;
            if (mask && !mask[n]) {
                h[k] = hp[k];
                continue;
            }
            g[2 * U + j] = FN(act_ref)(act, g[2 * U + j]);
            h[k] = g[j] * hp[k] + (1 - g[j]) * g[2 * U + j];
        }
}

static void FN(gru0_step_bwd_a_ref)(int64_t N, int64_t U, int act, int ract, const uint8_t *mask, const T *G,
                                    const T *hp, const T *dy, T *dh, T *dG)
{
    for (int64_t n = 0; n < N; ++n)
        for (int64_t j = 0; j < U; ++j) {
            const int64_t k = n * U + j;
            const T *g = G + n * 3 * U;
            T *dg = dG + n * 3 * U;
            T d = dh[k] + (dy ? dy[k] : (T)0);
            if (mask && !mask[n]) {
                dh[k] = d;
                dg[j] = dg[U + j] = dg[2 * U + j] = 0;
                continue;
            }
            dg[j] = d * (hp[k] - g[2 * U + j]) * FN(act_grad)(ract, g[j]);
            dg[2 * U + j] = d * (1 - g[j]) * FN(act_grad)(act, g[2 * U + j]);
            dh[k] = d * g[j];
        }
}

static void FN(gru0_step_bwd_b_ref)(int64_t N, int64_t U, int ract, const uint8_t *mask, const T *G,
                                    const T *hpd, const T *drhp, const T *rmask, T *dh, T *dG)
{
    for (int64_t n = 0; n < N; ++n) {
        if (mask && !mask[n])
            continue;
        for (int64_t j = 0; j < U; ++j) {
            const int64_t k = n * U + j;
            T r = G[n * 3 * U + U + j];
            dG[n * 3 * U + U + j] = drhp[k] * hpd[k] * FN(act_grad)(ract, r);
            dh[k] += drhp[k] * r * (rmask ? rmask[k] : (T)1);
        }
    }
}

static void FN(simple_step_fwd_ref)(int64_t N, int64_t U, int act, const uint8_t *mask, const T *G,
                                    const T *hp, T *h)
{
    for (int64_t n = 0; n < N; ++n)
        for (int64_t j = 0; j < U; ++j) {
            const int64_t k = n * U + j;
            h[k] = (mask && !mask[n]) ? hp[k] : FN(act_ref)(act, G[k]);
        }
}

static void FN(simple_step_bwd_ref)(int64_t N, int64_t U, int act, const uint8_t *mask, const T *h,
                                    const T *dy, T *dh, T *dG)
{
    for (int64_t n = 0; n < N; ++n)
        for (int64_t j = 0; j < U; ++j) {
            const int64_t k = n * U + j;
            T d = dh[k] + (dy ? dy[k] : (T)0);
            if (mask && !mask[n]) {
                dh[k] = d;
                dG[k] = 0;
            } else {
                dG[k] = d * FN(act_grad)(act, h[k]);
                dh[k] = 0;
            }
        }
}

/* ---------------- dispatch: reference, or the fused pass for the active ISA ---------------- */

#if RNN_HAVE_X86
#define RNN_DISPATCH(ref, name, ref_args, args)                      \
    do {                                                             \
        if (ref) {                                                   \
            FN(name##_ref) ref_args;                                 \
        } else {                                                     \
            int isa_ = fnn_isa_active();                             \
            if (isa_ >= FNN_ISA_AVX512)                              \
                RNN_CAT(FN(name), avx512) args;                      \
            else if (isa_ >= FNN_ISA_AVX2)                           \
                RNN_CAT(FN(name), avx2) args;                        \
            else                                                     \
                RNN_CAT(FN(name), generic) args;                     \
        }                                                            \
    } while (0)
#else
#define RNN_DISPATCH(ref, name, ref_args, args)                      \
    do {                                                             \
        if (ref)                                                     \
            FN(name##_ref) ref_args;                                 \
        else                                                         \
            RNN_CAT(FN(name), generic) args;                         \
    } while (0)
#endif

static void FN(rnn_gemm)(int ref, int ta, int tb, int64_t m, int64_t n, int64_t k, const T *A, int64_t lda,
                         const T *B, int64_t ldb, T beta, T *C, int64_t ldc, const T *bias, int n_threads)
{
    if (ref)
        FN(fnn_gemm_ref)(ta, tb, m, n, k, (T)1, A, lda, B, ldb, beta, C, ldc, bias);
    else
        FN(fnn_gemm)(ta, tb, m, n, k, (T)1, A, lda, B, ldb, beta, C, ldc, bias, n_threads);
}

/* Below this many rows the recurrent product h_{t-1} @ R uses the register-blocked small kernel
 * (depends only on N, never on the thread count). */
#define RNN_SMALL_N 16

/* C (N, W) = beta * C + h (N, U) @ R (U, W; row stride ldr) (+ bias): the per-step recurrent product. */
static void FN(rec_matmul)(int ref, int64_t N, int64_t W, int64_t U, const T *h, int64_t ldh, const T *R,
                           int64_t ldr, T beta, T *C, int64_t ldc, const T *bias, int n_threads)
{
    if (ref || N > RNN_SMALL_N || (beta != 0 && beta != 1)) {
        FN(rnn_gemm)(ref, 0, 0, N, W, U, h, ldh, R, ldr, beta, C, ldc, bias, n_threads);
        return;
    }
#if RNN_HAVE_X86
    const int isa = fnn_isa_active();
    if (isa >= FNN_ISA_AVX512)
        RNN_CAT(FN(rec_small), avx512)(N, W, U, h, ldh, R, ldr, beta != 0, C, ldc, bias, n_threads);
    else if (isa >= FNN_ISA_AVX2)
        RNN_CAT(FN(rec_small), avx2)(N, W, U, h, ldh, R, ldr, beta != 0, C, ldc, bias, n_threads);
    else
#endif
        RNN_CAT(FN(rec_small), generic)(N, W, U, h, ldh, R, ldr, beta != 0, C, ldc, bias, n_threads);
}

/* out[j] += sum over rows r of A[r * lda + j], rows in ascending order; columns split in fixed chunks. */
static void FN(colsum_add)(int64_t rows, int64_t cols, const T *A, int64_t lda, T *out, int n_threads)
{
    enum { CHUNK = 64 };
    const int64_t chunks = (cols + CHUNK - 1) / CHUNK;
    const int nt = rows * cols < 262144 ? 1 : n_threads;
#pragma omp parallel for num_threads(nt) schedule(static) if(nt > 1)
    for (int64_t ch = 0; ch < chunks; ++ch) {
        const int64_t j0 = ch * CHUNK, w = cols - j0 < CHUNK ? cols - j0 : CHUNK;
        T acc[CHUNK];
        for (int64_t j = 0; j < w; ++j) acc[j] = 0;
        for (int64_t r = 0; r < rows; ++r) {
            const T *a = A + r * lda + j0;
            for (int64_t j = 0; j < w; ++j) acc[j] += a[j];
        }
        for (int64_t j = 0; j < w; ++j) out[j0 + j] += acc[j];
    }
}

static void FN(mul_into)(int64_t n, const T *restrict a, const T *restrict b, T *restrict out)
{
    for (int64_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
}

static void FN(add_mul_into)(int64_t n, const T *restrict a, const T *restrict b, T *restrict out)
{
    for (int64_t i = 0; i < n; ++i) out[i] += a[i] * b[i];
}

/* dh (N,U) += dG_t (N, ld) [first n_gate columns] @ Rsub^T, times the recurrent dropout mask if any. */
static void FN(recurrent_grad)(int ref, int64_t N, int64_t U, int64_t ncols, const T *dG_t, int64_t ldg,
                               const T *Rsub, int64_t ldr, const T *rmask, T *dh, T *work, int n_threads)
{
    if (rmask) {
        FN(rnn_gemm)(ref, 0, 1, N, U, ncols, dG_t, ldg, Rsub, ldr, 0, work, U, NULL, n_threads);
        FN(add_mul_into)(N * U, work, rmask, dh);
    } else {
        FN(rnn_gemm)(ref, 0, 1, N, U, ncols, dG_t, ldg, Rsub, ldr, 1, dh, U, NULL, n_threads);
    }
}

/* ---------------- LSTM ---------------- */

static void FN(lstm_forward_impl)(int ref, int64_t T_, int64_t N, int64_t D, int64_t U, int act, int ract,
                                  const T *x, const T *K, const T *R, const T *b, const uint8_t *mask,
                                  const T *rmask, T *G, T *H, T *C, T *AC, T *HD, int n_threads)
{
    const int64_t G4 = 4 * U, NU = N * U;
    FN(rnn_gemm)(ref, 0, 0, T_ * N, G4, D, x, D, K, G4, 0, G, G4, b, n_threads);
    for (int64_t t = 0; t < T_; ++t) {
        const T *hp = H + t * NU;
        if (rmask) {
            FN(mul_into)(NU, hp, rmask, HD + t * NU);
            hp = HD + t * NU;
        }
        T *Gt = G + t * N * G4;
        FN(rec_matmul)(ref, N, G4, U, hp, U, R, G4, 1, Gt, G4, NULL, n_threads);
        const uint8_t *mt = mask ? mask + t * N : NULL;
        RNN_DISPATCH(ref, lstm_step_fwd,
                     (N, U, act, ract, mt, Gt, H + t * NU, C + t * NU, H + (t + 1) * NU, C + (t + 1) * NU, AC + t * NU),
                     (N, U, act, ract, mt, Gt, H + t * NU, C + t * NU, H + (t + 1) * NU, C + (t + 1) * NU, AC + t * NU,
                      n_threads));
    }
}

static void FN(lstm_backward_impl)(int ref, int64_t T_, int64_t N, int64_t D, int64_t U, int act, int ract,
                                   const T *x, const T *K, const T *R, const uint8_t *mask, const T *rmask,
                                   const T *G, const T *H, const T *C, const T *AC, const T *HD, const T *dY,
                                   T *dh, T *dc, T *dG, T *dx, T *dK, T *dR, T *db, T *work, int n_threads)
{
    const int64_t G4 = 4 * U, NU = N * U;
    for (int64_t t = T_ - 1; t >= 0; --t) {
        const T *Gt = G + t * N * G4;
        T *dGt = dG + t * N * G4;
        const uint8_t *mt = mask ? mask + t * N : NULL;
        const T *dyt = dY ? dY + t * NU : NULL;
        RNN_DISPATCH(ref, lstm_step_bwd, (N, U, act, ract, mt, Gt, C + t * NU, AC + t * NU, dyt, dh, dc, dGt),
                     (N, U, act, ract, mt, Gt, C + t * NU, AC + t * NU, dyt, dh, dc, dGt, n_threads));
        FN(recurrent_grad)(ref, N, U, G4, dGt, G4, R, G4, rmask, dh, work, n_threads);
        if (db) FN(colsum_add)(N, G4, dGt, G4, db, ref ? 1 : n_threads); /* while dG_t is in cache */
    }
    const int64_t M = T_ * N;
    if (dx) FN(rnn_gemm)(ref, 0, 1, M, D, G4, dG, G4, K, G4, 0, dx, D, NULL, n_threads);
    if (dK) FN(rnn_gemm)(ref, 1, 0, D, G4, M, x, D, dG, G4, 1, dK, G4, NULL, n_threads);
    if (dR) FN(rnn_gemm)(ref, 1, 0, U, G4, M, rmask ? HD : H, U, dG, G4, 1, dR, G4, NULL, n_threads);
}

void FN(fnn_lstm_forward)(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int ract, const T *x,
                          const T *K, const T *R, const T *b, const uint8_t *mask, const T *rmask, T *G, T *H,
                          T *C, T *AC, T *HD, int n_threads)
{
    FN(lstm_forward_impl)(0, T_, N, D, U, act, ract, x, K, R, b, mask, rmask, G, H, C, AC, HD, n_threads);
}

void FN(fnn_lstm_forward_ref)(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int ract, const T *x,
                              const T *K, const T *R, const T *b, const uint8_t *mask, const T *rmask, T *G,
                              T *H, T *C, T *AC, T *HD)
{
    FN(lstm_forward_impl)(1, T_, N, D, U, act, ract, x, K, R, b, mask, rmask, G, H, C, AC, HD, 1);
}

void FN(fnn_lstm_backward)(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int ract, const T *x,
                           const T *K, const T *R, const uint8_t *mask, const T *rmask, const T *G, const T *H,
                           const T *C, const T *AC, const T *HD, const T *dY, T *dh, T *dc, T *dG, T *dx,
                           T *dK, T *dR, T *db, T *work, int n_threads)
{
    FN(lstm_backward_impl)(0, T_, N, D, U, act, ract, x, K, R, mask, rmask, G, H, C, AC, HD, dY, dh, dc, dG, dx,
                           dK, dR, db, work, n_threads);
}

void FN(fnn_lstm_backward_ref)(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int ract, const T *x,
                               const T *K, const T *R, const uint8_t *mask, const T *rmask, const T *G,
                               const T *H, const T *C, const T *AC, const T *HD, const T *dY, T *dh, T *dc,
                               T *dG, T *dx, T *dK, T *dR, T *db, T *work)
{
    FN(lstm_backward_impl)(1, T_, N, D, U, act, ract, x, K, R, mask, rmask, G, H, C, AC, HD, dY, dh, dc, dG, dx,
                           dK, dR, db, work, 1);
}

/* ---------------- GRU ---------------- */

static void FN(gru_forward_impl)(int ref, int64_t T_, int64_t N, int64_t D, int64_t U, int act, int ract,
                                 int reset_after, const T *x, const T *K, const T *R, const T *b,
                                 const uint8_t *mask, const T *rmask, T *G, T *S, T *H, T *HD, int n_threads)
{
    const int64_t G3 = 3 * U, NU = N * U;
    FN(rnn_gemm)(ref, 0, 0, T_ * N, G3, D, x, D, K, G3, 0, G, G3, b, n_threads);
    const T *b_rec = (b && reset_after) ? b + G3 : NULL;
    for (int64_t t = 0; t < T_; ++t) {
        const T *hp = H + t * NU, *hpd = hp;
        if (rmask) {
            FN(mul_into)(NU, hp, rmask, HD + t * NU);
            hpd = HD + t * NU;
        }
        T *Gt = G + t * N * G3, *h = H + (t + 1) * NU;
        const uint8_t *mt = mask ? mask + t * N : NULL;
        if (reset_after) {
            T *St = S + t * N * G3;
            FN(rec_matmul)(ref, N, G3, U, hpd, U, R, G3, 0, St, G3, b_rec, n_threads);
            RNN_DISPATCH(ref, gru_step_fwd, (N, U, act, ract, mt, Gt, St, hp, h),
                         (N, U, act, ract, mt, Gt, St, hp, h, n_threads));
        } else {
            T *St = S + t * NU;
            FN(rec_matmul)(ref, N, 2 * U, U, hpd, U, R, G3, 1, Gt, G3, NULL, n_threads);
            RNN_DISPATCH(ref, gru0_step_fwd_a, (N, U, ract, mt, Gt, hpd, St), (N, U, ract, mt, Gt, hpd, St, n_threads));
            FN(rec_matmul)(ref, N, U, U, St, U, R + 2 * U, G3, 1, Gt + 2 * U, G3, NULL, n_threads);
            RNN_DISPATCH(ref, gru0_step_fwd_b, (N, U, act, mt, Gt, hp, h), (N, U, act, mt, Gt, hp, h, n_threads));
        }
    }
}

static void FN(gru_backward_impl)(int ref, int64_t T_, int64_t N, int64_t D, int64_t U, int act, int ract,
                                  int reset_after, const T *x, const T *K, const T *R, const uint8_t *mask,
                                  const T *rmask, const T *G, const T *S, const T *H, const T *HD, const T *dY,
                                  T *dh, T *dG, T *dGr, T *dx, T *dK, T *dR, T *db, T *work, int n_threads)
{
    const int64_t G3 = 3 * U, NU = N * U;
    const T *HP = rmask ? HD : H; /* the h_{t-1} each recurrent GEMM saw, (T, N, U) */
    for (int64_t t = T_ - 1; t >= 0; --t) {
        const T *Gt = G + t * N * G3, *hp = H + t * NU, *hpd = HP + t * NU;
        T *dGt = dG + t * N * G3;
        const uint8_t *mt = mask ? mask + t * N : NULL;
        const T *dyt = dY ? dY + t * NU : NULL;
        if (reset_after) {
            const T *St = S + t * N * G3;
            T *dGrt = dGr + t * N * G3;
            RNN_DISPATCH(ref, gru_step_bwd, (N, U, act, ract, mt, Gt, St, hp, dyt, dh, dGt, dGrt),
                         (N, U, act, ract, mt, Gt, St, hp, dyt, dh, dGt, dGrt, n_threads));
            FN(recurrent_grad)(ref, N, U, G3, dGrt, G3, R, G3, rmask, dh, work, n_threads);
            if (db) {
                FN(colsum_add)(N, G3, dGt, G3, db, ref ? 1 : n_threads);
                FN(colsum_add)(N, G3, dGrt, G3, db + G3, ref ? 1 : n_threads);
            }
        } else {
            RNN_DISPATCH(ref, gru0_step_bwd_a, (N, U, act, ract, mt, Gt, hp, dyt, dh, dGt),
                         (N, U, act, ract, mt, Gt, hp, dyt, dh, dGt, n_threads));
            /* work = d(r * hpd) = dG[h~] @ R[:, 2U:]^T */
            FN(rnn_gemm)(ref, 0, 1, N, U, U, dGt + 2 * U, G3, R + 2 * U, G3, 0, work, U, NULL, n_threads);
            RNN_DISPATCH(ref, gru0_step_bwd_b, (N, U, ract, mt, Gt, hpd, work, rmask, dh, dGt),
                         (N, U, ract, mt, Gt, hpd, work, rmask, dh, dGt, n_threads));
            FN(recurrent_grad)(ref, N, U, 2 * U, dGt, G3, R, G3, rmask, dh, work, n_threads);
            if (db) FN(colsum_add)(N, G3, dGt, G3, db, ref ? 1 : n_threads);
        }
    }
    const int64_t M = T_ * N;
    if (dx) FN(rnn_gemm)(ref, 0, 1, M, D, G3, dG, G3, K, G3, 0, dx, D, NULL, n_threads);
    if (dK) FN(rnn_gemm)(ref, 1, 0, D, G3, M, x, D, dG, G3, 1, dK, G3, NULL, n_threads);
    if (reset_after) {
        if (dR) FN(rnn_gemm)(ref, 1, 0, U, G3, M, HP, U, dGr, G3, 1, dR, G3, NULL, n_threads);
    } else {
        if (dR) {
            FN(rnn_gemm)(ref, 1, 0, U, 2 * U, M, HP, U, dG, G3, 1, dR, G3, NULL, n_threads);
            FN(rnn_gemm)(ref, 1, 0, U, U, M, S, U, dG + 2 * U, G3, 1, dR + 2 * U, G3, NULL, n_threads);
        }
    }
}

void FN(fnn_gru_forward)(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int ract, int reset_after,
                         const T *x, const T *K, const T *R, const T *b, const uint8_t *mask, const T *rmask,
                         T *G, T *S, T *H, T *HD, int n_threads)
{
    FN(gru_forward_impl)(0, T_, N, D, U, act, ract, reset_after, x, K, R, b, mask, rmask, G, S, H, HD, n_threads);
}

void FN(fnn_gru_forward_ref)(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int ract, int reset_after,
                             const T *x, const T *K, const T *R, const T *b, const uint8_t *mask, const T *rmask,
                             T *G, T *S, T *H, T *HD)
{
    FN(gru_forward_impl)(1, T_, N, D, U, act, ract, reset_after, x, K, R, b, mask, rmask, G, S, H, HD, 1);
}

void FN(fnn_gru_backward)(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int ract, int reset_after,
                          const T *x, const T *K, const T *R, const uint8_t *mask, const T *rmask, const T *G,
                          const T *S, const T *H, const T *HD, const T *dY, T *dh, T *dG, T *dGr, T *dx, T *dK,
                          T *dR, T *db, T *work, int n_threads)
{
    FN(gru_backward_impl)(0, T_, N, D, U, act, ract, reset_after, x, K, R, mask, rmask, G, S, H, HD, dY, dh, dG,
                          dGr, dx, dK, dR, db, work, n_threads);
}

void FN(fnn_gru_backward_ref)(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int ract, int reset_after,
                              const T *x, const T *K, const T *R, const uint8_t *mask, const T *rmask,
                              const T *G, const T *S, const T *H, const T *HD, const T *dY, T *dh, T *dG,
                              T *dGr, T *dx, T *dK, T *dR, T *db, T *work)
{
    FN(gru_backward_impl)(1, T_, N, D, U, act, ract, reset_after, x, K, R, mask, rmask, G, S, H, HD, dY, dh, dG,
                          dGr, dx, dK, dR, db, work, 1);
}

/* ---------------- SimpleRNN ---------------- */

static void FN(simple_forward_impl)(int ref, int64_t T_, int64_t N, int64_t D, int64_t U, int act,
                                    const T *x, const T *K, const T *R, const T *b, const uint8_t *mask,
                                    const T *rmask, T *G, T *H, T *HD, int n_threads)
{
    const int64_t NU = N * U;
    FN(rnn_gemm)(ref, 0, 0, T_ * N, U, D, x, D, K, U, 0, G, U, b, n_threads);
    for (int64_t t = 0; t < T_; ++t) {
        const T *hp = H + t * NU, *hpd = hp;
        if (rmask) {
            FN(mul_into)(NU, hp, rmask, HD + t * NU);
            hpd = HD + t * NU;
        }
        T *Gt = G + t * NU;
        const uint8_t *mt = mask ? mask + t * N : NULL;
        FN(rec_matmul)(ref, N, U, U, hpd, U, R, U, 1, Gt, U, NULL, n_threads);
        RNN_DISPATCH(ref, simple_step_fwd, (N, U, act, mt, Gt, hp, H + (t + 1) * NU),
                     (N, U, act, mt, Gt, hp, H + (t + 1) * NU, n_threads));
    }
}

static void FN(simple_backward_impl)(int ref, int64_t T_, int64_t N, int64_t D, int64_t U, int act,
                                     const T *x, const T *K, const T *R, const uint8_t *mask, const T *rmask,
                                     const T *H, const T *HD, const T *dY, T *dh, T *dG, T *dx, T *dK, T *dR,
                                     T *db, T *work, int n_threads)
{
    const int64_t NU = N * U;
    for (int64_t t = T_ - 1; t >= 0; --t) {
        T *dGt = dG + t * NU;
        const uint8_t *mt = mask ? mask + t * N : NULL;
        const T *dyt = dY ? dY + t * NU : NULL;
        RNN_DISPATCH(ref, simple_step_bwd, (N, U, act, mt, H + (t + 1) * NU, dyt, dh, dGt),
                     (N, U, act, mt, H + (t + 1) * NU, dyt, dh, dGt, n_threads));
        FN(recurrent_grad)(ref, N, U, U, dGt, U, R, U, rmask, dh, work, n_threads);
        if (db) FN(colsum_add)(N, U, dGt, U, db, ref ? 1 : n_threads);
    }
    const int64_t M = T_ * N;
    if (dx) FN(rnn_gemm)(ref, 0, 1, M, D, U, dG, U, K, U, 0, dx, D, NULL, n_threads);
    if (dK) FN(rnn_gemm)(ref, 1, 0, D, U, M, x, D, dG, U, 1, dK, U, NULL, n_threads);
    if (dR) FN(rnn_gemm)(ref, 1, 0, U, U, M, rmask ? HD : H, U, dG, U, 1, dR, U, NULL, n_threads);
}

void FN(fnn_simple_rnn_forward)(int64_t T_, int64_t N, int64_t D, int64_t U, int act, const T *x, const T *K,
                                const T *R, const T *b, const uint8_t *mask, const T *rmask, T *G, T *H, T *HD,
                                int n_threads)
{
    FN(simple_forward_impl)(0, T_, N, D, U, act, x, K, R, b, mask, rmask, G, H, HD, n_threads);
}

void FN(fnn_simple_rnn_forward_ref)(int64_t T_, int64_t N, int64_t D, int64_t U, int act, const T *x,
                                    const T *K, const T *R, const T *b, const uint8_t *mask, const T *rmask,
                                    T *G, T *H, T *HD)
{
    FN(simple_forward_impl)(1, T_, N, D, U, act, x, K, R, b, mask, rmask, G, H, HD, 1);
}

void FN(fnn_simple_rnn_backward)(int64_t T_, int64_t N, int64_t D, int64_t U, int act, const T *x, const T *K,
                                 const T *R, const uint8_t *mask, const T *rmask, const T *H, const T *HD,
                                 const T *dY, T *dh, T *dG, T *dx, T *dK, T *dR, T *db, T *work, int n_threads)
{
    FN(simple_backward_impl)(0, T_, N, D, U, act, x, K, R, mask, rmask, H, HD, dY, dh, dG, dx, dK, dR, db, work,
                             n_threads);
}

void FN(fnn_simple_rnn_backward_ref)(int64_t T_, int64_t N, int64_t D, int64_t U, int act, const T *x,
                                     const T *K, const T *R, const uint8_t *mask, const T *rmask, const T *H,
                                     const T *HD, const T *dY, T *dh, T *dG, T *dx, T *dK, T *dR, T *db,
                                     T *work)
{
    FN(simple_backward_impl)(1, T_, N, D, U, act, x, K, R, mask, rmask, H, HD, dY, dh, dG, dx, dK, dR, db, work,
                             1);
}

#undef FN
#undef RNN_VL
#undef RNN_SUPER
#undef RNN_DISPATCH
#undef RNN_HAVE_X86
