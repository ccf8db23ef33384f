"""The public surface: `dir()` of each public module is its API (no `np`, `os`, helpers), `__all__` names
exist, `pyminidl.plot` and `pyminidl.wrappers` need no explicit import."""

import importlib
import subprocess
import sys
import types

import pytest

import pyminidl

PUBLIC = ["pyminidl", "pyminidl.keras", "pyminidl.layers", "pyminidl.models", "pyminidl.activations",
          "pyminidl.callbacks", "pyminidl.losses", "pyminidl.metrics", "pyminidl.optimizers",
          "pyminidl.optimizers.schedules", "pyminidl.initializers", "pyminidl.utils", "pyminidl.datasets",
          "pyminidl.backend", "pyminidl.random", "pyminidl.nn", "pyminidl.plot", "pyminidl.wrappers",
          "pyminidl.preprocessing", "pyminidl.preprocessing.sequence", "pyminidl.regularizers", "pyminidl.constraints",
          "pyminidl.version", "pyminidl.layers.experimental", "pyminidl.layers.experimental.preprocessing",
          *(f"pyminidl.datasets.{name}" for name in pyminidl.datasets.KERAS_DATASETS)]
LEAKS = {"np", "os", "sys", "csv", "re", "math", "time", "warnings", "snake_case", "unique_name", "Path",
         "Optional", "Callable", "numbers", "gzip", "difflib", "random"}


@pytest.mark.parametrize("name", PUBLIC)
def test_dir_is_the_api(name):
    module = importlib.import_module(name)
    shown = dir(module)
    assert shown == sorted(module.__all__)
    assert not set(shown) & (LEAKS - {"random"} if name == "pyminidl" else LEAKS), shown
    for attr in module.__all__:
        value = getattr(module, attr)  # every listed name exists
        if isinstance(value, types.ModuleType):  # submodules listed are pyminidl's own
            assert value.__name__.startswith("pyminidl."), (attr, value)
        elif not attr.startswith("__"):
            assert not attr.startswith("_")


def test_classes_defined_in_a_module_are_listed():
    """__all__ is derived from what a module defines: a new class is listed by being defined."""
    for name in PUBLIC[3:]:
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if isinstance(value, type) and value.__module__ == name and not attr.startswith("_"):
                assert attr in module.__all__, (name, attr)
    # every registered layer class (REGISTRY also holds the model classes, for deserialize: those are models')
    registered = {name for name, cls in pyminidl.layers.REGISTRY.items() if cls.__module__.startswith("pyminidl.layers.")}
    assert registered and registered <= set(pyminidl.layers.__all__)


def test_packages_list_what_their_files_define():
    """A package's __all__ covers the classes and functions its own files define and it imports: the functional
    API, the merge layers and functions, the conv/pool layers and their aliases, Keras' data set modules."""
    assert {"Model", "Sequential", "Functional", "load_model", "clone_model"} <= set(pyminidl.models.__all__)
    assert {"Input", "InputLayer", "KerasTensor", "Add", "add", "Concatenate", "concatenate", "Conv2D",
            "Convolution2D", "MaxPooling2D", "MaxPool2D", "Embedding", "BatchNormalization", "Reshape",
            "deserialize", "serialize"} <= set(pyminidl.layers.__all__)
    assert not {"REGISTRY", "base", "core", "merge", "node"} & set(dir(pyminidl.layers))
    assert set(pyminidl.datasets.KERAS_DATASETS) <= set(pyminidl.datasets.__all__)
    assert dir(pyminidl.datasets.mnist) == ["load_data"]
    assert "pad_sequences" in pyminidl.utils.__all__
    keras = pyminidl.keras
    assert {"Model", "Input", "Sequential", "datasets", "preprocessing"} <= set(dir(keras))


def test_missing_activation_names_the_ones_that_exist():
    with pytest.raises(AttributeError, match="has no attribute 'rellu'; the activations are .*relu"):
        pyminidl.activations.rellu  # noqa: B018


def test_plot_and_wrappers_without_an_explicit_import(tmp_path):
    code = ("import pyminidl, sys; assert 'pyminidl.plot' not in sys.modules; "
            "print(pyminidl.plot.plot_history.__name__, pyminidl.wrappers.KerasClassifier.__name__)")
    # Not from the checkout: its pyminidl/ has no compiled core when the package was installed, not built in place.
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=tmp_path).stdout
    assert out.split() == ["plot_history", "KerasClassifier"]
    with pytest.raises(AttributeError, match="no attribute 'plots'"):
        pyminidl.plots  # noqa: B018
