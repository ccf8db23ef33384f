"""keras.preprocessing: the sequence helpers tutorials still import from here (`preprocessing.sequence`)."""

from pyminidl.preprocessing import sequence

__all__ = ["sequence"]
