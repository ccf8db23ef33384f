"""The `.keras` file of Keras 3: an uncompressed zip of metadata.json, config.json and model.weights.h5."""

import datetime
import io
import json
import zipfile

from pyminidl.saving import model_config, weights_h5
from pyminidl.saving.safety import MAX_JSON_BYTES, budget, expect, open_zip, read_member

KERAS_VERSION = "3.15.1"  # the Keras whose layout these files follow (KERAS_REFERENCE.md section 10)


def save(model, path):
    """Write the model to `path` (an already reserved temporary file)."""
    import h5py

    from pyminidl._core import __version__

    metadata = {"keras_version": KERAS_VERSION, "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
                "pyminidl_version": __version__}
    config = model_config.model_to_keras(model)
    weights = io.BytesIO()
    with h5py.File(weights, "w") as f:
        weights_h5.write(f, model)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("metadata.json", json.dumps(metadata))
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("model.weights.h5", weights.getvalue())


def read(path):
    """(config dict, h5py.File of the weights, its byte budget) from a .keras file, every member checked."""
    import h5py

    zf, size = open_zip(path)
    names = set(zf.namelist())
    meta = _json(zf, "metadata.json", path) if "metadata.json" in names else {}
    expect(isinstance(meta, dict), path, "metadata.json is not an object")
    expect(meta.get("format") != "pyminidl", path, "it was written by pyminidl 0.1 in its own format, which this "
           "pyminidl no longer reads; load it with pyminidl 0.1 and save it again to get a Keras file")
    expect("config.json" in names, path, "config.json is missing, so it is not a '.keras' file")
    expect("model.weights.h5" in names, path, "model.weights.h5 is missing, so it is not a '.keras' file")
    config = _json(zf, "config.json", path)
    expect(isinstance(config, dict), path, "config.json is not an object")
    data = read_member(zf, "model.weights.h5", path, budget(size))
    return config, h5py.File(io.BytesIO(data), "r"), budget(size)


def _json(zf, name, path):
    data = read_member(zf, name, path, MAX_JSON_BYTES)
    return json.loads(data.decode("utf-8"))
