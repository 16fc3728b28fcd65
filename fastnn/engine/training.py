"""Model: the Keras training API (compile / fit / evaluate / predict) shared by every model style.

A training step:
    zero the trainable weights' grads
    with Tape(): outputs = model(x, training=True)          # each layer call is recorded
    loss, dloss/doutputs = loss.forward_backward(y, outputs)  # fused native loss + gradient
    tape.backward(outputs, dloss/doutputs)                   # weight grads accumulate natively
    regularizer gradients added; optimizer.apply(trainable weights)   # fused native update
"""
import signal
import threading
import time

import numpy as np

from fastnn.engine import data as data_utils
from fastnn.engine.layer import Layer
from fastnn.engine import tape_array
from fastnn.engine.tape import Tape, _flatten, current_tape

_USER_CALL = {}


def _is_user_model(cls):
    """Whether `cls.call` is user-written (a subclassed model) rather than Sequential/Functional's."""
    found = _USER_CALL.get(cls)
    if found is None:
        from fastnn.engine.functional import Functional
        from fastnn.engine.sequential import Sequential

        found = _USER_CALL[cls] = cls.call not in (Sequential.call, Functional.call)
    return found


class _DeferredInterrupt:
    """Holds Ctrl-C until the running step ends, so weights are never left half-updated."""

    def __init__(self):
        self.requested = False
        self._previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.getsignal(signal.SIGINT)
            if self._previous is signal.default_int_handler:
                signal.signal(signal.SIGINT, self._handler)
            else:
                self._previous = None
        return self

    def _handler(self, signum, frame):
        if self.requested:  # a second Ctrl-C: the user insists
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


