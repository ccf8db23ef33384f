"""Losses by Keras name or class; values and gradients are computed in cpp/losses.cpp."""

from typing import Optional

import numpy as np

from pyminidl import _api, _check, _core, data
from pyminidl.tensor import as_tensor


class Loss:
    """A compiled loss: which C++ formula, plus its options. Callable on NumPy arrays like Keras losses."""

    kind: Optional[int] = None  # the _core.Loss member, set by each subclass

    def __init__(self, from_logits=False, name=None, reduction="sum_over_batch_size"):
        self.from_logits = _check.boolean("from_logits", from_logits)
        if reduction not in ("sum_over_batch_size", "auto", "mean"):
            raise NotImplementedError(f"reduction={reduction!r} is not supported; pyminidl uses "
                                      "'sum_over_batch_size' (Keras' default)")
        self.name = name or _NAMES[type(self)]

    def _config(self):
        cfg = _core.LossConfig()
        cfg.kind = self.kind
        cfg.from_logits = self.from_logits
        return cfg

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Mean loss of a batch of predictions (probabilities, or logits with from_logits=True), as a 0-d
        Tensor: `loss_fn(y_true, logits).numpy()`."""
        y_pred = data.as_array(y_pred, "y_pred")
        p = np.ascontiguousarray(y_pred.reshape(len(y_pred), -1), dtype=np.float32)
        y_true = data.as_array(y_true, "y_true")
        if len(y_true) != len(p):
            raise ValueError(f"y_true has {len(y_true)} samples but y_pred has {len(p)}")
        y = prepare_targets(self, y_true, p.shape[1], "y_true")
        w = data.sample_weights(sample_weight, None, y_true, len(p))
        total, _ = _core.loss_batch(self._config(), _core.Act.linear, 0.0, p, p, y, w, 1.0)
        return as_tensor(np.float32(total / len(p)))

    def get_config(self):
        return {"name": self.name, "from_logits": self.from_logits}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class MeanSquaredError(Loss):
    """The mean of the squared differences, `mean((y_true - y_pred) ** 2)` (`loss="mse"`)."""

    kind = _core.Loss.mse

    def __init__(self, name=None, reduction="sum_over_batch_size"):
        super().__init__(name=name, reduction=reduction)

    def get_config(self):
        return {"name": self.name}


class MeanAbsoluteError(MeanSquaredError):
    """The mean of the absolute differences, `mean(abs(y_true - y_pred))` (`loss="mae"`)."""

    kind = _core.Loss.mae


class Huber(Loss):
    """Squared error for differences up to `delta`, linear beyond: `0.5 * d**2` if `|d| <= delta`, else
    `delta * (|d| - 0.5 * delta)`, averaged (`loss="huber"`).

    Args:
        delta: where the quadratic part ends, a positive number.
        name: the loss's name in the logs.
        reduction: only Keras' default, `"sum_over_batch_size"`, is supported.

    Raises:
        ValueError: if `delta` is not positive.
    """

    kind = _core.Loss.huber

    def __init__(self, delta=1.0, name=None, reduction="sum_over_batch_size"):
        self.delta = _check.number("delta", delta, 0.0, low_open=True)
        super().__init__(name=name, reduction=reduction)

    def _config(self):
        cfg = super()._config()
        cfg.huber_delta = self.delta
        return cfg

    def get_config(self):
        return {"name": self.name, "delta": self.delta}


class BinaryCrossentropy(Loss):
    """Cross-entropy of 0/1 targets against probabilities (a sigmoid output), or logits with `from_logits=True`.

    Args:
        from_logits: whether the model outputs logits rather than probabilities.
        label_smoothing: accepted for Keras' signature; only 0 is supported.
        name: the loss's name in the logs.
        reduction: only Keras' default, `"sum_over_batch_size"`, is supported.
        axis: accepted for Keras' signature (the last axis).

    Raises:
        NotImplementedError: for `label_smoothing`.
    """

    kind = _core.Loss.binary_crossentropy

    def __init__(self, from_logits=False, label_smoothing=0.0, name=None, reduction="sum_over_batch_size", axis=-1):
        if label_smoothing:
            raise NotImplementedError(f"label_smoothing is not supported by pyminidl, got {label_smoothing!r}")
        super().__init__(from_logits=from_logits, name=name, reduction=reduction)


class CategoricalCrossentropy(BinaryCrossentropy):
    """Cross-entropy of one-hot targets against a softmax output (or logits with `from_logits=True`); takes
    the arguments of `BinaryCrossentropy`."""

    kind = _core.Loss.categorical_crossentropy


class SparseCategoricalCrossentropy(Loss):
    """Cross-entropy of integer class targets against a softmax output (or logits with `from_logits=True`).

    Args:
        from_logits: whether the model outputs logits rather than probabilities.
        name: the loss's name in the logs.
        reduction: only Keras' default, `"sum_over_batch_size"`, is supported.
    """

    kind = _core.Loss.sparse_categorical_crossentropy


_NAMES = {
    MeanSquaredError: "mean_squared_error", MeanAbsoluteError: "mean_absolute_error", Huber: "huber_loss",
    BinaryCrossentropy: "binary_crossentropy", CategoricalCrossentropy: "categorical_crossentropy",
    SparseCategoricalCrossentropy: "sparse_categorical_crossentropy",
}

_BY_NAME = {
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError, "meansquarederror": MeanSquaredError,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError, "meanabsoluteerror": MeanAbsoluteError,
    "huber": Huber, "huber_loss": Huber,
    "binary_crossentropy": BinaryCrossentropy, "bce": BinaryCrossentropy, "binarycrossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy, "categoricalcrossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "sparsecategoricalcrossentropy": SparseCategoricalCrossentropy,
}


def _function(cls):
    def loss(y_true, y_pred):
        return cls()(y_true, y_pred)
    loss.__name__ = _NAMES[cls]
    loss.__doc__ = f"The mean {cls.__name__} loss of a batch: `{cls.__name__}()(y_true, y_pred)`."
    loss._pyminidl_loss = cls
    return loss


mean_squared_error = mse = _function(MeanSquaredError)
mean_absolute_error = mae = _function(MeanAbsoluteError)
huber = _function(Huber)
binary_crossentropy = _function(BinaryCrossentropy)
categorical_crossentropy = _function(CategoricalCrossentropy)
sparse_categorical_crossentropy = _function(SparseCategoricalCrossentropy)


def get(identifier):
    """A Loss from a name ('mse', 'categorical_crossentropy'), a class, an instance or a loss function here."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier) and hasattr(identifier, "_pyminidl_loss"):
        return identifier._pyminidl_loss()
    if identifier is None:
        raise ValueError("compile() needs a loss, e.g. loss='mse'; got None")
    if isinstance(identifier, str):
        return _check.lookup("loss", identifier, _BY_NAME)()
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}. pyminidl supports these names: "
                     f"{', '.join(sorted(k for k in _BY_NAME if '_' in k or len(k) <= 4))}")


