"""Models: Sequential (a stack of layers) and Model (the functional API: `Model(inputs, outputs)`), which share
compile/fit/evaluate/predict (models/trainer.py), weights and saving (models/model.py)."""

import json

from pyminidl import _api, layers, saving
from pyminidl.models.functional import Functional
from pyminidl.models.model import Model
from pyminidl.models.sequential import Sequential


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model from a `.keras` or `.h5` file (pyminidl's or Keras'): architecture, weights, compile
    configuration and optimizer state. Nothing in the file is executed; class names resolve only against
    pyminidl's own classes and the custom_objects given.

    Args:
        filepath: the `.keras` or `.h5` file's path.
        custom_objects: a dict of extra classes a class name in the file may resolve to.
        compile: whether to compile the model as it was saved.
        safe_mode: accepted for Keras' signature; loading is always safe.

    Returns:
        The model.

    Raises:
        ValueError: if the file is not a model file pyminidl can read.
    """
    return saving.load_model(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def model_from_json(json_string, custom_objects=None):
    """A new, uncompiled model with fresh weights from `model.to_json()`'s string (the architecture only)."""
    if custom_objects:
        raise ValueError(f"custom_objects is not supported by pyminidl (it builds its own layers only), got "
                         f"{custom_objects!r:.100}")
    try:
        config = json.loads(json_string)
    except (TypeError, ValueError) as e:
        raise ValueError(f"json_string must be the JSON text of model.to_json(): {e}") from None
    if not isinstance(config, dict) or config.get("class_name") not in ("Sequential", "Functional", "Model"):
        raise ValueError(f"json_string does not describe a model: {json_string!r:.120}")
    return layers.deserialize(config)


def clone_model(model, input_tensors=None, clone_function=None, **kwargs):
    """A new model of the same architecture with new layers and freshly initialized weights (as Keras)."""
    if input_tensors is not None or clone_function is not None or kwargs:
        raise NotImplementedError("clone_model: input_tensors, clone_function and other options are not supported "
                                  "by pyminidl")
    if not isinstance(model, Model):
        raise ValueError(f"clone_model expects a Sequential or functional model, got {model!r:.100}")
    return layers.deserialize(layers.serialize(model))


# Functional, Model, Sequential (from the package's files), clone_model, load_model, model_from_json
__all__ = _api.public(globals())
__dir__ = _api.dir_function(__all__)
