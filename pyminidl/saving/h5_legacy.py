"""Legacy Keras 2 HDF5 files (`model.save('m.h5')`, `save_weights('w.h5')`), as tf.keras 2.x wrote them:

    @model_config, @training_config (JSON), @backend, @keras_version
    model_weights/          @layer_names = [layer names]       (a save_weights file has this at its root)
      <layer>/              @weight_names = ['<layer>/kernel:0', '<layer>/bias:0']
        <layer>/kernel:0    the arrays, found through weight_names
    optimizer_weights/      @weight_names = ['iteration:0', 'Adam/m/dense/kernel:0', ...]

Weights are matched to the model's layers in order (layers without weights skipped), as Keras 2 does.
"""

import json
import re
import warnings

import numpy as np

from pyminidl.backend import snake_case
from pyminidl.saving import keras_config, model_config, optimizer_state
from pyminidl.saving.safety import MAX_JSON_BYTES, expect, file_budget, read_dataset

KERAS2_VERSION = "2.15.0"  # tf.keras 2.x's layout; the last Keras 2 that TensorFlow shipped as tf.keras
# Activations whose name Keras 2 computes differently: hard_sigmoid is clip(0.2x + 0.5, 0, 1) there.
_KERAS2_DIFFERENT = {"hard_sigmoid"}


# --- writing --------------------------------------------------------------------------------------------------
def _keras2_value(value):
    if isinstance(value, dict):
        if set(value) == {"module", "class_name", "config", "registered_name"}:
            if value["class_name"] == "DTypePolicy":
                return "float32"
            return {"class_name": value["class_name"], "config": _keras2_value(value["config"])}
        return {k: _keras2_value(v) for k, v in value.items() if k != "build_config"}
    if isinstance(value, list):
        return [_keras2_value(v) for v in value]
    return value


def model_config_k2(model):
    obj = model_config.model_to_keras(model, include_compile=False)
    config = _keras2_value(obj["config"])
    for entry in config["layers"]:
        for key in ("module", "registered_name"):
            entry.pop(key, None)
        if "inbound_nodes" in entry:
            entry["inbound_nodes"] = _keras2_nodes(entry["inbound_nodes"])
        cfg = entry["config"]
        if entry["class_name"] == "InputLayer":
            cfg["batch_input_shape"] = cfg.pop("batch_shape")
            cfg.pop("optional", None)
        if cfg.get("activation") in _KERAS2_DIFFERENT:
            warnings.warn(f"layer {cfg.get('name')!r}: activation {cfg['activation']!r} has another formula in "
                          "Keras 2; tf.keras 2.x will not reproduce this model's outputs from this file. Save a "
                          "'.keras' file for Keras 3 instead.", UserWarning, stacklevel=4)
    for key in ("input_layers", "output_layers"):  # Keras 2: always a list of [layer, node, tensor]
        refs = config.get(key)
        if isinstance(refs, list) and refs and isinstance(refs[0], str):
            config[key] = [refs]
    return {"class_name": obj["class_name"] if obj["class_name"] == "Sequential" else "Functional",
            "config": config}


def _keras2_nodes(nodes):
    """Keras 3's [{'args': [tensor or [tensors]], 'kwargs'}] inbound nodes as Keras 2's
    [[[layer, node, tensor, kwargs], ...]], the form tf.keras 2.x reads."""
    out = []
    for node in nodes:
        if not isinstance(node, dict):
            out.append(node)
            continue
        args = node.get("args") or [[]]
        tensors = args[0] if isinstance(args[0], list) else [args[0]]
        out.append([list(t["config"]["keras_history"]) + [node.get("kwargs") or {}] for t in tensors])
    return out


def _keras2_optimizer(obj):
    """tf_keras names its TF 2.11+ optimizers 'Custom>Adam' (plain 'Adam' would select its legacy optimizer) and
    names the instance after the class ('RMSprop'): Keras 3, reading such a file, finds the optimizer by that name."""
    obj = _keras2_value(obj)
    config = {**obj["config"], "is_legacy_optimizer": False}
    if re.fullmatch(f"{snake_case(obj['class_name'])}(_[0-9]+)?", str(config.get("name"))):  # not the user's
        config["name"] = obj["class_name"]
    return {"class_name": f"Custom>{obj['class_name']}", "config": config}


