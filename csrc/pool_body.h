/* Pooling kernels, one body for both precisions: pool.c includes this file once per type with
 * T (element type) and SFX (name suffix f32/f64) defined. Contracts: the pool section of fastnn.h. */

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define FN(name) CAT(name, SFX)

/* Valid window range [lo, hi) along one axis for output index o. */
static inline void FN(window_)(int64_t o, int64_t stride, int64_t pad, int64_t size, int64_t extent,
                               int64_t *lo, int64_t *hi)
{
    const int64_t start = o * stride - pad;
    *lo = start < 0 ? 0 : start;
    *hi = start + size > extent ? extent : start + size;
}

/* Max over the valid window positions of 16 channels at a time, branch-free on 16-byte GCC vectors
 * (VT: T lanes, VI: same-width integer lanes; SSE2 on x86-64, NEON elsewhere) so that random data costs
 * no mispredicted branches. The first valid position seeds the maximum; later ones replace it only when
 * strictly larger, so ties keep the first maximum in row-major window order. nc < 16 (a channel tail)
 * takes the scalar loop with the same rule. */
static inline void FN(max_window_block_)(const T *restrict xn, int64_t W, int64_t C, int64_t ih0, int64_t ih1,
                                         int64_t iw0, int64_t iw1, int64_t nc, T *restrict yp,
                                         int32_t *restrict ap)
{
    enum { LANES = 16 / sizeof(T), NV = 16 / LANES };
    const T *first = xn + (ih0 * W + iw0) * C;
    const int32_t pos0 = (int32_t)(ih0 * W + iw0);
    if (nc < 16) {
        for (int64_t c = 0; c < nc; ++c) { yp[c] = first[c]; ap[c] = pos0; }
        for (int64_t ih = ih0; ih < ih1; ++ih)
            for (int64_t iw = (ih == ih0 ? iw0 + 1 : iw0); iw < iw1; ++iw) {
                const T *xp = xn + (ih * W + iw) * C;
                for (int64_t c = 0; c < nc; ++c)
                    if (xp[c] > yp[c]) { yp[c] = xp[c]; ap[c] = (int32_t)(ih * W + iw); }
            }
        return;
    }
    VT best[NV];
    VI where[NV];
    for (int k = 0; k < NV; ++k) {
        memcpy(&best[k], first + k * LANES, 16);
        where[k] = (VI){0} + pos0;
    }
    for (int64_t ih = ih0; ih < ih1; ++ih)
        for (int64_t iw = (ih == ih0 ? iw0 + 1 : iw0); iw < iw1; ++iw) {
            const T *xp = xn + (ih * W + iw) * C;
            const VI pos = (VI){0} + (int32_t)(ih * W + iw);
            for (int k = 0; k < NV; ++k) {
                VT v;
                memcpy(&v, xp + k * LANES, 16);
                const VI larger = (VI)(v > best[k]);
                best[k] = (VT)(((VI)v & larger) | ((VI)best[k] & ~larger));
                where[k] = (pos & larger) | (where[k] & ~larger);
            }
        }
    for (int k = 0; k < NV; ++k) {
        memcpy(yp + k * LANES, &best[k], 16);
        for (int l = 0; l < LANES; ++l) ap[k * LANES + l] = (int32_t)where[k][l];
    }
}

void FN(fnn_maxpool2d_forward_)(const fnn_pool_geom *g, const T *restrict x, T *restrict y,
                                int32_t *restrict argmax, int n_threads)
{
    const int64_t C = g->channels, W = g->in_w, OW = g->out_w;
    const int64_t n_rows = g->batch * g->out_h;
    const int threads = n_rows * OW * C * g->pool_h * g->pool_w < 65536 ? 1 : n_threads;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int64_t t = 0; t < n_rows; ++t) {
        const int64_t n = t / g->out_h, oh = t % g->out_h;
        const T *xn = x + n * g->in_h * W * C;
        int64_t ih0, ih1;
        FN(window_)(oh, g->stride_h, g->pad_top, g->pool_h, g->in_h, &ih0, &ih1);
        for (int64_t ow = 0; ow < OW; ++ow) {
            T *restrict yp = y + (t * OW + ow) * C;
            int32_t *restrict ap = argmax + (t * OW + ow) * C;
            int64_t iw0, iw1;
            FN(window_)(ow, g->stride_w, g->pad_left, g->pool_w, W, &iw0, &iw1);
            if (ih0 >= ih1 || iw0 >= iw1) {
                for (int64_t c = 0; c < C; ++c) { yp[c] = 0; ap[c] = -1; }
                continue;
            }
            for (int64_t c0 = 0; c0 < C; c0 += 16)
                FN(max_window_block_)(xn + c0, W, C, ih0, ih1, iw0, iw1, C - c0 < 16 ? C - c0 : 16, yp + c0,
                                      ap + c0);
        }
    }
}

