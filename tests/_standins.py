"""TEST-ONLY stand-ins for fastnn modules that other developers are still writing.

Loaded as a pytest plugin (``PYTHONPATH=tests python -m pytest -p _standins ...``) before fastnn is
imported. For each module that does NOT exist in the source tree yet (activations, losses, optimizers,
metrics, callbacks, utils, datasets, the _eltwise extension), a minimal implementation of the contract
in COMMON.md is put in ``sys.modules``. When the real module exists nothing is replaced, so this file is
a no-op on a complete tree and can be deleted then. Never shipped in fastnn/.
"""
import os
import sys
import types

import numpy as np

_ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fastnn")


def _exists(rel):
    base = os.path.join(_ROOT, rel)
    if os.path.exists(base + ".py") or os.path.exists(os.path.join(base, "__init__.py")):
        return True
    d = os.path.dirname(base)
    stem = os.path.basename(base)
    return os.path.isdir(d) and any(f.startswith(stem + ".") and f.endswith(".so") for f in os.listdir(d))


def _module(name, **attrs):
    mod = types.ModuleType(name)
    mod.__dict__.update(attrs)
    mod.__standin__ = True
    sys.modules[name] = mod
    return mod


# ---------------------------------------------------------------- _eltwise
def _column_sum_accumulate(dz, out, n_threads, reference=False):
    out += dz.sum(axis=0)


# ---------------------------------------------------------------- activations
class _Act:
    def __init__(self, name):
        self.name = name

    def forward(self, x, inplace=False):
        n = self.name
        if n == "linear":
            return x, None
        if n == "relu":
            y = np.maximum(x, 0)
        elif n == "tanh":
            y = np.tanh(x)
        elif n == "sigmoid":
            y = 1.0 / (1.0 + np.exp(-x))
        elif n == "softmax":
            e = np.exp(x - x.max(axis=-1, keepdims=True))
            y = e / e.sum(axis=-1, keepdims=True)
        else:
            raise ValueError(n)
        return y.astype(x.dtype, copy=False), (x, y)

    def backward(self, ctx, dy):
        n = self.name
        if n == "linear":
            return dy
        x, y = ctx
        if n == "relu":
            return dy * (x > 0)
        if n == "tanh":
            return dy * (1 - y * y)
        if n == "sigmoid":
            return dy * y * (1 - y)
        s = (dy * y).sum(axis=-1, keepdims=True)
        return y * (dy - s)

    def __call__(self, x):
        return self.forward(np.asarray(x))[0]


def _act_get(identifier):
    if identifier is None:
        return _Act("linear")
    if isinstance(identifier, _Act):
        return identifier
    if identifier in ("linear", "relu", "tanh", "sigmoid", "softmax"):
        return _Act(identifier)
    raise ValueError(f"Unknown activation {identifier!r}")


