"""GEMM: fastnn.ops.matmul against numpy and the reference kernel."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastnn
from fastnn.ops import matmul

DTYPES = [np.float32, np.float64]


def _tol(dtype, k):
    return (1e-5 * np.sqrt(max(k, 1)) * 4) if dtype == np.float32 else 1e-12 * max(k, 1)


@given(m=st.integers(0, 70), n=st.integers(0, 70), k=st.integers(0, 70),
       ta=st.booleans(), tb=st.booleans(), dtype=st.sampled_from(DTYPES))
def test_matches_numpy(m, n, k, ta, tb, dtype):
    rng = np.random.default_rng(m * 10007 + n * 101 + k)
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(dtype)
    got = matmul(a, b, transpose_a=ta, transpose_b=tb)
    want = (a.T if ta else a).astype(np.float64) @ (b.T if tb else b).astype(np.float64)
    assert got.dtype == dtype and got.shape == (m, n)
    np.testing.assert_allclose(got, want, rtol=_tol(dtype, k), atol=_tol(dtype, k))


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(5, 2\)"):
        matmul(np.ones((3, 4)), np.ones((5, 2)))


def test_dtype_mismatch_names_both_dtypes():
    with pytest.raises(ValueError, match="float32.*float64"):
        matmul(np.ones((2, 2), np.float32), np.ones((2, 2), np.float64))
