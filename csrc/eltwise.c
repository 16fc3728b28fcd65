/* Elementwise kernels: activations (forward/backward), softmax, column sums (bias gradients),
 * dropout with a counter-based mask, batch-normalization statistics/forward/backward.
 * One body for float and double (eltwise_impl.h, included twice). Elementwise loops split by element
 * (any split gives the same bits); reductions use fixed row chunks combined in chunk order. */
#include <math.h>
#include <stdint.h>
#include "fastnn.h"
#include "fnn_expf.h"

/* Below this many elements a kernel runs on one thread (thread start-up costs more than the work). */
#define ELT_PAR_MIN 32768
#define SELU_SCALE 1.0507009873554804934193349852946
#define SELU_ALPHA 1.6732632423543772848170429916717
/* Stack partials used instead of `scratch` when everything fits in one chunk. */
#define FNN_BN_STACK 512

int fnn_act_backward_uses_output(int kind, double param)
{
    switch (kind) {
    case FNN_ACT_LINEAR: case FNN_ACT_RELU: case FNN_ACT_SIGMOID: case FNN_ACT_TANH: case FNN_ACT_SELU:
    case FNN_ACT_SOFTPLUS: case FNN_ACT_HARD_SIGMOID: case FNN_ACT_EXPONENTIAL: case FNN_ACT_RELU6:
        return 1;
    case FNN_ACT_LEAKY_RELU:  /* y > 0 exactly when x > 0 only for a non-negative slope */
        return param >= 0;
    case FNN_ACT_ELU:         /* y > 0 exactly when x > 0, and f' = y + alpha, for alpha > 0 */
        return param > 0;
    default:
        return 0;
    }
}

/* Rows per reduction chunk: about 32K elements, a function of the row width only (never of n_threads). */
static inline int64_t colsum_chunk_rows(int64_t n)
{
    const int64_t rows = 32768 / (n > 0 ? n : 1);
    return rows < 16 ? 16 : rows;
}

int64_t fnn_colsum_scratch_len(int64_t m, int64_t n)
{
    const int64_t chunk = colsum_chunk_rows(n);
    const int64_t n_chunks = (m + chunk - 1) / chunk;
    /* batch-norm backward keeps two partial rows (sum dy, sum dy*xhat) per chunk */
    return (n_chunks < 1 ? 1 : n_chunks) * 2 * n;
}

/* splitmix64 finaliser of (seed, index): a counter-based generator, so element i's draw does not
 * depend on which thread computes it or on any other element. */
static inline uint64_t counter_hash(uint64_t seed, uint64_t i)
{
    uint64_t z = seed * 0xD1B54A32D192ED03ULL + (i + 1) * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Keep when the 53-bit uniform integer u >= rate * 2^53, i.e. u / 2^53 >= rate. */
static inline uint64_t dropout_threshold(double rate)
{
    if (!(rate > 0))
        return 0;
    if (rate >= 1)
        return (uint64_t)1 << 53;
    return (uint64_t)ceil(rate * 9007199254740992.0);
}

void fnn_dropout_mask(int64_t n, uint64_t seed, double rate, uint8_t *keep, int n_threads)
{
    const int par = n_threads > 1 && n >= ELT_PAR_MIN;
    const uint64_t threshold = dropout_threshold(rate);
    _Pragma("omp parallel for schedule(static) num_threads(n_threads) if(par)")
    for (int64_t i = 0; i < n; i++)
        keep[i] = (uint8_t)(counter_hash(seed, (uint64_t)i) >> 11 >= threshold);
}

#include <tgmath.h>

#define T float
#define SFX(f) f##_f32
#define EXPT(v) fnn_expf(v)
#include "eltwise_impl.h"
#undef T
#undef SFX
#undef EXPT

#define T double
#define SFX(f) f##_f64
#define EXPT(v) exp(v)
#include "eltwise_impl.h"
#undef T
#undef SFX
#undef EXPT
