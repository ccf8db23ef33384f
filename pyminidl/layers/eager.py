"""A layer called on data, `layer(x)`, as tutorials do to look at what it computes (`normalizer(x).numpy()`):
the layer runs as a one-layer C++ network with its current weights, in inference mode, and returns a Tensor."""

import numbers

import numpy as np

from pyminidl import _core, data
from pyminidl.tensor import as_tensor


def is_data(value):
    """Arrays, Tensors, nested lists, numbers and pandas objects (not the symbolic tensors of a model graph)."""
    return isinstance(value, (np.ndarray, list, tuple, numbers.Number)) or hasattr(value, "to_numpy")


def call(layer, inputs, training=False):
    if training:
        raise NotImplementedError(f"{type(layer).__name__}(...)(x, training=True) is not supported: pyminidl runs "
                                  "training-mode layers inside fit()")
    x = data.as_array(inputs, "inputs").astype(np.float32)
    one_d = x.ndim == 1  # a column of scalars: one feature per sample, returned in its own shape
    if one_d:
        x = x.reshape(-1, 1)
    if x.ndim < 2 or len(x) == 0:
        raise ValueError(f"{type(layer).__name__}: expected a batch of samples, got input shape {x.shape}")
    features = tuple(x.shape[1:])
    if not layer.built or tuple(layer.input_shape[1:]) != features:
        if layer._weights:  # weights of a model of another input shape: they do not fit these inputs
            raise ValueError(f"Layer {layer.name} was built for input shape {layer.input_shape}, got inputs of "
                             f"shape {(None,) + features}")
        layer._build(features)
    spec = layer._spec()
    if spec is None:
        out = x
    else:
        net = _core.Network([(spec[0], [0], spec[1])], [features], 0)
        values = [w.numpy() for w in layer._weights] if layer._weights else layer._initial_weights()
        for view, value in zip(net.weights(), values):
            view[...] = value
        out = net.predict([np.ascontiguousarray(x)], 256)
    return as_tensor(out.reshape(-1) if one_d and out.shape[1:] == (1,) else out)


class EagerCall:
    """Mixin: `layer(x)` on data runs the layer (call); anything else goes to the next class's __call__
    (the functional API's symbolic call, where a build has one)."""

    def __call__(self, inputs, *args, training=None, **kwargs):
        if is_data(inputs) and not args and not kwargs:
            return call(self, inputs, bool(training))
        parent = getattr(super(), "__call__", None)
        if parent is None:
            raise TypeError(f"{type(self).__name__} can be called on arrays, got {type(inputs).__name__}")
        return parent(inputs, *args, training=training, **kwargs) if training is not None else \
            parent(inputs, *args, **kwargs)
