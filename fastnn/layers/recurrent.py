"""Recurrent layers with Keras 3 semantics: SimpleRNN, LSTM, GRU on fused native kernels (csrc/rnn.c).

Shared behaviour (the ``RNN`` base class):
  * input ``(batch, timesteps, features)``; output ``(batch, units)`` (last output) or
    ``(batch, timesteps, units)`` with ``return_sequences``; with ``return_state`` a list
    ``[output, *final_states]`` (LSTM: ``[output, h, c]``).
  * ``go_backwards``: the sequence (and its mask) is processed from the last step to the first and the
    returned sequence is in that processing order (Keras).
  * ``mask`` (call argument, bool ``(batch, timesteps)``, True = use the step): a masked step carries
    every state through unchanged. The output at a masked step repeats the previous step's output (0
    before the first unmasked step), or is 0 when ``zero_output_for_mask`` (Bidirectional sets it
    when returning sequences) — Keras's rule.
  * initial states: ``initial_state=[h0, (c0)]`` (call argument), or as extra inputs
    ``layer([x, h0, (c0)])``. In the second form the tape differentiates the states too: backward
    returns ``[dx, dh0, (dc0)]``; with the keyword form backward returns ``dx`` only.
  * ``stateful``: the final states of a call are the initial states of the next (same batch size);
    ``reset_states()`` zeroes them.
  * ``dropout`` / ``recurrent_dropout`` (training only): one inverted-dropout mask per sequence on
    the inputs and one on h_{t-1} in the recurrent projection, the same at every step (Gal & Ghahramani;
    Keras 3 draws one mask per gate when recurrent_dropout is set: statistically the same kind of
    regulariser, not the same random numbers).
  * ``unroll``, ``use_cudnn`` and ``implementation`` are accepted and ignored (the fused kernels loop
    natively; there is one CPU implementation).
"""
import numpy as np

from fastnn import activations, config, initializers, regularizers
from fastnn._native import _rnn
from fastnn.engine.layer import Layer

_ACT_CODES = _rnn.ACTIVATION_CODES


def _constraints():
    from fastnn import constraints

    return constraints


def _activation(identifier, layer, arg):
    """(Activation object, kernel code) for an activation the fused kernels implement."""
    act = activations.get(identifier)
    name = getattr(act, "name", None)
    cfg = act.get_config() if hasattr(act, "get_config") else {}
    if name not in _ACT_CODES or cfg:
        raise ValueError(f"{layer}: {arg}={identifier!r} is not supported by the fused recurrent kernels; "
                         f"expected one of {sorted(_ACT_CODES)}")
    return act, _ACT_CODES[name]


def _serialize(module, obj):
    return None if obj is None else module.serialize(obj)


def _rate(value, layer, arg):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{layer}: {arg} must be a float in [0, 1), received {value!r}") from None
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{layer}: {arg} must be in [0, 1), received {value}")
    return value