def save_model(model, path, include_optimizer=True):
    import h5py

    with h5py.File(path, "w") as f:
        f.attrs["backend"] = "tensorflow"
        f.attrs["keras_version"] = KERAS2_VERSION
        f.attrs["model_config"] = json.dumps(model_config_k2(model))
        if getattr(model, "compiled", False):
            compile_config = model_config.compile_to_keras(model)
            training = {"loss": _keras2_value(compile_config["loss"]),
                        "metrics": [_keras2_value(m) for m in compile_config["metrics"] or []] or None, "weighted_metrics": None, "loss_weights": None,
                        "optimizer_config": _keras2_optimizer(compile_config["optimizer"])}
            f.attrs["training_config"] = json.dumps(training)
        write_weights(f.create_group("model_weights"), model)
        if include_optimizer and getattr(model, "compiled", False) and model._net is not None:
            _write_optimizer(f.create_group("optimizer_weights"), model)


def write_weights(group, model):
    group.attrs["backend"] = "tensorflow"
    group.attrs["keras_version"] = KERAS2_VERSION
    names = []
    for layer in model.layers:
        names.append(layer.name)
        g = group.create_group(layer.name)
        weight_names = [f"{layer.name}/{w.name.rsplit('/', 1)[-1]}" for w in layer.weights]
        weight_names = [n if n.endswith(":0") else n + ":0" for n in weight_names]
        g.attrs["weight_names"] = [n.encode() for n in weight_names]
        for name, var in zip(weight_names, layer.weights):
            g.create_dataset(name, data=np.asarray(var.value, dtype=np.float32))
    group.attrs["layer_names"] = [n.encode() for n in names]


def _write_optimizer(group, model):
    """tf_keras 2.11+'s optimizer layout: iteration, then the slots in the optimizer's creation order."""
    opt = model.optimizer
    prefix = type(opt).__name__
    names, values = ["iteration:0"], [np.int64(model._net.iterations)]
    by_path = {id(var): var for var in model.weights}
    slots = model._net.slots()
    for block in optimizer_state.layout(opt):
        for var, offset, shape in optimizer_state.variable_offsets(model):
            for slot, _k3, k2 in block:
                names.append(f"{prefix}/{k2}/{var.name}")
                values.append(slots[slot][offset:offset + int(np.prod(shape))].reshape(shape).copy())
    del by_path
    group.attrs["weight_names"] = [n.encode() for n in names]
    for name, value in zip(names, values):
        group.create_dataset(name, data=value)


# --- reading --------------------------------------------------------------------------------------------------
def _attr_json(f, key, path):
    import h5py

    if key not in f.attrs:
        return None
    # its size from the header first: a damaged header can claim gigabytes that HDF5 would then read
    size = h5py.h5a.open(f.id, key.encode()).get_storage_size()
    expect(size <= MAX_JSON_BYTES, path, f"attribute {key} claims {size} bytes, more than a model config has")
    raw = f.attrs.get(key)
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    expect(isinstance(raw, str) and len(raw) <= MAX_JSON_BYTES, path, f"attribute {key} is not a JSON text")
    return json.loads(raw)


def _names(group, key, path):
    raw = group.attrs.get(key)
    expect(raw is not None, path, f"{group.name} has no {key} attribute, so it is not a Keras HDF5 file")
    names = [n.decode("utf-8") if isinstance(n, bytes) else n for n in np.asarray(raw).reshape(-1).tolist()]
    expect(all(isinstance(n, str) for n in names), path, f"{group.name} attribute {key} is not a list of names")
    expect(len(set(names)) == len(names), path, f"{group.name} attribute {key} names an entry twice")
    return names


def read_weights(group, model, path, remaining):
    """[(variable, array)] for the model from a Keras 2 weights group, matched layer by layer in order."""
    import h5py

    expect(isinstance(group, h5py.Group), path, "model_weights is not a group")
    file_layers = []
    for name in _names(group, "layer_names", path):
        g = group.get(name)
        expect(isinstance(g, h5py.Group), path, f"layer group {name!r:.80} is missing")
        weight_names = _names(g, "weight_names", path)
        if weight_names:
            file_layers.append((name, g, weight_names))
    layers = [layer for layer in model.layers if layer.weights]
    expect(len(file_layers) == len(layers), path, f"the file holds weights for {len(file_layers)} layers, but the "
           f"model has {len(layers)} layers with weights")
    values = []
    for layer, (name, g, weight_names) in zip(layers, file_layers):
        expect(len(weight_names) == len(layer.weights), path, f"layer {name!r} holds {len(weight_names)} weights in "
               f"the file, but the model's layer {layer.name!r} has {len(layer.weights)}")
        for var, wname in zip(layer.weights, weight_names):
            ds = g.get(wname)
            values.append((var, read_dataset(ds, path, f"{name}/{wname}", var.shape, remaining=remaining)))
    return values


