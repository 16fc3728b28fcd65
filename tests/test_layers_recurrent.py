"""Recurrent layers and wrappers: float64 gradient checks through time for every option, Keras
semantics (masks, go_backwards, states, stateful, Bidirectional merges), errors and configs."""
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastnn.engine.tape import Tape
from fastnn.layers.recurrent import GRU, LSTM, SimpleRNN
from fastnn.layers.wrappers import Bidirectional, TimeDistributed
from fastnn.testing import check_gradients

LAYERS = {
    "simple": lambda u, **kw: SimpleRNN(u, **kw),
    "lstm": lambda u, **kw: LSTM(u, **kw),
    "gru": lambda u, **kw: GRU(u, **kw),
    "gru_before": lambda u, **kw: GRU(u, reset_after=False, **kw),
}
N_STATES = {"simple": 1, "lstm": 2, "gru": 1, "gru_before": 1}


def _make(kind, units, **kw):
    kw.setdefault("bias_initializer", "random_normal")
    return LAYERS[kind](units, dtype="float64", **kw)


def _mask(rng, n, t):
    m = rng.random((n, t)) < 0.65
    return m


@given(kind=st.sampled_from(sorted(LAYERS)), N=st.integers(1, 3), T=st.integers(1, 5), D=st.integers(1, 4),
       U=st.integers(1, 5), seq=st.booleans(), state=st.booleans(), backwards=st.booleans(),
       masked=st.booleans(), with_states=st.booleans(), seed=st.integers(0, 2**16))
def test_gradients_every_option(kind, N, T, D, U, seq, state, backwards, masked, with_states, seed):
    rng = np.random.default_rng(seed)
    layer = _make(kind, U, return_sequences=seq, return_state=state, go_backwards=backwards)
    x = rng.standard_normal((N, T, D))
    inputs = [x] + [rng.standard_normal((N, U)) for _ in range(N_STATES[kind])] if with_states else x
    kwargs = {"mask": _mask(rng, N, T)} if masked else None
    check_gradients(layer, inputs, call_kwargs=kwargs, seed=seed)


@given(kind=st.sampled_from(sorted(LAYERS)), seed=st.integers(0, 2**16), use_bias=st.booleans(),
       pair=st.sampled_from([("relu", "hard_sigmoid"), ("linear", "sigmoid"), ("sigmoid", "tanh")]))
def test_gradients_dropout_and_other_activations(kind, seed, use_bias, pair):
    rng = np.random.default_rng(seed)
    kw = dict(dropout=0.3, recurrent_dropout=0.4, seed=seed, use_bias=use_bias, activation=pair[0],
              return_sequences=True)
    if kind != "simple":
        kw["recurrent_activation"] = pair[1]
    if pair[0] == "relu":  # keep pre-activations away from the kink
        kw["kernel_initializer"] = "ones"
    layer = _make(kind, 4, **kw)
    x = rng.random((2, 4, 3)) + 0.5 if pair[0] == "relu" else rng.standard_normal((2, 4, 3))
    check_gradients(layer, x, training=True, seed=seed)


def test_dropout_only_in_training_and_reproducible_with_seed():
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    a = LSTM(3, dropout=0.5, recurrent_dropout=0.5, seed=1, dtype="float64")
    ref = a(x)
    np.testing.assert_array_equal(a(x), ref)
    assert not np.allclose(a(x, training=True), ref)


@pytest.mark.parametrize("mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_bidirectional_gradients_every_merge_mode(mode, kind):
    rng = np.random.default_rng(1)
    layer = Bidirectional(_make(kind, 3, return_sequences=True), merge_mode=mode, dtype="float64")
    x = rng.standard_normal((2, 4, 3))
    check_gradients(layer, x, call_kwargs={"mask": _mask(rng, 2, 4)})


def test_bidirectional_states_and_outputs():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 5, 3))
    layer = Bidirectional(LSTM(4, return_sequences=True, return_state=True, dtype="float64"), dtype="float64")
    states = [rng.standard_normal((2, 4)) for _ in range(4)]
    out = layer(x, initial_state=states)
    assert [o.shape for o in out] == [(2, 5, 8)] + [(2, 4)] * 4
    assert layer.compute_output_shape((None, 5, 3)) == [(None, 5, 8)] + [(None, 4)] * 4
    fwd, bwd = layer.forward_layer, layer.backward_layer
    assert bwd.go_backwards and not fwd.go_backwards
    seq_f, hf, cf = fwd(x, initial_state=states[:2])
    seq_b, hb, cb = bwd(x, initial_state=states[2:])
    np.testing.assert_allclose(out[0], np.concatenate([seq_f, seq_b[:, ::-1]], -1))
    np.testing.assert_allclose(out[3], hb)
    check_gradients(layer, [x] + states)
    assert len(layer.weights) == 6 and layer.weights[0] is fwd.kernel


