"""BatchNormalization over the last axis, Keras 3's math (KERAS_REFERENCE §14): batch mean and biased
variance in training, moving statistics (momentum 0.99, epsilon 1e-3) in inference, weights in Keras'
order gamma, beta, moving_mean, moving_variance, the last two non-trainable. The numbers live in C++
(cpp/layers/batch_norm.*)."""

from pyminidl import _check, initializers
from pyminidl.layers.base import Layer


class BatchNormalization(Layer):
    """Normalizes each channel (the last axis) with the batch's statistics in training and the moving ones
    in inference; `layer.trainable = False` freezes gamma, beta and the moving statistics (inference mode)."""

    def __init__(self, axis=-1, momentum=0.99, epsilon=0.001, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 synchronized=False, **kwargs):
        if axis not in (-1, [-1], (-1,)):
            if not (isinstance(axis, int) and not isinstance(axis, bool)):
                raise TypeError(f"axis must be an integer, got {axis!r}")
        self.axis = axis if isinstance(axis, int) else -1
        self.momentum = _check.number("momentum", momentum, 0.0, 1.0)
        self.epsilon = _check.number("epsilon", epsilon, 0.0, low_open=True)
        self.center = _check.boolean("center", center)
        self.scale = _check.boolean("scale", scale)
        self.beta_initializer = initializers.get(beta_initializer, "beta_initializer")
        self.gamma_initializer = initializers.get(gamma_initializer, "gamma_initializer")
        self.moving_mean_initializer = initializers.get(moving_mean_initializer, "moving_mean_initializer")
        self.moving_variance_initializer = initializers.get(moving_variance_initializer,
                                                            "moving_variance_initializer")
        for arg, value in (("beta_regularizer", beta_regularizer), ("gamma_regularizer", gamma_regularizer),
                           ("beta_constraint", beta_constraint), ("gamma_constraint", gamma_constraint)):
            if value is not None:
                raise NotImplementedError(f"BatchNormalization({arg}=...) is not supported by pyminidl, got {value!r}")
        self.synchronized = _check.boolean("synchronized", synchronized)
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape):
        rank = len(input_shape) + 1
        if self.axis not in (-1, rank - 1):
            raise ValueError(f"BatchNormalization '{self.name}': pyminidl normalizes the last axis only "
                             f"(axis=-1, channels last), got axis={self.axis} for inputs of rank {rank}")
        return input_shape

    def _spec(self):
        return "batch_normalization", {"momentum": self.momentum, "epsilon": self.epsilon,
                                       "center": int(self.center), "scale": int(self.scale),
                                       "trainable": int(bool(self.trainable))}

    def _weight_names(self):
        return (["gamma"] if self.scale else []) + (["beta"] if self.center else []) + \
            ["moving_mean", "moving_variance"]

    def _initial_weights(self):
        c = (self.input_shape[-1],)
        return ([self.gamma_initializer(c)] if self.scale else []) + \
            ([self.beta_initializer(c)] if self.center else []) + \
            [self.moving_mean_initializer(c), self.moving_variance_initializer(c)]

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
                "beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None,
                "gamma_constraint": None, "synchronized": self.synchronized}
