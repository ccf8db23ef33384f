"""Model: what Sequential and functional models share — weights in one C++ network, compile, the Layer API
(a model is a layer: it can be called inside another model), saving. fit/evaluate/predict come from the
Trainer mixin (models/trainer.py); the structure (a stack, a graph) from the subclasses.

`keras.Model(inputs=..., outputs=...)` returns a Functional model (models/functional.py), as in Keras.

Weights: a layer's weights live in one C++ network at a time, the network of the model that last ran it.
A model built from layers that already have weights (a nested model, layers shared between an autoencoder
and its encoder) copies their current values into its own network and takes them over (Layer._attach);
before it runs again, a model takes back the weights another model has taken (_take_weights). So every model
always computes with the latest values, whichever model trained them, and `layer.weights` views the latest
ones. Each model keeps its own optimizer state.
"""

import json
import warnings

import numpy as np

from pyminidl import _check, _core, _guard, losses, metrics as metrics_module, onnx as onnx_export, optimizers
from pyminidl import saving
from pyminidl.backend import unique_name
from pyminidl.constraints import weight_rule
from pyminidl.keras2_methods import Keras2Methods
from pyminidl.layers import REGISTRY, Layer, _set_weights, base, serialize
from pyminidl.layers.node import call_symbolic, is_symbolic
from pyminidl.models.trainer import Trainer
from pyminidl.summary import summary_lines
from pyminidl.tensor import as_tensor


