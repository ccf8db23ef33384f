"""ONNX export: `pyminidl.onnx.export(model, 'm.onnx')` or `model.export('m.onnx', format='onnx')`.

The graph is built with the `onnx` package (`pip install pyminidl[onnx]`), opset 17, with a dynamic batch axis
named 'batch'. Each layer class has one converter in converters.py that reads only the layer's get_config() and
its weights; a layer without one is refused with a ValueError naming it.
"""

import os

import numpy as np

from pyminidl.onnx import converters

OPSET = 17


def export(model, filepath, opset=OPSET, input_name="input", output_name="output"):
    """Write `model` (built) as an ONNX file at `filepath`; returns the path."""
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
    if type(model).__name__ != "Sequential":
        raise ValueError(f"ONNX export supports Sequential models in this pyminidl, got {type(model).__name__}")
    graph = converters.Graph()
    name = input_name
    for layer in model.layers:
        name = converters.convert(graph, layer, name)
    graph.nodes.append(helper.make_node("Identity", [name], [output_name], name="output"))
    x = helper.make_tensor_value_info(input_name, TensorProto.FLOAT, ["batch", *model.input_shape[1:]])
    y = helper.make_tensor_value_info(output_name, TensorProto.FLOAT, ["batch", *model.output_shape[1:]])
    initializers = [onnx.numpy_helper.from_array(np.ascontiguousarray(a, dtype=np.float32), n)
                    for n, a in graph.initializers]
    onnx_graph = helper.make_graph(graph.nodes, model.name, [x], [y], initializers)
    from pyminidl._core import __version__

    proto = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="pyminidl", producer_version=__version__)
    onnx.checker.check_model(proto)
    from pyminidl.saving.safety import atomic_write

    with atomic_write(path) as tmp:
        onnx.save(proto, tmp)
    return path


__all__ = ["export", "OPSET"]
