"""Damaged and hostile model files: each gives a ValueError that names the file and what is wrong, before anything
big is allocated; nothing from a file is imported or executed."""

import io
import json
import os
import warnings
import zipfile

import h5py
import numpy as np
import pytest

from pyminidl import layers, models, optimizers
from pyminidl.models import Sequential


def make_model(optimizer="adam"):
    model = Sequential([layers.Dense(6, input_shape=(4,), activation="relu"), layers.Dropout(0.25),
                        layers.Dense(3, activation="softmax")])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    x = np.random.RandomState(0).rand(32, 4).astype(np.float32)
    model.fit(x, np.eye(3)[np.arange(32) % 3], epochs=1, batch_size=8, verbose=0)
    return model


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("good")
    model = make_model(optimizers.Nadam(learning_rate=0.01))
    model.save(folder / "m.keras")
    model.save(folder / "m.h5")
    model.save_weights(folder / "w.weights.h5")
    return folder


def members(path):
    with zipfile.ZipFile(path) as zf:
        return [(info.filename, zf.read(info)) for info in zf.infolist()]


def write_zip(path, entries, compress=zipfile.ZIP_STORED):
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w", compress) as zf:
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate members some cases write on purpose
        for name, data in entries:
            zf.writestr(name, data)


def edit_config(src, dst, change):
    entries = []
    for name, data in members(src):
        if name == "config.json":
            config = json.loads(data)
            change(config)
            data = json.dumps(config).encode()
        entries.append((name, data))
    write_zip(dst, entries)


def edit_weights(src, dst, change):
    """A .keras copy whose model.weights.h5 was changed by change(h5py.File)."""
    entries = []
    for name, data in members(src):
        if name == "model.weights.h5":
            buf = io.BytesIO(data)
            with h5py.File(buf, "r+") as f:
                change(f)
            data = buf.getvalue()
        entries.append((name, data))
    write_zip(dst, entries)


def replace(f, path, value):
    del f[path]
    f[path] = value


def dense(config, i=0):
    return config["config"]["layers"][i + 1]["config"]  # layers[0] is the InputLayer


