"""The preprocessing layers that compute on numbers: Rescaling and Normalization (cpp/layers/preprocessing.cpp).

Normalization keeps Keras' weights, mean, variance and count, as non-trainable weights (so summary() counts
them as Keras does: 19 for 9 features); adapt() computes the statistics as Keras computes them from an array
(np.mean and np.var over the other axes, in the data's own precision) and stores them on the layer, or in the
model's weights once the layer is in a built model.
"""

import numpy as np

from pyminidl import _check, data
from pyminidl.layers.base import Layer
from pyminidl.layers.eager import EagerCall
from pyminidl.tensor import as_tensor


def _scalar(name, value):
    if np.ndim(value) != 0:
        raise NotImplementedError(f"{name} must be one number here (pyminidl's layer takes a scalar), got {value!r}")
    return _check.number(name, float(value) if isinstance(value, np.generic) else value)


class Rescaling(EagerCall, Layer):
    """inputs * scale + offset, e.g. Rescaling(1./255) for pixel values."""

    def __init__(self, scale, offset=0.0, **kwargs):
        self.scale, self.offset = _scalar("scale", scale), _scalar("offset", offset)
        super().__init__(**kwargs)

    def _spec(self):
        return "rescaling", {"scale": self.scale, "offset": self.offset}

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


class Normalization(EagerCall, Layer):
    """(inputs - mean) / max(sqrt(variance), 1e-7), with one mean and variance per position of the `axis` axes
    (-1: per feature; None: one for everything), learnt by adapt(data) or given as numbers."""

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        if axis is None:
            axis = ()
        elif isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
            axis = (int(axis),)
        elif isinstance(axis, (list, tuple)) and all(isinstance(a, (int, np.integer)) for a in axis):
            axis = tuple(int(a) for a in axis)
        else:
            raise ValueError(f"axis must be an integer, a tuple of integers or None, got {axis!r}")
        if (mean is None) != (variance is None):
            raise ValueError("When setting values directly, both `mean` and `variance` must be set. "
                             f"Received: mean={mean} and variance={variance}")
        self.axis, self.invert = axis, _check.boolean("invert", invert)
        self.input_mean = None if mean is None else _scalar("mean", mean)
        self.input_variance = None if variance is None else _scalar("variance", variance)
        if self.input_variance is not None and self.input_variance < 0:
            raise ValueError(f"variance must be >= 0, got {variance!r}")
        self._adapted = None  # (mean, variance) from adapt() before the layer is in a built model
        self._keep = None
        super().__init__(**kwargs)

    # --- shapes and the C++ layer -----------------------------------------------------------------------
    def _keep_axes(self, feature_shape):
        """Keras' kept axes counted with the batch axis (1 = the first feature axis), sorted."""
        ndim = len(feature_shape) + 1
        keep = sorted(a + ndim if a < 0 else a for a in self.axis)
        if any(a < 1 or a >= ndim for a in keep):
            raise ValueError(f"All `axis` values must be in the range [-ndim, ndim) and not the batch axis here. "
                             f"Received inputs with ndim={ndim}, while axis={self.axis}")
        return keep

    def _build(self, input_shape):
        keep = self._keep_axes(tuple(input_shape))
        stats = tuple(input_shape[a - 1] for a in keep)
        if self._adapted is not None and self._adapted[0].shape != stats:
            raise ValueError(f"Normalization layer '{self.name}' was adapted to data with statistics of shape "
                             f"{self._adapted[0].shape}, but is built for inputs of shape "
                             f"{(None,) + tuple(input_shape)}")
        self._keep = keep
        super()._build(input_shape)

    def _stats_shape(self):
        return tuple(self.input_shape[a] for a in self._keep)

    def _spec(self):
        attrs = {"keep": [a - 1 for a in self._keep], "invert": int(self.invert)}
        if self.input_mean is not None:
            attrs.update(mean=self.input_mean, variance=self.input_variance)
        return "normalization", attrs

    def _weight_names(self):
        return [] if self.input_mean is not None else ["mean", "variance", "count"]

    def _initial_weights(self):
        if self.input_mean is not None:
            return []
        if self._adapted is not None:
            return [self._adapted[0], self._adapted[1], np.float32(0)]
        shape = self._stats_shape()
        return [np.zeros(shape, np.float32), np.ones(shape, np.float32), np.float32(0)]

    @property
    def trainable_weights(self):
        return []

    @property
    def non_trainable_weights(self):
        return list(self._weights)

    # --- adapt and the statistics ------------------------------------------------------------------------
    def adapt(self, data_, batch_size=None, steps=None):
        """Compute the mean and variance of `data_` (an array, DataFrame or list; samples along the first axis)
        over every axis but `axis`, as Keras: np.mean and np.var of the array as given."""
        if self.input_mean is not None:
            raise ValueError("adapt() cannot be used on a Normalization layer given mean and variance")
        arr = data.as_array(data_, "data")
        if arr.dtype.kind not in "fiub":
            raise ValueError(f"adapt() needs numbers, got an array of dtype {arr.dtype}")
        if arr.ndim == 1:  # a column of scalars: one feature per sample
            arr = arr.reshape(-1, 1)
        if arr.ndim < 2 or len(arr) == 0:
            raise ValueError(f"adapt() needs a batch of samples, got data of shape {arr.shape}")
        features = tuple(arr.shape[1:])
        if self.built and tuple(self.input_shape[1:]) != features:
            raise ValueError(f"The layer was built with input_shape={self.input_shape}, but adapt() is being called "
                             f"with data with an incompatible shape, data.shape={arr.shape}")
        keep = self._keep_axes(features)
        reduce = tuple(d for d in range(arr.ndim) if d not in keep)
        mean = np.asarray(np.mean(arr, axis=reduce), np.float32)
        variance = np.asarray(np.var(arr, axis=reduce), np.float32)
        self._adapted = (mean, variance)  # also what any model built later with this layer starts from
        if self._weights:  # in a built model: its C++ weights
            self._weights[0].assign(mean)
            self._weights[1].assign(variance)
        elif not self.built:
            self._build(features)

    def _statistic(self, index):
        if self.input_mean is not None:
            value = np.float32([self.input_mean, self.input_variance][index])
        elif self._weights:
            value = self._weights[index].numpy()
        elif self._adapted is not None:
            value = self._adapted[index]
        elif self.built:
            value = self._initial_weights()[index]
        else:
            return None
        value = np.asarray(value, np.float32)
        if not self.built:
            return as_tensor(value)
        # Keras' broadcast shape: 1 for the batch axis and every reduced axis, the size of each kept one.
        shape = [self.input_shape[a] if a in self._keep else 1 for a in range(len(self.input_shape))]
        shape[0] = 1
        return as_tensor(np.broadcast_to(value.reshape(shape) if value.ndim else value, shape).copy())

    @property
    def mean(self):
        """The mean as Keras exposes it: broadcast to the input's rank, e.g. (1, 9) for 9 features."""
        return self._statistic(0)

    @property
    def variance(self):
        return self._statistic(1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "invert": self.invert, "mean": self.input_mean,
                "variance": self.input_variance}
