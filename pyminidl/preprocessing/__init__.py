"""keras.preprocessing: `sequence.pad_sequences` (also `keras.utils.pad_sequences`)."""

from pyminidl.preprocessing import sequence

__all__ = ["sequence"]
