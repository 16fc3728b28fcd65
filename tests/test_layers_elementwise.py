"""Activation, regularization and normalization layers: gradients (check_gradients, float64), Keras
semantics, kernels against references, thread independence, bad arguments and config round-trips."""
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastnn
from fastnn._native import _eltwise
from fastnn.layers.activation import ELU, PReLU, Activation, LeakyReLU, Maxout, ReLU, Softmax
from fastnn.layers.normalization import BatchNormalization, LayerNormalization
from fastnn.layers.regularization import (AlphaDropout, Dropout, GaussianDropout, GaussianNoise, SpatialDropout1D,
                                          SpatialDropout2D, SpatialDropout3D)
from fastnn.testing import check_gradients

shapes = st.tuples(st.integers(1, 4), st.integers(1, 5), st.integers(1, 5))


def _inputs(shape, seed, avoid=(0.0,)):
    x = np.random.default_rng(seed).standard_normal(shape)
    for k in avoid:
        close = np.abs(x - k) < 0.05
        x[close] = k + 0.1
    return x


class _Threads:
    """Run a block at a given thread count, restoring the previous one."""

    def __init__(self, n):
        self.n = n

    def __enter__(self):
        self.saved = fastnn.get_num_threads()
        fastnn.set_num_threads(self.n)

    def __exit__(self, *exc):
        fastnn.set_num_threads(self.saved)


# ---------------------------------------------------------------- activation layers

@given(shape=shapes, seed=st.integers(0, 999))
def test_activation_layer_gradients(shape, seed):
    x = _inputs(shape, seed, avoid=(0.0, 0.5, 1.5))
    for layer in [ReLU(dtype="float64"), ReLU(max_value=1.5, negative_slope=0.1, threshold=0.5, dtype="float64"),
                  LeakyReLU(dtype="float64"), LeakyReLU(negative_slope=0.05, dtype="float64"),
                  ELU(alpha=0.7, dtype="float64"), Softmax(dtype="float64"), Softmax(axis=1, dtype="float64"),
                  Activation("tanh", dtype="float64"), Activation("linear", dtype="float64")]:
        check_gradients(layer, x)


@given(shape=shapes, seed=st.integers(0, 999), shared=st.sampled_from([None, [1], [2], [1, 2]]))
def test_prelu_gradients_with_shared_axes(shape, seed, shared):
    layer = PReLU(alpha_initializer="zeros", shared_axes=shared, dtype="float64")
    layer.build((None,) + shape[1:])
    layer.alpha.value[...] = np.random.default_rng(seed).uniform(-0.5, 0.5, layer.alpha.shape)
    report = check_gradients(layer, _inputs(shape, seed))
    assert "p_re_lu" in "".join(report) or any("alpha" in k for k in report)


def test_prelu_values_and_shape():
    layer = PReLU(shared_axes=[1], dtype="float64")
    x = np.array([[[-1.0, 2.0], [3.0, -4.0]]])
    layer.build((None, 2, 2))
    assert layer.alpha.shape == (1, 2)
    np.testing.assert_array_equal(layer(x), np.maximum(x, 0))  # alpha initialised to zeros
    layer.alpha.value[...] = [[0.5, 0.25]]
    np.testing.assert_array_equal(layer(x), [[[-0.5, 2.0], [3.0, -1.0]]])
    with pytest.raises(ValueError, match=r"p_re_lu.*received \(1, 2, 3\)"):
        layer(np.ones((1, 2, 3)))


def test_relu_layer_keras_semantics():
    x = np.linspace(-3, 8, 23).reshape(1, -1)
    np.testing.assert_array_equal(ReLU()(x), np.maximum(x, 0).astype(np.float32))
    got = ReLU(max_value=6.0, negative_slope=0.2, threshold=1.0, dtype="float64")(x)
    want = np.where(x >= 6, 6, np.where(x > 1, x, np.where(x == 1, 0, 0.2 * (x - 1))))  # Keras: x * (x > threshold)
    np.testing.assert_allclose(got, want)
    assert LeakyReLU().negative_slope == 0.3  # Keras 3 layer default
    assert LeakyReLU(alpha=0.1).negative_slope == 0.1  # legacy name
    np.testing.assert_allclose(LeakyReLU(dtype="float64")(x), np.where(x > 0, x, 0.3 * x))
    np.testing.assert_allclose(ELU(dtype="float64")(x), np.where(x > 0, x, np.expm1(x)))


