"""`tf.nn` spellings the tutorials pass as activations: `Dense(64, activation=tf.nn.relu)`."""

from pyminidl.activations import (elu, gelu, leaky_relu, relu, relu6, selu, sigmoid, silu, softmax, softplus,
                                  softsign, swish, tanh)

__all__ = ["elu", "gelu", "leaky_relu", "relu", "relu6", "selu", "sigmoid", "silu", "softmax", "softplus",
           "softsign", "swish", "tanh"]
