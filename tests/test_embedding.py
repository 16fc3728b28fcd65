"""Embedding (sparse gradient, masks, index checks) and Masking."""
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastnn.engine.tape import Tape
from fastnn.layers.embedding import Embedding, Masking
from fastnn.layers.recurrent import LSTM
from fastnn.testing import check_gradients


@given(vocab=st.integers(1, 9), dim=st.integers(1, 5), shape=st.sampled_from([(3,), (2, 4), (2, 3, 2)]),
       seed=st.integers(0, 2**16))
def test_lookup_and_sparse_gradient(vocab, dim, shape, seed):
    rng = np.random.default_rng(seed)
    layer = Embedding(vocab, dim, dtype="float64")
    idx = rng.integers(0, vocab, size=shape)
    y = layer(idx)
    assert y.shape == shape + (dim,)
    np.testing.assert_array_equal(y, layer.embeddings.value[idx])
    check_gradients(layer, idx)
    g = rng.standard_normal(y.shape)
    layer.embeddings.grad[...] = 0
    with Tape() as tape:
        out = layer(idx)
    tape.backward(out, g)
    want = np.zeros((vocab, dim))
    for i, row in zip(idx.reshape(-1), g.reshape(-1, dim)):
        want[i] += row  # repeated indices accumulate
    np.testing.assert_allclose(layer.embeddings.grad, want, rtol=1e-14)


def test_default_initializer_and_float_indices():
    layer = Embedding(50, 7)
    out = layer(np.array([[1.0, 2.0]]))
    assert out.dtype == np.float32 and out.shape == (1, 2, 7)
    w = layer.embeddings.value
    assert w.min() >= -0.05 and w.max() <= 0.05 and w.std() > 0.01


def test_mask_zero_feeds_a_recurrent_layer():
    rng = np.random.default_rng(1)
    emb = Embedding(10, 4, mask_zero=True, dtype="float64")
    idx = np.array([[3, 5, 0, 0], [7, 0, 2, 0]])
    mask = emb.compute_mask(idx)
    np.testing.assert_array_equal(mask, idx != 0)
    assert Embedding(10, 4).compute_mask(idx) is None
    lstm = LSTM(3, dtype="float64")
    out = lstm(emb(idx), mask=mask)
    short = lstm(emb(idx[:1, :2]))
    np.testing.assert_allclose(out[:1], short, rtol=1e-13)  # padding does not change the result
    assert rng is not None


def test_bad_indices_raise():
    layer = Embedding(5, 2)
    with pytest.raises(ValueError, match=r"index 5 is out of range for input_dim=5"):
        layer(np.array([[1, 5]]))
    with pytest.raises(ValueError, match=r"index -1 is out of range"):
        layer(np.array([[-1, 2]]))
    with pytest.raises(ValueError, match="non-integer"):
        layer(np.array([[0.5, 2]]))
    with pytest.raises(ValueError, match="integer indices"):
        layer(np.array([["a"]]))
    with pytest.raises(ValueError, match="input_dim"):
        Embedding(0, 3)
    assert layer(np.array([[4, 0]])).shape == (1, 2, 2)


def test_masking_layer():
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]])
    layer = Masking(dtype="float64")
    np.testing.assert_array_equal(layer.compute_mask(x), [[True, False, True]])
    np.testing.assert_array_equal(layer(x), x)
    other = Masking(mask_value=1.0, dtype="float64")
    np.testing.assert_array_equal(other(np.ones((1, 2, 2)))[0], 0)
    check_gradients(Masking(mask_value=9.0, dtype="float64"), np.random.default_rng(0).standard_normal((2, 3, 2)))


def test_configs_round_trip():
    for layer in (Embedding(12, 3, mask_zero=True, input_length=7, dtype="float64"), Masking(mask_value=-1.0)):
        cfg = layer.get_config()
        json.dumps(cfg)
        assert type(layer).from_config(cfg).get_config() == cfg
