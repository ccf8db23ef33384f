"""Keras 3's HDF5 weights layout: `model.weights.h5` inside a `.keras` zip, and `save_weights('x.weights.h5')`.

    layers/<group>/vars   @name=<layer name>   datasets 0, 1, ...: the layer's weights in `layer.weights` order
    optimizer/vars        @name=<optimizer>    0 iteration (int64), 1 learning_rate, then the slot variables
    vars                  @name=<model name>   (empty)

A layer's group is named after its class, not its name (snake_case plus a counter in model order: dense,
dense_1, ...), as Keras' saving_lib does, so the file does not depend on automatic layer names. A layer that holds
layers (a nested model) gets `layers/<group>/layers/...` below its group.
"""

import numpy as np

from pyminidl.backend import snake_case
from pyminidl.saving import optimizer_state
from pyminidl.saving.safety import expect, read_dataset


def layer_groups(layers, prefix="layers"):
    """[(group path, layer)] for a list of layers, nested models included, in Keras' naming."""
    used, out = {}, []
    for layer in layers:
        name = snake_case(type(layer).__name__)
        if name in used:
            used[name] += 1
            name = f"{name}_{used[name]}"
        else:
            used[name] = 0
        path = f"{prefix}/{name}"
        out.append((path, layer))
        inner = getattr(layer, "layers", None)
        if isinstance(inner, list) and inner:
            out += layer_groups(inner, f"{path}/layers")
    return out


def _own_weights(layer):
    """The weights a layer holds itself (a nested model holds none of its own: its layers do)."""
    inner = getattr(layer, "layers", None)
    return [] if isinstance(inner, list) and inner else list(layer.weights)


def write(f, model, include_optimizer=True):
    """Fill an open h5py.File with the model's weights (and optimizer state)."""
    for path, layer in layer_groups(model.layers):
        group = f.create_group(f"{path}/vars")
        group.attrs["name"] = layer.name
        for i, var in enumerate(_own_weights(layer)):
            group.create_dataset(str(i), data=np.asarray(var.value, dtype=np.float32))
    if include_optimizer and getattr(model, "compiled", False) and model._net is not None:
        group = f.create_group("optimizer/vars")
        group.attrs["name"] = model.optimizer.name
        group.create_dataset("0", data=np.int64(model._net.iterations))
        group.create_dataset("1", data=np.float32(model._net.current_learning_rate()))
        for i, (_name, value) in enumerate(optimizer_state.keras_variables(model), start=2):
            group.create_dataset(str(i), data=value if np.ndim(value) == 0 else np.asarray(value, np.float32))
    f.create_group("vars").attrs["name"] = model.name


def read_layers(f, model, path, remaining):
    """The file's weights for every layer of the model, checked against the model's shapes (not yet assigned)."""
    import h5py

    values, used = [], set()
    for group_path, layer in layer_groups(model.layers):
        used.add(f"{group_path}/vars")
        weights = _own_weights(layer)
        group = f.get(f"{group_path}/vars")
        if group is None:
            expect(not weights, path, f"it has no weights for layer {layer.name!r} ({group_path}); the model "
                   "does not match the file")
            continue
        expect(isinstance(group, h5py.Group), path, f"{group_path}/vars is not a group")
        names = sorted(group.keys())
        expect(names == sorted(str(i) for i in range(len(weights))), path,
               f"layer {layer.name!r} ({type(layer).__name__}) expects {len(weights)} variables, but the file "
               f"holds {len(names)} ({', '.join(names[:8])}) under {group_path}")
        for i, var in enumerate(weights):
            a = read_dataset(group[str(i)], path, f"{group_path}/vars/{i}", var.shape, remaining=remaining)
            values.append((var, a))
    extra = sorted(set(_groups_with_weights(f.get("layers"), "layers")) - used)
    expect(not extra, path, f"it holds weights for {', '.join(extra[:4])}, which the model {model.name!r} does not "
           "have: the architectures differ")
    return values


def _groups_with_weights(group, prefix):
    """Paths of the '<...>/vars' groups below `group` that hold datasets (depth-first, names as in the file)."""
    import h5py

    if not isinstance(group, h5py.Group):
        return []
    out = []
    for name, child in group.items():
        if not isinstance(child, h5py.Group):
            continue
        vars_group = child.get("vars")
        if isinstance(vars_group, h5py.Group) and len(vars_group):
            out.append(f"{prefix}/{name}/vars")
        out += _groups_with_weights(child.get("layers"), f"{prefix}/{name}/layers")
    return out


def read_optimizer(f, model, path, remaining):
    """(iterations, learning rate, slot arrays) from optimizer/vars, or None when the file has none."""
    import h5py

    group = f.get("optimizer/vars")
    if group is None:
        return None
    expect(isinstance(group, h5py.Group), path, "optimizer/vars is not a group")
    shapes = optimizer_state.expected_shapes(model)
    names = sorted(group.keys(), key=lambda n: (len(n), n))
    expect(names == [str(i) for i in range(len(shapes) + 2)], path,
           f"the optimizer state holds {len(names)} variables, but {type(model.optimizer).__name__} with "
           f"these settings keeps {len(shapes) + 2} for this model")
    iterations = read_dataset(group["0"], path, "optimizer/vars/0 (iteration)", kind="int")
    lr = read_dataset(group["1"], path, "optimizer/vars/1 (learning_rate)", (), remaining=remaining)
    expect(np.isfinite(lr) and lr >= 0, path, f"the learning rate {float(lr)!r} is not a finite number >= 0")
    arrays = [read_dataset(group[str(i + 2)], path, f"optimizer/vars/{i + 2}", shape, remaining=remaining)
              for i, shape in enumerate(shapes)]
    return iterations, float(lr), arrays
