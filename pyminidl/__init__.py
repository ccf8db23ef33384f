"""pyminidl: a small, fast, faithful Keras-like deep-learning framework with a C++ core.

    import pyminidl as tf
    model = tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(2,))])
"""

from pyminidl._openmp import load_core

_core = load_core()  # before anything else imports it: libgomp reads its wait policy as it loads
from pyminidl import activations, backend, callbacks, datasets, initializers, layers, losses, metrics
from pyminidl import nn, optimizers, random, utils
from pyminidl.backend import clear_session
from pyminidl.layers import Input
from pyminidl.models import Model, Sequential
from pyminidl.utils import set_random_seed

__version__ = _core.__version__  # pyproject.toml's version, compiled in by CMake (VERSION_INFO)


def set_num_threads(n):
    """Threads used by the C++ core (matrix multiply); results do not depend on it."""
    from pyminidl import _check
    _core.set_num_threads(_check.integer("n", n, minimum=1))


def get_num_threads():
    return _core.get_num_threads()


from pyminidl import models  # noqa: E402  (after Sequential, so `pyminidl.models` is the module)
from pyminidl import keras  # noqa: E402

__all__ = ["Model", "Sequential", "Input", "activations", "backend", "callbacks", "datasets", "initializers", "keras",
           "layers", "losses", "metrics", "models", "nn", "optimizers", "random", "utils", "clear_session",
           "set_random_seed", "set_num_threads", "get_num_threads", "__version__"]
