"""Callbacks that change the learning rate while fit runs: LearningRateScheduler, ReduceLROnPlateau.

Both set `model.optimizer.learning_rate` (the setter pushes the float32 value to the C++ network) and add
the rate in force during the epoch to the logs as 'learning_rate' (Keras 3's key; Keras 2 wrote 'lr').
"""

import inspect

import numpy as np

from pyminidl import _check
from pyminidl.callbacks.base import Callback
from pyminidl.callbacks.monitoring import MonitorCallback


def _settable_rate(model, who):
    if not isinstance(model.optimizer.learning_rate, (int, float)):
        raise TypeError(f"{who}: this optimizer was created with a LearningRateSchedule as its learning_rate "
                        f"({model.optimizer.learning_rate!r}), hence its learning rate is not settable.")
    return float(model.optimizer.learning_rate)


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of every epoch to `schedule(epoch, lr)` (0-based epoch, the current
    rate as a Python float), or `schedule(epoch)` for a one-argument function, as Keras does."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"schedule must be a function (epoch, lr) -> lr, got {schedule!r}")
        self.schedule = schedule
        self.verbose = _check.integer("verbose", verbose, minimum=0)
        self._one_argument = _takes_one_argument(schedule)

    def on_epoch_begin(self, epoch, logs=None):
        lr = _settable_rate(self.model, "LearningRateScheduler")
        lr = self.schedule(epoch) if self._one_argument else self.schedule(epoch, lr)
        if isinstance(lr, bool) or not isinstance(lr, (float, np.floating)):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: {lr!r}")
        if not np.isfinite(lr) or lr < 0:
            raise ValueError(f"The output of the `schedule` function must be a finite rate >= 0. Got: {lr!r}")
        self.model.optimizer.learning_rate = float(lr)
        if self.verbose > 0:  # the value the float32 variable holds, as Keras prints it
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{float(self.model.optimizer.learning_rate)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


def _takes_one_argument(fn):
    """schedule(epoch) rather than schedule(epoch, lr): Keras tries two arguments and falls back on
    TypeError; asking the signature instead keeps a TypeError inside the user's function visible."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) == 1 and not any(p.kind == p.VAR_POSITIONAL for p in params)


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by `factor` when `monitor` has not improved for `patience` epochs.

    After a reduction, `cooldown` epochs pass before counting starts again; the rate never goes below `min_lr`.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0.0, **kwargs):
        if "epsilon" in kwargs:  # Keras 2 name of min_delta
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise ValueError(f"ReduceLROnPlateau: argument(s) not recognized: {sorted(kwargs)}")
        super().__init__(monitor, mode, min_delta)
        self.factor = _check.number("factor", factor, 0.0)
        if self.factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor!r}")
        self.patience = _check.integer("patience", patience, minimum=0)
        self.verbose = _check.integer("verbose", verbose, minimum=0)
        self.cooldown = _check.integer("cooldown", cooldown, minimum=0)
        self.min_lr = _check.number("min_lr", min_lr, 0.0)
        self._reset()

    def _reset(self):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()
        _settable_rate(self.model, "ReduceLROnPlateau")

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = float(self.model.optimizer.learning_rate)
        current = self._monitor_value(logs, "Learning rate reduction is conditioned on metric")
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
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
