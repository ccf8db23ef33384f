"""Saving and loading models and weights in pyminidl's own file format.

`model.save('m.keras')` / `models.load_model('m.keras')` and `model.save_weights('w.weights.h5')` /
`model.load_weights(...)` use Keras' file names, but the contents are pyminidl's own format (not Keras' and
not HDF5): a zip archive holding

    metadata.json  {"format": "pyminidl", "format_version": 1, "kind": "model" | "weights", ...}
    config.json    model files only: {"class_name": "Sequential", "config": ..., "compile_config": ...}
    arrays.json    {"dtype": "<f4", "arrays": [{"name", "shape", "offset"}, ...], "input_shape", "optimizer"}
    arrays.bin     the arrays' bytes, little-endian float32, stored uncompressed

Opening a file is safe: nothing is unpickled or executed, every size is checked against the bytes actually
present (so zip bombs and truncated files are refused), and any bad, foreign or damaged file raises ValueError
naming the file. Saving writes a temporary file next to the target and renames it over the target, so an
interrupted save never destroys the previous good file.
"""

import contextlib
import datetime
import json
import math
import os
import zipfile

import numpy as np

from pyminidl import _atomic, _check, _core, layers as layers_module, losses, optimizers

FORMAT = "pyminidl"
FORMAT_VERSION = 1
MODEL_SUFFIX = ".keras"
WEIGHTS_SUFFIX = ".weights.h5"
_MAX_JSON_BYTES = 16 << 20  # config and manifest; a real one is a few kB
_MAX_ARRAYS = 100_000
_MAX_NDIM = 8
_MODEL_CLASSES = ("Sequential", "Functional", "Model")


class _BadFile(ValueError):
    """A file that is not a readable pyminidl file; the message names it."""


# --- public entry points (Sequential.save / save_weights / load_weights and models.load_model call these) ---
def save_model(model, filepath, overwrite=True):
    """Write architecture, weights, compile config and optimizer state to a '.keras' file."""
    path = check_filepath(filepath, "model.save")
    compile_config = None
    if model.compiled:
        compile_config = {"optimizer": optimizers.serialize(model.optimizer), "loss": losses.serialize(model.loss),
                          "metrics": [_metric_name(m) for m in model._metric_specs]}
    config = {"class_name": type(model).__name__, "config": model.get_config(), "compile_config": compile_config}
    arrays = _layer_arrays(model)
    optimizer_state = None
    net = model._net
    if net is not None and model.compiled:
        slots = net.slots()
        arrays += [(f"optimizer/slots/{s}", slot) for s, slot in enumerate(slots)]
        # The rule's own scalars (Nadam's u_product) by name; "nadam_u_product" too, for readers before them.
        optimizer_state = {"iterations": int(net.iterations), "slots": len(slots), "slot_names": net.slot_names(),
                           "scalars": dict(net.optimizer_scalars), "nadam_u_product": float(net.nadam_u_product)}
    _write(path, "model", config, arrays, getattr(model, "_input_shape", None), optimizer_state, overwrite)


