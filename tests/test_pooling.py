"""Pooling kernels (csrc/pool.c) and layers: vs *_ref twins and numpy, tie rule, overlap, gradients,
thread-count independence, bad inputs, get_config."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastnn
from fastnn._native import _pool
from fastnn.layers._conv_utils import pool_geometry
from fastnn.layers.pooling import (AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D,
                                   GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D,
                                   MaxPooling1D, MaxPooling2D)
from fastnn.testing import check_gradients

DTYPES = [np.float32, np.float64]


@st.composite
def pool_cases(draw):
    n, h, w, c = draw(st.integers(1, 3)), draw(st.integers(1, 9)), draw(st.integers(1, 9)), draw(st.integers(1, 4))
    ph, pw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    padding = draw(st.sampled_from(["valid", "same"]))
    if padding == "valid":
        ph, pw = min(ph, h), min(pw, w)
    return (n, h, w, c), (ph, pw), (sh, sw), padding


def distinct_values(shape, seed=0):
    """Values all different (no ties in any window) and well apart relative to a finite-difference step."""
    rng = np.random.default_rng(seed)
    return rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1 - 1.0


def numpy_pool(x, pool, strides, padding, op):
    n, h, w, c = x.shape
    g = pool_geometry(x.shape, pool, strides, padding)
    oh, ow, pt, pl = g[4], g[5], g[10], g[11]
    y = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * strides[0] - pt, j * strides[1] - pl
            win = x[:, max(r0, 0):r0 + pool[0], max(c0, 0):c0 + pool[1], :]
            y[:, i, j, :] = op(win.reshape(n, -1, c), axis=1)
    return y


@given(case=pool_cases(), dtype=st.sampled_from(DTYPES), ties=st.booleans())
def test_max_pool_kernels_match_reference_and_numpy(case, dtype, ties):
    shape, pool, strides, padding = case
    g = pool_geometry(shape, pool, strides, padding)
    rng = np.random.default_rng(5)
    # integer values in a small range make many ties: both kernels must pick the same (first) maximum
    x = (rng.integers(0, 3, shape) if ties else rng.standard_normal(shape)).astype(dtype)
    out = (g[0], g[4], g[5], g[3])
    y, a, y_ref, a_ref = np.empty(out, dtype), np.empty(out, np.int32), np.empty(out, dtype), np.empty(out, np.int32)
    _pool.maxpool2d_forward(x, y, a, g, 2)
    _pool.maxpool2d_forward(x, y_ref, a_ref, g, 1, reference=True)
    assert np.array_equal(y, y_ref) and np.array_equal(a, a_ref)
    np.testing.assert_array_equal(y, numpy_pool(x, pool, strides, padding, np.max))
    dy = rng.standard_normal(out).astype(dtype)
    dx, dx_ref = np.full(shape, np.nan, dtype), np.full(shape, np.nan, dtype)
    _pool.maxpool2d_backward(dy, a, dx, g, 2)
    _pool.maxpool2d_backward(dy, a, dx_ref, g, 1, reference=True)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-6, atol=1e-6)
    # adjoint of the gather x -> x[argmax]: <gather(x'), dy> == <x', scatter(dy)>
    xp = rng.standard_normal(shape)
    gathered = np.take_along_axis(xp.reshape(shape[0], -1, shape[3]), a.reshape(shape[0], -1, shape[3]), axis=1)
    assert np.isclose(np.sum(gathered * dy.reshape(gathered.shape)), np.sum(xp * dx), rtol=1e-5, atol=1e-5)


def test_max_pool_ties_pick_the_first_maximum_in_row_major_order():
    x = np.array([[1.0, 3.0], [3.0, 3.0]]).reshape(1, 2, 2, 1)
    g = pool_geometry(x.shape, (2, 2), (2, 2), "valid")
    y, a = np.empty((1, 1, 1, 1)), np.empty((1, 1, 1, 1), np.int32)
    _pool.maxpool2d_forward(x, y, a, g, 1)
    assert y.item() == 3.0 and a.item() == 1  # (row 0, column 1), not (1, 0) or (1, 1)


@given(case=pool_cases(), dtype=st.sampled_from(DTYPES))
def test_average_pool_kernels_match_reference_and_numpy(case, dtype):
    shape, pool, strides, padding = case
    g = pool_geometry(shape, pool, strides, padding)
    rng = np.random.default_rng(6)
    x = rng.standard_normal(shape).astype(dtype)
    out = (g[0], g[4], g[5], g[3])
    y, y_ref = np.empty(out, dtype), np.empty(out, dtype)
    _pool.avgpool2d_forward(x, y, g, 2)
    _pool.avgpool2d_forward(x, y_ref, g, 1, reference=True)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y, y_ref, rtol=tol, atol=tol)
    # Keras/TF: the mean over the valid positions only (padding not counted)
    np.testing.assert_allclose(y, numpy_pool(x, pool, strides, padding, np.mean), rtol=tol, atol=tol)
    dy = rng.standard_normal(out).astype(dtype)
    dx, dx_ref = np.full(shape, np.nan, dtype), np.full(shape, np.nan, dtype)
    _pool.avgpool2d_backward(dy, dx, g, 2)
    _pool.avgpool2d_backward(dy, dx_ref, g, 1, reference=True)
    np.testing.assert_allclose(dx, dx_ref, rtol=tol, atol=tol)
    assert np.isclose(np.sum(y.astype(np.float64) * dy), np.sum(x.astype(np.float64) * dx), rtol=tol * 10,
                      atol=tol * 10)


@pytest.mark.parametrize("dtype", DTYPES)
def test_pooling_bit_identical_for_1_2_3_threads(dtype):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((16, 26, 24, 20)).astype(dtype)
    results = []
    for n_threads in (1, 2, 3):
        got = []
        for padding, pool, strides in [("valid", (2, 2), (2, 2)), ("same", (3, 3), (2, 1))]:
            g = pool_geometry(x.shape, pool, strides, padding)
            out = (g[0], g[4], g[5], g[3])
            dy = np.random.default_rng(8).standard_normal(out).astype(dtype)
            y, a, dx = np.empty(out, dtype), np.empty(out, np.int32), np.empty(x.shape, dtype)
            _pool.maxpool2d_forward(x, y, a, g, n_threads)
            _pool.maxpool2d_backward(dy, a, dx, g, n_threads)
            ya, dxa = np.empty(out, dtype), np.empty(x.shape, dtype)
            _pool.avgpool2d_forward(x, ya, g, n_threads)
            _pool.avgpool2d_backward(dy, dxa, g, n_threads)
            got += [y, a, dx, ya, dxa]
        x3 = x.reshape(16, -1, 20)
        gy, ga, gdx = np.empty((16, 20), dtype), np.empty((16, 20), np.int32), np.empty_like(x3)
        _pool.global_maxpool_forward(x3, gy, ga, n_threads)
        _pool.global_maxpool_backward(gy, ga, gdx, n_threads)
        got += [gy, ga, gdx]
        results.append(got)
    for other in results[1:]:
        for a_, b_ in zip(results[0], other):
            assert np.array_equal(a_, b_)


@given(case=pool_cases(), layer_cls=st.sampled_from([MaxPooling2D, AveragePooling2D]))
def test_pooling_2d_layer_gradients(case, layer_cls):
    shape, pool, strides, padding = case
    layer = layer_cls(pool, strides, padding, dtype="float64")
    x = distinct_values(shape)
    assert layer(x).shape == (shape[0],) + layer.compute_output_shape((None,) + shape[1:])[1:]
    check_gradients(layer, x)


@given(n=st.integers(1, 3), steps=st.integers(1, 9), c=st.integers(1, 4), pool=st.integers(1, 4),
       stride=st.sampled_from([None, 1, 2, 3]), padding=st.sampled_from(["valid", "same"]),
       layer_cls=st.sampled_from([MaxPooling1D, AveragePooling1D]))
def test_pooling_1d_layer_gradients(n, steps, c, pool, stride, padding, layer_cls):
    if padding == "valid":
        pool = min(pool, steps)
    layer = layer_cls(pool, stride, padding, dtype="float64")
    x = distinct_values((n, steps, c))
    y = layer(x)
    s = stride or pool
    expect = -(-steps // s) if padding == "same" else (steps - pool) // s + 1
    assert y.shape == (n, expect, c)
    check_gradients(layer, x)


def test_overlapping_max_pool_sums_gradients_where_windows_share_the_maximum():
    x = np.zeros((1, 3, 3, 1))
    x[0, 1, 1, 0] = 5.0  # the centre is the maximum of all four 2x2 windows at stride 1
    layer = MaxPooling2D(2, 1, dtype="float64")
    y, ctx = layer.forward(x)
    dx = layer.backward(ctx, np.ones_like(y))
    assert dx[0, 1, 1, 0] == 4.0 and dx.sum() == 4.0


@given(n=st.integers(1, 3), h=st.integers(1, 6), w=st.integers(1, 6), c=st.integers(1, 4),
       keepdims=st.booleans(),
       layer_cls=st.sampled_from([GlobalAveragePooling2D, GlobalMaxPooling2D, GlobalAveragePooling1D,
                                  GlobalMaxPooling1D]))
def test_global_pooling_values_and_gradients(n, h, w, c, keepdims, layer_cls):
    rank = 1 if layer_cls in (GlobalAveragePooling1D, GlobalMaxPooling1D) else 2
    shape = (n, h, c) if rank == 1 else (n, h, w, c)
    layer = layer_cls(keepdims=keepdims, dtype="float64")
    x = distinct_values(shape)
    axes = tuple(range(1, rank + 1))
    want = (x.max if "Max" in layer_cls.__name__ else x.mean)(axis=axes, keepdims=keepdims)
    np.testing.assert_allclose(layer(x), want, rtol=1e-12)
    check_gradients(layer, x)


def test_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"max_pool.*4-D.*\((None|2), 5, 3\)"):
        MaxPooling2D(name="max_pool")(np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match=r"pool_size \(3, 3\).*\((None|1), 2, 2, 1\)"):
        MaxPooling2D(3)(np.zeros((1, 2, 2, 1)))
    with pytest.raises(ValueError, match=r"padding must be one of \['valid', 'same'\].*'full'"):
        AveragePooling2D(padding="full")
    with pytest.raises(ValueError, match="strides must be positive"):
        MaxPooling2D(2, strides=0)
    with pytest.raises(ValueError, match="pool_size must be positive"):
        MaxPooling1D(-1)
    with pytest.raises(ValueError, match=r"3-D.*\((None|2), 5\)"):
        GlobalAveragePooling1D()(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="channels_last"):
        MaxPooling2D(data_format="channels_first")


@pytest.mark.parametrize("layer", [MaxPooling2D((3, 2), (1, 2), "same"), AveragePooling1D(3, padding="same"),
                                   GlobalMaxPooling2D(keepdims=True), GlobalAveragePooling1D()])
def test_get_config_round_trip(layer):
    cfg = layer.get_config()
    clone = type(layer).from_config(cfg)
    assert clone.get_config() == cfg
    shape = (2, 5, 4, 3) if "2D" in type(layer).__name__ else (2, 5, 3)
    x = distinct_values(shape).astype(np.float32)
    np.testing.assert_array_equal(layer(x), clone(x))


def test_keras_defaults():
    layer = MaxPooling2D()
    assert layer.pool_size == (2, 2) and layer.strides == (2, 2) and layer.padding == "valid"
    assert layer.name.startswith("max_pooling2d")
    assert AveragePooling1D().strides == (2,)
