"""Pickling models through their own file format: `pickle.dumps(model)` stores the bytes of `model.save`,
and unpickling runs `load_model` on them, the safe loader (nothing in the bytes is executed or unpickled).

Registered with `copyreg` (pickle's and `copy.deepcopy`'s dispatch table) for each model class, so the model
classes themselves carry no pickling code.
"""

from __future__ import annotations

import copyreg
import os
import tempfile
from typing import Any, Callable, Tuple

__all__: list = []

_FILE_NAME = "model.keras"


def model_to_bytes(model: Any) -> bytes:
    """The bytes of the file `model.save` writes."""
    with tempfile.TemporaryDirectory(prefix="pyminidl-pickle-") as folder:
        path = os.path.join(folder, _FILE_NAME)
        model.save(path)
        with open(path, "rb") as f:
            return f.read()


def model_from_bytes(data: bytes) -> Any:
    """A model from `model_to_bytes`' output, through `pyminidl.models.load_model`."""
    from pyminidl.models import load_model

    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"data must be the bytes of a model file, got {type(data).__name__}")
    with tempfile.TemporaryDirectory(prefix="pyminidl-pickle-") as folder:
        path = os.path.join(folder, _FILE_NAME)
        with open(path, "wb") as f:
            f.write(data)
        return load_model(path)


def _reduce(model: Any) -> Tuple[Callable[[bytes], Any], Tuple[bytes]]:
    return model_from_bytes, (model_to_bytes(model),)


def register(cls: type) -> None:
    """Make instances of `cls` (a model class with save/load_model support) pickle through their file."""
    copyreg.pickle(cls, _reduce)
