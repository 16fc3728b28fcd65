/* Activation blocks (forward in place, forward out of place, backward), included by eltwise_impl.h
 * once per float type and ISA with T, SFX, EXPT, EXPM1T, TANHT and
 *   ISA_SFX(f)  the name for this type and ISA (f##_f32_avx2, ...)
 *   ISA_TARGET  the function attribute enabling that ISA (empty for the generic build).
 * The same C source compiled for wider vectors: GCC vectorizes these plain loops. */

/* Elementwise loop over i < n of one block: `EXPR` computes the value from the element `v`.
 * The blocks run in parallel (below); a plain loop on local pointers is what GCC vectorizes. */
#define ELT_LOOP(OUT, EXPR)                                                                       \
    do {                                                                                          \
        for (int64_t i = 0; i < n; i++) {                                                         \
            const T v = in[i];                                                                    \
            (void)v;                                                                              \
            OUT = (EXPR);                                                                         \
        }                                                                                         \
    } while (0)

/* Constants of the forward switch (not every case uses each). */
#define ACT_FORWARD_SWITCH                                                                        \
    const T selu_scale = (T)SELU_SCALE, selu_alpha = (T)SELU_ALPHA;                               \
    const T sqrt_half = (T)0.70710678118654752440, gelu_c = (T)0.79788456080286535588;            \
    (void)selu_scale; (void)selu_alpha; (void)sqrt_half; (void)gelu_c;
/* Forward of one block, y over x in place: the single pointer keeps the loop vectorizable. */
static ISA_TARGET void ISA_SFX(act_forward_inplace)(int kind, int64_t n, T *y, T param)
{
    const T *in = y;
    ACT_FORWARD_SWITCH
    switch (kind) {
    case FNN_ACT_RELU: ELT_LOOP(y[i], v > 0 ? v : (T)0); break;
    case FNN_ACT_SIGMOID: ELT_LOOP(y[i], SFX(sigmoid_)(v)); break;
    case FNN_ACT_TANH: ELT_LOOP(y[i], TANHT(v)); break;
    case FNN_ACT_LEAKY_RELU: ELT_LOOP(y[i], v > 0 ? v : v * param); break;
    case FNN_ACT_ELU: ELT_LOOP(y[i], v > 0 ? v : param * EXPM1T(v)); break;
    case FNN_ACT_SELU: ELT_LOOP(y[i], v > 0 ? selu_scale * v : selu_scale * selu_alpha * EXPM1T(v)); break;
    case FNN_ACT_SOFTPLUS: ELT_LOOP(y[i], SFX(softplus_)(v)); break;
    case FNN_ACT_SOFTSIGN: ELT_LOOP(y[i], v / ((T)1 + fabs(v))); break;
    case FNN_ACT_SWISH: ELT_LOOP(y[i], v * SFX(sigmoid_)(v)); break;
    case FNN_ACT_GELU: ELT_LOOP(y[i], (T)0.5 * v * ((T)1 + erf(v * sqrt_half))); break;
    case FNN_ACT_GELU_TANH:
        ELT_LOOP(y[i], (T)0.5 * v * ((T)1 + TANHT(gelu_c * (v + (T)0.044715 * v * v * v))));
        break;
    case FNN_ACT_HARD_SIGMOID: ELT_LOOP(y[i], fmin(fmax(v + (T)3, (T)0), (T)6) / (T)6); break;
    case FNN_ACT_EXPONENTIAL: ELT_LOOP(y[i], EXPT(v)); break;
    case FNN_ACT_RELU6: ELT_LOOP(y[i], fmin(fmax(v, (T)0), (T)6)); break;
    case FNN_ACT_HARD_SWISH: ELT_LOOP(y[i], v * (fmin(fmax(v + (T)3, (T)0), (T)6) / (T)6)); break;
    case FNN_ACT_MISH: ELT_LOOP(y[i], v * tanh(SFX(softplus_)(v))); break;
    default:
        if (y != in)
            ELT_LOOP(y[i], v);
        break;
    }

}

