"""fastnn.activations: values against float64 transcriptions of Keras's formulas, gradients through the
Activation layer (check_gradients), in-place forward, thread independence and the get/serialize API."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import fastnn
from fastnn import activations
from fastnn.layers.activation import Activation
from fastnn.testing import check_gradients

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_erf = np.vectorize(math.erf)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x):
    return np.logaddexp(x, 0.0)


# float64 numpy transcriptions of keras.activations (Keras 3)
REFERENCE = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.minimum(np.maximum(x, 0), 6),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)),
    "softplus": _softplus,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "gelu": lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))),
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "exponential": np.exp,
    "hard_sigmoid": lambda x: np.minimum(np.maximum(x + 3, 0), 6) / 6,
    "hard_silu": lambda x: x * np.minimum(np.maximum(x + 3, 0), 6) / 6,
    "hard_swish": lambda x: x * np.minimum(np.maximum(x + 3, 0), 6) / 6,
    "mish": lambda x: x * np.tanh(_softplus(x)),
}
NAMES = sorted(REFERENCE)
# points where the derivative jumps; gradient checks keep inputs away from them
KINKS = {"relu": [0], "selu": [0], "elu": [0], "relu6": [0, 6], "leaky_relu": [0], "hard_sigmoid": [-3, 3],
         "hard_silu": [-3, 3],
         "hard_swish": [-3, 3]}

values = arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 6)),
                elements=st.floats(-8, 8, allow_nan=False, allow_infinity=False))


def _away_from_kinks(x, name):
    x = x.copy()
    for k in KINKS.get(name, []):
        close = np.abs(x - k) < 0.05
        x[close] = k + 0.05 * np.where(x[close] >= k, 1, -1)
    return x


@pytest.mark.parametrize("name", NAMES)
@given(x=values)
def test_values_match_keras_formulas(name, x):
    want = REFERENCE[name](x)
    np.testing.assert_allclose(activations.get(name)(x), want, rtol=1e-12, atol=1e-14)
    got32 = activations.get(name)(x.astype(np.float32))
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, want, rtol=3e-6, atol=3e-6)


@pytest.mark.parametrize("name", NAMES + ["softmax", "log_softmax"])
@given(x=values)
def test_gradients_through_activation_layer(name, x):
    layer = Activation(name, dtype="float64")
    check_gradients(layer, _away_from_kinks(x, name))


@pytest.mark.parametrize("identifier", [{"class_name": "gelu", "config": {"approximate": True}},
                                        {"class_name": "leaky_relu", "config": {"negative_slope": 0.05}},
                                        {"class_name": "elu", "config": {"alpha": 0.5}},
                                        {"class_name": "relu", "config": {"max_value": 2.0, "threshold": 0.5,
                                                                          "negative_slope": 0.1}}])
@given(x=values)
def test_gradients_of_parametrized_activations(identifier, x):
    x = _away_from_kinks(_away_from_kinks(x, "relu") - 0.5, "relu") + 0.5  # away from threshold 0.5 and 0
    x[np.abs(x - 2.0) < 0.05] = 2.1
    check_gradients(Activation(identifier, dtype="float64"), x)


def test_parametrized_values():
    x = np.linspace(-4, 4, 41)
    c = np.sqrt(2 / np.pi)
    np.testing.assert_allclose(activations.gelu(x, approximate=True),
                               0.5 * x * (1 + np.tanh(c * (x + 0.044715 * x ** 3))), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(activations.leaky_relu(x, negative_slope=0.1), np.where(x > 0, x, 0.1 * x))
    np.testing.assert_allclose(activations.elu(x, alpha=0.5), np.where(x > 0, x, 0.5 * np.expm1(x)))
    # Keras's relu(x, negative_slope, max_value, threshold)
    got = activations.relu(x, negative_slope=0.1, max_value=2.0, threshold=0.5)
    want = np.clip(x * (x > 0.5), 0, 2.0) - 0.1 * np.maximum(0.5 - x, 0)
    np.testing.assert_allclose(got, want)
    np.testing.assert_allclose(activations.relu(x, max_value=6.0), np.clip(x, 0, 6))


def test_softmax_and_log_softmax():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 7)) * 30 + 1000  # large values: needs the max shift
    ref = np.exp(x - x.max(-1, keepdims=True))
    ref /= ref.sum(-1, keepdims=True)
    np.testing.assert_allclose(activations.softmax(x), ref, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(activations.log_softmax(x), np.log(ref), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(activations.softmax(x.astype(np.float32)), ref, rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(activations.softmax(x, axis=0), np.exp(x - x.max(0)) / np.exp(x - x.max(0)).sum(0),
                               rtol=1e-12, atol=1e-300)
    y = rng.standard_normal((3, 4, 5))
    check_gradients(fastnn.layers.activation.Softmax(axis=1, dtype="float64"), y)


def test_fast_float32_exp_accuracy():
    x = np.linspace(-80, 0, 100003).astype(np.float32).reshape(-1, 1)
    y = activations.softmax(np.concatenate([x, np.zeros_like(x)], axis=1))
    x64 = x.astype(np.float64)
    want = np.exp(x64) / (1 + np.exp(x64))
    np.testing.assert_allclose(y[:, 0], want[:, 0], rtol=2e-6, atol=1e-37)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "elu", "selu", "softplus", "exponential", "relu6",
                                  "hard_sigmoid", "softmax", "log_softmax"])
def test_inplace_forward_matches_and_backward_uses_output(name):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 9))
    act = activations.get(name)
    y_ref, ctx_ref = act.forward(x.copy())
    buf = x.copy()
    y, ctx = act.forward(buf, inplace=True)
    assert y is buf, "activations whose backward needs only y write over x"
    np.testing.assert_array_equal(y, y_ref)
    dy = rng.standard_normal(x.shape)
    np.testing.assert_array_equal(act.backward(ctx, dy), act.backward(ctx_ref, dy))


def test_inplace_is_ignored_when_backward_needs_x():
    x = np.linspace(-2, 2, 12).reshape(3, 4)
    keep = x.copy()
    y, _ = activations.get("gelu").forward(x, inplace=True)
    assert y is not x
    np.testing.assert_array_equal(x, keep)


def test_backward_does_not_modify_dy():
    x = np.linspace(-2, 2, 12).reshape(3, 4)
    dy = np.ones_like(x)
    for name in NAMES:
        act = activations.get(name)
        _, ctx = act.forward(x)
        act.backward(ctx, dy)
        np.testing.assert_array_equal(dy, 1.0)


@pytest.mark.parametrize("name", ["gelu", "sigmoid", "swish", "softmax", "elu"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bit_identical_for_any_thread_count(name, dtype):
    x = np.random.default_rng(2).standard_normal((700, 97)).astype(dtype)
    dy = np.random.default_rng(3).standard_normal(x.shape).astype(dtype)
    act = activations.get(name)
    saved = fastnn.get_num_threads()
    outs = []
    try:
        for n in (1, 2, 3):
            fastnn.set_num_threads(n)
            y, ctx = act.forward(x)
            outs.append((y, act.backward(ctx, dy)))
    finally:
        fastnn.set_num_threads(saved)
    for y, dx in outs[1:]:
        assert np.array_equal(y, outs[0][0]) and np.array_equal(dx, outs[0][1])


def test_get_and_serialize():
    assert activations.get(None).name == "linear"
    assert activations.get("swish").name == "silu"
    assert activations.get("hard_swish").name == "hard_silu"
    assert activations.get(activations.relu).name == "relu"
    relu = activations.get("relu")
    assert activations.get(relu) is relu
    assert activations.serialize("relu") == "relu"
    gelu = activations.get({"class_name": "gelu", "config": {"approximate": True}})
    assert activations.serialize(gelu) == {"class_name": "gelu", "config": {"approximate": True}}
    assert activations.get(activations.serialize(gelu)) == gelu
    assert activations.get({"class_name": "function", "config": "tanh"}).name == "tanh"
    for name in NAMES + ["softmax", "log_softmax"]:
        act = activations.get(name)
        again = activations.get(activations.serialize(act))
        x = np.linspace(-3, 3, 10).reshape(2, 5)
        np.testing.assert_array_equal(again(x), act(x))


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match=r"Unknown activation 'rleu'.*relu.*sigmoid"):
        activations.get("rleu")
    with pytest.raises(ValueError, match="Could not interpret"):
        activations.get(3)
    with pytest.raises(ValueError, match="invalid arguments"):
        activations.get({"class_name": "relu", "config": {"bogus": 1}})


def test_user_callable_forward_works_backward_explains():
    act = activations.get(lambda x: 2 * x)
    np.testing.assert_array_equal(act(np.ones(3)), 2 * np.ones(3))
    y, ctx = act.forward(np.ones(3))
    with pytest.raises(ValueError, match="no derivative"):
        act.backward(ctx, np.ones(3))


def test_integer_input_is_converted_to_float():
    out = activations.sigmoid(np.array([0, 1, -1]))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, _sigmoid(np.array([0.0, 1.0, -1.0])), rtol=1e-6)


def test_read_only_and_non_contiguous_inputs():
    x = np.linspace(-1, 1, 24).reshape(4, 6)
    ro = x.copy()
    ro.flags.writeable = False
    np.testing.assert_array_equal(activations.relu(ro), np.maximum(x, 0))
    y, _ = activations.get("relu").forward(ro, inplace=True)
    assert y is not ro
    np.testing.assert_allclose(activations.tanh(x[:, ::2]), np.tanh(x[:, ::2]), rtol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_every_isa_path_matches_the_reference(name):
    from fastnn._native import _runtime

    x = np.linspace(-9, 9, 5001)
    x = _away_from_kinks(x, name)
    dy = np.cos(x)
    want = REFERENCE[name](x)
    act64 = activations.get(name)
    _, ctx64 = act64.forward(x)
    dx_want = act64.backward(ctx64, dy)
    try:
        for level in range(_runtime.isa_detected() + 1):
            assert _runtime.isa_force(level) == level
            act = activations.get(name)
            y, ctx = act.forward(x.astype(np.float32))
            np.testing.assert_allclose(y, want, rtol=4e-6, atol=4e-6, err_msg=f"isa level {level}")
            dx = act.backward(ctx, dy.astype(np.float32))
            np.testing.assert_allclose(dx, dx_want, rtol=2e-5, atol=2e-5 * np.abs(dx_want).max(),
                                       err_msg=f"isa level {level}")
    finally:
        _runtime.isa_force(-1)