class RNN(Layer):
    """Base class of the fused recurrent layers (not a Keras ``RNN(cell)`` wrapper).

    Subclasses set ``_GATES`` (gate blocks per kernel), ``_STATES`` (number of state tensors) and
    implement ``_run_forward`` / ``_run_backward`` on time-major buffers.
    """

    _GATES = 1
    _STATES = 1

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False,
                 zero_output_for_mask=False, use_cudnn="auto", implementation=2, **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"{cls}: use_cudnn must be 'auto', True or False, received {use_cudnn!r}")
        if implementation not in (1, 2):
            raise ValueError(f"{cls}: implementation must be 1 or 2, received {implementation!r}")
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units < 1:
            raise ValueError(f"{cls}: units must be a positive integer, received {units!r}")
        self.units = int(units)
        self.activation, self._act = _activation(activation, cls, "activation")
        self.recurrent_activation, self._ract = _activation(recurrent_activation, cls, "recurrent_activation")
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        cons = _constraints()
        self.kernel_constraint = cons.get(kernel_constraint)
        self.recurrent_constraint = cons.get(recurrent_constraint)
        self.bias_constraint = cons.get(bias_constraint)
        self.dropout = _rate(dropout, cls, "dropout")
        self.recurrent_dropout = _rate(recurrent_dropout, cls, "recurrent_dropout")
        self.seed = seed
        self._seed(seed)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.states = None
        self.input_dim = None
        self._scratch_buffers = {}

    # ---- weights ----
    def _bias_shape(self):
        return (self._GATES * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def build(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        input_shape = tuple(input_shape)
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected input of shape (batch, timesteps, "
                             f"features), received {input_shape}")
        self.input_dim = int(input_shape[-1])
        width = self._GATES * self.units
        self.kernel = self.add_weight("kernel", (self.input_dim, width), self.kernel_initializer,
                                      self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, width), self.recurrent_initializer,
                                                self.recurrent_regularizer, constraint=self.recurrent_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", self._bias_shape(), self._bias_initializer(), self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.built = True

    # ---- shapes and masks ----
    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        batch, steps = input_shape[0], input_shape[1]
        out = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return [out] + [(batch, self.units)] * self._STATES
        return out

    def _never_makes_mask(self):
        return not self.return_state  # with states, compute_mask returns a list even for no mask

    def compute_mask(self, inputs, mask=None):
        """The output mask: the input mask when returning sequences, else None (states: None)."""
        out = mask if self.return_sequences else None
        if self.return_state:
            return [out] + [None] * self._STATES
        return out

    def reset_states(self, states=None):
        """Zero the kept states of a stateful layer (or set them to `states`)."""
        if not self.stateful:
            raise AttributeError(f"{type(self).__name__} '{self.name}': reset_states() needs stateful=True")
        if self.states is None:
            return
        if states is None:
            for s in self.states:
                s[...] = 0
            return
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        self._check_states(states, self.states[0].shape[0])
        self.states = [np.array(s, dtype=self.dtype) for s in states]

    reset_state = reset_states

    # ---- input checks ----
    def _split_inputs(self, inputs):
        if isinstance(inputs, (list, tuple)):
            if len(inputs) != 1 + self._STATES:
                raise ValueError(f"{type(self).__name__} '{self.name}': expected the sequence alone or "
                                 f"[sequence, {self._STATES} initial state(s)], received a list of {len(inputs)}")
            return inputs[0], list(inputs[1:])
        return inputs, None

    def _check_states(self, states, batch):
        name = f"{type(self).__name__} '{self.name}'"
        if len(states) != self._STATES:
            raise ValueError(f"{name}: initial_state must be a list of {self._STATES} array(s) of shape "
                             f"(batch, {self.units}), received {len(states)}")
        for i, s in enumerate(states):
            shape = np.shape(s)
            if shape != (batch, self.units):
                raise ValueError(f"{name}: initial state {i} must have shape ({batch}, {self.units}), "
                                 f"received {shape}")

    def check_input(self, x):
        seq, states = self._split_inputs(x)
        name = f"{type(self).__name__} '{self.name}'"
        if seq.ndim != 3:
            raise ValueError(f"{name}: expected input of shape (batch, timesteps, features), received shape "
                             f"{seq.shape} (rank {seq.ndim})")
        if seq.shape[2] != self.input_dim:
            raise ValueError(f"{name}: expected {self.input_dim} features, i.e. input of shape (batch, timesteps, "
                             f"{self.input_dim}), received {seq.shape}")
        if seq.shape[1] == 0:
            raise ValueError(f"{name}: the input sequence has zero time steps (shape {seq.shape}); "
                             f"an RNN needs at least one step")
        if states is not None:
            self._check_states(states, seq.shape[0])

    # ---- forward / backward ----
    def forward(self, inputs, training=False, mask=None, initial_state=None):
        """Run the sequence; see the module docstring for outputs, masks and states."""
        if (not training and mask is None and initial_state is None and type(inputs) is np.ndarray
                and not self.stateful and not self.return_state):
            return self._forward_plain(inputs)
        seq, states = self._split_inputs(inputs)
        self.check_input(inputs)
        states_as_inputs = states is not None
        N, T, D = seq.shape
        dt = seq.dtype
        if states is None and initial_state is not None:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            self._check_states(states, N)
        if states is None and self.stateful:
            if self.states is None or self.states[0].shape[0] != N:
                if self.states is not None:
                    raise ValueError(f"{type(self).__name__} '{self.name}': a stateful layer needs a fixed batch "
                                     f"size; it keeps states for batch {self.states[0].shape[0]}, received a batch "
                                     f"of {N}")
                self.states = [np.zeros((N, self.units), dt) for _ in range(self._STATES)]
            states = self.states

        order = slice(None, None, -1) if self.go_backwards else slice(None)
        step_mask = None
        if mask is not None:
            m = np.asarray(mask)
            if m.shape != (N, T):
                raise ValueError(f"{type(self).__name__} '{self.name}': mask must have shape (batch, timesteps) = "
                                 f"{(N, T)}, received {m.shape}")
            m = m.astype(bool)
            if not m.all():
                step_mask = np.ascontiguousarray(m.T[order]).view(np.uint8)

        in_mask = None
        if training and self.dropout > 0:
            keep = 1.0 - self.dropout
            in_mask = (self.rng().random((N, D)) < keep).astype(dt) / dt.type(keep)
            seq = seq * in_mask[:, None, :]
        rec_mask = None
        if training and self.recurrent_dropout > 0:
            keep = 1.0 - self.recurrent_dropout
            rec_mask = (self.rng().random((N, self.units)) < keep).astype(dt) / dt.type(keep)

        xt = np.ascontiguousarray(seq.transpose(1, 0, 2)[order])
        bufs = self._alloc_states(T, N, dt, states)
        self._run_forward(xt, step_mask, rec_mask, bufs)
        H = bufs["H"]
        finals = [H[T].copy()] + ([bufs["C"][T].copy()] if self._STATES == 2 else [])

        # Output scale per (step, sample): Keras's masked output rule.
        scale = None
        if step_mask is not None:
            mb = step_mask.view(bool)
            scale = (mb if self.zero_output_for_mask else np.logical_or.accumulate(mb, axis=0)).astype(dt)
        if self.return_sequences:
            y = H[1:] if scale is None else H[1:] * scale[:, :, None]
            y = np.ascontiguousarray(y.transpose(1, 0, 2))
        else:
            y = H[T].copy() if scale is None else H[T] * scale[T - 1][:, None]
        if self.stateful:
            self.states = [f.copy() for f in finals]
        ctx = dict(xt=xt, mask=step_mask, rmask=rec_mask, in_mask=in_mask, bufs=bufs, scale=scale,
                   states_as_inputs=states_as_inputs, shape=(N, T, D))
        if self.return_state:
            return [y] + finals, ctx
        return y, ctx

    def _forward_plain(self, x):
        """forward() for the common inference call - one array, no mask, zero initial states, no dropout,
        no returned or kept states - without the branches for those (batch-1 latency); the same
        outputs and the same ctx for backward."""
        self.check_input(x)
        N, T, D = x.shape
        xt = x.transpose(1, 0, 2)
        xt = np.ascontiguousarray(xt[::-1] if self.go_backwards else xt)
        bufs = self._alloc_states(T, N, x.dtype, None)
        self._run_forward(xt, None, None, bufs)
        H = bufs["H"]
        y = np.ascontiguousarray(H[1:].transpose(1, 0, 2)) if self.return_sequences else H[T].copy()
        return y, dict(xt=xt, mask=None, rmask=None, in_mask=None, bufs=bufs, scale=None, states_as_inputs=False,
                       shape=(N, T, D))

    def _alloc_states(self, T, N, dt, states):
        """H (and C for an LSTM), (T + 1, N, units) each with the initial states at step 0, from one
        allocation (batch-1 inference spends more on allocating than on a short sequence's states)."""
        both = np.empty((self._STATES, T + 1, N, self.units), dt)
        if states is None:
            both[:, 0] = 0
        else:
            for i, s in enumerate(states):
                both[i, 0] = s
        bufs = {"H": both[0]}
        if self._STATES == 2:
            bufs["C"] = both[1]
        return bufs

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        N, T, D = ctx["shape"]
        if self.return_state:
            gy, g_states = grad_outputs[0], list(grad_outputs[1:])
        else:
            gy, g_states = grad_outputs, [None] * self._STATES
        dt = ctx["xt"].dtype
        scale = ctx["scale"]
        dstate = [np.zeros((N, self.units), dt) if g is None else np.array(g, dtype=dt, copy=True)
                  for g in g_states]
        dY = None
        if self.return_sequences:
            dY = np.ascontiguousarray(np.asarray(gy, dtype=dt).transpose(1, 0, 2))
            if scale is not None:
                dY *= scale[:, :, None]
        else:
            dstate[0] += gy if scale is None else gy * scale[T - 1][:, None]
        trainable = self.trainable
        grads = dict(dK=self.kernel.grad if trainable else None,
                     dR=self.recurrent_kernel.grad if trainable else None,
                     db=self.bias.grad if (trainable and self.bias is not None) else None)
        want_dx = need_input_grad
        dxt = np.empty((T, N, D), dt) if want_dx else None
        self._run_backward(ctx, dY, dstate, dxt, grads)
        if not want_dx:
            return None
        order = slice(None, None, -1) if self.go_backwards else slice(None)
        dx = np.ascontiguousarray(dxt[order].transpose(1, 0, 2))
        if ctx["in_mask"] is not None:
            dx *= ctx["in_mask"][:, None, :]
        if ctx["states_as_inputs"]:
            return [dx] + dstate
        return dx

    def _scratch(self, name, shape, dtype):
        """A reusable backward-only buffer (gate gradients, work space): its contents never outlive one
        backward call, and reusing it avoids page-zeroing a fresh allocation every step for large layers."""
        buf = self._scratch_buffers.get(name)
        if buf is None or buf.shape != tuple(shape) or buf.dtype != dtype:
            buf = np.empty(shape, dtype)
            self._scratch_buffers[name] = buf
        return buf

    # ---- configuration ----
    def get_config(self):
        cfg = super().get_config()
        cons = _constraints()
        cfg.update(
            units=self.units,
            activation=self.activation.name,
            use_bias=self.use_bias,
            kernel_initializer=_serialize(initializers, self.kernel_initializer),
            recurrent_initializer=_serialize(initializers, self.recurrent_initializer),
            bias_initializer=_serialize(initializers, self.bias_initializer),
            kernel_regularizer=_serialize(regularizers, self.kernel_regularizer),
            recurrent_regularizer=_serialize(regularizers, self.recurrent_regularizer),
            bias_regularizer=_serialize(regularizers, self.bias_regularizer),
            kernel_constraint=_serialize(cons, self.kernel_constraint),
            recurrent_constraint=_serialize(cons, self.recurrent_constraint),
            bias_constraint=_serialize(cons, self.bias_constraint),
            dropout=self.dropout,
            recurrent_dropout=self.recurrent_dropout,
            seed=self.seed,
            return_sequences=self.return_sequences,
            return_state=self.return_state,
            go_backwards=self.go_backwards,
            stateful=self.stateful,
            unroll=self.unroll,
            zero_output_for_mask=self.zero_output_for_mask,
        )
        return cfg


class SimpleRNN(RNN):
    """Fully-connected RNN: ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``.

    Args:
        units: size of the state and output.
        activation: 'tanh' (default), 'relu', 'sigmoid', 'hard_sigmoid' or 'linear'/None.
        use_bias, kernel_initializer ('glorot_uniform'), recurrent_initializer ('orthogonal'),
        bias_initializer ('zeros'), *_regularizer, *_constraint, dropout, recurrent_dropout, seed,
        return_sequences, return_state, go_backwards, stateful, unroll: as in Keras (see the module
        docstring). Weights: kernel (features, units), recurrent_kernel (units, units), bias (units,).
    """

    _GATES = 1
    _STATES = 1

    def __init__(self, units, activation="tanh", use_bias=True, **kwargs):
        kwargs.pop("recurrent_activation", None)
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)

    def _run_forward(self, xt, mask, rmask, bufs):
        T, N, _ = xt.shape
        bufs["G"] = np.empty((T, N, self.units), xt.dtype)
        bufs["HD"] = np.empty((T, N, self.units), xt.dtype) if rmask is not None else None
        _rnn.simple_rnn_forward(xt, self.kernel.value, self.recurrent_kernel.value,
                                None if self.bias is None else self.bias.value, mask, rmask, self._act,
                                bufs["G"], bufs["H"], bufs["HD"], config.get_num_threads())

    def _run_backward(self, ctx, dY, dstate, dxt, grads):
        b = ctx["bufs"]
        work = self._scratch("work", dstate[0].shape, dstate[0].dtype)
        dG = self._scratch("dG", b["G"].shape, b["G"].dtype)
        _rnn.simple_rnn_backward(ctx["xt"], self.kernel.value, self.recurrent_kernel.value, ctx["mask"],
                                 ctx["rmask"], self._act, b["H"], b["HD"], dY, dstate[0], dG, dxt,
                                 grads["dK"], grads["dR"], grads["db"], work, config.get_num_threads())



class LSTM(RNN):
    """Long Short-Term Memory (Hochreiter & Schmidhuber 1997), Keras 3 layout and semantics.

    With z = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias split into four blocks (i, f, c, o):
    ``i = ra(z_i), f = ra(z_f), c~ = a(z_c), o = ra(z_o); c_t = f c_{t-1} + i c~; h_t = o a(c_t)``
    with ra = recurrent_activation (sigmoid) and a = activation (tanh).

    Args:
        units: size of h and c.
        activation, recurrent_activation: 'tanh'/'sigmoid' by default; also 'relu', 'hard_sigmoid',
            'linear'.
        unit_forget_bias: add 1 to the forget-gate bias at initialization (bias block f = ones).
        other arguments: as SimpleRNN. Weights: kernel (features, 4 units), recurrent_kernel
        (units, 4 units), bias (4 units,) — Keras's, so copied Keras weights give the same outputs.
    """

    _GATES = 4
    _STATES = 2

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 unit_forget_bias=True, **kwargs):
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation,
                         use_bias=use_bias, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        base, u = self.bias_initializer, self.units

        def init(shape, dtype=None):
            return np.concatenate([np.asarray(base((u,), dtype=dtype)), np.ones((u,), dtype=dtype),
                                   np.asarray(base((2 * u,), dtype=dtype))]).astype(dtype)

        return init

    def _run_forward(self, xt, mask, rmask, bufs):
        T, N, _ = xt.shape
        u, dt = self.units, xt.dtype
        bufs["G"] = np.empty((T, N, 4 * u), dt)
        bufs["AC"] = np.empty((T, N, u), dt)
        bufs["HD"] = np.empty((T, N, u), dt) if rmask is not None else None
        _rnn.lstm_forward(xt, self.kernel.value, self.recurrent_kernel.value,
                          None if self.bias is None else self.bias.value, mask, rmask, self._act, self._ract,
                          bufs["G"], bufs["H"], bufs["C"], bufs["AC"], bufs["HD"], config.get_num_threads())

    def _run_backward(self, ctx, dY, dstate, dxt, grads):
        b = ctx["bufs"]
        dG = self._scratch("dG", b["G"].shape, b["G"].dtype)
        work = self._scratch("work", dstate[0].shape, dstate[0].dtype)
        _rnn.lstm_backward(ctx["xt"], self.kernel.value, self.recurrent_kernel.value, ctx["mask"], ctx["rmask"],
                           self._act, self._ract, b["G"], b["H"], b["C"], b["AC"], b["HD"], dY, dstate[0],
                           dstate[1], dG, dxt, grads["dK"], grads["dR"], grads["db"], work,
                           config.get_num_threads())

    def get_config(self):
        cfg = super().get_config()
        cfg.update(recurrent_activation=self.recurrent_activation.name, unit_forget_bias=self.unit_forget_bias)
        return cfg


