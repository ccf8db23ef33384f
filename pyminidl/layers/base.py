"""The layer base class and the one registry of layer classes (filled as each class is defined)."""

import numpy as np

from pyminidl import _check
from pyminidl.backend import snake_case, unique_name
from pyminidl.layers import eager
from pyminidl.layers.node import call_symbolic, is_symbolic
from pyminidl.variables import Variable

# How many times any layer's weights moved to another network (_attach). A model whose layers were all its
# own when this count was last seen still owns them all, so predict() can skip the per-layer check.
attach_count = 0


# Every Layer subclass, by class name: what deserialize() and the file readers resolve names against.
# Filled by Layer.__init_subclass__, so a new layer is registered by defining it, in its own file.
REGISTRY: dict = {}


class Layer:
    """Base class: a name, an optional declared input shape, and weights once built."""

    _takes_list = False  # True for layers called on a list of tensors (merge layers)
    # True for layers that compute differently in training (Dropout, BatchNormalization): their mode follows
    # fit()/predict(), so a call fixing it (`layer(x, training=False)` on symbolic tensors) is refused.
    _training_dependent = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_"):
            REGISTRY[cls.__name__] = cls

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
        self._owner = None  # the C++ network whose buffers self._weights view (see _attach)
        self._inbound_nodes = []  # one Node per call on symbolic tensors (layers/node.py)
        self.built = False
        self.input_shape = None
        self.output_shape = None

    def __call__(self, inputs, training=None, **kwargs):
        """On keras.Input / layer outputs: records a node and returns a symbolic tensor (functional API).
        On arrays: computes the layer's output now, in inference mode, as a float32 NumPy array."""
        if kwargs:
            raise TypeError(f"Layer '{self.name}' was called with unsupported arguments {sorted(kwargs)}")
        if is_symbolic(inputs):
            return call_symbolic(self, inputs, training)
        return eager.call(self, inputs, training)

    # Shape inference: input feature shape (without the batch axis) -> output feature shape.
    def compute_output_shape(self, input_shape):
        return input_shape

    def _build(self, input_shape):
        # Sizes reach C++ as 32-bit ints: a product past the limit is an error here, never a wrapped int64.
        _check.shape_size(f"Layer '{self.name}': input shape", input_shape)
        output_shape = tuple(self.compute_output_shape(tuple(input_shape)))
        _check.shape_size(f"Layer '{self.name}': output shape", output_shape)
        self.input_shape = (None,) + tuple(input_shape)
        self.output_shape = (None,) + output_shape
        self.built = True

    @property
    def output(self):
        """The symbolic tensor this layer returned when last called on symbolic tensors (Model(..., outputs=))."""
        if not self._inbound_nodes:
            raise AttributeError(f"Layer '{self.name}' has never been called and thus has no defined output.")
        return self._inbound_nodes[-1].output_tensors[0]

    @property
    def input(self):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer '{self.name}' has never been called and thus has no defined input.")
        node = self._inbound_nodes[-1]
        return list(node.input_tensors) if node.as_list else node.input_tensors[0]

    def _build_for_call(self, input_shape, as_list):
        """Build for a call on tensors of `input_shape` (feature dims; a list of them when as_list)."""
        if as_list:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) takes one input, got a list of "
                             f"{len(input_shape)} tensors")
        shape = tuple(input_shape)
        if self._weights and self.input_shape is not None and tuple(self.input_shape[1:]) != shape:
            raise ValueError(f"Input 0 of layer '{self.name}' is incompatible with the layer: its weights were "
                             f"built for input shape {self.input_shape}, but it received input shape "
                             f"{(None,) + shape}")
        self._build(shape)

    def _depends_on_training(self):
        return self._training_dependent

    def _emit(self, plan, input_ids):
        """Add this layer to a network being planned (models/model.py, _Plan); returns its output's node id."""
        return plan.add(self, input_ids)

    def _spec(self):
        """The C++ description of this layer, (kind, attrs) as cpp/layers/ registers it, or None when it
        computes nothing (a linear Activation)."""
        return None

    def _initial_weights(self):
        return []

    activity_regularizer = None  # a penalty of the layer's output (Dense's argument): a C++ layer after it

    def _weight_rules(self):
        """[(weight index, regularizer or None, constraint or None)]: penalties and constraints (Dense's)."""
        return []

    def _attach(self, params, owner, path_prefix=""):
        """Point this layer's Variables at `params`, [(name, view, trainable)] from owner.layer_weights(j).

        A layer's weights live in one C++ network at a time. A layer that already has weights of these shapes
        (built by another model, or a nested model's layer) keeps its values: they are copied into the new
        buffers and the same Variable objects now view them, so references users hold stay live. Otherwise
        the initializers write the initial values."""
        old = self._weights
        if len(old) == len(params) and all(var.shape == view.shape for var, (_, view, _) in zip(old, params)):
            for var, (_, view, trainable) in zip(old, params):
                view[...] = var.value
                var._value = view
                var.trainable = trainable  # frozen or not, as this network holds it
        else:
            self._weights = [Variable(view, f"{self.name}/{name}:0", f"{path_prefix}{self.name}/{name}", trainable)
                             for name, view, trainable in params]
            for var, value in zip(self._weights, self._initial_weights()):
                var.assign(value)
        self._owner = owner
        global attach_count
        attach_count += 1

    def _weight_names(self):
        return []

    @property
    def weights(self):
        return list(self._weights)

    @property
    def trainable_weights(self):
        return [w for w in self._weights if w.trainable] if self.trainable else []

    @property
    def non_trainable_weights(self):
        return [w for w in self._weights if not w.trainable] if self.trainable else list(self._weights)

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
    shape = tuple(int(s) for s in shape)
    _check.shape_size(name, shape)
    return shape


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
