"""`tf.keras.layers.experimental.preprocessing`: where TF 2.3-2.5 tutorials import Normalization and Rescaling
from (`from tensorflow.keras.layers.experimental import preprocessing`). The same classes as pyminidl.layers."""

from pyminidl import _api
from pyminidl.layers.experimental import preprocessing

__all__ = ["preprocessing"]
__dir__ = _api.dir_function(__all__)
