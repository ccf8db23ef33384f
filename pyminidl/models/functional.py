"""Functional models: `keras.Model(inputs=..., outputs=...)` over a graph of layers called on keras.Input.

    a = keras.Input(shape=(4,), name="a"); b = keras.Input(shape=(3,), name="b")
    x = layers.Dense(8, activation="relu")(a)
    out = layers.Dense(1)(layers.concatenate([x, b]))
    model = keras.Model(inputs=[a, b], outputs=out)      # model.fit([xa, xb], y), or {"a": xa, "b": xb}

The graph (models/graph.py) gives the layers in topological order; the model's C++ network runs them in that
order, nested models inlined. Several inputs are supported, one output (several: a clear error).
The config is Keras' functional layout: `layers` (each with `name` and `inbound_nodes`), `input_layers`,
`output_layers`.
"""

from pyminidl.layers import KerasTensor, deserialize, serialize
from pyminidl.models.graph import Graph
from pyminidl.models.model import Model


class Functional(Model):
    """A model defined by its input and output tensors."""

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        if kwargs:
            raise TypeError(f"Model() got unexpected keyword arguments: {sorted(kwargs)}")
        self._init_model(name, trainable, "functional")
        self._inputs_as_list = isinstance(inputs, (list, tuple, dict))
        self._outputs_as_list = isinstance(outputs, (list, tuple, dict))
        # inputs={'key': tensor}: Keras 3 flattens a dict in sorted key order and matches data by these keys
        self._input_keys = None
        if isinstance(inputs, dict):
            if not inputs or not all(isinstance(k, str) for k in inputs):
                raise ValueError(f"Model inputs given as a dict need string keys, got {list(inputs)!r:.100}")
            self._input_keys = sorted(inputs)
            inputs = [inputs[k] for k in self._input_keys]
        self.inputs = _tensor_list(inputs, "inputs")
        self.outputs = _tensor_list(outputs, "outputs")
        for i, t in enumerate(self.inputs):
            if not t.node.is_input:
                raise ValueError(f"Model inputs must come from keras.Input; inputs[{i}] is {t.name}, the output of "
                                 f"layer '{t.node.layer.name}'")
            if any(other is t for other in self.inputs[:i]):
                raise ValueError(f"The input {t.name} is passed twice in inputs")
        if len(self.outputs) != 1:
            raise NotImplementedError(f"pyminidl models have one output; got {len(self.outputs)} outputs "
                                      f"{[t.name for t in self.outputs]}. Build one model per output, or "
                                      "concatenate the outputs into one tensor.")
        self._graph = Graph(self.inputs, self.outputs)
        self._make_network([t.shape[1:] for t in self.inputs])

    # --- structure --------------------------------------------------------------------------------
    @property
    def layers(self):
        return list(self._graph.layers)

    @property
    def input(self):
        if self._input_keys is not None:
            return dict(zip(self._input_keys, self.inputs))
        return self.inputs if self._inputs_as_list else self.inputs[0]

    @property
    def output(self):
        return self.outputs if self._outputs_as_list else self.outputs[0]

    @property
    def input_names(self):
        return [t._keras_history[0].name for t in self.inputs]

    @property
    def output_names(self):
        return [t._keras_history[0].name for t in self.outputs]

    @property
    def input_shape(self):
        shapes = [t.shape for t in self.inputs]
        return shapes if self._inputs_as_list and len(shapes) > 1 else shapes[0]

    @property
    def output_shape(self):
        return self.outputs[0].shape

    @property
    def _takes_list(self):
        return len(self.inputs) > 1

    def _input_specs(self):
        names = self._input_keys or self.input_names
        return [(name, tuple(t.shape[1:])) for name, t in zip(names, self.inputs)]

    def _ensure_built(self, x_shapes, name):
        pass  # built when constructed

    def _emit_layers(self, plan, input_ids):
        ids = {id(t): i for t, i in zip(self.inputs, input_ids)}
        for node in self._graph.nodes:
            if node.is_input:
                continue
            ids[id(node.output_tensors[0])] = node.layer._emit(plan, [ids[id(t)] for t in node.input_tensors])
        return ids[id(self.outputs[0])]

    def _build(self, input_shape):
        self._build_for_call(input_shape, False)

    def _build_for_call(self, input_shape, as_list):
        """Checks a call of this model on tensors: it is already built for its inputs' shapes."""
        shapes = list(input_shape) if as_list else [input_shape]
        if len(shapes) != len(self.inputs):
            raise ValueError(f"Model '{self.name}' expects {len(self.inputs)} input(s) {self.input_names}, but it "
                             f"was called on {len(shapes)} tensor(s)")
        for i, (shape, t) in enumerate(zip(shapes, self.inputs)):
            if tuple(shape) != tuple(t.shape[1:]):
                raise ValueError(f'Input {i} of layer "{self.name}" is incompatible with the layer: expected '
                                 f"shape={t.shape}, found shape={(None,) + tuple(shape)}")

    # --- config -----------------------------------------------------------------------------------
    def get_config(self):
        graph = self._graph
        layers = []
        for layer in self.layers:
            entry = serialize(layer)
            entry["name"] = layer.name
            entry["inbound_nodes"] = [_node_config(graph, node) for node in layer._inbound_nodes
                                      if node in graph.node_set and not node.is_input]
            layers.append(entry)
        inputs = [_history(graph, t, ends=True) for t in self.inputs]
        outputs = [_history(graph, t, ends=True) for t in self.outputs]
        if self._input_keys is not None:
            inputs = dict(zip(self._input_keys, inputs))
        return {"name": self.name, "trainable": self.trainable, "layers": layers,
                "input_layers": inputs if self._inputs_as_list else inputs[0],
                "output_layers": outputs if self._outputs_as_list else outputs[0]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A new, uncompiled model from get_config()'s dict (also Keras 2's `inbound_nodes` lists)."""
        if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
            raise ValueError(f"config must be a dict from Model.get_config(), got {config!r:.200}")
        created, pending, keras2 = {}, [], False
        for entry in config["layers"]:
            layer = deserialize(entry)
            created[entry.get("name", layer.name)] = layer
            nodes = entry.get("inbound_nodes") or []
            if not isinstance(nodes, list):
                raise ValueError(f"inbound_nodes of layer '{layer.name}' must be a list, got {nodes!r:.100}")
            pending += [(layer, node) for node in nodes]
            keras2 = keras2 or any(isinstance(node, list) for node in nodes)  # Keras 2's nested-list nodes
        while pending:  # a node waits until the nodes it reads exist (configs need not be in order)
            waiting = []
            for layer, node in pending:
                args = _node_args(node, created)
                if args is None:
                    waiting.append((layer, node))
                else:
                    layer(args)
            if len(waiting) == len(pending):
                raise ValueError(f"The config's graph cannot be rebuilt: layer '{waiting[0][0].name}' reads "
                                 f"tensors that no layer produces ({waiting[0][1]!r:.200})")
            pending = waiting
        convention = "keras2" if keras2 else "keras3"
        inputs = _config_tensors(config.get("input_layers"), created, "input_layers", convention)
        outputs = _config_tensors(config.get("output_layers"), created, "output_layers", convention)
        return cls(inputs=inputs, outputs=outputs, name=config.get("name"), trainable=config.get("trainable", True))


def _tensor_list(tensors, what):
    if isinstance(tensors, dict):
        tensors = list(tensors.values())
    items = list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]
    if not items:
        raise ValueError(f"Model {what} must not be empty")
    for i, t in enumerate(items):
        if not isinstance(t, KerasTensor) or t._keras_history is None:
            raise TypeError(f"Model {what} must be symbolic tensors from keras.Input and layer calls, got "
                            f"{t!r:.100}" + (f" at position {i}" if len(items) > 1 else ""))
    return items


def _history(graph, tensor, ends=False):
    """[layer name, node index, tensor index] as Keras 3 writes it. In input_layers/output_layers (`ends`) Keras
    counts a nested functional model's calls from 1 (its node 0 once linked its own inputs to its outputs);
    inside inbound_nodes it does not."""
    layer, _, tensor_index = tensor._keras_history
    offset = 1 if ends and isinstance(layer, Functional) else 0
    return [layer.name, graph.node_index(tensor.node) + offset, tensor_index]


def _node_config(graph, node):
    tensors = [{"class_name": "__keras_tensor__",
                "config": {"shape": list(t.shape), "dtype": t.dtype, "keras_history": _history(graph, t)}}
               for t in node.input_tensors]
    return {"args": [tensors if node.as_list else tensors[0]], "kwargs": {}}


def _resolve(history, created, model_offset=False):
    """The tensor [layer name, node index, tensor index] names, or None while that node does not exist yet.

    model_offset: the reference counts a nested model's calls from 1 (Keras 3's input_layers/output_layers
    for a Functional, Keras 2's inbound_nodes lists for any model with an input), see _history."""
    if not isinstance(history, (list, tuple)) or len(history) < 3:
        raise ValueError(f"A tensor reference must be [layer name, node index, tensor index], got {history!r:.100}")
    name, node_index, tensor_index = history[:3]
    if name not in created:
        raise ValueError(f"The config refers to layer '{name}', which it does not define")
    layer = created[name]
    if any(isinstance(i, bool) or not isinstance(i, int) for i in (node_index, tensor_index)):
        raise ValueError(f"A tensor reference's node and tensor indices must be integers, got {history!r:.100}")
    if model_offset and _counts_own_node(layer, model_offset):
        node_index -= 1
    if node_index < 0 or tensor_index != 0:
        raise ValueError(f"A tensor reference names node {history[1]} / tensor {tensor_index} of layer '{name}', "
                         f"which does not exist (each call of a layer has one output): {history!r:.100}")
    nodes = layer._inbound_nodes
    if node_index >= len(nodes):
        return None  # that call is made later in the config
    return nodes[node_index].output_tensors[tensor_index]


