"""keras.preprocessing: `sequence.pad_sequences` (also `keras.utils.pad_sequences`)."""

from pyminidl import _api
from pyminidl.preprocessing import sequence

__all__ = _api.public(globals(), extra={"sequence"})
__dir__ = _api.dir_function(__all__)
