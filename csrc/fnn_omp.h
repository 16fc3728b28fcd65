/* OpenMP helpers shared by the kernels.
 *
 * GNU OpenMP enters its runtime for every parallel construct, even one with if(0) or a single thread:
 * about 0.4 us and a futex wake syscall each time. Batch-1 work cannot afford that (a GRU step at
 * batch 1 ran two such regions per time step), so FNN_PARALLEL_FOR and FNN_PARALLEL run their code
 * directly when the thread count is 1 and open a region only otherwise. The code is a macro argument,
 * written once; it may hold _Pragma but no preprocessor directives. FNN_PARALLEL declares the thread
 * number and team size under the names it is given: 0 and 1 when it runs the block directly, also
 * inside an enclosing region (a kernel called from a parallel loop with one thread), where
 * omp_get_thread_num() would name the outer team's thread. For the same reason a barrier in the block
 * must be written `if (team > 1) { FNN_PRAGMA(omp barrier) }`: run directly, there is no team of its own.
 *
 * OMP_FOR_IF(cond): `#pragma omp parallel for schedule(static) num_threads(n_threads) if(cond)` on the
 * loop that follows, with `n_threads` taken from the enclosing scope. Without OpenMP it expands to a
 * statement that uses `cond` and `n_threads`, so serial builds compile without warnings. */
#ifndef FNN_OMP_H
#define FNN_OMP_H
#define FNN_PRAGMA(x) _Pragma(#x)
#ifdef _OPENMP
#include <omp.h>
#define OMP_FOR_IF(cond) FNN_PRAGMA(omp parallel for schedule(static) num_threads(n_threads) if(cond))
/* The `for` loop given as the last argument, split statically across nt threads when nt > 1. */
#define FNN_PARALLEL_FOR(nt, ...)                                                      \
    do {                                                                               \
        if ((nt) > 1) {                                                                \
            FNN_PRAGMA(omp parallel for schedule(static) num_threads(nt))              \
            __VA_ARGS__                                                                \
        } else {                                                                       \
            __VA_ARGS__                                                                \
        }                                                                              \
    } while (0)
/* The block given as the last argument, run by a team of nt threads when nt > 1; `tid` and `team`
 * name the thread number and team size inside it. */
#define FNN_PARALLEL(nt, tid, team, ...)                                               \
    do {                                                                               \
        if ((nt) > 1) {                                                                \
            FNN_PRAGMA(omp parallel num_threads(nt))                                   \
            {                                                                          \
                const int tid = omp_get_thread_num(), team = omp_get_num_threads();    \
                __VA_ARGS__                                                            \
            }                                                                          \
        } else {                                                                       \
            const int tid = 0, team = 1;                                               \
            __VA_ARGS__                                                                \
        }                                                                              \
    } while (0)
#else
#define OMP_FOR_IF(cond) (void)(cond), (void)n_threads;
#define FNN_PARALLEL_FOR(nt, ...) do { (void)(nt); __VA_ARGS__ } while (0)
#define FNN_PARALLEL(nt, tid, team, ...)                                               \
    do {                                                                               \
        const int tid = 0, team = 1;                                                   \
        (void)(nt), (void)tid, (void)team;                                             \
        __VA_ARGS__                                                                    \
    } while (0)
#endif
#endif