class Model(Layer):
    """A layer with training: ``compile``, ``fit``, ``evaluate``, ``predict`` and friends.

    ``Model(inputs, outputs)`` builds a Functional model; subclass Model and define
    ``call(inputs, training=None)`` for a subclassed model (layers assigned as attributes are tracked).
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            from fastnn.engine.functional import Functional

            return Layer.__new__(Functional)
        return Layer.__new__(cls)

    def __init__(self, *args, name=None, trainable=True, dtype=None, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected arguments {list(args) + sorted(kwargs)}; "
                            f"use Model(inputs, outputs) for a Functional model")
        super().__init__(name=name, trainable=trainable, dtype=dtype)
        self.optimizer = None
        self.stop_training = False
        self.history = None
        self.compiled = False
        self._loss_fns = None
        self._loss_config = None
        self._loss_weights = None
        self._metric_config = None
        self._metrics = None

    # ---- layer tracking for subclassed models ----
    def __setattr__(self, name, value):
        if not name.startswith("_") and isinstance(value, Layer) and name not in ("optimizer",):
            if "_sublayers" not in self.__dict__:
                raise RuntimeError(f"{type(self).__name__}: call super().__init__() in __init__ before assigning "
                                   f"layers to attributes (assigning '{name}')")
            if not any(value is l for l in self._sublayers):
                self._track_layer(value)
        elif not name.startswith("_") and isinstance(value, (list, tuple)) and value and \
                all(isinstance(v, Layer) for v in value) and "_sublayers" in self.__dict__:
            for v in value:
                if not any(v is l for l in self._sublayers):
                    self._track_layer(v)
        object.__setattr__(self, name, value)

    @property
    def layers(self):
        return list(self._sublayers)

    def get_layer(self, name=None, index=None):
        """The layer called `name`, or at position `index` of ``layers``."""
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"Model '{self.name}' has {len(layers)} layers; index {index} is out of range")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No layer named {name!r} in model '{self.name}'; layers: {[l.name for l in layers]}")

    # ---- calling ----
    def call(self, inputs, training=None):
        raise NotImplementedError(f"{type(self).__name__} must implement call(inputs, training=None)")

    def __call__(self, inputs, training=None, **kwargs):
        from fastnn.engine import symbolic

        if symbolic.is_symbolic(inputs):
            return symbolic.call_layer(self, inputs, training=training, **kwargs)
        x = self._convert_input(inputs)
        if self._dtype is None:
            from fastnn import config

            self._dtype = config.standardize_dtype(None)
        self.built = True
        if self.__dict__.get("_saved_input_shapes") is None:  # what a saved subclassed model is rebuilt with
            flat = x if isinstance(x, (list, tuple)) else [x]
            self._saved_input_shapes = [[None] + [int(d) for d in np.shape(v)[1:]] for v in flat]
        tape = current_tape()
        if tape is None:
            return self.call(x, training=bool(training), **kwargs)
        # Under a tape: a subclassed model's call() is user code, whose numpy operations on layer outputs
        # must raise instead of silently losing gradients (see fastnn.engine.tape_array); library models
        # (Sequential, Functional) run on plain arrays, re-labelled at the boundary so the tape connects.
        if x is not inputs:  # converted to the model's dtype: keep the gradient path through the cast
            x = tape_array.record_casts(tape, inputs, x)
        context = tape_array._context
        caller_user = bool(context) and context[-1]
        user = _is_user_model(type(self))
        if caller_user:
            tape_array.check_tracked(x, f"Model '{self.name}'")
            if not user:
                x = tape_array.to_library(tape, x)
        context.append(user)
        try:
            out = self.call(x, training=bool(training), **kwargs)
        finally:
            context.pop()
        if user:
            tape_array.check_call_outputs(self, tape, x, out)
        elif caller_user:
            out = tape_array.to_user(tape, out)
        return out

    def build(self, input_shape):
        """Create the weights by running the model once on zeros of `input_shape` (batch axis first)."""
        shape = tuple(1 if d is None else d for d in input_shape)
        self(np.zeros(shape, dtype=self.dtype))
        self.built = True

    def compute_output_shape(self, input_shape):
        """Subclassed models: run call() once on zeros (unknown sizes as 1) and read the output shapes."""
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        zeros = [np.zeros(tuple(1 if d is None else int(d) for d in s), dtype=self.dtype) for s in shapes]
        out = self(zeros[0] if len(zeros) == 1 else zeros)
        if isinstance(out, (list, tuple)):
            return [(None,) + tuple(o.shape[1:]) for o in out]
        return (None,) + tuple(out.shape[1:])

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        raise RuntimeError(f"Model '{self.name}' runs its layers through the tape; it has no backward of its own")

    @property
    def output_names(self):
        return ["output"]

    @property
    def input_names(self):
        return ["input"]

    # ---- compile ----
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True):
        """Configure training.

        Args:
            optimizer: name ('adam', 'sgd', ...) or Optimizer instance.
            loss: name, Loss instance, or a list/dict with one per output.
            loss_weights: list/dict of scalars weighting each output's loss in the total.
            metrics: list of names/Metric instances (applied to every output), or a list of lists /
                dict keyed by output name. 'accuracy' picks binary/categorical/sparse like Keras.
            weighted_metrics: metrics that also receive sample weights.
            run_eagerly, steps_per_execution, jit_compile, auto_scale_loss: accepted for Keras
                compatibility; fastnn always runs its native kernels eagerly.
        """
        from fastnn import optimizers

        self.optimizer = optimizers.get(optimizer)
        self._loss_config = loss
        self._loss_weights_config = loss_weights
        self._metric_config = metrics
        self._weighted_metric_config = weighted_metrics
        self._loss_fns = None
        self._metrics = None
        self.compiled = True
        self.stop_training = False
        # Which layers train is fixed here, as in Keras: change `trainable` later, then compile again.
        self._trainable_snapshot = self._snapshot_trainable()
        from fastnn import losses as _losses

        # Resolve names now, so a typo fails at compile time as in Keras.
        for item in _flatten(list(loss.values()) if isinstance(loss, dict) else loss):
            if item is not None:
                _losses.get(item)
        from fastnn import config

        config.keep_freed_memory()

    def _resolve_compiled(self):
        """Per-output loss functions, weights and metric objects (needs the output names)."""
        if self._loss_fns is not None:
            return
        from fastnn import losses as _losses
        from fastnn import metrics as _metrics

        names = self.output_names
        self._loss_fns = self._per_output(self._loss_config, names, "loss", _losses.get)
        weights = self._loss_weights_config
        if weights is None:
            self._loss_weights = [1.0] * len(names)
        else:
            self._loss_weights = [1.0 if w is None else float(w)
                                  for w in self._per_output(weights, names, "loss_weights", lambda w: w)]
        self._metrics = []
        for config_value, weighted in ((self._metric_config, False), (self._weighted_metric_config, True)):
            per_output = self._per_output_metrics(config_value, names)
            for i, items in enumerate(per_output):
                for item in items:
                    metric = _metrics.get(item, loss=self._loss_fns[i])
                    if len(names) > 1:
                        metric.name = f"{names[i]}_{metric.name}"
                    if weighted:
                        metric.name = f"weighted_{metric.name}" if not metric.name.startswith("weighted") else metric.name
                    self._metrics.append((i, metric, weighted))

    @staticmethod
    def _per_output(value, names, what, convert):
        if isinstance(value, dict):
            unknown = sorted(set(value) - set(names))
            if unknown:
                raise ValueError(f"compile({what}=...): keys {unknown} are not outputs of the model; outputs: {names}")
            return [None if value.get(n) is None else convert(value.get(n)) for n in names]
        if isinstance(value, (list, tuple)):
            if len(value) != len(names):
                raise ValueError(f"compile({what}=...): expected {len(names)} entries (one per output {names}), "
                                 f"received {len(value)}")
            return [None if v is None else convert(v) for v in value]
        if value is None:
            return [None] * len(names)
        return [convert(value)] * len(names)

    @staticmethod
    def _per_output_metrics(value, names):
        if value is None:
            return [[] for _ in names]
        if isinstance(value, dict):
            unknown = sorted(set(value) - set(names))
            if unknown:
                raise ValueError(f"compile(metrics=...): keys {unknown} are not outputs of the model; outputs: {names}")
            return [_as_metric_list(value.get(n)) for n in names]
        if isinstance(value, (list, tuple)) and len(names) > 1 and value and \
                all(isinstance(v, (list, tuple)) or v is None for v in value):
            if len(value) != len(names):
                raise ValueError(f"compile(metrics=...): expected {len(names)} lists (one per output), "
                                 f"received {len(value)}")
            return [_as_metric_list(v) for v in value]
        return [_as_metric_list(value) for _ in names]

    def _require_compiled(self, what):
        if not self.compiled:
            raise RuntimeError(f"Model '{self.name}' must be compiled before {what}(): call "
                               f"model.compile(optimizer=..., loss=...)")
        self._resolve_compiled()
        if all(fn is None for fn in self._loss_fns):
            raise ValueError(f"Model '{self.name}': compile() was given no loss; {what}() needs one "
                             f"(e.g. loss='sparse_categorical_crossentropy')")

    # ---- steps ----
    def _forward(self, xs, training):
        """Run the model on a list of input arrays; return the outputs as a list."""
        out = self(xs[0] if len(xs) == 1 else xs, training=training)
        if isinstance(out, dict):  # a Functional model with a dict of outputs: order by output_names
            return [out[name] for name in self.output_names]
        return out if isinstance(out, list) else list(out) if isinstance(out, tuple) else [out]

    def _compute_loss(self, ys, outputs, sws, with_grad):
        total = 0.0
        per_output = []
        grads = []
        for i, out in enumerate(outputs):
            fn = self._loss_fns[i]
            if fn is None:
                grads.append(None)
                continue
            y = ys[i] if i < len(ys) else None
            if y is None:
                raise ValueError(f"Model '{self.name}': output '{self.output_names[i]}' has a loss but no target "
                                 f"was given for it")
            sw = sws[i] if i < len(sws) else None
            weight = self._loss_weights[i]
            if with_grad:
                value, grad = fn.forward_backward(y, out, sample_weight=sw)
                grads.append(grad if weight == 1.0 else grad * np.asarray(weight, dtype=grad.dtype))
            else:
                value = fn(y, out, sample_weight=sw)
            per_output.append(value)
            total += weight * value
        return total, per_output, grads

    def _regularization_loss(self, variables):
        penalty = 0.0
        for v in variables:
            if v.regularizer is not None:
                penalty += float(v.regularizer(v.value))
        return penalty

    def _snapshot_trainable(self):
        """Record every (nested) layer's ``trainable`` flag: the step trains with the flags of compile time."""
        snapshot, seen, stack = [], set(), [self]
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            snapshot.append((layer, layer._trainable))
            stack.extend(getattr(layer, "_sublayers", ()))
        return snapshot

    def _train_step(self, xs, ys, sws):
        # Trainability is the one captured by compile() (the Keras GAN recipe: discriminator.trainable =
        # False before compiling the combined model freezes it there, while the discriminator compiled
        # earlier still trains on its own train_on_batch). The flags are set to the snapshot for the step
        # (so backward passes and the tape see them) and restored after it.
        snapshot = getattr(self, "_trainable_snapshot", None) or ()
        current = [(layer, layer._trainable) for layer, _ in snapshot]
        for layer, flag in snapshot:
            layer._trainable = flag
        try:
            with Tape() as tape:
                outputs = self._forward(xs, training=True)
            # Taken after the forward pass, so weights created by a lazy first build are included.
            variables = self.trainable_weights
            for v in variables:
                v.grad.fill(0)
            total, per_output, grads = self._compute_loss(ys, outputs, sws, with_grad=True)
            total += tape.activity_loss() + self._regularization_loss(self.weights)
            tape.backward(outputs, grads)
        finally:
            for layer, flag in current:
                layer._trainable = flag
        for v in variables:
            if v.regularizer is not None:
                v.grad += v.regularizer.gradient(v.value)
        self.optimizer.apply(variables)
        self._update_metrics(ys, outputs, sws)
        return total, per_output

    def _update_metrics(self, ys, outputs, sws):
        for i, metric, weighted in self._metrics:
            if i < len(ys) and ys[i] is not None:
                sw = sws[i] if (weighted and i < len(sws)) else None
                metric.update_state(ys[i], outputs[i], sample_weight=sw)

    def _reset_metrics(self):
        for _, metric, _ in self._metrics:
            metric.reset_state()

    def _logs(self, loss_mean, per_output_means, prefix=""):
        logs = {prefix + "loss": loss_mean}
        names = self.output_names
        if len(names) > 1:
            for i, value in zip([i for i, f in enumerate(self._loss_fns) if f is not None], per_output_means):
                logs[f"{prefix}{names[i]}_loss"] = value
        for _, metric, _ in self._metrics:
            logs[prefix + metric.name] = float(metric.result())
        return logs

    # ---- data preparation ----
    def _prepare(self, x, y=None, sample_weight=None, class_weight=None, need_y=True):
        xs = data_utils.as_arrays(x, "x", self.input_names)
        ys = data_utils.as_arrays(y, "y", self.output_names) if y is not None else []
        if need_y and not ys:
            raise ValueError(f"Model '{self.name}': targets y are required")
        sws = data_utils.as_arrays(sample_weight, "sample_weight", self.output_names) \
            if sample_weight is not None else []
        if len(sws) == 1 and len(ys) > 1:
            sws = sws * len(ys)
        if class_weight is not None:
            if len(ys) != 1:
                raise ValueError("class_weight is only supported for models with a single output")
            cw = data_utils.class_weights_to_sample_weights(class_weight, ys[0])
            sws = [cw if not sws else sws[0] * cw]
        n = data_utils.check_lengths(xs, ys, sws)
        data_utils.check_finite(xs, "x")
        data_utils.check_finite(ys, "y")
        data_utils.check_finite(sws, "sample_weight")
        return xs, ys, sws, n

    # ---- public training API ----
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One optimizer step on one batch; returns the loss (and metrics, like Keras)."""
        self._require_compiled("train_on_batch")
        xs, ys, sws, _ = self._prepare(x, y, sample_weight, class_weight)
        self._reset_metrics()
        total, per_output = self._train_step(xs, ys, sws)
        return self._format_result(self._logs(total, per_output), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) on one batch, without updating anything."""
        self._require_compiled("test_on_batch")
        xs, ys, sws, _ = self._prepare(x, y, sample_weight)
        self._reset_metrics()
        outputs = self._forward(xs, training=False)
        total, per_output, _ = self._compute_loss(ys, outputs, sws, with_grad=False)
        total += self._regularization_loss(self.weights)
        self._update_metrics(ys, outputs, sws)
        return self._format_result(self._logs(total, per_output), return_dict)

    def predict_on_batch(self, x):
        """Outputs for one batch (inference mode)."""
        xs = data_utils.as_arrays(x, "x", self.input_names)
        data_utils.check_lengths(xs)
        outputs = self._forward(xs, training=False)
        return outputs[0] if len(outputs) == 1 else outputs

    def _format_result(self, logs, return_dict):
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None, sample_weight=None,
            initial_epoch=0, steps_per_epoch=None, validation_steps=None, validation_batch_size=None,
            validation_freq=1):
        """Train for `epochs` epochs over (x, y) in batches; returns the History callback.

        Args:
            x, y: arrays (or lists/dicts of arrays for multi-input/output models).
            batch_size: samples per step (default 32).
            epochs: index of the last epoch (training runs epochs initial_epoch .. epochs-1).
            verbose: 0 silent, 1 progress bar, 2 one line per epoch; 'auto' is 1.
            callbacks: list of fastnn.callbacks.Callback.
            validation_split: fraction in [0, 1) of the data, taken from the end before shuffling,
                held out for validation.
            validation_data: (x_val, y_val) or (x_val, y_val, sample_weight_val).
            shuffle: reshuffle the training samples before each epoch.
            class_weight: {class index: weight} multiplying each sample's loss.
            sample_weight: per-sample weights.
            initial_epoch: epoch to start from (to resume a run).
            steps_per_epoch: at most this many batches per epoch.
            validation_freq: validate every this many epochs.

        Ctrl-C stops training between batches: the weights are those of the last completed step,
        ``model.history`` holds what ran, and KeyboardInterrupt is raised to the caller.
        """
        from fastnn import callbacks as cbks
        from fastnn import config

        self._require_compiled("fit")
        batch_size = _check_batch_size(batch_size)
        if not isinstance(epochs, (int, np.integer)) or isinstance(epochs, bool) or epochs < 0:
            raise ValueError(f"fit: epochs must be a non-negative integer, received {epochs!r}")
        if not 0.0 <= float(validation_split) < 1.0:
            raise ValueError(f"fit: validation_split must be in [0, 1), received {validation_split!r}")
        verbose = 1 if verbose == "auto" else int(verbose)
        xs, ys, sws, n = self._prepare(x, y, sample_weight, class_weight)
        val = None
        if validation_data is not None:
            if not isinstance(validation_data, (list, tuple)) or len(validation_data) not in (2, 3):
                raise ValueError("fit: validation_data must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight)")
            val = self._prepare(*validation_data)
        elif validation_split:
            split = int(n * (1.0 - float(validation_split)))
            if split <= 0 or split >= n:
                raise ValueError(f"fit: validation_split={validation_split} leaves no training or validation "
                                 f"samples out of {n}")
            val = (data_utils.take(xs, slice(split, None)), data_utils.take(ys, slice(split, None)),
                   data_utils.take(sws, slice(split, None)), n - split)
            xs, ys, sws = (data_utils.take(a, slice(0, split)) for a in (xs, ys, sws))
            n = split
        steps = -(-n // batch_size)
        if steps_per_epoch is not None:
            steps = min(steps, int(steps_per_epoch))
        callback_list = cbks.CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=self,
                                          verbose=verbose, epochs=epochs, steps=steps)
        self.stop_training = False
        interrupted = False
        with _DeferredInterrupt() as interrupt:
            callback_list.on_train_begin()
            epoch_logs = {}
            for epoch in range(int(initial_epoch), int(epochs)):
                self._reset_metrics()
                callback_list.on_epoch_begin(epoch)
                order = config.rng().permutation(n) if shuffle else None
                seen = 0
                loss_sum = 0.0
                per_output_sums = None
                for step in range(steps):
                    callback_list.on_train_batch_begin(step)
                    index = slice(step * batch_size, min(n, (step + 1) * batch_size))
                    if order is not None:
                        index = order[index]
                    bx, by, bsw = (data_utils.take(a, index) for a in (xs, ys, sws))
                    size = bx[0].shape[0]
                    total, per_output = self._train_step(bx, by, bsw)
                    seen += size
                    loss_sum += total * size
                    per_output_sums = [p * size for p in per_output] if per_output_sums is None else \
                        [s + p * size for s, p in zip(per_output_sums, per_output)]
                    logs = self._logs(loss_sum / seen, [s / seen for s in per_output_sums])
                    callback_list.on_train_batch_end(step, logs)
                    if interrupt.requested or self.stop_training:
                        break
                if interrupt.requested:
                    interrupted = True
                    self.stop_training = True
                epoch_logs = dict(logs) if steps else {}
                if val is not None and not interrupted and (epoch + 1) % int(validation_freq) == 0:
                    val_logs = self._evaluate_arrays(val[0], val[1], val[2],
                                                     validation_batch_size or batch_size, callback_list)
                    epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
                callback_list.on_epoch_end(epoch, epoch_logs)
                if self.stop_training:
                    break
            callback_list.on_train_end(epoch_logs)
        if interrupted:
            raise KeyboardInterrupt("fit() interrupted between batches; model.history holds the completed steps")
        return self.history

    def _evaluate_arrays(self, xs, ys, sws, batch_size, callback_list=None):
        n = xs[0].shape[0]
        self._reset_metrics()
        loss_sum = 0.0
        per_sums = None
        if callback_list is not None:
            callback_list.on_test_begin()
        for start in range(0, n, batch_size):
            index = slice(start, min(n, start + batch_size))
            bx, by, bsw = (data_utils.take(a, index) for a in (xs, ys, sws))
            outputs = self._forward(bx, training=False)
            total, per_output, _ = self._compute_loss(by, outputs, bsw, with_grad=False)
            size = bx[0].shape[0]
            loss_sum += total * size
            per_sums = [p * size for p in per_output] if per_sums is None else \
                [s + p * size for s, p in zip(per_sums, per_output)]
            self._update_metrics(by, outputs, bsw)
        reg = self._regularization_loss(self.weights)
        logs = self._logs(loss_sum / n + reg, [s / n for s in per_sums])
        if callback_list is not None:
            callback_list.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """Loss and metrics over (x, y) in batches (default 32), in inference mode."""
        self._require_compiled("evaluate")
        batch_size = _check_batch_size(batch_size)
        xs, ys, sws, _ = self._prepare(x, y, sample_weight)
        logs = self._evaluate_arrays(xs, ys, sws, batch_size)
        return self._format_result(logs, return_dict)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Outputs for every sample of x, computed in batches (default 32) in inference mode."""
        batch_size = _check_batch_size(batch_size)
        xs = data_utils.as_arrays(x, "x", self.input_names)
        n = data_utils.check_lengths(xs)
        data_utils.check_finite(xs, "x")
        chunks = None
        for start in range(0, n, batch_size):
            outputs = self._forward(data_utils.take(xs, slice(start, min(n, start + batch_size))), training=False)
            if chunks is None:
                chunks = [[] for _ in outputs]
            for store, out in zip(chunks, outputs):
                store.append(out)
        results = [np.concatenate(c, axis=0) for c in chunks]
        return results[0] if len(results) == 1 else results

    # ---- description ----
    def summary(self, line_length=None, print_fn=None):
        """Print a table of the layers, their output shapes and parameter counts."""
        from fastnn.engine.summary import print_summary

        print_summary(self, print_fn=print_fn)

    # ---- saving (fastnn.saving: a safe zip of JSON and raw tensors; any file name) ----
    def save(self, filepath, overwrite=True, include_optimizer=True, **kwargs):
        """Save architecture, weights, compile config and optimizer state to `filepath` (atomic write)."""
        from fastnn import saving

        saving.save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def save_weights(self, filepath, overwrite=True, **kwargs):
        """Save the weights (``model.weights`` order) to `filepath` (atomic write)."""
        from fastnn import saving

        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Load weights saved by ``save_weights`` or ``save``; shapes are checked before anything changes."""
        from fastnn import saving

        saving.load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def get_compile_config(self):
        from fastnn import losses as _losses
        from fastnn import optimizers

        if not self.compiled:
            return None
        return {"optimizer": optimizers.serialize(self.optimizer),
                "loss": _serialize_nested(self._loss_config, _losses.serialize),
                "loss_weights": self._loss_weights_config,
                "metrics": _serialize_metrics(self._metric_config),
                "weighted_metrics": _serialize_metrics(self._weighted_metric_config)}


def _as_metric_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _serialize_nested(value, serialize):
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: _serialize_nested(v, serialize) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_serialize_nested(v, serialize) for v in value]
    return value if isinstance(value, str) else serialize(value)


def _serialize_metrics(value):
    from fastnn import metrics as _metrics

    def one(m):
        return m if isinstance(m, str) else _metrics.serialize(m)

    if value is None:
        return None
    if isinstance(value, dict):
        return {k: _serialize_metrics(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_serialize_metrics(v) if isinstance(v, (list, tuple, dict)) else one(v) for v in value]
    return one(value)


def _check_batch_size(batch_size):
    if batch_size is None:
        return 32
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, received {batch_size!r}")
    return int(batch_size)
