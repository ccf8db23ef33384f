"""Small callbacks: TerminateOnNaN, and LambdaCallback (a callback from plain functions)."""

import math

from pyminidl import _check
from pyminidl.callbacks.base import Callback


def _is_nonfinite(value):
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


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
