"""Files written by real Keras (tests/data/make_keras_files.py: TF 2.21, Keras 3.15.1, tf_keras 2.21) load in
pyminidl and compute what Keras computed: predictions to 1e-6, and, from the optimizer state in the file, the same
next training step. Files whose layers pyminidl does not have yet must be refused naming the class."""

import json
import os
import warnings

import numpy as np
import pytest

from pyminidl import models
from pyminidl.layers.base import REGISTRY
from pyminidl.saving import registry

DATA = os.path.join(os.path.dirname(__file__), "data")
FILES = sorted(n for n in os.listdir(DATA) if n.endswith((".keras", ".k3.h5", ".k2.h5")))
WEIGHT_FILES = sorted(n for n in os.listdir(DATA) if n.endswith((".weights.h5", ".k2w.h5")))


def expected(name):
    base = name.split(".")[0]
    return np.load(os.path.join(DATA, f"{base}.k2.npz" if ".k2" in name else f"{base}.npz"))


def inputs(npz):
    return npz["x"] if "x" in npz else [npz[f"x{i}"] for i in range(2)]


def classes_in(name):
    """The layer and model classes a file's config names (read with json/h5py only)."""
    path = os.path.join(DATA, name)
    if name.endswith(".keras"):
        import zipfile

        with zipfile.ZipFile(path) as zf:
            config = json.loads(zf.read("config.json"))
    else:
        import h5py

        with h5py.File(path, "r") as f:
            config = json.loads(f.attrs["model_config"])
    return config["class_name"], {entry["class_name"] for entry in config["config"]["layers"]}


def supported(name):
    model_class, layer_classes = classes_in(name)
    model_class = "Functional" if model_class == "Model" else model_class
    return model_class in registry.model_classes() and layer_classes <= set(REGISTRY)


def test_versions_are_recorded():
    with open(os.path.join(DATA, "VERSIONS.json")) as f:
        versions = json.load(f)
    assert versions["tensorflow"] == "2.21.0" and versions["keras"].startswith("3.") and versions["tf_keras"]
    assert len(FILES) >= 25


@pytest.mark.parametrize("name", FILES)
def test_real_keras_model_files_predict_as_keras_did(name):
    path = os.path.join(DATA, name)
    if not supported(name):
        model_class, layer_classes = classes_in(name)
        missing = sorted((layer_classes - set(REGISTRY)) | ({model_class} - set(registry.model_classes())))
        with pytest.raises(ValueError, match=f"{name}: .*({'|'.join(missing)})") as info:
            models.load_model(path)
        assert "pyminidl does not have" in str(info.value) or "cannot build" in str(info.value)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a Keras file of supported classes loads without complaint
        model = models.load_model(path)
    npz = expected(name)
    np.testing.assert_allclose(model.predict(inputs(npz)), npz["y_pred"], rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", [n for n in FILES if n.startswith("dense_")])
def test_optimizer_state_from_keras_gives_keras_next_step(name):
    if not supported(name):
        pytest.skip(f"{name} needs layers this pyminidl does not have")
    if name == "dense_nadam.k2.h5":
        pytest.skip("tf_keras keeps Nadam's running momentum product outside the saved variables, so no reader "
                    "(tf_keras itself neither) resumes its exact next step from the file")
    model = models.load_model(os.path.join(DATA, name))
    npz = expected(name)
    x, y = inputs(npz)[:8], npz["batch_y"]
    assert model.optimizer.iterations == 6  # 2 epochs of 24 samples in batches of 8
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, npz[f"next_{i}"], rtol=0, atol=2e-6, err_msg=f"weight {i}")


@pytest.mark.parametrize("name", WEIGHT_FILES)
def test_real_keras_weight_files_load_into_the_same_architecture(name):
    full = name.replace(".weights.h5", ".keras").replace(".k2w.h5", ".k2.h5")
    if not supported(full):
        pytest.skip(f"{full} needs layers this pyminidl does not have")
    model = models.load_model(os.path.join(DATA, full), compile=False)
    model.set_weights([np.zeros_like(w) for w in model.get_weights()])
    model.load_weights(os.path.join(DATA, name))
    npz = expected(full)
    np.testing.assert_allclose(model.predict(inputs(npz)), npz["y_pred"], rtol=0, atol=1e-6)


def test_keras2_hard_sigmoid_warns_that_keras3_formula_is_used(tmp_path):
    import h5py
    import shutil

    src = os.path.join(DATA, "activations.k2.h5")
    dst = tmp_path / "hs.h5"
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        config["config"]["layers"][3]["config"]["activation"] = "hard_sigmoid"
        f.attrs["model_config"] = json.dumps(config)
    with pytest.warns(UserWarning, match="hard_sigmoid is clip"):
        models.load_model(dst)
