"""docs/compatibility.md is generated from the code: every tf.keras name pyminidl provides, and the ones it
refuses with their messages. This test fails when the committed page differs from what the code says.

    python tests/test_compatibility.py    # rewrites docs/compatibility.md
"""

import inspect
import sys
import types
from pathlib import Path

import pyminidl
from pyminidl import _unsupported, activations, initializers, losses, metrics, models, optimizers

DOC = Path(__file__).resolve().parent.parent / "docs" / "compatibility.md"

# (how tutorials spell the module, the module): the tf.keras namespaces tutorials import from.
MODULES = [
    ("tf", pyminidl), ("tf.keras", pyminidl.keras), ("tf.keras.layers", pyminidl.layers),
    ("tf.keras.models", pyminidl.models), ("tf.keras.optimizers", pyminidl.optimizers),
    ("tf.keras.optimizers.schedules", pyminidl.optimizers.schedules), ("tf.keras.losses", pyminidl.losses),
    ("tf.keras.metrics", pyminidl.metrics), ("tf.keras.activations", pyminidl.activations),
    ("tf.keras.initializers", pyminidl.initializers), ("tf.keras.callbacks", pyminidl.callbacks),
    ("tf.keras.utils", pyminidl.utils), ("tf.keras.datasets", pyminidl.datasets),
    ("tf.keras.regularizers", pyminidl.regularizers), ("tf.keras.constraints", pyminidl.constraints), ("tf.keras.preprocessing.sequence",
                                                       pyminidl.preprocessing.sequence),
    ("tf.keras.backend", pyminidl.backend), ("tf.nn", pyminidl.nn), ("tf.random", pyminidl.random),
    ("tf.version", pyminidl.version),
]

HEADER = """# tf.keras compatibility

What `import pyminidl as tf` (or `import pyminidl.keras as keras`) provides, generated from the code by
`tests/test_compatibility.py` (which fails when this page is out of date; `python tests/test_compatibility.py`
rewrites it). A name marked **refused** imports, so tutorial code gets as far as using it, and then raises
`NotImplementedError` with the message shown.

Import forms: `import pyminidl as tf` then `tf.keras.X`; `import pyminidl.keras as keras`; `from pyminidl.keras
import layers`; `from pyminidl.keras.X import Y` and `import pyminidl.keras.X` for every module below
(`pyminidl.keras.X` is the module `pyminidl.X`). The version (`tf.__version__`, `tf.version.VERSION`,
`keras.__version__`) is pyminidl's own: code that checks for TensorFlow 2.x versions must drop the check.
"""


def public_names(module):
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, v in vars(module).items() if not n.startswith("_")
                 and (getattr(v, "__module__", "") or "").startswith("pyminidl") and not isinstance(v, types.ModuleType)]
    return sorted(n for n in names if not n.startswith("_"))


def describe(obj):
    if _unsupported.is_refused(obj):
        return "**refused**", obj._pyminidl_refused
    kind = "module" if isinstance(obj, types.ModuleType) else "class" if inspect.isclass(obj) else \
        "function" if callable(obj) else "value"
    doc = inspect.getdoc(obj) if kind != "value" else repr(obj)
    return kind, " ".join((doc or "").strip().split("\n\n")[0].split())  # the first paragraph


def cell(text):
    return text.replace("|", "\\|")


def table(rows, head):
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell(str(c)) for c in row) + " |" for row in rows]
    return lines


def name_lists():
    """The strings compile() and the layers take, from each family's one registry."""
    metric_names = sorted(set(metrics._ACCURACY) | set(metrics._BY_NAME))
    return [
        ("activation=", sorted(activations._ACTIVATIONS)),
        ("loss=", sorted(losses._BY_NAME)),
        ("metrics=[...]", metric_names),
        ("optimizer=", sorted(optimizers._BY_NAME)),
        ("kernel_initializer= / bias_initializer=", sorted(initializers._BY_NAME)),
    ]


def render():
    lines = [HEADER]
    for spelled, module in MODULES:
        rows = [(f"`{spelled}.{name}`",) + describe(getattr(module, name)) for name in public_names(module)]
        lines += [f"## `{spelled}`", ""] + table(rows, ["name", "kind", "what it is / why refused"]) + [""]
    methods = [(f"`model.{n}`",) + describe(getattr(models.Sequential, n))
               for n in sorted(dir(models.Sequential)) if not n.startswith("_")
               and callable(getattr(models.Sequential, n))]
    lines += ["## Model methods (Sequential)", ""] + table(methods, ["method", "kind", "what it does"]) + [""]
    lines += ["## Names accepted as strings", ""]
    lines += table([(arg, ", ".join(f"`{n}`" for n in names)) for arg, names in name_lists()],
                   ["argument", "names"]) + [""]
    return "\n".join(lines)


def test_compatibility_page_is_up_to_date():
    expected = render()
    actual = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    assert actual == expected, ("docs/compatibility.md is out of date: run `python tests/test_compatibility.py` "
                                "and commit the result")


def test_every_module_listed_imports_by_its_dotted_path():
    import importlib
    for spelled, module in MODULES[1:]:
        if spelled.startswith("tf.keras."):
            assert importlib.import_module("pyminidl.keras." + spelled[len("tf.keras."):]) is module


if __name__ == "__main__":
    DOC.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC}", file=sys.stderr)
