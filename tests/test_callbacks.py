"""Callbacks driven by a minimal fit loop on a fake model implementing the callback contract."""
import csv
import math
import os
import warnings

import numpy as np
import pytest

from fastnn import callbacks, metrics


class FakeOptimizer:
    def __init__(self, learning_rate):
        self._lr = learning_rate

    @property
    def learning_rate(self):
        return self._lr

    @learning_rate.setter
    def learning_rate(self, value):
        self._lr = float(value)


class FakeModel:
    """The contract callbacks use: stop_training, get/set_weights, optimizer.learning_rate, metrics."""

    def __init__(self, learning_rate=0.1):
        self.stop_training = False
        self.weights = [np.zeros(3), np.zeros((2, 2))]
        self.optimizer = FakeOptimizer(learning_rate)
        self.metrics = []

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w, copy=True) for w in weights]


class SavingModel(FakeModel):
    def __init__(self):
        super().__init__()
        self.saved = []

    def save(self, path):
        with open(path, "w") as handle:
            handle.write(f"model {self.weights[0][0]}")
        self.saved.append(("save", path))

    def save_weights(self, path):
        with open(path, "w") as handle:
            handle.write(f"weights {self.weights[0][0]}")
        self.saved.append(("save_weights", path))


def fit(model, callback_list, epoch_logs, steps=2, batch_losses=None, verbose=0):
    """A Keras-shaped training loop: weights become epoch+1 during epoch `epoch`."""
    cbs = callbacks.CallbackList(callback_list, add_history=True, add_progbar=verbose != 0, model=model,
                                 verbose=verbose, epochs=len(epoch_logs), steps=steps)
    model.stop_training = False
    cbs.on_train_begin()
    for epoch, logs in enumerate(epoch_logs):
        cbs.on_epoch_begin(epoch)
        for batch in range(steps):
            cbs.on_train_batch_begin(batch)
            model.weights = [np.full_like(w, epoch + 1) for w in model.weights]
            loss = batch_losses[epoch][batch] if batch_losses else logs.get("loss", 1.0)
            cbs.on_train_batch_end(batch, {"loss": loss})
            if model.stop_training:
                break
        cbs.on_epoch_end(epoch, dict(logs))
        if model.stop_training:
            break
    cbs.on_train_end()
    return model.history


def test_history_and_callback_list():
    model = FakeModel()
    seen = []
    lam = callbacks.LambdaCallback(on_epoch_end=lambda e, l: seen.append((e, l["loss"])),
                                   on_train_begin=lambda logs: seen.append("begin"),
                                   on_test_begin=lambda logs: seen.append("test"))
    history = fit(model, [lam], [{"loss": 1.0, "val_loss": 2.0}, {"loss": 0.5, "val_loss": 1.5}])
    assert isinstance(history, callbacks.History) and model.history is history
    assert history.history == {"loss": [1.0, 0.5], "val_loss": [2.0, 1.5]}
    assert history.epoch == [0, 1]
    assert seen == ["begin", (0, 1.0), (1, 0.5)]
    cbs = callbacks.CallbackList([lam], add_history=True, add_progbar=True, model=model, verbose=1, epochs=1,
                                 steps=1)
    assert [type(c).__name__ for c in cbs] == ["LambdaCallback", "History", "ProgbarLogger"]
    cbs.on_test_begin()
    assert seen[-1] == "test"
    with pytest.raises(ValueError, match="Callback instances"):
        callbacks.CallbackList(["not a callback"])
    with pytest.raises(ValueError, match="unknown hook"):
        callbacks.LambdaCallback(on_epoch_ends=print)


def test_early_stopping_patience_and_restore_best_weights(capsys):
    model = FakeModel()
    stopper = callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True, verbose=1)
    logs = [{"val_loss": v} for v in (1.0, 0.5, 0.6, 0.7, 0.4, 0.3)]
    history = fit(model, [stopper], logs)
    assert history.epoch == [0, 1, 2, 3]  # best at epoch 1, two epochs without improvement, stop
    assert stopper.stopped_epoch == 3 and stopper.best == 0.5 and stopper.best_epoch == 1
    assert all(np.all(w == 2) for w in model.weights)  # weights at the end of epoch 1 (value 2)
    out = capsys.readouterr().out
    assert "Epoch 4: early stopping" in out and "best epoch: 2" in out


