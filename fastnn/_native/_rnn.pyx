"""Recurrent kernels (csrc/rnn.c): LSTM, GRU and SimpleRNN over whole sequences, forward and backward.

Every buffer is time-major and C-contiguous; shapes are checked here (with the GIL) against the
contract of csrc/fastnn.h, then the C function runs with the GIL released. Optional buffers are None.
"""
cimport numpy as cnp
from libc.stdint cimport int64_t, uint8_t
include "isa_hook.pxi"

cnp.import_array()

cdef extern from "fastnn.h" nogil:
    int FNN_RNN_LINEAR, FNN_RNN_TANH, FNN_RNN_SIGMOID, FNN_RNN_RELU, FNN_RNN_HARD_SIGMOID

    void fnn_lstm_forward_f32(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int rec_act,
                              const float *x, const float *K, const float *R, const float *b, const uint8_t *mask,
                              const float *rmask, float *G, float *H, float *C, float *AC, float *HD, int n_threads)
    void fnn_lstm_forward_f64(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int rec_act,
                              const double *x, const double *K, const double *R, const double *b,
                              const uint8_t *mask, const double *rmask, double *G, double *H, double *C,
                              double *AC, double *HD, int n_threads)
    void fnn_lstm_forward_ref_f32(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int rec_act,
                                  const float *x, const float *K, const float *R, const float *b,
                                  const uint8_t *mask, const float *rmask, float *G, float *H, float *C,
                                  float *AC, float *HD)
    void fnn_lstm_forward_ref_f64(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int rec_act,
                                  const double *x, const double *K, const double *R, const double *b,
                                  const uint8_t *mask, const double *rmask, double *G, double *H, double *C,
                                  double *AC, double *HD)
    void fnn_lstm_backward_f32(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int rec_act,
                               const float *x, const float *K, const float *R, const uint8_t *mask,
                               const float *rmask, const float *G, const float *H, const float *C,
                               const float *AC, const float *HD, const float *dY, float *dh, float *dc,
                               float *dG, float *dx, float *dK, float *dR, float *db, float *work, int n_threads)
    void fnn_lstm_backward_f64(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int rec_act,
                               const double *x, const double *K, const double *R, const uint8_t *mask,
                               const double *rmask, const double *G, const double *H, const double *C,
                               const double *AC, const double *HD, const double *dY, double *dh, double *dc,
                               double *dG, double *dx, double *dK, double *dR, double *db, double *work,
                               int n_threads)
    void fnn_lstm_backward_ref_f32(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int rec_act,
                                   const float *x, const float *K, const float *R, const uint8_t *mask,
                                   const float *rmask, const float *G, const float *H, const float *C,
                                   const float *AC, const float *HD, const float *dY, float *dh, float *dc,
                                   float *dG, float *dx, float *dK, float *dR, float *db, float *work)
    void fnn_lstm_backward_ref_f64(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int rec_act,
                                   const double *x, const double *K, const double *R, const uint8_t *mask,
                                   const double *rmask, const double *G, const double *H, const double *C,
                                   const double *AC, const double *HD, const double *dY, double *dh,
                                   double *dc, double *dG, double *dx, double *dK, double *dR, double *db,
                                   double *work)

    void fnn_gru_forward_f32(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int rec_act, int reset_after,
                             const float *x, const float *K, const float *R, const float *b, const uint8_t *mask,
                             const float *rmask, float *G, float *Sb, float *H, float *HD, int n_threads)
    void fnn_gru_forward_f64(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int rec_act, int reset_after,
                             const double *x, const double *K, const double *R, const double *b,
                             const uint8_t *mask, const double *rmask, double *G, double *Sb, double *H,
                             double *HD, int n_threads)
    void fnn_gru_forward_ref_f32(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int rec_act,
                                 int reset_after, const float *x, const float *K, const float *R, const float *b,
                                 const uint8_t *mask, const float *rmask, float *G, float *Sb, float *H,
                                 float *HD)
    void fnn_gru_forward_ref_f64(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int rec_act,
                                 int reset_after, const double *x, const double *K, const double *R,
                                 const double *b, const uint8_t *mask, const double *rmask, double *G,
                                 double *Sb, double *H, double *HD)
    void fnn_gru_backward_f32(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int rec_act, int reset_after,
                              const float *x, const float *K, const float *R, const uint8_t *mask,
                              const float *rmask, const float *G, const float *Sb, const float *H,
                              const float *HD, const float *dY, float *dh, float *dG, float *dGr, float *dx,
                              float *dK, float *dR, float *db, float *work, int n_threads)
    void fnn_gru_backward_f64(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int rec_act, int reset_after,
                              const double *x, const double *K, const double *R, const uint8_t *mask,
                              const double *rmask, const double *G, const double *Sb, const double *H,
                              const double *HD, const double *dY, double *dh, double *dG, double *dGr,
                              double *dx, double *dK, double *dR, double *db, double *work, int n_threads)
    void fnn_gru_backward_ref_f32(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int rec_act,
                                  int reset_after, const float *x, const float *K, const float *R,
                                  const uint8_t *mask, const float *rmask, const float *G, const float *Sb,
                                  const float *H, const float *HD, const float *dY, float *dh, float *dG,
                                  float *dGr, float *dx, float *dK, float *dR, float *db, float *work)
    void fnn_gru_backward_ref_f64(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int rec_act,
                                  int reset_after, const double *x, const double *K, const double *R,
                                  const uint8_t *mask, const double *rmask, const double *G, const double *Sb,
                                  const double *H, const double *HD, const double *dY, double *dh, double *dG,
                                  double *dGr, double *dx, double *dK, double *dR, double *db, double *work)

    void fnn_simple_rnn_forward_f32(int64_t T_, int64_t N, int64_t D, int64_t U, int act, const float *x,
                                    const float *K, const float *R, const float *b, const uint8_t *mask,
                                    const float *rmask, float *G, float *H, float *HD, int n_threads)
    void fnn_simple_rnn_forward_f64(int64_t T_, int64_t N, int64_t D, int64_t U, int act, const double *x,
                                    const double *K, const double *R, const double *b, const uint8_t *mask,
                                    const double *rmask, double *G, double *H, double *HD, int n_threads)
    void fnn_simple_rnn_forward_ref_f32(int64_t T_, int64_t N, int64_t D, int64_t U, int act, const float *x,
                                        const float *K, const float *R, const float *b, const uint8_t *mask,
                                        const float *rmask, float *G, float *H, float *HD)
    void fnn_simple_rnn_forward_ref_f64(int64_t T_, int64_t N, int64_t D, int64_t U, int act, const double *x,
                                        const double *K, const double *R, const double *b, const uint8_t *mask,
                                        const double *rmask, double *G, double *H, double *HD)
    void fnn_simple_rnn_backward_f32(int64_t T_, int64_t N, int64_t D, int64_t U, int act, const float *x,
                                     const float *K, const float *R, const uint8_t *mask, const float *rmask,
                                     const float *H, const float *HD, const float *dY, float *dh, float *dG,
                                     float *dx, float *dK, float *dR, float *db, float *work, int n_threads)
    void fnn_simple_rnn_backward_f64(int64_t T_, int64_t N, int64_t D, int64_t U, int act, const double *x,
                                     const double *K, const double *R, const uint8_t *mask, const double *rmask,
                                     const double *H, const double *HD, const double *dY, double *dh,
                                     double *dG, double *dx, double *dK, double *dR, double *db, double *work,
                                     int n_threads)
    void fnn_simple_rnn_backward_ref_f32(int64_t T_, int64_t N, int64_t D, int64_t U, int act, const float *x,
                                         const float *K, const float *R, const uint8_t *mask, const float *rmask,
                                         const float *H, const float *HD, const float *dY, float *dh, float *dG,
                                         float *dx, float *dK, float *dR, float *db, float *work)
    void fnn_simple_rnn_backward_ref_f64(int64_t T_, int64_t N, int64_t D, int64_t U, int act,
                                         const double *x, const double *K, const double *R, const uint8_t *mask,
                                         const double *rmask, const double *H, const double *HD,
                                         const double *dY, double *dh, double *dG, double *dx, double *dK,
                                         double *dR, double *db, double *work)

