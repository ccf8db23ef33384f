"""Callbacks: hooks into fit/evaluate/predict, with Keras' names, arguments and order."""

import csv
import math
import os
import sys
import time
import warnings

import numpy as np

from pyminidl import _api, _check, metrics as metrics_module, progress


class Callback:
    """Base class. Override any hook; `self.model` and `self.params` are set before training starts."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass
    def on_batch_begin(self, batch, logs=None): pass
    def on_batch_end(self, batch, logs=None): pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass


_BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end")
_EPOCH_HOOKS = ("on_epoch_begin", "on_epoch_end")


def overrides(callback, hooks):
    """True if the callback's class replaces any of these Callback hooks (or has them set per instance)."""
    for hook in hooks:
        if hook in vars(callback):
            return True
        if getattr(type(callback), hook, None) is not getattr(Callback, hook):
            return True
    return False


class CallbackList:
    """Calls every callback in order: the user's, then History, then the progress logger."""

    def __init__(self, callbacks, model, params):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)
        user = [cb for cb in self.callbacks if not getattr(cb, "_pyminidl_builtin", False)]
        self.needs_batches = any(overrides(cb, _BATCH_HOOKS) for cb in user)
        self.needs_epochs = any(overrides(cb, _EPOCH_HOOKS) for cb in user)

    def __getattr__(self, hook):
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def call(*args, **kwargs):
            for cb in self.callbacks:
                getattr(cb, hook)(*args, **kwargs)
        return call


class History(Callback):
    """Records the logs of every epoch: `history.history['loss']`, `history.epoch`, `history.params`."""

    _pyminidl_builtin = True

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = {}
        if self.model is not None:
            self.model.history = self

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def record_epochs(self, epochs, columns):
        """Record many epochs at once: columns is [(key, values per epoch), ...] in log order."""
        self.epoch.extend(epochs)
        for key, values in columns:
            self.history.setdefault(key, []).extend(values.tolist())


class ProgbarLogger(Callback):
    """Prints 'Epoch i/E' and one Keras 2 progress line per epoch (verbose 1: the bar; 2: a summary)."""

    _pyminidl_builtin = True

    def __init__(self, verbose=1, stream=None):
        super().__init__()
        self.verbose = verbose
        self.stream = stream  # None: sys.stdout at the time of printing
        self._start = None
        self._live_width = 0  # width of the bar being redrawn in place, 0 when none

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        if self.params.get("epochs", 1) > 1:
            progress.write_line(f"Epoch {epoch + 1}/{self.params['epochs']}", self.stream)

    def update(self, step, logs):
        """Redraw the bar during an epoch, as Keras does on a terminal or in Jupyter (fit calls it every ~0.1 s)."""
        stream = self.stream or sys.stdout
        if self.verbose != 1 or not progress.supports_redraw(stream):
            return
        steps = self.params.get("steps") or 1
        line = progress.bar_line(step, steps, time.perf_counter() - self._start, logs)
        self._live_width = max(self._live_width, progress.redraw(line, stream))

    def on_epoch_end(self, epoch, logs=None):
        seconds = getattr(self.model, "_epoch_seconds", None)
        if seconds is None:
            seconds = time.perf_counter() - (self._start or time.perf_counter())
        steps = self.params.get("steps") or 1
        if self.verbose == 1:
            progress.write_line(progress.bar_line(steps, steps, seconds, logs or {}), self.stream, self._live_width)
        elif self.verbose == 2:
            progress.write_line(progress.epoch_line(steps, seconds, logs or {}), self.stream)
        self._live_width = 0


# --- monitoring helpers shared by EarlyStopping, ModelCheckpoint and ReduceLROnPlateau ---------------
_MODES = ("auto", "min", "max")


def _mode_arg(mode):
    if mode not in _MODES:
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    return mode


def _monitor_arg(monitor):
    if not isinstance(monitor, str) or not monitor:
        raise ValueError(f"monitor must be the name of a log key such as 'val_loss', got {monitor!r}")
    return monitor


def _is_nonfinite(value):
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