def save_weights(model, filepath, overwrite=True):
    """Write the layer weights (only) to a '.weights.h5' file (pyminidl's format, not HDF5)."""
    path = check_filepath(filepath, "save_weights")
    if not model.built:
        raise ValueError(f"Model {model.name!r} has no weights yet: build it (or fit it) before save_weights")
    _write(path, "weights", None, _layer_arrays(model), getattr(model, "_input_shape", None), None, overwrite)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """A model written by `model.save('name.keras')`, compiled and with its optimizer state when it had them."""
    path = check_filepath(filepath, "load_model")
    if custom_objects:
        raise ValueError(f"custom_objects is not supported by pyminidl (its files hold only built-in layers, "
                         f"losses and optimizers), got {custom_objects!r}")
    compile = _bool_arg("compile", compile)
    with _guard(path):
        meta, config, arrays, manifest = _read(path)
        _expect(meta["kind"] == "model", path, "it holds only weights (saved with save_weights): create the "
                "model and call model.load_weights(...) instead")
        _expect(isinstance(config, dict) and config.get("class_name") in _MODEL_CLASSES
                and isinstance(config.get("config"), dict), path, "config.json does not describe a model")
        model_config = config["config"]
        if config["class_name"] == "Sequential":
            layer_arrays = _check_architecture(model_config, arrays, path)
        else:  # functional: the config's shapes are inferred symbolically, the weights then checked one by one
            layer_arrays = [a for name, a in arrays.items() if name.startswith("layers/")]
        # Model classes are found through the layer registry (a model is a layer): no import of models here.
        model = layers_module.deserialize({"class_name": config["class_name"], "config": model_config})
        if layer_arrays:
            _expect(model.built, path, "the file holds weights, but its config gives no input shape")
            variables = model.weights
            _expect(len(variables) == len(layer_arrays), path, f"the config needs {len(variables)} weight arrays, "
                    f"but the file holds {len(layer_arrays)}")
            for var, a in zip(variables, layer_arrays):
                _expect(tuple(var.shape) == a.shape, path, f"an array has shape {a.shape}, but the config's weight "
                        f"{var.path!r} has shape {tuple(var.shape)}")
            model.set_weights(layer_arrays)
        compile_config = config.get("compile_config")
        if compile and compile_config is not None:
            _compile(model, compile_config, path)
            if model.built:
                _restore_optimizer(model, arrays, manifest.get("optimizer"), path)
    return model


def load_weights(model, filepath):
    """Set the model's layer weights from a '.weights.h5' or '.keras' file, in layer order."""
    path = check_filepath(filepath, "load_weights")
    with _guard(path):
        _meta, _config, arrays, manifest = _read(path)
        saved = [(name, a) for name, a in arrays.items() if name.startswith("layers/")]
        if not model.built and manifest.get("input_shape") is not None:
            shape = _shape(manifest["input_shape"], "input_shape", path)
            expected = _weight_shapes(model.layers, shape)  # checked before building allocates anything
            _expect([a.shape for _, a in saved] == expected, path, f"its weight shapes "
                    f"{[a.shape for _, a in saved]} do not fit model {model.name!r} ({expected})")
            model.build((None,) + shape)
        _expect(model.built, path, f"model {model.name!r} is not built and the file gives no input shape")
        variables = model.weights
        _expect(len(saved) == len(variables), path, f"it holds {len(saved)} weight arrays, but model "
                f"{model.name!r} has {len(variables)} weights")
        for var, (name, a) in zip(variables, saved):
            _expect(tuple(var.shape) == a.shape, path, f"array {name!r} has shape {a.shape}, but the model's "
                    f"weight {var.path!r} has shape {tuple(var.shape)}")
        model.set_weights([a for _, a in saved])


# --- writing ------------------------------------------------------------------------------------------
def _layer_arrays(model):
    """Named by position and layer name; a nested model's weights numbered under its entry (names are unique)."""
    out = []
    for i, layer in enumerate(model.layers):
        nested = hasattr(layer, "layers")
        for k, var in enumerate(layer.weights):
            short = var.path.rsplit("/", 1)[-1]
            out.append((f"layers/{i}/{layer.name}/{f'{k}/' if nested else ''}{short}", var.value))
    return out


def _write(path, kind, config, arrays, input_shape, optimizer_state, overwrite):
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path} exists and overwrite=False")
    entries, offset, chunks = [], 0, []
    for name, a in arrays:
        data = np.ascontiguousarray(a, dtype="<f4").tobytes()
        entries.append({"name": name, "shape": list(np.shape(a)), "offset": offset})
        chunks.append(data)
        offset += len(data)
    metadata = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": kind,
                "pyminidl_version": _core.__version__,  # pyminidl.__version__'s source: importing pyminidl is a cycle
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    manifest = {"dtype": "<f4", "arrays": entries, "optimizer": optimizer_state,
                "input_shape": None if input_shape is None else list(input_shape)}
    with _atomic.replacing(path) as f:  # keeps the replaced file's mode; cleans stale temporaries
        with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("metadata.json", json.dumps(metadata, indent=1))
            if config is not None:
                zf.writestr("config.json", json.dumps(config, indent=1))
            zf.writestr("arrays.json", json.dumps(manifest, indent=1))
            zf.writestr("arrays.bin", b"".join(chunks), compress_type=zipfile.ZIP_STORED)


