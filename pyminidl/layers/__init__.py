"""Layers: `from pyminidl.layers import Dense` (also `pyminidl.keras.layers`). One file per family of layers;
each class registers itself by name (base.REGISTRY) for deserialize() and the model files."""

from pyminidl.layers.base import REGISTRY, Layer, _set_weights, _shape_arg
from pyminidl.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from pyminidl.layers.core import Activation, Dense, Dropout, Flatten, Input, InputLayer
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

__all__ = ["ELU", "Activation", "ActivityRegularization", "AlphaDropout", "Dense", "Dropout", "Flatten",
           "GaussianNoise", "Input", "InputLayer", "Layer", "LeakyReLU", "Normalization", "PReLU", "ReLU", "Rescaling",
           "Softmax", "deserialize", "experimental", "serialize"]
