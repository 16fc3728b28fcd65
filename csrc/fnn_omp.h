/* OMP_FOR_IF(cond): `#pragma omp parallel for schedule(static) num_threads(n_threads) if(cond)` on the
 * loop that follows, with `n_threads` taken from the enclosing scope. Without OpenMP it expands to a
 * statement that uses `cond` and `n_threads`, so serial builds compile without warnings. */
#ifndef FNN_OMP_H
#define FNN_OMP_H
#define FNN_PRAGMA(x) _Pragma(#x)
#ifdef _OPENMP
#define OMP_FOR_IF(cond) FNN_PRAGMA(omp parallel for schedule(static) num_threads(n_threads) if(cond))
#else
#define OMP_FOR_IF(cond) (void)(cond), (void)n_threads;
#endif
#endif
