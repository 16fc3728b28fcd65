"""fastnn.losses: values against float64 transcriptions of Keras 3's formulas, gradients against central
differences, reductions and sample weights, label validation, kernels against their references and
thread independence, and the get/serialize/config API."""
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastnn
from fastnn import losses
from fastnn._native import _loss

EPS = 1e-7


def _log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def _smooth_cat(t, ls):
    return t * (1 - ls) + ls / t.shape[-1]


# ---- float64 numpy transcriptions of keras.losses (per-sample values) ----
def ref_bce(t, p, from_logits=False, ls=0.0):
    t = t * (1 - ls) + 0.5 * ls
    if from_logits:
        return np.mean(np.maximum(p, 0) - p * t + np.log1p(np.exp(-np.abs(p))), -1)
    p = np.clip(p, EPS, 1 - EPS)
    return np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p)), -1)


def ref_cce(t, p, from_logits=False, ls=0.0):
    t = _smooth_cat(t, ls)
    if from_logits:
        return -np.sum(t * _log_softmax(p), -1)
    q = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return -np.sum(t * np.log(q), -1)


def ref_scce(labels, p, from_logits=False):
    onehot = np.eye(p.shape[-1])[labels]
    return ref_cce(onehot, p, from_logits)


def ref_hinge_t(t):
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


