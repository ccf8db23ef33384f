"""Calling a layer on data (`Dense(3)(x)`, `normalizer(x).numpy()`): one forward pass through a one-layer C++
network, in inference mode, returning a Tensor (a NumPy array with TensorFlow's `.numpy()` and repr).

Layers compute only inside a C++ network, so an eager call builds a network holding just this layer (kept on
the layer for the next call with the same shapes). A layer that already has weights keeps them: their current
values are copied in. A layer without weights yet gets them here, initialized as a model would, and this
network owns them until a model that contains the layer is built (layers/base.py, Layer._attach).
Eager calls run in inference mode (Dropout passes values through), as `model(x)` does. A 1-D input is a
column of scalars (one feature per sample); a one-wide result comes back in that 1-D shape.
"""

import numbers

import numpy as np

from pyminidl import _core, data
from pyminidl.tensor import as_tensor

_BATCH = 256


def is_data(value):
    """Arrays, Tensors, nested lists, numbers and pandas objects (not the symbolic tensors of a model graph)."""
    return isinstance(value, (np.ndarray, list, tuple, numbers.Number)) or hasattr(value, "to_numpy")


def call(layer, inputs, training=None):
    if training:
        raise NotImplementedError(f"Layer '{layer.name}' was called on arrays with training=True: pyminidl "
                                  "computes layers outside fit() in inference mode only")
    arrays, one_d = _arrays(layer, inputs)
    shapes = [a.shape[1:] for a in arrays]
    layer._build_for_call(shapes if layer._takes_list else shapes[0], layer._takes_list)
    spec = layer._spec()
    if spec is None:  # layers that only reshape
        out = arrays[0].reshape((len(arrays[0]),) + tuple(layer.output_shape[1:]))
    else:
        kind, attrs = spec
        cached = getattr(layer, "_eager", None)
        if cached is None or cached[0] != shapes:
            seed = int(np.random.randint(0, 2**62, dtype=np.int64))
            net = _core.Network([(kind, list(range(len(arrays))), attrs)], shapes, seed)
            cached = layer._eager = (shapes, net)
        net = cached[1]
        if layer._weights and layer._owner is not net:
            _copy_into(layer, net)
        elif not layer._weights:
            layer._attach(net.layer_weights(0), net)
        out = net.predict(arrays, _BATCH)
    if one_d and out.shape[1:] == (1,):
        out = out.reshape(-1)
    return as_tensor(out)


def _copy_into(layer, net):
    """The layer's current values into the eager network, which does not take the weights over."""
    for var, (_, view, _) in zip(layer._weights, net.layer_weights(0)):
        view[...] = var.value


def _arrays(layer, inputs):
    """The inputs as float32 arrays with a batch axis, and whether a single input was 1-D."""
    if layer._takes_list:
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}) takes a list of at least 2 inputs, "
                             f"got {type(inputs).__name__}")
        arrays = [data.as_array(a, f"inputs[{i}]") for i, a in enumerate(inputs)]
    else:
        arrays = [data.as_array(inputs, "inputs")]
    arrays = [np.ascontiguousarray(a, dtype=np.float32) for a in arrays]
    one_d = not layer._takes_list and arrays[0].ndim == 1
    if one_d:
        arrays = [arrays[0].reshape(-1, 1)]
    for i, a in enumerate(arrays):
        if a.ndim < 2 or len(a) == 0:
            raise ValueError(f"Layer '{layer.name}': input {i} needs a batch axis and feature axes, got shape "
                             f"{a.shape}")
        if len(a) != len(arrays[0]):
            raise ValueError(f"Layer '{layer.name}': inputs have different numbers of samples "
                             f"({len(arrays[0])} and {len(a)})")
    return arrays, one_d


class EagerCall:
    """Kept for the layer classes that name it: Layer.__call__ itself answers calls on data (call above) and
    on symbolic tensors (the functional API)."""
