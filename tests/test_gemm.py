"""GEMM: fastnn.ops.matmul and the raw _gemm.gemm against numpy (float64 accumulation) and the reference
kernel, on every ISA path, plus bit-identical results for any thread count and clear errors."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastnn
from fastnn._native import _gemm, _runtime
from fastnn.ops import matmul

DTYPES = [np.float32, np.float64]
# Register-block / cache-block boundaries of the kernels: MR 4/6, NR 4..64, KC 384, MC 84/168.
EDGES = [0, 1, 2, 3, 5, 6, 7, 8, 13, 17, 31, 32, 33, 63, 64, 65, 83, 85, 97, 167, 169, 383, 384, 385]
LEVELS = sorted({0, 1, 2} & set(range(_runtime.isa_detected() + 1)))


def _tol(dtype, k):
    return (1e-5 * np.sqrt(max(k, 1)) * 4) if dtype == np.float32 else 1e-12 * max(k, 1)


@pytest.fixture(params=LEVELS, ids=lambda lvl: _runtime.isa_name(lvl))
def isa(request):
    """Pin one ISA path for the test, restore the detected one afterwards."""
    _runtime.isa_force(request.param)
    try:
        yield request.param
    finally:
        _runtime.isa_force(-1)


@pytest.fixture
def restore_threads():
    before = fastnn.get_num_threads()
    yield
    fastnn.set_num_threads(before)


def _operands(rng, m, n, k, ta, tb, dtype):
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(dtype)
    return a, b


def _raw(ta, tb, a, b, c, alpha=1.0, beta=0.0, bias=None, threads=1, reference=False, packed_b=False):
    """Call _gemm.gemm on C-contiguous a, b, c (c overwritten / accumulated in place)."""
    m, n = c.shape
    k = a.shape[0] if ta else a.shape[1]
    _gemm.gemm(ta, tb, m, n, k, alpha, a, max(a.shape[1], 1), b, max(b.shape[1], 1), beta, c, max(n, 1), bias,
               threads, reference, packed_b)
    return c


def _want(ta, tb, a, b, alpha=1.0, beta=0.0, c0=None, bias=None):
    A = (a.T if ta else a).astype(np.float64)
    B = (b.T if tb else b).astype(np.float64)
    out = alpha * (A @ B)
    if beta != 0:
        out = out + beta * c0.astype(np.float64)
    if bias is not None:
        out = out + bias.astype(np.float64)
    return out


dims = st.one_of(st.sampled_from(EDGES), st.integers(0, 100))


@given(m=st.integers(0, 70), n=st.integers(0, 70), k=st.integers(0, 70),
       ta=st.booleans(), tb=st.booleans(), dtype=st.sampled_from(DTYPES))
def test_matches_numpy(m, n, k, ta, tb, dtype):
    rng = np.random.default_rng(m * 10007 + n * 101 + k)
    a, b = _operands(rng, m, n, k, ta, tb, dtype)
    got = matmul(a, b, transpose_a=ta, transpose_b=tb)
    want = (a.T if ta else a).astype(np.float64) @ (b.T if tb else b).astype(np.float64)
    assert got.dtype == dtype and got.shape == (m, n)
    np.testing.assert_allclose(got, want, rtol=_tol(dtype, k), atol=_tol(dtype, k))


# The isa fixture deliberately stays pinned for all examples of one parametrized case.
@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(m=dims, n=dims, k=dims, ta=st.booleans(), tb=st.booleans(), dtype=st.sampled_from(DTYPES),
       alpha=st.sampled_from([1.0, -0.5, 2.0]), beta=st.sampled_from([0.0, 1.0, -1.5]),
       with_bias=st.booleans(), threads=st.sampled_from([1, 2, 3]))
def test_raw_gemm_all_isas_vs_numpy_and_reference(isa, m, n, k, ta, tb, dtype, alpha, beta, with_bias, threads):
    """Boundary shapes, alpha/beta, bias epilogue, every ISA path; beta == 0 must ignore NaN in C."""
    rng = np.random.default_rng(m * 7919 + n * 131 + k * 7 + ta * 2 + tb)
    a, b = _operands(rng, m, n, k, ta, tb, dtype)
    c0 = np.full((m, n), np.nan, dtype) if beta == 0 else rng.standard_normal((m, n)).astype(dtype)
    bias = rng.standard_normal(n).astype(dtype) if with_bias else None
    got = _raw(ta, tb, a, b, c0.copy(), alpha, beta, bias, threads)
    ref = _raw(ta, tb, a, b, c0.copy(), alpha, beta, bias, 1, reference=True)
    want = _want(ta, tb, a, b, alpha, beta, c0, bias)
    tol = _tol(dtype, k) * 4
    assert not np.isnan(got).any()
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    np.testing.assert_allclose(got, ref, rtol=tol, atol=tol)


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(m=st.one_of(st.sampled_from([5, 6, 7, 128, 200, 300]), st.integers(5, 100)), n=dims,
       k=st.one_of(st.sampled_from([1, 383, 384, 385, 512, 800]), st.integers(0, 100)), ta=st.booleans(),
       tb=st.booleans(), dtype=st.sampled_from(DTYPES), beta=st.sampled_from([0.0, 1.0]), with_bias=st.booleans(),
       threads=st.sampled_from([1, 2, 3]))
def test_prepacked_b_gives_the_bits_of_the_plain_gemm(isa, m, n, k, ta, tb, dtype, beta, with_bias, threads):
    """B packed once (the recurrent layers' per-step products): the same bits as the plain call for m > 4,
    whatever the thread count, k blocks (k > 384) and edges."""
    rng = np.random.default_rng(m * 7919 + n * 131 + k * 7 + ta * 2 + tb)
    a, b = _operands(rng, m, n, k, ta, tb, dtype)
    c0 = np.full((m, n), np.nan, dtype) if beta == 0 else rng.standard_normal((m, n)).astype(dtype)
    bias = rng.standard_normal(n).astype(dtype) if with_bias else None
    got = _raw(ta, tb, a, b, c0.copy(), 1.0, beta, bias, threads, packed_b=True)
    plain = _raw(ta, tb, a, b, c0.copy(), 1.0, beta, bias, 1)
    np.testing.assert_array_equal(got, plain)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ta,tb", [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_block_boundaries_every_isa(isa, dtype, ta, tb):
    """Sizes straddling MR, NR, KC and MC on each path, including the packed (large m and n) engine."""
    rng = np.random.default_rng(5)
    for m, n, k in [(5, 63, 383), (7, 65, 385), (169, 33, 769), (300, 400, 385), (263, 389, 17), (1, 1, 1)]:
        a, b = _operands(rng, m, n, k, ta, tb, dtype)
        c0 = rng.standard_normal((m, n)).astype(dtype)
        bias = rng.standard_normal(n).astype(dtype)
        got = _raw(ta, tb, a, b, c0.copy(), 0.75, 0.5, bias, 2)
        want = _want(ta, tb, a, b, 0.75, 0.5, c0, bias)
        np.testing.assert_allclose(got, want, rtol=_tol(dtype, k) * 4, atol=_tol(dtype, k) * 4)


@pytest.mark.parametrize("dtype", DTYPES)
def test_k_zero_and_alpha_zero_scale_c(dtype):
    rng = np.random.default_rng(1)
    c0 = rng.standard_normal((4, 5)).astype(dtype)
    bias = rng.standard_normal(5).astype(dtype)
    a = np.zeros((4, 0), dtype)
    b = np.zeros((0, 5), dtype)
    got = _raw(0, 0, a, b, c0.copy(), 1.0, 0.5, bias)
    np.testing.assert_allclose(got, 0.5 * c0 + bias, rtol=1e-6)
    got = _raw(0, 0, a, b, np.full((4, 5), np.nan, dtype), 1.0, 0.0, None)
    assert np.array_equal(got, np.zeros((4, 5), dtype))
    a, b = _operands(rng, 4, 5, 3, 0, 0, dtype)
    got = _raw(0, 0, a, b, c0.copy(), 0.0, 2.0, None)
    np.testing.assert_allclose(got, 2.0 * c0, rtol=1e-6)
    assert matmul(np.zeros((3, 0), dtype), np.zeros((0, 2), dtype)).tolist() == [[0, 0]] * 3
    assert matmul(np.zeros((0, 4), dtype), np.zeros((4, 2), dtype)).shape == (0, 2)


# Shapes that go multi-threaded on each engine: packed (large m, n), direct split over m (skinny im2col and
# its backprop), direct split over n (the small Dense GEMMs).
THREAD_SHAPES = [
    # m, k, n, ta, tb
    (300, 500, 400, 0, 0), (420, 390, 530, 1, 1),
    (4608, 288, 64, 0, 0), (288, 4608, 64, 1, 0), (4608, 64, 288, 0, 1),
    (128, 784, 256, 0, 0), (128, 256, 128, 0, 0), (784, 128, 256, 1, 0), (128, 256, 784, 0, 1),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m,k,n,ta,tb", THREAD_SHAPES)
def test_bit_identical_for_any_thread_count(isa, dtype, m, k, n, ta, tb):
    rng = np.random.default_rng(m + k + n)
    a, b = _operands(rng, m, n, k, ta, tb, dtype)
    c0 = rng.standard_normal((m, n)).astype(dtype)
    bias = rng.standard_normal(n).astype(dtype)
    outs = [_raw(ta, tb, a, b, c0.copy(), 1.25, 0.5, bias, t) for t in (1, 2, 3, 4)]
    for other in outs[1:]:
        assert np.array_equal(outs[0], other)
    want = _want(ta, tb, a, b, 1.25, 0.5, c0, bias)
    np.testing.assert_allclose(outs[0], want, rtol=_tol(dtype, k) * 4, atol=_tol(dtype, k) * 4)


def test_matmul_threads_bit_identical(restore_threads):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((600, 300)).astype(np.float32)
    b = rng.standard_normal((300, 500)).astype(np.float32)
    outs = []
    for t in (1, 2, 3):
        fastnn.set_num_threads(t)
        outs.append(matmul(a, b))
    assert np.array_equal(outs[0], outs[1]) and np.array_equal(outs[0], outs[2])


@pytest.mark.parametrize("dtype", DTYPES)
def test_strided_fortran_negative_and_readonly_inputs(dtype):
    rng = np.random.default_rng(11)
    base_a = rng.standard_normal((40, 60)).astype(dtype)
    base_b = rng.standard_normal((70, 50)).astype(dtype)
    cases = [
        (base_a[::2, ::3], base_b[:40:2, ::2]),                    # gapped strides -> copied
        (np.asfortranarray(base_a[:20, :20]), np.asfortranarray(base_b[:20, :25])),  # F-ordered -> transposed view
        (base_a[::-1, :20], base_b[:20, ::-1]),                     # negative strides
        (base_a[:, 5:25], base_b[10:30, :]),                        # row-major with lda > k
    ]
    for a, b in cases:
        want = a.astype(np.float64) @ b.astype(np.float64)
        got = matmul(a, b)
        np.testing.assert_allclose(got, want, rtol=_tol(dtype, a.shape[1]), atol=_tol(dtype, a.shape[1]))
    ra = base_a[:, :20].copy()
    rb = base_b[:20, :].copy()
    ra.setflags(write=False)
    rb.setflags(write=False)
    np.testing.assert_allclose(matmul(ra, rb), ra.astype(np.float64) @ rb, rtol=_tol(dtype, 20), atol=_tol(dtype, 20))
    np.testing.assert_allclose(matmul(rb, ra, transpose_a=True, transpose_b=True), (ra @ rb).T,
                               rtol=_tol(dtype, 20) * 4, atol=_tol(dtype, 20) * 4)


@pytest.mark.parametrize("dtype", DTYPES)
def test_out_alpha_beta_and_strided_out(dtype):
    rng = np.random.default_rng(2)
    a = rng.standard_normal((30, 20)).astype(dtype)
    b = rng.standard_normal((20, 25)).astype(dtype)
    out = rng.standard_normal((30, 25)).astype(dtype)
    want = 2.0 * (a.astype(np.float64) @ b) - 0.5 * out
    res = matmul(a, b, out=out, alpha=2.0, beta=-0.5)
    assert res is out
    np.testing.assert_allclose(out, want, rtol=_tol(dtype, 20) * 4, atol=_tol(dtype, 20) * 4)
    big = np.full((60, 50), np.nan, dtype)
    view = big[::2, ::2]
    matmul(a, b, out=view)
    np.testing.assert_allclose(view, a.astype(np.float64) @ b, rtol=_tol(dtype, 20), atol=_tol(dtype, 20))
    assert np.isnan(big[1::2]).all()
    # ldc > n and ldb > n, written in place (no copy): the columns right of the view stay untouched
    wide = np.full((30, 40), np.nan, dtype)
    b_wide = rng.standard_normal((20, 37)).astype(dtype)
    res = matmul(a, b_wide[:, :25], out=wide[:, :25])
    assert np.shares_memory(res, wide)
    np.testing.assert_allclose(wide[:, :25], a.astype(np.float64) @ b_wide[:, :25], rtol=_tol(dtype, 20),
                               atol=_tol(dtype, 20))
    assert np.isnan(wide[:, 25:]).all()


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(5, 2\)"):
        matmul(np.ones((3, 4)), np.ones((5, 2)))


def test_dtype_mismatch_names_both_dtypes():
    with pytest.raises(ValueError, match="float32.*float64"):
        matmul(np.ones((2, 2), np.float32), np.ones((2, 2), np.float64))


def test_bad_inputs_raise_clear_errors():
    f = np.ones((3, 4))
    with pytest.raises(ValueError, match=r"2-D.*\(3,\).*\(4, 2\)"):
        matmul(np.ones(3), np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"2-D.*\(2, 3, 4\)"):
        matmul(np.ones((2, 3, 4)), f)
    with pytest.raises(ValueError, match="int64"):
        matmul(np.ones((3, 4), np.int64), np.ones((4, 2), np.int64))
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(5, 2\)"):
        matmul(f, np.ones((5, 2)), transpose_a=True)
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(3, 3\)"):
        matmul(f, np.ones((4, 2)), out=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="float64.*float32"):
        matmul(f, np.ones((4, 2)), out=np.zeros((3, 2), np.float32))
    ro = np.zeros((3, 2))
    ro.setflags(write=False)
    with pytest.raises(ValueError, match="read-only"):
        matmul(f, np.ones((4, 2)), out=ro)
    assert not ro.any()


@pytest.mark.parametrize("dtype", DTYPES)
def test_out_aliasing_an_input_is_safe(dtype):
    rng = np.random.default_rng(4)
    a = rng.standard_normal((9, 9)).astype(dtype)
    b = rng.standard_normal((9, 9)).astype(dtype)
    want = a.astype(np.float64) @ b
    matmul(a, b, out=a)
    np.testing.assert_allclose(a, want, rtol=_tol(dtype, 9), atol=_tol(dtype, 9))
    c = rng.standard_normal((9, 9)).astype(dtype)
    want = c.T.astype(np.float64) @ b + c
    matmul(c, b, transpose_a=True, out=c, beta=1.0)  # out overlaps a transposed view of itself
    np.testing.assert_allclose(c, want, rtol=_tol(dtype, 9) * 4, atol=_tol(dtype, 9) * 4)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m,k,n,ta,tb", [(300, 500, 400, 0, 0), (420, 390, 530, 1, 1), (128, 784, 256, 0, 1),
                                         (4608, 64, 288, 0, 1)])
def test_allocation_failure_falls_back_bit_identically(isa, dtype, m, k, n, ta, tb):
    """Without heap pack buffers (packed engine -> direct engine -> one stack panel) nothing changes."""
    rng = np.random.default_rng(9)
    a, b = _operands(rng, m, n, k, ta, tb, dtype)
    bias = rng.standard_normal(n).astype(dtype)
    normal = _raw(ta, tb, a, b, np.full((m, n), np.nan, dtype), 1.0, 0.0, bias, 2)
    _gemm._test_fail_alloc(True)
    try:
        starved = [_raw(ta, tb, a, b, np.full((m, n), np.nan, dtype), 1.0, 0.0, bias, t) for t in (1, 2)]
    finally:
        _gemm._test_fail_alloc(False)
    for s in starved:
        assert np.array_equal(s, normal)


class _Sub(np.ndarray):
    pass


@pytest.mark.parametrize("dtype", DTYPES)
def test_broadcast_single_row_and_subclass_inputs(dtype):
    """Zero strides, single rows/columns of bigger arrays and ndarray subclasses (all via the general path
    or the C fast path) give numpy's result."""
    rng = np.random.default_rng(12)
    b = rng.standard_normal((6, 5)).astype(dtype)
    row = rng.standard_normal(6).astype(dtype)
    cases = [
        (np.broadcast_to(row, (4, 6)), b),          # zero row stride
        (rng.standard_normal((9, 6)).astype(dtype)[3:4], b),  # one row of a bigger array
        (rng.standard_normal((6, 9)).astype(dtype)[:, 2:3].T, b),  # one column, transposed
        (rng.standard_normal((3, 6)).astype(dtype).view(_Sub), b),  # ndarray subclass
    ]
    for a, bb in cases:
        want = np.asarray(a).astype(np.float64) @ bb
        got = matmul(a, bb)
        np.testing.assert_allclose(np.asarray(got), want, rtol=_tol(dtype, 6), atol=_tol(dtype, 6))
    out = np.full((1, 5), np.nan, dtype)
    matmul(row[None, :], b, out=out)
    np.testing.assert_allclose(out, row[None, :].astype(np.float64) @ b, rtol=_tol(dtype, 6), atol=_tol(dtype, 6))


def test_raw_gemm_refuses_buffers_it_would_misread():
    from fastnn._native import _gemm

    a32, b32 = np.ones((4, 3), np.float32), np.ones((3, 5), np.float32)
    c32 = np.zeros((4, 5), np.float32)
    with pytest.raises(ValueError, match="dtype float64, expected float32"):
        _gemm.gemm(False, False, 4, 5, 3, 1.0, a32.astype(np.float64), 3, b32, 5, 0.0, c32, 5, None, 1)
    with pytest.raises(ValueError, match="cannot hold"):
        _gemm.gemm(False, False, 5, 5, 3, 1.0, a32, 3, b32, 5, 0.0, np.zeros((5, 5), np.float32), 5, None, 1)
    with pytest.raises(ValueError, match="read-only"):
        c_ro = c32.copy()
        c_ro.flags.writeable = False
        _gemm.gemm(False, False, 4, 5, 3, 1.0, a32, 3, b32, 5, 0.0, c_ro, 5, None, 1)
    with pytest.raises(ValueError, match="bias"):
        _gemm.gemm(False, False, 4, 5, 3, 1.0, a32, 3, b32, 5, 0.0, c32, 5, np.ones(4, np.float32), 1)
    with pytest.raises(TypeError):
        _gemm.gemm(False, False, 4, 5, 3, 1.0, [[1.0]], 3, b32, 5, 0.0, c32, 5, None, 1)


def test_isa_pin_reaches_every_kernel_module():
    import importlib
    import pkgutil

    import fastnn._native as native

    modules = [importlib.import_module(f"fastnn._native.{m.name}") for m in pkgutil.iter_modules(native.__path__)]
    hooked = [m for m in modules if hasattr(m, "_isa_active")]
    assert len(hooked) >= 6
    try:
        _runtime.isa_force(0)
        assert {m.__name__: m._isa_active() for m in hooked} == {m.__name__: 0 for m in hooked}
    finally:
        _runtime.isa_force(-1)
    assert {m._isa_active() for m in hooked} == {_runtime.isa_detected()}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k, n", [(1, 1), (7, 5), (784, 256), (1000, 129), (300, 67)])
@pytest.mark.parametrize("ta", [False, True])
def test_few_row_engine_matches_the_full_product_bit_for_bit(isa, dtype, k, n, ta):
    """m <= 4 rows read B in place (no packing); every element must get the same bits as in a big product."""
    rng = np.random.default_rng(k + n)
    a = rng.standard_normal((9, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    bias = rng.standard_normal(n).astype(dtype)
    op_a = np.ascontiguousarray(a.T) if ta else a

    def run(rows, threads):
        m = rows.stop - rows.start
        c = np.full((m, n), np.nan, dtype)
        src = np.ascontiguousarray(op_a[:, rows]) if ta else op_a[rows]
        _gemm.gemm(ta, False, m, n, k, 1.0, src, m if ta else k, b, n, 0.0, c, n, bias, threads)
        return c

    full = run(slice(0, 9), 1)
    for m in (1, 2, 3, 4):
        for threads in (1, 2, 3):
            np.testing.assert_array_equal(run(slice(0, m), threads), full[:m])
    np.testing.assert_allclose(full, (a.astype(np.float64) @ b + bias), rtol=_tol(dtype, k), atol=_tol(dtype, k))