#: Activation names the fused kernels implement, with their codes.
ACTIVATION_CODES = {"linear": FNN_RNN_LINEAR, "tanh": FNN_RNN_TANH, "sigmoid": FNN_RNN_SIGMOID,
                    "relu": FNN_RNN_RELU, "hard_sigmoid": FNN_RNN_HARD_SIGMOID}


cdef class _Buffers:
    """Validates buffers against one dtype and hands out their data pointers."""
    cdef object dtype
    cdef int type_num
    cdef public bint is_f32

    def __init__(self, dtype):
        self.dtype = dtype
        self.type_num = dtype.num
        self.is_f32 = dtype.itemsize == 4

    cdef void *get(self, object arr, str name, tuple shape, bint optional=False, bint writable=False) except? NULL:
        # The common case (the right array) is checked through the C API: at batch 1 the Python-level
        # checks of a dozen buffers cost more than a short sequence's kernel.
        cdef cnp.ndarray a
        cdef cnp.npy_intp *dims
        cdef int i, nd
        if isinstance(arr, cnp.ndarray):
            a = <cnp.ndarray>arr
            nd = cnp.PyArray_NDIM(a)
            if (cnp.PyArray_TYPE(a) == self.type_num and cnp.PyArray_ISNOTSWAPPED(a) and nd == len(shape)
                    and cnp.PyArray_IS_C_CONTIGUOUS(a) and (not writable or cnp.PyArray_ISWRITEABLE(a))):
                dims = cnp.PyArray_DIMS(a)
                for i in range(nd):
                    if dims[i] != <cnp.npy_intp>shape[i]:
                        break
                else:
                    return cnp.PyArray_DATA(a)
        if arr is None:
            if optional:
                return NULL
            raise ValueError(f"rnn kernel: buffer '{name}' is required")
        if not isinstance(arr, cnp.ndarray):
            raise ValueError(f"rnn kernel: buffer '{name}' must be a numpy array, received {type(arr).__name__}")
        if arr.dtype != self.dtype:
            raise ValueError(f"rnn kernel: buffer '{name}' has dtype {arr.dtype}, expected {self.dtype}")
        if arr.shape != shape:
            raise ValueError(f"rnn kernel: buffer '{name}' has shape {arr.shape}, expected {shape}")
        if not arr.flags.c_contiguous:
            raise ValueError(f"rnn kernel: buffer '{name}' must be C-contiguous")
        if writable and not arr.flags.writeable:
            raise ValueError(f"rnn kernel: buffer '{name}' must be writable")
        raise ValueError(f"rnn kernel: buffer '{name}' is not a native-byte-order {self.dtype} array")


