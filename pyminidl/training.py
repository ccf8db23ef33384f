"""The epoch loop of fit(): C++ trains in chunks of about 0.1 s, Python reports between them.

Whole epochs go to C++ in one call when nothing in Python needs to see them one by one (no user callback
with epoch or batch hooks, validation every epoch); otherwise an epoch runs as chunks of batches, or batch by
batch when a callback has per-batch hooks. Every path draws the same shuffles, so results are identical.
"""

import math
import time
import warnings

import numpy as np

from pyminidl import callbacks as callbacks_module

_CHUNK_SECONDS = 0.1  # hand control back to Python this often: progress, callbacks, Ctrl-C


class Trainer:
    """One fit: the arrays, the callbacks and the loop over epochs."""

    def __init__(self, model, cbs, x, y, w, val, batch_size, val_batch, shuffle_mode, validation_freq):
        """x (and val's x) is a list of arrays, one per model input."""
        self.model, self.cbs, self.net = model, cbs, model._net
        self.x, self.y, self.w, self.val = x, y, w, val
        self.batch_size, self.val_batch, self.shuffle_mode = batch_size, val_batch, shuffle_mode
        self.validation_freq = validation_freq
        self.warned = False
        bars = [cb for cb in cbs.callbacks if isinstance(cb, callbacks_module.ProgbarLogger)]
        self.progbar = bars[0] if bars else None  # redraws its bar between chunks of a long epoch

    def run(self, first_epoch, epochs):
        epoch = first_epoch
        epoch_seconds = None  # measured; decides whether whole epochs fit in one chunk
        whole_epochs_ok = not self.cbs.needs_batches and not self.cbs.needs_epochs and self.validation_freq == 1
        while epoch < epochs and not self.model.stop_training:
            if whole_epochs_ok and epoch_seconds is not None and epoch_seconds < _CHUNK_SECONDS / 2:
                count = max(1, min(epochs - epoch, int(_CHUNK_SECONDS / max(epoch_seconds, 1e-7))))
                epoch_seconds = self._run_epochs(epoch, count)
                epoch += count
            else:
                epoch_seconds = self._run_one_epoch(epoch)
                epoch += 1

    def _run_epochs(self, first, count):
        """Several whole epochs in one C++ call; their logs are replayed to the callbacks afterwards."""
        vx, vy, vw = self.val if self.val is not None else (None, None, None)
        start = time.perf_counter()
        train, val = self.net.fit_epochs(self.x, self.y, self.w, self.batch_size, count, self.shuffle_mode,
                                         vx, vy, vw, self.val_batch)
        seconds = (time.perf_counter() - start) / count
        history = self.cbs.callbacks[0] if len(self.cbs.callbacks) == 1 else None
        if isinstance(history, callbacks_module.History) and np.all(np.isfinite(train[:, 0])):
            # Nothing but History listens: record the chunk in bulk (per-epoch Python would dominate XOR).
            keys = ["loss"] + self.model._metric_keys
            columns = [(k, train[:, j]) for j, k in enumerate(keys)]
            if self.val is not None:
                columns += [("val_" + k, val[:, j]) for j, k in enumerate(keys)]
            history.record_epochs(range(first, first + count), columns)
            return seconds
        for i in range(count):
            self.cbs.on_epoch_begin(first + i)
            logs = self.model._logs(train[i])
            if self.val is not None:
                logs.update(self.model._logs(val[i], "val_"))
            self._finish_epoch(first + i, logs, seconds)
        return seconds

    def _run_one_epoch(self, epoch):
        net, cbs = self.net, self.cbs
        start = time.perf_counter()
        cbs.on_epoch_begin(epoch)
        net.begin_epoch(len(self.y), self.batch_size, self.shuffle_mode)
        batches, b, chunk = net.epoch_batches, 0, 1
        shown = start  # when the bar was last redrawn (per-batch path)
        while b < batches:
            if cbs.needs_batches:
                cbs.on_train_batch_begin(b)
                net.train_batches(self.x, self.y, self.w, b, 1)
                logs = self.model._logs(net.epoch_logs())
                cbs.on_train_batch_end(b, logs)
                b += 1
                if self.progbar is not None and b < batches and time.perf_counter() - shown > _CHUNK_SECONDS:
                    shown = time.perf_counter()
                    self.progbar.update(b, logs)
                if self.model.stop_training:
                    break
                continue
            count = min(chunk, batches - b)
            t0 = time.perf_counter()
            net.train_batches(self.x, self.y, self.w, b, count)
            per_batch = (time.perf_counter() - t0) / count
            b += count
            chunk = max(1, int(_CHUNK_SECONDS / max(per_batch, 1e-7)))
            if self.progbar is not None and b < batches:
                self.progbar.update(b, self.model._logs(net.epoch_logs()))
        logs = self.model._logs(net.epoch_logs())
        if self.val is not None and (epoch + 1) % self.validation_freq == 0:
            vx, vy, vw = self.val
            cbs.on_test_begin()
            val_logs = self.model._logs(net.evaluate(vx, vy, vw, self.val_batch), "val_")
            cbs.on_test_end(val_logs)
            logs.update(val_logs)
        seconds = time.perf_counter() - start
        self._finish_epoch(epoch, logs, seconds)
        return seconds

    def _finish_epoch(self, epoch, logs, seconds):
        if not self.warned and not self.model.stop_training and not math.isfinite(logs["loss"]):  # not when stopped
            self.warned = True
            warnings.warn(f"The loss became {logs['loss']} in epoch {epoch + 1}: training diverged or the data "
                          "holds NaN/inf (use callbacks.TerminateOnNaN to stop)", RuntimeWarning, stacklevel=5)
        self.model._epoch_seconds = seconds
        self.cbs.on_epoch_end(epoch, logs)
        self.model._epoch_seconds = None