void FN(fnn_maxpool2d_forward_ref_)(const fnn_pool_geom *g, const T *x, T *y, int32_t *argmax)
{
    const int64_t C = g->channels;
    for (int64_t n = 0; n < g->batch; ++n)
        for (int64_t oh = 0; oh < g->out_h; ++oh)
            for (int64_t ow = 0; ow < g->out_w; ++ow)
                for (int64_t c = 0; c < C; ++c) {
                    T best = 0;
                    int32_t where = -1;
                    for (int64_t i = 0; i < g->pool_h; ++i)
                        for (int64_t j = 0; j < g->pool_w; ++j) {
                            const int64_t ih = oh * g->stride_h - g->pad_top + i;
                            const int64_t iw = ow * g->stride_w - g->pad_left + j;
                            if (ih < 0 || ih >= g->in_h || iw < 0 || iw >= g->in_w) continue;
                            const T v = x[((n * g->in_h + ih) * g->in_w + iw) * C + c];
                            if (where < 0 || v > best) { best = v; where = (int32_t)(ih * g->in_w + iw); }
                        }
                    const int64_t o = ((n * g->out_h + oh) * g->out_w + ow) * C + c;
                    y[o] = best;
                    argmax[o] = where;
                }
}

/* Threads own whole images: disjoint parts of dx, each zeroed and then filled in output order. */
void FN(fnn_maxpool2d_backward_)(const fnn_pool_geom *g, const T *restrict dy, const int32_t *restrict argmax,
                                 T *restrict dx, int n_threads)
{
    const int64_t C = g->channels, HW = g->in_h * g->in_w, OHW = g->out_h * g->out_w;
    const int threads = g->batch * (HW + OHW) * C < 65536 ? 1 : n_threads;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int64_t n = 0; n < g->batch; ++n) {
        T *restrict dxn = dx + n * HW * C;
        memset(dxn, 0, sizeof(T) * HW * C);
        const T *restrict dyn = dy + n * OHW * C;
        const int32_t *restrict an = argmax + n * OHW * C;
        for (int64_t q = 0; q < OHW; ++q)
            for (int64_t c = 0; c < C; ++c) {
                const int32_t a = an[q * C + c];
                if (a >= 0) dxn[a * C + c] += dyn[q * C + c];
            }
    }
}

void FN(fnn_maxpool2d_backward_ref_)(const fnn_pool_geom *g, const T *dy, const int32_t *argmax, T *dx)
{
    const int64_t C = g->channels, HW = g->in_h * g->in_w, OHW = g->out_h * g->out_w;
    for (int64_t e = 0; e < g->batch * HW * C; ++e) dx[e] = 0;
    for (int64_t n = 0; n < g->batch; ++n)
        for (int64_t q = 0; q < OHW; ++q)
            for (int64_t c = 0; c < C; ++c) {
                const int32_t a = argmax[(n * OHW + q) * C + c];
                if (a >= 0) dx[(n * HW + a) * C + c] += dy[(n * OHW + q) * C + c];
            }
}

void FN(fnn_avgpool2d_forward_)(const fnn_pool_geom *g, const T *restrict x, T *restrict y, int n_threads)
{
    const int64_t C = g->channels, W = g->in_w, OW = g->out_w;
    const int64_t n_rows = g->batch * g->out_h;
    const int threads = n_rows * OW * C * g->pool_h * g->pool_w < 65536 ? 1 : n_threads;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int64_t t = 0; t < n_rows; ++t) {
        const int64_t n = t / g->out_h, oh = t % g->out_h;
        const T *xn = x + n * g->in_h * W * C;
        int64_t ih0, ih1;
        FN(window_)(oh, g->stride_h, g->pad_top, g->pool_h, g->in_h, &ih0, &ih1);
        for (int64_t ow = 0; ow < OW; ++ow) {
            T *restrict yp = y + (t * OW + ow) * C;
            int64_t iw0, iw1;
            FN(window_)(ow, g->stride_w, g->pad_left, g->pool_w, W, &iw0, &iw1);
            for (int64_t c = 0; c < C; ++c) yp[c] = 0;
            const int64_t count = (ih1 - ih0) * (iw1 - iw0);
            if (ih0 >= ih1 || iw0 >= iw1) continue;
            for (int64_t ih = ih0; ih < ih1; ++ih)
                for (int64_t iw = iw0; iw < iw1; ++iw) {
                    const T *restrict xp = xn + (ih * W + iw) * C;
                    for (int64_t c = 0; c < C; ++c) yp[c] += xp[c];
                }
            const T inv = (T)1 / (T)count;
            for (int64_t c = 0; c < C; ++c) yp[c] *= inv;
        }
    }
}

