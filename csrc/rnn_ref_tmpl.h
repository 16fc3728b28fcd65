/* rnn.c, per dtype (included by rnn_tmpl.h with T, SUF and FN defined): the reference step passes,
 * plain loops on libm, single-threaded; the `_ref` sequence functions run on them and fnn_gemm_ref. */
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

