"""Merge layers: several tensors in, one out. Concatenate joins them along an axis; Add, Subtract, Multiply,
Average, Maximum and Minimum combine them elementwise. Each has a function of the same name in lower case
(`concatenate([a, b])` is `Concatenate()([a, b])`), as in Keras.

Shape rules are Keras': Concatenate needs equal shapes except on its axis; for the elementwise layers Keras
broadcasts size-1 axes and shorter shapes against the trailing axes of longer ones, anything else is a
ValueError "Inputs have incompatible shapes. Received shapes (3,) and (2,)". pyminidl's C++ merge layers
(cpp/layers/merge.*) take inputs of one shape: shapes Keras would broadcast raise NotImplementedError.
Shapes here are per sample (no batch axis).
"""

from typing import Optional

from pyminidl import _check
from pyminidl.layers.base import Layer


class _Merge(Layer):
    """Shared by the merge layers: called on a list of tensors, no weights."""

    _takes_list = True
    _kind: Optional[str] = None  # the C++ layer kind

    def _build_for_call(self, input_shape, as_list):
        if not as_list:
            raise ValueError(f"A merge layer ({type(self).__name__} '{self.name}') should be called on a list of "
                             f"inputs, got one tensor of shape {(None,) + tuple(input_shape)}")
        self._build(input_shape)

    def _build(self, input_shapes):
        shapes = [tuple(s) for s in input_shapes]
        if len(shapes) < 2:
            raise ValueError(f"A merge layer ({type(self).__name__} '{self.name}') should be called on a list of at "
                             f"least 2 inputs. Got {len(shapes)} inputs.")
        output_shape = tuple(self.compute_output_shape(shapes))  # Keras' shape rules and errors first
        _check.shape_size(f"Layer '{self.name}': output shape", output_shape)  # sizes are 32-bit ints in C++
        if self._kind != "concatenate" and any(s != output_shape for s in shapes):
            raise NotImplementedError(f"{type(self).__name__} layer '{self.name}': pyminidl merges inputs of one "
                                      f"shape; broadcasting {[(None,) + s for s in shapes]} is not supported "
                                      "(reshape or repeat the smaller input first)")
        self.input_shape = [(None,) + s for s in shapes]
        self.output_shape = (None,) + output_shape
        self.built = True

    def compute_output_shape(self, input_shape):
        out = tuple(input_shape[0])
        for shape in input_shape[1:]:
            out = _broadcast(out, tuple(shape))
        return out

    def _spec(self):
        return self._kind, {}


def _broadcast(shape1, shape2):
    """Keras' elementwise output shape: trailing axes aligned, a 1 stretches to the other size."""
    if len(shape1) < len(shape2):
        shape1, shape2 = shape2, shape1
    out = list(shape1[:len(shape1) - len(shape2)])
    for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
        if i != j and 1 not in (i, j):
            raise ValueError(f"Inputs have incompatible shapes. Received shapes {shape1} and {shape2}")
        out.append(j if i == 1 else i)
    return tuple(out)


class Add(_Merge):
    """Elementwise sum of its inputs."""
    _kind = "add"


class Subtract(_Merge):
    """inputs[0] - inputs[1], for exactly two inputs."""
    _kind = "subtract"

    def _build(self, input_shapes):
        if len(input_shapes) != 2:
            raise ValueError(f"A `Subtract` layer should be called on exactly 2 inputs. Received: input_shape="
                             f"{[(None,) + tuple(s) for s in input_shapes]}")
        super()._build(input_shapes)


class Multiply(_Merge):
    """Elementwise product of its inputs."""
    _kind = "multiply"


class Average(_Merge):
    """Elementwise mean of its inputs."""
    _kind = "average"


class Maximum(_Merge):
    """Elementwise maximum of its inputs."""
    _kind = "maximum"


class Minimum(_Merge):
    """Elementwise minimum of its inputs."""
    _kind = "minimum"


class Concatenate(_Merge):
    """Joins its inputs along `axis` (counted with the batch axis, as in Keras: -1 is the last feature axis)."""

    _kind = "concatenate"

    def __init__(self, axis=-1, **kwargs):
        self.axis = _check.integer("axis", axis)
        super().__init__(**kwargs)

    def _feature_axis(self, rank):
        """`axis` as an index into the per-sample shape of the given rank (which excludes the batch axis)."""
        axis = self.axis + rank + 1 if self.axis < 0 else self.axis
        if not 1 <= axis <= rank:
            raise ValueError(f"Concatenate layer '{self.name}': axis={self.axis} is out of range for inputs of "
                             f"rank {rank + 1}" + (" (axis 0 is the batch axis)" if axis == 0 else ""))
        return axis - 1

    def compute_output_shape(self, input_shape):
        shapes = [tuple(s) for s in input_shape]
        axis = self._feature_axis(len(shapes[0]))
        rest = {s[:axis] + s[axis + 1:] if len(s) == len(shapes[0]) else None for s in shapes}
        if len(rest) != 1 or None in rest:
            raise ValueError("A `Concatenate` layer requires inputs with matching shapes except for the "
                             f"concatenation axis. Received: input_shape={[(None,) + s for s in shapes]}")
        out = list(shapes[0])
        out[axis] = sum(s[axis] for s in shapes)
        return tuple(out)

    def _spec(self):
        return self._kind, {"axis": self.axis}  # C++ counts the axis as Keras does, with the batch axis

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def add(inputs, **kwargs):
    """Add()(inputs)."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Subtract()(inputs)."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Multiply()(inputs)."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Average()(inputs)."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Maximum()(inputs)."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Minimum()(inputs)."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Concatenate(axis=axis)(inputs)."""
    return Concatenate(axis=axis, **kwargs)(inputs)
