"""Process-wide state shared by all models: Keras-style automatic names."""

import re
from collections import defaultdict
from typing import DefaultDict

from pyminidl import _api

_name_counts: DefaultDict[str, int] = defaultdict(int)


def snake_case(class_name: str) -> str:
    """'Dense' -> 'dense', 'RMSprop' -> 'rm_sprop', 'AdamW' -> 'adam_w' (Keras' rule)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(prefix: str) -> str:
    """'dense', then 'dense_1', 'dense_2', ... per prefix, shared by every model in the process."""
    count = _name_counts[prefix]
    _name_counts[prefix] += 1
    return prefix if count == 0 else f"{prefix}_{count}"


def clear_session() -> None:
    """Resets the automatic layer and model names, as `keras.backend.clear_session()` does.

    The next `Dense` is then named `dense` again, the next `Sequential` `sequential`.

    Examples:

    >>> import pyminidl as tf
    >>> tf.keras.backend.clear_session()
    >>> tf.keras.layers.Dense(1).name
    'dense'
    """
    _name_counts.clear()


__all__ = _api.public(globals(), internal={"snake_case", "unique_name"})
__dir__ = _api.dir_function(__all__)