def _node_args(node, created):
    """The tensors one inbound node was called on (Keras 3 {'args': ...} or Keras 2 [[name, i, j, {}], ...])."""
    if isinstance(node, dict):
        args = node.get("args")
        if not isinstance(args, list) or len(args) != 1:
            raise ValueError(f"inbound node args must be a list of one tensor or one list of tensors, got "
                             f"{args!r:.100}")
        arg = args[0]
        refs = arg if isinstance(arg, list) else [arg]
        tensors = [_resolve(ref.get("config", {}).get("keras_history") if isinstance(ref, dict) else ref, created)
                   for ref in refs]
        as_list = isinstance(arg, list)
    elif isinstance(node, list):
        tensors = [_resolve(ref, created, "keras2") for ref in node]
        as_list = len(node) > 1
    else:
        raise ValueError(f"inbound node must be an object or a list, got {node!r:.100}")
    if any(t is None for t in tensors):
        return None
    return tensors if as_list else tensors[0]


def _counts_own_node(layer, convention):
    """Whether a config's node indices for this layer start at 1: Keras 3 does so for Functional models in
    input_layers/output_layers, Keras 2 for every model that has an input (its own first node)."""
    if convention == "keras3":
        return isinstance(layer, Functional)
    return isinstance(layer, Model) and layer.built


def _config_tensors(refs, created, what, convention):
    if isinstance(refs, dict) and refs:  # inputs given as a dict: {key: [layer, node, tensor]}
        return {key: _config_tensors(ref, created, what, convention) for key, ref in refs.items()}
    single = isinstance(refs, list) and len(refs) >= 3 and isinstance(refs[0], str)
    if single:
        refs = [refs]  # one triple: a single input/output, not a list of them
    if not isinstance(refs, list) or not refs:
        raise ValueError(f"{what} must be a list of [layer name, node index, tensor index], got {refs!r:.100}")
    tensors = [_resolve(ref, created, convention) for ref in refs]
    if any(t is None for t in tensors):
        raise ValueError(f"{what} refers to a node that the config does not create: {refs!r:.200}")
    return tensors[0] if single else tensors
