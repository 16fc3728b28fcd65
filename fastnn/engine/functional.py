"""Functional models: ``Model(inputs, outputs)`` over a graph of layer calls on symbolic tensors.

``Input`` tensors flow through layer calls; each call leaves a ``Node`` (layer, input tensors, output
tensors) on the tensors it produces (fastnn.engine.symbolic). ``Functional`` walks those links back
from the outputs to the inputs, orders the nodes topologically and runs them in that order, each call
through ``Layer._run`` so the active Tape records it (a layer called at several nodes - a shared layer -
gets one tape record, with its own ctx, per call). Graphs may be any DAG: residual connections, several
inputs and outputs, shared layers, and models (Sequential or Functional) used as layers.
"""

from fastnn.engine import symbolic
from fastnn.engine.layer import Layer
from fastnn.engine.tape import _flatten, _restructure, current_tape
from fastnn.engine.training import Model


def _structure_kind(value, what):
    if isinstance(value, symbolic.KerasTensor):
        return "single"
    if isinstance(value, dict):
        if not value:
            raise ValueError(f"Model: {what} must not be empty")
        return "dict"
    if isinstance(value, (list, tuple)):
        if not value:
            raise ValueError(f"Model: {what} must not be empty")
        return "list"
    raise ValueError(f"Model: {what} must be a KerasTensor (from fastnn.Input or a layer call), a list or a "
                     f"dict of them, received {type(value).__name__}")


def _tensors(value, kind):
    items = list(value.values()) if kind == "dict" else list(value) if kind == "list" else [value]
    return items


def _tensor_label(t):
    if t.node is None:
        return f"Input '{t.name}' with shape {t.shape}"
    return f"output of layer '{t.node.layer.name}' with shape {t.shape}"


