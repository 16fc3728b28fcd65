"""BatchNormalization (on fastnn's native batch-norm kernels, csrc/eltwise.c) and LayerNormalization."""
import numpy as np

from fastnn import config
from fastnn._checks import check_number
from fastnn._native import _eltwise
from fastnn.engine.layer import Layer
from fastnn.layers._serialize import serialize


class BatchNormalization(Layer):
    """Normalizes each feature of ``axis`` over the batch (and every other axis).

    Training (``training=True`` and the layer trainable) uses the batch statistics
    ``mean = E[x]``, ``var = E[(x - mean)^2]`` (biased) and updates
    ``moving = moving * momentum + batch * (1 - momentum)``; inference uses the moving statistics.
    ``y = (x - mean) / sqrt(var + epsilon) * gamma + beta``.

    Weights, in Keras's order: gamma (if scale), beta (if center), moving_mean, moving_variance (the
    last two non-trainable).

    Args:
        axis: the feature axis (default -1, channels last).
        momentum: momentum of the moving statistics, in [0, 1].
        epsilon: added to the variance (> 0).
        center: learn the offset beta.
        scale: learn the scale gamma.
        beta_initializer, gamma_initializer, moving_mean_initializer, moving_variance_initializer:
            initializers of the four weights.
        beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint: optional.
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 synchronized=False, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        if isinstance(axis, (list, tuple)) and len(axis) == 1:
            axis = axis[0]
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ValueError(f"{name}: argument `axis` must be an integer (one feature axis), received {axis!r}")
        self.axis = int(axis)
        self.momentum = check_number(momentum, "momentum", name, low=0, high=1)
        self.epsilon = check_number(epsilon, "epsilon", name, low=0, low_open=True)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = beta_initializer
        self.gamma_initializer = gamma_initializer
        self.moving_mean_initializer = moving_mean_initializer
        self.moving_variance_initializer = moving_variance_initializer
        self.beta_regularizer = beta_regularizer
        self.gamma_regularizer = gamma_regularizer
        self.beta_constraint = beta_constraint
        self.gamma_constraint = gamma_constraint
        self.synchronized = bool(synchronized)
        self.gamma = self.beta = None

    def _feature_axis(self, rank):
        if not -rank <= self.axis < rank or self.axis % rank == 0:
            raise ValueError(f"Layer '{self.name}': axis {self.axis} is not a feature axis of inputs of rank {rank}")
        return self.axis % rank

    def build(self, input_shape):
        ax = self._feature_axis(len(input_shape))
        dim = input_shape[ax]
        if dim is None:
            raise ValueError(f"Layer '{self.name}': the feature axis {self.axis} of input shape "
                             f"{tuple(input_shape)} must be known")
        shape = (dim,)
        if self.scale:
            self.gamma = self.add_weight("gamma", shape, initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight("beta", shape, initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint)
        self.moving_mean = self.add_weight("moving_mean", shape, initializer=self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight("moving_variance", shape,
                                               initializer=self.moving_variance_initializer, trainable=False)
        self.built = True

    def check_input(self, x):
        ax = self._feature_axis(x.ndim)
        if x.shape[ax] != self.moving_mean.shape[0]:
            raise ValueError(f"Layer '{self.name}': expected {self.moving_mean.shape[0]} features on axis "
                             f"{self.axis}, received an input of shape {x.shape}")

    def _to_last(self, x):
        ax = self._feature_axis(x.ndim)
        if ax == x.ndim - 1:
            return np.ascontiguousarray(x), False
        return np.ascontiguousarray(np.moveaxis(x, ax, -1)), True

    def forward(self, inputs, training=False):
        x, moved = self._to_last(inputs)
        n_threads = config.get_num_threads()
        batch_stats = bool(training) and self.trainable
        if batch_stats:
            mean, var = _eltwise.bn_stats(x, n_threads)
            mm, mv = self.moving_mean.value, self.moving_variance.value
            m = mm.dtype.type(self.momentum)
            mm[...] = mm * m + mean * (1 - m)
            mv[...] = mv * m + var * (1 - m)
        else:
            mean, var = self.moving_mean.value.copy(), self.moving_variance.value.copy()
        inv_std = (1.0 / np.sqrt(var + var.dtype.type(self.epsilon))).astype(var.dtype)
        gamma = None if self.gamma is None else self.gamma.value.copy()
        beta = None if self.beta is None else self.beta.value
        y = _eltwise.bn_forward(x, mean, inv_std, gamma, beta, n_threads)
        if moved:
            y = np.ascontiguousarray(np.moveaxis(y, -1, self._feature_axis(inputs.ndim)))
        return y, (x, mean, inv_std, gamma, batch_stats, moved)

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        x, mean, inv_std, gamma, batch_stats, moved = ctx
        dy = grad_outputs
        ax = x.ndim - 1
        if moved:
            ax = self._feature_axis(x.ndim)
            dy = np.moveaxis(dy, ax, -1)
        dy = np.ascontiguousarray(dy, dtype=x.dtype)
        train_weights = self.trainable
        dgamma = self.gamma.grad if (train_weights and self.gamma is not None) else None
        dbeta = self.beta.grad if (train_weights and self.beta is not None) else None
        dx = _eltwise.bn_backward(x, mean, inv_std, gamma, dy, dgamma, dbeta, need_input_grad, batch_stats,
                                  config.get_num_threads())
        if dx is not None and moved:
            dx = np.ascontiguousarray(np.moveaxis(dx, -1, ax))
        return dx

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                **{k: serialize("initializers", getattr(self, k)) for k in (
                    "beta_initializer", "gamma_initializer", "moving_mean_initializer",
                    "moving_variance_initializer")},
                **{k: serialize("regularizers", getattr(self, k)) for k in ("beta_regularizer", "gamma_regularizer")},
                "beta_constraint": None, "gamma_constraint": None, "synchronized": self.synchronized}


class LayerNormalization(Layer):
    """Normalizes each sample over ``axis`` (default the last): ``y = (x - mean) / sqrt(var + epsilon) *
    gamma + beta`` with mean and (biased) variance taken over the normalized axes of that sample.

    Weights, in Keras's order: gamma (if scale), beta (if center), each shaped like the normalized axes.

    Args:
        axis: an axis or list of axes (not the batch axis) to normalize over.
        epsilon: added to the variance (> 0).
        center: learn the offset beta.
        scale: learn the scale gamma.
        rms_scaling: only False is supported (Keras 3's RMS variant is not implemented).
        beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer, beta_constraint,
        gamma_constraint: as for BatchNormalization.
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
        if not axes or any(isinstance(a, bool) or not isinstance(a, (int, np.integer)) for a in axes):
            raise ValueError(f"{name}: argument `axis` must be an integer or a list of integers, received {axis!r}")
        if rms_scaling:
            raise ValueError(f"{name}: rms_scaling=True is not supported by fastnn; use rms_scaling=False")
        self.axis = [int(a) for a in axes] if isinstance(axis, (list, tuple)) else int(axis)
        self.epsilon = check_number(epsilon, "epsilon", name, low=0, low_open=True)
        self.center = bool(center)
        self.scale = bool(scale)
        self.rms_scaling = False
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer
        self.beta_regularizer, self.gamma_regularizer = beta_regularizer, gamma_regularizer
        self.beta_constraint, self.gamma_constraint = beta_constraint, gamma_constraint
        self.gamma = self.beta = None

    def _axes(self, rank):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        out = []
        for a in axes:
            if not -rank <= a < rank or a % rank == 0:
                raise ValueError(f"Layer '{self.name}': axis {a} is not a feature axis of inputs of rank {rank}")
            out.append(a % rank)
        return tuple(sorted(set(out)))

    def build(self, input_shape):
        axes = self._axes(len(input_shape))
        shape = tuple(input_shape[a] for a in axes)
        if any(d is None for d in shape):
            raise ValueError(f"Layer '{self.name}': the normalized axes of input shape {tuple(input_shape)} "
                             f"must be known")
        if self.scale:
            self.gamma = self.add_weight("gamma", shape, initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight("beta", shape, initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint)
        self._param_shape = shape
        self.built = True

    def check_input(self, x):
        axes = self._axes(x.ndim)
        got = tuple(x.shape[a] for a in axes)
        if got != self._param_shape:
            raise ValueError(f"Layer '{self.name}': expected sizes {self._param_shape} on axes {list(axes)}, "
                             f"received an input of shape {x.shape}")

    def _broadcast(self, v, x, axes):
        shape = [1] * x.ndim
        for a in axes:
            shape[a] = x.shape[a]
        return v.reshape(shape)

    def forward(self, inputs, training=False):
        axes = self._axes(inputs.ndim)
        dt = inputs.dtype.type
        mean = inputs.mean(axis=axes, keepdims=True)
        centered = inputs - mean
        var = np.mean(centered * centered, axis=axes, keepdims=True)
        inv_std = dt(1) / np.sqrt(var + dt(self.epsilon))
        xhat = centered * inv_std
        y = xhat
        gamma = None if self.gamma is None else self._broadcast(self.gamma.value.copy(), inputs, axes)
        if gamma is not None:
            y = y * gamma
        if self.beta is not None:
            y = y + self._broadcast(self.beta.value, inputs, axes)
        return np.ascontiguousarray(y, dtype=inputs.dtype), (xhat, inv_std, gamma, axes)

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        xhat, inv_std, gamma, axes = ctx
        dy = grad_outputs
        other = tuple(a for a in range(dy.ndim) if a not in axes)
        if self.trainable:
            if self.gamma is not None:
                self.gamma.grad += np.sum(dy * xhat, axis=other).reshape(self.gamma.shape)
            if self.beta is not None:
                self.beta.grad += np.sum(dy, axis=other).reshape(self.beta.shape)
        if not need_input_grad:
            return None
        dxhat = dy * gamma if gamma is not None else dy
        dx = inv_std * (dxhat - dxhat.mean(axis=axes, keepdims=True)
                        - xhat * np.mean(dxhat * xhat, axis=axes, keepdims=True))
        return np.ascontiguousarray(dx, dtype=dy.dtype)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon, "center": self.center,
                "scale": self.scale, "rms_scaling": False,
                **{k: serialize("initializers", getattr(self, k)) for k in ("beta_initializer", "gamma_initializer")},
                **{k: serialize("regularizers", getattr(self, k)) for k in ("beta_regularizer", "gamma_regularizer")},
                "beta_constraint": None, "gamma_constraint": None}