class Model(Keras2Methods, Trainer, Layer):
    """Base of Sequential and Functional. `Model(inputs, outputs, name=None)` builds a functional model."""

    _is_model = True  # what modules that must not import models (summary) test

    def __new__(cls, *args, **kwargs):
        if cls is Model:
            cls = REGISTRY["Functional"]  # registered by defining it (models/functional.py)
        return object.__new__(cls)

    def __init__(self, *args, **kwargs):
        # Reached only by subclasses of Model that users write (Sequential and Functional have their own).
        raise NotImplementedError(f"{type(self).__name__}: subclassing keras.Model (a model defined by its call() "
                                  "method) is not supported by pyminidl; use keras.Model(inputs=..., outputs=...) "
                                  "or Sequential")

    def _init_model(self, name, trainable, default_name):
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"name must be a non-empty string, got {name!r}")
        self.name = name or unique_name(default_name)
        self.trainable = trainable
        self._inbound_nodes = []
        self._weights = []
        self._owner = None
        self._net = None
        self._net_layers = []  # the layer behind each C++ layer of _net, in network order
        self._attach_seen = -1  # base.attach_count when _take_weights last found every layer ours
        self._net_frozen = []  # _frozen_layers() when _net was built
        self.optimizer = None
        self.loss = None
        self._metric_specs = []
        self._metric_keys = []
        self.compiled = False
        self.stop_training = False
        self.history = None

    # --- structure (subclasses: layers, _emit, _input_specs, _ensure_built, input/output shapes) ---------
    def get_layer(self, name=None, index=None):
        """A layer by name or by index into model.layers (Keras 3's rules and messages)."""
        if index is not None and name is not None:
            raise ValueError(f"Provide only a layer name or a layer index. Received: index={index}, name={name}.")
        layers = self.layers
        if index is not None:
            index = _check.integer("index", index)
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only has "
                                 f"{len(layers)} layers.")
            return layers[index]
        if name is not None:
            for layer in layers:
                if layer.name == name:
                    return layer
            raise ValueError(f"No such layer: {name}. Existing layers are: {[layer.name for layer in layers]}.")
        raise ValueError("Provide either a layer name or layer index at `get_layer`.")

    def _frozen_layers(self):
        """Names of the layers with weights that trainable=False freezes (nested models included)."""
        out = []
        for layer in self.layers:
            if getattr(layer, "_is_model", False):
                out += [f"{layer.name}/{n}" for n in layer._frozen_layers()] if layer.trainable else (
                    [layer.name] if layer.weights else [])
            elif not layer.trainable and layer.weights:
                out.append(layer.name)
        return out if self.trainable else ([self.name] if self.weights else [])

    @property
    def _declared_input_shape(self):
        """The feature shape a model gives a Sequential it starts (Sequential([base_model, Dense(1)]))."""
        specs = self._input_specs()
        return specs[0][1] if len(specs) == 1 else None

    @property
    def built(self):
        return self._net is not None

    def _leaf_layers(self):
        """The layers that hold weights or compute, nested models expanded, in network order."""
        out = []
        for layer in self.layers:
            out += layer._leaf_layers() if isinstance(layer, Model) else [layer]
        return out

    # --- the C++ network ------------------------------------------------------------------------------
    def _make_network(self, input_shapes):
        """Build this model's C++ network for inputs of these feature shapes and attach the weights."""
        plan = _Plan(len(input_shapes))
        self._emit(plan, list(range(len(input_shapes))))
        if not plan.layers:
            raise ValueError(f"Model '{self.name}' computes nothing: add a layer such as Dense(1)")
        seed = int(np.random.randint(0, 2**62, dtype=np.int64))
        net = _core.Network(plan.layers, [tuple(s) for s in input_shapes], seed)
        prefix = self._weight_prefix()
        rules, first = [], 0  # penalties and constraints, by the tensor's index in the whole network
        for j, layer in enumerate(plan.owners):
            params = net.layer_weights(j)
            if layer is not None:  # None: an activity_regularization entry (no weights)
                layer._attach(params, net, prefix)
                rules += [weight_rule(first + k, reg, con) for k, reg, con in layer._weight_rules()]
            first += len(params)
        if rules:
            net.set_weight_rules(rules)
        self._drop_net()  # this model's own optimizer moves to the new network
        self._net, self._net_layers = net, plan.owners
        self._net_frozen = self._frozen_layers()
        if self.compiled:
            self._configure()

    def _drop_net(self):
        """Forget the network before a rebuild; the optimizer it held moves to the new one with the model
        (else compile would warn that it is used by another model)."""
        if self.optimizer is not None and self._net is not None and self.optimizer._network is self._net:
            self.optimizer._network = None
        self._net = None

    def _sync_trainable(self):
        """Rebuild the network when `trainable` flags changed since it was built: frozen weights live apart
        from the ones the optimizer updates (C++ Layer::freeze). As a recompile in Keras, the optimizer state
        starts again; the weights keep their values."""
        if self._net is not None and self._frozen_layers() != self._net_frozen:
            self._make_network(self._net.input_shapes)

    def _weight_prefix(self):
        return ""

    def _take_weights(self):
        """Take back the weights another model's network took over since this model last ran (module doc)."""
        if self._attach_seen == base.attach_count:
            return  # no layer anywhere moved since all of ours were ours (a new _net attaches, so counts)
        net = self._net
        for j, layer in enumerate(self._net_layers):
            if layer is not None and layer._owner is not net:
                layer._attach(net.layer_weights(j), net)
        self._attach_seen = base.attach_count

    def _emit(self, plan, input_ids):
        """This model's layers into a network being planned: its own, or an outer model's (inlined there).
        A model with trainable=False freezes all its layers."""
        plan.frozen += not self.trainable
        try:
            return self._emit_layers(plan, input_ids)
        finally:
            plan.frozen -= not self.trainable

    def _emit_layers(self, plan, input_ids):
        raise NotImplementedError  # Sequential and Functional define it

    # --- a model used as a layer ------------------------------------------------------------------------
    def __call__(self, inputs, training=None, **kwargs):
        """On symbolic tensors: this model as a layer of a functional model. On arrays: predict(inputs)."""
        if kwargs:
            raise TypeError(f"Model '{self.name}' was called with unsupported arguments {sorted(kwargs)}")
        if is_symbolic(inputs):
            return call_symbolic(self, inputs, training)
        if training:
            raise NotImplementedError(f"Model '{self.name}' was called on arrays with training=True: pyminidl "
                                      "computes outside fit() in inference mode only")
        return as_tensor(self.predict(inputs))  # a Tensor (an ndarray with .numpy()), like tf.keras

    def compute_output_shape(self, input_shape):
        return tuple(self.output_shape[1:])

    def _depends_on_training(self):
        return any(layer._depends_on_training() for layer in self.layers)

    # --- weights ----------------------------------------------------------------------------------
    @property
    def weights(self):
        return [w for layer in self.layers for w in layer.weights]

    variables = weights

    @property
    def trainable_weights(self):
        return [w for layer in self.layers for w in layer.trainable_weights] if self.trainable else []

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        return [w for layer in self.layers for w in layer.non_trainable_weights]

    @property
    def losses(self):
        """The weight penalties at the current weights, one scalar Tensor per regularized weight (Keras'
        model.losses); training adds their sum to the loss."""
        return [reg(var.numpy()) for layer in self._leaf_layers() for k, reg, _ in layer._weight_rules()
                if reg is not None and layer.weights for var in [layer.weights[k]]]

    def get_weights(self):
        return [w.numpy() for w in self.weights]

    @_guard.guarded("evaluate")  # the structure must not change under it
    def set_weights(self, weights):
        _set_weights(self.weights, weights, f"Model {self.name}")

    def count_params(self):
        if self._net is None:
            raise ValueError(f"You tried to call count_params on model '{self.name}', but it is not built yet. "
                             "Build it first (give the first layer an input_shape, or call build()/fit()).")
        return int(sum(layer.count_params() for layer in self.layers))

    # --- compile ----------------------------------------------------------------------------------
    @_guard.guarded("change")
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None, weighted_metrics=None,
                run_eagerly=None, steps_per_execution=None, jit_compile=None, **kwargs):
        """Configures the model for training.

        Args:
            optimizer: a name (`"adam"`, `"sgd"`, ...) or an optimizer instance. Defaults to `"rmsprop"`.
            loss: a name (`"mse"`, `"sparse_categorical_crossentropy"`, ...), a loss function of
                `pyminidl.losses` or a `Loss` instance.
            metrics: a list of names (`"accuracy"`, `"mae"`, ...) or metric instances, reported by `fit`
                and `evaluate` after the loss.
            loss_weights: accepted for Keras' signature; only None is supported.
            weighted_metrics: accepted for Keras' signature; only None is supported.
            run_eagerly: accepted and ignored: every epoch runs in C++.
            steps_per_execution: accepted and ignored.
            jit_compile: accepted and ignored.

        Raises:
            ValueError: for an unknown optimizer, loss or metric name, or a loss that does not fit the output.
            TypeError: for unexpected keyword arguments.
            NotImplementedError: for `loss_weights` or `weighted_metrics`.
        """
        if kwargs:
            raise TypeError(f"compile() got unexpected keyword arguments: {sorted(kwargs)}")
        if loss_weights is not None or weighted_metrics:
            raise NotImplementedError("loss_weights and weighted_metrics are not supported by pyminidl")
        opt = optimizers.get(optimizer)
        loss_obj = losses.get(loss)
        if metrics is None:
            metrics = []
        if isinstance(metrics, (str, dict)) or not isinstance(metrics, (list, tuple)):
            raise TypeError(f"metrics must be a list such as ['accuracy'], got {metrics!r}")
        for m in metrics:  # names are checked now, resolved against the output shape at build
            metrics_module.resolve(m, loss_obj, 2 if not isinstance(m, str) or m.lower() not in ("accuracy", "acc")
                                   else 1)
        self.optimizer, self.loss, self._metric_specs = opt, loss_obj, list(metrics)
        self.compiled = True
        if self._net is not None and self._frozen_layers() != self._net_frozen:
            self._make_network(self._net.input_shapes)  # configures it
        elif self._net is not None:
            self._configure()

    def _configure(self):
        if len(self.output_shape) != 2:
            raise ValueError(f"pyminidl trains models with 1-D outputs per sample; this model outputs "
                             f"{self.output_shape}: end it with Flatten, a global pooling layer or Dense")
        out_dim = self.output_shape[-1]
        if isinstance(self.loss, losses.SparseCategoricalCrossentropy) and out_dim < 2:
            raise ValueError("sparse_categorical_crossentropy needs a model with at least 2 output units, "
                             f"got {out_dim}")
        resolved = [metrics_module.resolve(m, self.loss, out_dim) for m in self._metric_specs]
        self._metric_keys = [key for key, _ in resolved]
        if len(set(self._metric_keys)) != len(self._metric_keys):
            raise ValueError(f"metrics contain duplicates: {self._metric_specs!r}")
        if self.optimizer._network is not None and self.optimizer._network is not self._net:
            warnings.warn("This optimizer object is already used by another model; pyminidl gives each model "
                          "its own optimizer state", UserWarning, stacklevel=3)
        self._net.compile(self.loss._config(), [code for _, code in resolved], self.optimizer._config())
        self.optimizer._network = self._net

    @property
    def metrics_names(self):
        return ["loss"] + list(self._metric_keys)

    # --- reporting and files ------------------------------------------------------------------------
    def summary(self, line_length=None, positions=None, print_fn=None, **kwargs):
        """Prints Keras' table of the layers: name and type, output shape, parameter counts.

        Args:
            line_length: the table's width.
            positions: the column boundaries (fractions or positions).
            print_fn: called with each line instead of `print`.

        Raises:
            ValueError: if the model is not built yet.
        """
        if self._net is None:
            raise ValueError("This model has not yet been built. Build the model first by calling `build()` or "
                             "by calling `fit()` with some data, or specify an `input_shape` argument in the "
                             "first layer(s) for automatic build.")
        print_fn = print_fn or print
        for line in summary_lines(self, line_length, positions):
            print_fn(line)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """keras.Model.from_config(config): a functional model (Sequential and Functional define their own)."""
        return REGISTRY["Functional"].from_config(config, custom_objects)

    def to_json(self, **kwargs):
        return json.dumps(serialize(self), **kwargs)

    # --- files (pyminidl/saving/: Keras' own formats, docs/files.md) -----------------------------------
    @_guard.guarded("evaluate")  # reads weights of a structure nothing may change meanwhile
    def save(self, filepath, overwrite=True, include_optimizer=True, **kwargs):
        """Saves the architecture, weights, compile configuration and optimizer state to a file.

        Args:
            filepath: the file's path, ending in `.keras` (Keras 3's zip) or `.h5` (Keras 2's HDF5 layout).
            overwrite: whether an existing file may be replaced.
            include_optimizer: whether the optimizer's state is written too.

        Raises:
            FileExistsError: if the file exists and `overwrite` is False. TypeError: for unexpected arguments.
        """
        if kwargs:
            raise TypeError(f"save() got unexpected keyword arguments: {sorted(kwargs)}")
        saving.save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    @_guard.guarded("evaluate")  # reads weights of a structure nothing may change meanwhile
    def save_weights(self, filepath, overwrite=True):
        """The layer weights to '.weights.h5' (Keras 3 layout) or another '.h5' name (Keras 2 layout)."""
        saving.save_weights(self, filepath, overwrite=overwrite)

    @_guard.guarded("change")  # it writes the weights (and optimizer state) training and evaluation use
    def load_weights(self, filepath, skip_mismatch=False):
        """Layer weights from a '.weights.h5', '.keras' or '.h5' file (pyminidl's or Keras')."""
        saving.load_weights(self, filepath, skip_mismatch=skip_mismatch)

    @_guard.guarded("evaluate")  # reads weights of a structure nothing may change meanwhile
    def export(self, filepath, format="tf_saved_model", verbose=True, **kwargs):
        """An inference artifact: format='onnx' writes an ONNX model (needs `pip install pyminidl[onnx]`)."""
        if format != "onnx":
            raise ValueError(f"export: pyminidl writes format='onnx' only (TensorFlow's SavedModel needs "
                             f"TensorFlow), got format={format!r}")
        onnx_export.export(self, filepath, **kwargs)
        if verbose:
            print(f"Saved artifact at '{filepath}'.")

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


