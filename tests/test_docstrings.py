"""The public API documents itself: help() shows Keras-style docstrings, and their examples run."""

import doctest
import importlib
import inspect

import pytest

import pyminidl

# Modules whose docstrings carry runnable examples (doctest runs each one).
WITH_EXAMPLES = ["pyminidl.models.sequential", "pyminidl.utils", "pyminidl.plot", "pyminidl.backend", "pyminidl.layers.core",
                 "pyminidl.optimizers", "pyminidl.callbacks.monitoring"]


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_docstring_examples_run(name):
    pytest.importorskip("matplotlib") if name == "pyminidl.plot" else None
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0, result


def test_help_of_sequential_is_documentation():
    for method in ("__init__", "add", "compile", "fit", "evaluate", "predict", "summary", "save"):
        doc = inspect.getdoc(getattr(pyminidl.Sequential, method) if method != "__init__" else pyminidl.Sequential)
        assert doc and "# ---" not in doc, method
    for method in ("compile", "fit", "predict"):
        doc = inspect.getdoc(getattr(pyminidl.Sequential, method))
        assert "Args:" in doc and "Raises:" in doc, method
    assert "Examples:" in inspect.getdoc(pyminidl.Sequential)
    assert "Returns:" in inspect.getdoc(pyminidl.Sequential.fit)


PUBLIC = ["pyminidl", "pyminidl.layers", "pyminidl.models", "pyminidl.activations", "pyminidl.callbacks",
          "pyminidl.losses", "pyminidl.metrics", "pyminidl.optimizers", "pyminidl.optimizers.schedules",
          "pyminidl.initializers", "pyminidl.utils", "pyminidl.datasets", "pyminidl.backend", "pyminidl.plot",
          "pyminidl.wrappers", "pyminidl.regularizers", "pyminidl.constraints"]


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_class_and_function_has_a_docstring(name):
    module = importlib.import_module(name)
    for attr in module.__all__:
        value = getattr(module, attr)
        if inspect.ismodule(value) or attr.startswith("__"):
            continue
        own = value.__dict__.get("__doc__") if inspect.isclass(value) else value.__doc__
        assert own and own.strip(), f"{name}.{attr} has no docstring"


def test_layers_document_their_arguments_with_examples():
    for cls in (pyminidl.layers.Dense, pyminidl.layers.Dropout, pyminidl.layers.Activation):
        doc = inspect.getdoc(cls)
        assert "Args:" in doc and "Raises:" in doc and "Examples:" in doc, cls
