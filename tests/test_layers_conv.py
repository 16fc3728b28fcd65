"""Convolution layers: gradients over drawn shapes, Keras shape rules, errors, config, threads."""
import json

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import fastnn
from fastnn.layers.conv import Conv1D, Conv2D, Conv2DTranspose
from fastnn.testing import check_gradients


@st.composite
def conv_cases(draw):
    n = draw(st.integers(1, 3))
    h, w, c = draw(st.integers(1, 9)), draw(st.integers(1, 9)), draw(st.integers(1, 4))
    filters = draw(st.integers(1, 4))
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    padding = draw(st.sampled_from(["valid", "same"]))
    if draw(st.booleans()):
        strides, dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3))), (1, 1)
    else:
        strides, dilation = (1, 1), (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    if padding == "valid":  # keep the dilated kernel inside the input
        k = tuple(min(kk, (size - 1) // d + 1) for kk, size, d in zip(k, (h, w), dilation))
    return (n, h, w, c), filters, k, strides, dilation, padding


def _expected_len(n, k, s, d, padding):
    k_eff = (k - 1) * d + 1
    return -(-n // s) if padding == "same" else (n - k_eff) // s + 1


@given(case=conv_cases(), use_bias=st.booleans(), activation=st.sampled_from([None, "relu"]))
def test_conv2d_gradients(case, use_bias, activation):
    shape, filters, k, strides, dilation, padding = case
    layer = Conv2D(filters, k, strides=strides, padding=padding, dilation_rate=dilation, use_bias=use_bias,
                   activation=activation, dtype="float64")
    x = np.random.default_rng(0).standard_normal(shape)
    y = layer(x)
    assert y.shape == (shape[0],) + tuple(_expected_len(n, kk, s, d, padding) for n, kk, s, d in
                                          zip(shape[1:3], k, strides, dilation)) + (filters,)
    if activation == "relu":  # finite differences lie at the kink: keep pre-activations away from 0
        linear = Conv2D.from_config({**layer.get_config(), "activation": None, "name": None})
        linear.build((None,) + shape[1:])
        linear.set_weights(layer.get_weights())
        assume(np.min(np.abs(linear(x))) > 1e-3)
    check_gradients(layer, x)


@given(n=st.integers(1, 3), steps=st.integers(1, 9), c=st.integers(1, 4), filters=st.integers(1, 4),
       k=st.integers(1, 4), s=st.integers(1, 3), d=st.integers(1, 3),
       padding=st.sampled_from(["valid", "same", "causal"]))
def test_conv1d_gradients(n, steps, c, filters, k, s, d, padding):
    if s > 1:
        d = 1
    if padding == "valid":
        k = min(k, (steps - 1) // d + 1)
    layer = Conv1D(filters, k, strides=s, padding=padding, dilation_rate=d, dtype="float64")
    x = np.random.default_rng(1).standard_normal((n, steps, c))
    y = layer(x)
    expect = -(-steps // s) if padding in ("same", "causal") else (steps - (k - 1) * d - 1) // s + 1
    assert y.shape == (n, expect, filters) and layer.kernel.shape == (k, c, filters)
    check_gradients(layer, x)


def test_conv1d_causal_output_does_not_see_the_future():
    layer = Conv1D(1, 3, padding="causal", dtype="float64", kernel_initializer="ones")
    x = np.zeros((1, 6, 1))
    x[0, 3, 0] = 1.0
    y = layer(x)[0, :, 0]
    np.testing.assert_array_equal(y, [0, 0, 0, 1, 1, 1])


@given(case=conv_cases())
def test_conv2d_transpose_gradients_and_keras_output_size(case):
    shape, filters, k, strides, dilation, padding = case
    layer = Conv2DTranspose(filters, k, strides=strides, padding=padding, dilation_rate=dilation,
                            dtype="float64")
    x = np.random.default_rng(2).standard_normal(shape)
    y = layer(x)
    want = []
    for n, kk, s, d in zip(shape[1:3], k, strides, dilation):
        k_eff = (kk - 1) * d + 1
        want.append(n * s + max(k_eff - s, 0) if padding == "valid" else n * s)
    assert y.shape == (shape[0], *want, filters)
    assert layer.kernel.shape == (*k, filters, shape[3])
    check_gradients(layer, x)


@given(case=conv_cases())
def test_conv2d_transpose_is_the_adjoint_of_conv2d(case):
    """<conv(u), v> == <u, conv_transpose(v)> with a shared kernel and no bias."""
    shape, filters, k, strides, dilation, padding = case
    tr = Conv2DTranspose(shape[3], k, strides=strides, padding=padding, dilation_rate=dilation, use_bias=False,
                         dtype="float64")
    rng = np.random.default_rng(3)
    v = rng.standard_normal((shape[0], shape[1], shape[2], filters))
    u_shape = tr.compute_output_shape((None, shape[1], shape[2], filters))
    conv = Conv2D(filters, k, strides=strides, padding=padding, dilation_rate=dilation, use_bias=False,
                  dtype="float64")
    u = rng.standard_normal((shape[0],) + u_shape[1:])
    cu = conv(u)
    assert cu.shape == v.shape
    tr.build((None,) + v.shape[1:])
    tr.kernel.assign(conv.kernel.value)
    assert np.isclose(np.sum(cu * v), np.sum(u * tr(v)), rtol=1e-10, atol=1e-10)


def test_same_padding_matches_keras_bottom_right_rule():
    # 4x4 input, 2x2 kernel of ones, stride 1, 'same': the extra row/column is padded at the bottom/right,
    # so y[i, j] = x[i, j] + x[i, j+1] + x[i+1, j] + x[i+1, j+1] with zeros outside.
    x = np.arange(16, dtype=np.float64).reshape(1, 4, 4, 1)
    layer = Conv2D(1, 2, padding="same", kernel_initializer="ones", dtype="float64")
    y = layer(x)[0, :, :, 0]
    xp = np.pad(x[0, :, :, 0], ((0, 1), (0, 1)))
    want = xp[:-1, :-1] + xp[:-1, 1:] + xp[1:, :-1] + xp[1:, 1:]
    np.testing.assert_array_equal(y, want)


def test_errors_name_the_layer_and_shapes():
    layer = Conv2D(4, 3, name="c1")
    layer(np.zeros((1, 5, 5, 2), np.float32))
    with pytest.raises(ValueError, match=r"c1.*2 input channels.*\(3, 3, 2, 4\).*\(1, 5, 5, 3\)"):
        layer(np.zeros((1, 5, 5, 3), np.float32))
    with pytest.raises(ValueError, match=r"c1.*4-D.*\(1, 5, 5\)"):
        layer(np.zeros((1, 5, 5), np.float32))
    with pytest.raises(ValueError, match=r"c1.*does not fit.*\(1, 2, 5, 2\)"):
        layer(np.zeros((1, 2, 5, 2), np.float32))
    with pytest.raises(ValueError, match=r"kernel_size \(5, 5\).*does not fit.*\((None|1), 3, 3, 1\)"):
        Conv2D(2, 5)(np.zeros((1, 3, 3, 1), np.float32))
    with pytest.raises(ValueError, match="strides must be positive"):
        Conv2D(2, 3, strides=0)
    with pytest.raises(ValueError, match="kernel_size must be positive"):
        Conv2D(2, (3, 0))
    with pytest.raises(ValueError, match="dilation_rate must be positive"):
        Conv1D(2, 3, dilation_rate=0)
    with pytest.raises(ValueError, match="filters` must be a positive integer, received 0"):
        Conv2D(0, 3)
    with pytest.raises(ValueError, match=r"strides > 1 cannot be combined with dilation_rate > 1"):
        Conv2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match=r"padding must be one of \['valid', 'same'\], received 'causal'"):
        Conv2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match=r"kernel_size must be an int or a tuple of 2 ints"):
        Conv2D(2, (3, 3, 3))
    with pytest.raises(ValueError, match="output_padding"):
        Conv2DTranspose(2, 3, output_padding=1)
    with pytest.raises(TypeError, match="unknown argument"):
        Conv2D(2, 3, kernal_size=3)


@pytest.mark.parametrize("make", [
    lambda: Conv2D(3, (2, 3), strides=(2, 1), padding="same", activation="relu", use_bias=False),
    lambda: Conv1D(2, 3, padding="causal", dilation_rate=2),
    lambda: Conv2DTranspose(2, 3, strides=2, padding="same"),
])
def test_get_config_round_trip(make):
    layer = make()
    rank = 1 if isinstance(layer, Conv1D) else 2
    x = np.random.default_rng(4).standard_normal((2, 6, 3) if rank == 1 else (2, 6, 5, 3)).astype(np.float32)
    y = layer(x)
    cfg = layer.get_config()
    json.dumps(cfg)
    clone = type(layer).from_config(cfg)
    assert clone.get_config() == cfg
    clone.build((None,) + x.shape[1:])
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(clone(x), y)


def test_keras_defaults_and_weight_layout():
    layer = Conv2D(8, 3)
    assert (layer.strides, layer.padding, layer.dilation_rate, layer.use_bias) == ((1, 1), "valid", (1, 1), True)
    assert layer.name.startswith("conv2d")
    layer(np.zeros((1, 5, 5, 2), np.float32))
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert layer.kernel.shape == (3, 3, 2, 8) and layer.bias.shape == (8,)
    assert np.all(layer.bias.value == 0) and np.abs(layer.kernel.value).max() <= np.sqrt(6 / (18 + 72))


def test_layer_results_bit_identical_for_1_2_3_threads():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((8, 20, 20, 8)).astype(np.float32)
    layer = Conv2D(16, 3, padding="same", activation="relu")
    layer(x)
    old = fastnn.get_num_threads()
    outs = []
    try:
        for n in (1, 2, 3):
            fastnn.set_num_threads(n)
            layer.kernel.grad[...] = 0
            layer.bias.grad[...] = 0
            y, ctx = layer.forward(x)
            dx = layer.backward(ctx, np.ones_like(y))
            outs.append((y, dx, layer.kernel.grad.copy(), layer.bias.grad.copy()))
    finally:
        fastnn.set_num_threads(old)
    for other in outs[1:]:
        for a, b in zip(outs[0], other):
            assert np.array_equal(a, b)


def test_backward_skips_input_gradient_and_frozen_weights():
    layer = Conv2D(2, 3, dtype="float64")
    x = np.random.default_rng(6).standard_normal((1, 4, 4, 1))
    layer(x)  # builds
    y, ctx = layer.forward(x)
    assert layer.backward(ctx, np.ones_like(y), need_input_grad=False) is None
    assert np.any(layer.kernel.grad != 0)
    layer.trainable = False
    layer.kernel.grad[...] = 0
    dx = layer.backward(ctx, np.ones_like(y))
    assert dx.shape == x.shape and np.all(layer.kernel.grad == 0)
