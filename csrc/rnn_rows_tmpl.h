/* rnn.c, per dtype (included by rnn_tmpl.h with T, SUF and FN defined): activations, the fused row
 * bodies of every step pass and the small-batch recurrent product. Everything here is always-inline:
 * it is compiled inside the ISA-specific step functions of rnn_steps_tmpl.h. */
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
/* Units [j0, j1) of one row (the gates of unit j sit at g[j], g[U + j], g[2U + j], g[3U + j]). */
RNN_INLINE void FN(lstm_fwd_units)(int64_t U, int64_t j0, int64_t j1, int act, int ract, T *restrict g,
                                   const T *restrict cp, T *restrict c, T *restrict ac, T *restrict h)
{
    for (int64_t j = j0; j < j1; ++j) {
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

RNN_INLINE void FN(lstm_fwd_row)(int64_t U, int act, int ract, T *restrict g, const T *restrict cp,
                                 T *restrict c, T *restrict ac, T *restrict h)
{
    FN(lstm_fwd_units)(U, 0, U, act, ract, g, cp, c, ac, h);
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
    /* narrower blocks: 4 vectors at a time where possible (4 independent FMA chains per row: one
     * vector alone waits on the FMA latency every k), then single vectors */
    const int64_t full = jw / RNN_VL * RNN_VL;
    int64_t j = 0;
    for (; j + 4 * RNN_VL <= full; j += 4 * RNN_VL) {
        for (n = 0; n + 4 <= N; n += 4) RNN_VB(4, 4, n, j);
        for (; n < N; ++n) RNN_VB(1, 4, n, j);
    }
    for (; j < full; j += RNN_VL) {
        for (n = 0; n + 4 <= N; n += 4) RNN_VB(4, 1, n, j);
        for (; n < N; ++n) RNN_VB(1, 1, n, j);
    }
    if (full < jw)
        FN(rec_scalar)(N, U, jw - full, h, ldh, R + full, ldr, beta, bias ? bias + full : NULL, C + full, ldc);
}
#undef RNN_VB

/* The product restricted to the columns of units [u0, u1) in each of `gates` gate blocks of U columns
 * (C's leading dimension gates * U): the share of one thread that owns those units. */
RNN_INLINE void FN(gate_cols)(int64_t gates, int64_t U, int64_t u0, int64_t u1, int64_t rows, int64_t k,
                              const T *a, int64_t lda, const T *B, int beta, const T *bias, T *C)
{
    const int64_t ld = gates * U;
    for (int64_t gate = 0; gate < gates; ++gate)
        for (int64_t j = gate * U + u0; j < gate * U + u1; j += RNN_SUPER) {
            const int64_t end = gate * U + u1, jw = end - j < RNN_SUPER ? end - j : RNN_SUPER;
            FN(rec_cols)(rows, k, jw, a, lda, B + j, ld, beta, bias ? bias + j : NULL, C + j, ld);
        }
}

