"""Initializers: Keras 3 statistics, fans, seeds, names and configs."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from fastnn import config, initializers

SHAPE = (400, 300)  # 120000 draws: sample statistics within ~1% of their targets


@pytest.mark.parametrize("shape,fans", [
    ((), (1, 1)), ((7,), (7, 7)), ((5, 3), (5, 3)), ((3, 4, 5), (12, 15)),
    ((3, 3, 2, 8), (18, 72)), ((2, 3, 4, 5, 6), (120, 144)),
])
def test_compute_fans_dense_and_conv(shape, fans):
    assert initializers.compute_fans(shape) == fans


def test_explicit_fan_axes():
    assert initializers.compute_fans((2, 3, 4, 5), input_axes=[0, 1], output_axes=[2, 3]) == (6, 20)
    w = initializers.GlorotUniform(seed=0, input_axes=[0], output_axes=[1, 2])((300, 20, 20), "float64")
    _check_uniform(w, math.sqrt(6.0 / (300 + 400)))


def _check_uniform(w, limit):
    assert w.min() >= -limit and w.max() <= limit
    assert w.min() < -0.98 * limit and w.max() > 0.98 * limit
    assert abs(w.mean()) < 0.02 * limit
    assert abs(w.std() - limit / math.sqrt(3)) < 0.01 * limit


def _check_truncated(w, target_std, raw_std):
    assert np.abs(w).max() <= 2 * raw_std * (1 + 1e-6)
    assert np.abs(w).max() > 1.9 * raw_std
    assert abs(w.mean()) < 0.02 * target_std
    assert abs(w.std() - target_std) < 0.015 * target_std


@pytest.mark.parametrize("name,scale,fan", [
    ("glorot_uniform", 1.0, "avg"), ("xavier_uniform", 1.0, "avg"), ("he_uniform", 2.0, "in"),
    ("lecun_uniform", 1.0, "in"),
])
@pytest.mark.parametrize("shape", [SHAPE, (3, 3, 40, 350)])
def test_uniform_variance_scaling_statistics(name, scale, fan, shape):
    fan_in, fan_out = initializers.compute_fans(shape)
    n = (fan_in + fan_out) / 2 if fan == "avg" else fan_in
    w = initializers.get(name)(shape, dtype="float64")
    assert w.shape == shape and w.dtype == np.float64
    _check_uniform(w, math.sqrt(3 * scale / n))


@pytest.mark.parametrize("name,scale,fan", [
    ("glorot_normal", 1.0, "avg"), ("xavier_normal", 1.0, "avg"), ("he_normal", 2.0, "in"),
    ("lecun_normal", 1.0, "in"), ("GlorotNormal", 1.0, "avg"),
])
def test_truncated_variance_scaling_statistics(name, scale, fan):
    fan_in, fan_out = initializers.compute_fans(SHAPE)
    n = (fan_in + fan_out) / 2 if fan == "avg" else fan_in
    w = initializers.get(name)(SHAPE, dtype="float64")
    # Keras: raw stddev sqrt(s)/0.8796..., truncated at 2 raw stddev, which brings the std back to sqrt(s).
    _check_truncated(w, math.sqrt(scale / n), math.sqrt(scale / n) / 0.87962566103423978)


def test_variance_scaling_modes_and_distributions():
    shape = (200, 600)
    w = initializers.VarianceScaling(3.0, "fan_out", "untruncated_normal", seed=1)(shape, "float64")
    assert abs(w.std() - math.sqrt(3.0 / 600)) < 0.015 * math.sqrt(3.0 / 600)
    assert np.abs(w).max() > 3 * math.sqrt(3.0 / 600)  # untruncated: tails beyond 2 stddev exist
    w = initializers.VarianceScaling(0.5, "fan_avg", "uniform", seed=1)(shape, "float64")
    _check_uniform(w, math.sqrt(3 * 0.5 / 400))
    assert initializers.VarianceScaling(distribution="normal").distribution == "truncated_normal"


def test_random_normal_uniform_truncated_defaults():
    w = initializers.RandomNormal()(SHAPE, "float64")
    assert abs(w.mean()) < 1e-3 and abs(w.std() - 0.05) < 1e-3
    w = initializers.RandomNormal(mean=2.0, stddev=0.5)(SHAPE, "float64")
    assert abs(w.mean() - 2.0) < 0.01 and abs(w.std() - 0.5) < 0.01
    w = initializers.RandomUniform()(SHAPE, "float64")
    _check_uniform(w, 0.05)
    w = initializers.RandomUniform(1.0, 3.0)(SHAPE, "float64")
    assert w.min() >= 1.0 and w.max() <= 3.0 and abs(w.mean() - 2.0) < 0.01
    w = initializers.TruncatedNormal(mean=1.0)(SHAPE, "float64")
    assert np.abs(w - 1.0).max() <= 0.1 and abs(w.mean() - 1.0) < 1e-3
    assert abs((w - 1.0).std() - 0.05 * 0.87962566103423978) < 1e-3


def test_constant_zeros_ones_identity():
    assert np.array_equal(initializers.get("zeros")((2, 3)), np.zeros((2, 3), np.float32))
    assert np.array_equal(initializers.get("ones")((4,), dtype="float64"), np.ones(4))
    c = initializers.Constant(2.5)((2, 2))
    assert c.dtype == np.float32 and np.all(c == 2.5)
    assert np.array_equal(initializers.Identity(gain=2.0)((2, 3)), 2.0 * np.eye(2, 3, dtype=np.float32))
    with pytest.raises(ValueError, match="2-dimensional"):
        initializers.Identity()((2, 2, 2))


@pytest.mark.parametrize("shape", [(6, 6), (10, 4), (4, 10), (3, 3, 4, 16), (3, 3, 16, 4)])
def test_orthogonal_is_orthogonal(shape):
    w = initializers.Orthogonal(gain=1.5, seed=3)(shape, "float64")
    m = w.reshape(-1, shape[-1])
    small = min(m.shape)
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    np.testing.assert_allclose(gram, 1.5 ** 2 * np.eye(small), atol=1e-12)
    with pytest.raises(ValueError, match="at least 2-dimensional"):
        initializers.Orthogonal()((5,))


@pytest.mark.parametrize("name", ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
                                  "lecun_uniform", "lecun_normal", "random_normal", "random_uniform",
                                  "truncated_normal", "orthogonal", "variance_scaling"])
def test_seed_determinism_and_global_rng(name):
    cls = type(initializers.get(name))
    seeded = cls(seed=42)
    a, b = seeded((20, 30), "float64"), seeded((20, 30), "float64")
    assert np.array_equal(a, b)  # Keras 3: a seeded initializer returns the same values each call
    assert np.array_equal(a, cls(seed=42)((20, 30), "float64"))
    assert not np.array_equal(a, cls(seed=43)((20, 30), "float64"))
    unseeded = cls()
    assert not np.array_equal(unseeded((20, 30)), unseeded((20, 30)))
    config.seed_global_rng(7)
    c = unseeded((20, 30))
    config.seed_global_rng(7)
    assert np.array_equal(c, cls()((20, 30)))


@given(dims=st.lists(st.integers(0, 5), min_size=1, max_size=4),
       name=st.sampled_from(["glorot_uniform", "he_normal", "zeros", "random_uniform", "lecun_normal"]),
       dtype=st.sampled_from(["float32", "float64", None]))
def test_shape_and_dtype(dims, name, dtype):
    w = initializers.get(name)(tuple(dims), dtype=dtype)
    assert w.shape == tuple(dims)
    assert w.dtype == np.dtype(dtype or config.floatx())
    assert np.all(np.isfinite(w))


def test_get_identifiers_and_serialization_round_trip():
    assert isinstance(initializers.get("GlorotUniform"), initializers.GlorotUniform)
    assert isinstance(initializers.get(initializers.HeNormal), initializers.HeNormal)
    inst = initializers.TruncatedNormal(mean=0.1, stddev=0.2, seed=5)
    assert initializers.get(inst) is inst
    fn = lambda shape, dtype=None: np.zeros(shape, dtype)  # noqa: E731
    assert initializers.get(fn) is fn
    for obj in [inst, initializers.VarianceScaling(2.0, "fan_out", "uniform", seed=9),
                initializers.Constant(3.0), initializers.Orthogonal(0.5, seed=1), initializers.GlorotUniform(4)]:
        cfg = initializers.serialize(obj)
        clone = initializers.get(cfg)
        assert type(clone) is type(obj) and clone.get_config() == obj.get_config()
        assert initializers.serialize(clone) == cfg
        np.testing.assert_array_equal(clone((3, 4)), obj((3, 4)))
    assert initializers.GlorotUniform(seed=4).get_config() == {"seed": 4, "input_axes": None, "output_axes": None}
    # Keras 3.15 configs carry input_axes / output_axes
    keras_cfg = {"class_name": "HeNormal", "config": {"seed": None, "input_axes": None, "output_axes": None}}
    assert isinstance(initializers.get(keras_cfg), initializers.HeNormal)
    assert initializers.get({"class_name": "RandomNormal", "config": {"stddev": 1.0}}).stddev == 1.0


def test_bad_identifiers_and_arguments():
    with pytest.raises(ValueError, match="Unknown initializer.*glorot_uniform"):
        initializers.get("glorot_unifrom")
    with pytest.raises(ValueError, match="required"):
        initializers.get(None)
    with pytest.raises(ValueError, match="Could not interpret"):
        initializers.get(3.5)
    with pytest.raises(ValueError, match="`mode`.*fan_avg"):
        initializers.VarianceScaling(mode="fan")
    with pytest.raises(ValueError, match="`distribution`"):
        initializers.VarianceScaling(distribution="cauchy")
    with pytest.raises(ValueError, match="`scale`"):
        initializers.VarianceScaling(scale=0)
    with pytest.raises(ValueError, match="`seed`"):
        initializers.GlorotUniform(seed=-1)
    with pytest.raises(ValueError, match="`seed`"):
        initializers.RandomNormal(seed="a")
    with pytest.raises(ValueError, match="`stddev`"):
        initializers.RandomNormal(stddev=-1.0)
    with pytest.raises(ValueError, match="maxval"):
        initializers.RandomUniform(1.0, 0.0)
    with pytest.raises(ValueError, match="shape"):
        initializers.Zeros()((2, -1))
    with pytest.raises(ValueError, match="dtype"):
        initializers.Zeros()((2,), dtype="int32")
