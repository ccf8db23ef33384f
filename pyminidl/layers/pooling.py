"""Pooling layers, channels last (KERAS_REFERENCE §13): MaxPooling1D/2D, AveragePooling1D/2D (strides default
to the pool size; padded cells never count; max pooling skips NaN as TF's CPU kernel does) and the global
ones. The numbers live in C++ (cpp/layers/pooling.*)."""

from pyminidl import _check
from pyminidl.layers import _window
from pyminidl.layers.base import Layer


class _Pooling(Layer):
    _rank = 2
    _kind = "max"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        self.pool_size = _window.tuple_arg("pool_size", pool_size, self._rank)
        self.strides = self.pool_size if strides is None else _window.tuple_arg("strides", strides, self._rank)
        self.padding = _window.padding_arg(padding)
        self.data_format = _window.data_format_arg(data_format)
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape):
        _window.spatial_input(self, input_shape, self._rank)
        return tuple(_window.output_size(n, k, s, 1, self.padding, self.name)
                     for n, k, s in zip(input_shape[:-1], self.pool_size, self.strides)) + (input_shape[-1],)

    def _spec(self):
        kind = "max_pooling" if self._kind == "max" else "average_pooling"
        return f"{kind}{self._rank}d", {"pool_size": list(self.pool_size), "strides": list(self.strides),
                                        "padding": _window.PADDING_CODE[self.padding]}

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}


class MaxPooling2D(_Pooling):
    """Max over pool_size windows of (batch, height, width, channels)."""

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(_Pooling):
    """Mean over pool_size windows (Keras 3 has no default pool_size)."""

    _kind = "avg"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling1D(_Pooling):
    """Max over pool_size windows of (batch, steps, channels)."""

    _rank = 1

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(_Pooling):
    """Mean over pool_size windows of (batch, steps, channels)."""

    _rank = 1
    _kind = "avg"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class _GlobalPooling(Layer):
    _rank = 2
    _kind = "max"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        self.data_format = _window.data_format_arg(data_format)
        self.keepdims = _check.boolean("keepdims", keepdims)
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape):
        _window.spatial_input(self, input_shape, self._rank)
        return (1,) * self._rank + (input_shape[-1],) if self.keepdims else (input_shape[-1],)

    def _spec(self):
        kind = "global_max_pooling" if self._kind == "max" else "global_average_pooling"
        return f"{kind}{self._rank}d", {"keepdims": int(self.keepdims)}

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalMaxPooling2D(_GlobalPooling):
    """Max over all spatial cells: (batch, height, width, channels) -> (batch, channels); NaN propagates."""


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over all spatial cells: (batch, height, width, channels) -> (batch, channels)."""

    _kind = "avg"


class GlobalMaxPooling1D(_GlobalPooling):
    """Max over all steps: (batch, steps, channels) -> (batch, channels); NaN propagates."""

    _rank = 1


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over all steps: (batch, steps, channels) -> (batch, channels)."""

    _rank = 1
    _kind = "avg"


# Keras' aliases.
MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D = MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
