"""Layers: `from pyminidl.layers import Dense` (also `pyminidl.keras.layers`). One file per family of layers;
each class registers itself by name (base.REGISTRY) for deserialize() and the model files."""

from pyminidl import _api
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
    """The `{"class_name": ..., "config": ...}` dict of a layer, as Keras writes it into model files."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


from pyminidl.layers import experimental  # noqa: E402  (after the classes it re-exports)

# the classes and functions of the layer files imported above (Conv2D and its alias Convolution2D, the merge
# layers and functions, KerasTensor, Input), deserialize/serialize and every registered layer class (REGISTRY
# also holds the model classes once pyminidl.models is imported: those belong to pyminidl.models)
__all__ = sorted({*_api.public(globals()), "experimental",
                  *(name for name, cls in REGISTRY.items() if cls.__module__.startswith(__name__ + "."))})
__dir__ = _api.dir_function(__all__)
