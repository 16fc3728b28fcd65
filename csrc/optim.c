/* Fused optimizer updates: one pass over (param, grad, state...) per parameter array.
 * Bodies: optim_chunk.h (per dtype and ISA); drivers: optim_driver.h (per dtype). */
#include "fastnn.h"
#include <math.h>
#include <stddef.h>

#define FNN_CAT3_(a, b, c) a##b##c
#define FNN_CAT3(a, b, c) FNN_CAT3_(a, b, c)
#define FNN_CAT5_(a, b, c, d, e) a##b##c##d##e
#define FNN_CAT5(a, b, c, d, e) FNN_CAT5_(a, b, c, d, e)

#ifdef _OPENMP
#define OPTIM_OMP_FOR _Pragma("omp parallel for schedule(static) num_threads(threads_) if(threads_ > 1)")
#else
#define OPTIM_OMP_FOR
#endif

/* Below this many elements a thread team costs more than it saves. */
#define OPTIM_PARALLEL_MIN (4 * FNN_OPTIM_CHUNK)

/* chunk bodies: chunk_<base>_<isa>_<dtype>. AVX-512F implies FMA in GCC, which would contract a*b + c
 * differently from the generic path and the reference: contraction stays off in every variant so all
 * paths round identically (also under FASTNN_NATIVE=1). */
#define NO_CONTRACT optimize("fp-contract=off")
#define CHUNK(base, isa) FNN_CAT5(chunk_, base, _##isa, _, SFX)

#define T float
#define SQRT sqrtf
#define SFX f32
#define NAME(base) CHUNK(base, generic)
#define ATTR __attribute__((NO_CONTRACT))
#include "optim_chunk.h"
#undef NAME
#undef ATTR
#define NAME(base) CHUNK(base, avx512)
#define ATTR __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq"), NO_CONTRACT))
#include "optim_chunk.h"
#undef NAME
#undef ATTR
#include "optim_driver.h"
#undef T
#undef SQRT
#undef SFX

#define T double
#define SQRT sqrt
#define SFX f64
#define NAME(base) CHUNK(base, generic)
#define ATTR __attribute__((NO_CONTRACT))
#include "optim_chunk.h"
#undef NAME
#undef ATTR
#define NAME(base) CHUNK(base, avx512)
#define ATTR __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq"), NO_CONTRACT))
#include "optim_chunk.h"
#undef NAME
#undef ATTR
#include "optim_driver.h"
#undef T
#undef SQRT
#undef SFX

int64_t fnn_optim_num_chunks(int64_t n) { return (n + FNN_OPTIM_CHUNK - 1) / FNN_OPTIM_CHUNK; }