@pytest.mark.parametrize("make_bad, match", [
    (lambda p, d: d.write_text("just some text\n"), "not a zip archive"),
    (lambda p, d: d.write_bytes(p.read_bytes()[:300]), "not a zip archive|damaged"),
    (lambda p, d: d.write_bytes(p.read_bytes()[:-30]), "not a zip archive|damaged"),
    (lambda p, d: write_zip(d, members(p) + [("config.json", b"{}")]), "member 'config.json' twice"),
    (lambda p, d: write_zip(d, members(p) + [("../../etc/evil", b"x")]), "points outside the archive"),
    (lambda p, d: write_zip(d, members(p) + [("/abs", b"x")]), "points outside the archive"),
    (lambda p, d: write_zip(d, [m for m in members(p) if m[0] != "config.json"]), "config.json is missing"),
    (lambda p, d: write_zip(d, [m for m in members(p) if m[0] != "model.weights.h5"]), "model.weights.h5 is missing"),
    (lambda p, d: write_zip(d, [(n, b"\xff\xfe" if n == "config.json" else b) for n, b in members(p)]), "damaged"),
    (lambda p, d: write_zip(d, [(n, b"[" * 100000 if n == "config.json" else b) for n, b in members(p)]),
     "damaged"),
    (lambda p, d: write_zip(d, [(n, b"PK not hdf5" if n == "model.weights.h5" else b) for n, b in members(p)]),
     "damaged"),
    (lambda p, d: write_zip(d, [(n, b'{"format": "pyminidl"}' if n == "metadata.json" else b)
                                for n, b in members(p)]), "pyminidl 0.1 in its own format"),
    (lambda p, d: edit_config(p, d, lambda c: dense(c).update(units=10**9)), "absurd size"),
    (lambda p, d: edit_config(p, d, lambda c: dense(c).update(units=7)), r"has shape \(4, 6\).*needs \(4, 7\)"),
    (lambda p, d: edit_config(p, d, lambda c: dense(c).update(units=-3)), "units must be a positive integer"),
    (lambda p, d: edit_config(p, d, lambda c: dense(c).update(units=float("nan"))), "units must be an integer"),
    (lambda p, d: edit_config(p, d, lambda c: c["config"]["layers"][0]["config"].update(
        batch_shape=[None, 2**40])), "absurd size|input_shape"),
    (lambda p, d: edit_config(p, d, lambda c: c["config"]["layers"][0]["config"].update(batch_shape=[None, -4])),
     "input_shape"),
    (lambda p, d: edit_config(p, d, lambda c: c["config"]["layers"][1].update(class_name="Evil")),
     "class 'Evil', which pyminidl does not have"),
    (lambda p, d: edit_config(p, d, lambda c: c["config"]["layers"][1].update(
        class_name="Lambda", config={"function": {"class_name": "__lambda__", "config": {"code": "4wAAAA=="}}})),
     "Lambda layer: it holds Python code"),
    (lambda p, d: edit_config(p, d, lambda c: c["config"]["layers"][1].update(
        module="os", class_name="system", registered_name="os>system")), "custom object"),
    (lambda p, d: edit_config(p, d, lambda c: dense(c).update(activation={
        "module": "builtins", "class_name": "function", "config": "eval", "registered_name": "eval"})),
     "custom function 'eval'"),
    (lambda p, d: edit_config(p, d, lambda c: dense(c).update(dtype="mixed_float16")), "float32 only"),
    (lambda p, d: edit_config(p, d, lambda c: dense(c).update(kernel_regularizer={
        "module": "keras.regularizers", "class_name": "OrthogonalRegularizer", "config": {"factor": 0.01},
        "registered_name": None})), "OrthogonalRegularizer"),
    (lambda p, d: edit_config(p, d, lambda c: c.update(class_name="subprocess.Popen")), "cannot build"),
    (lambda p, d: edit_config(p, d, lambda c: c["compile_config"]["optimizer"].update(class_name="os.system")),
     "class 'os.system'"),
    (lambda p, d: edit_config(p, d, lambda c: c["compile_config"]["optimizer"]["config"].update(
        learning_rate=1e39)), r"learning_rate must be a finite number .*as float32: inf"),
    (lambda p, d: edit_weights(p, d, lambda f: replace(f, "layers/dense/vars/0", np.zeros((4, 7), "f4"))),
     r"layers/dense/vars/0 has shape \(4, 7\)"),
    (lambda p, d: edit_weights(p, d, lambda f: replace(f, "layers/dense/vars/0", np.zeros((4, 6), "i8"))),
     "must hold floats"),
    (lambda p, d: edit_weights(p, d, lambda f: replace(f, "layers/dense/vars/0", "text")),
     r"must hold floats|has shape \(\), but the model needs"),
    (lambda p, d: edit_weights(p, d, lambda f: f["layers/dense/vars"].create_dataset("2", data=[1.0])),
     "expects 2 variables, but the file holds 3"),
    (lambda p, d: edit_weights(p, d, lambda f: replace(f, "optimizer/vars/0", np.int64(2**63 - 1))),
     "iteration count"),
    (lambda p, d: edit_weights(p, d, lambda f: replace(f, "optimizer/vars/0", np.int64(-5))), "iteration count"),
    (lambda p, d: edit_weights(p, d, lambda f: replace(f, "optimizer/vars/0", np.float64(3.5))),
     "integer scalar"),
    (lambda p, d: edit_weights(p, d, lambda f: replace(f, "optimizer/vars/1", np.float32("inf"))),
     "learning rate"),
    (lambda p, d: edit_weights(p, d, lambda f: replace(f, "optimizer/vars/2", np.full((4, 6), np.nan, "f4"))),
     "NaN or infinite"),
    (lambda p, d: edit_weights(p, d, lambda f: replace(f, "optimizer/vars/3", np.full((4, 6), -1.0, "f4"))),
     "velocity .* negative"),
    (lambda p, d: edit_weights(p, d, lambda f: replace(f, "optimizer/vars/10", np.float64("nan"))),
     r"u_product must be a finite number .*got nan"),
    (lambda p, d: edit_weights(p, d, lambda f: replace(f, "optimizer/vars/10", np.float64(7.0))), "u_product"),
    (lambda p, d: edit_weights(p, d, lambda f: f["optimizer/vars"].create_dataset("11", data=1.0)),
     "holds 12 variables"),
])
def test_hostile_keras_files(files, tmp_path, make_bad, match):
    bad = tmp_path / "bad.keras"
    make_bad(files / "m.keras", bad)
    with pytest.raises(ValueError, match=match) as info:
        models.load_model(bad)
    assert str(bad) in str(info.value)