# --- reading ------------------------------------------------------------------------------------------
@contextlib.contextmanager
def _guard(path):
    """Whatever goes wrong while reading or rebuilding from a damaged file surfaces as one ValueError."""
    try:
        yield
    except _BadFile:
        raise
    except Exception as e:  # zipfile, zlib, json and the constructors raise many types
        raise _BadFile(f"Cannot load {path}: the file is damaged or not a pyminidl file "
                       f"({type(e).__name__}: {e})") from e


def _expect(condition, path, reason):
    if not condition:
        raise _BadFile(f"Cannot load {path}: {reason}")


def _read(path):
    """(metadata, config or None, {name: array}, manifest) from a file, every part checked."""
    if not os.path.isfile(path):
        raise _BadFile(f"File not found: filepath={path}. Please ensure the file is an accessible "
                       f"'{MODEL_SUFFIX}' or '{WEIGHTS_SUFFIX}' file written by pyminidl.")
    disk_size = os.path.getsize(path)
    _expect(zipfile.is_zipfile(path), path, "it is not a zip archive, so not a pyminidl file")
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        members = {info.filename: info for info in infos}
        if len(members) != len(infos):  # zipfile would read the last one; another reader may take the first
            names = [info.filename for info in infos]
            _expect(False, path, "it holds duplicate members: " +
                    ", ".join(sorted({n for n in names if names.count(n) > 1})))
        meta = _read_json(zf, members, "metadata.json", path)
        _check_metadata(meta, path)
        config = _read_json(zf, members, "config.json", path) if meta["kind"] == "model" else None
        manifest = _read_json(zf, members, "arrays.json", path)
        _expect(isinstance(manifest, dict) and manifest.get("dtype") == "<f4", path,
                "arrays.json is not a float32 array manifest")
        info = members.get("arrays.bin")
        _expect(info is not None, path, "arrays.bin is missing")
        _expect(info.compress_type == zipfile.ZIP_STORED and info.file_size == info.compress_size <= disk_size,
                path, "arrays.bin must be stored uncompressed and lie inside the file")
        with zf.open(info) as f:
            blob = f.read(info.file_size + 1)  # reading to the end also checks the CRC
        _expect(len(blob) == info.file_size, path, "arrays.bin is truncated")
    return meta, config, _arrays(manifest, blob, path), manifest


def _read_json(zf, members, name, path):
    info = members.get(name)
    _expect(info is not None, path, f"{name} is missing, so it is not a pyminidl file")
    _expect(info.file_size <= _MAX_JSON_BYTES, path, f"{name} claims {info.file_size} bytes, more than a "
            "pyminidl file ever holds")
    with zf.open(info) as f:
        data = f.read(_MAX_JSON_BYTES + 1)
    _expect(len(data) <= _MAX_JSON_BYTES, path, f"{name} is larger than {_MAX_JSON_BYTES} bytes")
    return json.loads(data.decode("utf-8"))


def _check_metadata(meta, path):
    _expect(isinstance(meta, dict) and meta.get("format") == FORMAT, path,
            "metadata.json does not say it is a pyminidl file")
    version = meta.get("format_version")
    _expect(isinstance(version, int) and not isinstance(version, bool), path,
            f"format_version must be an integer, got {version!r}")
    _expect(version <= FORMAT_VERSION, path, f"it was written by a newer pyminidl (format version {version}); "
            f"this pyminidl reads format version {FORMAT_VERSION}: upgrade pyminidl")
    _expect(version == FORMAT_VERSION, path, f"unsupported format version {version}")
    _expect(meta.get("kind") in ("model", "weights"), path, f"unknown kind {meta.get('kind')!r}")


