"""Adam, AdamW and Nadam (Keras 3 formulas)."""
import math

from fastnn._checks import check_number
from fastnn._native import _optim
from fastnn.optimizers.base import Optimizer


def _check_betas(who, beta_1, beta_2, epsilon):
    return (check_number(beta_1, "beta_1", who, low=0.0, high=1.0, high_open=True),
            check_number(beta_2, "beta_2", who, low=0.0, high=1.0, high_open=True),
            check_number(epsilon, "epsilon", who, low=0.0))


class Adam(Optimizer):
    """Adam (Keras 3), at step t = iterations + 1:

    ``alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)``; ``m += (g - m) * (1 - beta_1)``;
    ``v += (g**2 - v) * (1 - beta_2)``; amsgrad: ``v_hat = max(v_hat, v)`` replaces v;
    ``w -= alpha * m / (sqrt(v) + epsilon)`` (epsilon added to sqrt(v), as Keras does).

    Args:
        learning_rate: float >= 0 or a schedule (default 0.001).
        beta_1: first-moment decay in [0, 1) (default 0.9).
        beta_2: second-moment decay in [0, 1) (default 0.999).
        epsilon: small constant >= 0 (default 1e-7).
        amsgrad: keep the running maximum of v (default False).
        **kwargs: base Optimizer arguments (weight_decay, clipnorm, ...).
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, name="adam",
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = _check_betas(type(self).__name__, beta_1, beta_2, epsilon)
        self.amsgrad = bool(amsgrad)

    def _slot_names(self):
        return ["momentum", "velocity"] + (["velocity_hat"] if self.amsgrad else [])

    def _begin_step(self, lr):
        t = self.iterations + 1
        return {"lr": lr, "alpha": lr * math.sqrt(1.0 - self.beta_2 ** t) / (1.0 - self.beta_1 ** t)}

    def _update(self, value, grad, slots, step, grad_scale, clip_value, decay, n_threads):
        v_hat = slots[2] if self.amsgrad else None
        _optim.adam(value, grad, slots[0], slots[1], v_hat, step["alpha"], self.beta_1, self.beta_2, self.epsilon,
                    grad_scale, clip_value, decay, n_threads)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon, "amsgrad": self.amsgrad})
        return cfg


class AdamW(Adam):
    """Adam with decoupled weight decay (Keras 3): ``w -= w * weight_decay * lr`` before the Adam step.

    Args:
        learning_rate: float >= 0 or a schedule (default 0.001).
        weight_decay: non-negative float (default 0.004).
        beta_1, beta_2, epsilon, amsgrad: as Adam.
        **kwargs: base Optimizer arguments.
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name="adamw", **kwargs):
        if weight_decay is None:
            raise ValueError("AdamW: argument `weight_decay` must be a float, received weight_decay=None")
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, name=name, weight_decay=weight_decay, **kwargs)


class Nadam(Optimizer):
    """Nadam (Keras 3): Adam with Nesterov momentum and the momentum schedule of Dozat (2016).

    At step t = iterations + 1, with ``u_t = beta_1 * (1 - 0.5 * 0.96**t)`` and
    ``u_next = beta_1 * (1 - 0.5 * 0.96**(t + 1))``, the optimizer-level product is updated once per step
    ``u_prod = u_prod * u_t`` (starts at 1), then for every variable:
    ``m += (g - m)(1 - beta_1)``; ``v += (g**2 - v)(1 - beta_2)``;
    ``m_hat = u_next m / (1 - u_prod * u_next) + (1 - u_t) g / (1 - u_prod)``;
    ``v_hat = v / (1 - beta_2**t)``; ``w -= lr m_hat / (sqrt(v_hat) + epsilon)``.

    Args:
        learning_rate: float >= 0 or a schedule (default 0.001).
        beta_1: in [0, 1) (default 0.9).
        beta_2: in [0, 1) (default 0.999).
        epsilon: small constant >= 0 (default 1e-7).
        **kwargs: base Optimizer arguments.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="nadam", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = _check_betas("Nadam", beta_1, beta_2, epsilon)
        self._u_product = 1.0

    def _slot_names(self):
        return ["momentum", "velocity"]

    def _global_state(self):
        return [self._u_product]

    def _set_global_state(self, values):
        self._u_product = float(values[0])

    def _begin_step(self, lr):
        t = self.iterations + 1
        u_t = self.beta_1 * (1.0 - 0.5 * 0.96 ** t)
        u_next = self.beta_1 * (1.0 - 0.5 * 0.96 ** (t + 1))
        self._u_product *= u_t
        return {"lr": lr, "u_t": u_t, "u_next": u_next, "u_prod": self._u_product,
                "u_prod_next": self._u_product * u_next, "beta_2_power": self.beta_2 ** t}

    def _update(self, value, grad, slots, step, grad_scale, clip_value, decay, n_threads):
        _optim.nadam(value, grad, slots[0], slots[1], step["lr"], self.beta_1, self.beta_2, self.epsilon,
                     step["u_t"], step["u_next"], step["u_prod"], step["u_prod_next"], step["beta_2_power"],
                     grad_scale, clip_value, decay, n_threads)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return cfg
