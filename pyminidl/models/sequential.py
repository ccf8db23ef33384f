"""Sequential: a linear stack of layers, the chain case of the C++ graph."""

import numpy as np

from pyminidl import _check, _guard
from pyminidl.layers import Flatten, InputLayer, Layer, KerasTensor, deserialize, serialize
from pyminidl.models.model import Model


class Sequential(Model):
    """A linear stack of layers, each feeding the next, trained by pyminidl's C++ core.

    As `tf.keras.Sequential`: build it from a list of layers (or with `add`), `compile` it with an optimizer,
    a loss and metrics, then `fit`, `evaluate` and `predict` on NumPy arrays. The model is built (its weights
    created) as soon as the input shape is known: from `input_shape=` on the first layer, an `Input`, `build`,
    or the first data it sees.

    Args:
        layers: a list of layers to add, in order. Defaults to none (use `add`).
        name: the model's name. Defaults to a unique `sequential`, `sequential_1`, ...
        trainable: whether `fit` updates the weights.

    Raises:
        ValueError: if `name` is not a non-empty string.
        TypeError: if an entry of `layers` is not a layer.

    Examples:

    >>> import numpy as np, pyminidl as tf
    >>> tf.keras.utils.set_random_seed(1)
    >>> model = tf.keras.Sequential([tf.keras.layers.Dense(8, activation="relu", input_shape=(4,)),
    ...                              tf.keras.layers.Dense(1)])
    >>> model.compile(optimizer="adam", loss="mse")
    >>> history = model.fit(np.ones((32, 4)), np.ones(32), epochs=2, verbose=0)
    >>> model.predict(np.ones((3, 4))).shape
    (3, 1)
    """

    def __init__(self, layers=None, name=None, trainable=True):
        self._init_model(name, trainable, "sequential")
        self._layers = []
        self._input_shape = None  # feature shape without the batch axis
        self._input_layer = None  # given as the first entry, or made at build (Keras 3 does the same)
        self.inputs = self.outputs = None  # the symbolic graph once built: Model(seq.input, layer.output)
        if layers is not None:
            if isinstance(layers, (Layer, KerasTensor)):
                layers = [layers]
            for layer in layers:
                self.add(layer)

    # --- structure --------------------------------------------------------------------------------
    @_guard.guarded("change")
    def add(self, layer):
        """Adds a layer on top of the stack.

        Args:
            layer: a layer instance such as `Dense(4)`, or an `Input(shape=...)` (layer or tensor) as the first entry.

        Raises:
            TypeError: if `layer` is not a layer.
            ValueError: if an `Input` comes after other layers, or the layer does not fit the previous output.
        """
        if isinstance(layer, KerasTensor) and isinstance(getattr(layer, "_keras_history", (None,))[0], InputLayer):
            layer = layer._keras_history[0]  # Sequential([keras.Input(shape=(4,)), ...])
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a layer such as Dense(4), got {layer!r}")
        if isinstance(layer, InputLayer):
            if self._layers:
                raise ValueError("An Input can only be the first entry of a Sequential model")
            self._input_shape = layer._declared_input_shape
            self._input_layer = layer
        else:
            if not self._layers and self._input_shape is None and layer._declared_input_shape is not None:
                self._input_shape = layer._declared_input_shape
            elif not self._layers and self._input_shape is None and layer.built and layer.input_shape:
                self._input_shape = tuple(layer.input_shape[1:])  # e.g. a Normalization layer after adapt()
            if any(existing is layer for existing in self._layers):
                raise ValueError(f"Layer '{layer.name}' is already in this model")
            self._layers.append(layer)
            if self._net is not None:  # rebuilt: the layers already built keep their weights (Layer._attach)
                self._drop_net()
                self._build(self._input_shape)
                return
        if self._input_shape is not None and self._can_build():
            self._build(self._input_shape)

    @_guard.guarded("change")
    def pop(self):
        """Removes the last layer; the remaining layers keep their weights.

        Raises:
            TypeError: if the model has no layers.
        """
        if not self._layers:
            raise TypeError("There are no layers in the model")
        layer = self._layers.pop()
        self._drop_net()
        if self._can_build() and self._input_shape is not None:
            self._build(self._input_shape)
        return layer

    def _can_build(self):
        """True once the layers compute something: Sequential([Flatten(input_shape=...), Dense(...)]) is
        built when the Dense arrives, not after the lone Flatten."""
        return any(not isinstance(layer, Flatten) for layer in self._layers)

    @property
    def layers(self):
        return list(self._layers)

    @_guard.guarded("change")
    def build(self, input_shape=None):
        """Create the weights for inputs of `input_shape` (with the batch axis, e.g. (None, 4))."""
        if input_shape is None:
            if self._input_shape is None:
                raise ValueError("build() needs an input_shape such as (None, 4) when no layer declares one")
            input_shape = (None,) + tuple(self._input_shape)
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 2:
            raise ValueError(f"input_shape must include the batch axis, e.g. (None, 4); got {input_shape!r}")
        features = tuple(input_shape)[1:]
        if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or not 0 < s <= _check.MAX_SIZE
               for s in features):
            raise ValueError(f"input_shape must be (None, positive integers...) such as (None, 4), "
                             f"got {tuple(input_shape)!r}")
        self._build(tuple(int(s) for s in features))

    def _build(self, feature_shape):
        if not self._layers:
            raise ValueError("The model has no layers: add at least one, e.g. Dense(1)")
        self._input_shape = tuple(feature_shape)
        if self._input_layer is None or self._input_layer._declared_input_shape != self._input_shape:
            self._input_layer = InputLayer(shape=self._input_shape)
        # The layers called on symbolic tensors: shape inference, and `model.input` / `layer.output` for
        # feature-extraction models, as Keras 3's Sequential builds a functional graph.
        x = self._input_layer.output
        for layer in self._layers:
            x = layer(x)
        self.inputs, self.outputs = [self._input_layer.output], [x]
        self._make_network([self._input_shape])

    def _ensure_built(self, x_shapes, name):
        if self._net is None:
            if len(x_shapes[0]) < 2:
                raise ValueError(f"{name}: expected a 2-D array (samples, features), got shape {tuple(x_shapes[0])}")
            self._build(tuple(x_shapes[0][1:]))

    def _input_specs(self):
        return [(self._input_name(), self._input_shape)]

    def _input_name(self):
        return self._input_layer.name if self._input_layer is not None else "input_layer"

    @property
    def input(self):
        return self.inputs[0] if self.inputs else super().input

    @property
    def output(self):
        return self.outputs[0] if self.outputs else super().output

    @property
    def input_names(self):
        return [self._input_name()]

    @property
    def output_names(self):
        return [self._layers[-1].name] if self._layers else []

    def _weight_prefix(self):
        return f"{self.name}/"

    def _emit_layers(self, plan, input_ids):
        node = input_ids[0]
        for layer in self._layers:
            node = layer._emit(plan, [node])
        return node

    # --- a Sequential used as a layer -----------------------------------------------------------------
    def _build_for_call(self, input_shape, as_list):
        if as_list:
            raise ValueError(f"Sequential model '{self.name}' takes one input, got a list of {len(input_shape)}")
        shape = tuple(input_shape)
        if self._net is None:
            self._build(shape)
        elif shape != self._input_shape:
            raise ValueError(f"Input 0 of model '{self.name}' is incompatible: it was built for input shape "
                             f"{self.input_shape}, but it received input shape {(None,) + shape}")

    @property
    def input_shape(self):
        return None if self._input_shape is None else (None,) + tuple(self._input_shape)

    @property
    def output_shape(self):
        return self._layers[-1].output_shape if self._layers and self._layers[-1].built else None

    # --- config -----------------------------------------------------------------------------------
    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "layers": [serialize(layer) for layer in self._layers],
                "build_input_shape": None if self._input_shape is None else [None] + list(self._input_shape)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A new, uncompiled model from get_config()'s dict; built when the config gives an input shape."""
        if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
            raise ValueError(f"config must be a dict from Sequential.get_config(), got {config!r:.200}")
        model = cls([deserialize(layer_config) for layer_config in config["layers"]], name=config.get("name"))
        build_input_shape = config.get("build_input_shape")
        if not model.built and build_input_shape is not None and model._layers:
            model.build(tuple(build_input_shape))
        return model
