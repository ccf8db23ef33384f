"""`tf.version.VERSION`: pyminidl's own version (the one pip shows), also `pyminidl.__version__` and
`pyminidl.keras.__version__`. It is not TensorFlow's: code that checks for TF >= 2.x must drop the check."""

from pyminidl import _api, _core

VERSION = _core.__version__  # pyproject.toml's version, compiled in by CMake (VERSION_INFO)

__all__ = ["VERSION"]  # a value, not a class or function: listed by hand
__dir__ = _api.dir_function(__all__)
