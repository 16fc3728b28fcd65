"""The Callback base class and CallbackList, the container `fit` drives (Keras 3 hooks)."""

_HOOKS = (
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
    "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
    "on_predict_batch_begin", "on_predict_batch_end",
)


class Callback:
    """Base class of callbacks: hooks `fit`, `evaluate` and `predict` call at fixed points.

    Override the hooks you need. `self.model` is the model being trained (set by `set_model`) and
    `self.params` holds the loop's parameters ('verbose', 'epochs', 'steps').

    Hooks (all do nothing by default): on_train_begin/end(logs), on_epoch_begin/end(epoch, logs),
    on_train_batch_begin/end(batch, logs) (also reachable under the older names on_batch_begin/end),
    on_test_begin/end(logs), on_test_batch_begin/end(batch, logs), on_predict_begin/end(logs),
    on_predict_batch_begin/end(batch, logs). `logs` is a dict of metric values (e.g. {'loss': 0.3,
    'val_loss': 0.4} at epoch end); a callback may add entries (ReduceLROnPlateau adds 'learning_rate').
    """

    def __init__(self):
        self.params = {}
        self._model = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self._model = model

    @property
    def model(self):
        return getattr(self, "_model", None)

    def on_batch_begin(self, batch, logs=None):
        """Older name of on_train_batch_begin."""

    def on_batch_end(self, batch, logs=None):
        """Older name of on_train_batch_end."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of each training epoch (0-based `epoch`)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of each training epoch with the epoch's training and validation logs."""

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Called before each batch of evaluate() (and of fit's validation)."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after each batch of evaluate() (and of fit's validation)."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before each batch of predict()."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after each batch of predict()."""

    def on_train_begin(self, logs=None):
        """Called at the start of fit()."""

    def on_train_end(self, logs=None):
        """Called at the end of fit()."""

    def on_test_begin(self, logs=None):
        """Called at the start of evaluate() (and of fit's validation)."""

    def on_test_end(self, logs=None):
        """Called at the end of evaluate() (and of fit's validation)."""

    def on_predict_begin(self, logs=None):
        """Called at the start of predict()."""

    def on_predict_end(self, logs=None):
        """Called at the end of predict()."""


class CallbackList(Callback):
    """Calls every hook on each callback in order; what `fit`, `evaluate` and `predict` drive.

    Args:
        callbacks: a Callback or a list of them (None for none).
        add_history: append a History unless one is in the list (`fit` passes True); the model's
            `history` attribute is set to it.
        add_progbar: append a ProgbarLogger unless one is in the list (`fit` passes verbose != 0).
        model: the model, given to every callback via set_model.
        **params: loop parameters given to every callback via set_params ('verbose', 'epochs', 'steps').
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        if callbacks is None:
            callbacks = []
        elif isinstance(callbacks, Callback):
            callbacks = [callbacks]
        self.callbacks = []
        for item in callbacks:
            self._check(item)
            self.callbacks.append(item)
        from fastnn.callbacks.loggers import History, ProgbarLogger

        self._history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        self._progbar = next((cb for cb in self.callbacks if isinstance(cb, ProgbarLogger)), None)
        if add_history and self._history is None:
            self._history = History()
            self.callbacks.append(self._history)
        if add_progbar and self._progbar is None:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    @staticmethod
    def _check(item):
        if not isinstance(item, Callback):
            raise ValueError("callbacks must be fastnn.callbacks.Callback instances, received "
                             f"{type(item).__name__} ({item!r})")

    def append(self, callback):
        self._check(callback)
        self.callbacks.append(callback)
        if self.model is not None:
            callback.set_model(self.model)
        if self.params:
            callback.set_params(self.params)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)

    def set_params(self, params):
        super().set_params(params)
        for callback in self.callbacks:
            callback.set_params(params)

    def set_model(self, model):
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def _dispatch(self, hook, *args, logs=None):
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            # Positional, as Keras calls hooks: user functions may name the argument anything.
            getattr(callback, hook)(*args, logs)

    def on_batch_begin(self, batch, logs=None):
        self._dispatch("on_train_batch_begin", batch, logs=logs)

    def on_batch_end(self, batch, logs=None):
        self._dispatch("on_train_batch_end", batch, logs=logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._dispatch("on_epoch_begin", epoch, logs=logs)

    def on_epoch_end(self, epoch, logs=None):
        self._dispatch("on_epoch_end", epoch, logs=logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._dispatch("on_train_batch_begin", batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self._dispatch("on_train_batch_end", batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._dispatch("on_test_batch_begin", batch, logs=logs)

    def on_test_batch_end(self, batch, logs=None):
        self._dispatch("on_test_batch_end", batch, logs=logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._dispatch("on_predict_batch_begin", batch, logs=logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._dispatch("on_predict_batch_end", batch, logs=logs)

    def on_train_begin(self, logs=None):
        self._dispatch("on_train_begin", logs=logs)

    def on_train_end(self, logs=None):
        self._dispatch("on_train_end", logs=logs)

    def on_test_begin(self, logs=None):
        self._dispatch("on_test_begin", logs=logs)

    def on_test_end(self, logs=None):
        self._dispatch("on_test_end", logs=logs)

    def on_predict_begin(self, logs=None):
        self._dispatch("on_predict_begin", logs=logs)

    def on_predict_end(self, logs=None):
        self._dispatch("on_predict_end", logs=logs)


class LambdaCallback(Callback):
    """A callback built from plain functions, e.g. `LambdaCallback(on_epoch_end=lambda epoch, logs: ...)`.

    Args:
        on_epoch_begin, on_epoch_end: functions `(epoch, logs)`.
        on_train_begin, on_train_end: functions `(logs)`.
        on_train_batch_begin, on_train_batch_end: functions `(batch, logs)`.
        **kwargs: any other hook by name (on_test_begin, on_predict_batch_end, on_batch_end, ...).
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end, on_train_begin=on_train_begin,
                     on_train_end=on_train_end, on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end)
        valid = set(_HOOKS) | {"on_batch_begin", "on_batch_end"}
        for name, function in kwargs.items():
            if name not in valid:
                raise ValueError(f"LambdaCallback: unknown hook {name!r}; valid hooks: {sorted(valid)}")
            hooks[name] = function
        for name, function in hooks.items():
            if function is None:
                continue
            if not callable(function):
                raise ValueError(f"LambdaCallback: {name} must be callable, received {function!r}")
            setattr(self, name, function)