void FN(fnn_avgpool2d_forward_ref_)(const fnn_pool_geom *g, const T *x, T *y)
{
    const int64_t C = g->channels;
    for (int64_t n = 0; n < g->batch; ++n)
        for (int64_t oh = 0; oh < g->out_h; ++oh)
            for (int64_t ow = 0; ow < g->out_w; ++ow)
                for (int64_t c = 0; c < C; ++c) {
                    T sum = 0;
                    int64_t count = 0;
                    for (int64_t i = 0; i < g->pool_h; ++i)
                        for (int64_t j = 0; j < g->pool_w; ++j) {
                            const int64_t ih = oh * g->stride_h - g->pad_top + i;
                            const int64_t iw = ow * g->stride_w - g->pad_left + j;
                            if (ih < 0 || ih >= g->in_h || iw < 0 || iw >= g->in_w) continue;
                            sum += x[((n * g->in_h + ih) * g->in_w + iw) * C + c];
                            ++count;
                        }
                    y[((n * g->out_h + oh) * g->out_w + ow) * C + c] = count ? sum / (T)count : 0;
                }
}

/* Gather form: each input pixel sums dy / count over the windows holding it, in ascending (oh, ow)
 * order; threads own disjoint input rows. */
void FN(fnn_avgpool2d_backward_)(const fnn_pool_geom *g, const T *restrict dy, T *restrict dx, int n_threads)
{
    const int64_t C = g->channels, W = g->in_w, OW = g->out_w;
    const int64_t n_rows = g->batch * g->in_h;
    const int threads = n_rows * W * C * g->pool_h * g->pool_w < 65536 ? 1 : n_threads;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int64_t t = 0; t < n_rows; ++t) {
        const int64_t n = t / g->in_h, ih = t % g->in_h;
        T *restrict dxr = dx + t * W * C;
        for (int64_t e = 0; e < W * C; ++e) dxr[e] = 0;
        /* windows whose rows hold ih: oh*stride_h - pad_top <= ih <= oh*stride_h - pad_top + pool_h - 1 */
        const int64_t num_lo = ih + g->pad_top - g->pool_h + 1;
        int64_t oh_lo = num_lo <= 0 ? 0 : (num_lo + g->stride_h - 1) / g->stride_h;
        int64_t oh_hi = (ih + g->pad_top) / g->stride_h;
        if (oh_hi > g->out_h - 1) oh_hi = g->out_h - 1;
        for (int64_t oh = oh_lo; oh <= oh_hi; ++oh) {
            int64_t ih0, ih1;
            FN(window_)(oh, g->stride_h, g->pad_top, g->pool_h, g->in_h, &ih0, &ih1);
            const T *dyr = dy + (n * g->out_h + oh) * OW * C;
            for (int64_t iw = 0; iw < W; ++iw) {
                T *restrict d = dxr + iw * C;
                const int64_t numw = iw + g->pad_left - g->pool_w + 1;
                const int64_t ow_lo = numw <= 0 ? 0 : (numw + g->stride_w - 1) / g->stride_w;
                int64_t ow_hi = (iw + g->pad_left) / g->stride_w;
                if (ow_hi > OW - 1) ow_hi = OW - 1;
                for (int64_t ow = ow_lo; ow <= ow_hi; ++ow) {
                    int64_t iw0, iw1;
                    FN(window_)(ow, g->stride_w, g->pad_left, g->pool_w, W, &iw0, &iw1);
                    const T inv = (T)1 / (T)((ih1 - ih0) * (iw1 - iw0));
                    const T *restrict s = dyr + ow * C;
                    for (int64_t c = 0; c < C; ++c) d[c] += s[c] * inv;
                }
            }
        }
    }
}

