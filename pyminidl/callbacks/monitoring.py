"""The one rule for "did the monitored value improve", shared by EarlyStopping, ModelCheckpoint and
ReduceLROnPlateau (Keras 3's MonitorCallback), and EarlyStopping itself.

mode 'min' / 'max' as given; 'auto': 'loss' and 'val_loss' are minimised, a compiled metric goes the way
its kind goes (accuracy, AUC, precision up; mse, mae, crossentropy down); anything else is a ValueError
asking for the mode, raised when the direction is first needed (the compiled metrics are known by then).
A value improves on a reference by more than min_delta; a missing reference (None) is always beaten.
"""

import math
import warnings

from pyminidl import _check, metrics as metrics_module
from pyminidl.callbacks.base import Callback

_MODES = ("auto", "min", "max")


class MonitorCallback(Callback):
    """Base of the callbacks that watch one log value (`monitor`) and act when it stops improving."""

    def __init__(self, monitor="val_loss", mode="auto", min_delta=0.0):
        super().__init__()
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"monitor must be the name of a log key such as 'val_loss', got {monitor!r}")
        if mode not in _MODES:
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.monitor = monitor
        self.mode = mode
        self.min_delta = abs(_check.number("min_delta", min_delta))
        self.monitor_op = None if mode == "auto" else mode  # 'min' or 'max' once known

    def _set_monitor_op(self):
        if self.monitor_op is None:
            self.monitor_op = direction(self.monitor, self.model)
        if self.monitor_op is None:
            raise ValueError(f"{type(self).__name__} callback received monitor={self.monitor!r} but pyminidl "
                             "cannot tell whether that metric should be maximized or minimized. Pass "
                             "mode='max' to act on the highest value, or mode='min' to act on the lowest.")
        return self.monitor_op

    def _is_improvement(self, value, reference):
        if reference is None:
            return True
        if self._set_monitor_op() == "min":
            return value < reference - self.min_delta
        return value > reference + self.min_delta

    def _worst(self):
        """The starting 'best' of callbacks that print it: +inf when minimising, -inf when maximising."""
        return math.inf if self._set_monitor_op() == "min" else -math.inf

    def _monitor_value(self, logs, what):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(f"{what} `{self.monitor}` which is not available. Available metrics are: "
                          f"{','.join(logs)}", UserWarning, stacklevel=3)
        return value


def direction(monitor, model):
    """'min' or 'max' for mode='auto': losses go down; a compiled metric its own way; else None."""
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name == "loss":
        return "min"
    if name in (getattr(model, "_metric_keys", None) or []):
        return metrics_module.direction(name, model)
    return None


class EarlyStopping(MonitorCallback):
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
        super().__init__(monitor, mode, min_delta)
        self.patience = _check.integer("patience", patience, minimum=0)
        self.verbose = _check.integer("verbose", verbose, minimum=0)
        self.baseline = None if baseline is None else _check.number("baseline", baseline)
        self.restore_best_weights = _check.boolean("restore_best_weights", restore_best_weights)
        self.start_from_epoch = _check.integer("start_from_epoch", start_from_epoch, minimum=0)
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        self._set_monitor_op()
        current = self._monitor_value(logs, "Early stopping conditioned on metric")
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
