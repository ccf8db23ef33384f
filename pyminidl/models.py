"""Sequential: the Keras model API over one C++ network that owns every trained number."""

import math
import time
import warnings

import numpy as np

from pyminidl import _check, _core, callbacks as callbacks_module, data, losses, metrics as metrics_module
from pyminidl import onnx as onnx_export, optimizers, progress, saving
from pyminidl.backend import unique_name
from pyminidl.layers import Flatten, InputLayer, Layer, _set_weights
from pyminidl.summary import summary_lines
from pyminidl.training import Trainer

_PREDICT_BATCH = 256  # rows per forward pass when predict() is not given a batch size


class Sequential:
    """A linear stack of layers: `Sequential([Dense(8, activation='relu'), Dense(1)])`."""

    def __init__(self, layers=None, name=None, trainable=True):
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"name must be a non-empty string, got {name!r}")
        self.name = name or unique_name("sequential")
        self.trainable = trainable
        self._layers = []
        self._input_shape = None  # feature shape without the batch axis
        self._net = None
        self.optimizer = None
        self.loss = None
        self._metric_specs = []
        self._metric_keys = []
        self.compiled = False
        self.stop_training = False
        self.history = None
        if layers is not None:
            if isinstance(layers, Layer):
                layers = [layers]
            for layer in layers:
                self.add(layer)

    # --- structure --------------------------------------------------------------------------------
    def add(self, layer):
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a layer such as Dense(4), got {layer!r}")
        if isinstance(layer, InputLayer):
            if self._layers:
                raise ValueError("An Input can only be the first entry of a Sequential model")
            self._input_shape = layer._declared_input_shape
        else:
            if not self._layers and self._input_shape is None and layer._declared_input_shape is not None:
                self._input_shape = layer._declared_input_shape
            if any(existing is layer for existing in self._layers):
                raise ValueError(f"Layer '{layer.name}' is already in this model")
            kept = self.get_weights() if self._net is not None else None
            self._layers.append(layer)
            if kept is not None:
                self._net = None
                self._build(self._input_shape)
                self._assign_prefix(kept)
                return
        if self._input_shape is not None and self._can_build():
            self._build(self._input_shape)

    def pop(self):
        if not self._layers:
            raise TypeError("There are no layers in the model")
        kept = self.get_weights() if self._net is not None else None
        layer = self._layers.pop()
        self._net = None
        if self._can_build() and self._input_shape is not None:
            self._build(self._input_shape)
            if kept is not None:
                self._assign_prefix(kept)
        return layer

    def _can_build(self):
        """True once the layers compute something: Sequential([Flatten(input_shape=...), Dense(...)]) is
        built when the Dense arrives, not after the lone Flatten."""
        return any(not isinstance(layer, Flatten) for layer in self._layers)

    def _assign_prefix(self, kept):
        for var, value in zip(self.weights, kept):
            if var.shape == value.shape:
                var.value[...] = value

    @property
    def layers(self):
        return list(self._layers)

    def get_layer(self, name=None, index=None):
        if index is not None:
            return self._layers[_check.integer("index", index)]
        for layer in self._layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name!r}. Existing layers are: {[l.name for l in self._layers]}")

    @property
    def built(self):
        return self._net is not None

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
        shape = self._input_shape
        for layer in self._layers:
            layer._build(shape)
            shape = layer.output_shape[1:]
        specs = []  # the chain: each layer reads the node before it (0: the model input)
        for layer in self._layers:
            spec = layer._spec()
            if spec is not None:
                specs.append((spec[0], [len(specs)], spec[1]))
        if all(kind == "flatten" for kind, _, _ in specs) or len(self.output_shape) != 2:
            raise ValueError("A Sequential model here needs at least one Dense layer and 1-D outputs")
        seed = int(np.random.randint(0, 2**62, dtype=np.int64))
        self._net = _core.Network(specs, [self._input_shape], seed)
        views = self._net.weights()
        for layer in self._layers:
            count = len(layer._weight_names())
            layer._attach(views[:count], self.name)
            for var, value in zip(layer.weights, layer._initial_weights()):
                var.assign(value)
            views = views[count:]
        if self.compiled:
            self._configure()

    def _ensure_built(self, x_shape, name):
        if self._net is None:
            if len(x_shape) < 2:
                raise ValueError(f"{name}: expected a 2-D array (samples, features), got shape {tuple(x_shape)}")
            self._build(tuple(x_shape[1:]))

    @property
    def input_shape(self):
        return None if self._input_shape is None else (None,) + tuple(self._input_shape)

    @property
    def output_shape(self):
        return self._layers[-1].output_shape if self._layers and self._layers[-1].built else None

    # --- weights ----------------------------------------------------------------------------------
    @property
    def weights(self):
        return [w for layer in self._layers for w in layer.weights]

    trainable_weights = weights
    variables = weights

    @property
    def non_trainable_weights(self):
        return []

    def get_weights(self):
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        _set_weights(self.weights, weights, f"Model {self.name}")

    def count_params(self):
        if self._net is None:
            raise ValueError(f"You tried to call count_params on model '{self.name}', but it is not built yet. "
                             "Build it first (give the first layer an input_shape, or call build()/fit()).")
        return int(self._net.num_params)

    # --- compile ----------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None, weighted_metrics=None,
                run_eagerly=None, steps_per_execution=None, jit_compile=None, **kwargs):
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
        if self._net is not None:
            self._configure()

    def _configure(self):
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

    def _require_compiled(self, what):
        if not self.compiled:
            raise RuntimeError(f"You must compile your model before {what}: call model.compile(optimizer=..., "
                               "loss=...) first")

    # --- data -------------------------------------------------------------------------------------
    def _inputs(self, x, name="x"):
        if self._net is None:
            raw = data.as_array(x, name)
            self._ensure_built(raw.shape, name)
        return data.features(x, name, self._input_shape)

    def _training_arrays(self, what, x, y, sample_weight, class_weight):
        """x, raw y, prepared y and per-sample weights for fit/evaluate; NaN/inf in the data warn."""
        if y is None:
            raise ValueError(f"{what}() needs targets: y must be an array of numbers, got None")
        x = self._inputs(x)
        y_raw, y = self._targets(y, len(x))
        w = data.sample_weights(sample_weight, class_weight, y_raw, len(x))
        data.check_finite(x, "x")
        data.check_finite(y, "y")
        return x, y_raw, y, w

    def _targets(self, y, n, name="y"):
        y_raw = data.as_array(y, name)
        if len(y_raw) != n:
            raise ValueError(f"Data cardinality is ambiguous: x has {n} samples but {name} has {len(y_raw)}. "
                             "Make sure all arrays contain the same number of samples.")
        return y_raw, losses.prepare_targets(self.loss, y_raw, self.output_shape[-1], name)

    # --- training ---------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1, **kwargs):
        """Train for `epochs` epochs; returns a History whose .history holds the per-epoch logs."""
        if kwargs:
            raise TypeError(f"fit() got unexpected keyword arguments: {sorted(kwargs)}")
        self._require_compiled("training (fit)")
        if steps_per_epoch is not None or validation_steps is not None:
            raise NotImplementedError("steps_per_epoch/validation_steps are not supported: pyminidl trains on arrays")
        batch_size = 32 if batch_size is None else _check.integer("batch_size", batch_size, minimum=1,
                                                                     maximum=_check.MAX_SIZE)
        epochs = _check.integer("epochs", epochs, minimum=0)
        initial_epoch = _check.integer("initial_epoch", initial_epoch, minimum=0)
        verbose = _verbosity(verbose, default=1)
        validation_freq = _check.integer("validation_freq", validation_freq, minimum=1)
        shuffle_mode = _shuffle_mode(shuffle)
        x, y_raw, y, w = self._training_arrays("fit", x, y, sample_weight, class_weight)

        val = None
        if validation_data is not None:
            val = self._validation_arrays(validation_data)
        elif validation_split:
            split_frac = _check.number("validation_split", validation_split, 0.0, 1.0, low_open=True, high_open=True)
            split = int(len(x) * (1.0 - split_frac))
            if split == 0 or split == len(x):
                raise ValueError(f"validation_split={validation_split!r} leaves {split} of {len(x)} samples for "
                                 "training: no samples for one side of the split")
            val = (x[split:], y[split:], None if w is None else w[split:])
            x, y, w = x[:split], y[:split], (None if w is None else w[:split])
        val_batch = batch_size if validation_batch_size is None else _check.integer(
            "validation_batch_size", validation_batch_size, minimum=1, maximum=_check.MAX_SIZE)

        n = len(x)
        steps = math.ceil(n / batch_size)
        cb_list = list(callbacks or [])
        for cb in cb_list:
            if not isinstance(cb, callbacks_module.Callback):
                raise TypeError(f"callbacks must be Callback instances, got {cb!r}")
        history = callbacks_module.History()
        cb_list.append(history)
        if verbose:
            cb_list.append(callbacks_module.ProgbarLogger(verbose))
        params = {"verbose": verbose, "epochs": epochs, "steps": steps}
        cbs = callbacks_module.CallbackList(cb_list, self, params)

        net = self._net
        net.reseed(int(np.random.randint(0, 2**62, dtype=np.int64)))
        self.optimizer._push()
        self.stop_training = False
        self.history = history
        cbs.on_train_begin()
        if val is not None:
            val = ([val[0]],) + tuple(val[1:])
        Trainer(self, cbs, [x], y, w, val, batch_size, val_batch, shuffle_mode, validation_freq).run(
            initial_epoch, epochs)
        cbs.on_train_end()
        return history

    def _validation_arrays(self, validation_data):
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError("validation_data must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight), "
                             f"got {type(validation_data).__name__}")
        vx = self._inputs(validation_data[0], "validation_data x")
        vy_raw, vy = self._targets(validation_data[1], len(vx), "validation_data y")
        vw = None
        if len(validation_data) == 3 and validation_data[2] is not None:
            vw = data.sample_weights(validation_data[2], None, vy_raw, len(vx))
        return vx, vy, vw

    def _logs(self, values, prefix=""):
        keys = ["loss"] + self._metric_keys
        return {prefix + k: float(v) for k, v in zip(keys, values)}

    # --- inference --------------------------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, **kwargs):
        """Loss (and metrics) on the given data: a float, or [loss, metric, ...] when metrics are compiled."""
        if kwargs:
            raise TypeError(f"evaluate() got unexpected keyword arguments: {sorted(kwargs)}")
        self._require_compiled("evaluate")
        batch_size = 32 if batch_size is None else _check.integer("batch_size", batch_size, minimum=1,
                                                                     maximum=_check.MAX_SIZE)
        verbose = _verbosity(verbose, default=1)
        x, _, y, w = self._training_arrays("evaluate", x, y, sample_weight, None)
        cbs = callbacks_module.CallbackList(list(callbacks or []), self, {"verbose": verbose, "steps": None})
        cbs.on_test_begin()
        start = time.perf_counter()
        logs = self._logs(self._net.evaluate([x], y, w, batch_size))
        elapsed = time.perf_counter() - start
        cbs.on_test_end(logs)
        steps = math.ceil(len(x) / batch_size)
        if verbose == 1:
            progress.write_line(progress.bar_line(steps, steps, elapsed, logs))
        elif verbose == 2:
            progress.write_line(progress.epoch_line(steps, elapsed, logs))
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None):
        """Outputs for x as a float32 array of shape (n, units)."""
        if self._net is not None and batch_size is None and not verbose:
            out = self._net.predict_fast(x, _PREDICT_BATCH)  # None unless x needs no conversion
            if out is not None:
                return out
        batch_size = _PREDICT_BATCH if batch_size is None else _check.integer("batch_size", batch_size, minimum=1,
                                                                                 maximum=_check.MAX_SIZE)
        verbose = _verbosity(verbose, default=0)
        x = self._inputs(x)
        start = time.perf_counter()
        out = self._net.predict([x], batch_size)
        if verbose:
            steps = math.ceil(len(x) / batch_size)
            elapsed = time.perf_counter() - start
            line = (progress.bar_line(steps, steps, elapsed, {}) if verbose == 1
                    else progress.epoch_line(steps, elapsed, {}))
            progress.write_line(line)
        return out

    def __call__(self, x, training=False):
        return self.predict(x)

    predict_on_batch = predict

    # --- reporting --------------------------------------------------------------------------------
    def summary(self, line_length=None, positions=None, print_fn=None, **kwargs):
        if self._net is None:
            raise ValueError("This model has not yet been built. Build the model first by calling `build()` or "
                             "by calling `fit()` with some data, or specify an `input_shape` argument in the "
                             "first layer(s) for automatic build.")
        print_fn = print_fn or print
        for line in summary_lines(self, line_length, positions):
            print_fn(line)

    def get_config(self):
        from pyminidl.layers import serialize
        layers = [serialize(layer) for layer in self._layers]
        return {"name": self.name, "layers": layers,
                "build_input_shape": None if self._input_shape is None else [None] + list(self._input_shape)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A new, uncompiled model from get_config()'s dict; built when the config gives an input shape."""
        from pyminidl.layers import deserialize
        if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
            raise ValueError(f"config must be a dict from Sequential.get_config(), got {config!r:.200}")
        model = cls([deserialize(layer_config) for layer_config in config["layers"]], name=config.get("name"))
        build_input_shape = config.get("build_input_shape")
        if not model.built and build_input_shape is not None and model._layers:
            model.build(tuple(build_input_shape))
        return model

    # --- files (pyminidl/saving/: Keras' own formats, docs/files.md) -----------------------------------
    def save(self, filepath, overwrite=True, include_optimizer=True, **kwargs):
        """Architecture, weights, compile config and optimizer state to '.keras' (Keras 3) or '.h5' (Keras 2)."""
        if kwargs:
            raise TypeError(f"save() got unexpected keyword arguments: {sorted(kwargs)}")
        saving.save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def save_weights(self, filepath, overwrite=True):
        """The layer weights to '.weights.h5' (Keras 3 layout) or another '.h5' name (Keras 2 layout)."""
        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False):
        """Layer weights from a '.weights.h5', '.keras' or '.h5' file (pyminidl's or Keras')."""
        saving.load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def export(self, filepath, format="tf_saved_model", verbose=True, **kwargs):
        """An inference artifact: format='onnx' writes an ONNX model (needs `pip install pyminidl[onnx]`)."""
        if format != "onnx":
            raise ValueError(f"export: pyminidl writes format='onnx' only (TensorFlow's SavedModel needs "
                             f"TensorFlow), got format={format!r}")
        onnx_export.export(self, filepath, **kwargs)
        if verbose:
            print(f"Saved artifact at '{filepath}'.")

    def __repr__(self):
        return f"<Sequential name={self.name}, built={self.built}>"


saving.registry.register_model(Sequential)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """A model from a '.keras' or '.h5' file (pyminidl's or Keras'): architecture, weights, compile config and
    optimizer state. Nothing in the file is executed; classes resolve only against pyminidl's own and the
    custom_objects given."""
    return saving.load_model(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def _verbosity(verbose, default):
    if verbose == "auto":
        return default
    if isinstance(verbose, bool) or verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
    return int(verbose)


def _shuffle_mode(shuffle):
    if shuffle == "batch":
        return 2
    if isinstance(shuffle, (bool, np.bool_)):
        return 1 if shuffle else 0
    raise ValueError(f"shuffle must be True, False or 'batch', got {shuffle!r}")