class Functional(Model):
    """A model defined by its input and output tensors: ``Model(inputs, outputs, name=None)``.

    Args:
        inputs: a KerasTensor from ``fastnn.Input``, or a list / dict (keyed by name) of them.
        outputs: a KerasTensor produced from the inputs by layer calls, or a list / dict of them.
        name: model name.

    Input names (``input_names``) are the names of the Input tensors, so dict data can be keyed by
    them; output names (``output_names``) are the names of the layers producing each output (or the
    keys of a dict of outputs) and key per-output losses, loss_weights and metrics in ``compile``.
    """

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        Model.__init__(self, name=name, trainable=trainable, **kwargs)
        self._input_kind = _structure_kind(inputs, "inputs")
        self._output_kind = _structure_kind(outputs, "outputs")
        in_tensors = _tensors(inputs, self._input_kind)
        out_tensors = _tensors(outputs, self._output_kind)
        for t in in_tensors + out_tensors:
            if not isinstance(t, symbolic.KerasTensor):
                raise ValueError(f"Model: inputs and outputs must be KerasTensors (from fastnn.Input or layer calls), "
                                 f"received {type(t).__name__}")
        for t in in_tensors:
            if t.node is not None:
                raise ValueError(f"Model: every input must come from fastnn.Input(...); received the "
                                 f"{_tensor_label(t)}")
        if len({id(t) for t in in_tensors}) != len(in_tensors):
            raise ValueError("Model: the same Input tensor is given twice in inputs")
        self._input_tensors = in_tensors
        self._output_tensors = out_tensors
        self._input_keys = list(inputs) if self._input_kind == "dict" else None
        self._output_keys = list(outputs) if self._output_kind == "dict" else None
        self._nodes = self._topological_nodes()

        from fastnn import config
        from fastnn.layers.core import InputLayer

        self._dtype = config.standardize_dtype(in_tensors[0].dtype)
        names = [t.name for t in in_tensors]
        if len(set(names)) != len(names):
            raise ValueError(f"Model: input names must be unique, received {names}")
        self._input_layers = [InputLayer(batch_shape=t.shape, dtype=t.dtype, name=t.name) for t in in_tensors]
        seen = set()
        for layer in self._input_layers + [n.layer for n in self._nodes]:
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            self._track_layer(layer)
        layer_names = [l.name for l in self._sublayers]
        dupes = sorted({n for n in layer_names if layer_names.count(n) > 1})
        if dupes:
            raise ValueError(f"Model '{self.name}': all layer names must be unique; repeated: {dupes} (a layer's "
                             f"name may also clash with an Input's name)")
        # Node index of each node within its layer (for get_config and summary "Connected to").
        self._node_index = {}
        counts = {}
        for node in self._nodes:
            i = counts.get(id(node.layer), 0)
            counts[id(node.layer)] = i + 1
            self._node_index[id(node)] = i
        self.built = True
        self.input_shape_built = self.input_shape

    # ---- graph ----
    def _topological_nodes(self):
        """Nodes reachable from the outputs, each after the nodes producing its inputs (iterative DFS)."""
        input_ids = {id(t) for t in self._input_tensors}
        order, done, active = [], set(), set()
        missing = []
        stack = [(t, False) for t in reversed(self._output_tensors)]
        while stack:
            item, expanded = stack.pop()
            if isinstance(item, symbolic.KerasTensor):
                if id(item) in input_ids:
                    continue
                if item.node is None:
                    if not any(m is item for m in missing):
                        missing.append(item)
                    continue
                item = item.node
            if id(item) in done:
                continue
            if expanded:
                active.discard(id(item))
                done.add(id(item))
                order.append(item)
                continue
            if id(item) in active:
                raise ValueError(f"Model: the graph has a cycle through layer '{item.layer.name}'")
            active.add(id(item))
            stack.append((item, True))
            for t in reversed(_flatten(item.inputs)):
                if not isinstance(t, symbolic.KerasTensor):
                    raise ValueError(f"Model: layer '{item.layer.name}' was called on a non-symbolic value "
                                     f"{type(t).__name__}")
                stack.append((t, False))
        if missing:
            given = [t.name for t in self._input_tensors]
            raise ValueError(f"Model: the outputs cannot be computed from the given inputs {given}: they depend on "
                             + ", ".join(f"{_tensor_label(t)}" for t in missing)
                             + ", which is not in inputs. Pass it in Model(inputs=[...], ...).")
        return order

    @property
    def inputs(self):
        return list(self._input_tensors)

    @property
    def outputs(self):
        return list(self._output_tensors)

    @property
    def input(self):
        return self._input_tensors[0] if len(self._input_tensors) == 1 else list(self._input_tensors)

    @property
    def output(self):
        return self._output_tensors[0] if len(self._output_tensors) == 1 else list(self._output_tensors)

    @property
    def input_names(self):
        return [t.name for t in self._input_tensors]

    @property
    def output_names(self):
        if self._output_keys is not None:
            return list(self._output_keys)
        names = []
        for t in self._output_tensors:
            base = t.node.layer.name if t.node is not None else t.name
            name, k = base, 1
            while name in names:
                name = f"{base}_{k}"
                k += 1
            names.append(name)
        return names

    @property
    def input_shape(self):
        shapes = [t.shape for t in self._input_tensors]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self._output_tensors]
        return shapes[0] if len(shapes) == 1 else shapes

    def build(self, input_shape=None):
        """A Functional model is built when it is created; nothing to do."""
        self.built = True

    def compute_output_shape(self, input_shape):
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        if len(shapes) != len(self._input_tensors):
            raise ValueError(f"Model '{self.name}': expected {len(self._input_tensors)} input shapes, "
                             f"received {input_shape}")
        known = {id(t): tuple(s) for t, s in zip(self._input_tensors, shapes)}
        for node in self._nodes:
            flat = [known[id(t)] for t in _flatten(node.inputs)]
            in_shape = flat if isinstance(node.inputs, (list, tuple)) else flat[0]
            out = node.layer.compute_output_shape(in_shape)
            outs = out if isinstance(out, list) else [out]
            for t, s in zip(_flatten(node.outputs), outs):
                known[id(t)] = tuple(s)
        result = [known[id(t)] for t in self._output_tensors]
        return result[0] if len(result) == 1 else result

    # ---- running ----
    def _convert_input(self, x):
        if isinstance(x, dict):
            keys = self._input_keys or self.input_names
            missing = [k for k in keys if k not in x]
            if missing:
                raise ValueError(f"Model '{self.name}': missing inputs {missing}; expected keys {keys}, "
                                 f"received {sorted(map(str, x))}")
            x = [x[k] for k in keys]
        return Model._convert_input(self, x)

    def _check_inputs(self, xs):
        if len(xs) != len(self._input_tensors):
            raise ValueError(f"Model '{self.name}' expects {len(self._input_tensors)} input(s) "
                             f"{self.input_names}, received {len(xs)}")
        for t, x in zip(self._input_tensors, xs):
            expected = t.shape
            if not hasattr(x, "shape") or len(x.shape) != len(expected) or \
                    any(e is not None and e != d for e, d in zip(expected[1:], x.shape[1:])):
                raise ValueError(f"Model '{self.name}': input '{t.name}' expects shape {expected}, received "
                                 f"{getattr(x, 'shape', type(x).__name__)}")

    def call(self, inputs, training=False, mask=None):
        xs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(self._input_tensors) == 1 and len(xs) != 1:
            xs = [inputs]
        self._check_inputs(xs)
        values = {id(t): x for t, x in zip(self._input_tensors, xs)}
        tape = current_tape()
        for node in self._nodes:
            layer = node.layer
            args = _restructure(node.inputs, [values[id(t)] for t in _flatten(node.inputs)])
            if isinstance(args, tuple):
                args = list(args)
            if isinstance(layer, Model):
                out = layer(args, training=training, **node.kwargs)
            else:
                args = layer._convert_input(args)
                layer.check_input(args)
                out = layer._run(args, training, tape, **node.kwargs)
            flat_out = _flatten(out)
            for t, o in zip(_flatten(node.outputs), flat_out):
                values[id(t)] = o
        outs = [values[id(t)] for t in self._output_tensors]
        if self._output_kind == "dict":
            return dict(zip(self._output_keys, outs))
        if self._output_kind == "single":
            return outs[0]
        return outs

    # ---- description ----
    def _ref(self, t):
        if t.node is None:
            return t.name, 0, 0
        outs = _flatten(t.node.outputs)
        index = next(i for i, o in enumerate(outs) if o is t)
        return t.node.layer.name, self._node_index[id(t.node)], index

    def _summary_rows(self):
        from fastnn.engine.summary import _fmt_shape

        rows = []
        by_layer = {}
        for node in self._nodes:
            by_layer.setdefault(id(node.layer), []).append(node)
        for layer in self._sublayers:
            nodes = by_layer.get(id(layer), [])
            if nodes:
                shape = [_fmt_shape(t.shape) for n in nodes for t in _flatten(n.outputs)]
                connected = [f"{name}[{ni}][{ti}]" for n in nodes for name, ni, ti in
                             (self._ref(t) for t in _flatten(n.inputs))]
            else:  # an InputLayer
                shape = [_fmt_shape(layer.batch_shape)]
                connected = ["-"]
            params = sum(w.size for w in layer.weights) if layer.built else 0
            rows.append((f"{layer.name} ({type(layer).__name__})", ", ".join(dict.fromkeys(shape)), params,
                         ", ".join(connected)))
        return rows

    # ---- configuration ----
    def get_config(self):
        from fastnn.engine.serialization import serialize_layer

        by_layer = {}
        for node in self._nodes:
            by_layer.setdefault(id(node.layer), []).append(node)
        layers = []
        for layer in self._sublayers:
            item = serialize_layer(layer)
            item["name"] = layer.name
            item["inbound_nodes"] = [
                {"args": _restructure(n.inputs, [list(self._ref(t)) for t in _flatten(n.inputs)])
                 if isinstance(n.inputs, (list, tuple)) else list(self._ref(n.inputs)),
                 "list": isinstance(n.inputs, (list, tuple)),
                 "kwargs": _json_kwargs(n.kwargs, layer)}
                for n in by_layer.get(id(layer), [])]
            layers.append(item)
        cfg = {"name": self.name, "trainable": self.trainable, "layers": layers,
               "input_layers": [list(self._ref(t)) for t in self._input_tensors],
               "output_layers": [list(self._ref(t)) for t in self._output_tensors]}
        cfg["input_kind"] = self._input_kind
        cfg["output_kind"] = self._output_kind
        if self._input_keys is not None:
            cfg["input_keys"] = [str(k) for k in self._input_keys]
        if self._output_keys is not None:
            cfg["output_keys"] = [str(k) for k in self._output_keys]
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return _functional_from_config(cls, config, custom_objects)


