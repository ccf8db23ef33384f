"""The file formats know layers and models only through their configs and the registries: no import of the models
module from saving or onnx (not even inside a function: that is a cycle too), and no layer class named in their
code (so layers added on other branches save, load and export without changes here)."""

import ast
import pathlib

import pytest

from pyminidl.layers.base import REGISTRY

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "pyminidl"


def module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


# .pyi: the compiled _core, known by its stub
MODULES = {module_name(p): p for pattern in ("*.pyi", "*.py") for p in PACKAGE.rglob(pattern)}


def imports(name):
    """The pyminidl modules `name` imports anywhere in its code (function bodies included): `from P import x`
    imports P.x when x is a module, else P (its __init__, so `from pyminidl import __version__` imports every
    module the root package imports). Parent packages running first is Python's doing, not an edge."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()

    def add(module):
        if module in MODULES and module != name:
            out.add(module)

    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("pyminidl"):
                    add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
            if not base.startswith("pyminidl"):
                continue
            for alias in node.names:
                add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return out


def reachable(start):
    seen, stack = set(), [start]
    while stack:
        for nxt in imports(stack.pop()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


FORMAT_MODULES = sorted(m for m in MODULES if m.startswith(("pyminidl.saving", "pyminidl.onnx")))


def test_models_use_saving():
    assert "pyminidl.saving" in imports("pyminidl.models")  # so the other direction would be a cycle


@pytest.mark.parametrize("module", FORMAT_MODULES)
def test_formats_never_import_the_models_module(module):
    assert "pyminidl.models" not in reachable(module), f"{module} imports pyminidl.models (directly or not)"


@pytest.mark.parametrize("module", FORMAT_MODULES)
def test_formats_name_no_layer_class(module):
    tree = ast.parse(MODULES[module].read_text())
    named = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    named |= {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    assert not named & set(REGISTRY), f"{module} names layer classes {sorted(named & set(REGISTRY))}"


@pytest.mark.parametrize("module", FORMAT_MODULES)
def test_formats_have_no_import_cycle(module):
    assert module not in reachable(module), f"{module} imports itself through other modules"
