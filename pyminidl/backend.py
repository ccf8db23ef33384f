"""Process-wide state shared by all models: Keras-style automatic names."""

import re
from collections import defaultdict

_name_counts = defaultdict(int)


def snake_case(class_name):
    """'Dense' -> 'dense', 'RMSprop' -> 'rm_sprop', 'AdamW' -> 'adam_w' (Keras' rule)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(prefix):
    """'dense', then 'dense_1', 'dense_2', ... per prefix, shared by every model in the process."""
    count = _name_counts[prefix]
    _name_counts[prefix] += 1
    return prefix if count == 0 else f"{prefix}_{count}"


def clear_session():
    """Reset the automatic name counters, like keras.backend.clear_session()."""
    _name_counts.clear()
