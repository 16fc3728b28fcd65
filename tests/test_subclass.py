"""Subclassed models: layers as attributes, training through the tape, and untracked numpy ops raising."""
import numpy as np
import pytest

import fastnn
from fastnn.engine.tape import Tape
from fastnn.engine.tape_array import TapeArray
from fastnn.layers import merge
from fastnn.layers.core import Dense
from fastnn.testing import check_gradients


class Residual(fastnn.Model):
    """Uses every fastnn.ops function plus a nested Sequential and a shared layer."""

    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.inp = Dense(units, activation="tanh", dtype=self.dtype)
        self.block = fastnn.Sequential([Dense(units, activation="tanh", dtype=self.dtype)], dtype=self.dtype)
        self.shared = Dense(units, activation="tanh", dtype=self.dtype)
        self.head = Dense(2, dtype=self.dtype)

    def call(self, x, training=None):
        h = self.inp(x)
        h = fastnn.ops.add(h, self.block(h))
        s = self.shared(self.shared(h))
        z = fastnn.ops.concatenate([fastnn.ops.multiply(h, s), fastnn.ops.subtract(h, s),
                                    fastnn.ops.maximum(h, s), fastnn.ops.minimum(h, s),
                                    fastnn.ops.average([h, s, h]), fastnn.ops.scale(h, 0.5)])
        m = fastnn.ops.mean(z, axis=-1, keepdims=True)
        t = fastnn.ops.sum(z, axis=1, keepdims=True)
        return self.head(fastnn.ops.concatenate([z, m, t]))

    def get_config(self):
        cfg = super().get_config()
        cfg["units"] = self.units
        return cfg


def test_layers_assigned_as_attributes_are_tracked():
    model = Residual()
    model(np.zeros((1, 3), np.float32))
    assert len(model.layers) == 4
    assert len(model.weights) == 8
    assert len(model.trainable_weights) == 8


def test_subclassed_model_gradients():
    rng = np.random.default_rng(0)
    # Distinct |values| keep maximum/minimum away from ties.
    check_gradients(Residual(dtype="float64"), rng.standard_normal((3, 3)))


def test_subclassed_model_trains():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = np.stack([x[:, 0] * x[:, 1], x[:, 2]], axis=1)
    model = Residual(units=8)
    model.compile(optimizer="adam", loss="mse")
    hist = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < 0.6 * hist.history["loss"][0]


class Bad(fastnn.Model):
    def __init__(self, op):
        super().__init__(dtype="float64")
        self.op = op
        self.a = Dense(3, dtype="float64")
        self.b = Dense(3, dtype="float64")

    def call(self, x, training=None):
        h, g = self.a(x), self.b(x)
        op = self.op
        if op == "plus":
            return h + g
        if op == "np.add":
            return np.add(h, g)
        if op == "scalar":
            return self.b(h * 2.0)
        if op == "matmul":
            return h @ g.T
        if op == "concatenate":
            return np.concatenate([h, g], axis=-1)
        if op == "sum":
            return h.sum(axis=1, keepdims=True)
        if op == "mean":
            return np.mean(h, axis=1)
        if op == "exp":
            return np.exp(h)
        if op == "inplace":
            h += 1
            return h
        if op == "setitem":
            h[0] = 0.0
            return h
        if op == "slice":
            return self.b(h[:, :3])
        if op == "transpose_out":
            return h.T
        if op == "asarray":
            return np.asarray(h) * 2.0
        raise AssertionError(op)


@pytest.mark.parametrize("op,pattern", [
    ("plus", r"np\.add on a layer output inside call\(\).*fastnn\.ops\.add\(a, b\).*fastnn\.layers\.Add\(\)"),
    ("np.add", r"np\.add on a layer output.*fastnn\.ops\.add"),
    ("scalar", r"np\.multiply on a layer output.*fastnn\.ops\.multiply"),
    ("matmul", r"np\.matmul on a layer output.*Dense"),
    ("concatenate", r"np\.concatenate on a layer output.*fastnn\.ops\.concatenate"),
    ("sum", r"np\.sum on a layer output.*fastnn\.ops\.sum"),
    ("mean", r"np\.mean on a layer output.*fastnn\.ops\.mean"),
    ("exp", r"np\.exp on a layer output.*custom Layer"),
    ("inplace", r"np\.add on a layer output"),
    ("setitem", r"Assigning into a layer output inside call\(\)"),
    ("slice", r"Layer 'dense_\d+' received an indexed, reshaped or transposed view"),
    ("transpose_out", r"call\(\) returned an indexed, reshaped or transposed view"),
    ("asarray", r"call\(\) returned an array that no layer call produced"),
])
def test_untracked_numpy_ops_raise_clear_errors(op, pattern):
    model = Bad(op)
    x = np.random.default_rng(2).standard_normal((2, 3))
    if op not in ("setitem", "inplace"):
        model(x)  # outside a tape (inference) plain numpy is fine
    with pytest.raises(TypeError, match=pattern):
        with Tape():
            model(x, training=True)
    if op in ("plus", "asarray"):
        model.compile("sgd", "mse")
        with pytest.raises(TypeError, match=pattern):
            model.fit(x, np.zeros((2, 3)), verbose=0)


