"""Optimizer base class: Keras 3's arguments, gradient clipping, weight decay, state and configs.

Training-loop contract: ``optimizer.apply(variables)`` updates each Variable's ``.value`` in place from
its ``.grad``; ``apply_gradients([(grad, variable), ...])`` is the Keras form. The optimizer's state
(slots per variable, created on first sight in a stable order) can be exported with ``get_state()`` and
restored with ``set_state()`` so training resumes bit-identically.

Before each update, as Keras does (``BaseOptimizer.apply``):
1. gradients are divided by ``loss_scale_factor`` (if set);
2. exactly one clipping rule, if set: ``clipnorm`` (per variable: g * c / max(||g||, c)),
   ``global_clipnorm`` (all gradients: g * c * min(1 / ||G||, 1 / c), NaN when ||G|| is not finite) or
   ``clipvalue`` (clip(g, -c, c));
3. decoupled weight decay ``w = w - w * weight_decay * lr`` (unless the variable is excluded);
4. the optimizer's step (one fused native pass per variable);
5. with ``use_ema``: ``average = m * average + (1 - m) * w`` for every tracked variable (m = 0 on the
   first step, ema_momentum afterwards), and every ``ema_overwrite_frequency`` steps ``w = average``;
6. ``variable.constraint``, if set, projects the new value.
With ``gradient_accumulation_steps = k``, steps 2-4 run only on every k-th call, with the mean of the
k accumulated gradients; the other calls only accumulate. As in Keras, ``iterations`` then counts
updates (calls // k): schedules, bias corrections and the EMA see update numbers. The learning rate
used for update t (counting from 0) is ``schedule(t)`` for a schedule.
"""
import math
import re

import numpy as np

from fastnn import config
from fastnn._checks import check_number
from fastnn._native import _optim
from fastnn.optimizers import schedules as _schedules


