"""The public API documents itself: help() shows Keras-style docstrings, and their examples run."""

import doctest
import importlib
import inspect

import pytest

import pyminidl

# Modules whose docstrings carry runnable examples (doctest runs each one).
WITH_EXAMPLES = ["pyminidl.models", "pyminidl.utils", "pyminidl.plot", "pyminidl.backend"]


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
