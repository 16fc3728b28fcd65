/* Reference twins of the fused optimizer updates (template: T, SQRT, REF(base)).
 * Plain single-threaded loops written straight from the Keras 3 formulas, kept for the tests. */

static T ref_prep_grad(T gi, double grad_scale, double clip_value)
{
    gi = gi * (T)grad_scale;
    if (clip_value > 0) {
        if (gi > (T)clip_value) gi = (T)clip_value;
        if (gi < -(T)clip_value) gi = -(T)clip_value;
    }
    return gi;
}
#define REF_PREP(i) T gi = ref_prep_grad(g[i], grad_scale, clip_value); \
    T wi = w[i]; if (decay != 0) wi = wi - wi * (T)decay

void REF(sgd)(int64_t n, T *w, const T *g, T *velocity, double lr, double momentum, int nesterov,
              double grad_scale, double clip_value, double decay)
{
    for (int64_t i = 0; i < n; i++) {
        REF_PREP(i);
        if (velocity == NULL) {
            w[i] = wi - gi * (T)lr;
        } else {
            velocity[i] = velocity[i] * (T)momentum - gi * (T)lr;
            if (nesterov)
                w[i] = wi + (velocity[i] * (T)momentum - gi * (T)lr);
            else
                w[i] = wi + velocity[i];
        }
    }
}

void REF(adagrad)(int64_t n, T *w, const T *g, T *accumulator, double lr, double epsilon,
                  double grad_scale, double clip_value, double decay)
{
    for (int64_t i = 0; i < n; i++) {
        REF_PREP(i);
        accumulator[i] = accumulator[i] + gi * gi;
        w[i] = wi - ((T)lr * gi) / SQRT(accumulator[i] + (T)epsilon);
    }
}

void REF(adadelta)(int64_t n, T *w, const T *g, T *acc_grad, T *acc_delta, double lr, double rho,
                   double epsilon, double grad_scale, double clip_value, double decay)
{
    T r = (T)rho, eps = (T)epsilon;
    for (int64_t i = 0; i < n; i++) {
        REF_PREP(i);
        acc_grad[i] = r * acc_grad[i] + ((T)1 - r) * (gi * gi);
        T delta = -((SQRT(acc_delta[i] + eps) * gi) / SQRT(acc_grad[i] + eps));
        acc_delta[i] = r * acc_delta[i] + ((T)1 - r) * (delta * delta);
        w[i] = wi + (T)lr * delta;
    }
}

void REF(rmsprop)(int64_t n, T *w, const T *g, T *velocity, T *momentum_buf, T *avg_grad, double lr,
                  double rho, double momentum, double epsilon, double grad_scale, double clip_value,
                  double decay)
{
    T r = (T)rho;
    for (int64_t i = 0; i < n; i++) {
        REF_PREP(i);
        velocity[i] = r * velocity[i] + ((T)1 - r) * (gi * gi);
        T den = velocity[i] + (T)epsilon;
        if (avg_grad != NULL) {
            avg_grad[i] = r * avg_grad[i] + ((T)1 - r) * gi;
            den = (velocity[i] - avg_grad[i] * avg_grad[i]) + (T)epsilon;
        }
        T inc = ((T)lr * gi) / SQRT(den);
        if (momentum_buf != NULL) {
            momentum_buf[i] = (T)momentum * momentum_buf[i] + inc;
            w[i] = wi - momentum_buf[i];
        } else {
            w[i] = wi - inc;
        }
    }
}

void REF(adam)(int64_t n, T *w, const T *g, T *m, T *v, T *v_hat, double alpha, double beta_1,
               double beta_2, double epsilon, double grad_scale, double clip_value, double decay)
{
    for (int64_t i = 0; i < n; i++) {
        REF_PREP(i);
        m[i] = m[i] + (gi - m[i]) * ((T)1 - (T)beta_1);
        v[i] = v[i] + (gi * gi - v[i]) * ((T)1 - (T)beta_2);
        T denom_v = v[i];
        if (v_hat != NULL) {
            if (v[i] > v_hat[i]) v_hat[i] = v[i];
            denom_v = v_hat[i];
        }
        w[i] = wi - (m[i] * (T)alpha) / (SQRT(denom_v) + (T)epsilon);
    }
}

void REF(nadam)(int64_t n, T *w, const T *g, T *m, T *v, double lr, double beta_1, double beta_2,
                double epsilon, double u_t, double u_next, double u_prod, double u_prod_next,
                double beta_2_power, double grad_scale, double clip_value, double decay)
{
    for (int64_t i = 0; i < n; i++) {
        REF_PREP(i);
        m[i] = m[i] + (gi - m[i]) * ((T)1 - (T)beta_1);
        v[i] = v[i] + (gi * gi - v[i]) * ((T)1 - (T)beta_2);
        T m_hat = ((T)u_next * m[i]) / ((T)1 - (T)u_prod_next) + (((T)1 - (T)u_t) * gi) / ((T)1 - (T)u_prod);
        T v_hat = v[i] / ((T)1 - (T)beta_2_power);
        w[i] = wi - (m_hat * (T)lr) / (SQRT(v_hat) + (T)epsilon);
    }
}

double REF(sumsq)(int64_t n, const T *x)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++)
        s += (double)x[i] * (double)x[i];
    return s;
}

#undef REF_PREP
