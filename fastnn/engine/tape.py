"""The tape: records layer calls during a training step and runs their backward passes in reverse.

Arrays are identified by ``id()``; the tape holds a reference to every recorded input and output, so
an id cannot be reused while the tape lives. Where one array feeds several consumers, the gradients
arriving from each are summed.
"""
import numpy as np

_active_tapes = []


def current_tape():
    """The innermost active Tape, or None outside any ``with Tape():`` block."""
    return _active_tapes[-1] if _active_tapes else None


def _flatten(x):
    if isinstance(x, (list, tuple)):
        out = []
        for item in x:
            out.extend(_flatten(item))
        return out
    return [x]


def _restructure(like, flat):
    """Rebuild the list/tuple nesting of `like` from the flat sequence `flat` (consumed in order)."""
    return _build_like(like, iter(flat))


def _build_like(node, it):
    # A module-level function, not a closure calling itself: such a closure is a reference cycle that
    # kept every step's gradient arrays alive until the cyclic GC ran (~15 cnn steps, +500 MB of RSS).
    if isinstance(node, (list, tuple)):
        return type(node)(_build_like(n, it) for n in node)
    return next(it)


class _Record:
    __slots__ = ("layer", "inputs", "outputs", "ctx", "flat_inputs", "flat_outputs", "needs_input_grad")

    def __init__(self, layer, inputs, outputs, ctx, needs_input_grad):
        self.layer = layer
        self.inputs = inputs
        self.outputs = outputs
        self.ctx = ctx
        self.flat_inputs = _flatten(inputs)
        self.flat_outputs = _flatten(outputs)
        self.needs_input_grad = needs_input_grad


class Tape:
    """Context manager recording each ``Layer.__call__`` made inside it.

    Usage::

        with Tape() as tape:
            tape.watch(x)                 # only when the gradient with respect to x is wanted
            y = model(x, training=True)
        grads = tape.backward(y, dy, sources=[x])   # weight grads are added into Variable.grad
    """

    def __init__(self):
        self.records = []
        self._produced = set()  # ids of arrays that carry a gradient path (watched or recorded outputs)
        self._keep = []          # watched arrays, kept alive so their ids stay unique
        self._activity = {}      # id(output) -> (layer, output): activity regularizers to apply

    def __enter__(self):
        _active_tapes.append(self)
        return self

    def __exit__(self, *exc):
        _active_tapes.remove(self)
        return False

    def watch(self, array):
        """Ask for the gradient with respect to `array` (an input the model did not produce)."""
        self._keep.append(array)
        self._produced.add(id(array))

    def needs_grad(self, array):
        return id(array) in self._produced

    def record(self, layer, inputs, outputs, ctx):
        flat_in = _flatten(inputs)
        needs_input_grad = any(id(x) in self._produced for x in flat_in)
        rec = _Record(layer, inputs, outputs, ctx, needs_input_grad)
        self.records.append(rec)
        if needs_input_grad or layer.trainable_weights:
            for out in rec.flat_outputs:
                self._produced.add(id(out))

    def add_activity_loss(self, layer, outputs):
        """Remember that `layer`'s activity regularizer penalises `outputs` (see activity_loss)."""
        for out in _flatten(outputs):
            self._activity[id(out)] = (layer.activity_regularizer, out)

    def activity_loss(self):
        """Sum of the activity penalties of the recorded calls (added to the training loss)."""
        return float(sum(reg(out) for reg, out in self._activity.values()))

    def backward(self, outputs, grad_outputs, sources=()):
        """Propagate `grad_outputs` (matching `outputs`) back through every recorded call.

        Weight gradients are accumulated into each trainable Variable's ``grad``; the returned list
        holds the gradients with respect to `sources` (None where no path reaches a source).
        """
        grads = {}
        for out, g in zip(_flatten(outputs), _flatten(grad_outputs)):
            if g is not None:
                self._accumulate(grads, out, g)
        for rec in reversed(self.records):
            if not rec.needs_input_grad and not rec.layer.trainable_weights:
                continue
            g_out = [grads.pop(id(o), None) for o in rec.flat_outputs]
            for i, o in enumerate(rec.flat_outputs):
                if id(o) in self._activity:
                    reg, _ = self._activity[id(o)]
                    g_out[i] = reg.gradient(o) if g_out[i] is None else g_out[i] + reg.gradient(o)
            if all(g is None for g in g_out):
                continue
            g_out = [np.zeros_like(o) if g is None else g for g in g_out]
            g_in = rec.layer.backward(rec.ctx, _restructure(rec.outputs, g_out),
                                      need_input_grad=rec.needs_input_grad)
            if not rec.needs_input_grad or g_in is None:
                continue
            for x, g in zip(rec.flat_inputs, _flatten(g_in)):
                if g is not None and id(x) in self._produced:
                    self._accumulate(grads, x, g)
        return [grads.get(id(s)) for s in sources]

    @staticmethod
    def _accumulate(grads, array, g):
        key = id(array)
        prev = grads.get(key)
        if prev is None:
            grads[key] = g
        else:
            # The first gradient may be an array another layer still references: sum into a new one.
            grads[key] = prev + g
