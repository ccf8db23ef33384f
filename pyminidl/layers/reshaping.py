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