def test_early_stopping_min_delta_mode_baseline_and_warmup():
    model = FakeModel()
    # auto mode for accuracy-like names is max; improvements smaller than min_delta do not count
    stopper = callbacks.EarlyStopping(monitor="val_accuracy", min_delta=0.05, patience=1)
    history = fit(model, [stopper], [{"val_accuracy": v} for v in (0.5, 0.52, 0.9, 0.91, 0.92)])
    assert history.epoch == [0, 1]
    # An epoch that improves but does not beat the baseline does not restart the wait counter.
    values = [{"loss": v} for v in (1.0, 1.1, 1.2, 1.3)]
    history = fit(model, [callbacks.EarlyStopping(monitor="loss", baseline=0.1, patience=2)], values)
    assert history.epoch == [0, 1]
    history = fit(model, [callbacks.EarlyStopping(monitor="loss", patience=2)], values)
    assert history.epoch == [0, 1, 2]
    stopper = callbacks.EarlyStopping(monitor="loss", patience=0, start_from_epoch=2)
    history = fit(model, [stopper], [{"loss": v} for v in (1.0, 2.0, 3.0, 4.0)])
    assert history.epoch == [0, 1, 2, 3]


def test_early_stopping_uses_compiled_metric_direction_or_raises():
    model = FakeModel()
    model.metrics = [metrics.MeanSquaredError(name="custom")]
    stopper = callbacks.EarlyStopping(monitor="val_custom", patience=0)
    history = fit(model, [stopper], [{"val_custom": v} for v in (1.0, 2.0, 0.5)])
    assert history.epoch == [0, 1]  # 'custom' is an error metric: minimized
    with pytest.raises(ValueError, match="mode='max'"):
        fit(FakeModel(), [callbacks.EarlyStopping(monitor="zzz")], [{"zzz": 1.0}])
    with pytest.warns(UserWarning, match="not in the logs"):
        fit(FakeModel(), [callbacks.EarlyStopping(monitor="val_loss")], [{"loss": 1.0}])


def test_reduce_lr_on_plateau():
    model = FakeModel(learning_rate=1.0)
    reducer = callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_lr=0.3, cooldown=1)
    history = fit(model, [reducer], [{"val_loss": 1.0}] * 8)
    # Logged rates are those before the epoch's change. Epochs 1, 2 do not improve -> 0.5 at the end of
    # epoch 2; epoch 3 ends the cooldown and (as in Keras) already counts; epoch 4 -> max(0.25, min_lr).
    assert history.history["learning_rate"] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.3, 0.3, 0.3]
    assert model.optimizer.learning_rate == pytest.approx(0.3)
    with pytest.raises(ValueError, match="factor"):
        callbacks.ReduceLROnPlateau(factor=1.5)


def test_learning_rate_scheduler():
    model = FakeModel(learning_rate=1.0)
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch > 0 else lr)
    history = fit(model, [scheduler], [{"loss": 1.0}] * 3)
    assert history.history["learning_rate"] == [1.0, 0.5, 0.25]
    one_argument = callbacks.LearningRateScheduler(lambda epoch: 0.1 * (epoch + 1))
    history = fit(model, [one_argument], [{"loss": 1.0}] * 2)
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.2])
    with pytest.raises(ValueError, match="finite non-negative float"):
        fit(model, [callbacks.LearningRateScheduler(lambda epoch, lr: "fast")], [{"loss": 1.0}])


def test_terminate_on_nan(capsys):
    model = FakeModel()
    history = fit(model, [callbacks.TerminateOnNaN()], [{"loss": 1.0}] * 4, steps=3,
                  batch_losses=[[1.0, 1.0, 1.0], [1.0, float("nan"), 1.0], [1.0] * 3, [1.0] * 3])
    assert history.epoch == [0, 1]
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out
    model = FakeModel()
    fit(model, [callbacks.TerminateOnNaN()], [{"loss": 1.0}], batch_losses=[[math.inf, 1.0]])
    assert model.stop_training


