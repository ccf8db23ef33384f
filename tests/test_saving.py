"""model.save / models.load_model / save_weights / load_weights: round trips, resumed training, bad files."""

import json
import os
import random
import zipfile

import numpy as np
import pytest

import pyminidl
from pyminidl import callbacks, layers, losses, models, optimizers, saving
from pyminidl.models import Sequential
from pyminidl.optimizers import schedules

OPTIMIZERS = [
    lambda: "sgd",
    lambda: optimizers.SGD(learning_rate=0.05, momentum=0.9),
    lambda: optimizers.SGD(learning_rate=0.05, momentum=0.5, nesterov=True, clipnorm=1.0),
    lambda: "rmsprop",
    lambda: optimizers.RMSprop(learning_rate=0.01, rho=0.8, momentum=0.5, centered=True, clipvalue=0.5),
    lambda: "adam",
    lambda: optimizers.Adam(learning_rate=0.01, amsgrad=True, global_clipnorm=2.0),
    lambda: optimizers.Adam(learning_rate=schedules.ExponentialDecay(0.02, 5, 0.5, staircase=True)),
    lambda: optimizers.SGD(learning_rate=schedules.PiecewiseConstantDecay([3, 8], [0.1, 0.05, 0.01])),
    lambda: optimizers.RMSprop(learning_rate=schedules.InverseTimeDecay(0.01, 4, 0.5)),
    lambda: "adamw",
    lambda: optimizers.AdamW(learning_rate=0.01, weight_decay=0.1),
    lambda: "adagrad",
    lambda: optimizers.Adagrad(learning_rate=0.05, initial_accumulator_value=0.5),
    lambda: "nadam",
    lambda: optimizers.Nadam(learning_rate=0.01, beta_1=0.8),
]


def make_model(optimizer="adam"):
    model = Sequential([
        layers.Dense(6, input_shape=(4,), activation="relu", name="hidden"),
        layers.Dropout(0.25),
        layers.Dense(5, activation="tanh", use_bias=False),
        layers.Activation("elu"),
        layers.Dense(3, activation="softmax", kernel_initializer="he_normal"),
    ])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy", "mse"])
    return model


def data(n=60):
    rng = np.random.RandomState(3)
    x = rng.rand(n, 4).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[(x.sum(axis=1) * 2).astype(int) % 3]
    return x, y


def same_weights(a, b):
    return len(a) == len(b) and all(np.array_equal(u, v) for u, v in zip(a, b))


@pytest.fixture(scope="module")
def good_file(tmp_path_factory):
    pyminidl.set_random_seed(5)
    model = make_model(optimizers.Nadam(learning_rate=0.01))
    x, y = data()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    path = tmp_path_factory.mktemp("good") / "model.keras"
    model.save(path)
    return path


# --- round trips ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("make_optimizer", OPTIMIZERS)
def test_resumed_training_is_bit_identical(tmp_path, make_optimizer):
    x, y = data()
    a = make_model(make_optimizer())
    a.fit(x, y, epochs=2, batch_size=16, verbose=0)
    path = tmp_path / "a.keras"
    a.save(path)
    pyminidl.set_random_seed(99)
    a.fit(x, y, epochs=2, batch_size=16, verbose=0)

    b = models.load_model(path)
    assert b.optimizer.iterations == 8 and type(b.optimizer) is type(a.optimizer)
    pyminidl.set_random_seed(99)
    b.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert same_weights(a.get_weights(), b.get_weights())
    assert b.optimizer.iterations == a.optimizer.iterations == 16
    assert b._net.nadam_u_product == a._net.nadam_u_product


def test_round_trip_restores_everything(tmp_path):
    x, y = data()
    model = make_model(optimizers.SGD(learning_rate=0.1, momentum=0.9, name="my_sgd"))
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    model.optimizer.learning_rate = 0.02  # as ReduceLROnPlateau would
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = models.load_model(path)
    assert loaded.get_config() == model.get_config()
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert loaded.optimizer.learning_rate == pytest.approx(0.02)
    assert isinstance(loaded.loss, losses.CategoricalCrossentropy)
    assert loaded.metrics_names == ["loss", "accuracy", "mse"]
    assert same_weights(loaded.get_weights(), model.get_weights())
    assert same_weights(loaded._net.slots(), model._net.slots())
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)