@pytest.mark.parametrize("make, pattern", [
    (lambda: ReLU(max_value=-1), "max_value"), (lambda: ReLU(negative_slope=-0.1), "negative_slope"),
    (lambda: LeakyReLU(negative_slope=-1), "negative_slope.*received -1"), (lambda: ELU(alpha="a"), "alpha"),
    (lambda: Softmax(axis=1.5), "axis"), (lambda: Maxout(0), "num_units"), (lambda: Dropout(1.0), r"rate.*\[0, 1\)"),
    (lambda: Dropout(-0.1), "rate"), (lambda: GaussianNoise(-1), "stddev"), (lambda: GaussianDropout(1.5), "rate"),
    (lambda: BatchNormalization(momentum=2), "momentum"), (lambda: BatchNormalization(epsilon=0), "epsilon"),
    (lambda: PReLU(shared_axes=[0]), "shared_axes"), (lambda: Dropout(0.5, seed=-3), "seed"),
    (lambda: Activation("nope"), "Unknown activation 'nope'")])
def test_bad_hyper_parameters(make, pattern):
    with pytest.raises(ValueError, match=pattern):
        make()


def test_softmax_layer_mask():
    x = np.zeros((1, 4))
    mask = np.array([[True, True, False, True]])
    y = Softmax(dtype="float64")(x, mask=mask)
    np.testing.assert_allclose(y, [[1 / 3, 1 / 3, 0, 1 / 3]], atol=1e-12)


# ---------------------------------------------------------------- Maxout

@given(batch=st.integers(1, 3), units=st.integers(1, 4), k=st.integers(1, 3), seed=st.integers(0, 999))
def test_maxout(batch, units, k, seed):
    x = np.random.default_rng(seed).permutation(batch * units * k).reshape(batch, units * k) * 0.1  # no ties
    layer = Maxout(units, dtype="float64")
    y = layer(x)
    np.testing.assert_array_equal(y, x.reshape(batch, units, k).max(-1))
    assert layer.compute_output_shape((None, units * k)) == (None, units)
    check_gradients(layer, x)


def test_maxout_other_axis_and_divisibility_error():
    x = np.random.default_rng(0).permutation(24).reshape(2, 6, 2).astype(float)
    y = Maxout(3, axis=1, dtype="float64")(x)
    np.testing.assert_array_equal(y, x.reshape(2, 3, 2, 2).max(2))
    with pytest.raises(ValueError, match=r"maxout.*\(7\) must be a multiple of num_units=3"):
        Maxout(3)(np.ones((2, 7)))


# ---------------------------------------------------------------- Dropout and noise

@given(shape=shapes, seed=st.integers(0, 999), rate=st.sampled_from([0.1, 0.5, 0.8]))
def test_dropout_gradients_in_training(shape, seed, rate):
    x = _inputs(shape, seed)
    check_gradients(Dropout(rate, dtype="float64"), x, training=True)
    check_gradients(Dropout(rate, noise_shape=(None, 1, None), seed=seed, dtype="float64"), x, training=True)
    check_gradients(GaussianDropout(rate, seed=seed, dtype="float64"), x, training=True)
    check_gradients(GaussianNoise(0.3, seed=seed, dtype="float64"), x, training=True)
    check_gradients(SpatialDropout1D(rate, seed=seed, dtype="float64"), x, training=True)
    check_gradients(AlphaDropout(rate, seed=seed, dtype="float64"), x, training=True)


def test_spatial_and_alpha_dropout():
    x = np.ones((4, 3, 5, 6))
    y = SpatialDropout2D(0.5, seed=0, dtype="float64")(x, training=True)
    assert np.all(y == y[:, :1, :1, :]) and set(np.unique(y)) <= {0.0, 2.0}
    y = SpatialDropout2D(0.5, data_format="channels_first", seed=0, dtype="float64")(x, training=True)
    assert np.all(y == y[:, :, :1, :1])
    y = SpatialDropout3D(0.5, seed=0, dtype="float64")(np.ones((2, 2, 2, 2, 3)), training=True)
    assert np.all(y == y[:, :1, :1, :1, :])
    with pytest.raises(ValueError, match="expected inputs of rank 4"):
        SpatialDropout2D(0.5)(np.ones((2, 3)), training=True)
    with pytest.raises(ValueError, match="data_format"):
        SpatialDropout2D(0.5, data_format="nhwc")
    r = np.random.default_rng(0).standard_normal(200000)
    a = AlphaDropout(0.2, seed=2, dtype="float64")(r, training=True)
    assert abs(a.mean()) < 0.01 and abs(a.std() - 1) < 0.01, "AlphaDropout keeps zero mean, unit variance"
    assert np.array_equal(AlphaDropout(0.2)(r), r.astype(np.float32))


