"""Symbolic tensors and the nodes that connect layers into a functional graph.

`keras.Input(shape=(4,))` returns a KerasTensor: a shape (batch axis None), a dtype and a name, no values.
Calling a layer on KerasTensors records a Node (the layer, the tensors it was called on, the tensors it
returned) and returns new KerasTensors whose shapes come from the layer's compute_output_shape. A functional
Model walks these nodes back from its outputs (pyminidl/models/graph.py). As in Keras, each tensor remembers
where it came from in `_keras_history = (layer, node_index, tensor_index)`, node_index counting the layer's
calls in `layer._inbound_nodes`.
"""

from pyminidl.backend import unique_name


class KerasTensor:
    """A symbolic tensor: what a layer will receive, without the numbers."""

    def __init__(self, shape, dtype="float32", name=None, history=None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.name = name or unique_name("keras_tensor")
        self._keras_history = history  # (layer, node_index, tensor_index)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def node(self):
        layer, node_index, _ = self._keras_history
        return layer._inbound_nodes[node_index]

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, sparse=False, ragged=False, name={self.name}>"

    # A symbolic tensor has no values: NumPy or Python asking for them would otherwise get garbage.
    def __array__(self, dtype=None, copy=None):
        raise TypeError(f"{self!r} is symbolic and has no values: build a model with "
                        "keras.Model(inputs, outputs) and call model.predict(x) to compute it")

    def __bool__(self):
        raise TypeError("A symbolic KerasTensor cannot be used as a boolean.")

    def __iter__(self):
        raise TypeError("Iterating over a symbolic KerasTensor is not supported.")

    def __len__(self):
        raise TypeError("A symbolic KerasTensor has no length (its batch size is not known).")


class Node:
    """One call of a layer on symbolic tensors.

    `as_list` records whether the layer was called on a list (merge layers, models with several inputs) or on
    one tensor: the config writes `args: [[t1, t2]]` or `args: [t]` accordingly.
    """

    def __init__(self, layer, input_tensors, output_tensors, as_list):
        self.layer = layer
        self.input_tensors = list(input_tensors)
        self.output_tensors = list(output_tensors)
        self.as_list = as_list
        self.index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)

    @property
    def is_input(self):
        return not self.input_tensors

    @property
    def parent_nodes(self):
        return [t.node for t in self.input_tensors]


def is_symbolic(value):
    """True for a KerasTensor or a non-empty list/tuple of them (a mix is refused by the caller)."""
    if isinstance(value, KerasTensor):
        return True
    return isinstance(value, (list, tuple)) and any(isinstance(v, KerasTensor) for v in value)


def call_symbolic(layer, inputs, training=None):
    """Record `layer(inputs)` on KerasTensors: build the layer for their shapes, return its output tensor.

    The C++ network runs every layer in training mode in fit() and in inference mode elsewhere; Keras'
    `training=` argument fixes one call's mode instead, which pyminidl cannot do: refused where it matters."""
    if training is not None and layer._depends_on_training():
        raise NotImplementedError(f"'{layer.name}' was called with training={training!r}: pyminidl runs Dropout "
                                  "(and layers like it) in training mode in fit() and in inference mode elsewhere, "
                                  "and cannot fix the mode of one call; call it without training=")
    as_list = isinstance(inputs, (list, tuple))
    tensors = list(inputs) if as_list else [inputs]
    for t in tensors:
        if not isinstance(t, KerasTensor):
            raise TypeError(f"Layer '{layer.name}' was called on a mix of symbolic tensors (keras.Input and "
                            f"layer outputs) and other values; got {t!r:.100}")
        if t._keras_history is None:
            raise ValueError(f"Layer '{layer.name}' was called on {t!r}, which no keras.Input or layer produced")
    shapes = [t.shape[1:] for t in tensors]
    layer._build_for_call(shapes if as_list else shapes[0], as_list)
    output = KerasTensor(layer.output_shape, history=(layer, len(layer._inbound_nodes), 0))
    Node(layer, tensors, [output], as_list)
    return output
