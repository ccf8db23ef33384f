"""pyminidl configs <-> Keras' JSON configs, for every layer alike.

A layer is known here only through `get_config()` (writing) and its class in the layer registry (reading): the
translation touches only what Keras adds around any layer's own keys (module, registered_name, build_config, the
dtype policy, batch shapes, nested serialized objects), so a new layer needs no change here.

Reading is strict where it matters and tolerant where it is harmless: a key pyminidl's constructor does not take
is dropped only when its value is Keras' neutral default (None, `sparse: false`, ...); any other value is refused
with a ValueError naming the class, key and value, so a file never loads into a model that computes something else.
"""

import inspect

from pyminidl.saving import registry
from pyminidl.saving.safety import Unsupported

DTYPE_POLICY = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}
# Keras keys whose value here changes nothing pyminidl computes (dropped when the class does not take them).
NEUTRAL = {"sparse": False, "ragged": False, "optional": False, "autocast": True, "data_format": "channels_last",
           "is_legacy_optimizer": False, "jit_compile": None, "ema_momentum": None, "reduction": None,
           "batch_size": None, "renorm": False, "renorm_momentum": 0.99}
# Meaningful in Keras only: XLA, and the settings of EMA (use_ema=True itself is refused by the optimizers).
IGNORED_KEYS = {"jit_compile", "ema_momentum", "ema_overwrite_frequency"}




# --- writing --------------------------------------------------------------------------------------------------
def keras_object(family, class_name, config, build_config=None):
    obj = {"module": registry.MODULES[family] if family else "keras", "class_name": class_name, "config": config,
           "registered_name": None}
    if build_config is not None:
        obj["build_config"] = build_config
    return obj


def to_keras_value(value):
    """Nested pyminidl serializations ({'class_name', 'config'}) in a config become Keras objects."""
    if isinstance(value, dict):
        if set(value) == {"class_name", "config"} and isinstance(value["class_name"], str):
            for family in ("initializer", "regularizer", "constraint", "schedule"):
                if value["class_name"] in registry.classes(family):
                    return keras_object(family, value["class_name"], to_keras_value(value["config"]))
        return {k: to_keras_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_keras_value(v) for v in value]
    return value


def layer_to_keras(layer, drop_input_shape=True):
    config = dict(layer.get_config())
    if drop_input_shape:  # Keras 3 gives a Sequential its shape through an InputLayer instead
        config.pop("input_shape", None)
    config = {"name": config.pop("name", layer.name), "trainable": config.pop("trainable", True),
              "dtype": DTYPE_POLICY, **to_keras_value(config)}
    build = None
    if getattr(layer, "built", False) and getattr(layer, "input_shape", None) is not None:
        build = {"input_shape": _jsonable(layer.input_shape)}
    return keras_object("layer", type(layer).__name__, config, build)


def input_layer(name, feature_shape):
    return keras_object("layer", "InputLayer", {"batch_shape": [None] + list(feature_shape), "dtype": "float32",
                                                "sparse": False, "ragged": False, "name": name, "optional": False})


def object_to_keras(obj):
    """An optimizer, loss or metric object as Keras writes it in compile_config."""
    family = registry.family_of(obj)
    if family is None:
        raise Unsupported(f"cannot save {obj!r}: it is not a pyminidl object")
    return keras_object(family, type(obj).__name__, to_keras_value(obj.get_config()))


def _jsonable(shape):
    if isinstance(shape, list) and shape and isinstance(shape[0], (tuple, list)):
        return [_jsonable(s) for s in shape]
    return [None if s is None else int(s) for s in shape]


