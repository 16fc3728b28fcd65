/* Element-wise bodies of the fused optimizer updates, one chunk at a time.
 *
 * Template: include with T (float/double), SQRT (sqrtf/sqrt), NAME(base) (the function name for this
 * dtype and ISA variant) and ATTR (target / optimize attributes) defined. optim.c instantiates it for
 * {float, double} x {generic, avx512} with floating-point contraction off, so no multiply-add is fused
 * and every variant rounds each operation identically (bit-identical results).
 *
 * Every body first prepares the gradient exactly as Keras does before an update:
 *   g = g * grad_scale            (loss-scale undo and clipnorm / global_clipnorm factor; 1 when off)
 *   g = clip(g, -clip_value, clip_value)                              (only when has_clip)
 * then applies Keras's decoupled weight decay w = w - w * decay (decay = weight_decay * lr; only when
 * has_decay), then the optimizer's own step. State arrays are read and overwritten in place.
 */

#define PREP_GRAD(gi)                                                          \
    do {                                                                       \
        gi = gi * grad_scale;                                                  \
        if (has_clip)                                                          \
            gi = gi > clip_value ? clip_value : (gi < -clip_value ? -clip_value : gi); \
    } while (0)
#define DECAY(wi) do { if (has_decay) wi = wi - wi * decay; } while (0)
#define CHUNK_ARGS T grad_scale, int has_clip, T clip_value, int has_decay, T decay

/* SGD: v = momentum * v - lr * g; w += v (nesterov: w += momentum * v - lr * g).
 * velocity == NULL means momentum 0: w -= g * lr. */
static ATTR void NAME(sgd)(int64_t n, T *restrict w, const T *restrict g, T *restrict velocity,
                           T lr, T momentum, int nesterov, CHUNK_ARGS)
{
    if (velocity == NULL) {
        for (int64_t i = 0; i < n; i++) {
            T gi = g[i], wi = w[i];
            PREP_GRAD(gi);
            DECAY(wi);
            w[i] = wi - gi * lr;
        }
    } else if (nesterov) {
        for (int64_t i = 0; i < n; i++) {
            T gi = g[i], wi = w[i];
            PREP_GRAD(gi);
            DECAY(wi);
            T vi = velocity[i] * momentum - gi * lr;
            velocity[i] = vi;
            w[i] = wi + (vi * momentum - gi * lr);
        }
    } else {
        for (int64_t i = 0; i < n; i++) {
            T gi = g[i], wi = w[i];
            PREP_GRAD(gi);
            DECAY(wi);
            T vi = velocity[i] * momentum - gi * lr;
            velocity[i] = vi;
            w[i] = wi + vi;
        }
    }
}

/* Adagrad: acc += g^2; w -= lr * g / sqrt(acc + eps). */
static ATTR void NAME(adagrad)(int64_t n, T *restrict w, const T *restrict g, T *restrict acc,
                               T lr, T eps, CHUNK_ARGS)
{
    for (int64_t i = 0; i < n; i++) {
        T gi = g[i], wi = w[i];
        PREP_GRAD(gi);
        DECAY(wi);
        T ai = acc[i] + gi * gi;
        acc[i] = ai;
        w[i] = wi - (lr * gi) / SQRT(ai + eps);
    }
}

/* Adadelta: Eg = rho Eg + (1-rho) g^2; d = -sqrt(Ed + eps) g / sqrt(Eg + eps);
 * Ed = rho Ed + (1-rho) d^2; w += lr d. */
static ATTR void NAME(adadelta)(int64_t n, T *restrict w, const T *restrict g, T *restrict acc_grad,
                                T *restrict acc_delta, T lr, T rho, T eps, CHUNK_ARGS)
{
    const T one_minus_rho = (T)1 - rho;
    for (int64_t i = 0; i < n; i++) {
        T gi = g[i], wi = w[i];
        PREP_GRAD(gi);
        DECAY(wi);
        T eg = rho * acc_grad[i] + one_minus_rho * (gi * gi);
        acc_grad[i] = eg;
        T ed = acc_delta[i];
        T delta = -((SQRT(ed + eps) * gi) / SQRT(eg + eps));
        acc_delta[i] = rho * ed + one_minus_rho * (delta * delta);
        w[i] = wi + lr * delta;
    }
}

/* RMSprop: v = rho v + (1-rho) g^2; centered: a = rho a + (1-rho) g, den = v - a^2 + eps, else
 * den = v + eps; inc = lr g / sqrt(den); momentum: m = momentum m + inc, w -= m; else w -= inc.
 * avg_grad == NULL: not centered; mom == NULL: momentum 0. */
