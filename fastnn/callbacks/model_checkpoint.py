"""ModelCheckpoint: save the model (or its weights) during training, every epoch or on improvement."""
import os
import warnings

import numpy as np

from fastnn.callbacks.callback import Callback
from fastnn.callbacks.monitor import check_mode, resolve_direction


class ModelCheckpoint(Callback):
    """Save the model or its weights at some frequency, optionally only when a metric improves.

    `filepath` may hold format fields filled from `epoch` (1-based), `batch` (with an integer
    save_freq) and the logs, e.g. 'ckpt/{epoch:02d}-{val_loss:.2f}.keras'. Missing directories are
    created.

    Saving calls `model.save(path)` (or `model.save_weights(path)` with save_weights_only). When the
    model has no such method (a build without the saving module), nothing is written: the weights that
    would have been saved are kept in memory in `best_weights` (a list of arrays, restore them with
    `model.set_weights(checkpoint.best_weights)`) and a warning says so once.

    Args:
        filepath: the target path (str or PathLike), possibly with format fields.
        monitor: the log name compared with save_best_only ('val_loss').
        verbose: 1 prints a message on each save.
        save_best_only: save only when `monitor` improves on the best value so far.
        save_weights_only: save only the weights (`model.save_weights`).
        mode: 'min', 'max' or 'auto'.
        save_freq: 'epoch', or a number of batches between saves.
        initial_value_threshold: the best value to beat at the start (save_best_only).

    Attributes:
        best: the best monitored value so far; best_weights: see above; last_filepath: the path of the
        last save (or of the one that would have been written).
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__()
        self.filepath = os.fspath(filepath)
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, (int, np.integer))
                                     or save_freq < 1):
            raise ValueError(f"ModelCheckpoint: save_freq must be 'epoch' or a positive integer number of "
                             f"batches, received {save_freq!r}")
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.mode = check_mode(mode, "ModelCheckpoint")
        self.save_freq = save_freq
        self.best = initial_value_threshold
        self.best_weights = None
        self.last_filepath = None
        self._direction = None
        self._warned_no_save = False
        self._batches_since_save = 0
        self._current_epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._current_epoch, batch, logs or {})

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs or {})

    def _format_path(self, epoch, batch, logs):
        fields = dict(logs)
        fields["epoch"] = epoch + 1
        if batch is not None and "batch" not in logs:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except (KeyError, IndexError, ValueError) as error:
            raise KeyError(f'ModelCheckpoint: failed to format the filepath "{self.filepath}": {error!r}. '
                           f"Available fields: {sorted(fields)}") from None

    def _save(self, epoch, batch, logs):
        path = self._format_path(epoch, batch, logs)
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {path}")
            self._write(path)
            return
        if self._direction is None:
            self._direction = resolve_direction(self.monitor, self.mode, self.model, "ModelCheckpoint",
                                                strict=False)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"ModelCheckpoint: can save the best model only with {self.monitor!r} in the logs; "
                          f"skipping. Available: {sorted(logs)}", stacklevel=2)
            return
        if isinstance(current, np.ndarray) and current.size != 1:
            warnings.warn(f"ModelCheckpoint: can save the best model only when {self.monitor!r} is a scalar; "
                          f"received shape {current.shape}", stacklevel=2)
            return
        current = float(current)
        improved = self.best is None or (current < self.best if self._direction == "min" else current > self.best)
        if improved:
            if self.verbose > 0:
                previous = "inf" if self.best is None else f"{self.best:.5f}"
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {previous} to {current:.5f}, "
                      f"saving model to {path}")
            self.best = current
            self._write(path)
        elif self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")

    def _write(self, path):
        method_name = "save_weights" if self.save_weights_only else "save"
        method = getattr(self.model, method_name, None)
        self.last_filepath = path
        if method is None:
            self.best_weights = [np.array(weight, copy=True) for weight in self.model.get_weights()]
            if not self._warned_no_save:
                self._warned_no_save = True
                warnings.warn(f"ModelCheckpoint: this fastnn build cannot write model files yet (the model "
                              f"has no {method_name}() method), so {path!r} was NOT written. The checkpointed "
                              "weights are kept in memory instead: restore them with "
                              "model.set_weights(checkpoint.best_weights).", RuntimeWarning, stacklevel=3)
            return
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        method(path)