# --- reading --------------------------------------------------------------------------------------------------
def accepted_keys(cls):
    """The keyword arguments cls(...) takes, following **kwargs up to the base classes."""
    keys = set()
    if isinstance(cls.__dict__.get("__signature__"), inspect.Signature):  # declared (the optimizers' tables)
        params = cls.__signature__.parameters.values()
        return {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)} - {"self"}
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            params = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            break
        keys |= {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            break
    keys.discard("self")
    return keys


def resolve(family, obj, custom_objects, what):
    """The pyminidl class for a serialized object's class name: custom_objects first, then the registry."""
    if not isinstance(obj, dict) or not isinstance(obj.get("class_name"), str):
        raise ValueError(f"{what} is not a serialized object: {obj!r:.120}")
    name, module = obj["class_name"], obj.get("module")
    registered = obj.get("registered_name")
    for key in (registered, name):
        if isinstance(key, str) and key in custom_objects:
            return custom_objects[key]
    if name == "Lambda":
        raise Unsupported(f"{what} is a Lambda layer: it holds Python code, and pyminidl never runs code from a "
                          "file (Keras' safe_mode). Rebuild the model in code, or pass a pyminidl layer class "
                          "for it in custom_objects={'Lambda': ...}")
    custom = (isinstance(module, str) and module and not module.startswith("keras")) or \
        (isinstance(registered, str) and registered not in (name, f"Custom>{name}"))
    known = registry.classes(family)
    if family == "optimizer" and name.startswith("Custom>"):  # tf_keras' name for its own new optimizers
        name = name[len("Custom>"):]
    if custom or name not in known:
        label = registered if isinstance(registered, str) else name
        raise Unsupported(f"{what} is of class {label!r}, which pyminidl does not have"
                          + (" (a custom object: pass its pyminidl class in custom_objects)" if custom else "")
                          + f". Supported {family} classes: {', '.join(sorted(known))}")
    return known[name]


def clean_config(cls, config, custom_objects, what):
    """A Keras config made fit for cls(**config): Keras-only wrapping removed, neutral keys dropped."""
    if not isinstance(config, dict):
        raise ValueError(f"{what}: its config must be an object, got {config!r:.120}")
    config = dict(config)
    _dtype(config.pop("dtype", None), what)
    for key in ("batch_shape", "batch_input_shape"):
        if key in config:
            shape = config.pop(key)
            if shape is not None:
                if not isinstance(shape, list) or len(shape) < 2:
                    raise ValueError(f"{what}: {key} must look like [null, 4], got {shape!r:.120}")
                if None not in shape[1:]:  # Keras 2 writes [null, null] on a layer of any length: the input decides
                    config.setdefault("input_shape", shape[1:])
    axis = config.get("axis")
    if isinstance(axis, list) and len(axis) == 1 and isinstance(axis[0], int):  # Keras 2's normalization axis
        config["axis"] = axis[0]
    if "shape" in config and "input_shape" in config and "shape" in accepted_keys(cls):
        config["shape"] = config.pop("input_shape")
    for key, value in list(config.items()):
        config[key] = from_keras_value(value, custom_objects, f"{what}.{key}")
    accepted = accepted_keys(cls)
    for key in [k for k in config if k not in accepted]:
        value = config[key]
        if value is None or key in IGNORED_KEYS or (key in NEUTRAL and NEUTRAL[key] == value):
            del config[key]
        else:
            raise Unsupported(f"{what}: {cls.__name__} option {key}={value!r:.80} is not supported by pyminidl")
    return config


def from_keras_value(value, custom_objects, what):
    """Keras objects nested in a config -> pyminidl's {'class_name', 'config'} (resolved here, built later)."""
    if isinstance(value, dict) and "class_name" in value and "config" in value:
        name = value["class_name"]
        if value.get("module") == "keras.activations" or name == "function":
            return _function_name(value, custom_objects, what)
        if name in ("DTypePolicy", "Policy"):
            return value
        for family in ("initializer", "regularizer", "constraint", "schedule"):
            if name in registry.classes(family) or value.get("module") == registry.MODULES[family]:
                cls = resolve(family, value, custom_objects, what)
                return {"class_name": cls.__name__,
                        "config": clean_config(cls, value["config"] or {}, custom_objects, what)}
        raise Unsupported(f"{what} holds an object of class {name!r:.60}, which pyminidl does not have")
    if isinstance(value, list):
        return [from_keras_value(v, custom_objects, what) for v in value]
    return value


def _function_name(value, custom_objects, what):
    """A serialized function (an activation): only a built-in name, never code."""
    name = value.get("config")
    if isinstance(name, str) and name in custom_objects:
        return custom_objects[name]
    if value.get("module") in ("keras.activations", "keras.src.activations.activations") and isinstance(name, str):
        return name
    raise Unsupported(f"{what} is a custom function {name!r:.60}: pyminidl runs no code from a file; pass a "
                      "pyminidl activation for it in custom_objects")


def _dtype(value, what):
    if isinstance(value, dict):
        value = (value.get("config") or {}).get("name")
    if value not in (None, "float32"):
        raise Unsupported(f"{what} uses dtype {value!r:.60}; pyminidl computes in float32 only")
