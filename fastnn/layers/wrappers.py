"""Layer wrappers with Keras 3 semantics: Bidirectional (for the recurrent layers) and TimeDistributed."""
import numpy as np

from fastnn.engine.layer import Layer

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _serialize(layer):
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def _deserialize(item, custom_objects=None):
    """A layer from ``{"class_name", "config"}`` through fastnn's registry; the recurrent, embedding and
    wrapper classes are always resolvable (whether or not fastnn.layers exports them yet)."""
    from fastnn.layers import embedding, recurrent

    known = {c.__name__: c for c in (recurrent.SimpleRNN, recurrent.LSTM, recurrent.GRU, embedding.Embedding,
                                     embedding.Masking, Bidirectional, TimeDistributed)}
    known.update(custom_objects or {})
    try:
        from fastnn.engine.serialization import deserialize_layer
    except ImportError:
        deserialize_layer = None
    if deserialize_layer is not None:
        return deserialize_layer(item, custom_objects=known)
    if not isinstance(item, dict) or item.get("class_name") not in known:
        raise ValueError(f"Unknown layer in wrapper config: {item!r:.200}")
    return known[item["class_name"]].from_config(dict(item.get("config", {})))


def _build_sublayer(layer, input_shape, dtype):
    """Build a wrapped layer in the wrapper's dtype (the wrapper converts every input to it)."""
    if not layer.built:
        layer._dtype = dtype
        layer.build(input_shape)
        layer.built = True
        layer.input_shape_built = input_shape


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards over the sequence and merges the two.

    Args:
        layer: a recurrent layer (SimpleRNN, LSTM, GRU). The wrapper builds two fresh layers from its
            config (``forward_<name>`` and ``backward_<name>`` with go_backwards flipped); like Keras, it
            does not reuse the given layer's weights.
        merge_mode: 'concat' (default), 'sum', 'mul', 'ave', or None (outputs returned as a list
            ``[forward, backward]``).
        backward_layer: optional explicit backward layer; it must have the opposite go_backwards and
            the same return_sequences, return_state and stateful.

    With return_sequences the backward output is flipped back to the input's time order before
    merging, and masked steps output zeros (``zero_output_for_mask`` is forced on, as in Keras).
    ``initial_state`` (call argument or extra inputs ``[x, *states]``): the first half of the states goes
    to the forward layer, the second half to the backward layer. With return_state the output is
    ``[merged, *forward_states, *backward_states]`` (merge_mode None: ``[fwd, bwd, *states]``).
    Weights: forward layer's, then backward layer's (Keras's order).
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        from fastnn.layers.recurrent import RNN

        if not isinstance(layer, RNN):
            raise ValueError(f"Bidirectional: layer must be a recurrent layer (SimpleRNN, LSTM, GRU), received "
                             f"{layer!r}")
        if backward_layer is not None and not isinstance(backward_layer, RNN):
            raise ValueError(f"Bidirectional: backward_layer must be a recurrent layer, received {backward_layer!r}")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Bidirectional: invalid merge_mode {merge_mode!r}; expected one of "
                             f"{list(_MERGE_MODES)}")
        super().__init__(**kwargs)

        def copy_config(prefix):
            cfg = layer.get_config()
            cfg["name"] = prefix + layer.name
            if self._dtype is not None:
                cfg["dtype"] = self.dtype
            elif layer._dtype is None:
                cfg.pop("dtype", None)  # follow the wrapper's dtype when it is built
            return cfg

        self.forward_layer = type(layer).from_config(copy_config("forward_"))
        if backward_layer is None:
            cfg = copy_config("backward_")
            cfg["go_backwards"] = not layer.go_backwards
            backward_layer = type(layer).from_config(cfg)
        self.backward_layer = backward_layer
        f, b = self.forward_layer, self.backward_layer
        if f.go_backwards == b.go_backwards:
            raise ValueError(f"Bidirectional: forward and backward layers must have different go_backwards, both "
                             f"have {f.go_backwards}")
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(f, attr) != getattr(b, attr):
                raise ValueError(f"Bidirectional: forward and backward layers must have the same {attr}, received "
                                 f"{getattr(f, attr)} and {getattr(b, attr)}")
        for sub in (f, b):
            sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = f.return_sequences
        self.return_state = f.return_state
        self.stateful = f.stateful
        self.supports_masking = True
        self._track_layer(f)
        self._track_layer(b)
        self._initial_weights = weights

    def build(self, input_shape):
        seq_shape = input_shape[0] if isinstance(input_shape, list) else input_shape
        _build_sublayer(self.forward_layer, seq_shape, self._dtype)
        _build_sublayer(self.backward_layer, seq_shape, self._dtype)
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def compute_output_shape(self, input_shape):
        out = self.forward_layer.compute_output_shape(input_shape)
        states = []
        if self.return_state:
            out, states = out[0], out[1:]
        if self.merge_mode == "concat":
            out = tuple(out[:-1]) + (None if out[-1] is None else 2 * out[-1],)
            outs = [out]
        elif self.merge_mode is None:
            outs = [out, out]
        else:
            outs = [out]
        if self.return_state:
            return outs + states + states
        return outs if self.merge_mode is None else outs[0]

    def _never_makes_mask(self):
        return not self.return_state and self.merge_mode is not None

    def compute_mask(self, inputs, mask=None):
        out = mask if self.return_sequences else None
        outs = [out, out] if self.merge_mode is None else [out]
        if self.return_state:
            return outs + [None] * (2 * self.forward_layer._STATES)
        return outs if self.merge_mode is None else outs[0]

    def check_input(self, x):
        self.forward_layer.check_input(self._split(x)[0])

    def _split(self, inputs):
        n = self.forward_layer._STATES
        if isinstance(inputs, (list, tuple)):
            if len(inputs) != 1 + 2 * n:
                raise ValueError(f"Bidirectional '{self.name}': expected the sequence alone or [sequence, "
                                 f"{2 * n} initial states], received a list of {len(inputs)}")
            return inputs[0], list(inputs[1:1 + n]), list(inputs[1 + n:])
        return inputs, None, None

    def reset_states(self):
        if not self.stateful:
            raise AttributeError(f"Bidirectional '{self.name}': reset_states() needs a stateful layer")
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    reset_state = reset_states

    def forward(self, inputs, training=False, mask=None, initial_state=None):
        x, fs, bs = self._split(inputs)
        states_as_inputs = fs is not None
        f_in, b_in = ([x] + fs, [x] + bs) if states_as_inputs else (x, x)
        kw_f, kw_b = {}, {}
        if initial_state is not None and not states_as_inputs:
            initial_state = list(initial_state)
            if len(initial_state) != 2 * self.forward_layer._STATES:
                raise ValueError(f"Bidirectional '{self.name}': initial_state must hold "
                                 f"{2 * self.forward_layer._STATES} arrays (forward states, then backward states), "
                                 f"received {len(initial_state)}")
            half = len(initial_state) // 2
            kw_f["initial_state"], kw_b["initial_state"] = initial_state[:half], initial_state[half:]
        yf, ctx_f = self.forward_layer.forward(f_in, training=training, mask=mask, **kw_f)
        yb, ctx_b = self.backward_layer.forward(b_in, training=training, mask=mask, **kw_b)
        states = []
        if self.return_state:
            states = yf[1:] + yb[1:]
            yf, yb = yf[0], yb[0]
        if self.return_sequences:
            yb = yb[:, ::-1]
        mode = self.merge_mode
        if mode == "concat":
            out = [np.concatenate([yf, yb], axis=-1)]
        elif mode == "sum":
            out = [yf + yb]
        elif mode == "ave":
            out = [(yf + yb) * yf.dtype.type(0.5)]
        elif mode == "mul":
            out = [yf * yb]
        else:
            out = [yf, np.ascontiguousarray(yb)]
        ctx = dict(f=ctx_f, b=ctx_b, yf=yf, yb=yb, states_as_inputs=states_as_inputs)
        outputs = out + states
        if len(outputs) == 1:
            return outputs[0], ctx
        return outputs, ctx

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        n_out = 2 if self.merge_mode is None else 1
        grads = list(grad_outputs) if (self.return_state or self.merge_mode is None) else [grad_outputs]
        g_out, g_states = grads[:n_out], grads[n_out:]
        yf, yb = ctx["yf"], ctx["yb"]
        mode = self.merge_mode
        if mode == "concat":
            u = yf.shape[-1]
            gf, gb = g_out[0][..., :u], g_out[0][..., u:]
        elif mode == "sum":
            gf = gb = g_out[0]
        elif mode == "ave":
            gf = gb = g_out[0] * yf.dtype.type(0.5)
        elif mode == "mul":
            gf, gb = g_out[0] * yb, g_out[0] * yf
        else:
            gf, gb = g_out
        if self.return_sequences:
            gb = gb[:, ::-1]
        gf, gb = np.ascontiguousarray(gf), np.ascontiguousarray(gb)
        if self.return_state:
            half = len(g_states) // 2
            gf, gb = [gf] + g_states[:half], [gb] + g_states[half:]
        dxf = self.forward_layer.backward(ctx["f"], gf, need_input_grad)
        dxb = self.backward_layer.backward(ctx["b"], gb, need_input_grad)
        if not need_input_grad:
            return None
        if ctx["states_as_inputs"]:
            return [dxf[0] + dxb[0]] + dxf[1:] + dxb[1:]
        return dxf + dxb

    def get_config(self):
        cfg = super().get_config()
        cfg.update(layer=_serialize(self.forward_layer), merge_mode=self.merge_mode,
                   backward_layer=_serialize(self.backward_layer))
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = _deserialize(config.pop("layer"), custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            backward = _deserialize(backward, custom_objects)
        # The serialized names already carry the forward_/backward_ prefixes.
        obj = cls(layer, backward_layer=backward, **config)
        obj.forward_layer.name = layer.name
        if backward is not None:
            obj.backward_layer.name = backward.name
        return obj


class TimeDistributed(Layer):
    """Applies `layer` to every time step: input (batch, timesteps, ...) -> (batch, timesteps, ...out).

    The steps are folded into the batch axis (one call of the inner layer on (batch*timesteps, ...)),
    so any layer whose forward/backward work on a batch of samples (Dense, Conv2D, ...) is supported.

    Args:
        layer: the layer to apply at each step; its weights are shared across steps.
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed: layer must be a Layer instance, received {layer!r}")
        super().__init__(**kwargs)
        self.layer = layer
        self._inner_shape = None
        self.supports_masking = True
        self._track_layer(layer)

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) < 3:
            raise ValueError(f"TimeDistributed '{self.name}': expected input of rank >= 3 (batch, timesteps, ...), "
                             f"received shape {input_shape}")
        self._inner_shape = (None,) + input_shape[2:]
        _build_sublayer(self.layer, self._inner_shape, self._dtype)
        self.built = True

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape((None,) + tuple(input_shape[2:]))
        return (input_shape[0], input_shape[1]) + tuple(inner[1:])

    def _never_makes_mask(self):
        return True

    def compute_mask(self, inputs, mask=None):
        return mask

    def check_input(self, x):
        if x.ndim < 3 or (self._inner_shape is not None and x.shape[2:] != tuple(self._inner_shape[1:])):
            raise ValueError(f"TimeDistributed '{self.name}': expected input of shape (batch, timesteps) + "
                             f"{tuple(self._inner_shape[1:])}, received {x.shape}")
        self.layer.check_input(x.reshape((-1,) + x.shape[2:]))

    def forward(self, inputs, training=False, mask=None):
        n, t = inputs.shape[:2]
        y, ctx = self.layer.forward(inputs.reshape((n * t,) + inputs.shape[2:]), training=training)
        return y.reshape((n, t) + y.shape[1:]), (ctx, inputs.shape, y.shape)

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        inner_ctx, in_shape, y_shape = ctx
        dx = self.layer.backward(inner_ctx, np.ascontiguousarray(grad_outputs).reshape(y_shape), need_input_grad)
        return None if dx is None else dx.reshape(in_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg["layer"] = _serialize(self.layer)
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = _deserialize(config.pop("layer"), custom_objects)
        return cls(layer, **config)
