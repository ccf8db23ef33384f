"""Callbacks that report: the progress bar (ProgbarLogger) and CSVLogger; TensorBoard is refused."""

import csv
import os
import sys
import time

from pyminidl import _check, progress
from pyminidl._unsupported import refused
from pyminidl.callbacks.base import Callback


class ProgbarLogger(Callback):
    """Prints 'Epoch i/E' and one Keras 2 progress line per epoch (verbose 1: the bar; 2: a summary).

    fit adds one when verbose > 0 unless the callbacks already hold one; it takes fit's verbose.
    """

    _pyminidl_builtin = True

    def __init__(self, count_mode="steps", stateful_metrics=None):
        super().__init__()
        if count_mode != "steps":
            raise NotImplementedError(f"ProgbarLogger(count_mode={count_mode!r}) is not supported: pyminidl "
                                      "counts steps (batches), as Keras 3 does; use count_mode='steps'")
        self.verbose = 1
        self.stream = None  # None: sys.stdout at the time of printing
        self._start = None
        self._live_width = 0  # width of the bar being redrawn in place, 0 when none

    def set_params(self, params):
        super().set_params(params)
        self.verbose = params.get("verbose", 1)

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        if self.verbose and self.params.get("epochs", 1) > 1:
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


TensorBoard = refused("TensorBoard", "pyminidl writes no TensorBoard event files. Log every epoch's loss and "
                      "metrics with callbacks.CSVLogger('training.csv') instead (or plot model.fit's History "
                      "with pyminidl.plot).")
