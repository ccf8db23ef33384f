"""The core layers: Input, Dense, Activation, Dropout, Flatten. Python keeps their configuration; the numbers
live in C++."""

import math

import numpy as np

from pyminidl import _check, activations, constraints, initializers, regularizers
from pyminidl.backend import unique_name
from pyminidl.layers.base import Layer, _shape_arg
from pyminidl.layers.node import KerasTensor, Node


class InputLayer(Layer):
    """The entry of a model: holds no weights and computes nothing. Its `output` is the symbolic tensor
    that `keras.Input` returns; in a Sequential model it declares the input shape.

    Usually made by `Input(shape=...)`.

    Args:
        shape: the shape of one sample, without the batch axis, e.g. `(4,)`.
        batch_size: accepted for Keras' signature; any batch size is accepted.
        dtype: the input's dtype (a numeric type such as `"float32"` or `"int32"`). Defaults to float32.
        batch_shape: the shape with the batch axis, e.g. `(None, 4)` (as in saved configs).
        name: the layer's name. Defaults to a unique `input_layer`, `input_layer_1`, ...
        input_shape: Keras 2's spelling of `shape`; batch_input_shape: of `batch_shape`.

    Raises:
        ValueError: if no shape is given, or it is not a tuple of positive integers, or `dtype` is not numeric.
        NotImplementedError: for `sparse`, `ragged` or `optional` inputs.
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, ragged=None, batch_shape=None,
                 name=None, input_shape=None, batch_input_shape=None, optional=False, **kwargs):
        # shape (Keras 3), input_shape (Keras 2), batch_shape / batch_input_shape (configs, with the batch axis)
        batch_shape = batch_shape if batch_shape is not None else batch_input_shape
        if shape is None and input_shape is None and batch_shape is not None:
            if not isinstance(batch_shape, (list, tuple)) or len(batch_shape) < 2:
                raise ValueError(f"batch_shape must include the batch axis, e.g. (None, 4); got {batch_shape!r}")
            shape = tuple(batch_shape)[1:]
        shape = shape if shape is not None else input_shape
        if shape is None:
            raise ValueError("Input needs a shape, e.g. Input(shape=(4,))")
        for arg, value in (("sparse", sparse), ("ragged", ragged), ("optional", optional)):
            if value:
                raise NotImplementedError(f"Input({arg}=True) is not supported by pyminidl")
        super().__init__(name=name or unique_name("input_layer"), input_shape=shape, **kwargs)
        self.dtype = _dtype_arg(dtype)
        self._build(self._declared_input_shape)
        Node(self, [], [KerasTensor(self.output_shape, self.dtype, self.name, history=(self, 0, 0))], as_list=False)

    def __call__(self, inputs, training=None, **kwargs):
        raise TypeError(f"InputLayer '{self.name}' is not called on data: use its tensor, keras.Input(...), as the "
                        "input of the next layer")

    def get_config(self):
        return {"batch_shape": [None, *self._declared_input_shape], "dtype": self.dtype, "sparse": False,
                "ragged": False, "name": self.name, "optional": False}


def _dtype_arg(dtype):
    if dtype is None:
        return "float32"
    try:
        kind = np.dtype(dtype)
    except TypeError:
        kind = None
    if kind is None or not (np.issubdtype(kind, np.number) or kind == bool):
        raise ValueError(f"dtype must be a numeric type such as 'float32' or 'int32', got {dtype!r}")
    return kind.name


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None, tensor=None,
          optional=False, **kwargs):
    """Returns the symbolic tensor a model starts from (as `keras.Input`); its batch axis is None.

    Args:
        shape: the shape of one sample, without the batch axis, e.g. `(4,)`.
        batch_size: accepted for Keras' signature; any batch size is accepted.
        dtype: the input's dtype, e.g. `"int32"` for an `Embedding`'s indices. Defaults to float32.
        sparse: accepted for Keras' signature; only a false value is supported.
        batch_shape: the shape with the batch axis, e.g. `(None, 4)`.
        name: the input layer's name.
        tensor: accepted for Keras' signature; only None is supported.
        optional: accepted for Keras' signature; only False is supported.
        **kwargs: passed to `InputLayer`.

    Returns:
        A `KerasTensor` of shape `(None, *shape)`: the input of a functional `Model(inputs, outputs)`, or the
        first entry of a `Sequential` model.

    Raises:
        ValueError: if `shape` is missing or not a tuple of positive integers.
        NotImplementedError: for `tensor`, `sparse` or `optional` inputs.

    Examples:

    >>> import pyminidl as tf
    >>> model = tf.keras.Sequential([tf.keras.Input(shape=(4,)), tf.keras.layers.Dense(2)])
    >>> model.count_params()
    10
    >>> tf.keras.Input(shape=(4,), name="a").shape
    (None, 4)
    """
    if tensor is not None:
        raise NotImplementedError("Input(tensor=...) is not supported by pyminidl")
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse, batch_shape=batch_shape,
                      name=name, optional=optional, **kwargs).output


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
        self.kernel_regularizer = regularizers.get(kernel_regularizer, "kernel_regularizer")
        self.bias_regularizer = regularizers.get(bias_regularizer, "bias_regularizer")
        self.kernel_constraint = constraints.get(kernel_constraint, "kernel_constraint")
        self.bias_constraint = constraints.get(bias_constraint, "bias_constraint")
        self.activity_regularizer = regularizers.get(activity_regularizer, "activity_regularizer")
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

    def _weight_rules(self):
        """[(weight index, regularizer, constraint)] for the weights that have either."""
        rules = [(0, self.kernel_regularizer, self.kernel_constraint)]
        if self.use_bias:
            rules.append((1, self.bias_regularizer, self.bias_constraint))
        return [r for r in rules if r[1] is not None or r[2] is not None]

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
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint)}


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

    _training_dependent = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        self.rate = _check.number("rate", rate, 0.0, 1.0, high_open=True)
        if noise_shape is not None:
            raise NotImplementedError(f"Dropout(noise_shape=...) is not supported by pyminidl, got {noise_shape!r}")
        self.seed = seed
        super().__init__(**kwargs)

    def _spec(self):
        return "dropout", {"rate": self.rate}

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
        return (math.prod(input_shape),)  # Python ints: no int64 wrap (Layer._build checks the size)

    def _spec(self):
        return "flatten", {}
