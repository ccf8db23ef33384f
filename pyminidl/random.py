"""`tf.random.set_seed` for tutorials that seed TensorFlow's generator: here it seeds everything."""

from pyminidl import _api
from pyminidl.utils import set_random_seed as set_seed

__all__ = ["set_seed"]
__dir__ = _api.dir_function(__all__)
