"""Turning what users pass to fit/evaluate/predict into checked float32 arrays for the C++ core."""

import warnings

import numpy as np

from pyminidl import _check, _core


def as_array(value, name):
    """A numeric NumPy array from an array, a list or a scalar sequence; clear errors otherwise."""
    if value is None:
        raise ValueError(f"{name} must be an array of numbers, got None")
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):  # tensors and Variables
        value = value.numpy()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.VisibleDeprecationWarning
                                  if hasattr(np, "exceptions") else DeprecationWarning)
            array = np.asarray(value)
    except (ValueError, TypeError, DeprecationWarning, Warning) as e:
        raise ValueError(f"{name} must be a rectangular array of numbers (ragged or mixed data?): {e}") from None
    if array.dtype == object:
        raise ValueError(f"{name} must be a rectangular array of numbers, got ragged or mixed-type data")
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool) or np.iscomplexobj(array):
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if array.ndim == 0:
        raise ValueError(f"{name} must have a sample axis, got a scalar {value!r}")
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}); pass at least one sample")
    return array


def features(x, name, feature_shape):
    """x as float32 C-contiguous (n, *feature_shape): one model input.

    feature_shape is the model's declared input shape without the batch axis (None: unknown yet).
    """
    array = as_array(x, name)
    if feature_shape is not None:
        expected = tuple(feature_shape)
        if array.ndim == 1 and expected == (1,):
            array = array.reshape(-1, 1)
        if tuple(array.shape[1:]) != expected:
            raise ValueError(f"{name}: the model expects input shape (None, {', '.join(map(str, expected))}"
                             f"{',' if len(expected) == 1 else ''}), got an array of shape {array.shape}")
    elif array.ndim < 2:
        raise ValueError(f"{name}: expected a 2-D array (samples, features), got shape {array.shape}")
    return np.ascontiguousarray(array, dtype=np.float32)


def check_finite(array, name):
    # one threaded pass in C++ (fit passes float32 C-contiguous arrays, which are not copied)
    bad = _core.count_nonfinite(np.ascontiguousarray(array, dtype=np.float32))
    if bad:
        warnings.warn(f"{name} contains {bad} NaN or infinite value(s); the loss will not be finite",
                      RuntimeWarning, stacklevel=4)


def same_length(name_a, a, name_b, b):
    if len(a) != len(b):
        raise ValueError(f"Data cardinality is ambiguous: {name_a} has {len(a)} samples but {name_b} has {len(b)}. "
                         "Make sure all arrays contain the same number of samples.")


def sample_weights(sample_weight, class_weight, y_raw, n):
    """Per-sample weights (float32 (n,)) from sample_weight or class_weight, or None."""
    if sample_weight is not None and class_weight is not None:
        raise ValueError("You cannot pass both sample_weight and class_weight; combine them into sample_weight")
    if sample_weight is not None:
        w = as_array(sample_weight, "sample_weight").astype(np.float32)
        if w.ndim == 2 and w.shape[1] == 1:
            w = w[:, 0]
        if w.ndim != 1 or len(w) != n:
            raise ValueError(f"sample_weight must have shape ({n},), got {w.shape}")
        if not np.all(np.isfinite(w)):
            raise ValueError("sample_weight contains NaN or infinite values")
        return np.ascontiguousarray(w)
    if class_weight is not None:
        if not isinstance(class_weight, dict):
            raise TypeError(f"class_weight must be a dict {{class: weight}}, got {type(class_weight).__name__}")
        y = np.asarray(y_raw)
        classes = np.argmax(y, axis=1) if (y.ndim == 2 and y.shape[1] > 1) else np.round(y.reshape(n, -1)[:, 0])
        w = np.ones(n, dtype=np.float32)
        for cls, weight in class_weight.items():
            w[classes == cls] = _check.number(f"class_weight[{cls!r}]", weight)
        return w
    return None
