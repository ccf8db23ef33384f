"""The core layers: Input, Dense, Activation, Dropout, Flatten. Python keeps their configuration; the numbers
live in C++."""

import numpy as np

from pyminidl import _check, activations, initializers
from pyminidl.backend import unique_name
from pyminidl.layers.base import Layer, _shape_arg


class InputLayer(Layer):
    """Declares the input shape of a model; holds no weights and computes nothing.

    Usually made by `Input(shape=...)`.

    Args:
        shape: the shape of one sample, without the batch axis, e.g. `(4,)`.
        batch_size: accepted for Keras' signature; any batch size is accepted.
        name: the layer's name. Defaults to a unique `input_layer`, `input_layer_1`, ...
        input_shape: Keras 2's spelling of `shape`.

    Raises:
        ValueError: if no shape is given, or it is not a tuple of positive integers.
    """

    def __init__(self, shape=None, batch_size=None, name=None, input_shape=None, **kwargs):
        shape = shape if shape is not None else input_shape
        if shape is None:
            raise ValueError("Input needs a shape, e.g. Input(shape=(4,))")
        super().__init__(name=name or unique_name("input_layer"), input_shape=shape, **kwargs)

    def get_config(self):
        return {"name": self.name, "shape": list(self._declared_input_shape)}


def Input(shape=None, batch_size=None, name=None, dtype=None, **kwargs):
    """Returns an `InputLayer`, the placeholder that gives a model its input shape (as `keras.Input`).

    Args:
        shape: the shape of one sample, without the batch axis, e.g. `(4,)`.
        batch_size: accepted for Keras' signature; any batch size is accepted.
        name: the layer's name.
        dtype: accepted for Keras' signature; pyminidl computes in float32.
        **kwargs: passed to `InputLayer`.

    Returns:
        The `InputLayer`, to put first in a `Sequential` model.

    Raises:
        ValueError: if `shape` is missing or not a tuple of positive integers.

    Examples:

    >>> import pyminidl as tf
    >>> model = tf.keras.Sequential([tf.keras.Input(shape=(4,)), tf.keras.layers.Dense(2)])
    >>> model.count_params()
    10
    """
    return InputLayer(shape=shape, batch_size=batch_size, name=name, **kwargs)


class Dense(Layer):
    """A densely connected layer: `output = activation(dot(input, kernel) + bias)`.

    `kernel` has shape `(input features, units)`; `bias` has shape `(units,)`. The product, the bias and the
    activation run in one pass of pyminidl's matrix multiply.

    Args:
        units: the number of outputs, a positive integer.
        activation: a name (`"relu"`, `"softmax"`, ...) or a function of `pyminidl.activations`. Defaults to
            None: no activation (linear).
        use_bias: whether the layer adds a bias.
        kernel_initializer: a name (`"glorot_uniform"`, `"he_normal"`, ...) or an initializer instance.
        bias_initializer: as `kernel_initializer`; defaults to zeros.
        kernel_regularizer: accepted for Keras' signature; only None is supported.
        bias_regularizer: as `kernel_regularizer`.
        activity_regularizer: as `kernel_regularizer`.
        kernel_constraint: as `kernel_regularizer`.
        bias_constraint: as `kernel_regularizer`.
        **kwargs: `name`, `input_shape` / `input_dim` (to declare the model's input on its first layer),
            `trainable`.

    Raises:
        ValueError: if `units` is not a positive integer, or `activation` or an initializer is unknown.
        NotImplementedError: for a regularizer or a constraint.

    Examples:

    >>> import numpy as np, pyminidl as tf
    >>> layer = tf.keras.layers.Dense(3, activation="relu", input_shape=(2,))
    >>> model = tf.keras.Sequential([layer])
    >>> layer.kernel.shape, layer.bias.shape
    ((2, 3), (3,))
    >>> model.predict(np.zeros((1, 2)))
    array([[0., 0., 0.]], dtype=float32)
    """

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
    """Applies an activation function to its input.

    Args:
        activation: a name (`"relu"`, `"tanh"`, ...) or a function of `pyminidl.activations`.
        **kwargs: `name`, `input_shape`, `trainable`.

    Raises:
        ValueError: if `activation` is unknown (the message lists the known names).

    Examples:

    >>> import numpy as np, pyminidl as tf
    >>> model = tf.keras.Sequential([tf.keras.layers.Activation("relu", input_shape=(3,))])
    >>> model.predict(np.array([[-1.0, 0.0, 2.0]]))
    array([[0., 0., 2.]], dtype=float32)
    """

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
    """Sets a fraction `rate` of its inputs to zero during training, and scales the others by `1 / (1 - rate)`.

    At inference (`predict`, `evaluate`) it passes its input through unchanged.

    Args:
        rate: the fraction of inputs dropped, in [0, 1).
        noise_shape: accepted for Keras' signature; only None is supported.
        seed: kept in the config; the masks come from the generator `set_random_seed` seeds.
        **kwargs: `name`, `input_shape`, `trainable`.

    Raises:
        ValueError: if `rate` is not in [0, 1).
        NotImplementedError: for a `noise_shape`.

    Examples:

    >>> import numpy as np, pyminidl as tf
    >>> model = tf.keras.Sequential([tf.keras.layers.Dropout(0.5, input_shape=(2,))])
    >>> model.predict(np.ones((1, 2)))
    array([[1., 1.]], dtype=float32)
    """

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
    """Flattens each sample's features to one axis; the batch axis is kept.

    Args:
        data_format: accepted for Keras' signature (channels last).
        **kwargs: `name`, `input_shape`, `trainable`.

    Examples:

    >>> import numpy as np, pyminidl as tf
    >>> model = tf.keras.Sequential([tf.keras.layers.Flatten(input_shape=(2, 3)),
    ...                              tf.keras.layers.Dense(1, kernel_initializer="ones")])
    >>> model.layers[0].output_shape, model.predict(np.ones((1, 2, 3)))
    ((None, 6), array([[6.]], dtype=float32))
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def _spec(self):
        return "flatten", {}