class _Plan:
    """The C++ network's layer list as it is emitted: (kind, input node ids, attrs) and the layer behind
    each. Node ids 0..I-1 are the model inputs, I + j the output of layer j (GRAPH_API contract)."""

    def __init__(self, num_inputs):
        self.num_inputs = num_inputs
        self.layers = []
        self.owners = []
        self.kinds = []  # each entry's C++ kind (an activity_regularization entry has owner None)
        self.frozen = 0  # > 0 while emitting the layers of a model with trainable=False

    def add(self, layer, input_ids):
        if layer in self.owners and layer._weight_names():
            raise NotImplementedError(f"Layer '{layer.name}' is used twice in one model: pyminidl does not share a "
                                      "layer's weights between two places of a network (use two layers)")
        spec = layer._spec()
        if spec is None:  # a layer that changes nothing (e.g. a linear Activation)
            return input_ids[0]
        kind, attrs = spec
        if layer._weight_names() and (self.frozen or not layer.trainable):
            attrs = {**attrs, "trainable": 0}  # its weights stay out of the optimizer's reach
        self.layers.append((kind, list(input_ids), attrs))
        self.owners.append(layer)
        self.kinds.append(kind)
        out = self.num_inputs + len(self.layers) - 1
        reg = getattr(layer, "activity_regularizer", None)
        if reg is not None:  # penalises the layer's output: an identity the training loop asks for its penalty
            self.layers.append(("activity_regularization", [out], {"l1": reg.l1, "l2": reg.l2}))
            self.owners.append(None)
            self.kinds.append("activity_regularization")
            out += 1
        return out
