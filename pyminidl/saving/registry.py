"""The only places a class name read from a file may resolve to: pyminidl's own registries, one per family
(and classes the caller passed in custom_objects). Nothing is imported or executed by name."""

import importlib

from pyminidl import initializers, losses, metrics, optimizers
from pyminidl.layers.base import REGISTRY as LAYERS
from pyminidl.optimizers import schedules

# family -> the Keras module its objects are written under
MODULES = {"layer": "keras.layers", "initializer": "keras.initializers", "regularizer": "keras.regularizers",
           "constraint": "keras.constraints", "optimizer": "keras.optimizers", "loss": "keras.losses",
           "metric": "keras.metrics", "schedule": "keras.optimizers.schedules"}


def _subclasses(base):
    out, stack = {}, [base]
    while stack:
        for cls in stack.pop().__subclasses__():
            if not cls.__name__.startswith("_"):
                out[cls.__name__] = cls
            stack.append(cls)
    return out


def _optional(module, attr):
    """A registry of a family that may not exist in this pyminidl yet (regularizers, constraints)."""
    try:
        return dict(getattr(importlib.import_module(module), attr))
    except (ImportError, AttributeError):
        return {}


def classes(family):
    """{class name: class} of one family, computed now so classes defined later are included."""
    if family == "layer":
        return dict(LAYERS)
    if family == "initializer":
        return dict(initializers._BY_CLASS)
    if family == "optimizer":
        return {cls.__name__: cls for cls in optimizers._BY_NAME.values()}
    if family == "loss":
        return {cls.__name__: cls for cls in losses._NAMES}
    if family == "metric":
        return _subclasses(metrics.Metric)
    if family == "schedule":
        return dict(schedules._BY_CLASS)
    if family == "regularizer":
        return _optional("pyminidl.regularizers", "_BY_CLASS")
    if family == "constraint":
        return _optional("pyminidl.constraints", "_BY_CLASS")
    raise KeyError(family)


def family_of(obj):
    """The family of a pyminidl object (for writing its Keras 'module')."""
    for family in ("layer", "initializer", "regularizer", "constraint", "schedule", "optimizer", "loss", "metric"):
        if type(obj) in classes(family).values():
            return family
    return None


# Model classes register themselves here (models.py: register_model(Sequential)), so saving never imports the
# models module: models uses saving, never the other way round.
MODELS: dict = {}


def register_model(cls, *aliases):
    """Make a model class loadable by its class name (and by Keras' other names for it, e.g. 'Functional')."""
    for name in (cls.__name__, *aliases):
        MODELS[name] = cls
    return cls


def model_classes():
    """Registered model classes, and those the layer registry holds (where a model is a layer, as in Keras)."""
    found = {name: LAYERS[name] for name in ("Sequential", "Functional", "Model") if name in LAYERS}
    found.update(MODELS)
    if "Model" in found:
        found.setdefault("Functional", found["Model"])
    return found
