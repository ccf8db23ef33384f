"""Layers of a Sequential model. Python keeps their configuration; the numbers live in C++."""

import numpy as np

from pyminidl import _check, _core, activations, initializers
from pyminidl.backend import snake_case, unique_name
from pyminidl.variables import Variable


class Layer:
    """Base class: a name, an optional declared input shape, and weights once built."""

    def __init__(self, name=None, input_shape=None, input_dim=None, trainable=True, dtype=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unrecognized keyword arguments: {sorted(kwargs)}")
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"name must be a non-empty string, got {name!r}")
        self.name = name or unique_name(snake_case(type(self).__name__))
        if input_dim is not None:
            input_shape = (_check.integer("input_dim", input_dim, minimum=1),)
        self._declared_input_shape = _shape_arg("input_shape", input_shape) if input_shape is not None else None
        self.trainable = trainable
        self._weights = []
        self.built = False
        self.input_shape = None
        self.output_shape = None

    # Shape inference: input feature shape (without the batch axis) -> output feature shape.
    def compute_output_shape(self, input_shape):
        return input_shape

    def _build(self, input_shape):
        self.input_shape = (None,) + tuple(input_shape)
        self.output_shape = (None,) + tuple(self.compute_output_shape(tuple(input_shape)))
        self.built = True

    def _spec(self):
        """The C++ description of this layer, or None if it only reshapes."""
        return None

    def _initial_weights(self):
        return []

    def _attach(self, views, model_name):
        self._weights = [Variable(v, f"{self.name}/{w}:0", f"{model_name}/{self.name}/{w}")
                         for v, w in zip(views, self._weight_names())]

    def _weight_names(self):
        return []

    @property
    def weights(self):
        return list(self._weights)

    trainable_weights = weights

    @property
    def non_trainable_weights(self):
        return []

    def get_weights(self):
        return [w.numpy() for w in self._weights]

    def set_weights(self, weights):
        _set_weights(self._weights, weights, f"Layer {self.name}")

    def count_params(self):
        return int(sum(np.prod(w.shape) for w in self._weights))

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable}
        if self._declared_input_shape is not None:
            config["input_shape"] = list(self._declared_input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


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
        spec = _core.LayerSpec()
        spec.kind = _core.LayerKind.dense
        spec.in_features, spec.out_features = self.input_shape[-1], self.units
        spec.act, spec.alpha, spec.use_bias = self._act, self._alpha, self.use_bias
        return spec

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
        spec = _core.LayerSpec()
        spec.kind = _core.LayerKind.activation
        spec.in_features = spec.out_features = int(np.prod(self.input_shape[1:]))
        spec.act, spec.alpha = self._act, self._alpha
        return spec

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
        spec = _core.LayerSpec()
        spec.kind = _core.LayerKind.dropout
        spec.in_features = spec.out_features = self.input_shape[-1]
        spec.rate = self.rate
        return spec

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


def _shape_arg(name, shape):
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or not shape:
        raise ValueError(f"{name} must be a tuple of positive integers such as (4,), got {shape!r}")
    shape = tuple(shape)
    if shape[0] is None and len(shape) > 1:
        raise ValueError(f"{name} excludes the batch axis: use {shape[1:]!r} instead of {shape!r}")
    for s in shape:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or not 0 < s <= _check.MAX_SIZE:
            raise ValueError(f"{name} must be a tuple of positive integers such as (4,), got {shape!r}")
    return tuple(int(s) for s in shape)


def _set_weights(variables, weights, owner):
    if not isinstance(weights, (list, tuple)):
        raise TypeError(f"set_weights expects a list of arrays, got {type(weights).__name__}")
    if len(weights) != len(variables):
        raise ValueError(f"{owner}: you called set_weights(weights) with a weight list of length {len(weights)}, "
                         f"but the layer was expecting {len(variables)} weights.")
    arrays = []
    for var, w in zip(variables, weights):
        try:
            a = np.asarray(w, dtype=np.float32)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{owner}: weight for '{var.path}' is not numeric: {e}") from None
        if a.shape != var.shape:
            raise ValueError(f"{owner}: weight shape {var.shape} of '{var.path}' is not compatible with provided "
                             f"weight shape {a.shape}.")
        arrays.append(a)
    for var, a in zip(variables, arrays):  # all checked first: no half-applied update
        var.value[...] = a


_BY_CLASS = {c.__name__: c for c in (Dense, Activation, Dropout, Flatten, InputLayer)}


def deserialize(config):
    """A layer from {'class_name': ..., 'config': {...}} as written by get_config/serialize."""
    try:
        cls = _BY_CLASS[config["class_name"]]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown layer in config: {config!r:.200}") from None
    return cls.from_config(dict(config.get("config", {})))


def serialize(layer):
    return {"class_name": type(layer).__name__, "config": layer.get_config()}
