"""ModelCheckpoint: save the model (or its weights) every epoch, every N batches, or when it improves."""

import os
import warnings

from pyminidl import _check
from pyminidl.callbacks.monitoring import MonitorCallback


class ModelCheckpoint(MonitorCallback):
    """Save the model at the end of every epoch (save_freq='epoch') or every `save_freq` training batches
    (counted over the whole fit, not per epoch); with save_best_only, only when `monitor` improves.

    `filepath` may hold `{epoch:02d}` and `{batch}` (both 1-based) and log keys such as `{val_loss:.2f}`.
    It takes the names model.save takes (save_weights with save_weights_only=True): saving.check_filepath
    decides, and the name picks the format as in Keras: '.keras' (Keras 3), '.weights.h5' (Keras 3 weights),
    other '.h5'/'.hdf5' (legacy Keras 2 HDF5, which tf.keras 2.x tutorials use for both models and weights;
    docs/files.md). Keras 2's `period=N` saves every N epochs.

    Args:
        filepath: where to save; may hold `{epoch:02d}`, `{batch}` and log keys.
        monitor: the log key `save_best_only` watches, such as `"val_loss"`.
        verbose: 1 prints a line at each save.
        save_best_only: save only when `monitor` improves on the best value so far.
        save_weights_only: save the weights alone (`.weights.h5`, `.h5`) instead of the whole model (`.keras`,
            `.h5`).
        mode: `"min"`, `"max"`, or `"auto"` (max for accuracies, min otherwise).
        save_freq: `"epoch"`, or a number of training batches between saves.
        initial_value_threshold: with `save_best_only`, a value the first saved epoch must beat.
        period: Keras 2's form: save every `period` epochs.

    Raises:
        TypeError: if `filepath` is not a string or path.
        ValueError: if `filepath` does not end as its kind of file must, or for an invalid `mode`, `monitor`
            or `save_freq`.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None, period=None):
        super().__init__(monitor, mode)
        if not isinstance(filepath, (str, os.PathLike)):
            raise TypeError(f"filepath must be a string or path, got {filepath!r}")
        self.filepath = os.fspath(filepath)
        self.verbose = _check.integer("verbose", verbose, minimum=0)
        self.save_best_only = _check.boolean("save_best_only", save_best_only)
        self.save_weights_only = _check.boolean("save_weights_only", save_weights_only)
        if save_freq != "epoch" and (isinstance(save_freq, str) or not isinstance(save_freq, int)
                                     or isinstance(save_freq, bool) or save_freq < 1):
            raise ValueError(f"Unrecognized save_freq: {save_freq!r}. Expected save_freq are 'epoch' or "
                             "a positive integer (a number of batches)")
        self.save_freq = save_freq
        self.period = 1 if period is None else _check.integer("period", period, minimum=1)
        from pyminidl import saving  # the one place that knows which names each kind of file takes
        saving.check_filepath(self.filepath, "save_weights" if self.save_weights_only else "model.save")
        self.initial_value_threshold = None if initial_value_threshold is None else _check.number(
            "initial_value_threshold", initial_value_threshold)
        self.best = self.initial_value_threshold
        self._batches_seen = 0
        self._epoch = 0
        if save_freq != "epoch":  # per instance, so epoch-mode checkpoints keep fit's fast path
            self.on_train_batch_end = self._on_train_batch_end

    def on_train_begin(self, logs=None):
        self._batches_seen = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def _on_train_batch_end(self, batch, logs=None):
        self._batches_seen += 1
        if self._batches_seen % self.save_freq == 0:
            self._save(self._epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch" and (epoch + 1) % self.period == 0:
            self._save(epoch, None, logs)

    def _save(self, epoch, batch, logs):
        logs = dict(logs or {})
        path = self._file_path(epoch, batch, logs)
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:  # Keras 2: skip (per batch, val_* never is available)
                warnings.warn(f"Can save best model only with {self.monitor} available, skipping.", UserWarning,
                              stacklevel=3)
                return
            best = self._worst() if self.best is None else self.best
            if not self._is_improvement(current, best):
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best:.5f}")
                return
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best:.5f} to {current:.5f}, "
                      f"saving model to {path}")
            self.best = current
        elif self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)

    def _file_path(self, epoch, batch, logs):
        keys = {k: v for k, v in logs.items() if k not in ("epoch", "batch")}
        try:
            return self.filepath.format(epoch=epoch + 1, batch=None if batch is None else batch + 1, **keys)
        except KeyError as e:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". Reason: {e!r} is not '
                           f"a log key; available: {['epoch', 'batch'] + list(logs)}") from None
