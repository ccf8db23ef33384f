"""`tf.keras.layers.experimental.preprocessing.Normalization` and `.Rescaling`: pyminidl.layers' classes."""

from pyminidl import _api
from pyminidl.layers.preprocessing import Normalization, Rescaling

__all__ = ["Normalization", "Rescaling"]
__dir__ = _api.dir_function(__all__)
