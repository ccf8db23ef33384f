"""pyminidl: a small, fast, faithful Keras-like deep-learning framework with a C++ core.

    import pyminidl as tf
    model = tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(2,))])
"""

from pyminidl import _core
from pyminidl import activations, backend, callbacks, datasets, initializers, layers, losses, metrics
from pyminidl import nn, onnx, optimizers, random, utils
from pyminidl.backend import clear_session
from pyminidl.layers import Input
from pyminidl.models import Model, Sequential
from pyminidl.utils import set_random_seed

__version__ = _core.__version__  # pyproject.toml's version, compiled in by CMake (VERSION_INFO)


def set_num_threads(n):
    """Sets the number of threads of the C++ core; results do not depend on it (threads never split a sum).

    Args:
        n: a positive integer.

    Raises:
        ValueError: if `n` is not a positive integer.
    """
    from pyminidl import _check
    _core.set_num_threads(_check.integer("n", n, minimum=1))


def get_num_threads():
    """The number of threads the C++ core uses (`OMP_NUM_THREADS`, or what `set_num_threads` set)."""
    return _core.get_num_threads()


from pyminidl import models  # noqa: E402  (after Sequential, so `pyminidl.models` is the module)
from pyminidl import keras  # noqa: E402
from pyminidl import _pickle  # noqa: E402

for _name in ("Sequential", "Model", "Functional"):  # whichever model classes pyminidl.models defines
    if isinstance(getattr(models, _name, None), type):
        _pickle.register(getattr(models, _name))
del _name

_LAZY = ("plot", "wrappers")  # need matplotlib / scikit-learn: imported on first use


def __getattr__(name):
    """`pyminidl.plot` and `pyminidl.wrappers` without an explicit import (their dependencies are optional)."""
    if name in _LAZY:
        import importlib
        return importlib.import_module(f"pyminidl.{name}")
    raise AttributeError(f"module 'pyminidl' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)

__all__ = ["Model", "Sequential", "Input", "activations", "backend", "callbacks", "datasets", "initializers", "keras",
           "layers", "losses", "metrics", "models", "nn", "onnx", "optimizers", "random", "utils", "clear_session",
           "set_random_seed", "set_num_threads", "get_num_threads", "__version__", "plot", "wrappers"]
