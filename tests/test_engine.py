"""Engine: the tape, Sequential building, summary, shared layers and the check_gradients harness."""
import numpy as np
import pytest

import fastnn
from fastnn import layers as L
from fastnn.engine.tape import Tape
from fastnn.testing import GradientCheckError, check_gradients


def test_layer_used_twice_sums_both_gradients():
    rng = np.random.default_rng(0)
    shared = L.Dense(3, activation="tanh", dtype="float64")
    x1, x2 = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    shared(x1)
    shared.kernel.grad[...] = 0
    with Tape() as tape:
        y1 = shared(x1, training=True)
        y2 = shared(y1, training=True)
        y3 = shared(x2, training=True)
    g2, g3 = np.ones_like(y2), np.full_like(y3, 0.5)
    tape.backward([y2, y3], [g2, g3])
    # Reference: each call alone (their grads must add up).
    total = np.zeros_like(shared.kernel.value)
    for inputs, chain, g in ((x1, 2, g2), (x2, 1, g3)):
        shared.kernel.grad[...] = 0
        with Tape() as t:
            out = shared(inputs, training=True)
            if chain == 2:
                out = shared(out, training=True)
        t.backward(out, g)
        total += shared.kernel.grad
    shared.kernel.grad[...] = 0
    with Tape() as tape:
        y1 = shared(x1, training=True)
        y2 = shared(y1, training=True)
        y3 = shared(x2, training=True)
    tape.backward([y2, y3], [g2, g3])
    np.testing.assert_allclose(shared.kernel.grad, total, rtol=1e-12)


def test_sequential_gradients_through_the_whole_model():
    rng = np.random.default_rng(3)
    model = fastnn.Sequential([fastnn.Input((5,), dtype="float64"), L.Dense(4, activation="tanh"),
                               L.Dense(3, activation="sigmoid"), L.Dense(2)], dtype="float64")
    check_gradients(model, rng.standard_normal((3, 5)))


def test_check_gradients_catches_a_wrong_backward():
    class WrongSquare(fastnn.layers.Layer):
        def forward(self, x, training=False):
            return x * x, x

        def backward(self, ctx, g, need_input_grad=True):
            return g * ctx  # should be 2 * x * g

    with pytest.raises(GradientCheckError, match="input"):
        check_gradients(WrongSquare(dtype="float64"), np.random.default_rng(0).standard_normal((2, 3)) + 2)


def test_sequential_build_summary_and_counts(capsys):
    model = fastnn.Sequential([L.Dense(8, activation="relu", input_shape=(4,)), L.Dense(2)])
    assert model.built
    assert model.count_params() == 4 * 8 + 8 + 8 * 2 + 2
    model.summary()
    out = capsys.readouterr().out
    assert "(None, 8)" in out and "(None, 2)" in out and "Total params: 58" in out


def test_sequential_add_and_lazy_build():
    model = fastnn.Sequential()
    model.add(L.Dense(5, activation="relu"))
    model.add(L.Dense(1))
    assert not model.built
    y = model.predict(np.ones((3, 7)))
    assert y.shape == (3, 1) and model.built
    assert model.layers[0].kernel.shape == (7, 5)


def test_sequential_rejects_bad_layers_and_shapes():
    with pytest.raises(ValueError, match="instantiate"):
        fastnn.Sequential([L.Dense])
    model = fastnn.Sequential([fastnn.Input((4,)), L.Dense(2, name="out")])
    with pytest.raises(ValueError, match=r"\(None, 4\).*\(3, 5\)"):
        model.predict(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="unique names"):
        fastnn.Sequential([L.Dense(2, name="a"), L.Dense(2, name="a")])


def test_first_layer_skips_input_gradient():
    calls = []

    class Spy(L.Dense):
        def backward(self, ctx, g, need_input_grad=True):
            calls.append(need_input_grad)
            return super().backward(ctx, g, need_input_grad)

    model = fastnn.Sequential([fastnn.Input((3,)), Spy(4), Spy(2)])
    model.compile("sgd", "mse")
    model.train_on_batch(np.ones((2, 3)), np.ones((2, 2)))
    assert calls == [True, False]


def test_mixed_precision_layers_in_one_sequential_are_converted():
    rng = np.random.default_rng(0)
    model = fastnn.Sequential([fastnn.Input((3,)), L.Dense(4, activation="tanh"),
                               L.Dense(2, dtype="float64"), L.Dense(1)])
    x = rng.standard_normal((5, 3)).astype(np.float32)
    d1, d2, d3 = model.layers
    h = np.tanh(x @ d1.kernel.value + d1.bias.value).astype(np.float64)
    expected = ((h @ d2.kernel.value + d2.bias.value).astype(np.float32) @ d3.kernel.value + d3.bias.value)
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)
    model.compile("sgd", "mse")
    before = d2.kernel.numpy()
    model.train_on_batch(x, np.ones((5, 1), np.float32))
    assert not np.array_equal(before, d2.kernel.value) and np.all(np.isfinite(d2.kernel.value))


def test_activity_regularizer_adds_its_penalty_and_gradient():
    rng = np.random.default_rng(5)
    layer = L.Dense(3, activation="tanh", activity_regularizer=fastnn.regularizers.L2(0.1), dtype="float64")
    x = rng.standard_normal((4, 2))
    proj = rng.standard_normal((4, 3))

    def loss(kernel_value):
        old = layer.kernel.value.copy()
        layer.kernel.value[...] = kernel_value
        y = layer(x)
        layer.kernel.value[...] = old
        return float(np.sum(proj * y) + 0.1 * np.sum(y * y))

    layer(x)
    layer.kernel.grad[...] = 0
    with Tape() as tape:
        y = layer(x, training=True)
    assert np.isclose(tape.activity_loss(), 0.1 * np.sum(y * y))
    tape.backward(y, proj)
    w = layer.kernel.value.copy()
    numeric = np.zeros_like(w)
    h = 1e-6
    for idx in np.ndindex(*w.shape):
        e = np.zeros_like(w)
        e[idx] = h
        numeric[idx] = (loss(w + e) - loss(w - e)) / (2 * h)
    np.testing.assert_allclose(layer.kernel.grad, numeric, rtol=1e-6, atol=1e-8)


def test_activity_regularizer_counts_in_the_training_loss():
    model = fastnn.Sequential([fastnn.Input((2,)), L.Dense(2, activity_regularizer="l2", kernel_initializer="ones")])
    model.compile("sgd", "mse")
    x = np.ones((3, 2), np.float32)
    y = np.zeros((3, 2), np.float32)
    out = model.predict(x)
    expected = np.mean(out ** 2) + 0.01 * np.sum(out ** 2)
    np.testing.assert_allclose(model.train_on_batch(x, y), expected, rtol=1e-5)