class GRU(RNN):
    """Gated Recurrent Unit (Cho et al. 2014), Keras 3 layout and semantics (gate order z, r, h~).

    reset_after=True (default, cuDNN-compatible): with x-side projections x_* = x_t @ kernel_* + b_in_*
    and recurrent ones r_* = h_{t-1} @ recurrent_kernel_* + b_rec_*:
    ``z = ra(x_z + r_z); r = ra(x_r + r_r); h~ = a(x_h + r * r_h); h_t = z h_{t-1} + (1 - z) h~``;
    bias has shape (2, 3 units): [input bias; recurrent bias].
    reset_after=False: ``h~ = a(x_h + (r * h_{t-1}) @ recurrent_kernel_h)``; bias (3 units,).

    Args:
        units, activation ('tanh'), recurrent_activation ('sigmoid'), reset_after (True), and the
        arguments of SimpleRNN. Weights: kernel (features, 3 units), recurrent_kernel (units, 3 units).
    """

    _GATES = 3
    _STATES = 1

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True, reset_after=True,
                 **kwargs):
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation,
                         use_bias=use_bias, **kwargs)
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _run_forward(self, xt, mask, rmask, bufs):
        T, N, _ = xt.shape
        u, dt = self.units, xt.dtype
        bufs["G"] = np.empty((T, N, 3 * u), dt)
        bufs["S"] = np.empty((T, N, 3 * u) if self.reset_after else (T, N, u), dt)
        bufs["HD"] = np.empty((T, N, u), dt) if rmask is not None else None
        _rnn.gru_forward(xt, self.kernel.value, self.recurrent_kernel.value,
                         None if self.bias is None else self.bias.value, mask, rmask, self._act, self._ract,
                         self.reset_after, bufs["G"], bufs["S"], bufs["H"], bufs["HD"], config.get_num_threads())

    def _run_backward(self, ctx, dY, dstate, dxt, grads):
        b = ctx["bufs"]
        dG = self._scratch("dG", b["G"].shape, b["G"].dtype)
        dGr = self._scratch("dGr", b["G"].shape, b["G"].dtype) if self.reset_after else None
        work = self._scratch("work", dstate[0].shape, dstate[0].dtype)
        _rnn.gru_backward(ctx["xt"], self.kernel.value, self.recurrent_kernel.value, ctx["mask"], ctx["rmask"],
                          self._act, self._ract, self.reset_after, b["G"], b["S"], b["H"], b["HD"], dY,
                          dstate[0], dG, dGr, dxt, grads["dK"], grads["dR"], grads["db"], work,
                          config.get_num_threads())

    def get_config(self):
        cfg = super().get_config()
        cfg.update(recurrent_activation=self.recurrent_activation.name, reset_after=self.reset_after)
        return cfg
