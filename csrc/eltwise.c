/* Elementwise kernels: activations (forward/backward), softmax, column sums (bias gradients),
 * dropout with a counter-based mask, batch-normalization statistics/forward/backward.
 * One body for float and double (eltwise_impl.h, included twice; the float activation and dropout
 * blocks also get AVX2 / AVX-512 builds from act_impl.h). Elementwise work runs in fixed blocks (each
 * element's result is independent of the split); reductions use fixed row chunks whose partial sums
 * combine in chunk order. Either way the bits never depend on n_threads. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include "fastnn.h"
#include "fnn_omp.h"
#include "fnn_expf.h"

/* Below this many elements a kernel runs on one thread (thread start-up costs more than the work). */
#define ELT_PAR_MIN 32768
/* Elements per parallel work item of the activation kernels. */
#define ELT_BLOCK 4096
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

/* Fewest elements worth a parallel region for an activation: cheap piecewise-linear ones are memory
 * bound (about 0.1 ns per element), so a fork/join of a few microseconds pays only on large arrays;
 * transcendental ones cost 1-10 ns per element. */
static inline int64_t act_par_min(int kind)
{
    switch (kind) {
    case FNN_ACT_LINEAR: case FNN_ACT_RELU: case FNN_ACT_LEAKY_RELU: case FNN_ACT_RELU6:
    case FNN_ACT_HARD_SIGMOID: case FNN_ACT_HARD_SWISH:
        return 4 * ELT_PAR_MIN;
    default:
        return ELT_PAR_MIN / 2;
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

/* Dropout's counter-based generator: element i's 32-bit draw is a keyed hash of i (two rounds of the
 * murmur3 32-bit finaliser), so it depends on nothing but (seed, i): not on threads, blocks or ISA.
 * The two 32-bit keys come from the 64-bit seed through splitmix64. 32-bit integer multiplies keep
 * the loop vectorizable (pmulld). */
typedef struct { uint32_t k0, k1; } dropout_key;

static inline dropout_key dropout_make_key(uint64_t seed)
{
    uint64_t z = seed + 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    dropout_key key = {(uint32_t)z, (uint32_t)(z >> 32)};
    return key;
}

static inline uint32_t fmix32(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85EBCA6BU;
    h ^= h >> 13;
    h *= 0xC2B2AE35U;
    h ^= h >> 16;
    return h;
}

static inline uint32_t dropout_hash(dropout_key key, uint64_t i)
{
    const uint32_t lo = (uint32_t)i, hi = (uint32_t)(i >> 32);
    return fmix32(fmix32(lo ^ key.k0) + (key.k1 ^ hi * 0x9E3779B9U));
}

/* Keep when the top 24 bits u of the draw satisfy u >= rate * 2^24 (u / 2^24 is uniform in [0, 1)). */
static inline uint32_t dropout_threshold(double rate)
{
    if (!(rate > 0))
        return 0;
    if (rate >= 1)
        return 1u << 24;
    return (uint32_t)ceil(rate * 16777216.0);
}

void fnn_dropout_mask(int64_t n, uint64_t seed, double rate, uint8_t *keep, int n_threads)
{
    const int par = n_threads > 1 && n >= ELT_PAR_MIN;
    const uint32_t threshold = dropout_threshold(rate);
    const dropout_key key = dropout_make_key(seed);
    OMP_FOR_IF(par)
    for (int64_t i = 0; i < n; i++)
        keep[i] = (uint8_t)((dropout_hash(key, (uint64_t)i) >> 8) >= threshold);
}

#include <tgmath.h>

/* AVX2 / AVX-512 builds of the float activation blocks exist on x86 (chosen by fnn_isa_active()). */
#if defined(__x86_64__) || defined(__i386__)
#define FNN_X86 1
#else
#define FNN_X86 0
#endif

#define T float
#define SFX(f) f##_f32
#define ELT_ISA_VARIANTS FNN_X86
#define EXPT(v) fnn_expf(v)
#define EXPM1T(v) fnn_expm1f(v)
#define TANHT(v) fnn_tanhf(v)
#include "eltwise_impl.h"
#undef T
#undef SFX
#undef ELT_ISA_VARIANTS
#undef EXPT
#undef EXPM1T
#undef TANHT

#define T double
#define SFX(f) f##_f64
#define ELT_ISA_VARIANTS 0
#define EXPT(v) exp(v)
#define EXPM1T(v) expm1(v)
#define TANHT(v) tanh(v)
#include "eltwise_impl.h"
#undef T
#undef SFX
#undef ELT_ISA_VARIANTS
#undef EXPT
#undef EXPM1T
#undef TANHT
