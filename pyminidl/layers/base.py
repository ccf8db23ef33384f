"""The layer base class and the one registry of layer classes (filled as each class is defined)."""

import numpy as np

from pyminidl import _check
from pyminidl.backend import snake_case, unique_name
from pyminidl.variables import Variable


# Every Layer subclass, by class name: what deserialize() and the file readers resolve names against.
# Filled by Layer.__init_subclass__, so a new layer is registered by defining it, in its own file.
REGISTRY = {}


class Layer:
    """Base class: a name, an optional declared input shape, and weights once built."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_"):
            REGISTRY[cls.__name__] = cls

    def __init__(self, name=None, input_shape=None, input_dim=None, trainable=True, dtype=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unrecognized keyword arguments: {sorted(kwargs)}")
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"name must be a non-empty string, got {name!r}")
        self.name = name or unique_name(snake_case(type(self).__name__))
        if input_dim is not None:
            input_shape = (_check.integer("input_dim", input_dim, minimum=1),)
        self._declared_input_shape = _shape_arg("input_shape", input_shape) if input_shape is not None else None
        self.trainable = trainable
        self._weights = []
        self.built = False
        self.input_shape = None
        self.output_shape = None

    # Shape inference: input feature shape (without the batch axis) -> output feature shape.
    def compute_output_shape(self, input_shape):
        return input_shape

    def _build(self, input_shape):
        self.input_shape = (None,) + tuple(input_shape)
        self.output_shape = (None,) + tuple(self.compute_output_shape(tuple(input_shape)))
        self.built = True

    def _spec(self):
        """The C++ description of this layer, (kind, attrs) as cpp/layers/ registers it, or None when it
        computes nothing (a linear Activation)."""
        return None

    def _initial_weights(self):
        return []

    def _attach(self, views, model_name):
        self._weights = [Variable(v, f"{self.name}/{w}:0", f"{model_name}/{self.name}/{w}")
                         for v, w in zip(views, self._weight_names())]

    def _weight_names(self):
        return []

    @property
    def weights(self):
        return list(self._weights)

    trainable_weights = weights

    @property
    def non_trainable_weights(self):
        return []

    def get_weights(self):
        return [w.numpy() for w in self._weights]

    def set_weights(self, weights):
        _set_weights(self._weights, weights, f"Layer {self.name}")

    def count_params(self):
        return int(sum(np.prod(w.shape) for w in self._weights))

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable}
        if self._declared_input_shape is not None:
            config["input_shape"] = list(self._declared_input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _shape_arg(name, shape):
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or not shape:
        raise ValueError(f"{name} must be a tuple of positive integers such as (4,), got {shape!r}")
    shape = tuple(shape)
    if shape[0] is None and len(shape) > 1:
        raise ValueError(f"{name} excludes the batch axis: use {shape[1:]!r} instead of {shape!r}")
    for s in shape:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or not 0 < s <= _check.MAX_SIZE:
            raise ValueError(f"{name} must be a tuple of positive integers such as (4,), got {shape!r}")
    return tuple(int(s) for s in shape)


def _set_weights(variables, weights, owner):
    if not isinstance(weights, (list, tuple)):
        raise TypeError(f"set_weights expects a list of arrays, got {type(weights).__name__}")
    if len(weights) != len(variables):
        raise ValueError(f"{owner}: you called set_weights(weights) with a weight list of length {len(weights)}, "
                         f"but the layer was expecting {len(variables)} weights.")
    arrays = []
    for var, w in zip(variables, weights):
        try:
            a = np.asarray(w, dtype=np.float32)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{owner}: weight for '{var.path}' is not numeric: {e}") from None
        if a.shape != var.shape:
            raise ValueError(f"{owner}: weight shape {var.shape} of '{var.path}' is not compatible with provided "
                             f"weight shape {a.shape}.")
        arrays.append(a)
    for var, a in zip(variables, arrays):  # all checked first: no half-applied update
        var.value[...] = a
