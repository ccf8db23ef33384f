"""What `model(x)` returns, and the few tf.* helpers beginner tutorials apply to it (`tf.argmax`,
`tf.reduce_mean`, `tf.constant`, `tf.convert_to_tensor`, `tf.linspace`).

Not a tensor library: a Tensor is a NumPy array with TensorFlow's `.numpy()` and repr, so results print
as TF prints them and mix freely with NumPy. There is no autodiff from Python; training runs in C++.
"""

import numpy as np

from pyminidl import _api


class Tensor(np.ndarray):
    """A NumPy array with TensorFlow's `.numpy()` and repr."""

    def numpy(self):
        """A plain ndarray copy; a NumPy scalar (np.float32(0.5)) for a 0-d tensor, as TensorFlow returns."""
        value = np.array(self).view(np.ndarray)
        return value[()] if value.ndim == 0 else value

    def __repr__(self):
        value = np.asarray(self).view(np.ndarray)
        return f"<tf.Tensor: shape={value.shape}, dtype={value.dtype.name}, numpy={_numpy_text(value, repr)}>"

    def __str__(self):  # print(t): TensorFlow's `tf.Tensor(<values>, shape=(2, 1), dtype=float32)`
        value = np.asarray(self).view(np.ndarray)
        return f"tf.Tensor({_numpy_text(value, str)}, shape={value.shape}, dtype={value.dtype.name})"


def _numpy_text(value, form):
    """TF's rule: the array's repr (or str), on a new line when it spans several; a scalar as its str."""
    text = form(value) if value.ndim else str(value[()])
    return "\n" + text if "\n" in text else text


def as_tensor(value):
    """A Tensor viewing `value` (an ndarray or a NumPy scalar), without copying."""
    return np.asarray(value).view(Tensor)


def _python_dtype(value):
    """TF's dtypes for Python data: ints int32, floats float32, bools bool (NumPy data keeps its own)."""
    array = np.asarray(value)
    if isinstance(value, (np.ndarray, np.generic)):
        return array.dtype
    if array.dtype.kind == "f":
        return np.dtype(np.float32)
    if array.dtype.kind in "iu":
        return np.dtype(np.int32)
    return array.dtype


def constant(value, dtype=None, shape=None, name=None):
    """tf.constant: a Tensor holding `value` (broadcast to `shape` when given)."""
    dtype = np.dtype(dtype) if dtype is not None else _python_dtype(value)
    array = np.array(value, dtype=dtype)
    if array.dtype.kind in "OUS":
        raise TypeError(f"constant: value must hold numbers or booleans, got {value!r:.80}")
    if shape is not None:
        array = np.broadcast_to(array, tuple(shape)).copy() if array.size == 1 else array.reshape(shape)
    return as_tensor(array)


def convert_to_tensor(value, dtype=None, name=None):
    """tf.convert_to_tensor: like constant(), and a Tensor is returned as it is."""
    if isinstance(value, Tensor) and (dtype is None or value.dtype == np.dtype(dtype)):
        return value
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):  # Variables
        value = value.numpy()
    return constant(value, dtype=dtype)


def argmax(input, axis=None, output_type="int64", name=None):
    """tf.argmax: index of the largest value along `axis` (TF's default axis is 0), int64."""
    return as_tensor(np.argmax(np.asarray(input), axis=0 if axis is None else axis).astype(output_type))


def reduce_mean(input_tensor, axis=None, keepdims=False, name=None):
    """tf.reduce_mean: the mean over `axis` (all axes by default); integer tensors give a truncated integer
    mean, as TensorFlow computes it."""
    array = np.asarray(input_tensor)
    axis = tuple(axis) if isinstance(axis, list) else axis
    mean = np.mean(array, axis=axis, keepdims=keepdims)
    if array.dtype.kind in "iu":
        mean = np.trunc(mean).astype(array.dtype)
    elif array.dtype.kind == "f":
        mean = mean.astype(array.dtype)
    return as_tensor(mean)


def reduce_sum(input_tensor, axis=None, keepdims=False, name=None):
    """tf.reduce_sum: the sum over `axis` (all axes by default), in the input's dtype."""
    array = np.asarray(input_tensor)
    axis = tuple(axis) if isinstance(axis, list) else axis
    return as_tensor(np.sum(array, axis=axis, keepdims=keepdims, dtype=array.dtype if array.dtype.kind != "b"
                            else np.int32))


def linspace(start, stop, num, name=None, axis=0):
    """tf.linspace: `num` evenly spaced values from start to stop inclusive, float32 for Python numbers
    (TF's regression tutorial plots predictions over tf.linspace(0.0, 250, 251))."""
    if axis != 0:
        raise NotImplementedError(f"linspace(axis=...) other than 0 is not supported, got {axis!r}")
    num = int(np.asarray(num))
    if num < 0:
        raise ValueError(f"linspace: num must be >= 0, got {num}")
    dtype = np.result_type(_python_dtype(start), _python_dtype(stop), np.float32)
    return as_tensor(np.linspace(np.asarray(start, np.float64), np.asarray(stop, np.float64), num).astype(dtype))


__all__ = _api.public(globals(), internal={"as_tensor"})  # as_tensor: the other modules' helper
__dir__ = _api.dir_function(__all__)
