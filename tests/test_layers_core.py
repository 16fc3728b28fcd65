"""Core layers: Dense, Flatten, Reshape, Permute, RepeatVector — gradients, shapes, config, bad input."""
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastnn
from fastnn import layers as L
from fastnn.testing import check_gradients

ACTIVATIONS = ["linear", "relu", "sigmoid", "tanh", "elu", "selu", "softplus", "softsign", "swish", "gelu",
               "softmax", "leaky_relu", "hard_sigmoid"]


def _away_from_kinks(x):
    # ReLU-like kinks at 0 make finite differences lie: keep |x| >= 0.05.
    return np.where(np.abs(x) < 0.05, 0.05 * np.sign(x) + (x == 0) * 0.05, x)


@given(batch=st.integers(1, 4), d_in=st.integers(1, 6), units=st.integers(1, 5),
       activation=st.sampled_from(ACTIVATIONS), use_bias=st.booleans(), seed=st.integers(0, 2**16))
def test_dense_gradients(batch, d_in, units, activation, use_bias, seed):
    rng = np.random.default_rng(seed)
    layer = L.Dense(units, activation=activation, use_bias=use_bias, dtype="float64",
                    kernel_initializer=fastnn.initializers.RandomNormal(stddev=0.5, seed=seed))
    x = _away_from_kinks(rng.standard_normal((batch, d_in)))
    layer(x)
    if use_bias:
        layer.bias.assign(rng.standard_normal(units) * 0.1)
    # Keep pre-activations away from kinks too.
    z = x @ layer.kernel.value + (layer.bias.value if use_bias else 0)
    if np.min(np.abs(z)) < 1e-3 and activation in ("relu", "leaky_relu", "hard_sigmoid"):
        return
    check_gradients(layer, x)


def test_dense_rank3_applies_on_last_axis():
    rng = np.random.default_rng(0)
    layer = L.Dense(3, dtype="float64")
    x = rng.standard_normal((2, 4, 5))
    y = layer(x)
    assert y.shape == (2, 4, 3)
    np.testing.assert_allclose(y, x @ layer.kernel.value + layer.bias.value, rtol=1e-12)
    check_gradients(layer, x)


def test_dense_forward_matches_numpy_float32():
    rng = np.random.default_rng(1)
    layer = L.Dense(7, activation="relu")
    x = rng.standard_normal((9, 5)).astype(np.float32)
    y = layer(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, np.maximum(x @ layer.kernel.value + layer.bias.value, 0), rtol=1e-5, atol=1e-6)


def test_dense_weights_and_config_round_trip():
    layer = L.Dense(4, activation="tanh", kernel_regularizer="l2", name="d")
    layer(np.zeros((1, 3)))
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert layer.count_params() == 3 * 4 + 4
    cfg = layer.get_config()
    json.dumps(cfg)
    clone = L.Dense.from_config(cfg)
    clone(np.zeros((1, 3)))
    clone.set_weights(layer.get_weights())
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    np.testing.assert_array_equal(clone(x), layer(x))
    assert clone.get_config() == cfg


def test_dense_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="units"):
        L.Dense(0)
    with pytest.raises(ValueError, match="units"):
        L.Dense(2.5)
    with pytest.raises(ValueError, match="activation|Unknown"):
        L.Dense(3, activation="relux")
    with pytest.raises(TypeError, match="unknown argument"):
        L.Dense(3, unit=4)
    layer = L.Dense(3, name="dense_bad")
    layer(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"dense_bad.*\(batch, \.\.\., 4\).*\(2, 5\)"):
        layer(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="dense_bad"):
        layer.set_weights([np.zeros((4, 3))])
    before = layer.get_weights()
    with pytest.raises(ValueError, match="shape"):
        layer.set_weights([np.zeros((4, 3)), np.zeros(4)])
    for a, b in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(a, b)


@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=4))
def test_flatten_reshape_permute_gradients(shape):
    rng = np.random.default_rng(len(shape))
    x = rng.standard_normal(shape)
    check_gradients(L.Flatten(dtype="float64"), x)
    size = int(np.prod(shape[1:]))
    check_gradients(L.Reshape((size,), dtype="float64"), x)
    check_gradients(L.Reshape((-1, 1), dtype="float64"), x)
    dims = tuple(range(len(shape) - 1, 0, -1))
    check_gradients(L.Permute(dims, dtype="float64"), x)


def test_repeat_vector_gradient_and_shapes():
    x = np.random.default_rng(0).standard_normal((2, 3))
    layer = L.RepeatVector(4, dtype="float64")
    assert layer(x).shape == (2, 4, 3)
    check_gradients(layer, x)


def test_reshape_errors_name_the_layer():
    with pytest.raises(ValueError, match="target_shape"):
        L.Reshape((-1, -1))
    layer = L.Reshape((5,), name="rs")
    with pytest.raises(ValueError, match="rs.*\\(5,\\)"):
        layer(np.zeros((2, 3)))
