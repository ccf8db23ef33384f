"""ONNX export: `pyminidl.onnx.export(model, 'm.onnx')` or `model.export('m.onnx', format='onnx')`.

The graph is built with the `onnx` package (`pip install pyminidl[onnx]`), opset 17, with a dynamic batch axis
named 'batch'. Sequential and functional models export, nested models (a model used as a layer) inlined; a
functional model's graph inputs are named after its Input layers (the keys of a dict of inputs), a Sequential's
input is `input_name`. Every graph input is float32, as predict() takes it: an Embedding's ids are float32 holding
integers, cast to int64 inside the graph. Each layer class has one converter in converters.py (which also states
the layout: channels last between layers, transposed around each convolution and pooling node); a layer without
one is refused with a ValueError naming it and its class.
"""

import os

import numpy as np

from pyminidl.onnx import converters

OPSET = 17


def export(model, filepath, opset=OPSET, input_name=None, output_name="output"):
    """Write `model` (built) as an ONNX file at `filepath`; returns the path.

    input_name: the graph input's name (default 'input' for a Sequential, the Input layer's name for a functional
    model; a functional model with several inputs keeps its Input layers' names)."""
    try:
        import onnx
        from onnx import TensorProto, helper
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("ONNX export needs the onnx package: pip install 'pyminidl[onnx]'") from None
    if not isinstance(filepath, (str, os.PathLike)):
        raise TypeError(f"export: filepath must be a string or path, got {filepath!r}")
    path = os.fspath(filepath)
    if isinstance(opset, bool) or not isinstance(opset, int) or opset < OPSET:
        raise ValueError(f"opset must be an integer >= {OPSET}, got {opset!r}")
    if not getattr(model, "built", False):
        raise ValueError(f"Model {model.name!r} is not built: build it (or fit it) before exporting")
    kind = type(model).__name__
    if kind == "Sequential":
        names, shapes = [input_name or "input"], [tuple(model.input_shape[1:])]
    elif kind == "Functional":
        specs = model._input_specs()
        names = [input_name] if input_name is not None and len(specs) == 1 else [name for name, _ in specs]
        shapes = [shape for _, shape in specs]
    else:
        raise ValueError(f"ONNX export supports Sequential and functional models, got {kind}")
    if len(set(names)) != len(names) or output_name in names:
        raise ValueError(f"ONNX export: input and output names must be distinct, got {names} and {output_name!r}")
    graph = converters.Graph(opset, reserved=[*names, output_name])
    name = converters.convert(graph, model, names if len(names) > 1 else names[0])
    graph.nodes.append(helper.make_node("Identity", [name], [output_name], name="output"))
    inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch", *shape]) for n, shape in zip(names, shapes)]
    y = helper.make_tensor_value_info(output_name, TensorProto.FLOAT, ["batch", *model.output_shape[1:]])
    initializers = [onnx.numpy_helper.from_array(np.ascontiguousarray(a), n) for n, a in graph.initializers]
    onnx_graph = helper.make_graph(graph.nodes, model.name, inputs, [y], initializers)
    from pyminidl._core import __version__

    proto = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="pyminidl", producer_version=__version__)
    onnx.checker.check_model(proto)
    from pyminidl.saving.safety import atomic_write

    with atomic_write(path) as tmp:
        onnx.save(proto, tmp)
    return path


__all__ = ["export", "OPSET"]
