"""Regularizers: penalties, gradients against central differences, names and configs."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra.numpy import arrays

from fastnn import regularizers


def _central_difference(f, x, h=1e-6):
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        grad[idx] = (f(xp) - f(xm)) / (2 * h)
    return grad


def _away_from_zero(x):
    # |x| has a kink at 0: keep samples at least 1e-3 away so central differences are exact enough.
    return np.where(np.abs(x) < 1e-3, 0.5, x)


def test_keras_formulas_and_defaults():
    x = np.array([[1.0, -2.0], [0.0, 3.0]])
    assert regularizers.L1()(x) == pytest.approx(0.01 * 6.0)
    assert regularizers.L2()(x) == pytest.approx(0.01 * 14.0)
    assert regularizers.L1L2()(x) == 0.0
    assert regularizers.L1L2(l1=0.1, l2=0.2)(x) == pytest.approx(0.6 + 2.8)
    np.testing.assert_array_equal(regularizers.L1(1.0).gradient(x), np.sign(x))
    assert regularizers.L1(1.0).gradient(x)[1, 0] == 0.0
    np.testing.assert_allclose(regularizers.L2(0.5).gradient(x), x)
    assert isinstance(regularizers.L1(0.1)(x.astype(np.float32)), float)
    assert regularizers.L2().gradient(x.astype(np.float32)).dtype == np.float32


@given(x=arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 5)),
                elements=st.floats(-3, 3, allow_nan=False)),
       l1=st.floats(0, 1), l2=st.floats(0, 1))
def test_l1l2_gradient_matches_central_differences(x, l1, l2):
    x = _away_from_zero(x)
    reg = regularizers.L1L2(l1=l1, l2=l2)
    np.testing.assert_allclose(reg.gradient(x), _central_difference(reg, x), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("mode", ["rows", "columns"])
@pytest.mark.parametrize("shape", [(3, 4), (5, 2), (4, 4)])
def test_orthogonal_regularizer_penalty_and_gradient(mode, shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    reg = regularizers.OrthogonalRegularizer(factor=0.3, mode=mode)
    vecs = x if mode == "rows" else x.T
    n = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    size = n.shape[0]
    p = n @ n.T
    expected = 0.3 * 0.5 * (np.abs(p).sum() - np.abs(np.diag(p)).sum()) / (size * (size - 1) / 2)
    assert reg(x) == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(reg.gradient(x), _central_difference(reg, x), rtol=1e-5, atol=1e-7)
    orthonormal = np.linalg.qr(rng.standard_normal((4, 4)))[0]
    assert regularizers.OrthogonalRegularizer(1.0)(orthonormal) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="2-dimensional"):
        reg(np.ones(3))


def test_get_serialize_round_trip():
    assert regularizers.get(None) is None
    assert isinstance(regularizers.get("l1"), regularizers.L1)
    assert regularizers.get("l2").l2 == 0.01
    assert isinstance(regularizers.get("l1_l2"), regularizers.L1L2)
    assert isinstance(regularizers.get("L2"), regularizers.L2)
    r = regularizers.L1L2(l1=0.2, l2=0.3)
    assert regularizers.get(r) is r
    for obj in [r, regularizers.L1(0.5), regularizers.L2(0.25),
                regularizers.OrthogonalRegularizer(0.1, "columns")]:
        cfg = regularizers.serialize(obj)
        assert cfg["class_name"] == type(obj).__name__
        clone = regularizers.get(cfg)
        assert type(clone) is type(obj) and clone.get_config() == obj.get_config()
    assert regularizers.serialize(None) is None
    fn = lambda x: 0.0  # noqa: E731
    assert regularizers.get(fn) is fn


def test_bad_arguments():
    with pytest.raises(ValueError, match="Unknown regularizer.*l1_l2"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="`l2`.*non-negative"):
        regularizers.L2(-0.1)
    with pytest.raises(ValueError, match="`l1`"):
        regularizers.L1L2(l1=float("nan"))
    with pytest.raises(ValueError, match="`mode`"):
        regularizers.OrthogonalRegularizer(mode="diag")
    with pytest.raises(ValueError, match="Could not interpret"):
        regularizers.get(5)