REFS = {
    "mse": lambda t, p: np.mean((p - t) ** 2, -1),
    "mae": lambda t, p: np.mean(np.abs(p - t), -1),
    "mape": lambda t, p: 100 * np.mean(np.abs((t - p) / np.maximum(np.abs(t), EPS)), -1),
    "msle": lambda t, p: np.mean((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2, -1),
    "huber": lambda t, p: np.mean(np.where(np.abs(p - t) <= 1.0, 0.5 * (p - t) ** 2, np.abs(p - t) - 0.5), -1),
    "log_cosh": lambda t, p: np.mean(np.log(np.cosh(p - t)), -1),
    "kld": lambda t, p: np.sum(np.clip(t, EPS, 1) * np.log(np.clip(t, EPS, 1) / np.clip(p, EPS, 1)), -1),
    "poisson": lambda t, p: np.mean(p - t * np.log(p + EPS), -1),
    "hinge": lambda t, p: np.mean(np.maximum(1 - ref_hinge_t(t) * p, 0), -1),
    "squared_hinge": lambda t, p: np.mean(np.maximum(1 - ref_hinge_t(t) * p, 0) ** 2, -1),
    "categorical_hinge": lambda t, p: np.maximum(np.max((1 - t) * p, -1) - np.sum(t * p, -1) + 1, 0),
    "cosine_similarity": lambda t, p: -np.sum(t / np.sqrt(np.maximum((t * t).sum(-1, keepdims=True), 1e-12)) *
                                               p / np.sqrt(np.maximum((p * p).sum(-1, keepdims=True), 1e-12)), -1),
    "binary_crossentropy": ref_bce,
    "categorical_crossentropy": ref_cce,
}


def _data(name, rng, n, c):
    """(y_true, y_pred) for `name`, away from kinks and clip boundaries."""
    if name in ("binary_crossentropy",):
        return rng.integers(0, 2, (n, c)).astype(float), rng.uniform(0.05, 0.95, (n, c))
    if name in ("categorical_crossentropy", "kld", "categorical_hinge"):
        t = np.eye(c)[rng.integers(0, c, n)]
        p = rng.uniform(0.1, 0.9, (n, c))
        if name == "categorical_crossentropy":
            p /= p.sum(-1, keepdims=True)
        return t, p
    if name in ("hinge", "squared_hinge"):
        t = rng.choice([-1.0, 1.0], (n, c))
        p = rng.uniform(-2, 2, (n, c))
        p[np.abs(1 - t * p) < 0.05] += 0.1
        return t, p
    if name in ("poisson", "msle"):
        return rng.uniform(0, 3, (n, c)), rng.uniform(0.1, 3, (n, c))
    t = rng.standard_normal((n, c))
    p = rng.standard_normal((n, c))
    close = np.abs(p - t) < 0.05
    p[close] += 0.1
    if name == "mape":
        t[np.abs(t) < 0.1] = 0.5
    return t, p


def _numeric_grad(loss, t, p, sw, h=1e-6):
    g = np.zeros_like(p)
    flat, gflat = p.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        orig = flat[i]
        flat[i] = orig + h
        plus = loss(t, p, sample_weight=sw)
        flat[i] = orig - h
        minus = loss(t, p, sample_weight=sw)
        flat[i] = orig
        gflat[i] = (plus - minus) / (2 * h)
    return g


def _check_grad(loss, t, p, sw=None):
    value, grad = loss.forward_backward(t, p, sample_weight=sw)
    assert grad.shape == p.shape and grad.dtype == p.dtype
    assert value == pytest.approx(loss(t, p, sample_weight=sw), rel=1e-12, abs=1e-12)
    num = _numeric_grad(loss, t, p.copy(), sw)
    np.testing.assert_allclose(grad, num, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", sorted(REFS))
@given(n=st.integers(1, 5), c=st.integers(1, 5), seed=st.integers(0, 2 ** 16), weighted=st.booleans())
def test_values_and_gradients(name, n, c, seed, weighted):
    rng = np.random.default_rng(seed)
    if name == "categorical_hinge" and c == 1:
        c = 2
    t, p = _data(name, rng, n, c)
    sw = rng.uniform(0.1, 2.0, n) if weighted else None
    loss = losses.get(name)
    per_sample = REFS[name](t, p)
    np.testing.assert_allclose(loss.call(t, p), per_sample, rtol=1e-10, atol=1e-12)
    w = np.ones(n) if sw is None else sw
    assert loss(t, p, sample_weight=sw) == pytest.approx(np.sum(per_sample * w) / n, rel=1e-10, abs=1e-12)
    if name == "categorical_hinge":
        other = (1 - t) * p
        srt = np.sort(other, -1)
        if c > 1 and np.any(np.abs(srt[:, -1] - srt[:, -2]) < 1e-3):
            return
        if np.any(np.abs(np.max(other, -1) - np.sum(t * p, -1) + 1) < 1e-3):
            return
    _check_grad(loss, t, p, sw)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("ls", [0.0, 0.2])
@given(n=st.integers(1, 5), c=st.integers(1, 6), seed=st.integers(0, 2 ** 16), weighted=st.booleans())
def test_crossentropy_options(from_logits, ls, n, c, seed, weighted):
    rng = np.random.default_rng(seed)
    sw = rng.uniform(0.1, 2.0, n) if weighted else None
    w = np.ones(n) if sw is None else sw
    t = np.eye(c)[rng.integers(0, c, n)]
    z = rng.standard_normal((n, c)) * (2 if from_logits else 1)
    p = z if from_logits else np.exp(_log_softmax(z)) * rng.uniform(0.5, 2.0, (n, 1))  # unnormalised on purpose
    cce = losses.CategoricalCrossentropy(from_logits=from_logits, label_smoothing=ls)
    assert cce(t, p, sw) == pytest.approx(np.sum(ref_cce(t, p, from_logits, ls) * w) / n, rel=1e-10)
    _check_grad(cce, t, p, sw)
    bt = rng.integers(0, 2, (n, c)).astype(float)
    bp = z if from_logits else 1 / (1 + np.exp(-z))
    bce = losses.BinaryCrossentropy(from_logits=from_logits, label_smoothing=ls)
    assert bce(bt, bp, sw) == pytest.approx(np.sum(ref_bce(bt, bp, from_logits, ls) * w) / n, rel=1e-10)
    _check_grad(bce, bt, bp, sw)
    labels = rng.integers(0, c, n)
    scce = losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    assert scce(labels, p, sw) == pytest.approx(np.sum(ref_scce(labels, p, from_logits) * w) / n, rel=1e-10)
    _check_grad(scce, labels, p, sw)


def test_categorical_crossentropy_axis():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((3, 4, 2))
    t = np.eye(4)[rng.integers(0, 4, (3, 2))].transpose(0, 2, 1)
    loss = losses.CategoricalCrossentropy(from_logits=True, axis=1)
    want = ref_cce(np.moveaxis(t, 1, -1), np.moveaxis(z, 1, -1), True)
    assert loss(t, z) == pytest.approx(want.mean(), rel=1e-12)
    _check_grad(loss, t, z)


def test_reductions():
    rng = np.random.default_rng(1)
    t, p = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    sw = np.array([1.0, 0.0, 2.0, 0.5])
    per = np.mean((p - t) ** 2, -1)
    assert losses.MeanSquaredError(reduction="sum")(t, p, sw) == pytest.approx(np.sum(per * sw))
    assert losses.MeanSquaredError()(t, p, sw) == pytest.approx(np.sum(per * sw) / 4)
    assert losses.MeanSquaredError(reduction="mean_with_sample_weight")(t, p, sw) == \
        pytest.approx(np.sum(per * sw) / sw.sum())
    np.testing.assert_allclose(losses.MeanSquaredError(reduction=None)(t, p, sw), per * sw)
    np.testing.assert_allclose(losses.MeanSquaredError(reduction="none")(t, p), per)
    for red in ("sum", "mean_with_sample_weight"):
        _check_grad(losses.MeanSquaredError(reduction=red), t, p, sw)
        _check_grad(losses.SparseCategoricalCrossentropy(from_logits=True, reduction=red), np.array([0, 1, 2, 0]),
                    p, sw)
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="avg")


def test_sample_weight_shapes():
    rng = np.random.default_rng(2)
    t, p = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    sw = rng.uniform(size=4)
    loss = losses.MeanAbsoluteError()
    assert loss(t, p, sw[:, None]) == pytest.approx(loss(t, p, sw))
    with pytest.raises(ValueError, match=r"sample_weight of shape \(5,\)"):
        loss(t, p, np.ones(5))


def test_sequence_shapes_and_keras_rank_adjustment():
    rng = np.random.default_rng(3)
    z = rng.standard_normal((2, 3, 5))
    labels = rng.integers(0, 5, (2, 3))
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    assert loss(labels, z) == pytest.approx(ref_scce(labels, z, True).mean(), rel=1e-12)
    assert loss(labels[..., None], z) == pytest.approx(loss(labels, z))
    _check_grad(loss, labels, z, rng.uniform(size=2))  # per-batch weights broadcast over time
    # y_true (N,) against y_pred (N, 1): Keras expands y_true
    mse = losses.MeanSquaredError()
    assert mse(np.array([1.0, 2.0]), np.array([[1.5], [2.0]])) == pytest.approx(0.125)


def test_ignore_class():
    rng = np.random.default_rng(4)
    z = rng.standard_normal((5, 3))
    labels = np.array([0, -1, 2, 1, -1])
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    valid = labels != -1
    want = ref_scce(labels[valid], z[valid], True).mean()
    value, grad = loss.forward_backward(labels, z)
    assert value == pytest.approx(want, rel=1e-12)
    assert np.all(grad[~valid] == 0)
    _check_grad(loss, labels, z)
    np.testing.assert_array_equal(loss.call(labels, z)[~valid], 0)


def test_sparse_label_validation():
    z = np.zeros((3, 4))
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    for bad, pattern in [(np.array([0, 4, 1]), r"\[0, 4\).*received 4 at position 1"),
                         (np.array([0, -1, 1]), r"received -1"),
                         (np.array([0.0, 1.5, 1.0]), "integer-valued.*1.5"),
                         (np.array([0.0, np.nan, 1.0]), "NaN or Inf"),
                         (np.array([0, 1]), r"shape \(3,\).*received y_true of shape \(2,\)"),
                         (np.array(["a", "b", "c"]), "integers")]:
        with pytest.raises(ValueError, match=pattern):
            loss.forward_backward(bad, z)
    for cls in (losses.SparseCategoricalCrossentropy(), loss):
        with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
            cls(np.array([0, 9, 1]), np.full((3, 4), 0.25))
    value = loss(np.array([0.0, 3.0, 1.0]), z)  # float labels holding integers are fine
    assert value == pytest.approx(np.log(4))
    assert loss(np.array([0, 3, 1], dtype=np.uint8), z) == pytest.approx(np.log(4))


def test_shape_mismatch_names_both_shapes_and_loss():
    with pytest.raises(ValueError, match=r"mean_squared_error.*\(4, 3\).*\(4, 2\)"):
        losses.MeanSquaredError()(np.ones((4, 3)), np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"categorical_crossentropy.*\(2, 3\).*\(2, 4\)"):
        losses.CategoricalCrossentropy()(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="NaN or Inf"):
        losses.MeanSquaredError()(np.array([[np.inf]]), np.ones((1, 1)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernels_match_references(dtype):
    rng = np.random.default_rng(5)
    for rows, cols in [(1, 1), (7, 3), (33, 10), (5, 300), (2, 1000)]:
        z = (rng.standard_normal((rows, cols)) * 4).astype(dtype)
        labels = rng.integers(0, cols, rows)
        t = rng.uniform(size=(rows, cols)).astype(dtype)
        w = rng.uniform(size=rows).astype(dtype)
        for lab, tgt, ls in [(labels, None, 0.0), (None, t, 0.0), (None, t, 0.3)]:
            outs = []
            for ref in (False, True):
                loss, grad = np.empty(rows, dtype), np.empty_like(z)
                total = _loss.softmax_xent(z, lab, tgt, ls, w, 0.5, loss, grad, 1, reference=ref)
                outs.append((total, loss, grad))
            tol = 2e-6 if dtype == np.float32 else 1e-13
            assert outs[0][0] == pytest.approx(outs[1][0], rel=tol)
            np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=tol, atol=tol)
            np.testing.assert_allclose(outs[0][2], outs[1][2], rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bit_identical_for_any_thread_count(dtype):
    rng = np.random.default_rng(6)
    z = rng.standard_normal((3000, 40)).astype(dtype)
    labels = rng.integers(0, 40, 3000)
    onehot = np.eye(40, dtype=dtype)[labels]
    saved = fastnn.get_num_threads()
    results = []
    try:
        for n in (1, 2, 3):
            fastnn.set_num_threads(n)
            results.append([losses.SparseCategoricalCrossentropy(from_logits=True).forward_backward(labels, z),
                            losses.CategoricalCrossentropy(label_smoothing=0.1).forward_backward(
                                onehot, np.exp(_log_softmax(z.astype(np.float64))).astype(dtype))])
    finally:
        fastnn.set_num_threads(saved)
    for res in results[1:]:
        for (v, g), (v0, g0) in zip(res, results[0]):
            assert v == v0 and np.array_equal(g, g0)


def test_float32_hot_path_matches_float64():
    rng = np.random.default_rng(7)
    z = rng.standard_normal((128, 10))
    labels = rng.integers(0, 10, 128)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    v64, g64 = loss.forward_backward(labels, z)
    v32, g32 = loss.forward_backward(labels, z.astype(np.float32))
    assert g32.dtype == np.float32
    assert v32 == pytest.approx(v64, rel=1e-6)
    np.testing.assert_allclose(g32, g64, rtol=1e-5, atol=1e-8)


def test_functional_forms_return_per_sample_values():
    rng = np.random.default_rng(8)
    t, p = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    np.testing.assert_allclose(losses.mean_squared_error(t, p), REFS["mse"](t, p))
    np.testing.assert_allclose(losses.mse(t, p), REFS["mse"](t, p))
    np.testing.assert_allclose(losses.huber(t, p, delta=0.5),
                               np.mean(np.where(np.abs(p - t) <= 0.5, 0.5 * (p - t) ** 2,
                                                0.5 * np.abs(p - t) - 0.125), -1))
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy(np.array([0, 1, 2, 0]), p, from_logits=True),
                               ref_scce(np.array([0, 1, 2, 0]), p, True))


def test_get_serialize_config_round_trip():
    for name in ["mse", "MSE", "mean_squared_error", "mae", "huber", "kld", "kl_divergence", "hinge",
                 "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
                 "MeanSquaredError", "log_cosh", "poisson", "msle", "mape", "squared_hinge", "categorical_hinge",
                 "cosine_similarity"]:
        loss = losses.get(name)
        assert isinstance(loss, losses.Loss)
        again = losses.get(json.loads(json.dumps(losses.serialize(loss))))
        assert type(again) is type(loss) and again.get_config() == loss.get_config()
    loss = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1, reduction="sum", name="xe")
    again = losses.CategoricalCrossentropy.from_config(loss.get_config())
    assert again.get_config() == loss.get_config()
    assert losses.get(losses.Huber) .delta == 1.0
    assert isinstance(losses.get(losses.mean_absolute_error), losses.MeanAbsoluteError)
    assert losses.get(loss) is loss


def test_unknown_loss_lists_valid_names():
    with pytest.raises(ValueError, match=r"Unknown loss 'msee'.*mean_squared_error"):
        losses.get("msee")
    with pytest.raises(ValueError, match="Could not interpret"):
        losses.get(42)
    with pytest.raises(ValueError, match="label_smoothing"):
        losses.BinaryCrossentropy(label_smoothing=2)
    with pytest.raises(ValueError, match="delta"):
        losses.Huber(delta=0)


def test_user_function_values_only():
    loss = losses.get(lambda t, p: np.mean(np.abs(t - p), -1))
    assert loss(np.zeros((2, 2)), np.ones((2, 2))) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="no gradient"):
        loss.forward_backward(np.zeros((2, 2)), np.ones((2, 2)))


