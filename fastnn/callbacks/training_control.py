"""Callbacks that steer training: EarlyStopping, ReduceLROnPlateau, LearningRateScheduler, TerminateOnNaN."""
import inspect
import math
import warnings

import numpy as np

from fastnn.callbacks.callback import Callback
from fastnn.callbacks.monitor import check_mode, resolve_direction


def _scalar(value):
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    return value


def get_learning_rate(model, who):
    """The optimizer's current learning rate as a float (clear errors when there is none)."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(f"{who}: the model's optimizer must have a `learning_rate` attribute "
                         "(compile the model first)")
    try:
        return float(optimizer.learning_rate)
    except (TypeError, ValueError):
        raise ValueError(f"{who}: the optimizer's learning_rate is not a number "
                         f"({optimizer.learning_rate!r}); a learning-rate schedule cannot be changed by "
                         "this callback") from None


def set_learning_rate(model, value):
    model.optimizer.learning_rate = float(value)


class EarlyStopping(Callback):
    """Stop training when a monitored quantity has stopped improving.

    Each epoch (from `start_from_epoch` on) the value is compared with the best so far: it improves
    when it beats the best by more than `min_delta` in the right direction. After `patience` epochs
    without improvement `model.stop_training` is set. With a `baseline`, the wait counter only restarts
    on values that also beat the baseline.

    Args:
        monitor: the log name to watch ('val_loss').
        min_delta: the smallest change that counts as an improvement (absolute value).
        patience: epochs without improvement before stopping.
        verbose: 1 prints a message when stopping / restoring.
        mode: 'min', 'max' or 'auto' (from the name or the compiled metric).
        baseline: a value the monitored quantity must beat.
        restore_best_weights: at the end of training, set the weights of the best epoch (only if an
            epoch was monitored).
        start_from_epoch: epochs of warm-up before monitoring starts.

    Attributes:
        stopped_epoch: the epoch at which training was stopped (0 if it was not).
        best, best_epoch, best_weights, wait.
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be a non-negative integer, received {patience!r}")
        self.monitor = monitor
        self.min_delta = abs(min_delta)
        self.patience = int(patience)
        self.verbose = verbose
        self.mode = check_mode(mode, "EarlyStopping")
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self._direction = None
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def _is_improvement(self, value, reference):
        if reference is None:
            return True
        if self._direction == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def on_epoch_end(self, epoch, logs=None):
        if self._direction is None:
            self._direction = resolve_direction(self.monitor, self.mode, self.model, "EarlyStopping", strict=True)
        logs = logs or {}
        current = _scalar(logs.get(self.monitor))
        if current is None:
            warnings.warn(f"EarlyStopping is conditioned on {self.monitor!r}, which is not in the logs. "
                          f"Available: {sorted(logs)}", stacklevel=2)
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by `factor` when a monitored quantity stops improving.

    An epoch improves when the value beats the best by more than `min_delta`. After `patience` epochs
    without improvement: `lr = max(lr * factor, min_lr)`, then `cooldown` epochs pass before waiting
    starts again. The current learning rate is added to the epoch logs as 'learning_rate'.

    Args:
        monitor: the log name to watch ('val_loss').
        factor: the multiplier, in (0, 1).
        patience: epochs without improvement before reducing.
        verbose: 1 prints a message on each reduction.
        mode: 'min', 'max' or 'auto'.
        min_delta: threshold for an improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: lower bound of the learning rate.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0.0, **kwargs):
        super().__init__()
        if "epsilon" in kwargs:
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau: unexpected arguments {sorted(kwargs)}")
        if not 0.0 < factor < 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1), received factor={factor}")
        self.monitor = monitor
        self.factor = float(factor)
        self.patience = patience
        self.verbose = verbose
        self.mode = check_mode(mode, "ReduceLROnPlateau")
        self.min_delta = min_delta
        self.cooldown = cooldown
        self.min_lr = min_lr
        self._direction = None
        self._reset()

    def _reset(self):
        self.best = None
        self.wait = 0
        self.cooldown_counter = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def _improved(self, value):
        if self.best is None:
            return True
        if self._direction == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, epoch, logs=None):
        if self._direction is None:
            self._direction = resolve_direction(self.monitor, self.mode, self.model, "ReduceLROnPlateau",
                                                strict=False)
        logs = {} if logs is None else logs
        logs["learning_rate"] = get_learning_rate(self.model, "ReduceLROnPlateau")
        current = _scalar(logs.get(self.monitor))
        if current is None:
            warnings.warn(f"ReduceLROnPlateau is conditioned on {self.monitor!r}, which is not in the logs. "
                          f"Available: {sorted(logs)}", stacklevel=2)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improved(current):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = logs["learning_rate"]
                if old_lr > np.float32(self.min_lr):
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    set_learning_rate(self.model, new_lr)
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch to `schedule(epoch, lr)`.

    Args:
        schedule: a function `(epoch, lr) -> new_lr` (epoch is 0-based); a one-argument
            `(epoch) -> new_lr` is accepted too.
        verbose: 1 prints the new rate each epoch.
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise ValueError(f"LearningRateScheduler: schedule must be callable, received {schedule!r}")
        self.schedule = schedule
        self.verbose = verbose
        self._takes_lr = self._accepts_two_arguments(schedule)

    @staticmethod
    def _accepts_two_arguments(function):
        try:
            signature = inspect.signature(function)
        except (TypeError, ValueError):
            return True
        positional = [p for p in signature.parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        has_varargs = any(p.kind == p.VAR_POSITIONAL for p in signature.parameters.values())
        return has_varargs or len(positional) >= 2

    def on_epoch_begin(self, epoch, logs=None):
        lr = get_learning_rate(self.model, "LearningRateScheduler")
        new_lr = self.schedule(epoch, lr) if self._takes_lr else self.schedule(epoch)
        new_lr = _scalar(new_lr)
        if isinstance(new_lr, bool) or not isinstance(new_lr, (int, float, np.integer, np.floating)) \
                or not math.isfinite(new_lr) or new_lr < 0:
            raise ValueError("LearningRateScheduler: the schedule must return a finite non-negative float, "
                             f"received {new_lr!r} at epoch {epoch}")
        set_learning_rate(self.model, float(new_lr))
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(new_lr)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = get_learning_rate(self.model, "LearningRateScheduler")


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite."""

    def on_batch_end(self, batch, logs=None):
        loss = _scalar((logs or {}).get("loss"))
        if loss is not None and not math.isfinite(float(loss)):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