cdef const uint8_t *_mask_ptr(object mask, int64_t T_, int64_t N) except? NULL:
    if mask is None:
        return NULL
    if not isinstance(mask, cnp.ndarray) or mask.dtype.itemsize != 1 or mask.dtype.kind not in "bu" \
            or mask.shape != (T_, N) or not mask.flags.c_contiguous:
        raise ValueError(f"rnn kernel: mask must be a C-contiguous bool/uint8 array of shape {(T_, N)}, "
                         f"received {getattr(mask, 'dtype', type(mask).__name__)} {getattr(mask, 'shape', '')}")
    return <const uint8_t *>cnp.PyArray_DATA(<cnp.ndarray>mask)


cdef tuple _dims(object x, object R, int gates):
    xs = getattr(x, "shape", None)
    rs = getattr(R, "shape", None)
    if xs is None or len(xs) != 3 or rs is None or len(rs) != 2:
        raise ValueError("rnn kernel: x must be (T, N, D) and recurrent_kernel (U, gates*U)")
    if rs[1] != gates * rs[0]:
        raise ValueError(f"rnn kernel: recurrent_kernel has shape {rs}, expected ({rs[0]}, {gates * rs[0]})")
    return xs[0], xs[1], xs[2], rs[0]


cdef tuple _gru_bias_shape(int64_t U, bint reset_after):
    if reset_after:
        return (2, 3 * U)
    return (3 * U,)


