"""model.summary() in the classic Keras 2 table layout (TF 2.0-2.6: underscore rules, no leading space).

Sequential models, and functional models that are a plain chain, print 3 columns in 65 characters; a
functional model with a branch, a merge or a shared layer prints 4 columns in 98 characters, the last one
"Connected to" listing `layer[node][tensor]` for each input, one per line. Functional models list their
InputLayer rows, whose output shape Keras 2 prints as a list: `[(None, 4)]`.
"""

import numpy as np

LINE_LENGTH = 65
POSITIONS = (0.45, 0.85, 1.0)  # Keras 2's column ends as fractions: 29, 55, 65 of 65
GRAPH_LINE_LENGTH = 98
GRAPH_POSITIONS = (0.33, 0.55, 0.67, 1.0)  # 32, 53, 65, 98 of 98


def _row(fields, ends):
    line = ""
    for i, (text, end) in enumerate(zip(fields, ends)):
        if i > 0:
            line = line[:-1] + " "  # a cell cut at its column end keeps one space before the next
        line += str(text)
        line = line[:end]
        line += " " * (end - len(line))
    return line


def _sequential_like(model):
    """Keras 2's rule: no depth with two nodes, no node with two inputs, no layer called twice."""
    graph = getattr(model, "_graph", None)
    if graph is None:
        return True
    for nodes in graph.nodes_by_depth.values():
        if len(nodes) > 1 or (len(nodes) == 1 and len(nodes[0].input_tensors) > 1):
            return False
    return all(sum(node in graph.node_set for node in layer._inbound_nodes) <= 1 for layer in model.layers)


def _output_shape(layer):
    shape = layer.output_shape
    if shape is None:
        return "?"
    return str([shape]) if type(layer).__name__ == "InputLayer" else str(shape)


def _connections(model, layer):
    """`layer[node][tensor]` per input, node counting all the layer's calls (Keras 2's raw index). A Keras 2
    model's node 0 links its own inputs to its outputs, so its calls count from 1 (a built model here)."""
    graph = model._graph
    out = []
    for node in layer._inbound_nodes:
        if node in graph.node_set:
            for t in node.input_tensors:
                source, node_index, tensor_index = t._keras_history
                own_node = getattr(source, "_is_model", False) and source.built
                out.append(f"{source.name}[{node_index + own_node}][{tensor_index}]")
    return out


def summary_lines(model, line_length=None, positions=None):
    graph_layout = not _sequential_like(model)
    width = line_length or (GRAPH_LINE_LENGTH if graph_layout else LINE_LENGTH)
    fractions = positions or (GRAPH_POSITIONS if graph_layout else POSITIONS)
    ends = [int(width * p) if fractions[-1] <= 1 else int(p) for p in fractions]
    header = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if graph_layout else [])
    lines = [f'Model: "{model.name}"', "_" * width, _row(header, ends), "=" * width]
    layers = model.layers
    for i, layer in enumerate(layers):
        fields = [f"{layer.name} ({type(layer).__name__})", _output_shape(layer), layer.count_params()]
        if graph_layout:
            connections = _connections(model, layer) or [""]
            lines.append(_row(fields + connections[:1], ends))
            lines += [_row(["", "", "", c], ends) for c in connections[1:]]
        else:
            lines.append(_row(fields, ends))
        lines.append("=" * width if i == len(layers) - 1 else "_" * width)
    if not layers:
        lines.append("=" * width)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    total = model.count_params()
    lines += [f"Total params: {total:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}", "_" * width]
    return lines
