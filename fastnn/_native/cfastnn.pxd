# Declarations of the C API in csrc/fastnn.h, shared by every wrapper module.
from libc.stdint cimport int64_t

cdef extern from "fastnn.h" nogil:
    int fnn_isa_detected()
    int fnn_isa_active()
    int fnn_isa_force(int level)
    const char *fnn_isa_name(int level)
    const char *fnn_build_flags()
    int fnn_openmp_enabled()
    int fnn_omp_max_threads()
    int fnn_malloc_keep_freed(int64_t mmap_threshold, int64_t trim_threshold)

    void fnn_gemm_f32(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                      float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                      float beta, float *C, int64_t ldc, const float *bias, int n_threads)
    void fnn_gemm_f64(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                      double alpha, const double *A, int64_t lda, const double *B, int64_t ldb,
                      double beta, double *C, int64_t ldc, const double *bias, int n_threads)
    int64_t fnn_gemm_packed_b_len_f32(int64_t n, int64_t k)
    int64_t fnn_gemm_packed_b_len_f64(int64_t n, int64_t k)
    void fnn_gemm_pack_b_f32(int trans_b, int64_t n, int64_t k, const float *B, int64_t ldb, float *Bp)
    void fnn_gemm_pack_b_f64(int trans_b, int64_t n, int64_t k, const double *B, int64_t ldb, double *Bp)
    void fnn_gemm_packed_f32(int trans_a, int64_t m, int64_t n, int64_t k, float alpha, const float *A,
                             int64_t lda, const float *Bp, float beta, float *C, int64_t ldc, const float *bias,
                             int n_threads)
    void fnn_gemm_packed_f64(int trans_a, int64_t m, int64_t n, int64_t k, double alpha, const double *A,
                             int64_t lda, const double *Bp, double beta, double *C, int64_t ldc,
                             const double *bias, int n_threads)
    void fnn_act_forward_f32(int kind, int64_t n, const float *x, float *y, float param, int n_threads)
    void fnn_act_forward_f64(int kind, int64_t n, const double *x, double *y, double param, int n_threads)
    int fnn_gemm_test_fail_alloc(int on)
    void fnn_gemm_ref_f32(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                          float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                          float beta, float *C, int64_t ldc, const float *bias)
    void fnn_gemm_ref_f64(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                          double alpha, const double *A, int64_t lda, const double *B, int64_t ldb,
                          double beta, double *C, int64_t ldc, const double *bias)
