"""Activation layers by class, as tutorials write them: Softmax, ReLU, LeakyReLU, ELU, and PReLU (trainable slope).

Each is the Activation layer with one of the C++ activations (cpp/activations.cpp), configured with
Keras' arguments and config keys; argument combinations no C++ activation computes are refused by name.
"""

from pyminidl import _check, _core, initializers
from pyminidl.layers.base import Layer
from pyminidl.layers.core import Activation
from pyminidl.layers.eager import EagerCall


class _ActivationLayer(EagerCall, Activation):
    """Activation with a fixed C++ activation code and slope (`alpha`); subclasses keep their own config."""

    def __init__(self, act_name, act, alpha, **kwargs):
        Layer.__init__(self, **kwargs)
        self.activation_name, self._act, self._alpha = act_name, act, alpha

    def get_config(self):
        return Layer.get_config(self)


class Softmax(_ActivationLayer):
    """softmax over the last axis: exp(x - max) / sum."""

    def __init__(self, axis=-1, **kwargs):
        if axis not in (-1, 1) or isinstance(axis, bool):
            raise NotImplementedError(f"Softmax(axis=...) works on the last axis of 1-D features here "
                                      f"(axis=-1), got axis={axis!r}")
        self.axis = axis
        super().__init__("softmax", _core.Act.softmax, 0.0, **kwargs)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class ReLU(_ActivationLayer):
    """Keras' ReLU layer: max_value if x >= max_value; x if threshold <= x; negative_slope * (x - threshold).

    The C++ core computes three cases of it: relu (the defaults), relu6 (max_value=6) and leaky relu
    (negative_slope > 0); other combinations raise NotImplementedError.
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        if max_value is not None:
            max_value = _check.number("max_value", max_value)
            if max_value < 0:
                raise ValueError(f"max_value of a ReLU layer cannot be a negative value. Received: {max_value}")
        negative_slope = _check.number("negative_slope", negative_slope)
        threshold = _check.number("threshold", threshold)
        if negative_slope < 0:
            raise ValueError(f"negative_slope of a ReLU layer cannot be a negative value. Received: "
                             f"{negative_slope}")
        if threshold < 0:
            raise ValueError(f"threshold of a ReLU layer cannot be a negative value. Received: {threshold}")
        if threshold == 0 and negative_slope == 0 and max_value is None:
            act, alpha = _core.Act.relu, 0.0
        elif threshold == 0 and negative_slope == 0 and max_value == 6:
            act, alpha = _core.Act.relu6, 0.0
        elif threshold == 0 and max_value is None:
            act, alpha = _core.Act.leaky_relu, negative_slope
        else:
            raise NotImplementedError(
                f"ReLU(max_value={max_value}, negative_slope={negative_slope}, threshold={threshold}) is not "
                "supported by pyminidl; it computes ReLU(), ReLU(max_value=6) and ReLU(negative_slope=a)")
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold
        super().__init__(_core.Act(act).name, act, alpha, **kwargs)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}


class LeakyReLU(_ActivationLayer):
    """x if x >= 0 else negative_slope * x; default slope 0.3. `alpha` is Keras 2's name for the slope."""

    def __init__(self, negative_slope=0.3, alpha=None, **kwargs):
        if alpha is not None:
            negative_slope = alpha
        negative_slope = _check.number("negative_slope", negative_slope)
        if negative_slope < 0:
            raise ValueError("The negative_slope value of a Leaky ReLU layer cannot be None or negative value. "
                             f"Expected a float. Received: negative_slope={negative_slope}")
        self.negative_slope = negative_slope
        super().__init__("leaky_relu", _core.Act.leaky_relu, negative_slope, **kwargs)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(_ActivationLayer):
    """x if x > 0 else alpha * (exp(x) - 1); default alpha 1.0."""

    def __init__(self, alpha=1.0, **kwargs):
        self.alpha = _check.number("alpha", alpha)
        super().__init__("elu", _core.Act.elu, self.alpha, **kwargs)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class PReLU(EagerCall, Layer):
    """x if x >= 0 else alpha * x, with alpha a trainable weight of the input's shape (1 along `shared_axes`,
    counted as Keras counts them: 1 is the first feature axis); computed in cpp/layers/prelu.cpp."""

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        self.alpha_initializer = initializers.get(alpha_initializer, "alpha_initializer")
        for arg, value in (("alpha_regularizer", alpha_regularizer), ("alpha_constraint", alpha_constraint)):
            if value is not None:
                raise NotImplementedError(f"PReLU({arg}=...) is not supported by pyminidl, got {value!r}")
        if shared_axes is not None:
            shared_axes = [shared_axes] if isinstance(shared_axes, int) else list(shared_axes)
            shared_axes = [_check.integer("shared_axes", a, minimum=1) for a in shared_axes]
        self.shared_axes = shared_axes
        super().__init__(**kwargs)

    def _build(self, input_shape):
        for a in self.shared_axes or []:
            if a > len(input_shape):
                raise ValueError(f"PReLU shared_axes entries must be in [1, {len(input_shape)}] for inputs of shape "
                                 f"{(None,) + tuple(input_shape)}, got {self.shared_axes}")
        super()._build(input_shape)

    def _alpha_shape(self):
        shape = list(self.input_shape[1:])
        for a in self.shared_axes or []:
            shape[a - 1] = 1
        return tuple(shape)

    def _spec(self):
        return "prelu", ({"shared_axes": list(self.shared_axes)} if self.shared_axes else {})

    def _weight_names(self):
        return ["alpha"]

    def _initial_weights(self):
        return [self.alpha_initializer(self._alpha_shape())]

    @property
    def alpha(self):
        return self._weights[0] if self._weights else None

    def get_config(self):
        return {**super().get_config(), "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "shared_axes": self.shared_axes}
