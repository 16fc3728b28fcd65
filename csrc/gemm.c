/* GEMM: packing, blocking, threading (gemm_driver.h) over register-blocked micro-kernels
 * (gemm_kernel.h) for AVX-512, AVX2+FMA and generic C, chosen per call by fnn_isa_active().
 * float32 and float64 are the same source instantiated twice. Design notes: docs/GEMM.md.
 */
#include "fastnn.h"
#include "fnn_omp.h"
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#else
#pragma GCC diagnostic ignored "-Wunknown-pragmas" /* serial build (FASTNN_NO_OPENMP=1): pragmas unused */
#endif

#if defined(__x86_64__) || defined(__i386__)
#define FNN_X86 1
#include <immintrin.h>
#else
#define FNN_X86 0
#endif

/* Blocking (PERFORMANCE.md, measured on Zen 4: 32 KiB L1d, 1 MiB L2 per core).
 * FNN_KC is part of the numerical contract: k is cut into ceil(k/KC) near-equal blocks whatever the
 * thread count or path, and the partial results of the blocks are added in order. */
#define FNN_KC 384
#define FNN_MC_F32 168 /* MC x KC of packed A = 252 KiB, resident in L2 */
#define FNN_MC_F64 84
#define FNN_NC 4096
#define FNN_NR_MAX_BYTES 256        /* widest micro-panel row: 64 floats / 32 doubles */
#define FNN_DIRECT_B_BYTES (512 * 1024) /* a thread's packed B in the direct engine */
#define FNN_DIRECT_M_MAX 256        /* direct (no A packing) engine when m or n is at most this */
#define FNN_DIRECT_N_MAX 384
#define FNN_MT_MIN_FLOP 2e6
#define FNN_ROWS_M_MAX 4            /* few-row engine (B read in place, no packing) up to this m */
#define FNN_ROWS_MT_MIN_BYTES (256.0 * 1024)

static int fnn_fail_alloc; /* test hook, see fnn_gemm_test_fail_alloc */

int fnn_gemm_test_fail_alloc(int on)
{
    int old = fnn_fail_alloc;
    fnn_fail_alloc = on;
    return old;
}

/* 64-byte aligned pack buffer (size rounded up as C11 aligned_alloc requires); NULL on failure. */
static void *fnn_pack_alloc(size_t bytes)
{
    if (fnn_fail_alloc) return NULL;
    bytes = (bytes + 63) / 64 * 64;
    return aligned_alloc(64, bytes ? bytes : 64);
}

/* ---- generic vectors: 16-byte GCC vector types and their unaligned/masked memory helpers ---- */
typedef float fnn_gv4f __attribute__((vector_size(16)));
typedef double fnn_gv2d __attribute__((vector_size(16)));
#define FNN_GV_HELPERS(V, T, L)                                                                  \
    static inline V fnn_gv_loadu_##V(const T *p) { V v; memcpy(&v, p, sizeof v); return v; }   \
    static inline void fnn_gv_storeu_##V(T *p, V v) { memcpy(p, &v, sizeof v); }               \
    static inline V fnn_gv_mload_##V(const T *p, int n)                                          \
    {                                                                                            \
        V v = {0};                                                                               \
        for (int l = 0; l < n && l < L; ++l) v[l] = p[l];                                        \
        return v;                                                                                \
    }                                                                                            \
    static inline void fnn_gv_mstore_##V(T *p, int n, V v)                                       \
    {                                                                                            \
        for (int l = 0; l < n && l < L; ++l) p[l] = v[l];                                        \
    }
FNN_GV_HELPERS(fnn_gv4f, float, 4)
FNN_GV_HELPERS(fnn_gv2d, double, 2)

/* ---- micro-kernels: 3 ISAs x 2 dtypes from one source ---- */
#define GK_T float
#define GK_T_F32 1
#define GK_ISA 0
#define GK_NAME fnn_ukr_generic_f32
#include "gemm_kernel.h"
enum { MR_GENERIC = GK_MR, NR_GENERIC_F32 = GK_NR };
#undef GK_T
#undef GK_T_F32
#undef GK_ISA
#undef GK_NAME

