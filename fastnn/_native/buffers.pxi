# Included by the conv and pooling kernel modules (which cimport numpy as cnp and import numpy as np):
# the checks of the raw buffers and dtype they hand to the C kernels.


cdef void *_buf(object arr, str name, tuple shape, object dtype, bint writable=False) except? NULL:
    """Data pointer of `arr` after checking its type, shape, dtype and layout."""
    cdef cnp.ndarray a
    if not isinstance(arr, np.ndarray):
        raise ValueError(f"{name}: expected a numpy array, received {type(arr).__name__}")
    a = <cnp.ndarray>arr
    if arr.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, received {arr.shape}")
    if arr.dtype != dtype:
        raise ValueError(f"{name}: expected dtype {dtype}, received {arr.dtype}")
    if not arr.flags.c_contiguous:
        raise ValueError(f"{name}: expected a C-contiguous array")
    if writable and not arr.flags.writeable:
        raise ValueError(f"{name}: the array is read-only")
    return cnp.PyArray_DATA(a)


cdef inline bint _is_f32(object dtype, str kernels):
    """True for float32, False for float64; ValueError naming the `kernels` family otherwise."""
    if dtype == np.float32:
        return True
    if dtype == np.float64:
        return False
    raise ValueError(f"{kernels} kernels need float32 or float64, received {dtype}")