def test_stacked_layers_gradients_through_tape():
    rng = np.random.default_rng(3)
    first = LSTM(4, return_sequences=True, dtype="float64")
    second = GRU(3, dtype="float64")
    x = rng.standard_normal((2, 5, 3))
    mask = _mask(rng, 2, 5)

    class Stack:
        """Two layers chained on one tape, as a Sequential would (mask passed to both)."""

        def __init__(self):
            self.name, self._sublayers = "stack", [first, second]

        @property
        def trainable_weights(self):
            return first.trainable_weights + second.trainable_weights

        def __call__(self, v, training=False, mask=None):
            h = first(v, training=training, mask=mask)
            return second(h, training=training, mask=first.compute_mask(v, mask))

    check_gradients(Stack(), x, call_kwargs={"mask": mask})


def test_time_distributed_gradients():
    rng = np.random.default_rng(4)
    layer = TimeDistributed(SimpleRNN(3, dtype="float64"), dtype="float64")
    x = rng.standard_normal((2, 3, 4, 2))
    assert layer(x).shape == (2, 3, 3)
    assert layer.compute_output_shape((None, 3, 4, 2)) == (None, 3, 3)
    check_gradients(layer, x)
    try:
        from fastnn.layers.core import Dense
    except ImportError:
        return
    dense = TimeDistributed(Dense(5, dtype="float64"), dtype="float64")
    y = dense(x[:, :, 0, :])
    assert y.shape == (2, 3, 5)
    check_gradients(dense, x[:, :, 0, :])


def test_masked_output_rule_and_state_carry():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 4, 3))
    mask = np.array([[False, True, False, True], [True, True, False, False]])
    layer = SimpleRNN(3, return_sequences=True, return_state=True, dtype="float64")
    h0 = rng.standard_normal((2, 3))
    seq, h = layer(x, initial_state=[h0], mask=mask)
    np.testing.assert_array_equal(seq[0, 0], 0)            # before the first real step: zeros
    np.testing.assert_array_equal(seq[0, 2], seq[0, 1])    # masked step repeats the previous output
    np.testing.assert_array_equal(seq[1, 3], seq[1, 1])
    np.testing.assert_array_equal(h[1], seq[1, 1])          # final state = last real step's state
    # Right-padded sequences give the same final state as the unpadded ones.
    short = SimpleRNN(3, dtype="float64")
    short.build((None, 2, 3))
    short.set_weights(layer.get_weights())
    np.testing.assert_allclose(short(x[1:, :2], initial_state=[h0[1:]]), h[1:], rtol=1e-13)
    assert layer.compute_mask(x, mask) == [mask, None] or layer.compute_mask(x, mask)[0] is mask


def test_go_backwards_reverses_processing_order():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 5, 3))
    fwd = GRU(4, return_sequences=True, dtype="float64")
    bwd = GRU(4, return_sequences=True, go_backwards=True, dtype="float64")
    fwd.build((None, 5, 3))
    bwd.build((None, 5, 3))
    bwd.set_weights(fwd.get_weights())
    np.testing.assert_allclose(bwd(x), fwd(x[:, ::-1]), rtol=1e-13)