@pytest.mark.parametrize("make, act_name", [
    (lambda: losses.SparseCategoricalCrossentropy(), "softmax"),
    (lambda: losses.CategoricalCrossentropy(label_smoothing=0.1), "softmax"),
    (lambda: losses.BinaryCrossentropy(label_smoothing=0.1), "sigmoid")])
def test_fused_logits_form_equals_loss_after_activation(make, act_name):
    from fastnn import activations

    rng = np.random.default_rng(9)
    z = rng.standard_normal((6, 4))
    labels = rng.integers(0, 4, 6)
    y = labels if act_name == "softmax" and "Sparse" in type(make()).__name__ else \
        (np.eye(4)[labels] if act_name == "softmax" else rng.integers(0, 2, (6, 4)).astype(float))
    sw = rng.uniform(0.5, 1.5, 6)
    loss = make()
    assert loss.fusable_activation == act_name
    act = activations.get(act_name)
    probs, ctx = act.forward(z)
    value, g_probs = loss.forward_backward(y, probs, sw)
    fused_value, g_logits = loss.forward_backward_logits(y, z, sw)
    assert fused_value == pytest.approx(value, rel=1e-9)
    np.testing.assert_allclose(g_logits, act.backward(ctx, g_probs), rtol=1e-8, atol=1e-12)
    assert losses.SparseCategoricalCrossentropy(from_logits=True).fusable_activation is None
    with pytest.raises(ValueError, match="no fused logits form"):
        losses.MeanSquaredError().forward_backward_logits(y, z)
