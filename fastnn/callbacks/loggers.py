"""Callbacks that record or display training: History, ProgbarLogger, CSVLogger."""
import collections.abc
import csv
import os

import numpy as np

from fastnn.callbacks.callback import Callback
from fastnn.utils.progbar import Progbar


def _plain(value):
    """numpy scalars -> Python numbers so histories are plain JSON-friendly data."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    return value


class History(Callback):
    """Records the epoch logs; `fit` returns it and sets `model.history` to it.

    Attributes:
        history: dict name -> list of values, one per epoch ({'loss': [...], 'val_loss': [...]}).
        epoch: list of the epoch indices recorded.
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def set_model(self, model):
        super().set_model(model)
        model.history = self

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(_plain(value))
        if self.model is not None:
            self.model.history = self


class ProgbarLogger(Callback):
    """Prints 'Epoch i/n' and a Progbar per epoch (and for evaluate/predict called on their own).

    Reads 'verbose' (0 silent, 1 bar, 2 one line per epoch; 'auto' means 1), 'epochs' and 'steps'
    from the loop's params. Logs are shown as given: the loop's logs are already running means.
    """

    def __init__(self):
        super().__init__()
        self.seen = 0
        self.progbar = None
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def on_train_begin(self, logs=None):
        self._called_in_fit = True

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset()

    def on_predict_begin(self, logs=None):
        self._reset()

    def on_epoch_begin(self, epoch, logs=None):
        self._reset()
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}", flush=True)

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._update(batch, None)

    def on_epoch_end(self, epoch, logs=None):
        self._finalize(logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize(logs)

    def on_predict_end(self, logs=None):
        self._finalize(logs)

    def _reset(self):
        self.seen = 0
        self.progbar = None

    def _bar(self):
        if self.progbar is None:
            self.progbar = Progbar(target=self.target, verbose=self.verbose, unit_name="step")
        return self.progbar

    def _items(self, logs):
        items = [(name, _plain(value)) for name, value in (logs or {}).items()]
        bar = self._bar()
        bar.stateful_metrics.update(name for name, _ in items)
        return items

    def _update(self, batch, logs):
        self.seen = batch + 1
        items = self._items(logs)
        if self.verbose == 1:
            self.progbar.update(self.seen, items, finalize=False)

    def _finalize(self, logs):
        items = self._items(logs)
        if self.target is None:
            self.progbar.target = self.seen
        self.progbar.update(self.progbar.target, items, finalize=True)


class CSVLogger(Callback):
    """Streams the epoch logs to a CSV file: a header row, then one row per epoch.

    Columns are 'epoch' then the log names in sorted order, fixed at the first epoch; when that epoch
    has no 'val_' entries, 'val_' columns are added for every name (as Keras does, so validation run
    every few epochs still fits); missing values are written as 'NA'.

    Args:
        filename: the CSV file path.
        separator: the field separator (',').
        append: append to an existing file (the header is written only if the file is empty).
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"CSVLogger: separator must be a single character, received {separator!r}")
        self.sep = separator
        self.append = append
        self.keys = None
        self.writer = None
        self.csv_file = None
        self.append_header = True

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, "r", newline="") as existing:
                    self.append_header = not existing.readline()
            mode = "a"
        else:
            mode = "w"
        self.keys = None
        self.writer = None
        self.csv_file = open(self.filename, mode, newline="")

    @staticmethod
    def _cell(value):
        value = _plain(value)
        if isinstance(value, str):
            return value
        if isinstance(value, collections.abc.Iterable):
            return f"[{', '.join(map(str, value))}]"
        return value

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.csv_file is None:
            self.on_train_begin()
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys += ["val_" + key for key in self.keys]
        if self.writer is None:
            self.writer = csv.writer(self.csv_file, delimiter=self.sep, lineterminator="\n")
            if self.append_header:
                self.writer.writerow(["epoch"] + self.keys)
        self.writer.writerow([epoch] + [self._cell(logs.get(key, "NA")) for key in self.keys])
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None:
            self.csv_file.close()
        self.csv_file = None
        self.writer = None
