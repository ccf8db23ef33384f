"""The graph of a functional model, found by walking back from its outputs (Keras' map_graph).

A node's depth is its distance from the output (the output node has depth 0, a node feeding a node of depth d
has depth at least d + 1), so listing by decreasing depth puts every node after the nodes it reads: that is
the topological order the C++ network runs in. Within one depth, layers keep the order in which the walk from
the outputs first met them, as in Keras, so `model.layers`, the summary and the weight order match Keras'.
"""

from pyminidl.layers.node import KerasTensor


class Graph:
    """nodes (in topological order), nodes_by_depth {depth: [node]}, layers (in Keras' order)."""

    def __init__(self, inputs, outputs):
        finished, in_progress, order, layer_index = set(), set(), [], {}
        for t in outputs:
            _walk(t, finished, in_progress, order, layer_index)

        node_depth, layer_depth = {}, {}
        for node in reversed(order):
            depth = max(node_depth.setdefault(node, 0), layer_depth.get(node.layer, 0))
            layer_depth[node.layer] = node_depth[node] = depth
            for parent in node.parent_nodes:
                node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
        for t in inputs:  # an input the outputs do not use still belongs to the model
            layer = t._keras_history[0]
            if layer not in layer_depth:
                layer_depth[layer], layer_index[layer] = 0, -1
                node_depth[t.node] = 0

        self.nodes_by_depth = {}
        for node, depth in node_depth.items():
            self.nodes_by_depth.setdefault(depth, []).append(node)
        self.nodes = sorted(node_depth, key=lambda n: (-node_depth[n], layer_index[n.layer]))
        self.node_set = set(self.nodes)
        by_depth = {}
        for layer, depth in layer_depth.items():
            by_depth.setdefault(depth, []).append(layer)
        self.layers = [layer for d in sorted(by_depth, reverse=True)
                       for layer in sorted(by_depth[d], key=lambda lay: layer_index[lay])]
        self._check_computable(inputs)
        names = [layer.name for layer in self.layers]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f'The name "{name}" is used {names.count(name)} times in the model. All layer '
                                 "names should be unique.")

    def _check_computable(self, inputs):
        computable = {id(t) for t in inputs}
        done = []
        for node in self.nodes:
            if node.is_input:
                continue
            for t in node.input_tensors:
                if id(t) not in computable:
                    raise ValueError(f"Graph disconnected: cannot obtain value for tensor {t} at layer "
                                     f'"{node.layer.name}". The following previous layers were accessed without '
                                     f"issue: {done}. Pass every keras.Input the outputs depend on as an input "
                                     "of the model.")
            computable.update(id(t) for t in node.output_tensors)
            done.append(node.layer.name)

    def node_index(self, node):
        """The node's index among its layer's nodes that belong to this graph (what configs record)."""
        return [n for n in node.layer._inbound_nodes if n in self.node_set].index(node)


def _walk(tensor, finished, in_progress, order, layer_index):
    if not isinstance(tensor, KerasTensor) or tensor._keras_history is None:
        raise ValueError(f"Model outputs must be tensors returned by layers (or keras.Input), got {tensor!r:.100}")
    node = tensor.node
    if node in finished:
        return
    if node in in_progress:
        raise ValueError(f'The tensor {tensor} at layer "{node.layer.name}" is part of a cycle.')
    layer_index.setdefault(node.layer, len(layer_index))
    in_progress.add(node)
    for t in node.input_tensors:
        _walk(t, finished, in_progress, order, layer_index)
    finished.add(node)
    in_progress.discard(node)
    order.append(node)
