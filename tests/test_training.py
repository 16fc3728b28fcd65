"""The Keras training loop: learning, History, validation, weights, bad input, threads, Ctrl-C, fork."""
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import fastnn
from fastnn import layers as L


def _mlp(input_dim=2, hidden=8, out=1, out_act="sigmoid", seed=0):
    fastnn.utils.set_random_seed(seed)
    return fastnn.Sequential([fastnn.Input((input_dim,)), L.Dense(hidden, activation="tanh"),
                              L.Dense(out, activation=out_act)])


def test_xor_is_learned_to_100_percent():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([[0], [1], [1], [0]], dtype=np.float32)
    model = _mlp()
    model.compile(optimizer=fastnn.optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=300, batch_size=4, verbose=0)
    assert history is model.history
    assert len(history.history["loss"]) == 300
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.evaluate(x, y, verbose=0)[1] == 1.0
    np.testing.assert_array_equal((model.predict(x) > 0.5).astype(np.float32), y)


def test_digits_mlp_reaches_97_percent():
    from fastnn.__main__ import build_demo_model, demo_data

    fastnn.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = demo_data("mlp")
    model = build_demo_model("mlp")
    model.fit(x_train, y_train, batch_size=32, epochs=40, verbose=0)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy >= 0.97, accuracy


def test_history_validation_split_and_metric_names():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((100, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = _mlp(4, out=2, out_act="softmax")
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=16, validation_split=0.2, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history.epoch == [0, 1, 2]
    # validation_data and evaluate agree on the same data
    h2 = model.fit(x[:80], y[:80], epochs=1, validation_data=(x[80:], y[80:]), verbose=0, shuffle=False)
    assert np.isfinite(h2.history["val_loss"][0])
    result = model.evaluate(x[80:], y[80:], verbose=0, return_dict=True)
    assert set(result) == {"loss", "accuracy"}


def test_train_test_predict_on_batch_formats():
    x = np.ones((4, 2), np.float32)
    y = np.zeros((4, 1), np.float32)
    model = _mlp()
    model.compile("sgd", "mse")
    assert isinstance(model.train_on_batch(x, y), float)
    assert isinstance(model.test_on_batch(x, y), float)
    model.compile("sgd", "mse", metrics=["mae"])
    loss, mae = model.train_on_batch(x, y)
    assert model.test_on_batch(x, y, return_dict=True).keys() == {"loss", "mae"}
    assert model.predict_on_batch(x).shape == (4, 1)


def test_sample_and_class_weights_change_the_loss():
    x = np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)
    y = np.array([[1.0], [0.0]], np.float32)
    model = _mlp()
    model.compile("sgd", "mse")
    plain = model.test_on_batch(x, y)
    weighted = model.test_on_batch(x, y, sample_weight=np.array([1.0, 0.0]))
    p = model.predict(x)
    np.testing.assert_allclose(plain, np.mean((p - y) ** 2), rtol=1e-5)
    np.testing.assert_allclose(weighted, (p[0, 0] - 1) ** 2 / 2, rtol=1e-5)
    before = model.get_weights()
    model.fit(x, y, class_weight={0: 1.0, 1: 0.0}, epochs=1, verbose=0, shuffle=False)
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_get_set_weights_keras_order_and_validation():
    model = _mlp(3, hidden=4)
    shapes = [w.shape for w in model.get_weights()]
    assert shapes == [(3, 4), (4,), (4, 1), (1,)]
    new = [np.full(s, 0.5, np.float32) for s in shapes]
    model.set_weights(new)
    np.testing.assert_array_equal(model.get_weights()[2], new[2])
    with pytest.raises(ValueError, match="expects 4 weight arrays"):
        model.set_weights(new[:3])


def _assert_still_works(model, x, y):
    before = model.predict(x)
    model.fit(x, y, epochs=1, verbose=0)
    assert np.all(np.isfinite(model.predict(x)))
    assert before.shape == model.predict(x).shape


def test_bad_inputs_raise_clear_errors_and_change_nothing():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 4)).astype(np.float32)
    y = rng.integers(0, 3, 20)
    model = _mlp(4, out=3, out_act="softmax")
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    weights = model.get_weights()
    cases = [
        ((x[:, :3], y), r"expected input of shape \(None, 4\)"),
        ((x, y[:10]), "different numbers of samples"),
        ((x[:0], y[:0]), "empty"),
        ((np.where(np.arange(80).reshape(20, 4) == 5, np.nan, x), y), "NaN or infinite"),
        ((x, np.where(np.arange(20) == 3, 7, y)), r"labels must be integers in \[0, 3\), received 7"),
        ((x.astype(str), y), "numbers|numeric"),
    ]
    for (bx, by), pattern in cases:
        with pytest.raises(ValueError, match=pattern):
            model.fit(bx, by, epochs=1, verbose=0)
        for a, b in zip(weights, model.get_weights()):
            np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="batch_size"):
        model.fit(x, y, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match="Unknown|valid"):
        model.compile("adamm", "mse")
    with pytest.raises(ValueError, match="Unknown|valid"):
        model.compile("adam", "msee")
    with pytest.raises(RuntimeError, match="compile"):
        _mlp().fit(x[:, :2], y, verbose=0)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    _assert_still_works(model, x, y)