def test_csv_logger(tmp_path):
    path = tmp_path / "log.csv"
    logs = [{"loss": 0.5, "val_loss": 0.7}, {"loss": 0.25, "val_loss": 0.6}]
    fit(FakeModel(), [callbacks.CSVLogger(path)], logs)
    rows = list(csv.reader(open(path)))
    assert rows == [["epoch", "loss", "val_loss"], ["0", "0.5", "0.7"], ["1", "0.25", "0.6"]]
    fit(FakeModel(), [callbacks.CSVLogger(path, append=True)], logs[:1])
    rows = list(csv.reader(open(path)))
    assert len(rows) == 4 and rows[3] == ["0", "0.5", "0.7"]  # no second header
    semi = tmp_path / "semi.csv"
    fit(FakeModel(), [callbacks.CSVLogger(semi, separator=";")], [{"loss": 1.5}])
    # Without validation logs Keras adds the val_ columns (filled with NA).
    assert open(semi).read().splitlines() == ["epoch;loss;val_loss", "0;1.5;NA"]


def test_model_checkpoint_with_save_methods(tmp_path):
    model = SavingModel()
    pattern = str(tmp_path / "ckpt" / "{epoch:02d}-{val_loss:.2f}.keras")
    checkpoint = callbacks.ModelCheckpoint(pattern, monitor="val_loss", save_best_only=True)
    fit(model, [checkpoint], [{"val_loss": v} for v in (0.9, 0.5, 0.7, 0.4)])
    names = sorted(os.listdir(tmp_path / "ckpt"))
    assert names == ["01-0.90.keras", "02-0.50.keras", "04-0.40.keras"]
    assert checkpoint.best == 0.4 and checkpoint.best_weights is None
    weights_only = callbacks.ModelCheckpoint(str(tmp_path / "w.weights.h5"), save_weights_only=True)
    fit(model, [weights_only], [{"val_loss": 1.0}])
    assert model.saved[-1] == ("save_weights", str(tmp_path / "w.weights.h5"))
    per_batch = callbacks.ModelCheckpoint(str(tmp_path / "b{epoch}-{batch}.keras"), save_freq=2)
    fit(model, [per_batch], [{"val_loss": 1.0}] * 2, steps=3)
    assert sorted(p for p in os.listdir(tmp_path) if p.startswith("b")) == ["b1-2.keras", "b2-1.keras",
                                                                          "b2-3.keras"]
    with pytest.raises(KeyError, match="val_acc"):
        fit(model, [callbacks.ModelCheckpoint(str(tmp_path / "{val_acc}.keras"))], [{"val_loss": 1.0}])
    with pytest.raises(ValueError, match="save_freq"):
        callbacks.ModelCheckpoint("x.keras", save_freq=0)


def test_model_checkpoint_without_save_keeps_weights_in_memory(tmp_path):
    model = FakeModel()
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "sub" / "best.keras"), monitor="val_accuracy",
                                           save_best_only=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit(model, [checkpoint], [{"val_accuracy": v} for v in (0.5, 0.8, 0.7, 0.6)])
    relevant = [w for w in caught if "cannot write model files" in str(w.message)]
    assert len(relevant) == 1 and issubclass(relevant[0].category, RuntimeWarning)
    assert not (tmp_path / "sub").exists()
    assert checkpoint.best == 0.8
    assert all(np.all(w == 2) for w in checkpoint.best_weights)  # weights of epoch 1 (value 2)
    model.set_weights(checkpoint.best_weights)
    assert np.all(model.weights[0] == 2)


def test_progbar_logger_non_tty(capsys):
    fit(FakeModel(), [], [{"loss": 0.5, "val_loss": 0.75}, {"loss": 0.25, "val_loss": 0.5}], steps=3, verbose=1)
    out = capsys.readouterr().out
    assert "\r" not in out
    lines = out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert lines[1].startswith("3/3 [==============================]")
    assert lines[1].endswith(" - loss: 0.5000 - val_loss: 0.7500")
    assert len(lines) == 4
    fit(FakeModel(), [], [{"loss": 0.5}], steps=3, verbose=2)
    line, = capsys.readouterr().out.splitlines()
    assert line.startswith("3/3 - ") and line.endswith("/step - loss: 0.5000")
    fit(FakeModel(), [], [{"loss": 0.5}], steps=3, verbose=0)
    assert capsys.readouterr().out == ""