class EarlyStopping(Callback):
    """Stop training when `monitor` has stopped improving (Keras 3's algorithm, KERAS_REFERENCE §9).

    Every epoch from `start_from_epoch` on counts towards `patience`; an epoch that improves on the best value
    by more than `min_delta` resets the count (and, with `baseline`, only if it also beats the baseline).
    With `restore_best_weights`, the weights of the best epoch are put back at the end of training.

    Args:
        monitor: the log key to watch, such as `"val_loss"` or `"accuracy"`.
        min_delta: the smallest change that counts as an improvement.
        patience: epochs without improvement before training stops.
        verbose: 1 prints a line when training stops.
        mode: `"min"`, `"max"`, or `"auto"` (max for accuracies, min otherwise).
        baseline: a value the monitored quantity must beat for an epoch to count as an improvement.
        restore_best_weights: whether to put back the weights of the best epoch at the end.
        start_from_epoch: epochs to wait before counting towards `patience`.

    Raises:
        ValueError: for an invalid `mode`, `monitor` or number.

    Examples:

    >>> import numpy as np, pyminidl as tf
    >>> model = tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(2,))])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> stop = tf.keras.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=1e9)
    >>> history = model.fit(np.ones((8, 2)), np.ones(8), epochs=10, callbacks=[stop], verbose=0)
    >>> len(history.history["loss"])   # the first epoch sets the best value, the second fails to beat it
    2
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self.monitor = _monitor_arg(monitor)
        self.min_delta = abs(_check.number("min_delta", min_delta))
        self.patience = _check.integer("patience", patience, minimum=0)
        self.verbose = _check.integer("verbose", verbose, minimum=0)
        self.mode = _mode_arg(mode)
        self.baseline = None if baseline is None else _check.number("baseline", baseline)
        self.restore_best_weights = _check.boolean("restore_best_weights", restore_best_weights)
        self.start_from_epoch = _check.integer("start_from_epoch", start_from_epoch, minimum=0)
        self.monitor_op = None  # decided at the first epoch end, when the compiled metrics are known
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def _set_monitor_op(self):
        direction = self.mode if self.mode != "auto" else _direction(self.monitor, self.model)
        if direction is None:
            raise ValueError(f"EarlyStopping callback received monitor={self.monitor!r} but pyminidl cannot tell "
                             "whether that metric should be maximized or minimized. Pass mode='max' to stop on "
                             "the highest value, or mode='min' to stop on the lowest.")
        self.monitor_op = direction

    def _is_improvement(self, value, reference):
        if reference is None:
            return True
        if self.monitor_op == "min":
            return value < reference - self.min_delta
        return value > reference + self.min_delta

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = _monitor_value(self.monitor, logs, "Early stopping conditioned on metric")
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()  # nothing better seen yet: now is the best
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


_LOWER_IS_BETTER = {"mse", "mae", "mean_squared_error", "mean_absolute_error"}


def _direction(monitor, model):
    """'min' or 'max' for mode='auto': losses go down; compiled metrics with a known direction; else None."""
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name == "loss":
        return "min"
    keys = getattr(model, "_metric_keys", None) or []
    if name in keys:
        if name.lower() in metrics_module.HIGHER_IS_BETTER:
            return "max"
        if name.lower() in _LOWER_IS_BETTER:
            return "min"
    return None


def _monitor_value(monitor, logs, what):
    logs = logs or {}
    value = logs.get(monitor)
    if value is None:
        warnings.warn(f"{what} `{monitor}` which is not available. Available metrics are: {','.join(logs)}",
                      UserWarning, stacklevel=3)
    return value


class ModelCheckpoint(Callback):
    """Save the model (or its weights) at the end of every epoch, or only when `monitor` improves.

    `filepath` may hold `{epoch:02d}` (1-based) and log keys such as `{val_loss:.2f}`. It must end in
    '.keras' or '.h5', or in '.weights.h5' / '.h5' with save_weights_only=True (Keras' formats, see
    docs/files.md).

    Args:
        filepath: where to save; may hold `{epoch:02d}` and log keys.
        monitor: the log key `save_best_only` watches, such as `"val_loss"`.
        verbose: 1 prints a line at each save.
        save_best_only: save only when `monitor` improves on the best value so far.
        save_weights_only: save the weights alone (`.weights.h5`, `.h5`) instead of the whole model (`.keras`, `.h5`).
        mode: `"min"`, `"max"`, or `"auto"` (max for accuracies, min otherwise).
        save_freq: only `"epoch"` is supported.
        initial_value_threshold: with `save_best_only`, a value the first saved epoch must beat.

    Raises:
        TypeError: if `filepath` is not a string or path.
        ValueError: if `filepath` does not end as its kind of file must, or for an invalid `mode` or `monitor`.
        NotImplementedError: for a `save_freq` other than `"epoch"`.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__()
        if not isinstance(filepath, (str, os.PathLike)):
            raise TypeError(f"filepath must be a string or path, got {filepath!r}")
        self.filepath = os.fspath(filepath)
        self.monitor = _monitor_arg(monitor)
        self.verbose = _check.integer("verbose", verbose, minimum=0)
        self.save_best_only = _check.boolean("save_best_only", save_best_only)
        self.save_weights_only = _check.boolean("save_weights_only", save_weights_only)
        self.mode = _mode_arg(mode)
        if save_freq != "epoch":
            raise NotImplementedError(f"save_freq must be 'epoch' in pyminidl (no per-batch saving), got "
                                      f"{save_freq!r}")
        self.save_freq = save_freq
        # The name picks the format, as in Keras: '.keras' (Keras 3), '.weights.h5' (Keras 3 weights), other '.h5'
        # (legacy Keras 2 HDF5, which tf.keras 2.x tutorials use for both models and weights).
        if self.save_weights_only and not self.filepath.endswith(".h5"):
            raise ValueError("When using save_weights_only=True in ModelCheckpoint, the filepath provided must "
                             f"end in '.weights.h5' (or '.h5' for Keras 2's layout). "
                             f"Received: filepath={self.filepath}")
        if not self.save_weights_only and not self.filepath.endswith((".keras", ".h5")):
            raise ValueError("The filepath provided must end in '.keras' (Keras model format) or '.h5' (legacy "
                             f"Keras 2 HDF5). Received: filepath={self.filepath}")
        if not self.save_weights_only and self.filepath.endswith(".weights.h5"):
            raise ValueError("A '.weights.h5' filepath holds weights only: pass save_weights_only=True, or use a "
                             f"'.keras' name. Received: filepath={self.filepath}")
        if mode == "max" or (mode == "auto" and "acc" in self.monitor):
            self.monitor_op, default = "max", -math.inf
        else:
            self.monitor_op, default = "min", math.inf
        self.best = default if initial_value_threshold is None else _check.number(
            "initial_value_threshold", initial_value_threshold)

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        path = self._file_path(epoch, logs)
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(f"Can save best model only with {self.monitor} available, skipping.", UserWarning,
                              stacklevel=2)
                return
            better = current < self.best if self.monitor_op == "min" else current > self.best
            if not better:
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
                return
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to {current:.5f}, "
                      f"saving model to {path}")
            self.best = current
        elif self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)

    def _file_path(self, epoch, logs):
        try:
            return self.filepath.format(epoch=epoch + 1, **{k: v for k, v in logs.items() if k != "epoch"})
        except KeyError as e:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". Reason: {e!r} is not '
                           f"a log key; available: {['epoch'] + list(logs)}") from None


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite (the epoch is still recorded)."""

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = _check.boolean("raise_error", raise_error)

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and _is_nonfinite(loss):
            if self.raise_error:
                raise RuntimeError(f"NaN or Inf found in loss at batch {batch}: loss={loss}")
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by `factor` when `monitor` has not improved for `patience` epochs.

    After a reduction, `cooldown` epochs pass before counting starts again; the rate never goes below `min_lr`.
    The current rate is added to the logs as 'learning_rate', as Keras 3 does.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0.0, **kwargs):
        super().__init__()
        if "epsilon" in kwargs:  # Keras 2 name of min_delta
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise ValueError(f"ReduceLROnPlateau: argument(s) not recognized: {sorted(kwargs)}")
        self.monitor = _monitor_arg(monitor)
        self.factor = _check.number("factor", factor, 0.0)
        if self.factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor!r}")
        self.patience = _check.integer("patience", patience, minimum=0)
        self.verbose = _check.integer("verbose", verbose, minimum=0)
        self.mode = _mode_arg(mode)
        self.min_delta = _check.number("min_delta", min_delta)
        self.cooldown = _check.integer("cooldown", cooldown, minimum=0)
        self.min_lr = _check.number("min_lr", min_lr, 0.0)
        self._reset()

    def _reset(self):
        self.maximize = self.mode == "max" or (self.mode == "auto" and "acc" in self.monitor)
        self.best = -math.inf if self.maximize else math.inf
        self.cooldown_counter = 0
        self.wait = 0

    def _improved(self, current):
        if self.maximize:
            return current > self.best + self.min_delta
        return current < self.best - self.min_delta

    def on_train_begin(self, logs=None):
        self._reset()
        if not isinstance(self.model.optimizer.learning_rate, (int, float)):
            raise ValueError("ReduceLROnPlateau needs an optimizer with a float learning rate, got the schedule "
                             f"{self.model.optimizer.learning_rate!r}")

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = float(self.model.optimizer.learning_rate)
        current = _monitor_value(self.monitor, logs, "Learning rate reduction is conditioned on metric")
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improved(current):
            self.best = current
            self.wait = 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = float(self.model.optimizer.learning_rate)
                if old_lr > np.float32(self.min_lr):
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new_lr  # the setter pushes it to the C++ network
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


_LAMBDA_HOOKS = {  # hook -> how many positional arguments come before logs
    "on_train_begin": 0, "on_train_end": 0, "on_test_begin": 0, "on_test_end": 0, "on_predict_begin": 0,
    "on_predict_end": 0, "on_epoch_begin": 1, "on_epoch_end": 1, "on_batch_begin": 1, "on_batch_end": 1,
    "on_train_batch_begin": 1, "on_train_batch_end": 1, "on_test_batch_begin": 1, "on_test_batch_end": 1,
    "on_predict_batch_begin": 1, "on_predict_batch_end": 1,
}


class LambdaCallback(Callback):
    """A callback from plain functions: `LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch))`.

    Functions take (logs) for train/test/predict begin and end, (epoch, logs) or (batch, logs) for the others.
    Only the hooks given count as overridden, so fit keeps its fast path for everything else.
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        hooks = dict(kwargs, on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin, on_train_batch_end=on_train_batch_end)
        for hook, fn in hooks.items():
            if hook not in _LAMBDA_HOOKS:
                raise ValueError(f"LambdaCallback: unknown hook {hook!r}; known hooks: {sorted(_LAMBDA_HOOKS)}")
            if fn is None:
                continue
            if not callable(fn):
                raise TypeError(f"LambdaCallback: {hook} must be a function, got {fn!r}")
            setattr(self, hook, _hook(fn, _LAMBDA_HOOKS[hook]))


