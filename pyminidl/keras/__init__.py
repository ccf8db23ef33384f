"""The tf.keras-shaped namespace: `import pyminidl as tf; tf.keras.models.Sequential(...)`."""

import sys as _sys

from pyminidl import _api
from pyminidl import activations, backend, callbacks, datasets, initializers, layers, losses, metrics, models
from pyminidl import optimizers, preprocessing, utils
from pyminidl.layers import Input
from pyminidl.models import Model, Sequential

__all__ = ["Input", "Model", "Sequential", "activations", "backend", "callbacks", "datasets", "initializers", "layers",
           "losses", "metrics", "models", "optimizers", "preprocessing", "utils"]
__dir__ = _api.dir_function(__all__)

# Dotted imports (`from pyminidl.keras.datasets import mnist`) reach the same module objects as the attributes.
_sys.modules[f"{__name__}.datasets"] = datasets
for _name in datasets.KERAS_DATASETS:
    _sys.modules[f"{__name__}.datasets.{_name}"] = getattr(datasets, _name)
del _name