# ---------------------------------------------------------------- losses
class _Loss:
    def __init__(self, name):
        self.name = name

    def _per_sample(self, y, p):
        y = np.asarray(y, dtype=p.dtype).reshape(p.shape)
        if self.name == "mean_squared_error":
            return ((p - y) ** 2).reshape(len(p), -1).mean(axis=1), 2 * (p - y) / (p[0].size)
        eps = 1e-7
        pc = np.clip(p, eps, 1 - eps)
        loss = -(y * np.log(pc) + (1 - y) * np.log(1 - pc))
        grad = (-(y / pc) + (1 - y) / (1 - pc)) * ((p > eps) & (p < 1 - eps)) / p[0].size
        return loss.reshape(len(p), -1).mean(axis=1), grad

    def forward_backward(self, y, p, sample_weight=None):
        per, grad = self._per_sample(y, p)
        w = np.ones(len(p)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        value = float((per * w).sum() / len(p))
        grad = grad * (w / len(p)).reshape((-1,) + (1,) * (p.ndim - 1))
        return value, grad.astype(p.dtype)

    def __call__(self, y, p, sample_weight=None):
        return self.forward_backward(y, np.asarray(p), sample_weight)[0]


_LOSS_ALIASES = {"mse": "mean_squared_error", "mean_squared_error": "mean_squared_error",
                 "binary_crossentropy": "binary_crossentropy"}


def _loss_get(identifier):
    if isinstance(identifier, _Loss):
        return identifier
    if identifier in _LOSS_ALIASES:
        return _Loss(_LOSS_ALIASES[identifier])
    raise ValueError(f"Unknown loss {identifier!r}")


# ---------------------------------------------------------------- optimizers
class _Optimizer:
    def __init__(self, name="sgd", learning_rate=0.01):
        self.name = name
        self.learning_rate = float(learning_rate)
        self.iterations = 0
        self._slots = None

    def build(self, variables):
        if self._slots is None:
            self._slots = [[np.zeros_like(v.value), np.zeros_like(v.value)] for v in variables]

    def apply(self, variables):
        self.build(variables)
        self.iterations += 1
        t = self.iterations
        for v, (m, s) in zip(variables, self._slots):
            if self.name == "sgd":
                v.value -= self.learning_rate * v.grad
            else:
                m *= 0.9
                m += 0.1 * v.grad
                s *= 0.999
                s += 0.001 * v.grad * v.grad
                mh = m / (1 - 0.9 ** t)
                sh = s / (1 - 0.999 ** t)
                v.value -= (self.learning_rate * mh / (np.sqrt(sh) + 1e-7)).astype(v.value.dtype)

    def get_config(self):
        return {"name": self.name, "learning_rate": self.learning_rate}

    def get_state(self):
        out = [np.array(self.iterations, dtype=np.int64)]
        for m, s in self._slots or []:
            out.extend([m.copy(), s.copy()])
        return out

    def set_state(self, state):
        self.iterations = int(state[0])
        rest = state[1:]
        self._slots = [[np.array(rest[i]), np.array(rest[i + 1])] for i in range(0, len(rest), 2)]


def _opt_get(identifier):
    if isinstance(identifier, _Optimizer):
        return identifier
    if identifier == "sgd":
        return _Optimizer("sgd")
    if identifier in ("adam", "rmsprop"):
        return _Optimizer("adam", 0.001)
    raise ValueError(f"Unknown optimizer {identifier!r}")


def _opt_serialize(o):
    return {"class_name": "SGD" if o.name == "sgd" else "Adam", "config": o.get_config()}


def _opt_deserialize(item, custom_objects=None):
    cfg = dict(item["config"])
    return _Optimizer(cfg["name"], cfg["learning_rate"])


# ---------------------------------------------------------------- metrics
class _Metric:
    def __init__(self, name):
        self.name = name
        self.reset_state()

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def update_state(self, y, p, sample_weight=None):
        p = np.asarray(p)
        y = np.asarray(y).reshape(p.shape)
        if self.name == "mae":
            self.total += float(np.abs(p - y).sum())
            self.count += p.size
        else:
            self.total += float(((p > 0.5) == (y > 0.5)).sum())
            self.count += p.size

    def result(self):
        return self.total / max(self.count, 1.0)


def _metric_get(item, loss=None):
    name = {"accuracy": "accuracy", "acc": "accuracy", "mae": "mae"}.get(item)
    if name is None:
        raise ValueError(f"Unknown metric {item!r}")
    return _Metric(name)


# ---------------------------------------------------------------- callbacks
class _Callback:
    def set_model(self, model):
        self.model = model

    def __getattr__(self, name):
        if name.startswith("on_"):
            return lambda *a, **k: None
        raise AttributeError(name)


class _History(_Callback):
    def on_train_begin(self, logs=None):
        self.history = {}
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)


class _CallbackList:
    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        self.callbacks = list(callbacks or [])
        if add_history:
            h = _History()
            self.callbacks.append(h)
            model.history = h
        for c in self.callbacks:
            c.set_model(model)

    def __getattr__(self, name):
        if name.startswith("on_"):
            def call(*args, **kwargs):
                for c in self.callbacks:
                    getattr(c, name)(*args, **kwargs)
            return call
        raise AttributeError(name)


def install():
    if not _exists("_native/_eltwise"):
        _module("fastnn._native._eltwise", column_sum_accumulate=_column_sum_accumulate)
    if not _exists("activations"):
        _module("fastnn.activations", get=_act_get, serialize=lambda a: a.name)
    if not _exists("losses"):
        _module("fastnn.losses", get=_loss_get, serialize=lambda l: l.name)
    if not _exists("optimizers"):
        _module("fastnn.optimizers", get=_opt_get, serialize=_opt_serialize, deserialize=_opt_deserialize,
                SGD=lambda learning_rate=0.01: _Optimizer("sgd", learning_rate),
                Adam=lambda learning_rate=0.001: _Optimizer("adam", learning_rate))
    if not _exists("metrics"):
        _module("fastnn.metrics", get=_metric_get, serialize=lambda m: m.name)
    if not _exists("callbacks"):
        _module("fastnn.callbacks", Callback=_Callback, CallbackList=_CallbackList, History=_History)
    for name in ("utils", "datasets"):
        if not _exists(name):
            _module("fastnn." + name)


install()