@pytest.mark.parametrize("loss, units, y", [
    (losses.BinaryCrossentropy(from_logits=True), 1, np.array([0.0, 1.0, 1.0, 0.0])),
    (losses.Huber(delta=2.0), 1, np.ones(4)),
    (losses.SparseCategoricalCrossentropy(from_logits=True), 3, np.array([0, 1, 2, 1])),
    ("mae", 1, np.ones(4)),
    (losses.mean_squared_error, 1, np.ones(4)),
])
def test_losses_and_metrics_round_trip(tmp_path, loss, units, y):
    x = np.arange(8, dtype=np.float32).reshape(4, 2)
    model = Sequential([layers.Dense(units, input_shape=(2,))])
    model.compile(optimizer="sgd", loss=loss, metrics=[losses.mean_squared_error] if units == 1 else ["accuracy"])
    model.save(tmp_path / "m.keras")
    loaded = models.load_model(tmp_path / "m.keras")
    assert type(loaded.loss) is type(model.loss) and loaded.loss.get_config() == model.loss.get_config()
    assert loaded.metrics_names == model.metrics_names
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)


def test_load_model_without_compile(tmp_path):
    model = make_model()
    model.save(tmp_path / "m.keras")
    loaded = models.load_model(tmp_path / "m.keras", compile=False)
    assert not loaded.compiled and loaded.built
    assert same_weights(loaded.get_weights(), model.get_weights())


def test_uncompiled_and_unbuilt_models_round_trip(tmp_path):
    model = Sequential([layers.Dense(3, input_shape=(2,)), layers.Dense(1)])
    model.save(tmp_path / "a.keras")
    loaded = models.load_model(tmp_path / "a.keras")
    assert not loaded.compiled and same_weights(loaded.get_weights(), model.get_weights())

    unbuilt = Sequential([layers.Dense(3), layers.Dense(1)])
    unbuilt.compile(optimizer="adam", loss="mse")
    unbuilt.save(tmp_path / "b.keras")
    loaded = models.load_model(tmp_path / "b.keras")
    assert not loaded.built and loaded.compiled and loaded.get_weights() == []
    loaded.fit(np.ones((4, 2)), np.ones(4), verbose=0)  # builds on first use, like the original would


def test_model_built_by_fit_round_trips(tmp_path):
    model = Sequential([layers.Dense(3), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 2)), np.ones(4), verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = models.load_model(tmp_path / "m.keras")
    assert loaded.input_shape == (None, 2) and same_weights(loaded.get_weights(), model.get_weights())


def test_from_config_builds_a_fresh_model():
    model = make_model()
    clone = Sequential.from_config(model.get_config())
    assert clone.get_config() == model.get_config() and clone.built and not clone.compiled
    with pytest.raises(ValueError, match="config must be a dict"):
        Sequential.from_config([1, 2])


def test_save_and_load_weights(tmp_path):
    model = make_model()
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)
    other = make_model()
    assert not same_weights(other.get_weights(), model.get_weights())
    other.load_weights(path)
    assert same_weights(other.get_weights(), model.get_weights())

    unbuilt = Sequential([layers.Dense(6, activation="relu"), layers.Dropout(0.25),
                          layers.Dense(5, use_bias=False), layers.Activation("elu"), layers.Dense(3)])
    unbuilt.load_weights(str(path))  # built from the input shape the file records
    assert same_weights(unbuilt.get_weights(), model.get_weights())

    model.save(tmp_path / "m.keras")
    third = make_model()
    third.load_weights(tmp_path / "m.keras")  # a full model file works too, as in Keras 3
    assert same_weights(third.get_weights(), model.get_weights())