cdef tuple _gru_s_shape(int64_t T_, int64_t N, int64_t U, bint reset_after):
    if reset_after:
        return (T_, N, 3 * U)
    return (T_, N, U)


def lstm_forward(x, K, R, b, mask, rmask, int act, int rec_act, G, H, C, AC, HD, int n_threads,
                 bint reference=False):
    """LSTM forward over a time-major sequence x (T, N, D); H[0], C[0] hold h0, c0 (see csrc/fastnn.h)."""
    cdef int64_t T_, N, D, U
    T_, N, D, U = _dims(x, R, 4)
    cdef _Buffers bf = _Buffers(x.dtype)
    cdef const void *px = bf.get(x, "x", (T_, N, D))
    cdef const void *pK = bf.get(K, "kernel", (D, 4 * U))
    cdef const void *pR = bf.get(R, "recurrent_kernel", (U, 4 * U))
    cdef const void *pb = bf.get(b, "bias", (4 * U,), True)
    cdef const uint8_t *pm = _mask_ptr(mask, T_, N)
    cdef const void *prm = bf.get(rmask, "rmask", (N, U), True)
    cdef void *pG = bf.get(G, "G", (T_, N, 4 * U), False, True)
    cdef void *pH = bf.get(H, "H", (T_ + 1, N, U), False, True)
    cdef void *pC = bf.get(C, "C", (T_ + 1, N, U), False, True)
    cdef void *pAC = bf.get(AC, "AC", (T_, N, U), False, True)
    cdef void *pHD = bf.get(HD, "HD", (T_, N, U), rmask is None, True)
    cdef bint f32 = bf.is_f32
    with nogil:
        if f32:
            if reference:
                fnn_lstm_forward_ref_f32(T_, N, D, U, act, rec_act, <const float *>px, <const float *>pK,
                                         <const float *>pR, <const float *>pb, pm, <const float *>prm,
                                         <float *>pG, <float *>pH, <float *>pC, <float *>pAC, <float *>pHD)
            else:
                fnn_lstm_forward_f32(T_, N, D, U, act, rec_act, <const float *>px, <const float *>pK,
                                     <const float *>pR, <const float *>pb, pm, <const float *>prm,
                                     <float *>pG, <float *>pH, <float *>pC, <float *>pAC, <float *>pHD, n_threads)
        else:
            if reference:
                fnn_lstm_forward_ref_f64(T_, N, D, U, act, rec_act, <const double *>px, <const double *>pK,
                                         <const double *>pR, <const double *>pb, pm, <const double *>prm,
                                         <double *>pG, <double *>pH, <double *>pC, <double *>pAC, <double *>pHD)
            else:
                fnn_lstm_forward_f64(T_, N, D, U, act, rec_act, <const double *>px, <const double *>pK,
                                     <const double *>pR, <const double *>pb, pm, <const double *>prm,
                                     <double *>pG, <double *>pH, <double *>pC, <double *>pAC, <double *>pHD,
                                     n_threads)


