"""`tf.version.VERSION`: pyminidl's own version (the one pip shows), also `pyminidl.__version__` and
`pyminidl.keras.__version__`. It is not TensorFlow's: code that checks for TF >= 2.x must drop the check."""

VERSION = "0.1.0"

__all__ = ["VERSION"]
