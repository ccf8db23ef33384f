"""A model's Keras config (architecture + compile_config) written from and rebuilt into pyminidl objects.

Layers are handled alike through keras_config; this file knows only the model-level shapes of Keras' configs:
Sequential's layer list (Keras 3 starts it with an InputLayer), the functional model's layer entries (name,
inbound_nodes, input_layers, output_layers; Keras 2's nested-list inbound_nodes are rewritten to Keras 3's form),
and compile_config / Keras 2's training_config.
"""

import numpy as np

from pyminidl import losses, optimizers
from pyminidl.saving import keras_config, registry
from pyminidl.saving.keras_config import DTYPE_POLICY, Unsupported, clean_config, resolve

MAX_LAYERS = 100_000
MAX_FEATURES = 1 << 26  # elements of one sample's output of one layer (256 MB as float32): far above real models


# --- writing --------------------------------------------------------------------------------------------------
def model_to_keras(model, include_compile=True):
    name = type(model).__name__
    config = dict(model.get_config())
    if name == "Sequential":
        layers = []
        if model.input_shape is not None:
            layers.append(keras_config.input_layer("input_layer", model.input_shape[1:]))
        layers += [_layer_to_keras(layer) for layer in model.layers]
        config = {"name": model.name, "trainable": getattr(model, "trainable", True), "dtype": DTYPE_POLICY,
                  "layers": layers, "build_input_shape": config.get("build_input_shape")}
    else:  # a functional model: each entry keeps its graph keys, its layer config is translated
        by_name = {layer.name: layer for layer in model.layers}
        entries = []
        for entry in config.get("layers", []):
            cfg = entry.get("config") or {}
            layer = by_name.get(entry.get("name") or cfg.get("name"))
            if entry.get("class_name") == "InputLayer":  # exactly Keras' keys: its InputLayer takes no others
                shape = cfg.get("batch_shape") or cfg.get("batch_input_shape")
                obj = keras_config.input_layer(cfg.get("name"), list(shape)[1:])
            else:
                obj = _layer_to_keras(layer, drop_input_shape=False)
            for key in ("name", "inbound_nodes"):
                if key in entry:
                    obj[key] = entry[key]
            entries.append(obj)
        config = {**config, "layers": entries}
        config.setdefault("trainable", True)
        name = "Functional"
    build = None
    if name == "Functional":  # as Keras 3 writes it: its own module, registered by name, inputs from the graph
        build = {"input_shape": None}
    elif model.built and model.input_shape is not None:
        build = {"input_shape": keras_config._jsonable(model.input_shape)}
    obj = keras_config.keras_object(None, name, config, build)
    if name == "Functional":
        obj.update(module="keras.src.models.functional", registered_name="Functional")
    if include_compile:
        obj["compile_config"] = compile_to_keras(model)
    return obj


def _layer_to_keras(layer, drop_input_shape=True):
    """A layer's Keras object; a model used as a layer (it has its own layer list) is written as a model."""
    if isinstance(getattr(layer, "layers", None), list):
        return model_to_keras(layer, include_compile=False)
    return keras_config.layer_to_keras(layer, drop_input_shape)


