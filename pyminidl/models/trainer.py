"""fit, evaluate and predict: the training and inference API every model shares (Sequential and functional).

A model brings its structure (models/model.py and its subclasses); this mixin turns what users pass into
checked float32 arrays, one per model input, and runs them through the model's C++ network. Several inputs
come as a list in `model.inputs` order or a dict keyed by input name, as in Keras.
"""

import math
import time

import numpy as np

from pyminidl import _check, _chunks, _guard, callbacks as callbacks_module, data, data_adapters, losses, progress
from pyminidl.layers import base as layer_base
from pyminidl.training import Trainer as EpochLoop, start_fit

_PREDICT_BATCH = 256  # rows per forward pass when predict() is not given a batch size


class Trainer:
    """Mixin of Model: needs `_net`, `_input_specs()`, `_ensure_built(shapes)`, `output_shape`, the compile
    state (`loss`, `optimizer`, `_metric_keys`), `_take_weights()` and `_sync_trainable()`."""

    # --- data -------------------------------------------------------------------------------------
    def _inputs(self, x, name="x"):
        """The model's inputs as a list of float32 arrays, one per model input, all with the same length."""
        specs = self._input_specs()  # [(input name, feature shape or None)]
        arrays = _split_inputs(x, [n for n, _ in specs], name)
        if self._net is None:
            self._ensure_built([data.as_array(a, name).shape for a in arrays], name)
            specs = self._input_specs()
        out = [data.features(a, name if len(specs) == 1 else f"{name}['{n}']", shape)
               for a, (n, shape) in zip(arrays, specs)]
        for a, (n, _) in zip(out[1:], specs[1:]):
            data.same_length(f"{name}['{specs[0][0]}']", out[0], f"{name}['{n}']", a)
        return out

    def _training_arrays(self, what, x, y, sample_weight, class_weight):
        """Inputs, raw y, prepared y and per-sample weights for fit/evaluate; NaN/inf in the data warn."""
        if y is None:
            raise ValueError(f"{what}() needs targets: y must be an array of numbers, got None")
        xs = self._inputs(x)
        y_raw, y = self._targets(y, len(xs[0]))
        w = data.sample_weights(sample_weight, class_weight, y_raw, len(xs[0]))
        for a in xs:
            data.check_finite(a, "x")
        data.check_finite(y, "y")
        return xs, y_raw, y, w

    def _targets(self, y, n, name="y"):
        if isinstance(y, dict):  # keyed by output name, as Keras accepts; one output here
            names = self.output_names
            if list(y) != names:
                raise ValueError(f"{name}: the data dictionary has keys {list(y)}, but the model's output is "
                                 f"named {names[0]!r}: pass {{{names[0]!r}: targets}} or the array itself")
            y = y[names[0]]
        elif isinstance(y, (list, tuple)) and len(y) == 1 and isinstance(y[0], np.ndarray) and y[0].ndim >= 1:
            y = y[0]  # [y]: a list with one array per output
        if (isinstance(y, (list, tuple)) and y and isinstance(y[0], np.ndarray)
                and len(y) > 1 and len(y) != n):
            raise NotImplementedError(f"{name}: pyminidl models have one output, so y is one array; got "
                                      f"{type(y).__name__} of {len(y)} targets")
        y_raw = data.as_array(y, name)
        if len(y_raw) != n:
            raise ValueError(f"Data cardinality is ambiguous: x has {n} samples but {name} has {len(y_raw)}. "
                             "Make sure all arrays contain the same number of samples.")
        return y_raw, losses.prepare_targets(self.loss, y_raw, self.output_shape[-1], name)

    def _require_compiled(self, what):
        if not self.compiled:
            raise RuntimeError(f"You must compile your model before {what}: call model.compile(optimizer=..., "
                               "loss=...) first")

    # --- training ---------------------------------------------------------------------------------
    @_guard.guarded("fit")
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1, **kwargs):
        """Trains the model for `epochs` passes over the data.

        Args:
            x: the inputs, an array of shape `(samples, *input_shape)`; for a model with several inputs, a list
                of arrays (or a dict by input name).
            y: the targets: one row per sample (class indices or one-hot rows for classification).
            batch_size: samples per gradient step. Defaults to 32.
            epochs: the index of the last epoch to run (training starts at `initial_epoch`).
            verbose: 0 silent, 1 a progress bar per epoch, 2 one line per epoch; `"auto"` is 1.
            callbacks: a list of `pyminidl.callbacks.Callback` instances.
            validation_split: the fraction of the data (taken from the end, before shuffling) held out for
                validation.
            validation_data: `(x_val, y_val)` or `(x_val, y_val, sample_weight_val)` evaluated each epoch.
            shuffle: True shuffles samples every epoch, `"batch"` shuffles within batches, False keeps order.
            class_weight: `{class index: weight}` scaling each sample's loss by its class.
            sample_weight: one weight per sample.
            initial_epoch: the epoch to start from (to resume a previous fit).
            validation_batch_size: samples per validation batch. validation_freq: validate every n-th epoch
                (or at the listed epochs).
            steps_per_epoch: accepted for Keras' signature; pyminidl trains on whole arrays, so only None is
                supported (NotImplementedError otherwise).
            validation_steps: as `steps_per_epoch`.

        Returns:
            A `History` whose `.history` dict holds the loss and metrics of every epoch.

        Raises:
            ValueError: for data of the wrong shape, NaN or inf in the inputs, or invalid arguments; the
                message names the argument and the value received.
            RuntimeError: if the model is not compiled.
        """
        if kwargs:
            raise TypeError(f"fit() got unexpected keyword arguments: {sorted(kwargs)}")
        self._require_compiled("training (fit)")
        self._sync_trainable()  # trainable flags changed since compile take effect now
        epochs = _check.integer("epochs", epochs, minimum=0)
        initial_epoch = _check.integer("initial_epoch", initial_epoch, minimum=0)
        verbose = _verbosity(verbose, default=1)
        validation_freq = _check.integer("validation_freq", validation_freq, minimum=1)
        shuffle_mode = _shuffle_mode(shuffle)
        if data_adapters.is_batch_source(x):  # a generator or keras.utils.Sequence of (x, y) batches
            return data_adapters.fit(self, x, y, batch_size, epochs, verbose, callbacks, validation_split,
                                     validation_data, shuffle_mode == 1, class_weight, sample_weight, initial_epoch,
                                     steps_per_epoch, validation_steps, validation_freq)
        if steps_per_epoch is not None or validation_steps is not None:
            raise NotImplementedError("steps_per_epoch/validation_steps apply to generator or Sequence input; "
                                      "with arrays pyminidl takes ceil(samples / batch_size) steps")
        batch_size = 32 if batch_size is None else _check.integer("batch_size", batch_size, minimum=1,
                                                                     maximum=_check.MAX_SIZE)
        xs, y_raw, y, w = self._training_arrays("fit", x, y, sample_weight, class_weight)

        val = None
        if validation_data is not None:
            val = self._validation_arrays(validation_data)
        elif validation_split:
            split_frac = _check.number("validation_split", validation_split, 0.0, 1.0, low_open=True, high_open=True)
            n = len(xs[0])
            split = int(n * (1.0 - split_frac))
            if split == 0 or split == n:
                raise ValueError(f"validation_split={validation_split!r} leaves {split} of {n} samples for "
                                 "training: no samples for one side of the split")
            val = ([a[split:] for a in xs], y[split:], None if w is None else w[split:])
            xs, y, w = [a[:split] for a in xs], y[:split], (None if w is None else w[:split])
        val_batch = batch_size if validation_batch_size is None else _check.integer(
            "validation_batch_size", validation_batch_size, minimum=1, maximum=_check.MAX_SIZE)

        steps = math.ceil(len(xs[0]) / batch_size)
        cbs, history = start_fit(self, callbacks, verbose, epochs, steps)
        cbs.on_train_begin()
        EpochLoop(self, cbs, xs, y, w, val, batch_size, val_batch, shuffle_mode, validation_freq).run(
            initial_epoch, epochs)
        cbs.on_train_end()
        return history

    def _validation_arrays(self, validation_data):
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError("validation_data must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight), "
                             f"got {type(validation_data).__name__}")
        vxs = self._inputs(validation_data[0], "validation_data x")
        vy_raw, vy = self._targets(validation_data[1], len(vxs[0]), "validation_data y")
        vw = None
        if len(validation_data) == 3 and validation_data[2] is not None:
            vw = data.sample_weights(validation_data[2], None, vy_raw, len(vxs[0]))
        return vxs, vy, vw

    def _logs(self, values, prefix=""):
        keys = ["loss"] + self._metric_keys
        return {prefix + k: float(v) for k, v in zip(keys, values)}

    # --- inference --------------------------------------------------------------------------------
    @_guard.guarded("evaluate")
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, **kwargs):
        """Returns the loss and metrics of the model on the given data.

        Args:
            x: the inputs.
            y: the targets.
            batch_size: samples per batch. Defaults to 32.
            verbose: 0 silent, 1 a progress bar (`"auto"`).
            sample_weight: one weight per sample.
            steps: for a batch source, the number of batches to draw; for arrays ignored: the whole of `x` is used.
            callbacks: a list of callbacks, whose `on_test_*` hooks run.
            return_dict: return `{name: value}` instead of a list.

        Returns:
            The loss as a float when no metric is compiled, else `[loss, metric, ...]` in `metrics_names`
            order (or a dict with `return_dict=True`).

        Raises:
            ValueError: for data of the wrong shape. RuntimeError: if the model is not compiled.
        """
        if kwargs:
            raise TypeError(f"evaluate() got unexpected keyword arguments: {sorted(kwargs)}")
        self._require_compiled("evaluate")
        if data_adapters.is_batch_source(x):
            return data_adapters.evaluate(self, x, steps, y=y, batch_size=batch_size, sample_weight=sample_weight,
                                          verbose=verbose, callbacks=callbacks, return_dict=return_dict)
        batch_size = 32 if batch_size is None else _check.integer("batch_size", batch_size, minimum=1,
                                                                     maximum=_check.MAX_SIZE)
        verbose = _verbosity(verbose, default=1)
        xs, _, y, w = self._training_arrays("evaluate", x, y, sample_weight, None)
        cbs = callbacks_module.CallbackList(list(callbacks or []), self, {"verbose": verbose, "steps": None})
        cbs.on_test_begin()
        self._take_weights()
        start = time.perf_counter()
        logs = self._logs(_chunks.evaluate(self._net, xs, y, w, batch_size))  # Ctrl-C seen every ~0.1 s
        elapsed = time.perf_counter() - start
        cbs.on_test_end(logs)
        steps = math.ceil(len(xs[0]) / batch_size)
        if verbose == 1:
            progress.write_line(progress.bar_line(steps, steps, elapsed, logs))
        elif verbose == 2:
            progress.write_line(progress.epoch_line(steps, elapsed, logs))
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None):
        """Returns the model's outputs for the inputs `x`.

        Args:
            x: the inputs, an array of shape `(samples, *input_shape)`, or a list (or dict) of arrays for several
                inputs, or a batch source (a generator or `keras.utils.Sequence` yielding inputs).
            batch_size: samples per forward pass (the result does not depend on it).
            verbose: 1 prints a progress bar; silent by default.
            steps: for a batch source, the number of batches to draw; for arrays ignored: the whole of `x` is used.
            callbacks: accepted for Keras' signature and ignored.

        Returns:
            A float32 array of shape `(samples, *output_shape)`.

        Raises:
            ValueError: if `x` does not fit the model's input shape, or the model cannot be built from it.
        """
        # The fast path first, for a model that still owns all its layers' weights (_take_weights): one sample's
        # prediction costs a few microseconds, so every Python step here counts. predict_fast returns None
        # unless x is float32 arrays of the input shapes with at most FIRST_WORK of work (more goes in chunks
        # below, so that Ctrl-C is seen); generators, dicts and lists of numbers take the paths below.
        net = self._net
        if batch_size is None and not verbose and net is not None and self._attach_seen == layer_base.attach_count:
            out = net.predict_fast(x, _PREDICT_BATCH, _chunks.FIRST_WORK)
            if out is not None:
                return out
        if data_adapters.is_batch_source(x):
            return data_adapters.predict(self, x, steps, batch_size=batch_size, verbose=verbose)
        batch_size = _PREDICT_BATCH if batch_size is None else _check.integer("batch_size", batch_size, minimum=1,
                                                                                 maximum=_check.MAX_SIZE)
        verbose = _verbosity(verbose, default=0)
        xs = self._inputs(x)
        self._take_weights()
        start = time.perf_counter()
        out = _chunks.predict(self._net, xs, batch_size)  # in chunks: Ctrl-C seen every ~0.1 s
        if verbose:
            steps = math.ceil(len(xs[0]) / batch_size)
            elapsed = time.perf_counter() - start
            line = (progress.bar_line(steps, steps, elapsed, {}) if verbose == 1
                    else progress.epoch_line(steps, elapsed, {}))
            progress.write_line(line)
        return out

    predict_on_batch = predict


