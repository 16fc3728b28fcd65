"""Convolution kernels (csrc/conv.c): im2col/col2im adjointness, kernels vs *_ref twins and vs a direct
numpy convolution, panel boundaries, bit-identical results for any thread count."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastnn
from fastnn._native import _conv
from fastnn.layers._conv_utils import conv_geometry, same_padding

DTYPES = [np.float32, np.float64]


@st.composite
def geometries(draw, max_batch=3):
    """A valid conv geometry: batch 1-3, spatial 1-9, channels 1-4, kernel 1-4, stride 1-3, dilation 1-3."""
    n = draw(st.integers(1, max_batch))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    c, f = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    pt, pb, pl, pr = (draw(st.integers(0, 3)) for _ in range(4))
    oh = (h + pt + pb - (kh - 1) * dh - 1) // sh + 1
    ow = (w + pl + pr - (kw - 1) * dw - 1) // sw + 1
    if oh < 1 or ow < 1:  # shrink the kernel to fit, keeping the rest of the draw
        kh = kw = 1
        dh = dw = 1
        oh = (h + pt + pb - 1) // sh + 1
        ow = (w + pl + pr - 1) // sw + 1
    return (n, h, w, c, oh, ow, f, kh, kw, sh, sw, dh, dw, pt, pl)


def _rows(g):
    return g[0] * g[4] * g[5]


def _k(g):
    return g[7] * g[8] * g[3]


def numpy_conv(x, w, b, g):
    """Direct convolution by shifted slices of the zero-padded input (independent of the C code)."""
    n, h, wd, c, oh, ow, f, kh, kw, sh, sw, dh, dw, pt, pl = g
    pb = max((oh - 1) * sh + (kh - 1) * dh + 1 - h - pt, 0)
    pr = max((ow - 1) * sw + (kw - 1) * dw + 1 - wd - pl, 0)
    xp = np.pad(x.astype(np.float64), ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    y = np.zeros((n, oh, ow, f))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, i * dh: i * dh + (oh - 1) * sh + 1: sh, j * dw: j * dw + (ow - 1) * sw + 1: sw, :]
            y += patch @ w[i, j].astype(np.float64)
    return y if b is None else y + b


def _tol(dtype, k):
    return 1e-5 * np.sqrt(max(k, 1)) * 4 if dtype == np.float32 else 1e-12 * max(k, 1)


@given(g=geometries(), dtype=st.sampled_from(DTYPES), data=st.data())
def test_im2col_and_col2im_match_reference_on_any_panel(g, dtype, data):
    rng = np.random.default_rng(1)
    m = _rows(g)
    row0 = data.draw(st.integers(0, m - 1))
    rows = data.draw(st.integers(1, m - row0))
    x = rng.standard_normal(g[:4]).astype(dtype)
    col, col_ref = np.empty((rows, _k(g)), dtype), np.empty((rows, _k(g)), dtype)
    _conv.im2col(x, g, row0, rows, col, 2)
    _conv.im2col(x, g, row0, rows, col_ref, 1, reference=True)
    assert np.array_equal(col, col_ref)
    y = rng.standard_normal((rows, _k(g))).astype(dtype)
    dx = rng.standard_normal(g[:4]).astype(dtype)  # col2im accumulates into dx
    dx_ref = dx.copy()
    _conv.col2im(y, g, row0, rows, dx, 2)
    _conv.col2im(y, g, row0, rows, dx_ref, 1, reference=True)
    np.testing.assert_allclose(dx, dx_ref, rtol=_tol(dtype, _k(g)), atol=_tol(dtype, _k(g)))


@given(g=geometries())
def test_im2col_col2im_adjoint_identity(g):
    """<im2col(x), y> == <x, col2im(y)> in float64 (col2im is the exact adjoint of im2col)."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal(g[:4])
    y = rng.standard_normal((_rows(g), _k(g)))
    col = np.empty_like(y)
    _conv.im2col(x, g, 0, _rows(g), col, 1)
    back = np.zeros_like(x)
    _conv.col2im(y, g, 0, _rows(g), back, 1)
    lhs, rhs = float(np.sum(col * y)), float(np.sum(x * back))
    assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs), np.abs(col * y).sum())


