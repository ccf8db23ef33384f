"""Reshape: the same floats under another per-sample shape (cpp/layers/reshape.cpp: no arithmetic)."""

import numpy as np

from pyminidl import _check
from pyminidl.layers.base import Layer


class Reshape(Layer):
    """Reshapes each sample to `target_shape` (without the batch axis); one entry may be -1 (inferred)."""

    def __init__(self, target_shape, **kwargs):
        if isinstance(target_shape, (int, np.integer)) and not isinstance(target_shape, bool):
            target_shape = (target_shape,)
        if not isinstance(target_shape, (tuple, list)) or not target_shape:
            raise ValueError(f"target_shape must be a tuple of integers such as (4, 4, 1), got {target_shape!r}")
        shape = tuple(_check.integer("target_shape entries", v, minimum=-1, maximum=_check.MAX_SIZE)
                      for v in target_shape)
        if 0 in shape or shape.count(-1) > 1:
            raise ValueError(f"target_shape must hold positive integers and at most one -1, got {target_shape!r}")
        self.target_shape = shape
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape):
        size = int(np.prod(input_shape))
        known = int(np.prod([v for v in self.target_shape if v != -1]))
        if (-1 in self.target_shape and size % known) or (-1 not in self.target_shape and size != known):
            raise ValueError(f"Reshape '{self.name}': the input's {size} values per sample (shape "
                             f"{(None,) + tuple(input_shape)}) cannot take target_shape {self.target_shape}")
        return tuple(size // known if v == -1 else v for v in self.target_shape)

    def _spec(self):
        return "reshape", {"target_shape": list(self.target_shape)}

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}


def _spatial_input(layer, input_shape):
    if len(input_shape) != 3:
        raise ValueError(f"Input 0 of layer '{layer.name}' ({type(layer).__name__}) is incompatible: expected "
                         f"ndim=4, i.e. (batch, height, width, channels), got shape {(None,) + tuple(input_shape)}")


class ZeroPadding2D(Layer):
    """Adds rows and columns of zeros: padding=1, (rows, cols) or ((top, bottom), (left, right))."""

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        from pyminidl.layers import _window
        self.data_format = _window.data_format_arg(data_format)
        if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool):
            padding = ((padding, padding), (padding, padding))
        elif isinstance(padding, (tuple, list)) and len(padding) == 2 and \
                all(isinstance(p, (int, np.integer)) and not isinstance(p, bool) for p in padding):
            padding = ((padding[0], padding[0]), (padding[1], padding[1]))
        if not (isinstance(padding, (tuple, list)) and len(padding) == 2 and
                all(isinstance(p, (tuple, list)) and len(p) == 2 for p in padding)):
            raise ValueError("`padding` should have two elements. Received: padding=" + repr(padding))
        self.padding = tuple(tuple(_check.integer("padding", v, minimum=0, maximum=_check.MAX_SIZE) for v in p)
                             for p in padding)
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape):
        _spatial_input(self, input_shape)
        (t, b), (l, r) = self.padding
        return (input_shape[0] + t + b, input_shape[1] + l + r, input_shape[2])

    def _spec(self):
        (t, b), (l, r) = self.padding
        return "zero_padding2d", {"padding": [t, b, l, r]}

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class UpSampling2D(Layer):
    """Repeats each row size[0] times and each column size[1] times (interpolation 'nearest')."""

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        from pyminidl.layers import _window
        self.size = _window.tuple_arg("size", size, 2)
        self.data_format = _window.data_format_arg(data_format)
        if interpolation != "nearest":
            raise NotImplementedError(f"UpSampling2D(interpolation={interpolation!r}) is not supported by pyminidl: "
                                      "only 'nearest'")
        self.interpolation = interpolation
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape):
        _spatial_input(self, input_shape)
        return (input_shape[0] * self.size[0], input_shape[1] * self.size[1], input_shape[2])

    def _spec(self):
        return "up_sampling2d", {"size": list(self.size)}

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}