def _json_kwargs(kwargs, layer):
    for k, v in kwargs.items():
        if symbolic.is_symbolic(v) or not isinstance(v, (int, float, str, bool, type(None), list)):
            raise ValueError(f"Layer '{layer.name}': the call argument {k}={type(v).__name__} cannot be saved in "
                             f"a model config")
    return dict(kwargs)


def _check_ref(ref, where):
    if not (isinstance(ref, (list, tuple)) and len(ref) == 3 and isinstance(ref[0], str)
            and all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < 1_000_000 for i in ref[1:])):
        raise ValueError(f"Functional config: {where} must be a [layer_name, node_index, tensor_index] "
                         f"reference, received {ref!r:.200}")
    return ref[0], ref[1], ref[2]


def _functional_from_config(cls, config, custom_objects=None):
    """Rebuild a Functional model from ``get_config()``, validating every reference (untrusted input)."""
    from fastnn.engine.input import Input
    from fastnn.engine.serialization import deserialize_layer
    from fastnn.layers.core import InputLayer

    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ValueError("Functional config: expected a dict with a 'layers' list")
    layers = {}
    pending = []  # (layer, node list)
    for item in config["layers"]:
        if not isinstance(item, dict):
            raise ValueError(f"Functional config: each layer must be a dict, received {item!r:.200}")
        layer = deserialize_layer({"class_name": item.get("class_name"), "config": item.get("config", {})},
                                  custom_objects=custom_objects)
        if not isinstance(layer, Layer):
            raise ValueError(f"Functional config: {item.get('class_name')!r} is not a layer class")
        name = item.get("name", layer.name)
        if name in layers:
            raise ValueError(f"Functional config: layer name {name!r} appears twice")
        layers[name] = layer
        nodes = item.get("inbound_nodes", [])
        if not isinstance(nodes, list):
            raise ValueError(f"Functional config: inbound_nodes of {name!r} must be a list")
        pending.append((name, layer, nodes))
    tensors = {}  # (layer name, node index, tensor index) -> KerasTensor
    for name, layer, _ in pending:
        if isinstance(layer, InputLayer):
            tensors[(name, 0, 0)] = Input(batch_shape=layer.batch_shape, dtype=layer.dtype, name=name)
    created = {name: 0 for name, _, _ in pending}

    def lookup(ref, where):
        key = _check_ref(ref, where)
        if key[0] not in layers:
            raise ValueError(f"Functional config: {where} refers to unknown layer {key[0]!r}")
        return tensors.get(key)

    progress = True
    while progress:
        progress = False
        for name, layer, nodes in pending:
            while created[name] < len(nodes):
                node = nodes[created[name]]
                where = f"node {created[name]} of layer {name!r}"
                if not isinstance(node, dict) or "args" not in node:
                    raise ValueError(f"Functional config: {where} must be a dict with 'args'")
                refs = node["args"]
                is_list = bool(node.get("list", False))
                flat_refs = refs if is_list else [refs]
                if not isinstance(flat_refs, list) or not flat_refs or len(flat_refs) > 10_000:
                    raise ValueError(f"Functional config: {where} has malformed args")
                args = [lookup(r, where) for r in flat_refs]
                if any(a is None for a in args):
                    break
                kwargs = node.get("kwargs", {}) or {}
                if not isinstance(kwargs, dict) or not all(isinstance(k, str) and k.isidentifier() for k in kwargs):
                    raise ValueError(f"Functional config: {where} has malformed kwargs")
                out = layer(args if is_list else args[0], **kwargs)
                for i, t in enumerate(_flatten(out)):
                    tensors[(name, created[name], i)] = t
                created[name] += 1
                progress = True
    stuck = [name for name, _, nodes in pending if created[name] < len(nodes)]
    if stuck:
        raise ValueError(f"Functional config: the nodes of layers {stuck} refer to tensors that are never created "
                         f"(a missing or cyclic connection)")

    def resolve(refs, what):
        if not isinstance(refs, list) or not refs:
            raise ValueError(f"Functional config: {what} must be a non-empty list of references")
        out = []
        for r in refs:
            t = lookup(r, what)
            if t is None:
                raise ValueError(f"Functional config: {what} refers to a tensor {r!r:.100} that does not exist")
            out.append(t)
        return out

    inputs = resolve(config.get("input_layers"), "input_layers")
    outputs = resolve(config.get("output_layers"), "output_layers")
    inputs = _rebuild_structure(inputs, config.get("input_kind"), config.get("input_keys"), "inputs")
    outputs = _rebuild_structure(outputs, config.get("output_kind"), config.get("output_keys"), "outputs")
    name = config.get("name")
    model = cls(inputs, outputs, name=name if isinstance(name, str) and name else None,
                trainable=bool(config.get("trainable", True)))
    return model


def _rebuild_structure(tensors, kind, keys, what):
    if kind is None:
        kind = "single" if len(tensors) == 1 else "list"
    if kind == "single" and len(tensors) == 1:
        return tensors[0]
    if kind == "list":
        return tensors
    if kind == "dict" and isinstance(keys, list) and len(keys) == len(tensors) and \
            all(isinstance(k, str) for k in keys):
        return dict(zip(keys, tensors))
    raise ValueError(f"Functional config: malformed {what} structure (kind {kind!r:.50})")