def compile_to_keras(model):
    if not getattr(model, "compiled", False):
        return {}
    metrics = [_metric_to_keras(m) for m in model._metric_specs]
    return {"optimizer": keras_config.object_to_keras(model.optimizer),
            "loss": keras_config.object_to_keras(model.loss), "loss_weights": None, "metrics": metrics or None,
            "weighted_metrics": None, "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}


def _metric_to_keras(metric):
    """As Keras writes a compiled metric: a name as given, a function by name, a metric object by class."""
    if isinstance(metric, str):
        return metric
    if isinstance(metric, type):
        metric = metric()
    if registry.family_of(metric) == "metric":
        return keras_config.keras_object("metric", type(metric).__name__, {"name": metric.name, "dtype": "float32"})
    name = getattr(metric, "__name__", None)
    if callable(metric) and isinstance(name, str):
        return {"module": "keras.metrics", "class_name": "function", "config": name, "registered_name": name}
    raise Unsupported(f"cannot save metric {metric!r}: it is not a pyminidl metric")


# --- reading --------------------------------------------------------------------------------------------------
def model_from_keras(obj, custom_objects):
    """An uncompiled pyminidl model from a Keras model object ({class_name, config, ...})."""
    cls, cleaned, trainable = _model_parts(obj, custom_objects)
    if cls.__name__ == "Sequential":
        _check_sizes(cleaned["layers"], cleaned.get("build_input_shape"))
    model = cls.from_config(cleaned)
    if trainable is False:
        model.trainable = False
    return model


def _model_parts(obj, custom_objects):
    """(class, pyminidl config, trainable) of a Keras model object, every layer entry translated."""
    if not isinstance(obj, dict):
        raise ValueError(f"the model config is not an object: {obj!r:.120}")
    name = obj.get("class_name")
    classes = registry.model_classes()
    if name == "Model":
        name = "Functional"
    if name not in classes:
        raise Unsupported(f"the model is of class {name!r:.60}, which this pyminidl cannot build (it builds "
                          f"{', '.join(sorted(classes))})")
    config = obj.get("config")
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ValueError(f"the {name} config has no layer list")
    if len(config["layers"]) > MAX_LAYERS:
        raise ValueError(f"the config lists {len(config['layers'])} layers")
    keras_config._dtype(config.get("dtype"), f"model {config.get('name')!r:.60}")
    layers = [_layer_entry(entry, i, custom_objects) for i, entry in enumerate(config["layers"])]
    cleaned = {k: v for k, v in config.items() if k not in ("dtype", "trainable")}
    cleaned["layers"] = layers
    return classes[name], cleaned, config.get("trainable")


def _check_sizes(entries, build_input_shape):
    """Shape inference through a Sequential's layers before anything is allocated: an absurd size (units=10**9,
    a huge input shape) is refused here instead of reaching the allocator."""
    from pyminidl.layers import deserialize

    layers = [deserialize(entry) for entry in entries]
    shape = None
    if layers and getattr(layers[0], "_declared_input_shape", None) is not None:
        shape = layers[0]._declared_input_shape
    elif isinstance(build_input_shape, list) and len(build_input_shape) >= 2:
        shape = tuple(build_input_shape[1:])
    if shape is None:
        return
    for layer in layers:
        if type(layer).__name__ == "InputLayer":
            continue
        size = int(np.prod([int(s) for s in shape], dtype=object))
        if size > MAX_FEATURES:
            raise ValueError(f"layer {layer.name!r} gets {size} features per sample, more than pyminidl's limit "
                             f"of {MAX_FEATURES}: the file asks for an absurd size")
        layer._build(tuple(shape))
        shape = layer.output_shape[1:]
    size = int(np.prod([int(s) for s in shape], dtype=object))
    if size > MAX_FEATURES:
        raise ValueError(f"the model outputs {size} features per sample, more than pyminidl's limit of "
                         f"{MAX_FEATURES}: the file asks for an absurd size")


def _layer_entry(entry, index, custom_objects):
    if not isinstance(entry, dict):
        raise ValueError(f"layer entry {index} is not an object: {entry!r:.120}")
    cfg = entry.get("config") if isinstance(entry.get("config"), dict) else {}
    what = f"layer {entry.get('name') or cfg.get('name') or index!r:.60}"
    cls = resolve("layer", entry, custom_objects, what)
    if cls in registry.model_classes().values():  # a model used as a layer: its own layer list is translated
        model_cls, cleaned, trainable = _model_parts(entry, custom_objects)
        if trainable is not None:
            cleaned["trainable"] = trainable
        out = {"class_name": model_cls.__name__, "config": cleaned}
    else:
        out = {"class_name": cls.__name__, "config": clean_config(cls, entry.get("config"), custom_objects, what)}
    if "name" in entry:
        out["name"] = entry["name"]
    if "inbound_nodes" in entry:
        out["inbound_nodes"] = _nodes(entry["inbound_nodes"], what)
    return out


def _nodes(nodes, what):
    """Keras 2's [[[layer, node, tensor, kwargs], ...]] inbound nodes in Keras 3's {'args', 'kwargs'} form."""
    if not isinstance(nodes, list):
        raise ValueError(f"{what}: inbound_nodes must be a list, got {nodes!r:.120}")
    out = []
    for node in nodes:
        if isinstance(node, dict):
            out.append(node)
            continue
        if not isinstance(node, list):
            raise ValueError(f"{what}: bad inbound node {node!r:.120}")
        tensors = []
        for ref in node:
            if not (isinstance(ref, list) and len(ref) >= 3 and isinstance(ref[0], str)):
                raise ValueError(f"{what}: bad inbound tensor {ref!r:.120}")
            tensors.append({"class_name": "__keras_tensor__",
                            "config": {"shape": None, "dtype": "float32", "keras_history": list(ref[:3])}})
        out.append({"args": [tensors if len(tensors) > 1 else tensors[0]], "kwargs": {}})
    return out


def compile_model(model, compile_config, custom_objects):
    """model.compile(...) from a Keras 3 compile_config or a Keras 2 training_config."""
    if not isinstance(compile_config, dict):
        raise ValueError(f"compile_config must be an object, got {compile_config!r:.120}")
    if not compile_config:
        return False
    opt = compile_config.get("optimizer", compile_config.get("optimizer_config"))
    loss = compile_config.get("loss")
    for key in ("loss_weights", "weighted_metrics"):
        if compile_config.get(key) not in (None, [], {}):
            raise Unsupported(f"compile option {key}={compile_config[key]!r:.80} is not supported by pyminidl")
    model.compile(optimizer=_optimizer(opt, custom_objects), loss=_loss(loss, custom_objects),
                  metrics=_metrics(compile_config.get("metrics"), custom_objects))
    return True


def _optimizer(obj, custom_objects):
    if isinstance(obj, str):
        return optimizers.get(obj)
    cls = resolve("optimizer", obj, custom_objects, "the optimizer")
    config = clean_config(cls, obj.get("config"), custom_objects, f"optimizer {cls.__name__}")
    # The constructor checks each hyperparameter as the float32 the core stores (_check.number): a 1e39
    # learning rate is refused here as from the API.
    return cls.from_config(config)


def _loss(obj, custom_objects):
    if isinstance(obj, str) or obj is None:
        return losses.get(obj)
    if isinstance(obj, (list, dict)) and not (isinstance(obj, dict) and "class_name" in obj):
        raise Unsupported(f"one loss per output is not supported by pyminidl, got {obj!r:.80}")
    if obj.get("class_name") == "function":
        return losses.get(obj.get("config"))
    cls = resolve("loss", obj, custom_objects, "the loss")
    return cls.from_config(clean_config(cls, obj.get("config"), custom_objects, f"loss {cls.__name__}"))


def _metrics(value, custom_objects):
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"compile metrics must be a list, got {value!r:.120}")
    if len(value) == 1 and isinstance(value[0], list):  # Keras 2: one list per output
        value = value[0]
    out = []
    for m in value:
        if isinstance(m, str):
            out.append(m)
        elif isinstance(m, dict) and m.get("class_name") == "function":
            out.append(m.get("config"))
        elif isinstance(m, dict):
            known = registry.classes("metric")
            name = (m.get("config") or {}).get("name") if isinstance(m.get("config"), dict) else None
            if m.get("class_name") in known and "class_name" in m:
                out.append(known[m["class_name"]](name=name))
            elif isinstance(name, str):  # Keras 2's MeanMetricWrapper('accuracy', fn=...): by its name
                out.append(name)
            else:
                raise Unsupported(f"metric {m!r:.80} is not supported by pyminidl")
        else:
            raise ValueError(f"bad metric entry {m!r:.80}")
    return out
