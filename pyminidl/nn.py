"""`tf.nn` spellings the tutorials pass as activations: `Dense(64, activation=tf.nn.relu)`."""

from pyminidl import _api
from pyminidl.activations import (elu, gelu, leaky_relu, relu, relu6, selu, sigmoid, silu, softmax, softplus,
                                  softsign, swish, tanh)

__all__ = ["elu", "gelu", "leaky_relu", "relu", "relu6", "selu", "sigmoid", "silu", "softmax", "softplus",
           "softsign", "swish", "tanh"]
__dir__ = _api.dir_function(__all__)
