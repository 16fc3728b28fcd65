"""Stochastic gradient descent with optional (Nesterov) momentum."""
from fastnn._checks import check_number
from fastnn._native import _optim
from fastnn.optimizers.base import Optimizer


class SGD(Optimizer):
    """Gradient descent (Keras 3 ``keras.optimizers.SGD``).

    momentum == 0: ``w -= lr * g``. Otherwise, with velocity v (starts at 0):
    ``v = momentum * v - lr * g``; ``w += v`` (nesterov: ``w += momentum * v - lr * g``).

    Args:
        learning_rate: float >= 0 or a schedule (default 0.01).
        momentum: float in [0, 1] (default 0).
        nesterov: use Nesterov momentum (default False).
        **kwargs: base Optimizer arguments (weight_decay, clipnorm, clipvalue, global_clipnorm, name, ...).
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.momentum = check_number(momentum, "momentum", "SGD", low=0.0, high=1.0)
        self.nesterov = bool(nesterov)

    def _slot_names(self):
        return ["momentum"] if self.momentum != 0 else []

    def _update(self, value, grad, slots, step, grad_scale, clip_value, decay, n_threads):
        velocity = slots[0] if slots else None
        _optim.sgd(value, grad, velocity, step["lr"], self.momentum, self.nesterov, grad_scale, clip_value,
                   decay, n_threads)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return cfg
