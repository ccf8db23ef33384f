"""`tf.keras.layers.experimental.preprocessing`: where TF 2.3-2.5 tutorials import Normalization and Rescaling
from (`from tensorflow.keras.layers.experimental import preprocessing`). The same classes as pyminidl.layers."""

from pyminidl.layers.experimental import preprocessing

__all__ = ["preprocessing"]