def test_zip_bomb_is_refused_without_inflating(files, tmp_path):
    bomb = tmp_path / "bomb.keras"
    entries = [(n, b" " * (200 << 20) if n == "config.json" else b) for n, b in members(files / "m.keras")]
    write_zip(bomb, entries, zipfile.ZIP_DEFLATED)
    assert os.path.getsize(bomb) < (1 << 20)
    with pytest.raises(ValueError, match=r"bomb.keras: member 'config.json' claims 209715200 bytes .*zip bomb"):
        models.load_model(bomb)


def test_a_member_lying_about_its_size_is_refused(files, tmp_path):
    """The central directory claims a small size: reading stops there and the size/CRC check fails."""
    entries = [(n, b" " * 5000 + b"{}" if n == "config.json" else b) for n, b in members(files / "m.keras")]
    honest = tmp_path / "honest.keras"
    write_zip(honest, entries, zipfile.ZIP_DEFLATED)
    data = bytearray(honest.read_bytes())
    at = data.index(b"PK\x01\x02")
    while data[at + 46:at + 46 + 11] != b"config.json":
        at = data.index(b"PK\x01\x02", at + 4)
    data[at + 24:at + 28] = (100).to_bytes(4, "little")
    liar = tmp_path / "liar.keras"
    liar.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="liar.keras"):
        models.load_model(liar)


@pytest.mark.parametrize("change, match", [
    (lambda f: f.attrs.__setitem__("model_config", "{not json"), "damaged"),
    (lambda f: f.attrs.__delitem__("model_config"), "holds only weights"),
    (lambda f: f["model_weights"].attrs.__setitem__("layer_names", [b"dense", b"dense"]), "names an entry twice"),
    (lambda f: f["model_weights"].attrs.__delitem__("layer_names"), "no layer_names"),
    (lambda f: f["optimizer_weights"].attrs.__setitem__("weight_names", [b"iteration:0"]),
     "holds 1 variables"),
    (lambda f: replace(f, "optimizer_weights/iteration:0", np.int64(2**62)), "iteration count"),
])
def test_hostile_legacy_h5_files(files, tmp_path, change, match):
    import shutil

    bad = tmp_path / "bad.h5"
    shutil.copy(files / "m.h5", bad)
    with h5py.File(bad, "r+") as f:
        names = [n.decode() if isinstance(n, bytes) else n for n in f["model_weights"].attrs["layer_names"]]
        assert names
        change(f)
    with pytest.raises(ValueError, match=match) as info:
        models.load_model(bad)
    assert str(bad) in str(info.value)


def test_weights_file_with_mismatched_shape(files, tmp_path):
    import shutil

    bad = tmp_path / "bad.weights.h5"
    shutil.copy(files / "w.weights.h5", bad)
    with h5py.File(bad, "r+") as f:
        replace(f, "layers/dense_1/vars/1", np.zeros((4,), "f4"))
    model = make_model()
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"bad.weights.h5: layers/dense_1/vars/1 has shape \(4,\)"):
        model.load_weights(bad)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))  # nothing half-assigned


def test_custom_objects_map_a_name_to_a_pyminidl_class(files, tmp_path):
    class MyDense(layers.Dense):
        pass

    renamed, bad = tmp_path / "renamed.keras", tmp_path / "custom.keras"
    edit_config(files / "m.keras", renamed, lambda c: c["config"]["layers"][1].update(
        module="my_package", class_name="MyDense", registered_name="my_package>MyDense"))
    # Keras names a layer's weights group after its class (saving_lib), so a MyDense file has layers/my_dense
    edit_weights(renamed, bad, lambda f: (f.move("layers/dense", "layers/my_dense"),
                                          f.move("layers/dense_1", "layers/dense")))
    with pytest.raises(ValueError, match="custom object"):
        models.load_model(bad)
    model = models.load_model(bad, custom_objects={"my_package>MyDense": MyDense})
    assert type(model.layers[0]) is MyDense


def test_nothing_is_imported_from_a_file(files, tmp_path):
    import sys

    bad = tmp_path / "imp.keras"
    edit_config(files / "m.keras", bad, lambda c: c["config"]["layers"][1].update(
        module="antigravity", class_name="Dense"))
    before = set(sys.modules)
    with pytest.raises(ValueError, match="custom object"):
        models.load_model(bad)
    assert "antigravity" not in set(sys.modules) - before