def test_dropout_semantics():
    x = np.ones((200, 50))
    layer = Dropout(0.3, seed=1, dtype="float64")
    assert layer(x) is not None and np.array_equal(layer(x, training=False), x)
    y = layer(x, training=True)
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.7)
    assert abs(kept.mean() - 0.7) < 0.02
    y2 = layer(x, training=True)
    assert not np.array_equal(y, y2), "each call draws a new mask"
    again = Dropout(0.3, seed=1, dtype="float64")
    assert np.array_equal(again(x, training=True), y), "seeded layers are reproducible"
    shared = Dropout(0.5, noise_shape=(None, 1), seed=2, dtype="float64")(x, training=True)
    assert np.all((shared == shared[:, :1]))
    with pytest.raises(ValueError, match="noise_shape"):
        Dropout(0.5, noise_shape=(None, 3))(x, training=True)
    assert np.array_equal(GaussianNoise(1.0)(x), x.astype(np.float32))


def test_dropout_backward_uses_the_forward_mask():
    layer = Dropout(0.5, seed=3, dtype="float64")
    x = np.random.default_rng(0).standard_normal((7, 9))
    y, ctx = layer.forward(x, training=True)
    dy = np.ones_like(x)
    dx = layer.backward(ctx, dy)
    np.testing.assert_array_equal(dx, np.where(y != 0, 2.0, 0.0))
    np.testing.assert_array_equal(dy, 1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_bit_identical_for_any_thread_count(dtype):
    x = np.random.default_rng(0).standard_normal((400, 300)).astype(dtype)
    outs = []
    for n in (1, 2, 3):
        with _Threads(n):
            y, keep = _eltwise.dropout_forward(x, 12345, 0.4, 1 / 0.6, n)
            mask = _eltwise.dropout_mask(x.shape, 12345, 0.4, n)
            dx = _eltwise.dropout_backward(keep, 1 / 0.6, x, n)
        outs.append((y, keep, mask, dx))
    for o in outs[1:]:
        assert all(np.array_equal(a, b) for a, b in zip(o, outs[0]))
    assert np.array_equal(outs[0][1], outs[0][2]), "the fused forward and the mask generator agree"


# ---------------------------------------------------------------- BatchNormalization

@given(shape=shapes, seed=st.integers(0, 999), center=st.booleans(), scale=st.booleans())
def test_batchnorm_gradients(shape, seed, center, scale):
    x = _inputs(shape, seed) * 2 + 1
    if shape[0] * shape[1] == 1:
        x = x + np.random.default_rng(seed).standard_normal(x.shape) * 0.0  # one row: var 0, still defined
    for training in (True, False):
        layer = BatchNormalization(center=center, scale=scale, dtype="float64")
        layer.build((None,) + shape[1:])
        rng = np.random.default_rng(seed + 1)
        for w in layer.weights:
            w.value[...] = rng.uniform(0.5, 1.5, w.shape)
        check_gradients(layer, x, training=training)
    check_gradients(BatchNormalization(axis=1, dtype="float64"), x, training=True)


def test_batchnorm_keras_semantics():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 3, 4)) * 3 + 2
    layer = BatchNormalization(momentum=0.9, epsilon=1e-3, dtype="float64")
    layer.build((None, 3, 4))
    assert [w.name for w in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.name for w in layer.trainable_weights] == ["gamma", "beta"]
    assert [w.name for w in layer.non_trainable_weights] == ["moving_mean", "moving_variance"]
    layer.gamma.value[...] = [1.0, 2.0, 0.5, 1.5]
    layer.beta.value[...] = [0.0, 1.0, -1.0, 0.5]
    y = layer(x, training=True)
    mean = x.reshape(-1, 4).mean(0)
    var = x.reshape(-1, 4).var(0)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3) * layer.gamma.value + layer.beta.value,
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.moving_mean.value, 0.1 * mean, rtol=1e-12)
    np.testing.assert_allclose(layer.moving_variance.value, 0.9 + 0.1 * var, rtol=1e-12)
    y_inf = layer(x, training=False)
    mm, mv = layer.moving_mean.value, layer.moving_variance.value
    np.testing.assert_allclose(y_inf, (x - mm) / np.sqrt(mv + 1e-3) * layer.gamma.value + layer.beta.value,
                               rtol=1e-12)
    layer.trainable = False  # Keras 3: a frozen BatchNormalization runs in inference mode
    before = layer.moving_mean.value.copy()
    np.testing.assert_allclose(layer(x, training=True), y_inf, rtol=1e-12)
    np.testing.assert_array_equal(layer.moving_mean.value, before)
    with pytest.raises(ValueError, match=r"expected 4 features.*\(2, 3, 5\)"):
        layer(np.ones((2, 3, 5)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m, c", [(0, 3), (1, 1), (7, 5), (1000, 3), (5000, 64), (70000, 1)])
def test_batchnorm_kernels_match_reference_and_thread_counts(dtype, m, c):
    rng = np.random.default_rng(m + c)
    x = (rng.standard_normal((m, c)) * 2 + 3).astype(dtype)
    dy = rng.standard_normal((m, c)).astype(dtype)
    gamma = rng.uniform(0.5, 1.5, c).astype(dtype)
    results = []
    for n in (1, 2, 3):
        mean, var = _eltwise.bn_stats(x, n)
        inv_std = (1 / np.sqrt(var + 1e-3)).astype(dtype)
        dg, db = np.zeros(c, dtype), np.zeros(c, dtype)
        dx = _eltwise.bn_backward(x, mean, inv_std, gamma, dy, dg, db, True, True, n)
        results.append((mean, var, dg, db, dx))
    for r in results[1:]:
        assert all(np.array_equal(a, b) for a, b in zip(r, results[0]))
    rmean, rvar = _eltwise.bn_stats(x, 1, reference=True)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(results[0][0], rmean, rtol=tol, atol=tol)
    np.testing.assert_allclose(results[0][1], rvar, rtol=tol, atol=tol)
    mean, var = results[0][0], results[0][1]
    inv_std = (1 / np.sqrt(var + 1e-3)).astype(dtype)
    rdg, rdb = np.zeros(c, dtype), np.zeros(c, dtype)
    rdx = _eltwise.bn_backward(x, mean, inv_std, gamma, dy, rdg, rdb, True, True, 1, reference=True)
    scale = max(1.0, float(np.sqrt(m)))
    np.testing.assert_allclose(results[0][2], rdg, rtol=tol, atol=tol * scale)
    np.testing.assert_allclose(results[0][3], rdb, rtol=tol, atol=tol * scale)
    np.testing.assert_allclose(results[0][4], rdx, rtol=tol * 10, atol=tol * 10)
    if m:
        np.testing.assert_allclose(mean, x.astype(np.float64).mean(0), rtol=tol, atol=tol)


@given(shape=shapes, seed=st.integers(0, 999), center=st.booleans(), scale=st.booleans(),
       axis=st.sampled_from([-1, [1, 2], 1]))
def test_layernorm_gradients(shape, seed, center, scale, axis):
    layer = LayerNormalization(axis=axis, center=center, scale=scale, dtype="float64")
    layer.build((None,) + shape[1:])
    rng = np.random.default_rng(seed)
    for w in layer.weights:
        w.value[...] = rng.uniform(0.5, 1.5, w.shape)
    check_gradients(layer, rng.standard_normal(shape) * 2 + 1)


def test_layernorm_values_and_errors():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 5)) * 3 + 1
    layer = LayerNormalization(epsilon=1e-3, dtype="float64")
    y = layer(x)
    want = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(y, want, rtol=1e-12, atol=1e-12)
    assert [w.name for w in layer.weights] == ["gamma", "beta"] and layer.gamma.shape == (5,)
    both = LayerNormalization(axis=[1, 2], dtype="float64")
    flat = x.reshape(4, -1)
    np.testing.assert_allclose(both(x).reshape(4, -1), (flat - flat.mean(1, keepdims=True)) /
                               np.sqrt(flat.var(1, keepdims=True) + 1e-3), rtol=1e-12, atol=1e-12)
    assert both.gamma.shape == (3, 5)
    with pytest.raises(ValueError, match=r"expected sizes \(5,\).*\(4, 3, 6\)"):
        layer(np.ones((4, 3, 6)))
    with pytest.raises(ValueError, match="rms_scaling"):
        LayerNormalization(rms_scaling=True)


