"""Activation functions by Keras name; the list and the math live in cpp/activations.h."""

import numpy as np

from pyminidl import _core, _check, data

# Every activation in cpp/activations.h's list, by its name there, except those reached another way.
_INTERNAL = {"gelu_approximate"}  # gelu's tanh form, not a Keras name
_ALPHA = {"elu": 1.0, "leaky_relu": 0.2}  # Keras' default alpha (0 for the rest: unused)
_ACTIVATIONS = {name: (code, _ALPHA.get(name, 0.0))
                for name, code in _core.Act.__members__.items() if name not in _INTERNAL}
# The other spellings Keras accepts: function aliases (Keras 3 exports both names), and the LeakyReLU
# layer's name with that layer's default slope.
_ALIASES = {"silu": "swish"}
_ACTIVATIONS.update({alias: _ACTIVATIONS[name] for alias, name in _ALIASES.items()})
_ACTIVATIONS["leakyrelu"] = (_core.Act.leaky_relu, 0.3)


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
    canonical = {**_ALIASES, "leakyrelu": "leaky_relu"}.get(key, key)
    return canonical, code, alpha


def _make(name):
    code, alpha = _ACTIVATIONS[name]

    def activation(x):
        if isinstance(x, np.ndarray) and x.size == 0 and (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
            return np.zeros(x.shape, dtype=np.float32)  # nothing to compute
        scalar = isinstance(x, (int, float, np.generic)) or (isinstance(x, np.ndarray) and x.ndim == 0)
        x = data.as_array([x] if scalar else x, "x").astype(np.float32)  # None, strings, ragged: clear errors
        if scalar:
            x = x.reshape(())
        flat = x.reshape(-1, x.shape[-1]) if x.ndim else x.reshape(1, 1)
        return _core.act_forward(code, alpha, np.ascontiguousarray(flat)).reshape(x.shape)

    activation.__name__ = activation.__qualname__ = name
    activation.__doc__ = f"Keras' {name} activation, computed by pyminidl's C++ core."
    activation._pyminidl_name = name
    return activation


# relu, sigmoid, ...: one function per name of the list, and the aliases (silu is swish).
for _name in _core.Act.__members__:
    if _name not in _INTERNAL:
        globals()[_name] = _make(_name)
for _alias, _name in _ALIASES.items():
    globals()[_alias] = globals()[_name]
del _name, _alias


def get(identifier):
    """The activation function for a name, like keras.activations.get."""
    return globals()[resolve(identifier)[0]]


def serialize(fn):
    return resolve(fn)[0]
