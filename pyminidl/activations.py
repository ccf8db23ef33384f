"""Activation functions by Keras name; the math lives in cpp/activations.cpp."""

import numpy as np

from pyminidl import _core, _check, data
from pyminidl.tensor import as_tensor

# name -> (C++ code, alpha). Keras 3's names plus the Keras 2 spellings the tutorials use.
_ACTIVATIONS = {
    "linear": (_core.Act.linear, 0.0),
    "relu": (_core.Act.relu, 0.0),
    "sigmoid": (_core.Act.sigmoid, 0.0),
    "tanh": (_core.Act.tanh, 0.0),
    "softmax": (_core.Act.softmax, 0.0),
    "elu": (_core.Act.elu, 1.0),
    "selu": (_core.Act.selu, 0.0),
    "softplus": (_core.Act.softplus, 0.0),
    "softsign": (_core.Act.softsign, 0.0),
    "swish": (_core.Act.swish, 0.0),
    "silu": (_core.Act.swish, 0.0),
    "gelu": (_core.Act.gelu, 0.0),
    "leaky_relu": (_core.Act.leaky_relu, 0.2),
    "leakyrelu": (_core.Act.leaky_relu, 0.3),  # the LeakyReLU layer's default slope
    "relu6": (_core.Act.relu6, 0.0),
    "hard_sigmoid": (_core.Act.hard_sigmoid, 0.0),
    "exponential": (_core.Act.exponential, 0.0),
    "mish": (_core.Act.mish, 0.0),
}


def resolve(identifier):
    """'relu' / None / an activation function of this module -> (canonical name, C++ code, alpha)."""
    if identifier is None:
        identifier = "linear"
    if callable(identifier) and getattr(identifier, "_pyminidl_name", None):
        identifier = identifier._pyminidl_name
    if not isinstance(identifier, str):
        raise ValueError(f"Could not interpret activation function identifier: {identifier!r} "
                         "(use a name such as 'relu' or a function from pyminidl.activations)")
    key = identifier.lower()
    try:
        code, alpha = _check.lookup("activation", key, _ACTIVATIONS)
    except ValueError as e:
        raise ValueError(f"Could not interpret activation function identifier: {identifier!r}. "
                         + str(e).split(". ", 1)[1]) from None
    canonical = {"silu": "swish", "leakyrelu": "leaky_relu"}.get(key, key)
    return canonical, code, alpha


def _make(name):
    code, alpha = _ACTIVATIONS[name]

    def activation(x):
        if isinstance(x, np.ndarray) and x.size == 0 and (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
            return as_tensor(np.zeros(x.shape, dtype=np.float32))  # nothing to compute
        scalar = isinstance(x, (int, float, np.generic)) or (isinstance(x, np.ndarray) and x.ndim == 0)
        x = data.as_array([x] if scalar else x, "x").astype(np.float32)  # None, strings, ragged: clear errors
        if scalar:
            x = x.reshape(())
        flat = x.reshape(-1, x.shape[-1]) if x.ndim else x.reshape(1, 1)
        return as_tensor(_core.act_forward(code, alpha, np.ascontiguousarray(flat)).reshape(x.shape))

    activation.__name__ = activation.__qualname__ = name
    activation.__doc__ = f"Keras' {name} activation, computed by pyminidl's C++ core (float32; returns a Tensor)."
    activation._pyminidl_name = name
    return activation


linear = _make("linear")
relu = _make("relu")
sigmoid = _make("sigmoid")
tanh = _make("tanh")
_softmax_rows = _make("softmax")


def softmax(x, axis=-1):
    """Keras' softmax over `axis` (the last by default), computed by pyminidl's C++ core."""
    x = np.asarray(x)
    if x.ndim == 0 or axis in (-1, x.ndim - 1):
        return _softmax_rows(x)
    moved = np.moveaxis(data.as_array(x, "x"), _check.integer("axis", axis, -x.ndim, x.ndim - 1), -1)
    return as_tensor(np.moveaxis(np.asarray(_softmax_rows(np.ascontiguousarray(moved))), -1, axis))


softmax._pyminidl_name = "softmax"
elu = _make("elu")
selu = _make("selu")
softplus = _make("softplus")
softsign = _make("softsign")
swish = silu = _make("swish")
gelu = _make("gelu")
leaky_relu = _make("leaky_relu")
relu6 = _make("relu6")
hard_sigmoid = _make("hard_sigmoid")
exponential = _make("exponential")
mish = _make("mish")


def get(identifier):
    """The activation function for a name, like keras.activations.get."""
    return globals()[resolve(identifier)[0]]


def serialize(fn):
    return resolve(fn)[0]