def lstm_backward(x, K, R, mask, rmask, int act, int rec_act, G, H, C, AC, HD, dY, dh, dc, dG, dx, dK, dR, db,
                  work, int n_threads, bint reference=False):
    """LSTM backward through time; dh/dc in: final-state grads, out: initial-state grads."""
    cdef int64_t T_, N, D, U
    T_, N, D, U = _dims(x, R, 4)
    cdef _Buffers bf = _Buffers(x.dtype)
    cdef const void *px = bf.get(x, "x", (T_, N, D))
    cdef const void *pK = bf.get(K, "kernel", (D, 4 * U))
    cdef const void *pR = bf.get(R, "recurrent_kernel", (U, 4 * U))
    cdef const uint8_t *pm = _mask_ptr(mask, T_, N)
    cdef const void *prm = bf.get(rmask, "rmask", (N, U), True)
    cdef const void *pG = bf.get(G, "G", (T_, N, 4 * U))
    cdef const void *pH = bf.get(H, "H", (T_ + 1, N, U))
    cdef const void *pC = bf.get(C, "C", (T_ + 1, N, U))
    cdef const void *pAC = bf.get(AC, "AC", (T_, N, U))
    cdef const void *pHD = bf.get(HD, "HD", (T_, N, U), rmask is None)
    cdef const void *pdY = bf.get(dY, "dY", (T_, N, U), True)
    cdef void *pdh = bf.get(dh, "dh", (N, U), False, True)
    cdef void *pdc = bf.get(dc, "dc", (N, U), False, True)
    cdef void *pdG = bf.get(dG, "dG", (T_, N, 4 * U), False, True)
    cdef void *pdx = bf.get(dx, "dx", (T_, N, D), True, True)
    cdef void *pdK = bf.get(dK, "dK", (D, 4 * U), True, True)
    cdef void *pdR = bf.get(dR, "dR", (U, 4 * U), True, True)
    cdef void *pdb = bf.get(db, "db", (4 * U,), True, True)
    cdef void *pw = bf.get(work, "work", (N, U), False, True)
    cdef bint f32 = bf.is_f32
    with nogil:
        if f32:
            if reference:
                fnn_lstm_backward_ref_f32(T_, N, D, U, act, rec_act, <const float *>px, <const float *>pK,
                                          <const float *>pR, pm, <const float *>prm, <const float *>pG,
                                          <const float *>pH, <const float *>pC, <const float *>pAC,
                                          <const float *>pHD, <const float *>pdY, <float *>pdh, <float *>pdc,
                                          <float *>pdG, <float *>pdx, <float *>pdK, <float *>pdR, <float *>pdb,
                                          <float *>pw)
            else:
                fnn_lstm_backward_f32(T_, N, D, U, act, rec_act, <const float *>px, <const float *>pK,
                                      <const float *>pR, pm, <const float *>prm, <const float *>pG,
                                      <const float *>pH, <const float *>pC, <const float *>pAC,
                                      <const float *>pHD, <const float *>pdY, <float *>pdh, <float *>pdc,
                                      <float *>pdG, <float *>pdx, <float *>pdK, <float *>pdR, <float *>pdb,
                                      <float *>pw, n_threads)
        else:
            if reference:
                fnn_lstm_backward_ref_f64(T_, N, D, U, act, rec_act, <const double *>px, <const double *>pK,
                                          <const double *>pR, pm, <const double *>prm, <const double *>pG,
                                          <const double *>pH, <const double *>pC, <const double *>pAC,
                                          <const double *>pHD, <const double *>pdY, <double *>pdh,
                                          <double *>pdc, <double *>pdG, <double *>pdx, <double *>pdK,
                                          <double *>pdR, <double *>pdb, <double *>pw)
            else:
                fnn_lstm_backward_f64(T_, N, D, U, act, rec_act, <const double *>px, <const double *>pK,
                                      <const double *>pR, pm, <const double *>prm, <const double *>pG,
                                      <const double *>pH, <const double *>pC, <const double *>pAC,
                                      <const double *>pHD, <const double *>pdY, <double *>pdh, <double *>pdc,
                                      <double *>pdG, <double *>pdx, <double *>pdK, <double *>pdR,
                                      <double *>pdb, <double *>pw, n_threads)


