"""Merge layers: forward against numpy, float64 gradient checks, broadcasting, errors, config."""
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastnn
from fastnn.layers import merge
from fastnn.testing import check_gradients

ELEMENTWISE = [
    (merge.Add, lambda xs: sum(xs[1:], xs[0])),
    (merge.Multiply, lambda xs: np.prod(np.stack(np.broadcast_arrays(*xs)), axis=0)),
    (merge.Average, lambda xs: sum(xs[1:], xs[0]) / len(xs)),
    (merge.Maximum, lambda xs: np.max(np.stack(np.broadcast_arrays(*xs)), axis=0)),
    (merge.Minimum, lambda xs: np.min(np.stack(np.broadcast_arrays(*xs)), axis=0)),
]


def _distinct(rng, shapes):
    """Inputs whose values all differ by a margin (no ties: max/min stay differentiable)."""
    total = sum(int(np.prod(s)) for s in shapes)
    values = rng.permutation(total).astype(np.float64) * 0.37 / max(total, 1) + 0.2
    values *= rng.choice([-1.0, 1.0], size=total)
    out, pos = [], 0
    for s in shapes:
        n = int(np.prod(s))
        out.append(values[pos:pos + n].reshape(s))
        pos += n
    return out


@given(n_inputs=st.integers(2, 3), batch=st.integers(1, 3), feat=st.lists(st.integers(1, 4), min_size=1, max_size=2),
       layer_index=st.integers(0, len(ELEMENTWISE) - 1), seed=st.integers(0, 1000))
@settings(max_examples=20)
def test_elementwise_forward_and_gradients(n_inputs, batch, feat, layer_index, seed):
    cls, ref = ELEMENTWISE[layer_index]
    rng = np.random.default_rng(seed)
    xs = _distinct(rng, [(batch, *feat)] * n_inputs)
    layer = cls(dtype="float64")
    np.testing.assert_allclose(layer(xs), ref(xs), rtol=1e-12)
    check_gradients(cls(dtype="float64"), xs)


@pytest.mark.parametrize("cls,ref", ELEMENTWISE + [(merge.Subtract, lambda xs: xs[0] - xs[1])])
def test_broadcasting_size_one_axes(cls, ref):
    rng = np.random.default_rng(1)
    xs = _distinct(rng, [(3, 4, 5), (3, 1, 5)])
    layer = cls(dtype="float64")
    out = layer(xs)
    assert out.shape == (3, 4, 5)
    np.testing.assert_allclose(out, ref(xs), rtol=1e-12)
    check_gradients(cls(dtype="float64"), xs)


def test_subtract_needs_two_inputs_and_gradient():
    rng = np.random.default_rng(2)
    xs = [rng.standard_normal((2, 3)), rng.standard_normal((2, 3))]
    np.testing.assert_allclose(merge.Subtract(dtype="float64")(xs), xs[0] - xs[1])
    check_gradients(merge.Subtract(dtype="float64"), xs)
    with pytest.raises(ValueError, match=r"Subtract 'sub3': expected exactly 2 inputs, received 3"):
        merge.Subtract(name="sub3")(xs + [xs[0]])


@given(shapes=st.lists(st.integers(1, 4), min_size=2, max_size=3), rank=st.integers(2, 3),
       axis=st.sampled_from([-1, 1]), seed=st.integers(0, 100))
@settings(max_examples=15)
def test_concatenate_forward_and_gradients(shapes, rank, axis, seed):
    rng = np.random.default_rng(seed)
    base = (2, 3, 2)[:rank]
    xs = []
    for s in shapes:
        shape = list(base)
        shape[axis] = s
        xs.append(rng.standard_normal(shape))
    layer = merge.Concatenate(axis=axis, dtype="float64")
    np.testing.assert_array_equal(layer(xs), np.concatenate(xs, axis=axis))
    check_gradients(merge.Concatenate(axis=axis, dtype="float64"), xs)


