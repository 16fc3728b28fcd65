/* Runtime information and the once-per-process choice of ISA path. */
#include "fastnn.h"
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