class Optimizer:
    """Base of fastnn's optimizers (Keras 3 ``keras.optimizers.Optimizer`` arguments).

    Args:
        learning_rate: non-negative float, a LearningRateSchedule, or a callable taking no argument.
        weight_decay: None or a non-negative float: decoupled decay ``w -= w * weight_decay * lr``.
        clipnorm: None or positive: clip each gradient to this L2 norm.
        clipvalue: None or positive: clip each gradient element to [-clipvalue, clipvalue].
        global_clipnorm: None or positive: clip all gradients jointly to this global L2 norm.
        loss_scale_factor: None or positive: gradients are divided by it before the update.
        use_ema: keep an exponential moving average of the weights (default False).
        ema_momentum: EMA momentum in [0, 1] (default 0.99).
        ema_overwrite_frequency: None or an int >= 1: overwrite the weights with their average every
            this many steps (``finalize_variable_values`` does it on demand).
        gradient_accumulation_steps: None or an int >= 2: update every this many calls with the mean
            accumulated gradient.
        name: the optimizer's name.
    """

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        who = type(self).__name__
        if kwargs:
            raise TypeError(f"{who}: unknown argument(s) {sorted(kwargs)}")
        self.name = name if name is not None else type(self).__name__.lower()
        self.weight_decay = check_number(weight_decay, "weight_decay", who, low=0.0, allow_none=True)
        self.clipnorm = check_number(clipnorm, "clipnorm", who, low=0.0, low_open=True, allow_none=True)
        self.clipvalue = check_number(clipvalue, "clipvalue", who, low=0.0, low_open=True, allow_none=True)
        self.global_clipnorm = check_number(global_clipnorm, "global_clipnorm", who, low=0.0, low_open=True,
                                            allow_none=True)
        if sum(x is not None for x in (self.clipnorm, self.clipvalue, self.global_clipnorm)) > 1:
            raise ValueError(f"{who}: only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set, "
                             f"received clipnorm={clipnorm}, clipvalue={clipvalue}, "
                             f"global_clipnorm={global_clipnorm}")
        self.loss_scale_factor = check_number(loss_scale_factor, "loss_scale_factor", who, low=0.0,
                                              low_open=True, allow_none=True)
        self.use_ema = bool(use_ema)
        self.ema_momentum = check_number(ema_momentum, "ema_momentum", who, low=0.0, high=1.0)
        if ema_overwrite_frequency is not None and (
                isinstance(ema_overwrite_frequency, bool) or not isinstance(ema_overwrite_frequency, (int, np.integer))
                or ema_overwrite_frequency < 1):
            raise ValueError(f"{who}: argument `ema_overwrite_frequency` must be None or an integer >= 1, "
                             f"received ema_overwrite_frequency={ema_overwrite_frequency!r}")
        self.ema_overwrite_frequency = None if ema_overwrite_frequency is None else int(ema_overwrite_frequency)
        if gradient_accumulation_steps is not None and (
                isinstance(gradient_accumulation_steps, bool)
                or not isinstance(gradient_accumulation_steps, (int, np.integer)) or gradient_accumulation_steps < 2):
            raise ValueError(f"{who}: argument `gradient_accumulation_steps` must be None or an integer >= 2, "
                             f"received gradient_accumulation_steps={gradient_accumulation_steps!r}")
        self.gradient_accumulation_steps = (None if gradient_accumulation_steps is None
                                            else int(gradient_accumulation_steps))
        self.learning_rate = learning_rate
        self._iterations = 0      # calls of apply (== updates unless gradients accumulate)
        self._slots = {}          # Variable -> list of state arrays (_all_slot_names() order)
        self._variables = []      # Variables in first-seen order
        self._exclude_ids = set()
        self._exclude_names = []

    # ---- learning rate and step count -------------------------------------------------------------
    @property
    def learning_rate(self):
        """The learning rate of the next update (a schedule is evaluated at ``iterations``)."""
        return self._current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, value):
        who = type(self).__name__
        if isinstance(value, _schedules.LearningRateSchedule) or (callable(value) and not isinstance(value, type)):
            self._learning_rate = value
        else:
            self._learning_rate = check_number(value, "learning_rate", who, low=0.0)

    def _current_learning_rate(self):
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            lr = lr(self.iterations)
        elif callable(lr):
            lr = lr()
        lr = float(lr)
        if not math.isfinite(lr) or lr < 0:
            raise ValueError(f"{type(self).__name__}: the learning rate must be a non-negative finite number, "
                             f"the schedule gave {lr!r} at step {self.iterations}")
        return lr

    @property
    def iterations(self):
        """Number of updates applied so far (int): calls of apply, divided by gradient_accumulation_steps."""
        if self.gradient_accumulation_steps:
            return self._iterations // self.gradient_accumulation_steps
        return self._iterations

    @iterations.setter
    def iterations(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"{type(self).__name__}: `iterations` must be a non-negative integer, "
                             f"received {value!r}")
        self._iterations = int(value) * (self.gradient_accumulation_steps or 1)

    # ---- weight decay exclusion -------------------------------------------------------------------
    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exclude variables (objects, or regex patterns searched in their names) from weight decay."""
        for var in var_list or ():
            self._exclude_ids.add(id(var))
        self._exclude_names.extend(var_names or ())

    def _uses_weight_decay(self, var):
        if id(var) in self._exclude_ids:
            return False
        name = getattr(var, "path", None) or getattr(var, "name", "") or ""
        return not any(re.search(pattern, name) for pattern in self._exclude_names)

    # ---- state ------------------------------------------------------------------------------------
    def build(self, variables):
        """Create the state of `variables` (in this order) if not already present."""
        for var in variables:
            self._state(var)

    def _state(self, var):
        slots = self._slots.get(var)
        if slots is None:
            slots = self._create_slots(var.value) + [np.zeros_like(var.value) for _ in self._extra_slot_names()]
            self._slots[var] = slots
            self._variables.append(var)
        return slots

    def _slot_names(self):
        """Names of the per-variable state arrays this configuration uses, in get_state() order."""
        return []

    def _extra_slot_names(self):
        """Base-class slots after the optimizer's own: the EMA and the gradient accumulator."""
        return (["average"] if self.use_ema else []) + \
            (["accumulated_gradient"] if self.gradient_accumulation_steps else [])

    def _all_slot_names(self):
        return self._slot_names() + self._extra_slot_names()

    def _create_slots(self, value):
        """Return the list of state arrays of one variable (zeros; subclasses may start elsewhere)."""
        return [np.zeros_like(value) for _ in self._slot_names()]

    def _global_state(self):
        """Optimizer-level float state saved after `iterations` (Nadam's u_product)."""
        return []

    def _set_global_state(self, values):
        pass

    @property
    def tracked_variables(self):
        """The model variables this optimizer has state for, in state order."""
        return list(self._variables)

    def get_state(self):
        """Export the state: ``[calls (int64 scalar array), *optimizer scalars, *slots per variable]``.

        ``calls`` is the number of apply() calls: ``iterations`` unless gradients accumulate.

        Per variable (in first-seen order) come its slot arrays: the optimizer's own in
        ``_slot_names()`` order (only those the configuration uses), then 'average' (use_ema) and
        'accumulated_gradient' (gradient_accumulation_steps). Arrays are copies.
        """
        state = [np.array(self._iterations, dtype=np.int64)]
        state += [np.array(v, dtype=np.float64) for v in self._global_state()]
        for var in self._variables:
            state += [s.copy() for s in self._slots[var]]
        return state

    def set_state(self, state):
        """Restore a ``get_state()`` list; the variables must have state already (``build(variables)``).

        Raises ValueError (changing nothing) when the count, shapes or dtypes do not match.
        """
        who = type(self).__name__
        state = list(state)
        n_global = len(self._global_state())
        expected = 1 + n_global + sum(len(self._slots[v]) for v in self._variables)
        if len(state) != expected:
            raise ValueError(f"{who}.set_state: expected {expected} arrays (iterations, {n_global} optimizer "
                             f"scalar(s) and the slots of {len(self._variables)} variable(s); call "
                             f"build(variables) first), received {len(state)}")
        iterations = np.asarray(state[0])
        if iterations.shape != () or iterations.dtype.kind not in "iu" or int(iterations) < 0:
            raise ValueError(f"{who}.set_state: the first array must be the non-negative integer iteration "
                             f"count, received {state[0]!r}")
        global_values = [np.asarray(v, dtype=np.float64) for v in state[1:1 + n_global]]
        if any(v.shape != () for v in global_values):
            raise ValueError(f"{who}.set_state: optimizer scalars must be scalars")
        pos = 1 + n_global
        checked = []
        for var in self._variables:
            for slot_name, current in zip(self._all_slot_names(), self._slots[var]):
                arr = np.asarray(state[pos])
                if arr.shape != current.shape:
                    raise ValueError(f"{who}.set_state: slot '{slot_name}' of variable "
                                     f"'{getattr(var, 'path', var)}' has shape {current.shape}, received "
                                     f"{arr.shape}")
                if arr.dtype.kind != "f":
                    raise ValueError(f"{who}.set_state: slot '{slot_name}' must be a float array, received "
                                     f"{arr.dtype}")
                checked.append((current, arr))
                pos += 1
        for current, arr in checked:
            np.copyto(current, arr, casting="same_kind")
        self._iterations = int(iterations)
        self._set_global_state([float(v) for v in global_values])

    # ---- applying gradients -----------------------------------------------------------------------
    def apply(self, variables):
        """Update every trainable Variable in `variables` from its ``.grad`` (one step)."""
        variables = [v for v in variables if v.trainable]
        self._apply([v.grad for v in variables], variables)

    def apply_gradients(self, grads_and_vars):
        """Keras form: apply a list of (gradient array, Variable) pairs; None gradients are skipped."""
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        self._apply([g for g, _ in pairs], [v for _, v in pairs])

    def _prepared_grads(self, grads, variables):
        who = type(self).__name__
        out = []
        for g, var in zip(grads, variables):
            g = np.asarray(g)
            if g.shape != var.value.shape:
                raise ValueError(f"{who}: gradient of variable '{getattr(var, 'path', var)}' has shape "
                                 f"{g.shape}, expected {var.value.shape}")
            out.append(np.ascontiguousarray(g, dtype=var.value.dtype))
        return out

    def _grad_scales(self, grads):
        """Per-gradient multipliers implementing loss-scale undo and clipnorm / global_clipnorm."""
        n_threads = config.get_num_threads()
        unscale = 1.0 if self.loss_scale_factor is None else 1.0 / self.loss_scale_factor
        if self.clipnorm is not None:
            scales = []
            for g in grads:
                norm = math.sqrt(_optim.sum_of_squares(g, n_threads)) * unscale
                scales.append(unscale * self.clipnorm / max(norm, self.clipnorm))
            return scales
        if self.global_clipnorm is not None:
            total = sum(_optim.sum_of_squares(g, n_threads) for g in grads)
            norm = math.sqrt(total) * unscale
            if math.isfinite(norm):
                inv = 1.0 / norm if norm > 0 else math.inf
                scale = self.global_clipnorm * min(inv, 1.0 / self.global_clipnorm)
            else:
                scale = math.nan
            return [unscale * scale] * len(grads)
        return [unscale] * len(grads)

    def _apply(self, grads, variables):
        if len(grads) != len(variables):
            raise ValueError(f"{type(self).__name__}: {len(grads)} gradients for {len(variables)} variables")
        if not variables:
            return
        grads = self._prepared_grads(grads, variables)
        lr = self._current_learning_rate()
        n_own = len(self._slot_names())
        states = [self._state(var) for var in variables]
        if self.gradient_accumulation_steps:
            k = self.gradient_accumulation_steps
            accumulators = [state[-1] for state in states]
            if (self._iterations + 1) % k != 0:
                for acc, g in zip(accumulators, grads):
                    acc += g
                self._finish_step(variables)
                return
            grads = [(g + acc) / acc.dtype.type(k) for g, acc in zip(grads, accumulators)]
        scales = self._grad_scales(grads)
        clip_value = self.clipvalue or 0.0
        step = self._begin_step(lr)
        n_threads = config.get_num_threads()
        for g, var, state, scale in zip(grads, variables, states, scales):
            decay = self.weight_decay * lr if self.weight_decay and self._uses_weight_decay(var) else 0.0
            self._update(var.value, g, state[:n_own], step, scale, clip_value, decay, n_threads)
        if self.gradient_accumulation_steps:
            for state in states:
                state[-1][...] = 0
        self._finish_step(variables)

    def _finish_step(self, variables):
        """EMA of every tracked variable, periodic overwrite, constraints, then the step count."""
        if self.use_ema:
            index = len(self._slot_names())
            momentum = self.ema_momentum if self.iterations != 0 else 0.0
            for var in self._variables:
                average = self._slots[var][index]
                average[...] = momentum * average + (1.0 - momentum) * var.value
            if self.ema_overwrite_frequency and (self.iterations + 1) % self.ema_overwrite_frequency == 0:
                self.finalize_variable_values(self._variables)
        for var in variables:
            if getattr(var, "constraint", None) is not None:
                var.value[...] = var.constraint(var.value)
        self._iterations += 1

    def finalize_variable_values(self, var_list):
        """With use_ema, overwrite the variables' values with their moving averages (Keras's method)."""
        if not self.use_ema:
            return
        index = len(self._slot_names())
        for var in var_list:
            if var in self._slots:
                var.value[...] = self._slots[var][index]

    def _begin_step(self, lr):
        """Scalars shared by every variable this step (subclasses extend); lr is the step's rate."""
        return {"lr": lr}

    def _update(self, value, grad, slots, step, grad_scale, clip_value, decay, n_threads):
        raise NotImplementedError(f"{type(self).__name__} must implement _update")

    # ---- configuration ----------------------------------------------------------------------------
    def get_config(self):
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            lr = _schedules.serialize(lr)
        elif callable(lr):
            lr = float(lr())
        return {
            "name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue, "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum, "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = _schedules.deserialize(config["learning_rate"], custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} iterations={self.iterations}>"
