"""Models: Sequential (a stack of layers) and Model (the functional API: `Model(inputs, outputs)`), which share
compile/fit/evaluate/predict (models/trainer.py), weights and saving (models/model.py)."""

from pyminidl import saving
from pyminidl.models.functional import Functional
from pyminidl.models.model import Model
from pyminidl.models.sequential import Sequential


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """A model saved with model.save('name.keras'): architecture, weights, compile config, optimizer state."""
    return saving.load_model(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


__all__ = ["Functional", "Model", "Sequential", "load_model"]
