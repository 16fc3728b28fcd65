/* Public drivers of the fused optimizer updates for one dtype (template: T, SFX, CHUNK(base, isa)).
 *
 * Work is cut into fixed chunks of FNN_OPTIM_CHUNK elements that never depend on n_threads; each
 * chunk is updated by the generic or the AVX-512 body (identical rounding), so results are
 * bit-identical for any thread count and either ISA path. Small arrays stay on one thread.
 */
#define OPT_FN(base) FNN_CAT3(fnn_, base, SFX)

#define FOR_EACH_CHUNK(n, n_threads, BODY)                                                       \
    do {                                                                                         \
        const int64_t n_chunks_ = ((n) + FNN_OPTIM_CHUNK - 1) / FNN_OPTIM_CHUNK;                \
        const int threads_ = ((n) >= OPTIM_PARALLEL_MIN && (n_threads) > 1) ? (n_threads) : 1; \
        const int avx512_ = fnn_isa_active() >= FNN_ISA_AVX512;                                 \
        OPTIM_OMP_FOR                                                                            \
        for (int64_t c_ = 0; c_ < n_chunks_; c_++) {                                            \
            const int64_t off = c_ * FNN_OPTIM_CHUNK;                                           \
            const int64_t len = ((n) - off) < FNN_OPTIM_CHUNK ? ((n) - off) : FNN_OPTIM_CHUNK;  \
            (void)avx512_; (void)threads_;                                                       \
            BODY                                                                                 \
        }                                                                                        \
    } while (0)

/* Pick the ISA variant of a chunk body. */
#define PICK(base) (avx512_ ? CHUNK(base, avx512) : CHUNK(base, generic))
#define PTR(p) ((p) == NULL ? NULL : (p) + off)
#define PREP_ARGS (T)grad_scale, clip_value > 0, (T)clip_value, decay != 0, (T)decay

void OPT_FN(sgd_)(int64_t n, T *w, const T *g, T *velocity, double lr, double momentum, int nesterov,
                  double grad_scale, double clip_value, double decay, int n_threads)
{
    FOR_EACH_CHUNK(n, n_threads, {
        PICK(sgd)(len, w + off, g + off, PTR(velocity), (T)lr, (T)momentum, nesterov, PREP_ARGS);
    });
}

void OPT_FN(adagrad_)(int64_t n, T *w, const T *g, T *accumulator, double lr, double epsilon,
                      double grad_scale, double clip_value, double decay, int n_threads)
{
    FOR_EACH_CHUNK(n, n_threads, {
        PICK(adagrad)(len, w + off, g + off, accumulator + off, (T)lr, (T)epsilon, PREP_ARGS);
    });
}

void OPT_FN(adadelta_)(int64_t n, T *w, const T *g, T *acc_grad, T *acc_delta, double lr, double rho,
                       double epsilon, double grad_scale, double clip_value, double decay, int n_threads)
{
    FOR_EACH_CHUNK(n, n_threads, {
        PICK(adadelta)(len, w + off, g + off, acc_grad + off, acc_delta + off, (T)lr, (T)rho, (T)epsilon,
                       PREP_ARGS);
    });
}

void OPT_FN(rmsprop_)(int64_t n, T *w, const T *g, T *velocity, T *momentum_buf, T *avg_grad, double lr,
                      double rho, double momentum, double epsilon, double grad_scale, double clip_value,
                      double decay, int n_threads)
{
    FOR_EACH_CHUNK(n, n_threads, {
        PICK(rmsprop)(len, w + off, g + off, velocity + off, PTR(momentum_buf), PTR(avg_grad), (T)lr,
                      (T)rho, (T)momentum, (T)epsilon, PREP_ARGS);
    });
}

void OPT_FN(adam_)(int64_t n, T *w, const T *g, T *m, T *v, T *v_hat, double alpha, double beta_1,
                   double beta_2, double epsilon, double grad_scale, double clip_value, double decay,
                   int n_threads)
{
    FOR_EACH_CHUNK(n, n_threads, {
        PICK(adam)(len, w + off, g + off, m + off, v + off, PTR(v_hat), (T)alpha, (T)1 - (T)beta_1,
                   (T)1 - (T)beta_2, (T)epsilon, PREP_ARGS);
    });
}

void OPT_FN(nadam_)(int64_t n, T *w, const T *g, T *m, T *v, double lr, double beta_1, double beta_2,
                    double epsilon, double u_t, double u_next, double u_prod, double u_prod_next,
                    double beta_2_power, double grad_scale, double clip_value, double decay, int n_threads)
{
    FOR_EACH_CHUNK(n, n_threads, {
        PICK(nadam)(len, w + off, g + off, m + off, v + off, (T)lr, (T)1 - (T)beta_1, (T)1 - (T)beta_2,
                    (T)epsilon, (T)u_next, (T)1 - (T)u_prod_next, (T)1 - (T)u_t, (T)1 - (T)u_prod,
                    (T)1 - (T)beta_2_power, PREP_ARGS);
    });
}

void OPT_FN(sumsq_chunks_)(int64_t n, const T *x, double *partials, int n_threads)
{
    FOR_EACH_CHUNK(n, n_threads, { partials[c_] = PICK(sumsq)(len, x + off); });
}

#undef OPT_FN
#undef FOR_EACH_CHUNK
#undef PICK
#undef PTR
#undef PREP_ARGS
