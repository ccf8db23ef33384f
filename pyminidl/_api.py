"""What a public module shows: its `__all__` (for `from m import *` and the docs) and its `dir()` (for tab
completion), derived from what the module defines, so a class added to a module is listed by defining it.

Each public module ends with

    __all__ = _api.public(globals(), internal={"helper_used_by_other_modules"})
    __dir__ = _api.dir_function(__all__)
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Callable, Iterable, List


def public(namespace: dict[str, Any], internal: Iterable[str] = (), extra: Iterable[str] = ()) -> List[str]:
    """The public names of a module: the classes and functions it defines itself (not those it imports),
    whose names do not start with '_', minus `internal` (helpers other pyminidl modules use), plus `extra`
    (names defined elsewhere that this module re-exports, such as submodules). For a package (an
    `__init__.py`, such as pyminidl.layers or pyminidl.models) the classes and functions its own submodules
    define count as its own too: `from pyminidl.layers.merge import Add, add` in layers/__init__.py lists both."""
    module = namespace["__name__"]
    is_package = "__path__" in namespace
    hidden = set(internal)

    def defined_here(value: Any) -> bool:
        where = getattr(value, "__module__", None) or ""
        return where == module or (is_package and where.startswith(module + "."))

    own = {name for name, value in namespace.items()
           if not name.startswith("_") and name not in hidden and callable(value)
           and not isinstance(value, ModuleType) and defined_here(value)}
    return sorted(own | set(extra))


def dir_function(names: List[str]) -> Callable[[], List[str]]:
    """A module-level `__dir__` that lists `names` only (PEP 562): what tab completion then offers."""
    def __dir__() -> List[str]:
        return sorted(names)
    return __dir__