def _hook(fn, leading):
    """Call fn with `leading` positional arguments and then logs (a dict), however the hook was called."""
    def call(*args, logs=None):
        if len(args) > leading:
            args, logs = args[:leading], args[leading]
        return fn(*args, {} if logs is None else logs)
    call.__wrapped__ = fn
    return call


class CSVLogger(Callback):
    """Write one CSV row of logs per epoch: a header `epoch,<sorted keys>`, then `epoch` 0-based and values."""

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        if not isinstance(filename, (str, os.PathLike)):
            raise TypeError(f"filename must be a string or path, got {filename!r}")
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"separator must be a single character, got {separator!r}")
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = _check.boolean("append", append)
        self.keys = None
        self.writer = None
        self.csv_file = None
        self.append_header = True

    def on_train_begin(self, logs=None):
        self.append_header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename, encoding="utf-8") as f:
                self.append_header = not f.readline()
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="", encoding="utf-8")
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys += ["val_" + k for k in self.keys]  # columns for validation that may come later
        if self.writer is None:
            dialect = type("Dialect", (csv.excel,), {"delimiter": self.sep})
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys, dialect=dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, logs.get(key, "NA")) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


__all__ = _api.public(globals(), internal={"overrides"})
__dir__ = _api.dir_function(__all__)