@given(g=geometries(), dtype=st.sampled_from(DTYPES), budget=st.sampled_from([0, 1, 300, 2000]),
       use_bias=st.booleans())
def test_conv2d_matches_numpy_and_reference(g, dtype, budget, use_bias):
    """Forward vs a direct numpy convolution; all three kernels vs their _ref twins, with panels of 64
    rows or more (budget=1 forces the smallest panels, which straddle images)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal(g[:4]).astype(dtype)
    w = rng.standard_normal((g[7], g[8], g[3], g[6])).astype(dtype)
    b = rng.standard_normal(g[6]).astype(dtype) if use_bias else None
    y_shape = (g[0], g[4], g[5], g[6])
    tol = _tol(dtype, _k(g))
    y, y_ref = np.empty(y_shape, dtype), np.empty(y_shape, dtype)
    _conv.conv2d_forward(x, w, b, y, g, 2, budget_bytes=budget)
    _conv.conv2d_forward(x, w, b, y_ref, g, 1, reference=True)
    np.testing.assert_allclose(y, numpy_conv(x, w, b, g), rtol=tol, atol=tol)
    np.testing.assert_allclose(y, y_ref, rtol=tol, atol=tol)

    dy = rng.standard_normal(y_shape).astype(dtype)
    dx, dx_ref = np.full(g[:4], np.nan, dtype), np.full(g[:4], np.nan, dtype)  # overwritten, NaN ignored
    _conv.conv2d_backward_data(dy, w, dx, g, 2, budget_bytes=budget)
    _conv.conv2d_backward_data(dy, w, dx_ref, g, 1, reference=True)
    np.testing.assert_allclose(dx, dx_ref, rtol=tol, atol=tol)

    dw0 = rng.standard_normal(w.shape).astype(dtype)  # accumulated into
    db0 = rng.standard_normal(g[6]).astype(dtype)
    dw, dw_ref, db, db_ref = dw0.copy(), dw0.copy(), db0.copy(), db0.copy()
    _conv.conv2d_backward_filter(x, dy, dw, db, g, 2, budget_bytes=budget)
    _conv.conv2d_backward_filter(x, dy, dw_ref, db_ref, g, 1, reference=True)
    tol_m = _tol(dtype, _rows(g))
    np.testing.assert_allclose(dw, dw_ref, rtol=tol_m, atol=tol_m)
    np.testing.assert_allclose(db, db_ref, rtol=tol_m, atol=tol_m)


def test_same_padding_puts_the_extra_row_at_the_bottom_right():
    # 6 -> ceil(6/2) = 3 outputs with k=4: total pad (3-1)*2 + 4 - 6 = 2 -> (1, 1); k=3: 1 -> (0, 1)
    assert same_padding(6, 4, 2, 1) == (1, 1)
    assert same_padding(6, 3, 2, 1) == (0, 1)
    assert same_padding(5, 3, 1, 2) == (2, 2)
    g = conv_geometry((1, 6, 6, 1), (3, 3), (2, 2), (1, 1), "same", 1)
    assert g[4:6] == (3, 3) and g[13:15] == (0, 0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [
    ((8, 28, 28, 1), 32, 3, 1, 1, "valid", 20000),    # the cnn workload's first layer, row panels
    ((4, 14, 14, 16), 24, 3, 2, 1, "same", 20000),
    ((4, 15, 13, 8), 8, 3, 1, 2, "same", 20000),
    ((4, 12, 12, 16), 32, 1, 1, 1, "valid", 20000),   # 1x1 path, no im2col
    ((16, 10, 10, 4), 8, 3, 1, 1, "same", 40000),     # whole-image panels, one per thread at a time
    ((13, 9, 7, 3), 5, 2, 1, 1, "valid", 30000),
])
def test_conv2d_bit_identical_for_1_2_3_threads(dtype, shape):
    x_shape, f, k, s, d, pad, budget = shape
    g = conv_geometry(x_shape, (k, k), (s, s), (d, d), pad, f)
    rng = np.random.default_rng(4)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal((k, k, x_shape[3], f)).astype(dtype)
    b = rng.standard_normal(f).astype(dtype)
    dy = rng.standard_normal((g[0], g[4], g[5], f)).astype(dtype)
    results = []
    for n_threads in (1, 2, 3):
        y = np.empty(dy.shape, dtype)
        dx = np.empty(x_shape, dtype)
        dw, db = np.zeros_like(w), np.zeros_like(b)
        _conv.conv2d_forward(x, w, b, y, g, n_threads, budget_bytes=budget)
        _conv.conv2d_backward_data(dy, w, dx, g, n_threads, budget_bytes=budget)
        _conv.conv2d_backward_filter(x, dy, dw, db, g, n_threads, budget_bytes=budget)
        results.append((y, dx, dw, db))
    y_ref, dx_ref = np.empty(dy.shape, dtype), np.empty(x_shape, dtype)
    _conv.conv2d_forward(x, w, b, y_ref, g, 1, reference=True)
    _conv.conv2d_backward_data(dy, w, dx_ref, g, 1, reference=True)
    tol = _tol(dtype, _k(g))
    np.testing.assert_allclose(results[0][0], y_ref, rtol=tol, atol=tol)
    np.testing.assert_allclose(results[0][1], dx_ref, rtol=tol, atol=tol)
    for other in results[1:]:
        for a, b_ in zip(results[0], other):
            assert np.array_equal(a, b_)


def test_read_only_inputs_are_accepted():
    g = conv_geometry((2, 5, 5, 2), (3, 3), (1, 1), (1, 1), "same", 3)
    x = np.ones((2, 5, 5, 2))
    w = np.ones((3, 3, 2, 3))
    x.flags.writeable = False
    w.flags.writeable = False
    y = np.empty((2, 5, 5, 3))
    _conv.conv2d_forward(x, w, None, y, g, 1)
    assert y[0, 2, 2, 0] == 18 and y[0, 0, 0, 0] == 8


def test_wrapper_rejects_bad_buffers():
    g = conv_geometry((2, 5, 5, 2), (3, 3), (1, 1), (1, 1), "valid", 3)
    x = np.zeros((2, 5, 5, 2))
    w = np.zeros((3, 3, 2, 3))
    with pytest.raises(ValueError, match=r"shape \(2, 3, 3, 3\).*\(2, 5, 5, 3\)"):
        _conv.conv2d_forward(x, w, None, np.empty((2, 5, 5, 3)), g, 1)
    with pytest.raises(ValueError, match="dtype float64.*float32"):
        _conv.conv2d_forward(x, w.astype(np.float32), None, np.empty((2, 3, 3, 3)), g, 1)
    with pytest.raises(ValueError, match="read-only"):
        y = np.empty((2, 3, 3, 3))
        y.flags.writeable = False
        _conv.conv2d_forward(x, w, None, y, g, 1)
    with pytest.raises(ValueError, match="C-contiguous"):
        _conv.conv2d_forward(np.zeros((2, 5, 5, 4))[..., ::2], w, None, np.empty((2, 3, 3, 3)), g, 1)
    with pytest.raises(ValueError, match="geometry"):
        _conv.conv2d_forward(x, w, None, np.empty((2, 3, 3, 3)), g[:-1], 1)
    with pytest.raises(ValueError, match="rows"):
        _conv.im2col(x, g, 10, 10, np.empty((10, 18)), 1)