static ATTR void NAME(rmsprop)(int64_t n, T *restrict w, const T *restrict g, T *restrict velocity,
                               T *restrict mom, T *restrict avg_grad, T lr, T rho, T momentum, T eps,
                               CHUNK_ARGS)
{
    const T one_minus_rho = (T)1 - rho;
    for (int64_t i = 0; i < n; i++) {
        T gi = g[i], wi = w[i];
        PREP_GRAD(gi);
        DECAY(wi);
        T vi = rho * velocity[i] + one_minus_rho * (gi * gi);
        velocity[i] = vi;
        T den;
        if (avg_grad != NULL) {
            T ai = rho * avg_grad[i] + one_minus_rho * gi;
            avg_grad[i] = ai;
            den = (vi - ai * ai) + eps;
        } else {
            den = vi + eps;
        }
        T inc = (lr * gi) / SQRT(den);
        if (mom != NULL) {
            T mi = momentum * mom[i] + inc;
            mom[i] = mi;
            w[i] = wi - mi;
        } else {
            w[i] = wi - inc;
        }
    }
}

/* Adam (Keras 3): m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); amsgrad: vh = max(vh, v), use vh;
 * w -= m * alpha / (sqrt(v) + eps), alpha = lr sqrt(1 - b2^t) / (1 - b1^t) given by the caller.
 * v_hat == NULL: no amsgrad. */
static ATTR void NAME(adam)(int64_t n, T *restrict w, const T *restrict g, T *restrict m, T *restrict v,
                            T *restrict v_hat, T alpha, T one_minus_b1, T one_minus_b2, T eps, CHUNK_ARGS)
{
    for (int64_t i = 0; i < n; i++) {
        T gi = g[i], wi = w[i];
        PREP_GRAD(gi);
        DECAY(wi);
        T mi = m[i] + (gi - m[i]) * one_minus_b1;
        T vi = v[i] + (gi * gi - v[i]) * one_minus_b2;
        m[i] = mi;
        v[i] = vi;
        if (v_hat != NULL) {
            T hi = v_hat[i] > vi ? v_hat[i] : vi;
            v_hat[i] = hi;
            vi = hi;
        }
        w[i] = wi - (mi * alpha) / (SQRT(vi) + eps);
    }
}

/* Nadam (Keras 3): m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2);
 * m_hat = u_next m / (1 - u_prod_next) + (1 - u_t) g / (1 - u_prod); v_hat = v / (1 - b2^t);
 * w -= m_hat lr / (sqrt(v_hat) + eps). The caller gives the momentum-schedule scalars. */
static ATTR void NAME(nadam)(int64_t n, T *restrict w, const T *restrict g, T *restrict m, T *restrict v,
                             T lr, T one_minus_b1, T one_minus_b2, T eps, T u_next, T one_minus_u_prod_next,
                             T one_minus_u_t, T one_minus_u_prod, T one_minus_b2_power, CHUNK_ARGS)
{
    for (int64_t i = 0; i < n; i++) {
        T gi = g[i], wi = w[i];
        PREP_GRAD(gi);
        DECAY(wi);
        T mi = m[i] + (gi - m[i]) * one_minus_b1;
        T vi = v[i] + (gi * gi - v[i]) * one_minus_b2;
        m[i] = mi;
        v[i] = vi;
        T m_hat = (u_next * mi) / one_minus_u_prod_next + (one_minus_u_t * gi) / one_minus_u_prod;
        T v_hat = vi / one_minus_b2_power;
        w[i] = wi - (m_hat * lr) / (SQRT(v_hat) + eps);
    }
}

/* Sum of x^2 over one chunk, accumulated in double left to right. */
static ATTR double NAME(sumsq)(int64_t n, const T *restrict x)
{
    /* Four interleaved partial sums combined in a fixed order: deterministic and vectorizable. */
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += (double)x[i] * (double)x[i];
        s1 += (double)x[i + 1] * (double)x[i + 1];
        s2 += (double)x[i + 2] * (double)x[i + 2];
        s3 += (double)x[i + 3] * (double)x[i + 3];
    }
    for (; i < n; i++)
        s0 += (double)x[i] * (double)x[i];
    return (s0 + s1) + (s2 + s3);
}

#undef PREP_GRAD
#undef DECAY
#undef CHUNK_ARGS