def gru_forward(x, K, R, b, mask, rmask, int act, int rec_act, bint reset_after, G, S, H, HD, int n_threads,
                bint reference=False):
    """GRU forward; S holds the recurrent projections (T, N, 3U) with reset_after, r*h_{t-1} (T, N, U) without."""
    cdef int64_t T_, N, D, U
    T_, N, D, U = _dims(x, R, 3)
    cdef _Buffers bf = _Buffers(x.dtype)
    cdef const void *px = bf.get(x, "x", (T_, N, D))
    cdef const void *pK = bf.get(K, "kernel", (D, 3 * U))
    cdef const void *pR = bf.get(R, "recurrent_kernel", (U, 3 * U))
    cdef const void *pb = bf.get(b, "bias", _gru_bias_shape(U, reset_after), True)
    cdef const uint8_t *pm = _mask_ptr(mask, T_, N)
    cdef const void *prm = bf.get(rmask, "rmask", (N, U), True)
    cdef void *pG = bf.get(G, "G", (T_, N, 3 * U), False, True)
    cdef void *pS = bf.get(S, "S", _gru_s_shape(T_, N, U, reset_after), False, True)
    cdef void *pH = bf.get(H, "H", (T_ + 1, N, U), False, True)
    cdef void *pHD = bf.get(HD, "HD", (T_, N, U), rmask is None, True)
    cdef bint f32 = bf.is_f32
    with nogil:
        if f32:
            if reference:
                fnn_gru_forward_ref_f32(T_, N, D, U, act, rec_act, reset_after, <const float *>px,
                                        <const float *>pK, <const float *>pR, <const float *>pb, pm,
                                        <const float *>prm, <float *>pG, <float *>pS, <float *>pH, <float *>pHD)
            else:
                fnn_gru_forward_f32(T_, N, D, U, act, rec_act, reset_after, <const float *>px, <const float *>pK,
                                    <const float *>pR, <const float *>pb, pm, <const float *>prm, <float *>pG,
                                    <float *>pS, <float *>pH, <float *>pHD, n_threads)
        else:
            if reference:
                fnn_gru_forward_ref_f64(T_, N, D, U, act, rec_act, reset_after, <const double *>px,
                                        <const double *>pK, <const double *>pR, <const double *>pb, pm,
                                        <const double *>prm, <double *>pG, <double *>pS, <double *>pH,
                                        <double *>pHD)
            else:
                fnn_gru_forward_f64(T_, N, D, U, act, rec_act, reset_after, <const double *>px,
                                    <const double *>pK, <const double *>pR, <const double *>pb, pm,
                                    <const double *>prm, <double *>pG, <double *>pS, <double *>pH, <double *>pHD,
                                    n_threads)