static ISA_TARGET void ISA_SFX(act_forward_block)(int kind, int64_t n, const T *restrict in, T *restrict y, T param)
{
    ACT_FORWARD_SWITCH
    switch (kind) {
    case FNN_ACT_RELU: ELT_LOOP(y[i], v > 0 ? v : (T)0); break;
    case FNN_ACT_SIGMOID: ELT_LOOP(y[i], SFX(sigmoid_)(v)); break;
    case FNN_ACT_TANH: ELT_LOOP(y[i], TANHT(v)); break;
    case FNN_ACT_LEAKY_RELU: ELT_LOOP(y[i], v > 0 ? v : v * param); break;
    case FNN_ACT_ELU: ELT_LOOP(y[i], v > 0 ? v : param * EXPM1T(v)); break;
    case FNN_ACT_SELU: ELT_LOOP(y[i], v > 0 ? selu_scale * v : selu_scale * selu_alpha * EXPM1T(v)); break;
    case FNN_ACT_SOFTPLUS: ELT_LOOP(y[i], SFX(softplus_)(v)); break;
    case FNN_ACT_SOFTSIGN: ELT_LOOP(y[i], v / ((T)1 + fabs(v))); break;
    case FNN_ACT_SWISH: ELT_LOOP(y[i], v * SFX(sigmoid_)(v)); break;
    case FNN_ACT_GELU: ELT_LOOP(y[i], (T)0.5 * v * ((T)1 + erf(v * sqrt_half))); break;
    case FNN_ACT_GELU_TANH:
        ELT_LOOP(y[i], (T)0.5 * v * ((T)1 + TANHT(gelu_c * (v + (T)0.044715 * v * v * v))));
        break;
    case FNN_ACT_HARD_SIGMOID: ELT_LOOP(y[i], fmin(fmax(v + (T)3, (T)0), (T)6) / (T)6); break;
    case FNN_ACT_EXPONENTIAL: ELT_LOOP(y[i], EXPT(v)); break;
    case FNN_ACT_RELU6: ELT_LOOP(y[i], fmin(fmax(v, (T)0), (T)6)); break;
    case FNN_ACT_HARD_SWISH: ELT_LOOP(y[i], v * (fmin(fmax(v + (T)3, (T)0), (T)6) / (T)6)); break;
    case FNN_ACT_MISH: ELT_LOOP(y[i], v * tanh(SFX(softplus_)(v))); break;
    default:
        if (y != in)
            ELT_LOOP(y[i], v);
        break;
    }

}

static ISA_TARGET void ISA_SFX(act_backward_block)(int kind, int64_t n, const T *restrict in, const T *restrict dy,
                                                    T *restrict dx, T param, int from_y)
{
    const T selu_scale = (T)SELU_SCALE, selu_sa = (T)(SELU_SCALE * SELU_ALPHA);
    const T sqrt_half = (T)0.70710678118654752440, inv_sqrt_2pi = (T)0.39894228040143267794;
    const T gelu_c = (T)0.79788456080286535588;
    switch (kind) {
    case FNN_ACT_RELU: ELT_LOOP(dx[i], v > 0 ? dy[i] : (T)0); break;
    case FNN_ACT_SIGMOID: ELT_LOOP(dx[i], dy[i] * v * ((T)1 - v)); break;
    case FNN_ACT_TANH: ELT_LOOP(dx[i], dy[i] * ((T)1 - v * v)); break;
    case FNN_ACT_LEAKY_RELU: ELT_LOOP(dx[i], v > 0 ? dy[i] : dy[i] * param); break;
    case FNN_ACT_ELU:
        if (from_y)
            ELT_LOOP(dx[i], v > 0 ? dy[i] : dy[i] * (v + param));
        else
            ELT_LOOP(dx[i], v > 0 ? dy[i] : dy[i] * param * EXPT(v));
        break;
    case FNN_ACT_SELU: ELT_LOOP(dx[i], v > 0 ? dy[i] * selu_scale : dy[i] * (v + selu_sa)); break;
    case FNN_ACT_SOFTPLUS: ELT_LOOP(dx[i], -dy[i] * EXPM1T(-v)); break;
    case FNN_ACT_SOFTSIGN: ELT_LOOP(dx[i], dy[i] / (((T)1 + fabs(v)) * ((T)1 + fabs(v)))); break;
    case FNN_ACT_SWISH: {
        ELT_LOOP(dx[i], dy[i] * SFX(sigmoid_)(v) * ((T)1 + v * ((T)1 - SFX(sigmoid_)(v))));
        break;
    }
    case FNN_ACT_GELU:
        ELT_LOOP(dx[i], dy[i] * ((T)0.5 * ((T)1 + erf(v * sqrt_half)) + v * inv_sqrt_2pi * exp((T)-0.5 * v * v)));
        break;
    case FNN_ACT_GELU_TANH:
        ELT_LOOP(dx[i], dy[i] * ((T)0.5 * ((T)1 + TANHT(gelu_c * (v + (T)0.044715 * v * v * v))) +
                                 (T)0.5 * v * ((T)1 - TANHT(gelu_c * (v + (T)0.044715 * v * v * v)) *
                                                          TANHT(gelu_c * (v + (T)0.044715 * v * v * v))) *
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
        ELT_LOOP(dx[i], dy[i]);
        break;
    }

}

/* Dropout of elements [i0, i0 + n) (x, y, keep point at element i0). */
static ISA_TARGET void ISA_SFX(dropout_block)(int64_t i0, int64_t n, dropout_key key, uint32_t threshold, T scale,
                                             const T *restrict x, T *restrict y, uint8_t *restrict keep)
{
    for (int64_t i = 0; i < n; i++) {
        const uint32_t k = (dropout_hash(key, (uint64_t)(i0 + i)) >> 8) >= threshold;
        keep[i] = (uint8_t)k;
        y[i] = x[i] * (k ? scale : (T)0);
    }
}

/* dx = dy * scale where kept, exact 0 where dropped (a non-finite gradient does not leak through a
 * dropped element). Built per ISA so the byte-mask select vectorizes. */
static ISA_TARGET void ISA_SFX(dropout_backward_block)(int64_t n, const uint8_t *restrict keep, T scale,
                                                      const T *restrict dy, T *restrict dx)
{
    for (int64_t i = 0; i < n; i++)
        dx[i] = keep[i] ? dy[i] * scale : (T)0;
}

#undef ACT_FORWARD_SWITCH
#undef ELT_LOOP
