"""Recurrent kernels (csrc/rnn.c): fused passes against the plain reference twins, every ISA path,
bit-identical results for any thread count, and the layers against an independent numpy transcription
of Keras's LSTM / GRU / SimpleRNN equations."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastnn
from fastnn._native import _rnn, _runtime
from fastnn.layers.recurrent import GRU, LSTM, SimpleRNN

CODES = _rnn.ACTIVATION_CODES
KINDS = ["lstm", "gru", "gru_before", "simple"]
PAIRS = [("tanh", "sigmoid"), ("relu", "hard_sigmoid"), ("linear", "tanh"), ("sigmoid", "linear")]


def _gates(kind):
    return {"lstm": 4, "gru": 3, "gru_before": 3, "simple": 1}[kind]


def run_kernels(kind, dtype, T, N, D, U, seed, masked, dropped, pair=("tanh", "sigmoid"), reference=False,
                n_threads=1, with_dy=True):
    """Forward then backward of one kernel family on random data; returns every output buffer."""
    rng = np.random.default_rng(seed)
    g = _gates(kind)
    act, ract = CODES[pair[0]], CODES[pair[1]]
    x = rng.standard_normal((T, N, D)).astype(dtype)
    K = (rng.standard_normal((D, g * U)) * 0.5).astype(dtype)
    R = (rng.standard_normal((U, g * U)) * 0.5).astype(dtype)
    b_shape = (2, 3 * U) if kind == "gru" else (g * U,)
    b = rng.standard_normal(b_shape).astype(dtype)
    mask = (rng.random((T, N)) < 0.7).astype(np.uint8) if masked else None
    rmask = (rng.random((N, U)) < 0.8).astype(dtype) * dtype(1.25) if dropped else None
    H = np.empty((T + 1, N, U), dtype)
    H[0] = rng.standard_normal((N, U))
    out = {"H": H}
    HD = np.empty((T, N, U), dtype) if dropped else None
    dY = rng.standard_normal((T, N, U)).astype(dtype) if with_dy else None
    dh = rng.standard_normal((N, U)).astype(dtype)
    dx = np.empty((T, N, D), dtype)
    dK = np.ones((D, g * U), dtype)
    dR = np.ones((U, g * U), dtype)
    db = np.ones(b_shape, dtype)
    work = np.empty((N, U), dtype)
    kw = dict(n_threads=n_threads, reference=reference)
    if kind == "lstm":
        C = np.empty((T + 1, N, U), dtype)
        C[0] = rng.standard_normal((N, U))
        G = np.empty((T, N, 4 * U), dtype)
        AC = np.empty((T, N, U), dtype)
        _rnn.lstm_forward(x, K, R, b, mask, rmask, act, ract, G, H, C, AC, HD, **kw)
        dc = rng.standard_normal((N, U)).astype(dtype)
        dG = np.empty_like(G)
        _rnn.lstm_backward(x, K, R, mask, rmask, act, ract, G, H, C, AC, HD, dY, dh, dc, dG, dx, dK, dR, db, work,
                           **kw)
        out.update(C=C, dc=dc)
    elif kind in ("gru", "gru_before"):
        ra = kind == "gru"
        G = np.empty((T, N, 3 * U), dtype)
        S = np.empty((T, N, 3 * U) if ra else (T, N, U), dtype)
        _rnn.gru_forward(x, K, R, b, mask, rmask, act, ract, ra, G, S, H, HD, **kw)
        dG = np.empty_like(G)
        dGr = np.empty_like(G) if ra else None
        _rnn.gru_backward(x, K, R, mask, rmask, act, ract, ra, G, S, H, HD, dY, dh, dG, dGr, dx, dK, dR, db, work,
                          **kw)
    else:
        G = np.empty((T, N, U), dtype)
        _rnn.simple_rnn_forward(x, K, R, b, mask, rmask, act, G, H, HD, **kw)
        dG = np.empty_like(G)
        _rnn.simple_rnn_backward(x, K, R, mask, rmask, act, H, HD, dY, dh, dG, dx, dK, dR, db, work, **kw)
    out.update(dh=dh, dx=dx, dK=dK, dR=dR, db=db)
    return out


def _assert_close(a, b, dtype):
    for key in a:
        # Absolute tolerance scaled by the array's magnitude: with unbounded activations (linear, relu)
        # gradients reach hundreds and a small entry carries the rounding of the large ones.
        scale = max(1.0, float(np.abs(b[key]).max()))
        # float32: the fast exp/tanh differ from libm by about an ulp, and unbounded dynamics amplify that
        # through time roughly as much as they grow the values: an exploding sequence (entries in the
        # thousands after a few linear steps, e.g. GRU linear/tanh, T=5, U=9: 0.17% apart) gets a
        # tolerance that grows with it.
        grow = 1e-4 if scale < 100 else 3e-3
        rtol, atol = (1e-3, grow * scale) if dtype == np.float32 else (1e-10, 1e-11 * scale)
        np.testing.assert_allclose(a[key], b[key], rtol=rtol, atol=atol, err_msg=key)


@given(kind=st.sampled_from(KINDS), dtype=st.sampled_from([np.float32, np.float64]), T=st.integers(1, 5),
       N=st.integers(1, 4), D=st.integers(1, 5), U=st.integers(1, 9), masked=st.booleans(), dropped=st.booleans(),
       pair=st.sampled_from(PAIRS), with_dy=st.booleans(), seed=st.integers(0, 2**16))
def test_fused_kernels_match_reference(kind, dtype, T, N, D, U, masked, dropped, pair, with_dy, seed):
    args = (kind, dtype, T, N, D, U, seed, masked, dropped, pair)
    fast = run_kernels(*args, with_dy=with_dy)
    ref = run_kernels(*args, reference=True, with_dy=with_dy)
    _assert_close(fast, ref, dtype)


@settings(max_examples=15)
@given(kind=st.sampled_from(KINDS), dtype=st.sampled_from([np.float32, np.float64]), T=st.integers(1, 4),
       N=st.integers(17, 40), D=st.integers(1, 5), U=st.integers(1, 20), masked=st.booleans(),
       dropped=st.booleans(), seed=st.integers(0, 2**16), n_threads=st.sampled_from([1, 2, 3]))
def test_large_batch_kernels_match_reference(kind, dtype, T, N, D, U, masked, dropped, seed, n_threads):
    """Above the small-batch size the per-step products run on the GEMM with the recurrent kernel packed
    once per sequence (forward R, backward R^T)."""
    args = (kind, dtype, T, N, D, U, seed, masked, dropped)
    _assert_close(run_kernels(*args, n_threads=n_threads), run_kernels(*args, reference=True), dtype)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("isa", [0, 1, 2])
def test_every_isa_path_matches_reference(kind, isa):
    if isa > _runtime.isa_detected():
        pytest.skip("ISA level not available on this CPU")
    args = (kind, np.float32, 3, 5, 4, 37, 7, True, True)
    old = _runtime.isa_active()
    try:
        _runtime.isa_force(isa)
        fast = run_kernels(*args)
    finally:
        _runtime.isa_force(old)
    _assert_close(fast, run_kernels(*args, reference=True), np.float32)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("small_batch", [False, True])
def test_thread_count_never_changes_results(kind, dtype, small_batch):
    # Large batch: N * U above the per-step parallel threshold so the fused passes split across threads.
    # Small batch: the register-blocked recurrent product splits its column blocks across threads.
    args = ((kind, dtype, 2, 3, 5, 420, 3, True, True) if small_batch
            else (kind, dtype, 3, 70, 9, 130, 3, True, kind == "lstm"))
    outs = [run_kernels(*args, n_threads=n) for n in (1, 2, 3)]
    for other in outs[1:]:
        for key in outs[0]:
            assert np.array_equal(outs[0][key], other[key]), key


def test_fully_masked_sequence_carries_states():
    out = run_kernels("lstm", np.float64, 4, 3, 2, 5, 1, False, False)
    rng = np.random.default_rng(0)
    T, N, D, U = 4, 3, 2, 5
    x = rng.standard_normal((T, N, D))
    K, R = rng.standard_normal((D, 4 * U)), rng.standard_normal((U, 4 * U))
    H = np.zeros((T + 1, N, U))
    C = np.zeros((T + 1, N, U))
    H[0], C[0] = rng.standard_normal((N, U)), rng.standard_normal((N, U))
    mask = np.zeros((T, N), np.uint8)
    _rnn.lstm_forward(x, K, R, None, mask, None, 1, 2, np.empty((T, N, 4 * U)), H, C, np.empty((T, N, U)), None, 1)
    for t in range(1, T + 1):
        assert np.array_equal(H[t], H[0]) and np.array_equal(C[t], C[0])
    assert out["H"].shape == (T + 1, N, U)


def test_kernel_rejects_bad_buffers():
    x = np.zeros((2, 3, 4))
    R = np.zeros((5, 20))
    with pytest.raises(ValueError, match="kernel.*shape"):
        _rnn.lstm_forward(x, np.zeros((4, 19)), R, None, None, None, 1, 2, np.empty((2, 3, 20)),
                          np.zeros((3, 3, 5)), np.zeros((3, 3, 5)), np.empty((2, 3, 5)), None, 1)
    with pytest.raises(ValueError, match="dtype"):
        _rnn.lstm_forward(x, np.zeros((4, 20), np.float32), R, None, None, None, 1, 2, np.empty((2, 3, 20)),
                          np.zeros((3, 3, 5)), np.zeros((3, 3, 5)), np.empty((2, 3, 5)), None, 1)
    with pytest.raises(ValueError, match="mask"):
        _rnn.lstm_forward(x, np.zeros((4, 20)), R, None, np.ones((3, 2), np.uint8), None, 1, 2,
                          np.empty((2, 3, 20)), np.zeros((3, 3, 5)), np.zeros((3, 3, 5)), np.empty((2, 3, 5)), None, 1)


# ---- the layers against an independent float64 transcription of Keras's equations ----

def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def keras_lstm(x, kernel, rec, bias, h, c, mask=None):
    outs = []
    prev_out = np.zeros_like(h)
    for t in range(x.shape[1]):
        z = x[:, t] @ kernel + h @ rec + bias
        zi, zf, zc, zo = np.split(z, 4, axis=-1)
        c_new = _sigmoid(zf) * c + _sigmoid(zi) * np.tanh(zc)
        h_new = _sigmoid(zo) * np.tanh(c_new)
        if mask is not None:
            m = mask[:, t:t + 1]
            h_new, c_new = np.where(m, h_new, h), np.where(m, c_new, c)
            out = np.where(m, h_new, prev_out)
        else:
            out = h_new
        h, c, prev_out = h_new, c_new, out
        outs.append(out)
    return np.stack(outs, 1), h, c


def keras_gru(x, kernel, rec, bias, h, reset_after):
    u = h.shape[1]
    outs = []
    for t in range(x.shape[1]):
        if reset_after:
            mx = x[:, t] @ kernel + bias[0]
            mi = h @ rec + bias[1]
            z = _sigmoid(mx[:, :u] + mi[:, :u])
            r = _sigmoid(mx[:, u:2 * u] + mi[:, u:2 * u])
            hh = np.tanh(mx[:, 2 * u:] + r * mi[:, 2 * u:])
        else:
            mx = x[:, t] @ kernel + bias
            z = _sigmoid(mx[:, :u] + h @ rec[:, :u])
            r = _sigmoid(mx[:, u:2 * u] + h @ rec[:, u:2 * u])
            hh = np.tanh(mx[:, 2 * u:] + (r * h) @ rec[:, 2 * u:])
        h = z * h + (1 - z) * hh
        outs.append(h)
    return np.stack(outs, 1), h


@given(N=st.integers(1, 4), T=st.integers(1, 6), D=st.integers(1, 5), U=st.integers(1, 6),
       seed=st.integers(0, 2**16), masked=st.booleans())
def test_lstm_matches_keras_equations(N, T, D, U, seed, masked):
    rng = np.random.default_rng(seed)
    layer = LSTM(U, return_sequences=True, return_state=True, dtype="float64")
    x = rng.standard_normal((N, T, D))
    h0, c0 = rng.standard_normal((N, U)), rng.standard_normal((N, U))
    layer.build((None, T, D))
    weights = [rng.standard_normal(w.shape) * 0.6 for w in layer.weights]
    layer.set_weights(weights)
    mask = rng.random((N, T)) < 0.6 if masked else None
    seq, h, c = layer(x, initial_state=[h0, c0], mask=mask)
    want_seq, want_h, want_c = keras_lstm(x, *weights, h0, c0, mask)
    np.testing.assert_allclose(seq, want_seq, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h, want_h, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c, want_c, rtol=1e-12, atol=1e-12)


@given(N=st.integers(1, 4), T=st.integers(1, 6), D=st.integers(1, 5), U=st.integers(1, 6),
       seed=st.integers(0, 2**16), reset_after=st.booleans(), backwards=st.booleans())
def test_gru_matches_keras_equations(N, T, D, U, seed, reset_after, backwards):
    rng = np.random.default_rng(seed)
    layer = GRU(U, return_sequences=True, reset_after=reset_after, go_backwards=backwards, dtype="float64")
    x = rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((N, U))
    layer.build((None, T, D))
    weights = [rng.standard_normal(w.shape) * 0.6 for w in layer.weights]
    assert weights[2].shape == ((2, 3 * U) if reset_after else (3 * U,))
    layer.set_weights(weights)
    seq = layer(x, initial_state=[h0])
    want, _ = keras_gru(x[:, ::-1] if backwards else x, *weights, h0, reset_after)
    np.testing.assert_allclose(seq, want, rtol=1e-12, atol=1e-12)


def test_simple_rnn_matches_equations_and_float32_is_close():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 4, 2))
    for dtype, tol in (("float64", 1e-12), ("float32", 1e-5)):
        layer = SimpleRNN(5, activation="relu", dtype=dtype)
        layer.build((None, 4, 2))
        k, r, b = [rng.standard_normal(w.shape) * 0.5 for w in layer.weights]
        layer.set_weights([k, r, b])
        h = np.zeros((3, 5))
        for t in range(4):
            h = np.maximum(x[:, t] @ k + h @ r + b, 0)
        np.testing.assert_allclose(layer(x), h, rtol=tol, atol=tol)


def test_lstm_float32_close_to_float64():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((4, 7, 3))
    l64 = LSTM(8, return_sequences=True, dtype="float64")
    l32 = LSTM(8, return_sequences=True, dtype="float32")
    l64.build((None, 7, 3))
    l32.build((None, 7, 3))
    l32.set_weights(l64.get_weights())
    np.testing.assert_allclose(l32(x), l64(x), rtol=1e-5, atol=2e-6)


def test_unit_forget_bias_and_initializers():
    layer = LSTM(3, dtype="float64")
    layer.build((None, 2, 4))
    np.testing.assert_array_equal(layer.bias.value, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    rec = layer.recurrent_kernel.value
    np.testing.assert_allclose(rec @ rec.T, np.eye(3), atol=1e-12)  # orthogonal rows (Keras)
    layer = LSTM(3, unit_forget_bias=False, dtype="float64")
    layer.build((None, 2, 4))
    assert not layer.bias.value.any()
    assert fastnn.get_num_threads() >= 1