# ---------------------------------------------------------------- column sums (bias gradients)

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@given(m=st.integers(0, 3000), n=st.integers(1, 70), seed=st.integers(0, 99))
def test_column_sum_accumulate(dtype, m, n, seed):
    rng = np.random.default_rng(seed)
    dz = rng.standard_normal((m, n)).astype(dtype)
    start = rng.standard_normal(n).astype(dtype)
    outs = []
    for threads in (1, 2, 3):
        out = start.copy()
        _eltwise.column_sum_accumulate(dz, out, threads)
        outs.append(out)
    assert all(np.array_equal(o, outs[0]) for o in outs[1:])
    ref = start.copy()
    _eltwise.column_sum_accumulate(dz, ref, 1, reference=True)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(outs[0], ref, rtol=tol, atol=tol * max(1.0, np.sqrt(m)))
    np.testing.assert_allclose(outs[0], start.astype(np.float64) + dz.astype(np.float64).sum(0),
                               rtol=tol, atol=tol * max(1.0, np.sqrt(m)))


def test_column_sum_large_is_thread_independent():
    dz = np.random.default_rng(0).standard_normal((73728, 32)).astype(np.float32)
    outs = []
    for threads in (1, 2, 3):
        out = np.zeros(32, np.float32)
        _eltwise.column_sum_accumulate(dz, out, threads)
        outs.append(out)
    assert all(np.array_equal(o, outs[0]) for o in outs[1:])
    with pytest.raises(ValueError, match="does not end in 5 columns"):
        _eltwise.column_sum_accumulate(dz, np.zeros(5, np.float32), 1)


