"""Variables: named NumPy views onto parameters the C++ network owns, never copies."""

import numpy as np


class Variable:
    """A weight of a layer. `numpy()` returns a copy; `value` is the live float32 view."""

    def __init__(self, value, name, path, trainable=True):
        self._value = value
        self.name = name
        self.path = path
        self.trainable = trainable

    @property
    def value(self):
        return self._value

    @property
    def shape(self):
        return self._value.shape

    @property
    def dtype(self):
        return "float32"

    def numpy(self):
        return self._value.copy()

    def assign(self, value):
        value = np.asarray(value, dtype=np.float32)
        if value.shape != self.shape:
            raise ValueError(f"Cannot assign a value of shape {value.shape} to variable '{self.path}' of shape "
                             f"{self.shape}")
        self._value[...] = value
        return self

    def __array__(self, dtype=None, copy=None):
        return self._value.astype(dtype) if dtype is not None else self._value.copy()

    def __repr__(self):
        text = repr(self._value)
        if "\n" in text:
            text = "\n" + text
        return f"<Variable '{self.name}' shape={self.shape} dtype=float32, numpy={text}>"
