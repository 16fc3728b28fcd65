"""Sequential: a plain stack of layers, each feeding the next."""
import inspect

import numpy as np

from fastnn import config
from fastnn._native import _gemm
from fastnn.engine.layer import Layer
from fastnn.engine.tape import current_tape
from fastnn.engine.training import Model


class Sequential(Model):
    """A linear stack of layers.

    Args:
        layers: list of layers (an ``InputLayer`` or ``input_shape=`` on the first layer fixes the
            input shape and builds the model at once; otherwise it builds on the first data).
        name: model name.

    Masks: a layer with ``compute_mask`` (Embedding(mask_zero=True), Masking) produces a mask that flows
    through layers with ``supports_masking = True`` to the next layer whose ``forward`` takes ``mask=``.
    """

    def __init__(self, layers=None, name=None, trainable=True, dtype=None):
        super().__init__(name=name, trainable=trainable, dtype=dtype)
        self._input_layer = None
        self._mask_kw = {}
        self._plain_layers = None  # see _plain_inference_layers
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        """Append a layer (or an ``Input(...)`` tensor, which declares the input shape)."""
        from fastnn.engine import symbolic
        from fastnn.layers.core import InputLayer

        if isinstance(layer, symbolic.KerasTensor):
            if layer.node is not None:
                raise ValueError("Sequential.add: only fastnn.Input(...) tensors or layers can be added; "
                                 "this tensor is the output of a layer (use a Functional Model instead)")
            layer = InputLayer(batch_shape=layer.shape, dtype=layer.dtype)
        if not isinstance(layer, Layer):
            raise ValueError(f"Sequential.add: expected a Layer instance, received {layer!r} "
                             f"({type(layer).__name__}); did you forget to instantiate it, e.g. Dense(10)?")
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or self._sublayers:
                raise ValueError("Sequential: an InputLayer / Input must come first, and only once")
            self._input_layer = layer
            self._build_from(layer.batch_shape)
            return
        names = {l.name for l in self._sublayers}
        if layer.name in names:
            raise ValueError(f"Sequential: all layers must have unique names; '{layer.name}' is already used")
        self._track_layer(layer)
        self._plain_layers = None
        if len(self._sublayers) == 1 and self._input_layer is None and layer._batch_input_shape is not None:
            self._input_layer = InputLayer(batch_shape=layer._batch_input_shape, dtype=layer._dtype)
        if self._input_layer is not None:
            self._build_from(self._input_layer.batch_shape)

    def pop(self):
        """Remove the last layer."""
        if not self._sublayers:
            raise ValueError("Sequential.pop: the model has no layers")
        self._sublayers.pop()
        self._plain_layers = None

    @property
    def input_shape(self):
        return None if self._input_layer is None else self._input_layer.batch_shape

    @property
    def output_names(self):
        return [self._sublayers[-1].name] if self._sublayers else ["output"]

    def _build_from(self, batch_shape):
        """Build every layer in turn from the input shape; returns the output shape."""
        from fastnn import config

        if self._dtype is None:
            self._dtype = config.standardize_dtype(None)
        shape = tuple(batch_shape)
        for layer in self._sublayers:
            if isinstance(layer, Model) and not layer.built:
                layer.build(shape)
            else:
                if layer._dtype is None:
                    layer._dtype = self._dtype
                layer._maybe_build(shape)
            shape = layer.compute_output_shape(shape)
        self.built = bool(self._sublayers)
        self.input_shape_built = tuple(batch_shape)
        return shape

    def build(self, input_shape=None):
        shape = input_shape or self.input_shape
        if shape is None:
            raise ValueError(f"Sequential '{self.name}': give an input shape (build((None, 784)), an InputLayer, "
                             f"or input_shape= on the first layer) or call the model on data")
        from fastnn.layers.core import InputLayer

        if self._input_layer is None:
            self._input_layer = InputLayer(batch_shape=tuple(shape))
        self._build_from(tuple(shape))

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._sublayers:
            shape = layer.compute_output_shape(shape)
        return shape

    def predict_on_batch(self, x):
        """Outputs for one batch (inference mode); a lean path for a plain array of the model's dtype."""
        if type(x) is np.ndarray and self.built and x.dtype == self._dtype and x.ndim and x.shape[0] \
                and self.input_shape_built is not None and current_tape() is None:
            return self.call(x, training=False)
        return super().predict_on_batch(x)

    def _plain_inference_layers(self):
        """The inference plan when every layer can run by forward() alone (no nested models, no mask
        producers, all of the model's dtype), else None: a tuple whose items are a layer, or a tuple of
        consecutive plain Dense layers that run as one native call (_gemm.dense_chain: the same kernels,
        no Python frame per layer). Cached until layers are added or removed."""
        if self._plain_layers is None:
            plain = all(not isinstance(l, Model) and l._never_makes_mask() and l._dtype == self._dtype
                        for l in self._sublayers)
            self._plain_layers = _inference_plan(self._sublayers) if plain else ()
        return self._plain_layers or None

    def _accepts_mask(self, layer):
        key = id(layer)
        if key not in self._mask_kw:
            try:
                self._mask_kw[key] = "mask" in inspect.signature(layer.forward).parameters
            except (TypeError, ValueError):
                self._mask_kw[key] = False
        return self._mask_kw[key]

    def call(self, inputs, training=False, mask=None):
        if not self._sublayers:
            raise ValueError(f"Sequential '{self.name}' has no layers; add some before calling it")
        x = inputs
        if not self.built or self.input_shape_built is None:
            self._build_from((None,) + tuple(x.shape[1:]))
        expected = self.input_shape_built
        if x.shape[1:] != expected[1:]:  # equal tuples: fully known shape matched, nothing more to check
            if x.ndim != len(expected) or any(e is not None and e != d for e, d in zip(expected[1:], x.shape[1:])):
                raise ValueError(f"Sequential '{self.name}': expected input of shape {expected}, received {x.shape}")
            first = self._sublayers[0]
            if not isinstance(first, Model):
                first.check_input(x)
        tape = current_tape()
        if tape is None and mask is None:
            plain = self._plain_inference_layers()
            if plain is not None and x.dtype == self._dtype:
                # Inference fast path (batch-1 latency): forward() straight, no tape, no masks, no casts.
                for step in plain:
                    if type(step) is not tuple:
                        x = step.forward(x, training=training)[0]
                    elif x.ndim == 2 and x.flags.c_contiguous:
                        x = _gemm.dense_chain(x, step, config.get_num_threads())
                    else:
                        for layer in step:
                            x = layer.forward(x, training=training)[0]
                return x
        for layer in self._sublayers:
            if isinstance(layer, Model):
                out = layer(x, training=training)
                mask = None
            else:
                kwargs = {"mask": mask} if mask is not None and self._accepts_mask(layer) else {}
                if layer._dtype is not None and x.dtype != layer._dtype:
                    # A layer of another precision: __call__ converts (and records the cast for backward).
                    out = layer(x, training=training, **kwargs)
                else:
                    out = layer._run(x, training, tape, **kwargs)
                if hasattr(layer, "compute_mask"):
                    mask = layer.compute_mask(x, mask)
                elif not getattr(layer, "supports_masking", False):
                    mask = None
            x = out
        return x

    def get_config(self):
        from fastnn.engine.serialization import serialize_layer

        cfg = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype, "layers": []}
        if self._input_layer is not None:
            cfg["layers"].append(serialize_layer(self._input_layer))
        cfg["layers"].extend(serialize_layer(l) for l in self._sublayers)
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from fastnn.engine.serialization import deserialize_layer

        model = cls(name=config.get("name"), trainable=config.get("trainable", True), dtype=config.get("dtype"))
        for item in config.get("layers", []):
            model.add(deserialize_layer(item, custom_objects=custom_objects))
        return model


def _inference_plan(layers):
    """Group runs of plain Dense layers (exactly Dense, built, with a plain elementwise Activation) into
    tuples for _gemm.dense_chain; every other layer stays a step of its own."""
    from fastnn.activations import Activation
    from fastnn.layers.core import Dense

    plan, run = [], []
    for layer in layers:
        if type(layer) is Dense and layer.built and type(layer.activation) is Activation:
            run.append(layer)
            continue
        if run:
            plan.append(tuple(run))
            run = []
        plan.append(layer)
    if run:
        plan.append(tuple(run))
    return tuple(plan)
