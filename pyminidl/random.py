"""`tf.random.set_seed` for tutorials that seed TensorFlow's generator: here it seeds everything."""

from pyminidl.utils import set_random_seed as set_seed

__all__ = ["set_seed"]