def _split_inputs(x, names, what):
    """x as a list with one entry per model input: a list/tuple in input order, or a dict keyed by name."""
    if isinstance(x, dict):
        missing = [n for n in names if n not in x]
        if missing:
            raise ValueError(f'Missing data for input "{missing[0]}". You passed a data dictionary with keys '
                             f"{list(x)}. Expected the following keys: {names}")
        unknown = [k for k in x if k not in names]
        if unknown:
            raise ValueError(f"{what}: the data dictionary has keys {unknown} that are not inputs of the model; "
                             f"expected the keys {names}")
        return [x[n] for n in names]
    if len(names) == 1:
        if isinstance(x, (list, tuple)) and len(x) == 1 and isinstance(x[0], np.ndarray):
            return [x[0]]  # [x] for a model with one input, as Keras accepts
        return [x]
    if not isinstance(x, (list, tuple)):
        shape = getattr(x, "shape", None)
        raise ValueError(f"{what}: the model has {len(names)} inputs {names}: pass a list of {len(names)} arrays "
                         f"(in that order) or a dict keyed by input name; got a single "
                         f"{'array of shape ' + str(shape) if shape is not None else type(x).__name__}")
    if len(x) != len(names):
        raise ValueError(f"{what}: the model has {len(names)} inputs {names}, but the list holds {len(x)} arrays")
    return list(x)


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