def test_initial_state_keyword_and_list_forms_agree():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((3, 4, 2))
    h0, c0 = rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    layer = LSTM(5, dtype="float64")
    a = layer(x, initial_state=[h0, c0])
    b = layer([x, h0, c0])
    np.testing.assert_array_equal(a, b)
    with Tape() as tape:
        tape.watch(x)
        y = layer(x, initial_state=[h0, c0])
    (dx,) = tape.backward(y, np.ones_like(y), sources=[x])
    with Tape() as tape:
        for v in (x, h0, c0):
            tape.watch(v)
        y = layer([x, h0, c0])
    dx2, dh0, dc0 = tape.backward(y, np.ones_like(y), sources=[x, h0, c0])
    np.testing.assert_allclose(dx, dx2)
    assert dh0.shape == dc0.shape == (3, 5) and np.abs(dh0).sum() > 0


def test_stateful_keeps_and_resets_states():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 6, 3))
    full = LSTM(4, dtype="float64")
    part = LSTM(4, stateful=True, dtype="float64")
    full.build((None, 6, 3))
    part.build((None, 3, 3))
    part.set_weights(full.get_weights())
    part(x[:, :3])
    np.testing.assert_allclose(part(x[:, 3:]), full(x), rtol=1e-13)
    part.reset_states()
    np.testing.assert_allclose(part(x[:, :3]), full(x[:, :3]), rtol=1e-13)
    with pytest.raises(ValueError, match="fixed batch"):
        part(x[:1, :3])
    with pytest.raises(AttributeError, match="stateful"):
        full.reset_states()


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_bad_inputs_raise_clear_errors(kind):
    layer = _make(kind, 3)
    layer(np.zeros((2, 4, 5)))
    with pytest.raises(ValueError, match=r"\(batch, timesteps, features\).*\(2, 5\)"):
        layer(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"5 features.*\(2, 4, 6\)"):
        layer(np.zeros((2, 4, 6)))
    with pytest.raises(ValueError, match="zero time steps"):
        layer(np.zeros((2, 0, 5)))
    with pytest.raises(ValueError, match=r"initial state 0 must have shape \(2, 3\)"):
        layer(np.zeros((2, 4, 5)), initial_state=[np.zeros((2, 4))] * N_STATES[kind])
    with pytest.raises(ValueError, match="list of"):
        layer(np.zeros((2, 4, 5)), initial_state=[np.zeros((2, 3))] * (N_STATES[kind] + 1))
    with pytest.raises(ValueError, match=r"mask must have shape"):
        layer(np.zeros((2, 4, 5)), mask=np.ones((2, 3), bool))
    assert layer(np.zeros((2, 4, 5))).shape == (2, 3)  # still works after the failures


def test_bad_hyper_parameters():
    with pytest.raises(ValueError, match="units"):
        LSTM(0)
    with pytest.raises(ValueError, match="dropout"):
        GRU(3, dropout=1.5)
    with pytest.raises(ValueError, match="not supported by the fused"):
        LSTM(3, activation="softmax")
    with pytest.raises(ValueError, match="merge_mode"):
        Bidirectional(LSTM(3), merge_mode="max")
    with pytest.raises(ValueError, match="recurrent layer"):
        Bidirectional("lstm")
    with pytest.raises(ValueError, match="go_backwards"):
        Bidirectional(LSTM(3), backward_layer=LSTM(3))
    with pytest.raises(TypeError, match="unknown"):
        SimpleRNN(3, bogus=1)
    LSTM(3, use_cudnn=False, implementation=1, unroll=True)  # Keras switches, accepted
    with pytest.raises(ValueError, match="use_cudnn"):
        GRU(3, use_cudnn="yes")


@pytest.mark.parametrize("make", [
    lambda: LSTM(4, return_sequences=True, go_backwards=True, dropout=0.1, unit_forget_bias=False,
                 kernel_regularizer="l2", dtype="float64"),
    lambda: GRU(3, reset_after=False, recurrent_activation="hard_sigmoid", return_state=True, dtype="float64"),
    lambda: SimpleRNN(2, activation="relu", use_bias=False, dtype="float64"),
    lambda: Bidirectional(GRU(3, return_sequences=True), merge_mode="ave", dtype="float64"),
    lambda: TimeDistributed(SimpleRNN(2), dtype="float64"),
])
def test_get_config_round_trip(make):
    layer = make()
    cfg = layer.get_config()
    json.dumps(cfg)
    clone = type(layer).from_config(cfg)
    assert json.dumps(clone.get_config(), sort_keys=True) == json.dumps(cfg, sort_keys=True)
    x = np.random.default_rng(0).standard_normal((2, 3, 4) if not isinstance(layer, TimeDistributed)
                                                 else (2, 3, 4, 4))
    layer(x)
    clone(x)
    clone.set_weights(layer.get_weights())
    for a, b in zip(np.atleast_1d(layer(x)) if not isinstance(layer(x), list) else layer(x),
                    np.atleast_1d(clone(x)) if not isinstance(clone(x), list) else clone(x)):
        np.testing.assert_array_equal(a, b)