# ---------------------------------------------------------------- configs

@pytest.mark.parametrize("make", [
    lambda: Activation("gelu"), lambda: Activation({"class_name": "leaky_relu", "config": {"negative_slope": 0.1}}),
    lambda: ReLU(max_value=6.0, threshold=0.5), lambda: LeakyReLU(0.2), lambda: ELU(0.5), lambda: Softmax(axis=1),
    lambda: PReLU(shared_axes=[1]), lambda: Maxout(2), lambda: Dropout(0.25, noise_shape=(None, 1, 4), seed=4),
    lambda: GaussianNoise(0.1, seed=1), lambda: GaussianDropout(0.2, seed=1), lambda: SpatialDropout1D(0.3, seed=2),
    lambda: AlphaDropout(0.1, noise_shape=(None, 1, 4), seed=3),
    lambda: BatchNormalization(momentum=0.9, center=False), lambda: LayerNormalization(axis=[1, 2], epsilon=1e-5)])
def test_config_round_trip(make):
    layer = make()
    x = np.random.default_rng(0).standard_normal((3, 2, 4)).astype(np.float32)
    y = layer(x)
    cfg = json.loads(json.dumps(layer.get_config()))
    clone = type(layer).from_config(cfg)
    clone.build((None, 2, 4))
    clone.set_weights(layer.get_weights())
    assert json.loads(json.dumps(clone.get_config())) == cfg
    np.testing.assert_array_equal(clone(x), y)


def test_dropout_forward_and_backward_identical_for_every_isa_and_in_place():
    from fastnn._native import _runtime

    x = np.random.default_rng(1).standard_normal(10007).astype(np.float32)
    outs = []
    try:
        for level in range(_runtime.isa_detected() + 1):
            _runtime.isa_force(level)
            y, keep = _eltwise.dropout_forward(x, 99, 0.3, 1 / 0.7, 2)
            buf = x.copy()
            y2, keep2 = _eltwise.dropout_forward(buf, 99, 0.3, 1 / 0.7, 2, out=buf)
            assert y2 is buf and np.array_equal(y2, y) and np.array_equal(keep2, keep)
            g = x[::-1].copy()
            g[:7] = np.inf  # a dropped element must give an exact 0 even for a non-finite gradient
            dx = _eltwise.dropout_backward(keep, 1 / 0.7, g, 2)
            np.testing.assert_array_equal(dx, np.where(keep == 1, g * np.float32(1 / 0.7), np.float32(0)))
            outs.append((y, keep, dx))
    finally:
        _runtime.isa_force(-1)
    for y, keep, dx in outs[1:]:
        assert np.array_equal(y, outs[0][0]) and np.array_equal(keep, outs[0][1])
        assert np.array_equal(dx, outs[0][2])
    assert abs(outs[0][1].mean() - 0.7) < 0.02