void FN(fnn_avgpool2d_backward_ref_)(const fnn_pool_geom *g, const T *dy, T *dx)
{
    const int64_t C = g->channels;
    for (int64_t e = 0; e < g->batch * g->in_h * g->in_w * C; ++e) dx[e] = 0;
    for (int64_t n = 0; n < g->batch; ++n)
        for (int64_t oh = 0; oh < g->out_h; ++oh)
            for (int64_t ow = 0; ow < g->out_w; ++ow) {
                int64_t count = 0;
                for (int64_t i = 0; i < g->pool_h; ++i)
                    for (int64_t j = 0; j < g->pool_w; ++j) {
                        const int64_t ih = oh * g->stride_h - g->pad_top + i;
                        const int64_t iw = ow * g->stride_w - g->pad_left + j;
                        count += ih >= 0 && ih < g->in_h && iw >= 0 && iw < g->in_w;
                    }
                for (int64_t i = 0; i < g->pool_h; ++i)
                    for (int64_t j = 0; j < g->pool_w; ++j) {
                        const int64_t ih = oh * g->stride_h - g->pad_top + i;
                        const int64_t iw = ow * g->stride_w - g->pad_left + j;
                        if (ih < 0 || ih >= g->in_h || iw < 0 || iw >= g->in_w) continue;
                        for (int64_t c = 0; c < C; ++c)
                            dx[((n * g->in_h + ih) * g->in_w + iw) * C + c] +=
                                dy[((n * g->out_h + oh) * g->out_w + ow) * C + c] / (T)count;
                    }
            }
}

/* ---- global pooling: images are independent; each channel's sum runs in spatial order ---- */

void FN(fnn_global_avgpool_forward_)(int64_t batch, int64_t spatial, int64_t channels, const T *restrict x,
                                     T *restrict y, int n_threads)
{
    const int threads = batch * spatial * channels < 65536 ? 1 : n_threads;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int64_t n = 0; n < batch; ++n) {
        T *restrict yn = y + n * channels;
        const T *restrict xn = x + n * spatial * channels;
        for (int64_t c = 0; c < channels; ++c) yn[c] = 0;
        for (int64_t p = 0; p < spatial; ++p)
            for (int64_t c = 0; c < channels; ++c) yn[c] += xn[p * channels + c];
        const T inv = spatial ? (T)1 / (T)spatial : 0;
        for (int64_t c = 0; c < channels; ++c) yn[c] *= inv;
    }
}

void FN(fnn_global_avgpool_backward_)(int64_t batch, int64_t spatial, int64_t channels, const T *restrict dy,
                                      T *restrict dx, int n_threads)
{
    const int threads = batch * spatial * channels < 65536 ? 1 : n_threads;
    const T inv = spatial ? (T)1 / (T)spatial : 0;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int64_t n = 0; n < batch; ++n)
        for (int64_t p = 0; p < spatial; ++p)
            for (int64_t c = 0; c < channels; ++c) dx[(n * spatial + p) * channels + c] = dy[n * channels + c] * inv;
}

void FN(fnn_global_maxpool_forward_)(int64_t batch, int64_t spatial, int64_t channels, const T *restrict x,
                                     T *restrict y, int32_t *restrict argmax, int n_threads)
{
    const int threads = batch * spatial * channels < 65536 ? 1 : n_threads;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int64_t n = 0; n < batch; ++n) {
        T *restrict yn = y + n * channels;
        int32_t *restrict an = argmax + n * channels;
        const T *restrict xn = x + n * spatial * channels;
        for (int64_t c = 0; c < channels; ++c) { yn[c] = spatial ? xn[c] : 0; an[c] = spatial ? 0 : -1; }
        for (int64_t p = 1; p < spatial; ++p)
            for (int64_t c = 0; c < channels; ++c) {
                const int larger = xn[p * channels + c] > yn[c];
                yn[c] = larger ? xn[p * channels + c] : yn[c];
                an[c] = larger ? (int32_t)p : an[c];
            }
    }
}

void FN(fnn_global_maxpool_backward_)(int64_t batch, int64_t spatial, int64_t channels, const T *restrict dy,
                                      const int32_t *restrict argmax, T *restrict dx, int n_threads)
{
    const int threads = batch * spatial * channels < 65536 ? 1 : n_threads;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int64_t n = 0; n < batch; ++n) {
        T *restrict dxn = dx + n * spatial * channels;
        for (int64_t e = 0; e < spatial * channels; ++e) dxn[e] = 0;
        for (int64_t c = 0; c < channels; ++c) {
            const int32_t a = argmax[n * channels + c];
            if (a >= 0) dxn[a * channels + c] = dy[n * channels + c];
        }
    }
}

#undef FN