def serialize(loss):
    """The `{"class_name": ..., "config": ...}` dict of a loss, as Keras writes it into model files."""
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def deserialize(config):
    """The loss described by a `serialize` dict."""
    classes = {c.__name__: c for c in _NAMES}
    return classes[config["class_name"]].from_config(config.get("config", {}))


def prepare_targets(loss, y, out_dim, name="y"):
    """Targets as the C++ core wants them: float32 (n, out_dim), or (n, 1) class indices for sparse CE.

    Applies Keras' rank fix: y of shape (n,) goes with a one-unit output.
    """
    y = np.asarray(y)
    sparse = isinstance(loss, SparseCategoricalCrossentropy)
    if sparse:
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise ValueError(f"{name}: sparse_categorical_crossentropy expects integer class labels of shape (n,) "
                             f"or (n, 1), got shape {y.shape}")
        labels = y.astype(np.float64)
        bad = ~np.isfinite(labels) | (labels < 0) | (labels >= out_dim) | (labels != np.round(labels))
        if bad.any():
            raise ValueError(f"{name}: class labels must be integers in [0, {out_dim}), got {y[bad][0].item()!r}")
        return np.ascontiguousarray(labels, dtype=np.float32).reshape(-1, 1)
    if y.ndim == 1 and out_dim == 1:
        y = y.reshape(-1, 1)
    if y.ndim != 2 or y.shape[1] != out_dim:
        hint = ""
        if isinstance(loss, CategoricalCrossentropy) and y.ndim == 1:
            hint = (" (integer labels? use utils.to_categorical(y) or "
                    "loss='sparse_categorical_crossentropy')")
        raise ValueError(f"{name}: expected targets of shape (n, {out_dim}) to match the model output, "
                         f"got shape {y.shape}{hint}")
    return np.ascontiguousarray(y, dtype=np.float32)


__all__ = _api.public(globals(), internal={"prepare_targets"})
__dir__ = _api.dir_function(__all__)
