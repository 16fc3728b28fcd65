/* Runtime information and the once-per-process choice of ISA path. */
#include "fastnn.h"
#include <stdlib.h> /* defines __GLIBC__ on glibc systems */
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

#ifndef FASTNN_BUILD_FLAGS
#define FASTNN_BUILD_FLAGS "unknown"
#endif

static int detected_isa = -1;
static int active_isa = -1;

int fnn_isa_detected(void)
{
    if (detected_isa < 0) {
        int level = FNN_ISA_GENERIC;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
            level = FNN_ISA_AVX2;
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
            __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq"))
            level = FNN_ISA_AVX512;
#endif
        detected_isa = level;
    }
    return detected_isa;
}

int fnn_isa_active(void)
{
    if (active_isa < 0)
        active_isa = fnn_isa_detected();
    return active_isa;
}

int fnn_isa_force(int level)
{
    int best = fnn_isa_detected();
    active_isa = (level < 0 || level > best) ? best : level;
    return active_isa;
}

const char *fnn_isa_name(int level)
{
    switch (level) {
    case FNN_ISA_AVX512: return "avx512";
    case FNN_ISA_AVX2: return "avx2+fma";
    default: return "generic";
    }
}

const char *fnn_build_flags(void) { return FASTNN_BUILD_FLAGS; }

int fnn_openmp_enabled(void)
{
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}

int fnn_omp_max_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* Keep freed activation memory in the heap between training steps (glibc only). By default glibc returns
 * the top of the heap to the kernel once more than ~2x the largest recent allocation is free, so every
 * step of a CNN faults its ~100 MB of activations back in (about 2400 faults, ~15 ms per cnn-workload
 * step here). Raising the trim threshold keeps them; pinning the mmap threshold keeps arrays below it in
 * the heap (setting either one switches off glibc's own adaptive thresholds). Returns 1 when applied. */
int fnn_malloc_keep_freed(int64_t mmap_threshold, int64_t trim_threshold)
{
#if defined(__GLIBC__)
    return mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold) == 1 && mallopt(M_TRIM_THRESHOLD, (int)trim_threshold) == 1;
#else
    (void)mmap_threshold;
    (void)trim_threshold;
    return 0;
#endif
}
