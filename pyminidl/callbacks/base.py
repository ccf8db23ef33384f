"""The Callback base class, the list fit() calls in order, and History."""


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
    """Calls every callback in order: the user's, then History, then the progress logger.

    needs_batches / needs_epochs tell fit whether any user callback listens per batch or per epoch (if
    none does, C++ runs batches and epochs without returning to Python).
    """

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
