"""Recurrent layers inside models: mask propagation through Sequential, training, the digits LSTM."""
import numpy as np
import pytest

import fastnn
from fastnn.layers.embedding import Embedding, Masking
from fastnn.layers.recurrent import GRU, LSTM
from fastnn.layers.wrappers import Bidirectional, TimeDistributed

Dense = pytest.importorskip("fastnn.layers.core").Dense


def test_sequential_propagates_embedding_mask_and_trains():
    fastnn.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    idx = rng.integers(1, 20, (6, 7))
    idx[:, 5:] = 0
    idx[2, 3:] = 0
    emb, rnn, head = Embedding(20, 8, mask_zero=True), Bidirectional(GRU(4, return_sequences=True)), LSTM(3)
    model = fastnn.Sequential([emb, rnn, head, Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    got = model.predict(idx, verbose=0)
    m = idx != 0
    dense = model.layers[-1]
    np.testing.assert_allclose(got, dense(head(rnn(emb(idx), mask=m), mask=m)), rtol=1e-6, atol=1e-7)
    assert not np.allclose(got, dense(head(rnn(emb(idx))))), "the mask must matter for this data"
    before = [w.copy() for w in model.get_weights()]
    model.fit(idx, rng.integers(0, 2, 6), epochs=2, verbose=0)
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_masking_layer_in_sequential():
    fastnn.utils.set_random_seed(1)
    x = np.random.default_rng(1).standard_normal((4, 6, 3)).astype(np.float32)
    x[:, 4:] = 0.0
    padded = fastnn.Sequential([Masking(0.0), LSTM(5), Dense(1)])
    got = padded.predict(x, verbose=0)
    unpadded = fastnn.Sequential([LSTM(5), Dense(1)])
    unpadded.predict(x[:, :4], verbose=0)
    unpadded.set_weights(padded.get_weights())
    np.testing.assert_allclose(got, unpadded.predict(x[:, :4], verbose=0), rtol=1e-5, atol=1e-6)


def test_time_distributed_dense_after_lstm_trains():
    fastnn.utils.set_random_seed(2)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((16, 5, 3)).astype(np.float32)
    y = np.cumsum(x[..., :1], axis=1)  # running sum: needs memory across steps
    model = fastnn.Sequential([fastnn.Input((5, 3)), LSTM(16, return_sequences=True), TimeDistributed(Dense(1))])
    model.compile(optimizer=fastnn.optimizers.Adam(learning_rate=1e-2), loss="mse")
    history = model.fit(x, y, epochs=60, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.2 * losses[0]


def test_lstm_reads_digits_row_by_row():
    """The issue's learning bar: the bundled 8x8 digits, 8 steps of 8 features, >= 95% test accuracy."""
    fastnn.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = fastnn.datasets.digits.load_data()
    x_train, x_test = x_train.astype("float32") / 16.0, x_test.astype("float32") / 16.0
    model = fastnn.Sequential([fastnn.Input((8, 8)), LSTM(64), Dense(10, activation="softmax")])
    model.compile(optimizer=fastnn.optimizers.Adam(learning_rate=3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=20, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy >= 0.95