def load_model(path, custom_objects, compile, set_weights, restore_optimizer):
    import h5py

    expect(h5py.is_hdf5(path), path, "it is not an HDF5 file, so not a Keras '.h5' file")
    with h5py.File(path, "r") as f:
        config = _attr_json(f, "model_config", path)
        expect(config is not None, path, "it has no model_config: it holds only weights (saved with "
               "save_weights); build the model in code and call model.load_weights(...)")
        version = f.attrs.get("keras_version", b"")
        version = version.decode() if isinstance(version, bytes) else str(version)
        if version.startswith("2.") and '"hard_sigmoid"' in json.dumps(config):
            warnings.warn(f"{path} was written by Keras {version}, whose hard_sigmoid is clip(0.2x + 0.5, 0, 1); "
                          "pyminidl computes Keras 3's relu6(x + 3) / 6, so outputs differ", UserWarning,
                          stacklevel=4)
        model = model_config.model_from_keras(config, custom_objects)
        remaining = [file_budget(path)]
        set_weights(model, read_weights(f.get("model_weights"), model, path, remaining))
        training = _attr_json(f, "training_config", path)
        if compile and training:
            model_config.compile_model(model, training, custom_objects)
            group = f.get("optimizer_weights")
            if group is not None and model.built:
                state = _read_optimizer(group, model, path, remaining)
                if state is not None:
                    restore_optimizer(model, state, path)
    return model


def _read_optimizer(group, model, path, remaining):
    """(iterations, learning rate or None, Keras-3-ordered slot arrays) from the optimizer_weights of tf_keras
    2.11+ ('iteration:0', 'Adam/m/dense/kernel:0', ...) or of Keras 3 ('adam/iteration', 'adam/learning_rate',
    then optimizer.variables); None, with a warning, for the optimizers of TF <= 2.10, whose state differs."""
    names = _names(group, "weight_names", path)
    keras3 = len(names) >= 2 and names[0].endswith("/iteration") and names[1].endswith("/learning_rate")
    if not keras3 and (not names or names[0] != "iteration:0"):
        warnings.warn(f"{path}: the optimizer state was written by an older Keras optimizer ({names[:1]}); it is not "
                      "restored, training resumes with a fresh optimizer state", UserWarning, stacklevel=4)
        return None
    opt = model.optimizer
    shapes = optimizer_state.expected_shapes(model)
    nadam_k2 = type(opt).__name__ == "Nadam" and not keras3
    if nadam_k2:  # tf_keras keeps no running product: it is rebuilt from the step count
        shapes = shapes[:-1]
    head = 2 if keras3 else 1
    expect(len(names) == len(shapes) + head, path, f"the optimizer state holds {len(names)} variables, but "
           f"{type(opt).__name__} with these settings keeps {len(shapes) + head} for this model")
    iterations = read_dataset(group.get(names[0]), path, "optimizer iteration", kind="int")
    expect(0 <= iterations < 2**53, path, f"the optimizer's iteration count {iterations!r:.40} is not a count of "
           "training steps")
    lr = None
    if keras3:
        lr = float(read_dataset(group.get(names[1]), path, "optimizer learning_rate", (), remaining=remaining))
        expect(np.isfinite(lr) and lr >= 0, path, f"the learning rate {lr!r} is not a finite number >= 0")
    arrays = [read_dataset(group.get(n), path, f"optimizer variable {n}", s, remaining=remaining)
              for n, s in zip(names[head:], shapes)]
    if nadam_k2:
        arrays.append(np.float64(_nadam_product(opt.beta_1, iterations)))
    return iterations, lr, arrays


def _nadam_product(beta_1, iterations):
    """Keras' running product of Nadam's momentum schedule after `iterations` steps (it underflows to 0)."""
    product = 1.0
    for t in range(1, iterations + 1):
        product *= beta_1 * (1.0 - 0.5 * 0.96 ** t)
        if product < 1e-300:  # the smallest subnormal times 0.9 rounds back to itself: it never reaches 0
            return 0.0
    return product


__all__ = ["save_model", "write_weights", "read_weights", "load_model", "keras_config"]
