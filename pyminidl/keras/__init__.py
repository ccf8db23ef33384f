"""The tf.keras-shaped namespace: `import pyminidl as tf; tf.keras.models.Sequential(...)`."""

from pyminidl import activations, backend, callbacks, datasets, initializers, layers, losses, metrics, models
from pyminidl import optimizers, preprocessing, utils
from pyminidl.layers import Input
from pyminidl.models import Model, Sequential

__all__ = ["Input", "Model", "Sequential", "activations", "backend", "callbacks", "datasets", "initializers", "layers",
           "losses", "metrics", "models", "optimizers", "preprocessing", "utils"]