def gru_backward(x, K, R, mask, rmask, int act, int rec_act, bint reset_after, G, S, H, HD, dY, dh, dG, dGr,
                 dx, dK, dR, db, work, int n_threads, bint reference=False):
    """GRU backward through time; dh in: final-state grad, out: initial-state grad."""
    cdef int64_t T_, N, D, U
    T_, N, D, U = _dims(x, R, 3)
    cdef _Buffers bf = _Buffers(x.dtype)
    cdef const void *px = bf.get(x, "x", (T_, N, D))
    cdef const void *pK = bf.get(K, "kernel", (D, 3 * U))
    cdef const void *pR = bf.get(R, "recurrent_kernel", (U, 3 * U))
    cdef const uint8_t *pm = _mask_ptr(mask, T_, N)
    cdef const void *prm = bf.get(rmask, "rmask", (N, U), True)
    cdef const void *pG = bf.get(G, "G", (T_, N, 3 * U))
    cdef const void *pS = bf.get(S, "S", _gru_s_shape(T_, N, U, reset_after))
    cdef const void *pH = bf.get(H, "H", (T_ + 1, N, U))
    cdef const void *pHD = bf.get(HD, "HD", (T_, N, U), rmask is None)
    cdef const void *pdY = bf.get(dY, "dY", (T_, N, U), True)
    cdef void *pdh = bf.get(dh, "dh", (N, U), False, True)
    cdef void *pdG = bf.get(dG, "dG", (T_, N, 3 * U), False, True)
    cdef void *pdGr = bf.get(dGr, "dGr", (T_, N, 3 * U), not reset_after, True)
    cdef void *pdx = bf.get(dx, "dx", (T_, N, D), True, True)
    cdef void *pdK = bf.get(dK, "dK", (D, 3 * U), True, True)
    cdef void *pdR = bf.get(dR, "dR", (U, 3 * U), True, True)
    cdef void *pdb = bf.get(db, "db", _gru_bias_shape(U, reset_after), True, True)
    cdef void *pw = bf.get(work, "work", (N, U), False, True)
    cdef bint f32 = bf.is_f32
    with nogil:
        if f32:
            if reference:
                fnn_gru_backward_ref_f32(T_, N, D, U, act, rec_act, reset_after, <const float *>px,
                                         <const float *>pK, <const float *>pR, pm, <const float *>prm,
                                         <const float *>pG, <const float *>pS, <const float *>pH, <const float *>pHD,
                                         <const float *>pdY, <float *>pdh, <float *>pdG, <float *>pdGr,
                                         <float *>pdx, <float *>pdK, <float *>pdR, <float *>pdb, <float *>pw)
            else:
                fnn_gru_backward_f32(T_, N, D, U, act, rec_act, reset_after, <const float *>px, <const float *>pK,
                                     <const float *>pR, pm, <const float *>prm, <const float *>pG,
                                     <const float *>pS, <const float *>pH, <const float *>pHD, <const float *>pdY,
                                     <float *>pdh, <float *>pdG, <float *>pdGr, <float *>pdx, <float *>pdK,
                                     <float *>pdR, <float *>pdb, <float *>pw, n_threads)
        else:
            if reference:
                fnn_gru_backward_ref_f64(T_, N, D, U, act, rec_act, reset_after, <const double *>px,
                                         <const double *>pK, <const double *>pR, pm, <const double *>prm,
                                         <const double *>pG, <const double *>pS, <const double *>pH,
                                         <const double *>pHD, <const double *>pdY, <double *>pdh, <double *>pdG,
                                         <double *>pdGr, <double *>pdx, <double *>pdK, <double *>pdR,
                                         <double *>pdb, <double *>pw)
            else:
                fnn_gru_backward_f64(T_, N, D, U, act, rec_act, reset_after, <const double *>px,
                                     <const double *>pK, <const double *>pR, pm, <const double *>prm,
                                     <const double *>pG, <const double *>pS, <const double *>pH,
                                     <const double *>pHD, <const double *>pdY, <double *>pdh, <double *>pdG,
                                     <double *>pdGr, <double *>pdx, <double *>pdK, <double *>pdR, <double *>pdb,
                                     <double *>pw, n_threads)


def simple_rnn_forward(x, K, R, b, mask, rmask, int act, G, H, HD, int n_threads, bint reference=False):
    """SimpleRNN forward: h_t = act(x_t K + b + h_{t-1} R); G receives the pre-activations."""
    cdef int64_t T_, N, D, U
    T_, N, D, U = _dims(x, R, 1)
    cdef _Buffers bf = _Buffers(x.dtype)
    cdef const void *px = bf.get(x, "x", (T_, N, D))
    cdef const void *pK = bf.get(K, "kernel", (D, U))
    cdef const void *pR = bf.get(R, "recurrent_kernel", (U, U))
    cdef const void *pb = bf.get(b, "bias", (U,), True)
    cdef const uint8_t *pm = _mask_ptr(mask, T_, N)
    cdef const void *prm = bf.get(rmask, "rmask", (N, U), True)
    cdef void *pG = bf.get(G, "G", (T_, N, U), False, True)
    cdef void *pH = bf.get(H, "H", (T_ + 1, N, U), False, True)
    cdef void *pHD = bf.get(HD, "HD", (T_, N, U), rmask is None, True)
    cdef bint f32 = bf.is_f32
    with nogil:
        if f32:
            if reference:
                fnn_simple_rnn_forward_ref_f32(T_, N, D, U, act, <const float *>px, <const float *>pK,
                                               <const float *>pR, <const float *>pb, pm, <const float *>prm,
                                               <float *>pG, <float *>pH, <float *>pHD)
            else:
                fnn_simple_rnn_forward_f32(T_, N, D, U, act, <const float *>px, <const float *>pK,
                                           <const float *>pR, <const float *>pb, pm, <const float *>prm,
                                           <float *>pG, <float *>pH, <float *>pHD, n_threads)
        else:
            if reference:
                fnn_simple_rnn_forward_ref_f64(T_, N, D, U, act, <const double *>px, <const double *>pK,
                                               <const double *>pR, <const double *>pb, pm, <const double *>prm,
                                               <double *>pG, <double *>pH, <double *>pHD)
            else:
                fnn_simple_rnn_forward_f64(T_, N, D, U, act, <const double *>px, <const double *>pK,
                                           <const double *>pR, <const double *>pb, pm, <const double *>prm,
                                           <double *>pG, <double *>pH, <double *>pHD, n_threads)