def test_load_weights_into_a_different_model(tmp_path):
    make_model().save_weights(tmp_path / "w.weights.h5")
    small = Sequential([layers.Dense(2, input_shape=(4,))])
    with pytest.raises(ValueError, match=r"w\.weights\.h5.*holds 5 weight arrays.*has 2"):
        small.load_weights(tmp_path / "w.weights.h5")
    wide = Sequential([layers.Dense(7, input_shape=(4,), activation="relu"), layers.Dropout(0.25),
                       layers.Dense(5, use_bias=False), layers.Dense(3)])
    with pytest.raises(ValueError, match=r"shape \(4, 6\).*\(4, 7\)"):
        wide.load_weights(tmp_path / "w.weights.h5")
    unbuilt = Sequential([layers.Dense(2), layers.Dense(3)])
    with pytest.raises(ValueError, match=r"w\.weights\.h5.*do not fit"):
        unbuilt.load_weights(tmp_path / "w.weights.h5")
    assert not unbuilt.built


def test_file_is_a_plain_zip_of_json_and_float32(tmp_path):
    model = make_model()
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        assert sorted(zf.namelist()) == ["arrays.bin", "arrays.json", "config.json", "metadata.json"]
        meta = json.loads(zf.read("metadata.json"))
        manifest = json.loads(zf.read("arrays.json"))
        blob = zf.read("arrays.bin")
    assert meta["format"] == "pyminidl" and meta["format_version"] == saving.FORMAT_VERSION
    first = manifest["arrays"][0]
    assert first["name"] == "layers/0/hidden/kernel" and first["shape"] == [4, 6]
    kernel = np.frombuffer(blob, "<f4", count=24, offset=first["offset"]).reshape(4, 6)
    np.testing.assert_array_equal(kernel, model.get_weights()[0])


# --- argument and file errors -----------------------------------------------------------------------------
@pytest.mark.parametrize("call, match", [
    (lambda m, d: m.save(d / "m.h5"), "must end in '.keras'.*HDF5"),
    (lambda m, d: m.save(d / "model"), "must end in '.keras'"),
    (lambda m, d: m.save_weights(d / "w.h5"), "must end in '.weights.h5'"),
    (lambda m, d: m.save_weights(d / "w.keras"), "must end in '.weights.h5'"),
    (lambda m, d: models.load_model(d / "m.weights.h5"), "must end in '.keras'"),
    (lambda m, d: m.load_weights(d / "w.npz"), "must end in '.weights.h5' or '.keras'"),
    (lambda m, d: models.load_model(d / "missing.keras"), "File not found: filepath=.*missing.keras"),
])
def test_bad_paths(tmp_path, call, match):
    with pytest.raises(ValueError, match=match):
        call(make_model(), tmp_path)


def test_bad_argument_types(tmp_path):
    with pytest.raises(TypeError, match="filepath must be a string or path, got 42"):
        make_model().save(42)
    with pytest.raises(TypeError, match="compile must be True or False, got 'yes'"):
        models.load_model(tmp_path / "m.keras", compile="yes")
    with pytest.raises(ValueError, match="custom_objects"):
        models.load_model(tmp_path / "m.keras", custom_objects={"f": print})
    with pytest.raises(FileExistsError):
        model = make_model()
        model.save(tmp_path / "m.keras")
        model.save(tmp_path / "m.keras", overwrite=False)


def rewrite(src, dst, replace=None, drop=(), compress=None):
    """Copy a zip, replacing some members' bytes, dropping some, or changing their compression."""
    replace = replace or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            content = replace.get(info.filename, zin.read(info.filename))
            zout.writestr(info.filename, content, compress_type=(compress or {}).get(info.filename,
                                                                                     info.compress_type))


def edit_json(src, dst, member, change):
    with zipfile.ZipFile(src) as zf:
        doc = json.loads(zf.read(member))
    change(doc)
    rewrite(src, dst, {member: json.dumps(doc)})


