"""fastnn.utils: to_categorical, normalize, pad_sequences, set_random_seed, Progbar, plot_history."""
import io
import random
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import fastnn
from fastnn import config, utils


@given(st.integers(1, 6).flatmap(lambda c: st.tuples(
    arrays(np.int64, st.tuples(st.integers(0, 5), st.integers(1, 3)), elements=st.integers(0, c - 1)), st.just(c))))
def test_to_categorical_matches_eye(data):
    labels, num_classes = data
    one_hot = utils.to_categorical(labels, num_classes)
    base_shape = labels.shape[:-1] if labels.shape[-1] == 1 else labels.shape  # Keras drops a trailing 1
    assert one_hot.shape == base_shape + (num_classes,)
    np.testing.assert_array_equal(one_hot.reshape(-1, num_classes), np.eye(num_classes)[labels.reshape(-1)])
    assert one_hot.dtype == np.dtype(config.floatx())


def test_to_categorical_semantics_and_errors():
    np.testing.assert_array_equal(utils.to_categorical([[1], [0], [2]]), np.eye(3)[[1, 0, 2]])
    np.testing.assert_array_equal(utils.to_categorical(np.array([1.0, 0.0])), [[0, 1], [1, 0]])
    assert utils.to_categorical([0, 1], num_classes=4).shape == (2, 4)
    with pytest.raises(ValueError, match="out of range"):
        utils.to_categorical([0, 4], num_classes=4)
    with pytest.raises(ValueError, match=">= 0"):
        utils.to_categorical([0, -1])
    with pytest.raises(ValueError, match="non-integral"):
        utils.to_categorical([0.5, 1])
    with pytest.raises(ValueError, match="empty"):
        utils.to_categorical([])
    with pytest.raises(ValueError, match="positive integer"):
        utils.to_categorical([0], num_classes=0)
    with pytest.raises(ValueError, match="integer class labels"):
        utils.to_categorical(["a"])


def test_normalize():
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x), [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x, axis=0, order=1), [[1.0, 1.0], [0.0, 0.0]])
    assert utils.normalize(np.array([[1, 1]])).dtype == np.dtype(config.floatx())


def test_pad_sequences():
    seqs = [[1, 2, 3], [4], []]
    np.testing.assert_array_equal(utils.pad_sequences(seqs), [[1, 2, 3], [0, 0, 4], [0, 0, 0]])
    np.testing.assert_array_equal(utils.pad_sequences(seqs, padding="post", value=-1),
                                  [[1, 2, 3], [4, -1, -1], [-1, -1, -1]])
    np.testing.assert_array_equal(utils.pad_sequences(seqs, maxlen=2), [[2, 3], [0, 4], [0, 0]])
    np.testing.assert_array_equal(utils.pad_sequences(seqs, maxlen=2, truncating="post"), [[1, 2], [0, 4], [0, 0]])
    assert utils.pad_sequences(seqs, maxlen=0).shape == (3, 0)
    assert utils.pad_sequences([]).shape == (0, 0)
    vectors = utils.pad_sequences([np.ones((2, 3)), np.ones((1, 3))], dtype="float32")
    assert vectors.shape == (2, 2, 3) and vectors[1, 0].sum() == 0 and vectors.dtype == np.float32
    assert utils.pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>")[1, 0] == "<pad>"
    with pytest.raises(ValueError, match="padding"):
        utils.pad_sequences(seqs, padding="middle")
    with pytest.raises(ValueError, match="truncating"):
        utils.pad_sequences(seqs, truncating="both")
    with pytest.raises(ValueError, match="position 1"):
        utils.pad_sequences([[1], 5])
    with pytest.raises(ValueError, match="position 1"):
        utils.pad_sequences([np.ones((1, 2)), np.ones((1, 3))], dtype="float32")
    with pytest.raises(ValueError, match="dtype=object"):
        utils.pad_sequences([["a"]], value="x")


def test_set_random_seed_reseeds_all_generators():
    def draw():
        return random.random(), np.random.rand(), config.rng().random()

    utils.set_random_seed(1234)
    first = draw()
    utils.set_random_seed(1234)
    assert draw() == first
    utils.set_random_seed(99)
    assert draw() != first
    with pytest.raises(ValueError, match="integer"):
        utils.set_random_seed(1.5)
    with pytest.raises(ValueError, match="non-negative"):
        utils.set_random_seed(-1)


def test_progbar_non_tty_prints_one_line_per_bar(capsys):
    bar = utils.Progbar(4, stateful_metrics=["lr"])
    for step, (loss, lr) in enumerate([(1.0, 0.1), (3.0, 0.2), (2.0, 0.3), (2.0, 0.4)], start=1):
        bar.update(step, [("loss", loss), ("lr", lr)])
    out = capsys.readouterr().out
    assert "\r" not in out and out.count("\n") == 1 and out.endswith("\n")
    assert out.startswith("4/4 [==============================] ")
    assert "step - loss: 2.0000 - lr: 0.4000" in out  # loss averaged over steps, lr shown as given
    bar = utils.Progbar(None, verbose=2)
    bar.add(3, [("loss", 1e-5)])
    assert capsys.readouterr().out == ""
    bar.update(5, [("loss", 1e-5)], finalize=True)
    assert capsys.readouterr().out.startswith("5/Unknown - ")
    quiet = utils.Progbar(2, verbose=0)
    quiet.update(2, [("loss", 1.0)])
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="verbose"):
        utils.Progbar(2, verbose=3)


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progbar_tty_redraws_in_place(monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    bar = utils.Progbar(3, interval=0.0)
    bar.update(1, [("loss", 1.0)])
    bar.update(2, [("loss", 1.0)])
    bar.update(3, [("loss", 1.0)])
    text = terminal.getvalue()
    assert text.count("\r") == 3 and text.endswith("\n") and text.count("\n") == 1
    assert "1/3 [==========>" in text and "ETA" in text


def test_plot_history(tmp_path, monkeypatch):
    history = {"loss": [1.0, 0.5], "val_loss": [1.2, 0.7], "accuracy": [0.5, 0.8]}
    with pytest.raises(ValueError, match="available"):
        utils.plot_history(history, metrics=["auc"])
    with pytest.raises(ValueError, match="History"):
        utils.plot_history([1, 2])
    for module in ("matplotlib", "matplotlib.pyplot", "matplotlib.figure"):
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        utils.plot_history(history, path=str(tmp_path / "h.png"))
    monkeypatch.undo()
    pytest.importorskip("matplotlib")
    figure = utils.plot_history(history, path=str(tmp_path / "h.png"))
    assert (tmp_path / "h.png").stat().st_size > 0
    assert len(figure.axes) == 2


def test_utils_is_reachable_from_package():
    import fastnn.utils

    assert fastnn.utils.to_categorical is utils.to_categorical
    assert hasattr(fastnn, "__version__")