@pytest.mark.parametrize("shapes,axes,expected", [
    (((4, 5), (4, 5)), 1, (4, 1)),
    (((2, 3, 5), (2, 4, 5)), 2, (2, 3, 4)),
    (((2, 5, 3), (2, 5, 4)), 1, (2, 3, 4)),
    (((2, 3, 5), (2, 5, 4)), (2, 1), (2, 3, 4)),
    (((2, 3, 5), (2, 5)), (-1, -1), (2, 3)),
])
@pytest.mark.parametrize("normalize", [False, True])
def test_dot_shapes_values_and_gradients(shapes, axes, expected, normalize):
    rng = np.random.default_rng(3)
    xs = [rng.standard_normal(s) for s in shapes]
    layer = merge.Dot(axes=axes, normalize=normalize, dtype="float64")
    out = layer(xs)
    assert out.shape == expected
    assert layer.compute_output_shape([(None,) + s[1:] for s in shapes]) == (None,) + expected[1:]
    ax = (axes, axes) if isinstance(axes, int) else axes
    a, b = xs
    if normalize:
        a = a / np.linalg.norm(a, axis=ax[0], keepdims=True)
        b = b / np.linalg.norm(b, axis=ax[1], keepdims=True)
    ref = np.stack([np.tensordot(a[i], b[i], axes=([ax[0] % a.ndim - 1], [ax[1] % b.ndim - 1]))
                    for i in range(a.shape[0])]).reshape(expected)
    np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-12)
    check_gradients(merge.Dot(axes=axes, normalize=normalize, dtype="float64"), xs)


def test_shape_errors_name_layer_and_shapes():
    a, b = np.zeros((2, 3)), np.zeros((2, 4))
    with pytest.raises(ValueError, match=r"Add 'my_add': inputs must have the same shape.*\((None|2), 3\), \((None|2), 4\)"):
        merge.Add(name="my_add")([a, b])
    with pytest.raises(ValueError, match=r"Concatenate 'cat'.*except the concatenation axis -1.*\((None|2), 3\), \((None|3), 4\)"):
        merge.Concatenate(name="cat")([a, np.zeros((3, 4))])
    with pytest.raises(ValueError, match=r"Dot 'd'.*same size.*\((None|2), 3\), \((None|2), 4\)"):
        merge.Dot(axes=1, name="d")([a, b])
    with pytest.raises(ValueError, match=r"Dot 'd0'.*batch axis 0 cannot be contracted"):
        merge.Dot(axes=0, name="d0")([a, a])
    with pytest.raises(ValueError, match=r"Add 'single'.*list of tensors"):
        merge.Add(name="single")(a)
    with pytest.raises(ValueError, match=r"axis must be an integer"):
        merge.Concatenate(axis="x")
    with pytest.raises(ValueError, match=r"axes must be an int or a pair"):
        merge.Dot(axes=(1, 2, 3))
    # Symbolic shapes are checked when the graph is built.
    i1, i2 = fastnn.Input((3,)), fastnn.Input((4,))
    with pytest.raises(ValueError, match=r"Multiply 'mul'.*\(None, 3\), \(None, 4\)"):
        merge.Multiply(name="mul")([i1, i2])


def test_maximum_ties_send_gradient_to_first_input():
    from fastnn.engine.tape import Tape

    a = np.ones((2, 3))
    b = np.ones((2, 3))
    layer = merge.Maximum(dtype="float64")
    with Tape() as tape:
        tape.watch(a)
        tape.watch(b)
        y = layer([a, b])
    ga, gb = tape.backward(y, np.ones_like(y), sources=[a, b])
    np.testing.assert_array_equal(ga, 1.0)
    np.testing.assert_array_equal(gb, 0.0)


def test_backward_returns_new_arrays():
    layer = merge.Add(dtype="float64")
    xs = [np.ones((2, 2)), np.ones((2, 2))]
    _, ctx = layer.forward(xs)
    g = np.full((2, 2), 3.0)
    grads = layer.backward(ctx, g)
    assert all(gi is not g for gi in grads) and grads[0] is not grads[1]


@pytest.mark.parametrize("layer", [merge.Add(), merge.Subtract(), merge.Multiply(), merge.Average(), merge.Maximum(),
                                   merge.Minimum(), merge.Concatenate(axis=1), merge.Dot(axes=(1, 2), normalize=True)])
def test_get_config_round_trip(layer):
    cfg = layer.get_config()
    clone = type(layer).from_config(json.loads(json.dumps(cfg)))
    assert clone.get_config() == cfg


def test_functional_forms_build_graph_nodes():
    a, b = fastnn.Input((4,)), fastnn.Input((4,))
    outs = [merge.add([a, b]), merge.subtract([a, b]), merge.multiply([a, b]), merge.average([a, b]),
            merge.maximum([a, b]), merge.minimum([a, b]), merge.concatenate([a, b]), merge.dot([a, b], axes=1)]
    model = fastnn.Model([a, b], outs)
    x = [np.full((2, 4), 2.0), np.full((2, 4), 3.0)]
    res = model.predict(x, verbose=0)
    expected = [5.0, -1.0, 6.0, 2.5, 3.0, 2.0]
    for r, e in zip(res, expected):
        np.testing.assert_allclose(r, e)
    assert res[6].shape == (2, 8)
    np.testing.assert_allclose(res[7], 24.0)