def test_non_contiguous_and_read_only_inputs_are_accepted():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 8)).astype(np.float64)[:, ::2]
    x.flags.writeable = False
    y = np.asarray(rng.integers(0, 2, 20), dtype=np.float32).reshape(-1, 1)
    model = _mlp(4)
    model.compile("adam", "binary_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    assert model.predict(x).dtype == np.float32


def _train_weights(threads, seed=0):
    fastnn.set_num_threads(threads)
    try:
        rng = np.random.default_rng(1)
        x = rng.standard_normal((256, 300)).astype(np.float32)
        y = rng.integers(0, 10, 256)
        fastnn.utils.set_random_seed(seed)
        model = fastnn.Sequential([fastnn.Input((300,)), L.Dense(256, activation="relu"), L.Dropout(0.2),
                                   L.Dense(128, activation="relu"), L.Dense(10)])
        model.compile("adam", fastnn.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(x, y, batch_size=64, epochs=2, verbose=0)
        return model.get_weights()
    finally:
        fastnn.set_num_threads(2)


def test_training_is_bit_identical_for_1_2_3_threads():
    reference = _train_weights(1)
    for threads in (2, 3):
        for a, b in zip(reference, _train_weights(threads)):
            np.testing.assert_array_equal(a, b)


def test_same_seed_same_result_different_seed_differs():
    a, b, c = _train_weights(2, 0), _train_weights(2, 0), _train_weights(2, 1)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert not all(np.array_equal(u, v) for u, v in zip(a, c))


def test_ctrl_c_stops_between_batches_and_model_keeps_working():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((512, 4)).astype(np.float32)
    y = rng.standard_normal((512, 1)).astype(np.float32)
    model = _mlp(4, out=1, out_act=None)
    model.compile("sgd", "mse")
    steps_done = []

    class Interrupter(fastnn.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            steps_done.append(batch)
            if batch == 3:
                os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=8, epochs=5, verbose=0, callbacks=[Interrupter()])
    assert steps_done[-1] == 3  # stopped right after the step during which Ctrl-C arrived
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    _assert_still_works(model, x, y)


def test_memory_stays_flat_over_many_steps():
    import resource

    x = np.random.default_rng(0).standard_normal((64, 32)).astype(np.float32)
    y = np.zeros((64, 1), np.float32)
    model = _mlp(32, hidden=64, out=1, out_act=None)
    model.compile("adam", "mse")
    for _ in range(200):
        model.train_on_batch(x, y)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(2000):
        model.train_on_batch(x, y)
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kb < 20_000, grown_kb


def _models_for_cycle_check():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 16)
    cnn = fastnn.Sequential([fastnn.Input((6, 6, 1)), L.Conv2D(2, 3, activation="relu"), L.MaxPooling2D(),
                             L.Dropout(0.2), L.Flatten(), L.Dense(3)])
    yield cnn, rng.random((16, 6, 6, 1), dtype=np.float32), y
    rnn = fastnn.Sequential([fastnn.Input((4,)), L.Embedding(9, 3, mask_zero=True),
                             L.Bidirectional(L.LSTM(2, return_sequences=True)), L.GRU(2), L.Dense(3)])
    yield rnn, rng.integers(0, 9, (16, 4)), y
    inp = fastnn.Input((5,))
    a, b = L.Dense(4, activation="relu")(inp), L.Dense(4)(inp)
    yield fastnn.Model(inp, L.Dense(3)(L.Concatenate()([a, b]))), rng.random((16, 5), dtype=np.float32), y


def test_training_and_inference_create_no_reference_cycles():
    """Every step's activations and gradients must be freed by reference counting when the step ends. A
    cycle (a recursive closure in the tape once was one) keeps them alive until the cyclic GC runs:
    the cnn workload's peak RSS was 720 MB instead of 160 MB."""
    import gc

    for model, x, y in _models_for_cycle_check():
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        gc.collect()
        gc.disable()
        try:
            model.train_on_batch(x, y)
            model.fit(x, y, batch_size=8, epochs=1, verbose=0, validation_split=0.25)
            model.predict(x, verbose=0)
            model.predict_on_batch(x[:1])
            model.evaluate(x, y, verbose=0)
            found = gc.collect()
        finally:
            gc.enable()
        assert found == 0, f"{found} objects in reference cycles after steps of {model.name}"


FAULTS = textwrap.dedent("""
    import resource, numpy as np, fastnn
    from fastnn import layers as L
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, 64)
    m = fastnn.Sequential([fastnn.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
                           L.Flatten(), L.Dense(10)])
    m.compile("adam", fastnn.losses.SparseCategoricalCrossentropy(from_logits=True))
    for _ in range(5):
        m.train_on_batch(x, y)
    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(10):
        m.train_on_batch(x, y)
    print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0) / 10)
""")


@pytest.mark.skipif(not sys.platform.startswith("linux") or "glibc" not in " ".join(__import__("platform").libc_ver()),
                    reason="the allocator setting is glibc's mallopt")
def test_compiled_model_steps_reuse_freed_memory(tmp_path):
    """After compile(), steady-state training steps reuse freed activation memory instead of faulting
    fresh pages in (glibc trimmed the heap after every step: ~1500 faults per step of this model)."""
    def faults(opt_in):
        # the child imports the same fastnn as this test (installed or in-place build), run from elsewhere
        env = dict(os.environ, FASTNN_KEEP_FREED_MEMORY=opt_in, OMP_NUM_THREADS="1",
                   PYTHONPATH=os.path.dirname(os.path.dirname(fastnn.__file__)))
        out = subprocess.run([sys.executable, "-c", FAULTS], capture_output=True, text=True, env=env, timeout=120,
                             cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        return float(out.stdout.split()[-1])

    assert faults("1") < 100
    assert faults("0") > 300  # the opt-out really leaves glibc's default (and the check can fail)


CHILD = textwrap.dedent("""
    import multiprocessing as mp, sys
    import numpy as np, fastnn
    from fastnn import layers as L

    def work(_=None):
        fastnn.utils.set_random_seed(0)
        m = fastnn.Sequential([fastnn.Input((200,)), L.Dense(300, activation="relu"), L.Dense(1)])
        m.compile("adam", "mse")
        x = np.ones((256, 200), np.float32)
        m.fit(x, np.ones((256, 1), np.float32), epochs=1, verbose=0)
        return float(m.predict(x)[0, 0])

    if __name__ == "__main__":
        parent = work()             # OpenMP threads exist in the parent before forking
        for method in ("fork", "spawn"):
            with mp.get_context(method).Pool(2) as pool:
                results = pool.map(work, range(2))
            assert results == [parent, parent], (method, results, parent)
            print(method, results)
""")


def test_child_processes_fork_and_spawn_do_not_hang(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    # The child must import the same fastnn as this test (installed or in-place build).
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(fastnn.__file__)))
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert "fork" in result.stdout and "spawn" in result.stdout


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dense_chain_inference_matches_layer_by_layer_bits(dtype):
    """Sequential inference runs consecutive plain Dense layers as one native call (_gemm.dense_chain);
    the result must be the bits of running each layer's forward, for every elementwise activation, and
    the other layers, non-contiguous inputs and >2-D inputs still take the per-layer path."""
    rng = np.random.default_rng(3)
    acts = ["relu", "tanh", "sigmoid", "gelu", "selu", "elu", "softplus", "swish", "linear", "leaky_relu",
            "hard_sigmoid", "softsign"]
    body = [L.Dense(9, activation=a) for a in acts] + [L.Dropout(0.3), L.Dense(5), L.Dense(4, activation="softmax")]
    model = fastnn.Sequential([fastnn.Input((7,))] + body, dtype=dtype)
    for x in (rng.standard_normal((1, 7)), rng.standard_normal((6, 7)), rng.standard_normal((7, 6)).T):
        x = x.astype(dtype)
        want = x
        for layer in model.layers:
            want = layer.forward(np.ascontiguousarray(want), training=False)[0]
        got = model.predict_on_batch(x)
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(model(x), want)
    plan = model._plain_inference_layers()
    assert isinstance(plan[0], tuple) and len(plan[0]) == len(acts)  # the chain really ran
    seq = fastnn.Sequential([fastnn.Input((3, 7)), L.Dense(4, activation="relu"), L.Dense(2)])
    x3 = rng.standard_normal((2, 3, 7)).astype("float32")
    want = seq.layers[1].forward(seq.layers[0].forward(x3)[0])[0]
    np.testing.assert_array_equal(seq.predict_on_batch(x3), want)
    with pytest.raises(ValueError, match="expected input of shape"):
        model.predict_on_batch(np.zeros((1, 8), dtype))


def test_recurrent_sequential_inference_takes_the_plain_plan_unless_a_layer_makes_masks():
    """Recurrent layers and wrappers only pass masks on, so a Sequential of them runs inference by the
    plain plan (forward() per step, Dense runs chained) with the per-layer path's bits; a mask-making
    Embedding, or states returned as a list, keep the mask-aware per-layer path."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 6, 4)).astype(np.float32)
    model = fastnn.Sequential([fastnn.Input((6, 4)), L.LSTM(8, return_sequences=True),
                               L.Bidirectional(L.GRU(5, return_sequences=True)), L.TimeDistributed(L.Dense(3)),
                               L.SimpleRNN(4), L.Dense(2)])
    assert model._plain_inference_layers() is not None
    want = x
    for layer in model.layers:
        want = layer.forward(want)[0]
    np.testing.assert_array_equal(model.predict_on_batch(x), want)
    np.testing.assert_array_equal(model(x), want)

    ids = np.array([[3, 1, 0, 0], [2, 2, 2, 0]])
    masked = fastnn.Sequential([fastnn.Input((4,)), L.Embedding(5, 3, mask_zero=True), L.LSTM(4)])
    assert masked._plain_inference_layers() is None
    emb, lstm = masked.layers
    np.testing.assert_array_equal(masked.predict_on_batch(ids),
                                  lstm.forward(emb.forward(ids)[0], mask=ids != 0)[0])
    states = fastnn.Sequential([fastnn.Input((6, 4)), L.LSTM(3, return_state=True)])
    assert states._plain_inference_layers() is None
