"""Names tutorials use that pyminidl refuses, each with a message saying what to do instead.

A refused name is still importable (so `from pyminidl.keras.callbacks import TensorBoard` works and the
error comes where the tutorial uses it, with a useful message); calling it raises NotImplementedError.
docs/compatibility.md lists these names and their messages (tests/test_compatibility.py builds it).
"""


def refused(name, message):
    """A stand-in for the class or function `name` that raises NotImplementedError(message) when called."""

    def stand_in(*args, **kwargs):
        raise NotImplementedError(f"{name} is not supported by pyminidl: {message}")

    stand_in.__name__ = stand_in.__qualname__ = name
    stand_in.__doc__ = f"Not supported by pyminidl: {message}"
    stand_in._pyminidl_refused = message
    return stand_in


def is_refused(obj):
    return getattr(obj, "_pyminidl_refused", None) is not None
