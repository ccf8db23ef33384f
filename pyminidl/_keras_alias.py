"""`import pyminidl.keras.X.Y` for any module `pyminidl.X.Y`: an import hook that answers each dotted name
under pyminidl.keras with the module of the same name under pyminidl (one object under both names, so
`pyminidl.keras.callbacks.checkpoint.ModelCheckpoint is pyminidl.callbacks.ModelCheckpoint`), instead of
Python loading a second copy of the file under the longer name."""

import importlib
import importlib.abc
import importlib.util
import sys

PREFIX = "pyminidl.keras."


class _KerasAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(PREFIX):
            return None
        real = "pyminidl." + fullname[len(PREFIX):]
        if real not in sys.modules and importlib.util.find_spec(real) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        module = importlib.import_module("pyminidl." + spec.name[len(PREFIX):])
        self._real_spec = getattr(module, "__spec__", None)
        return module

    def exec_module(self, module):
        # The import system stamped the alias's spec on the shared module: give it back its own.
        module.__spec__ = self._real_spec


def install():
    if not any(isinstance(f, _KerasAlias) for f in sys.meta_path):
        sys.meta_path.insert(0, _KerasAlias())
