"""Learning-rate schedules (``keras.optimizers.schedules``): ``schedule(step) -> learning rate``.

An optimizer given a schedule evaluates it at its iteration count before each update (step 0 for the
first update), exactly as Keras does.
"""
import math

import numpy as np

from fastnn._checks import check_number
from fastnn._registry import find_class, serialize as _serialize, split_config

__all__ = ["LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay", "CosineDecay",
           "InverseTimeDecay", "serialize", "deserialize"]


def _step(step):
    return float(np.asarray(step))


class LearningRateSchedule:
    """Base class: ``__call__(step) -> float`` and a JSON ``get_config()``."""

    def __call__(self, step):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(step)")

    def get_config(self):
        raise NotImplementedError(f"{type(self).__name__} must implement get_config()")

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class _StepDecay(LearningRateSchedule):
    """The arguments ExponentialDecay and InverseTimeDecay share, and their decay progress
    ``p = step / decay_steps`` (``floor(p)`` if staircase); subclasses map p to a rate in ``__call__``."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase, name):
        who = type(self).__name__
        self.initial_learning_rate = check_number(initial_learning_rate, "initial_learning_rate", who,
                                                  low=0.0)
        self.decay_steps = check_number(decay_steps, "decay_steps", who, low=0.0, low_open=True)
        self.decay_rate = check_number(decay_rate, "decay_rate", who, low=0.0)
        self.staircase = bool(staircase)
        self.name = name

    def _progress(self, step):
        p = _step(step) / self.decay_steps
        return math.floor(p) if self.staircase else p

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class ExponentialDecay(_StepDecay):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)`` (floored exponent if staircase).

    Args:
        initial_learning_rate: non-negative float.
        decay_steps: positive number of steps per decay period.
        decay_rate: non-negative decay factor.
        staircase: decay in discrete intervals (floor of step / decay_steps).
        name: optional name.
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="ExponentialDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        return self.initial_learning_rate * self.decay_rate ** self._progress(step)


class InverseTimeDecay(_StepDecay):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)`` (floored ratio if staircase).

    Args:
        initial_learning_rate: non-negative float.
        decay_steps: positive number of steps.
        decay_rate: non-negative rate.
        staircase: use floor(step / decay_steps).
        name: optional name.
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="InverseTimeDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        return self.initial_learning_rate / (1.0 + self.decay_rate * self._progress(step))


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` for step <= boundaries[0], ``values[i]`` for boundaries[i-1] < step <= boundaries[i],
    ``values[-1]`` after the last boundary.

    Args:
        boundaries: increasing list of step numbers.
        values: list of learning rates, one more than boundaries.
        name: optional name.
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        who = "PiecewiseConstantDecay"
        boundaries, values = list(boundaries), list(values)
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"{who}: `values` must have exactly one more element than `boundaries`, received "
                             f"{len(boundaries)} boundaries and {len(values)} values")
        self.boundaries = [check_number(b, "boundaries", who) for b in boundaries]
        if any(b1 <= b0 for b0, b1 in zip(self.boundaries, self.boundaries[1:])):
            raise ValueError(f"{who}: `boundaries` must be strictly increasing, received {boundaries}")
        self.values = [check_number(v, "values", who, low=0.0) for v in values]
        self.name = name

    def __call__(self, step):
        step = _step(step)
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return value
        return self.values[-1]

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay with optional linear warmup (Keras 3).

    Without warmup: with s = min(step, decay_steps),
    ``lr = initial_learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)``.
    With warmup_target: for step < warmup_steps the rate rises linearly from initial_learning_rate to
    warmup_target; afterwards the cosine decays from warmup_target over decay_steps.

    Args:
        initial_learning_rate: non-negative float.
        decay_steps: positive number of decay steps.
        alpha: minimum rate as a fraction of the start of the decay (default 0).
        name: optional name.
        warmup_target: rate reached at the end of warmup (None: no warmup).
        warmup_steps: number of warmup steps (default 0).
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay", warmup_target=None,
                 warmup_steps=0):
        who = "CosineDecay"
        self.initial_learning_rate = check_number(initial_learning_rate, "initial_learning_rate", who,
                                                  low=0.0)
        self.decay_steps = check_number(decay_steps, "decay_steps", who, low=0.0, low_open=True)
        self.alpha = check_number(alpha, "alpha", who, low=0.0)
        self.warmup_target = None if warmup_target is None else check_number(warmup_target, "warmup_target", who,
                                                                        low=0.0)
        self.warmup_steps = check_number(warmup_steps, "warmup_steps", who, low=0.0)
        self.name = name

    def _decay(self, step, start_lr):
        cosine = 0.5 * (1.0 + math.cos(math.pi * step / self.decay_steps))
        return start_lr * ((1.0 - self.alpha) * cosine + self.alpha)

    def __call__(self, step):
        step = _step(step)
        if self.warmup_target is None:
            return self._decay(min(step, self.decay_steps), self.initial_learning_rate)
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            fraction = step / self.warmup_steps
            return (self.warmup_target - self.initial_learning_rate) * fraction + self.initial_learning_rate
        return self._decay(step - self.warmup_steps, self.warmup_target)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


_BY_NAME = {cls.__name__: cls for cls in (ExponentialDecay, PiecewiseConstantDecay, CosineDecay, InverseTimeDecay)}


def serialize(schedule):
    """Return ``{"class_name": ..., "config": ...}`` for a schedule."""
    return _serialize(schedule, LearningRateSchedule, "schedules.serialize")


def deserialize(config, custom_objects=None):
    """Build a schedule from ``{"class_name": ..., "config": ...}``."""
    name, kwargs = split_config(config, "schedules.deserialize", names=False)
    return find_class(name, _BY_NAME, "learning rate schedule", sorted(_BY_NAME), custom_objects).from_config(kwargs)
