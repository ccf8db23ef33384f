"""The core layers: Input, Dense, Activation, Dropout, Flatten. Python keeps their configuration; the numbers
live in C++."""

import numpy as np

from pyminidl import _check, activations, initializers
from pyminidl.backend import unique_name
from pyminidl.layers.base import Layer, _shape_arg


class InputLayer(Layer):
    """Declares the input shape of a Sequential model; holds no weights and computes nothing."""

    def __init__(self, shape=None, batch_size=None, name=None, input_shape=None, **kwargs):
        shape = shape if shape is not None else input_shape
        if shape is None:
            raise ValueError("Input needs a shape, e.g. Input(shape=(4,))")
        super().__init__(name=name or unique_name("input_layer"), input_shape=shape, **kwargs)

    def get_config(self):
        return {"name": self.name, "shape": list(self._declared_input_shape)}


def Input(shape=None, batch_size=None, name=None, dtype=None, **kwargs):
    """keras.Input: a placeholder that gives a Sequential model its input shape."""
    return InputLayer(shape=shape, batch_size=batch_size, name=name, **kwargs)


class Dense(Layer):
    """Densely connected layer: output = activation(input @ kernel + bias)."""

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        self.units = _check.integer("units", units, minimum=1, maximum=_check.MAX_SIZE)
        self.activation_name, self._act, self._alpha = activations.resolve(activation)
        self.use_bias = _check.boolean("use_bias", use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer, "kernel_initializer")
        self.bias_initializer = initializers.get(bias_initializer, "bias_initializer")
        for arg, value in (("kernel_regularizer", kernel_regularizer), ("bias_regularizer", bias_regularizer),
                           ("activity_regularizer", activity_regularizer),
                           ("kernel_constraint", kernel_constraint), ("bias_constraint", bias_constraint)):
            if value is not None:
                raise NotImplementedError(f"Dense({arg}=...) is not supported by pyminidl, got {value!r}")
        super().__init__(**kwargs)

    @property
    def activation(self):
        return activations.get(self.activation_name)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 1:
            raise ValueError(f"Dense layer '{self.name}' expects 1-D features (add a Flatten layer before it), "
                             f"got input shape {(None,) + tuple(input_shape)}")
        return (self.units,)

    def _spec(self):
        return "dense", {"units": self.units, "activation": int(self._act), "alpha": self._alpha,
                         "use_bias": int(self.use_bias)}

    def _weight_names(self):
        return ["kernel", "bias"] if self.use_bias else ["kernel"]

    def _initial_weights(self):
        out = [self.kernel_initializer((self.input_shape[-1], self.units))]
        if self.use_bias:
            out.append(self.bias_initializer((self.units,)))
        return out

    @property
    def kernel(self):
        return self._weights[0] if self._weights else None

    @property
    def bias(self):
        return self._weights[1] if self.use_bias and self._weights else None

    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": self.activation_name,
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer)}


class Activation(Layer):
    """Applies an activation function to its input."""

    def __init__(self, activation, **kwargs):
        self.activation_name, self._act, self._alpha = activations.resolve(activation)
        super().__init__(**kwargs)

    def _spec(self):
        if self.activation_name == "linear":
            return None
        return "activation", {"activation": int(self._act), "alpha": self._alpha}

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 1:
            raise ValueError(f"Activation layer '{self.name}' works on 1-D features here, got {input_shape}")
        return input_shape

    def get_config(self):
        return {**super().get_config(), "activation": self.activation_name}


class Dropout(Layer):
    """Sets a fraction `rate` of inputs to zero during training and scales the rest by 1/(1-rate)."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        self.rate = _check.number("rate", rate, 0.0, 1.0, high_open=True)
        if noise_shape is not None:
            raise NotImplementedError(f"Dropout(noise_shape=...) is not supported by pyminidl, got {noise_shape!r}")
        self.seed = seed
        super().__init__(**kwargs)

    def _spec(self):
        return "dropout", {"rate": self.rate}

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 1:
            raise ValueError(f"Dropout layer '{self.name}' works on 1-D features here, got {input_shape}")
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class Flatten(Layer):
    """Flattens each sample's features to one axis (the batch axis is kept)."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def _spec(self):
        return "flatten", {}