def test_output_shapes_and_masks():
    layer = LSTM(4, return_sequences=True, return_state=True)
    assert layer.compute_output_shape((None, 7, 3)) == [(None, 7, 4), (None, 4), (None, 4)]
    m = np.ones((2, 7), bool)
    assert layer.compute_mask(None, m)[0] is m
    assert GRU(4).compute_mask(None, m) is None
    out = GRU(4, return_sequences=True, dtype="float32")(np.zeros((2, 7, 3), np.float32))
    assert out.dtype == np.float32 and out.shape == (2, 7, 4)


@pytest.mark.parametrize("kind", ["lstm", "gru", "gru_before", "simple", "bidirectional"])
def test_same_outputs_as_keras_with_copied_weights(kind):
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(11)
    x = rng.standard_normal((3, 6, 4)).astype(np.float32)
    mask = np.array([[1, 1, 1, 1, 0, 0], [0, 1, 1, 0, 1, 1], [1, 1, 1, 1, 1, 1]], bool)
    opts = dict(return_sequences=True, go_backwards=kind == "gru")
    if kind == "bidirectional":
        theirs = keras.layers.Bidirectional(keras.layers.LSTM(5, return_sequences=True), merge_mode="concat")
        ours = Bidirectional(LSTM(5, return_sequences=True), dtype="float64")
    else:
        cls, extra = {"lstm": ("LSTM", {}), "gru": ("GRU", {}), "gru_before": ("GRU", {"reset_after": False}),
                      "simple": ("SimpleRNN", {})}[kind]
        theirs = getattr(keras.layers, cls)(5, **opts, **extra)
        ours = {"LSTM": LSTM, "GRU": GRU, "SimpleRNN": SimpleRNN}[cls](5, dtype="float64", **opts, **extra)
    theirs.build((None, 6, 4))
    weights = [rng.standard_normal(w.shape).astype(np.float32) * 0.5 for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours.build((None, 6, 4))
    ours.set_weights(weights)
    want = np.asarray(theirs(x, mask=mask))
    np.testing.assert_allclose(ours(x.astype(np.float64), mask=mask), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cls", [LSTM, GRU, SimpleRNN])
@pytest.mark.parametrize("seq,backwards", [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("N", [1, 3, 20])
def test_plain_inference_path_gives_the_full_paths_bits_and_gradients(cls, seq, backwards, N):
    """Inference calls without masks, states or dropout skip those branches; outputs and the ctx that
    backward uses must equal the full path's (taken here by asking for the mask path with an all-true
    mask, which the full path treats as no mask)."""
    rng = np.random.default_rng(N)
    layer = cls(6, return_sequences=seq, go_backwards=backwards)
    x = rng.standard_normal((N, 5, 4)).astype(np.float32)
    layer(x)  # builds
    plain, ctx = layer.forward(x)
    full, full_ctx = layer.forward(x, mask=np.ones((N, 5), bool))
    np.testing.assert_array_equal(plain, full)
    g = rng.standard_normal(plain.shape).astype(np.float32)
    for v in layer.trainable_weights:
        v.grad[...] = 0
    dx = layer.backward(ctx, g)
    grads = [v.grad.copy() for v in layer.trainable_weights]
    for v in layer.trainable_weights:
        v.grad[...] = 0
    dx_full = layer.backward(full_ctx, g)
    np.testing.assert_array_equal(dx, dx_full)
    for a, v in zip(grads, layer.trainable_weights):
        np.testing.assert_array_equal(a, v.grad)
    with pytest.raises(ValueError, match="features"):
        layer.forward(np.zeros((N, 5, 3), np.float32))