@pytest.mark.parametrize("make_bad, match", [
    (lambda p, d: d.write_text("just some text\n"), "not a zip archive"),
    (lambda p, d: d.write_bytes(p.read_bytes()[:300]), "not a zip archive|damaged"),
    (lambda p, d: d.write_bytes(p.read_bytes()[:-30]), "not a zip archive|damaged"),
    (lambda p, d: rewrite(p, d, drop=("metadata.json",)), "metadata.json is missing"),
    (lambda p, d: rewrite(p, d, {"metadata.json": b'{"keras_version": "3.15.1"}'}), "does not say it is a pyminidl"),
    (lambda p, d: rewrite(p, d, {"metadata.json": b"\xff\xfe not json"}), "damaged"),
    (lambda p, d: edit_json(p, d, "metadata.json", lambda m: m.update(format_version=2)),
     "newer pyminidl \\(format version 2\\)"),
    (lambda p, d: edit_json(p, d, "metadata.json", lambda m: m.update(kind="weights")), "holds only weights"),
    (lambda p, d: edit_json(p, d, "arrays.json", lambda m: m["arrays"][0].update(shape=[4, 7])),
     "runs past the end|shape"),
    (lambda p, d: edit_json(p, d, "arrays.json", lambda m: m["arrays"][0].update(shape=[400000, 60000])),
     "runs past the end"),
    (lambda p, d: edit_json(p, d, "arrays.json", lambda m: m["arrays"][0].update(offset=-4)), "bad offset"),
    (lambda p, d: edit_json(p, d, "arrays.json", lambda m: m["arrays"].pop(0)), "needs 5 weight arrays.*holds 4"),
    (lambda p, d: edit_json(p, d, "config.json", lambda c: c["config"]["layers"][0]["config"].update(units=10**9)),
     "shape"),
    (lambda p, d: edit_json(p, d, "config.json", lambda c: c["config"]["layers"][0].update(class_name="Evil")),
     "Unknown layer"),
    (lambda p, d: edit_json(p, d, "config.json", lambda c: c["compile_config"]["optimizer"].update(
        class_name="os.system")), "Unknown optimizer"),
    (lambda p, d: edit_json(p, d, "arrays.json", lambda m: m["optimizer"].update(slots=1)), "slots"),
    (lambda p, d: rewrite(p, d, compress={"arrays.bin": zipfile.ZIP_DEFLATED}), "stored uncompressed"),
    (lambda p, d: rewrite(p, d, {"config.json": b" " * (20 << 20)}, compress={"config.json": zipfile.ZIP_DEFLATED}),
     "claims|larger than"),
])
def test_bad_files_raise_value_error_naming_the_file(good_file, tmp_path, make_bad, match):
    bad = tmp_path / "bad.keras"
    make_bad(good_file, bad)
    with pytest.raises(ValueError, match=match) as info:
        models.load_model(bad)
    assert str(bad) in str(info.value)


def _claim_size(data, member, size):
    """The zip bytes with the central directory claiming `size` uncompressed bytes for `member`."""
    data = bytearray(data)
    at = data.index(b"PK\x01\x02")
    while True:
        name_len = int.from_bytes(data[at + 28:at + 30], "little")
        if data[at + 46:at + 46 + name_len] == member.encode():
            data[at + 24:at + 28] = size.to_bytes(4, "little")
            return bytes(data)
        at = data.index(b"PK\x01\x02", at + 4)


def test_zip_bomb_is_refused_without_inflating(good_file, tmp_path):
    bomb = tmp_path / "bomb.keras"
    rewrite(good_file, bomb, {"config.json": b" " * (40 << 20)}, compress={"config.json": zipfile.ZIP_DEFLATED})
    assert os.path.getsize(bomb) < (1 << 20)
    with pytest.raises(ValueError, match="bomb.keras: config.json claims 41943040 bytes"):
        models.load_model(bomb)
    liar = tmp_path / "liar.keras"  # the directory claims a small size: inflating stops there, the CRC fails
    liar.write_bytes(_claim_size(bomb.read_bytes(), "config.json", 100))
    with pytest.raises(ValueError, match="liar.keras.*damaged"):
        models.load_model(liar)
    nested = tmp_path / "nested.keras"
    rewrite(good_file, nested, {"arrays.json": b"[" * 10 ** 6 + b"]" * 10 ** 6})
    with pytest.raises(ValueError, match="nested.keras"):
        models.load_model(nested)