def _arrays(manifest, blob, path):
    entries = manifest.get("arrays")
    _expect(isinstance(entries, list) and len(entries) <= _MAX_ARRAYS, path, "arrays.json has no array list")
    out = {}
    for entry in entries:
        _expect(isinstance(entry, dict), path, f"arrays.json entry {entry!r:.80} is not an object")
        name, offset = entry.get("name"), entry.get("offset")
        _expect(isinstance(name, str) and name not in out, path, f"bad or repeated array name {name!r:.80}")
        shape = _shape(entry.get("shape"), f"shape of {name}", path, allow_zero=True)
        _expect(_is_int(offset) and offset >= 0, path, f"array {name!r} has a bad offset {offset!r:.80}")
        count = math.prod(shape)
        _expect(offset + 4 * count <= len(blob), path, f"array {name!r} of shape {shape} at byte {offset} "
                f"runs past the end of arrays.bin ({len(blob)} bytes)")
        data = np.frombuffer(blob, dtype="<f4", count=count, offset=offset) if count else np.zeros(0, "<f4")
        out[name] = data.reshape(shape)
    return out


def _shape(value, what, path, allow_zero=False):
    _expect(isinstance(value, list) and len(value) <= _MAX_NDIM
            and all(_is_int(s) and (s > 0 or (allow_zero and s == 0)) for s in value), path,
            f"{what} must be a list of at most {_MAX_NDIM} non-negative integers, got {value!r:.80}")
    return tuple(value)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


# --- rebuilding ---------------------------------------------------------------------------------------
def _check_architecture(model_config, arrays, path):
    """The layer arrays in file order, after checking they fit the config: nothing big is built before that."""
    configs = model_config.get("layers")
    _expect(isinstance(configs, list) and configs, path, "the model config has no layers")
    layer_objs = [layers_module.deserialize(c) for c in configs]
    shape = layer_objs[0]._declared_input_shape
    build = model_config.get("build_input_shape")
    if shape is None and build is not None:
        _expect(isinstance(build, list) and len(build) >= 2 and build[0] is None, path,
                f"build_input_shape must look like [null, 4], got {build!r:.80}")
        shape = _shape(build[1:], "build_input_shape", path)
    saved = [(name, a) for name, a in arrays.items() if name.startswith("layers/")]
    expected = [] if shape is None else _weight_shapes(layer_objs, shape)
    _expect(len(saved) == len(expected), path, f"the config needs {len(expected)} weight arrays, but the file "
            f"holds {len(saved)}")
    for want, (name, a) in zip(expected, saved):
        _expect(a.shape == want, path, f"array {name!r} has shape {a.shape}, but the config needs {want}")
    return [a for _, a in saved]


def _weight_shapes(layer_list, feature_shape):
    """The weight shapes a stack of layers gets for inputs of feature_shape (shape inference only)."""
    shapes, shape = [], tuple(feature_shape)
    for layer in layer_list:
        layer._build(shape)
        if isinstance(layer, layers_module.Dense):
            shapes.append((shape[-1], layer.units))
            if layer.use_bias:
                shapes.append((layer.units,))
        elif hasattr(layer, "layers"):  # a nested model: built (from its own config) when deserialized
            shapes += [tuple(w.shape) for w in layer.weights]
        elif layer._weight_names():  # the shapes its initializers give (Conv2D, BatchNormalization, ...)
            shapes.extend(tuple(np.shape(w)) for w in layer._initial_weights())
        shape = layer.output_shape[1:]
    return shapes


def _compile(model, compile_config, path):
    _expect(isinstance(compile_config, dict), path, "compile_config is not an object")
    metrics = compile_config.get("metrics") or []
    _expect(isinstance(metrics, list) and all(isinstance(m, str) for m in metrics), path,
            f"compile_config metrics must be a list of names, got {metrics!r:.80}")
    model.compile(optimizer=optimizers.deserialize(compile_config.get("optimizer")),
                  loss=losses.deserialize(compile_config.get("loss")), metrics=metrics)


