"""The tf.keras-shaped namespace: `import pyminidl as tf; tf.keras.models.Sequential(...)`."""

from pyminidl import _api
from pyminidl import activations, backend, callbacks, datasets, initializers, layers, losses, metrics, models
from pyminidl import optimizers, utils
from pyminidl.layers import Input
from pyminidl.models import Sequential

__all__ = ["Input", "Sequential", "activations", "backend", "callbacks", "datasets", "initializers", "layers",
           "losses", "metrics", "models", "optimizers", "utils"]
__dir__ = _api.dir_function(__all__)