def test_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch):
    model = make_model()
    path = tmp_path / "m.keras"
    model.save(path)
    before = path.read_bytes()
    real = zipfile.ZipFile.writestr

    def explode(self, name, data, *args, **kwargs):
        if name == "arrays.bin":
            raise KeyboardInterrupt
        return real(self, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", explode)
    model.set_weights([w + 1 for w in model.get_weights()])
    with pytest.raises(KeyboardInterrupt):
        model.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.keras"]  # no temporary file left behind
    models.load_model(path)


# --- fuzz: a damaged file loads or raises ValueError, nothing else ---------------------------------------
def _mutations(rng, original, members):
    """Yield (description, bytes) of damaged variants of a valid file."""
    for _ in range(100):
        cut = rng.randrange(len(original))
        yield f"truncate at {cut}", original[:cut]
    for _ in range(40):
        start = rng.randrange(len(original))
        end = min(len(original), start + rng.randint(1, 64))
        yield f"cut bytes {start}:{end}", original[:start] + original[end:]
    for _ in range(120):
        data = bytearray(original)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        yield "flip bits", bytes(data)
    odd_values = [None, -1, 0, 1, 2.5, 10 ** 12, -(10 ** 12), 1e308, float("nan"), "", "x", "../../etc", [], [None],
                  [1, 2], {}, {"class_name": "Dense"}, True, [10 ** 9, 10 ** 9]]
    for _ in range(160):
        member = rng.choice([m for m in ("metadata.json", "config.json", "arrays.json") if m in members])
        doc = json.loads(members[member])
        target, key = _random_slot(rng, doc)
        if target is None:
            continue
        target[key] = rng.choice(odd_values)
        yield f"edit {member} {key!r}", _zip_with(members, {member: json.dumps(doc).encode()})


def _random_slot(rng, doc):
    """A random (container, key) inside a JSON document."""
    slots, stack = [], [doc]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            slots.append((node, key))
            stack.append(value)
    return rng.choice(slots) if slots else (None, None)


def _zip_with(members, replace):
    import io
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, replace.get(name, content),
                        compress_type=zipfile.ZIP_STORED if name == "arrays.bin" else zipfile.ZIP_DEFLATED)
    return buf.getvalue()


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_fuzzed_files_load_or_raise_value_error(good_file, tmp_path):
    rng = random.Random(2024)
    original = good_file.read_bytes()
    with zipfile.ZipFile(good_file) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    path = tmp_path / "fuzz.keras"
    target = make_model()
    outcomes = {"loaded": 0, "ValueError": 0}
    for description, data in _mutations(rng, original, members):
        path.write_bytes(data)
        for load in (models.load_model, target.load_weights):
            try:
                load(path)
                outcomes["loaded"] += 1
            except ValueError as e:
                assert str(path) in str(e), description
                outcomes["ValueError"] += 1
            except Exception as e:  # pragma: no cover - the failure message is the point
                pytest.fail(f"{load.__name__}, {description}: {type(e).__name__}: {e}")
    assert sum(outcomes.values()) >= 600 and outcomes["ValueError"] > 400


# --- the names tf.keras 2.x takes: one check (saving.check_filepath) for every entry point -----------------
@pytest.mark.parametrize("call, name, suggestion", [
    (lambda m, p: m.save(p), "best.h5", "best.keras"),
    (lambda m, p: m.save(p), "best.hdf5", "best.keras"),
    (lambda m, p: m.save_weights(p), "w.h5", "w.weights.h5"),
    (lambda m, p: models.load_model(p), "m.h5", "m.keras"),
    (lambda m, p: m.load_weights(p), "w.hdf5", "w.weights.h5"),
    (lambda m, p: callbacks.ModelCheckpoint(p), "best.h5", "best.keras"),
    (lambda m, p: callbacks.ModelCheckpoint(p, save_weights_only=True), "weights.best.hdf5", "weights.best.weights.h5"),
])
def test_hdf5_names_say_what_to_write_instead(tmp_path, call, name, suggestion):
    with pytest.raises(ValueError, match=rf"Legacy HDF5 .*Use a name such as '{suggestion}' instead"):
        call(make_model(), str(tmp_path / name))


@pytest.mark.parametrize("call", [lambda m, p: m.save(p), lambda m, p: m.save_weights(p),
                                  lambda m, p: callbacks.ModelCheckpoint(p)])
def test_savedmodel_and_checkpoint_names_say_what_to_write_instead(tmp_path, call):
    with pytest.raises(ValueError, match=r"SavedModel or checkpoint.*Use a name such as 'my_model\."):
        call(make_model(), str(tmp_path / "my_model"))