def _restore_optimizer(model, arrays, state, path):
    if state is None:
        return
    net = model._net
    _expect(isinstance(state, dict), path, "the optimizer state is not an object")
    iterations, count = state.get("iterations"), state.get("slots")
    names = set(net.optimizer_scalars)
    scalars = state.get("scalars")
    if scalars is None:  # written before the rules named their scalars: Nadam's was its only one
        scalars = {name: state.get("nadam_u_product") for name in names}
    _expect(isinstance(scalars, dict) and set(scalars) == names, path,
            f"the optimizer scalars must be numbers named {sorted(names)}, got {scalars!r:.80}")
    # The values the core will compute with: an iteration count near 2**63 overflowed after one epoch, a NaN
    # Nadam product made every weight NaN (the same checks as a user's assignment; the core checks each
    # scalar against its rule's range when it is set below).
    try:
        _check.state_count("optimizer iterations", iterations)
        if "nadam_u_product" in state:  # also written for readers before named scalars: must be sound too
            _check.state_number("nadam_u_product", state["nadam_u_product"], 0.0, 1.0)
        scalars = {name: _check.state_number(f"optimizer scalar {name}", v) for name, v in scalars.items()}
    except (TypeError, ValueError) as e:
        raise _BadFile(f"Cannot load {path}: {e}") from None
    slots = net.slots()
    _expect(count == len(slots), path, f"the optimizer state has {count!r:.20} slots, but "
            f"{type(model.optimizer).__name__} uses {len(slots)}")
    for s, view in enumerate(slots):
        a = arrays.get(f"optimizer/slots/{s}")
        _expect(a is not None and a.shape == view.shape, path, f"optimizer slot {s} is missing or has the wrong "
                f"shape (need {view.shape})")
    try:  # the core checks every scalar against its rule's range before it changes any
        net.optimizer_scalars = scalars
    except ValueError as e:
        raise _BadFile(f"Cannot load {path}: {e}") from None
    for s, view in enumerate(slots):
        view[...] = arrays[f"optimizer/slots/{s}"]
    net.iterations = iterations


# --- arguments ----------------------------------------------------------------------------------------
# The one place that decides which file names each entry point takes (save, load_model, save_weights,
# load_weights, ModelCheckpoint): (accepted suffixes, the suffix to suggest instead).
_NAMES = {
    "model.save": ((MODEL_SUFFIX,), MODEL_SUFFIX),
    "load_model": ((MODEL_SUFFIX,), MODEL_SUFFIX),
    "save_weights": ((WEIGHTS_SUFFIX,), WEIGHTS_SUFFIX),
    "load_weights": ((WEIGHTS_SUFFIX, MODEL_SUFFIX), WEIGHTS_SUFFIX),
}
_HDF5_SUFFIXES = (".h5", ".hdf5")  # tf.keras 2.x's legacy HDF5 names (ModelCheckpoint('best.hdf5') too)


def check_filepath(filepath, what):
    """The path as a str if `what` (a key of _NAMES) takes that name; else an error saying which name to use.

    Names tf.keras 2.x takes that pyminidl does not write (legacy HDF5 '.h5'/'.hdf5', SavedModel
    directories, TF checkpoints) get a message naming the file to write instead.
    """
    if not isinstance(filepath, (str, os.PathLike)):
        raise TypeError(f"{what}: filepath must be a string or path, got {filepath!r}")
    path = os.fspath(filepath)
    if not isinstance(path, str):
        path = os.fsdecode(path)
    suffixes, suggested = _NAMES[what]
    if path.endswith(suffixes):
        return path
    stem = os.path.basename(path)
    for suffix in (WEIGHTS_SUFFIX, MODEL_SUFFIX) + _HDF5_SUFFIXES:
        if stem.endswith(suffix):
            stem = stem[:-len(suffix)]
            break
    instead = f"Use a name such as {stem + suggested!r} instead."
    if path.endswith(_HDF5_SUFFIXES) and not path.endswith(WEIGHTS_SUFFIX):
        reason = "Legacy HDF5 files ('.h5', '.hdf5') are not written or read by this pyminidl build yet."
    elif "." not in os.path.basename(path):
        reason = ("A name without a suffix is a TensorFlow SavedModel or checkpoint, which pyminidl does "
                  "not write.")
    else:
        reason = ""
    raise ValueError(f"{what}: filepath must end in {' or '.join(repr(s) for s in suffixes)}, got "
                     f"filepath={path!r}. {reason}{' ' if reason else ''}{instead}")


def _bool_arg(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _metric_name(metric):
    """The name a metric is compiled back from: strings as given, metric objects by their kind."""
    if isinstance(metric, str):
        return metric
    return getattr(metric, "_kind", None) or metric.__name__
