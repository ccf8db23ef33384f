"""Saving and loading models in Keras' own files: `.keras`, `.weights.h5` and legacy `.h5` (docs/files.md).

    name.keras       Keras 3: zip of metadata.json, config.json, model.weights.h5      (keras_zip, weights_h5)
    name.weights.h5  Keras 3's weights layout (save_weights / load_weights)            (weights_h5)
    name.h5, .hdf5   legacy Keras 2 HDF5 (model: model_config + model_weights + optimizer_weights; weights only)
                                                                                     (h5_legacy)

Reading is safe (safety.py): nothing from a file is executed or imported, class names resolve only against
pyminidl's registries or the caller's custom_objects, every size is checked before allocating, and any bad file
raises ValueError naming it. Writing goes through a temporary file renamed over the target.
"""

import os

import numpy as np

from pyminidl.saving import h5_legacy, keras_zip, model_config, optimizer_state, weights_h5
from pyminidl.saving.keras_config import Unsupported
from pyminidl.saving.safety import BadFile, atomic_write, check_overwrite, expect, file_budget, guard

MODEL_SUFFIX = ".keras"
WEIGHTS_SUFFIX = ".weights.h5"
LEGACY_SUFFIXES = (".h5", ".hdf5")  # tf.keras 2.x writes its HDF5 layout under either name

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "check_filepath", "BadFile"]


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Architecture, weights, compile config and optimizer state, to '.keras' (or legacy '.h5')."""
    path = check_filepath(filepath, "model.save")
    check_overwrite(path, overwrite)
    with atomic_write(path) as tmp:
        if path.endswith(MODEL_SUFFIX):
            keras_zip.save(model, tmp)
        else:
            h5_legacy.save_model(model, tmp, include_optimizer)


def save_weights(model, filepath, overwrite=True):
    """The layer weights to '.weights.h5' (Keras 3 layout) or another '.h5' name (Keras 2 layout)."""
    path = check_filepath(filepath, "save_weights")
    if not model.built:
        raise ValueError(f"Model {model.name!r} has no weights yet: build it (or fit it) before save_weights")
    check_overwrite(path, overwrite)
    import h5py

    with atomic_write(path) as tmp, h5py.File(tmp, "w") as f:
        if path.endswith(WEIGHTS_SUFFIX):  # Keras 3 includes the optimizer's variables here too
            weights_h5.write(f, model)
        else:
            h5_legacy.write_weights(f, model)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """A model from a '.keras' or legacy '.h5' file: architecture, weights and, with compile=True, its compile
    state and optimizer state."""
    path = check_filepath(filepath, "load_model")
    custom_objects = _custom_objects(custom_objects)
    if not isinstance(compile, (bool, np.bool_)):
        raise TypeError(f"compile must be True or False, got {compile!r}")
    if safe_mode is not True:
        raise ValueError(f"safe_mode={safe_mode!r}: pyminidl never runs code from a file, so it has no unsafe "
                         "mode; pass the classes you trust in custom_objects")
    with guard(path, "Keras model"):
        if path.endswith(MODEL_SUFFIX):
            config, f, limit = keras_zip.read(path)
            with f:
                model = model_config.model_from_keras(config, custom_objects)
                _set_weights(model, weights_h5.read_layers(f, model, path, [limit]))
                compile_config = config.get("compile_config") or {}
                if compile and model_config.compile_model(model, compile_config, custom_objects) and model.built:
                    state = weights_h5.read_optimizer(f, model, path, [limit])
                    if state is not None:
                        _restore_optimizer(model, state, path)
            return model
        return h5_legacy.load_model(path, custom_objects, bool(compile), _set_weights, _restore_optimizer)


def load_weights(model, filepath, skip_mismatch=False):
    """Weights from '.weights.h5', '.keras' or legacy '.h5' into a model of the same architecture."""
    path = check_filepath(filepath, "load_weights")
    if skip_mismatch:
        raise NotImplementedError("load_weights(skip_mismatch=True) is not supported by pyminidl")
    import h5py

    with guard(path, "Keras weights"):
        if path.endswith(MODEL_SUFFIX):
            _config, f, limit = keras_zip.read(path)
        else:
            expect(os.path.isfile(path), path, "no such file")
            expect(h5py.is_hdf5(path), path, "it is not an HDF5 file")
            f, limit = h5py.File(path, "r"), file_budget(path)
        with f:
            if not model.built:
                raise ValueError(f"model {model.name!r} is not built: give its first layer an input shape or call "
                                 "model.build((None, ...)) before load_weights")
            state = None
            if "layers" in f or "vars" in f:
                values = weights_h5.read_layers(f, model, path, [limit])
                if getattr(model, "compiled", False) and "optimizer" in f:
                    state = _optional_state(lambda: weights_h5.read_optimizer(f, model, path, [limit]), path)
            else:
                values = h5_legacy.read_weights(f.get("model_weights", f), model, path, [limit])
            _set_weights(model, values)
            if state is not None:
                _restore_optimizer(model, state, path)


def _optional_state(read, path):
    """The optimizer state in a weights file, or None with a warning when it does not fit the model's optimizer
    (Keras 3's load_weights skips it the same way)."""
    try:
        return read()
    except BadFile as e:
        if "keeps" not in str(e):
            raise
        import warnings

        warnings.warn(f"Skipping the optimizer state in {path}: {str(e).split(': ', 1)[-1]}", UserWarning,
                      stacklevel=4)
        return None


def _set_weights(model, values):
    """All values were checked against their variables' shapes: assign them at once."""
    for var, value in values:
        var.value[...] = value


def _restore_optimizer(model, state, path):
    iterations, lr, arrays = state
    from pyminidl.optimizers.schedules import LearningRateSchedule

    if not isinstance(model.optimizer.learning_rate, LearningRateSchedule) and lr is not None:
        model.optimizer.learning_rate = lr
    optimizer_state.assign(model, arrays, iterations, path, expect)


def _custom_objects(custom_objects):
    if custom_objects is None:
        return {}
    if not isinstance(custom_objects, dict) or not all(isinstance(k, str) for k in custom_objects):
        raise TypeError(f"custom_objects must be a dict of name -> class, got {custom_objects!r:.200}")
    return dict(custom_objects)


# The one place that decides which file names each entry point takes (save, load_model, save_weights,
# load_weights, ModelCheckpoint): (accepted suffixes, the suffix to suggest instead).
_NAMES = {
    "model.save": ((MODEL_SUFFIX,) + LEGACY_SUFFIXES, MODEL_SUFFIX),
    "load_model": ((MODEL_SUFFIX,) + LEGACY_SUFFIXES, MODEL_SUFFIX),
    "save_weights": (LEGACY_SUFFIXES, WEIGHTS_SUFFIX),
    "load_weights": ((MODEL_SUFFIX,) + LEGACY_SUFFIXES, WEIGHTS_SUFFIX),
}


def check_filepath(filepath, what):
    """The path as a str if `what` (a key of _NAMES) takes that name; else an error saying which name to use.

    The suffix picks the format, as in Keras: '.keras' (Keras 3 zip), '.weights.h5' (Keras 3 weights), any
    other '.h5' or '.hdf5' (legacy Keras 2 HDF5). A '.weights.h5' name holds weights only, so model.save and
    load_model refuse it; names tf.keras 2.x takes that pyminidl does not write (SavedModel directories, TF
    checkpoints) get a message naming the file to write instead.
    """
    if not isinstance(filepath, (str, os.PathLike)):
        raise TypeError(f"{what}: filepath must be a string or path, got {filepath!r}")
    path = os.fspath(filepath)
    if not isinstance(path, str):
        path = os.fsdecode(path)
    suffixes, suggested = _NAMES[what]
    if path.endswith(WEIGHTS_SUFFIX) and what == "model.save":
        raise ValueError(f"model.save: a '.weights.h5' name is for save_weights (or ModelCheckpoint with "
                         f"save_weights_only=True); use a '.keras' name for the whole model, got filepath={path!r}")
    if path.endswith(WEIGHTS_SUFFIX) and what == "load_model":
        raise ValueError(f"load_model: {path!r} holds only weights: build the model in code and call "
                         "model.load_weights(...)")
    if path.endswith(suffixes):
        return path
    stem = os.path.basename(path)
    for suffix in (WEIGHTS_SUFFIX, MODEL_SUFFIX) + LEGACY_SUFFIXES:
        if stem.endswith(suffix):
            stem = stem[:-len(suffix)]
            break
    if "." not in os.path.basename(path):
        reason = "A name without a suffix is a TensorFlow SavedModel or checkpoint, which pyminidl does not write. "
    else:
        reason = ""
    raise ValueError(f"{what}: filepath must end in {' or '.join(repr(s) for s in suffixes)} (Keras' file "
                     f"formats), got filepath={path!r}. {reason}Use a name such as {stem + suggested!r} instead.")
