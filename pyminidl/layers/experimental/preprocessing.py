"""`tf.keras.layers.experimental.preprocessing.Normalization` and `.Rescaling`: pyminidl.layers' classes."""

from pyminidl.layers.preprocessing import Normalization, Rescaling

__all__ = ["Normalization", "Rescaling"]