def simple_rnn_backward(x, K, R, mask, rmask, int act, H, HD, dY, dh, dG, dx, dK, dR, db, work, int n_threads,
                        bint reference=False):
    """SimpleRNN backward through time; dh in: final-state grad, out: initial-state grad."""
    cdef int64_t T_, N, D, U
    T_, N, D, U = _dims(x, R, 1)
    cdef _Buffers bf = _Buffers(x.dtype)
    cdef const void *px = bf.get(x, "x", (T_, N, D))
    cdef const void *pK = bf.get(K, "kernel", (D, U))
    cdef const void *pR = bf.get(R, "recurrent_kernel", (U, U))
    cdef const uint8_t *pm = _mask_ptr(mask, T_, N)
    cdef const void *prm = bf.get(rmask, "rmask", (N, U), True)
    cdef const void *pH = bf.get(H, "H", (T_ + 1, N, U))
    cdef const void *pHD = bf.get(HD, "HD", (T_, N, U), rmask is None)
    cdef const void *pdY = bf.get(dY, "dY", (T_, N, U), True)
    cdef void *pdh = bf.get(dh, "dh", (N, U), False, True)
    cdef void *pdG = bf.get(dG, "dG", (T_, N, U), False, True)
    cdef void *pdx = bf.get(dx, "dx", (T_, N, D), True, True)
    cdef void *pdK = bf.get(dK, "dK", (D, U), True, True)
    cdef void *pdR = bf.get(dR, "dR", (U, U), True, True)
    cdef void *pdb = bf.get(db, "db", (U,), True, True)
    cdef void *pw = bf.get(work, "work", (N, U), False, True)
    cdef bint f32 = bf.is_f32
    with nogil:
        if f32:
            if reference:
                fnn_simple_rnn_backward_ref_f32(T_, N, D, U, act, <const float *>px, <const float *>pK,
                                                <const float *>pR, pm, <const float *>prm, <const float *>pH,
                                                <const float *>pHD, <const float *>pdY, <float *>pdh, <float *>pdG,
                                                <float *>pdx, <float *>pdK, <float *>pdR, <float *>pdb, <float *>pw)
            else:
                fnn_simple_rnn_backward_f32(T_, N, D, U, act, <const float *>px, <const float *>pK,
                                            <const float *>pR, pm, <const float *>prm, <const float *>pH,
                                            <const float *>pHD, <const float *>pdY, <float *>pdh, <float *>pdG,
                                            <float *>pdx, <float *>pdK, <float *>pdR, <float *>pdb, <float *>pw,
                                            n_threads)
        else:
            if reference:
                fnn_simple_rnn_backward_ref_f64(T_, N, D, U, act, <const double *>px, <const double *>pK,
                                                <const double *>pR, pm, <const double *>prm, <const double *>pH,
                                                <const double *>pHD, <const double *>pdY, <double *>pdh,
                                                <double *>pdG, <double *>pdx, <double *>pdK, <double *>pdR,
                                                <double *>pdb, <double *>pw)
            else:
                fnn_simple_rnn_backward_f64(T_, N, D, U, act, <const double *>px, <const double *>pK,
                                            <const double *>pR, pm, <const double *>prm, <const double *>pH,
                                            <const double *>pHD, <const double *>pdY, <double *>pdh,
                                            <double *>pdG, <double *>pdx, <double *>pdK, <double *>pdR,
                                            <double *>pdb, <double *>pw, n_threads)
