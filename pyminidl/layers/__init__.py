"""Layers: `from pyminidl.layers import Dense` (also `pyminidl.keras.layers`). One file per family of layers;
each class registers itself by name (base.REGISTRY) for deserialize() and the model files."""

from pyminidl.layers.base import REGISTRY, Layer, _set_weights, _shape_arg
from pyminidl.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from pyminidl.layers.core import Activation, Dense, Dropout, Flatten, Input, InputLayer
from pyminidl.layers.merge import (Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract, add, average,
                                   concatenate, maximum, minimum, multiply, subtract)
from pyminidl.layers.node import KerasTensor
from pyminidl.layers.convolutional import Conv1D, Conv2D, Convolution1D, Convolution2D
from pyminidl.layers.embedding import Embedding
from pyminidl.layers.normalization import BatchNormalization
from pyminidl.layers.reshaping import Reshape, UpSampling2D, ZeroPadding2D
from pyminidl.layers.pooling import (AveragePooling1D, AveragePooling2D, AvgPool1D, AvgPool2D, GlobalAveragePooling1D,
                                     GlobalAveragePooling2D, GlobalAvgPool1D, GlobalAvgPool2D, GlobalMaxPool1D,
                                     GlobalMaxPool2D, GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPool1D, MaxPool2D,
                                     MaxPooling1D, MaxPooling2D)
from pyminidl.layers.noise import ActivityRegularization, AlphaDropout, GaussianNoise
from pyminidl.layers.preprocessing import Normalization, Rescaling


def deserialize(config):
    """A layer from {'class_name': ..., 'config': {...}} as written by get_config/serialize."""
    try:
        cls = REGISTRY[config["class_name"]]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown layer in config: {config!r:.200}") from None
    return cls.from_config(dict(config.get("config", {})))


def serialize(layer):
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


from pyminidl.layers import experimental  # noqa: E402  (after the classes it re-exports)

__all__ = ["ELU", "Activation", "ActivityRegularization", "Add", "AlphaDropout", "Average", "AveragePooling1D",
           "AveragePooling2D", "AvgPool1D", "AvgPool2D", "BatchNormalization", "Concatenate", "Conv1D", "Conv2D",
           "Convolution1D", "Convolution2D", "Dense", "Dropout", "Embedding", "Flatten", "GaussianNoise",
           "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool1D",
           "GlobalMaxPool2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "Input", "InputLayer", "KerasTensor", "Layer",
           "LeakyReLU", "MaxPool1D", "MaxPool2D", "MaxPooling1D", "MaxPooling2D", "Maximum", "Minimum", "Multiply",
           "Normalization", "PReLU", "ReLU", "Rescaling", "Reshape", "Softmax", "Subtract", "UpSampling2D",
           "ZeroPadding2D", "add", "average", "concatenate", "deserialize", "experimental", "maximum", "minimum",
           "multiply", "serialize", "subtract"]
