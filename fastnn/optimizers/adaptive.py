"""Per-coordinate adaptive optimizers: Adagrad, Adadelta and RMSprop (Keras 3 formulas)."""
import numpy as np

from fastnn._checks import check_number
from fastnn._native import _optim
from fastnn.optimizers.base import Optimizer


class Adagrad(Optimizer):
    """Adagrad (Keras 3): ``acc += g**2``; ``w -= lr * g / sqrt(acc + epsilon)``.

    Args:
        learning_rate: float >= 0 or a schedule (default 0.001).
        initial_accumulator_value: starting value of the accumulators, >= 0 (default 0.1).
        epsilon: small constant >= 0 inside the square root (default 1e-7).
        **kwargs: base Optimizer arguments.
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, name="adagrad", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.initial_accumulator_value = check_number(initial_accumulator_value, "initial_accumulator_value",
                                                      "Adagrad", low=0.0)
        self.epsilon = check_number(epsilon, "epsilon", "Adagrad", low=0.0)

    def _slot_names(self):
        return ["accumulator"]

    def _create_slots(self, value):
        return [np.full_like(value, self.initial_accumulator_value)]

    def _update(self, value, grad, slots, step, grad_scale, clip_value, decay, n_threads):
        _optim.adagrad(value, grad, slots[0], step["lr"], self.epsilon, grad_scale, clip_value, decay, n_threads)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"initial_accumulator_value": self.initial_accumulator_value, "epsilon": self.epsilon})
        return cfg


class Adadelta(Optimizer):
    """Adadelta (Keras 3).

    ``Eg = rho Eg + (1 - rho) g**2``; ``d = -sqrt(Ed + eps) g / sqrt(Eg + eps)``;
    ``Ed = rho Ed + (1 - rho) d**2``; ``w += lr d`` (Eg, Ed start at 0).

    Args:
        learning_rate: float >= 0 or a schedule (default 0.001).
        rho: decay rate in [0, 1) (default 0.95).
        epsilon: small constant >= 0 (default 1e-7).
        **kwargs: base Optimizer arguments.
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, name="adadelta", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = check_number(rho, "rho", "Adadelta", low=0.0, high=1.0, high_open=True)
        self.epsilon = check_number(epsilon, "epsilon", "Adadelta", low=0.0)

    def _slot_names(self):
        return ["accumulated_grad", "accumulated_delta_var"]

    def _update(self, value, grad, slots, step, grad_scale, clip_value, decay, n_threads):
        _optim.adadelta(value, grad, slots[0], slots[1], step["lr"], self.rho, self.epsilon, grad_scale,
                        clip_value, decay, n_threads)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"rho": self.rho, "epsilon": self.epsilon})
        return cfg


class RMSprop(Optimizer):
    """RMSprop (Keras 3).

    ``v = rho v + (1 - rho) g**2``; centered: ``a = rho a + (1 - rho) g`` and
    ``den = v - a**2 + eps``, else ``den = v + eps``; ``inc = lr g / sqrt(den)``;
    momentum > 0: ``m = momentum m + inc``, ``w -= m``; else ``w -= inc``.

    Args:
        learning_rate: float >= 0 or a schedule (default 0.001).
        rho: discounting factor in [0, 1) (default 0.9).
        momentum: in [0, 1) (default 0).
        epsilon: small constant >= 0 (default 1e-7).
        centered: normalize by the estimated variance of the gradient (default False).
        **kwargs: base Optimizer arguments.
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, name="rmsprop",
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = check_number(rho, "rho", "RMSprop", low=0.0, high=1.0, high_open=True)
        self.momentum = check_number(momentum, "momentum", "RMSprop", low=0.0, high=1.0, high_open=True)
        self.epsilon = check_number(epsilon, "epsilon", "RMSprop", low=0.0)
        self.centered = bool(centered)

    def _slot_names(self):
        names = ["velocity"]
        if self.momentum > 0:
            names.append("momentum")
        if self.centered:
            names.append("average_gradient")
        return names

    def _update(self, value, grad, slots, step, grad_scale, clip_value, decay, n_threads):
        named = dict(zip(self._slot_names(), slots))
        _optim.rmsprop(value, grad, named["velocity"], named.get("momentum"), named.get("average_gradient"),
                       step["lr"], self.rho, self.momentum, self.epsilon, grad_scale, clip_value, decay, n_threads)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                    "centered": self.centered})
        return cfg
