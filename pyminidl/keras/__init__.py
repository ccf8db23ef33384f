"""The tf.keras-shaped namespace: `import pyminidl as tf; tf.keras.layers.Dense`, and standalone Keras' forms
`import pyminidl.keras as keras`, `from pyminidl.keras.layers import Dense`, `keras.Input`, `keras.Sequential`.

`pyminidl.keras.X` *is* the module `pyminidl.X` (one object, registered under both dotted names in
sys.modules), so `tf.keras.layers.Dense is pyminidl.layers.Dense` and there is nothing to keep in step.
"""

import sys as _sys

from pyminidl import _api, _keras_alias

from pyminidl import activations, backend, callbacks, constraints, datasets, initializers, layers, losses, metrics
from pyminidl import models, optimizers, preprocessing, regularizers, saving, utils
from pyminidl.layers import Input
from pyminidl.models import Model, Sequential
from pyminidl.version import VERSION as __version__

# Dotted names importable under pyminidl.keras (and so `from pyminidl.keras.optimizers.schedules import ...`).
_SUBMODULES = {
    "activations": activations, "backend": backend, "callbacks": callbacks, "constraints": constraints,
    "datasets": datasets, "initializers": initializers, "layers": layers, "layers.experimental": layers.experimental,
    "layers.experimental.preprocessing": layers.experimental.preprocessing, "losses": losses, "metrics": metrics,
    "models": models, "optimizers": optimizers, "optimizers.schedules": optimizers.schedules,
    "preprocessing": preprocessing,
    "preprocessing.sequence": preprocessing.sequence, "regularizers": regularizers, "saving": saving,
    "utils": utils,
}
for _name, _module in _SUBMODULES.items():
    _sys.modules[f"{__name__}.{_name}"] = _module
del _name, _module
_keras_alias.install()  # and every other pyminidl.X.Y as pyminidl.keras.X.Y (pyminidl.keras.callbacks.checkpoint)

# The keras.datasets loaders are modules made at import (pyminidl/datasets), not files: register each.
for _name in datasets.KERAS_DATASETS:
    _sys.modules[f"{__name__}.datasets.{_name}"] = getattr(datasets, _name)
del _name

__all__ = ["Input", "Model", "Sequential", "__version__"] + [name for name in _SUBMODULES if "." not in name]
__dir__ = _api.dir_function(__all__)
