"""Every import form tutorials use: dotted paths, attributes, standalone Keras, Keras 3's flat names."""

import importlib
import subprocess
import sys

import pytest

import pyminidl
import pyminidl.keras as keras

DOTTED = ["activations", "backend", "callbacks", "datasets", "initializers", "layers", "losses", "metrics",
          "models", "optimizers", "optimizers.schedules", "preprocessing", "preprocessing.sequence",
          "regularizers", "utils"]


@pytest.mark.parametrize("name", DOTTED)
def test_dotted_path_is_the_same_module_as_the_attribute(name):
    module = importlib.import_module(f"pyminidl.keras.{name}")
    top = importlib.import_module(f"pyminidl.{name}")
    assert module is top
    attr = keras
    for part in name.split("."):
        attr = getattr(attr, part)
    assert attr is module


def test_tutorial_import_lines_in_a_fresh_interpreter(tmp_path):
    # A fresh process: the dotted imports must work as the first thing a script does. Not from the checkout:
    # its pyminidl/ has no compiled core when the package was installed, not built in place.
    code = "\n".join([
        "from pyminidl.keras.layers import Dense, Dropout, Flatten",
        "from pyminidl.keras.models import Sequential, load_model",
        "from pyminidl.keras.utils import to_categorical",
        "from pyminidl.keras.optimizers import Adam, SGD",
        "from pyminidl.keras.callbacks import EarlyStopping, ModelCheckpoint",
        "from pyminidl.keras.optimizers.schedules import ExponentialDecay",
        "from pyminidl.keras.preprocessing.sequence import pad_sequences",
        "import pyminidl.keras.losses, pyminidl.keras.metrics, pyminidl.keras.activations",
        "from pyminidl.keras import initializers, datasets, backend, regularizers",
        "import pyminidl.keras as keras",
        "assert keras.layers.Dense is Dense and keras.Sequential is Sequential",
        "print('ok')",
    ])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "ok\n"


def test_keras3_flat_names():
    assert keras.Input is pyminidl.layers.Input
    assert keras.Sequential is pyminidl.models.Sequential
    assert keras.utils.to_categorical is pyminidl.utils.to_categorical
    assert keras.utils.set_random_seed is pyminidl.utils.set_random_seed
    assert pyminidl.keras is keras
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    assert model.output_shape == (None, 2)


def test_namespace_lists_only_public_names():
    public = [n for n in dir(keras) if not n.startswith("_")]
    assert sorted(public) == sorted(n for n in keras.__all__ if not n.startswith("_"))


def test_versions():
    assert pyminidl.__version__ == pyminidl.version.VERSION == keras.__version__
    assert isinstance(pyminidl.__version__, str) and pyminidl.__version__.count(".") == 2
    from importlib.metadata import version
    assert version("pyminidl") == pyminidl.__version__  # the version pip shows


def test_pad_sequences_matches_keras():  # KERAS_REFERENCE §15
    from pyminidl.keras.preprocessing.sequence import pad_sequences
    seqs = [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10]]
    assert pad_sequences(seqs).tolist() == [[0, 0, 1, 2, 3], [0, 0, 0, 4, 5], [6, 7, 8, 9, 10]]
    assert pad_sequences(seqs, maxlen=3).tolist() == [[1, 2, 3], [0, 4, 5], [8, 9, 10]]
    assert pad_sequences(seqs, maxlen=4, padding="post", truncating="post").tolist() == \
        [[1, 2, 3, 0], [4, 5, 0, 0], [6, 7, 8, 9]]
    assert pad_sequences([[1.7, 9.9, -0.5]]).tolist() == [[1, 9, 0]]  # int32 truncates
    assert pad_sequences(seqs).dtype == "int32"
    with pytest.raises(ValueError, match='Padding type "middle" not understood'):  # Keras' words
        pad_sequences(seqs, padding="middle")
    with pytest.raises(ValueError, match="Found non-iterable: 5"):
        pad_sequences([[1], 5])


def test_refused_names_import_and_say_why():
    from pyminidl.keras.callbacks import TensorBoard
    with pytest.raises(NotImplementedError, match="TensorBoard is not supported by pyminidl: .*CSVLogger"):
        TensorBoard(log_dir="logs")


def test_every_submodule_imports_under_keras_as_the_same_object():
    """pyminidl.keras.X.Y is pyminidl.X.Y for the package's own files too (one module, one class per name)."""
    import importlib
    import pkgutil
    import pyminidl
    for info in pkgutil.walk_packages(pyminidl.__path__, "pyminidl."):
        name = info.name
        if name.startswith(("pyminidl.keras", "pyminidl._")) or "._" in name:
            continue
        real = importlib.import_module(name)
        alias = importlib.import_module("pyminidl.keras." + name[len("pyminidl."):])
        assert alias is real and real.__spec__.name == name
    from pyminidl.keras.callbacks.checkpoint import ModelCheckpoint
    assert ModelCheckpoint is pyminidl.callbacks.ModelCheckpoint
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("pyminidl.keras.no_such_module")
