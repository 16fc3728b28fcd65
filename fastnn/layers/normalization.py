"""BatchNormalization on fastnn's native batch-norm kernels (csrc/eltwise.c)."""
import numpy as np

from fastnn import config
from fastnn._native import _eltwise
from fastnn.engine.layer import Layer
from fastnn.layers._validation import check_number


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
        self.momentum = check_number(name, "momentum", momentum, low=0, high=1)
        self.epsilon = check_number(name, "epsilon", epsilon, low=0, low_inclusive=False)
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
        from fastnn import initializers, regularizers

        def init(v):
            return v if isinstance(v, (str, dict)) or v is None else initializers.serialize(v)

        def reg(v):
            return None if v is None else (v if isinstance(v, (str, dict)) else regularizers.serialize(v))

        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                "beta_initializer": init(self.beta_initializer), "gamma_initializer": init(self.gamma_initializer),
                "moving_mean_initializer": init(self.moving_mean_initializer),
                "moving_variance_initializer": init(self.moving_variance_initializer),
                "beta_regularizer": reg(self.beta_regularizer), "gamma_regularizer": reg(self.gamma_regularizer),
                "beta_constraint": None, "gamma_constraint": None, "synchronized": self.synchronized}
