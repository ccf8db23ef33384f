"""keras.regularizers: weight penalties for kernel_regularizer= / bias_regularizer= (KERAS_REFERENCE §16).

The penalty l1 * sum|w| + l2 * sum(w^2) (no 1/2) joins the training loss, and its gradient the weights'
gradient, in the C++ core (cpp/weight_rules.cpp); calling a regularizer on an array gives the penalty value.
Keras 3's `l1_l2` is the L1L2 class (defaults 0.0, 0.0: it adds nothing unless given factors); the strings
'l1' and 'l2' mean factor 0.01.
"""

import numpy as np

from pyminidl import _api, _check, data


class Regularizer:
    """Base class: a penalty of a weight tensor."""

    l1 = 0.0
    l2 = 0.0

    def __call__(self, x):
        from pyminidl.tensor import as_tensor
        w = data.as_array(x, "x").astype(np.float32)
        return as_tensor(np.float32(self.l1 * np.sum(np.abs(w), dtype=np.float64)
                                    + self.l2 * np.sum(np.square(w, dtype=np.float64))))

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} {self.get_config()}>"


def _factor(name, value):
    return _check.number(name, value, 0.0)


class L1(Regularizer):
    """l1 * sum(|w|)."""

    def __init__(self, l1=0.01):
        self.l1 = _factor("l1", l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """l2 * sum(w^2)."""

    def __init__(self, l2=0.01):
        self.l2 = _factor("l2", l2)

    def get_config(self):
        return {"l2": self.l2}


class L1L2(Regularizer):
    """l1 * sum(|w|) + l2 * sum(w^2)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = _factor("l1", l1), _factor("l2", l2)

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


l1, l2, l1_l2 = L1, L2, L1L2  # Keras 3: the lower-case names are the classes
_BY_NAME = {"l1": L1, "l2": L2}
_BY_CLASS = {"L1": L1, "L2": L2, "L1L2": L1L2}


def get(identifier, argument="regularizer"):
    """A Regularizer from None, an instance, 'l1'/'l2', a class name or a {'class_name', 'config'} dict."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, dict) and identifier.get("class_name") in _BY_CLASS:
        return _BY_CLASS[identifier["class_name"]].from_config(dict(identifier.get("config") or {}))
    if isinstance(identifier, str) and identifier in {**_BY_NAME, **_BY_CLASS}:
        return {**_BY_NAME, **_BY_CLASS}[identifier]()
    raise ValueError(f"{argument}: Could not interpret regularizer identifier: {identifier!r} (use "
                     "regularizers.l2(0.001), l1(...), l1_l2(l1=..., l2=...) or 'l1'/'l2')")


def serialize(regularizer):
    """The `{"class_name": ..., "config": ...}` dict of a regularizer (None for None), as model files hold it."""
    if regularizer is None:
        return None
    return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}


def deserialize(config):
    """A regularizer from the dict `serialize` writes (or anything `get` takes)."""
    return get(config)


__all__ = _api.public(globals())
__dir__ = _api.dir_function(__all__)
