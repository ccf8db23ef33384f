"""pyminidl: a small, fast, faithful Keras-like deep-learning framework with a C++ core.

    import pyminidl as tf
    model = tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(2,))])
"""

import os as _os

# Waits that yield (docs/reliability.md): libgomp's threads spin about 300,000 times (milliseconds) at each
# barrier before they sleep. On a machine whose cores are busy with other processes, a thread spinning at
# the end of a small parallel region holds the core that a descheduled team mate needs, and a 0.2 ms call
# can take tens of milliseconds (an Embedding + Dense epoch on 2 cores next to one busy process: 14.1 s at
# the default, 2.5 s at 10,000 spins, 0.5 s at 1,000, 0.25 s on one thread; quiet, 1,000 measured the same
# as the default). A short spin (still enough to bridge the waits inside a GEMM's barriers) then a sleep,
# unless the user chose a policy. libgomp reads these when it loads, with _core;
# the variables are set only for that moment, so child processes and other libraries do not inherit them.
_WAIT_DEFAULTS = {"GOMP_SPINCOUNT": "1000"}
_wait_set = [k for k in _WAIT_DEFAULTS if k not in _os.environ and "OMP_WAIT_POLICY" not in _os.environ]
_os.environ.update({k: _WAIT_DEFAULTS[k] for k in _wait_set})
try:
    from pyminidl import _core
finally:
    for _k in _wait_set:
        _os.environ.pop(_k, None)
from pyminidl import activations, backend, callbacks, constraints, datasets, initializers, layers, losses, metrics
from pyminidl import nn, onnx, optimizers, preprocessing, random, regularizers, utils, version
from pyminidl.backend import clear_session
from pyminidl.layers import Input
from pyminidl.models import Model, Sequential
from pyminidl.tensor import Tensor, argmax, constant, convert_to_tensor, linspace, reduce_mean, reduce_sum
from pyminidl.utils import set_random_seed

__version__ = version.VERSION


def set_num_threads(n):
    """Sets the number of threads of the C++ core (matrix multiply); results do not depend on it (threads
    never split a sum).

    At most 4 per core (at least 8, never past 1024). When the system will not create n threads, or in a child
    of os.fork() (docs/reliability.md), fewer are used and a RuntimeWarning says how many.

    Args:
        n: a positive integer.

    Raises:
        ValueError: if `n` is not a positive integer, or above the limit (the message names it).
    """
    import warnings
    from pyminidl import _check
    n = _check.integer("n", n, minimum=1, maximum=_check.MAX_SIZE)
    _core.set_num_threads(n)
    got = _core.get_num_threads()
    if got < n:
        why = ("this process is a child of fork(), where the OpenMP thread pool cannot be used"
               if _forked_child else "the system would not create more threads")
        warnings.warn(f"set_num_threads({n}): using {got} thread(s): {why}", RuntimeWarning, stacklevel=2)


_forked_child = False


def _after_fork_in_child():  # the C++ core drops to one thread itself (cpp/gemm.cpp); this is for the message
    global _forked_child
    _forked_child = True


_os.register_at_fork(after_in_child=_after_fork_in_child)


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

__all__ = ["Model", "Sequential", "Input", "Tensor", "activations", "backend", "callbacks", "constraints", "datasets",
           "initializers", "keras", "layers", "losses", "metrics", "models", "nn", "onnx", "optimizers",
           "preprocessing", "random", "regularizers", "utils", "version", "argmax", "constant", "convert_to_tensor",
           "linspace", "reduce_mean", "reduce_sum", "clear_session", "set_random_seed", "set_num_threads",
           "get_num_threads", "__version__", "plot", "wrappers"]