#define GK_T double
#define GK_T_F32 0
#define GK_ISA 0
#define GK_NAME fnn_ukr_generic_f64
#include "gemm_kernel.h"
enum { NR_GENERIC_F64 = GK_NR };
#undef GK_T
#undef GK_T_F32
#undef GK_ISA
#undef GK_NAME

#if FNN_X86
#define GK_T float
#define GK_T_F32 1
#define GK_ISA 1
#define GK_NAME fnn_ukr_avx2_f32
#include "gemm_kernel.h"
enum { MR_AVX2 = GK_MR, NR_AVX2_F32 = GK_NR };
#undef GK_T
#undef GK_T_F32
#undef GK_ISA
#undef GK_NAME

#define GK_T double
#define GK_T_F32 0
#define GK_ISA 1
#define GK_NAME fnn_ukr_avx2_f64
#include "gemm_kernel.h"
enum { NR_AVX2_F64 = GK_NR };
#undef GK_T
#undef GK_T_F32
#undef GK_ISA
#undef GK_NAME

#define GK_T float
#define GK_T_F32 1
#define GK_ISA 2
#define GK_NAME fnn_ukr_avx512_f32
#include "gemm_kernel.h"
enum { MR_AVX512 = GK_MR, NR_AVX512_F32 = GK_NR };
#undef GK_T
#undef GK_T_F32
#undef GK_ISA
#undef GK_NAME

#define GK_T double
#define GK_T_F32 0
#define GK_ISA 2
#define GK_NAME fnn_ukr_avx512_f64
#include "gemm_kernel.h"
enum { NR_AVX512_F64 = GK_NR };
#undef GK_T
#undef GK_T_F32
#undef GK_ISA
#undef GK_NAME
_Static_assert(NR_AVX512_F32 * sizeof(float) <= FNN_NR_MAX_BYTES, "stack panel too small");
#endif

/* ---- drivers: fnn_gemm_f32 and fnn_gemm_f64 ---- */
#define GD_T float
#define GD_SFX f32
#define GD_UKR_GENERIC fnn_ukr_generic_f32
#define GD_ROWS_GENERIC fnn_ukr_generic_f32_rows
#define GD_ROWS_AVX2 fnn_ukr_avx2_f32_rows
#define GD_ROWS_AVX512 fnn_ukr_avx512_f32_rows
#define GD_MR_GENERIC MR_GENERIC
#define GD_NR_GENERIC NR_GENERIC_F32
#define GD_UKR_AVX2 fnn_ukr_avx2_f32
#define GD_MR_AVX2 MR_AVX2
#define GD_NR_AVX2 NR_AVX2_F32
#define GD_UKR_AVX512 fnn_ukr_avx512_f32
#define GD_PACKBT_AVX512 fnn_ukr_avx512_f32_packbt
#define GD_MR_AVX512 MR_AVX512
#define GD_NR_AVX512 NR_AVX512_F32
#include "gemm_driver.h"
#undef GD_T
#undef GD_SFX
#undef GD_UKR_GENERIC
#undef GD_ROWS_GENERIC
#undef GD_ROWS_AVX2
#undef GD_ROWS_AVX512
#undef GD_NR_GENERIC
#undef GD_UKR_AVX2
#undef GD_NR_AVX2
#undef GD_UKR_AVX512
#undef GD_PACKBT_AVX512
#undef GD_NR_AVX512

#define GD_T double
#define GD_SFX f64
#define GD_UKR_GENERIC fnn_ukr_generic_f64
#define GD_ROWS_GENERIC fnn_ukr_generic_f64_rows
#define GD_ROWS_AVX2 fnn_ukr_avx2_f64_rows
#define GD_ROWS_AVX512 fnn_ukr_avx512_f64_rows
#define GD_NR_GENERIC NR_GENERIC_F64
#define GD_UKR_AVX2 fnn_ukr_avx2_f64
#define GD_NR_AVX2 NR_AVX2_F64
#define GD_UKR_AVX512 fnn_ukr_avx512_f64
#define GD_PACKBT_AVX512 fnn_ukr_avx512_f64_packbt
#define GD_NR_AVX512 NR_AVX512_F64
#include "gemm_driver.h"
