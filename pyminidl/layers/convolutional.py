"""Conv1D and Conv2D, channels last, with Keras' constructor, defaults, kernel layout (k..., in, filters)
and config (KERAS_REFERENCE §12). The numbers live in C++ (cpp/layers/conv2d.*)."""

from pyminidl import _check, activations, initializers
from pyminidl.layers import _window
from pyminidl.layers.base import Layer


class _Conv(Layer):
    _rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        rank = self._rank
        self.filters = _check.integer("filters", filters, minimum=1, maximum=_check.MAX_SIZE)
        self.kernel_size = _window.tuple_arg("kernel_size", kernel_size, rank)
        self.strides = _window.tuple_arg("strides", strides, rank)
        self.padding = _window.padding_arg(padding, ("valid", "same", "causal") if rank == 1 else ("valid", "same"))
        self.data_format = _window.data_format_arg(data_format)
        self.dilation_rate = _window.tuple_arg("dilation_rate", dilation_rate, rank)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError("`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                             f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}")
        if groups != 1:
            raise NotImplementedError(f"{type(self).__name__}(groups=...) is not supported by pyminidl, got {groups!r}")
        self.groups = 1
        self.activation_name, self._act, self._alpha = activations.resolve(activation)
        self.use_bias = _check.boolean("use_bias", use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer, "kernel_initializer")
        self.bias_initializer = initializers.get(bias_initializer, "bias_initializer")
        for arg, value in (("kernel_regularizer", kernel_regularizer), ("bias_regularizer", bias_regularizer),
                           ("activity_regularizer", activity_regularizer),
                           ("kernel_constraint", kernel_constraint), ("bias_constraint", bias_constraint)):
            if value is not None:
                raise NotImplementedError(f"{type(self).__name__}({arg}=...) is not supported by pyminidl, "
                                          f"got {value!r}")
        super().__init__(**kwargs)

    @property
    def activation(self):
        return activations.get(self.activation_name)

    def compute_output_shape(self, input_shape):
        _window.spatial_input(self, input_shape, self._rank)
        sizes = tuple(_window.output_size(n, k, s, d, self.padding, self.name) for n, k, s, d in
                      zip(input_shape[:-1], self.kernel_size, self.strides, self.dilation_rate))
        return sizes + (self.filters,)

    def _spec(self):
        return f"conv{self._rank}d", {
            "filters": self.filters, "kernel_size": list(self.kernel_size), "strides": list(self.strides),
            "dilation_rate": list(self.dilation_rate), "padding": _window.PADDING_CODE[self.padding],
            "activation": int(self._act), "alpha": self._alpha, "use_bias": int(self.use_bias)}

    def _weight_names(self):
        return ["kernel", "bias"] if self.use_bias else ["kernel"]

    def _kernel_shape(self):
        return self.kernel_size + (self.input_shape[-1], self.filters)

    def _initial_weights(self):
        out = [self.kernel_initializer(self._kernel_shape())]
        if self.use_bias:
            out.append(self.bias_initializer((self.filters,)))
        return out

    @property
    def kernel(self):
        return self._weights[0] if self._weights else None

    @property
    def bias(self):
        return self._weights[1] if self.use_bias and self._weights else None

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": self.dilation_rate, "groups": self.groups, "activation": self.activation_name,
                "use_bias": self.use_bias, "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer), "kernel_regularizer": None,
                "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None,
                "bias_constraint": None}


class Conv2D(_Conv):
    """2-D convolution over (batch, height, width, channels): kernel (kh, kw, in, filters), bias (filters,)."""

    _rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, groups=groups, activation=activation, use_bias=use_bias,
                         **kwargs)


class Conv1D(_Conv):
    """1-D convolution over (batch, steps, channels): kernel (k, in, filters); padding also 'causal'."""

    _rank = 1


Convolution1D = Conv1D
Convolution2D = Conv2D