def test_no_wrapping_outside_a_tape_or_in_library_models():
    model = Residual()
    out = model(np.zeros((2, 3), np.float32))
    assert type(out) is np.ndarray
    seq = fastnn.Sequential([Dense(2, input_shape=(3,)), Dense(2)])
    with Tape():
        y = seq(np.zeros((2, 3), np.float32), training=True)
    assert type(y) is np.ndarray


def test_tape_arrays_are_plain_after_the_tape_and_asarray_unwraps():
    model = Residual()
    with Tape():
        out = model(np.ones((2, 3), np.float32), training=True)
        assert isinstance(out, TapeArray)
        assert type(np.asarray(out)) is np.ndarray  # the explicit escape hatch
        assert out.shape == (2, 2) and np.shape(out) == (2, 2)
        assert "TapeArray" in repr(out)
    doubled = out * 2  # tape closed: plain numpy again, returning plain arrays
    assert type(doubled) is np.ndarray
    assert type(np.concatenate([out, out])) is np.ndarray


def test_ops_work_on_plain_and_symbolic_inputs():
    a = np.array([[1.0, 2.0]])
    b = np.array([[3.0, 5.0]])
    np.testing.assert_array_equal(fastnn.ops.add(a, b), [[4, 7]])
    np.testing.assert_array_equal(fastnn.ops.subtract(a, b), [[-2, -3]])
    np.testing.assert_array_equal(fastnn.ops.concatenate([a, b]), [[1, 2, 3, 5]])
    np.testing.assert_array_equal(fastnn.ops.mean(np.ones((2, 3, 4)), axis=(1, 2)), [1, 1])
    with pytest.raises(ValueError, match=r"batch axis 0 cannot be reduced"):
        fastnn.ops.sum(a, axis=0)
    i = fastnn.Input((2,))
    model = fastnn.Model(i, fastnn.ops.scale(fastnn.ops.add(i, i), 3.0))
    np.testing.assert_allclose(model.predict(a, verbose=0), [[6, 12]])


def test_mixed_dtype_keeps_gradient_through_cast():
    class Mixed(fastnn.Model):
        def __init__(self):
            super().__init__(dtype="float64")
            self.a = Dense(3, dtype="float64")
            self.b = Dense(2, dtype="float32")

        def call(self, x, training=None):
            return self.b(self.a(x))

    model = Mixed()
    x = np.ones((2, 3))
    model(x)
    w_before = model.a.kernel.value.copy()
    model.compile("sgd", "mse")
    model.fit(x, np.full((2, 2), 5.0), verbose=0)
    assert not np.array_equal(w_before, model.a.kernel.value)


def test_merge_layer_objects_inside_call():
    class WithLayers(fastnn.Model):
        def __init__(self):
            super().__init__(dtype="float64")
            self.d1 = Dense(3, activation="tanh", dtype="float64")
            self.d2 = Dense(3, activation="tanh", dtype="float64")
            self.add = merge.Add(dtype="float64")
            self.dot = merge.Dot(axes=1, dtype="float64")

        def call(self, x, training=None):
            h = self.d1(x)
            return self.dot([self.add([h, self.d2(h)]), h])

    check_gradients(WithLayers(), np.random.default_rng(3).standard_normal((2, 4)))


def test_subclassed_model_inside_functional_and_sequential():
    inner = Residual(units=3, dtype="float64")
    inp = fastnn.Input((3,), dtype="float64")
    h = Dense(3, activation="tanh", dtype="float64")(inp)
    out = merge.Add(dtype="float64")([inner(h), Dense(2, dtype="float64")(h)])
    model = fastnn.Model(inp, out)
    assert model.output_shape == (None, 2)
    x = np.random.default_rng(4).standard_normal((2, 3))
    check_gradients(model, x)
    seq = fastnn.Sequential([fastnn.layers.InputLayer(shape=(3,), dtype="float64"), Residual(units=3, dtype="float64"),
                             Dense(1, dtype="float64")], dtype="float64")
    check_gradients(seq, x)
