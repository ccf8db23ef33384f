"""Metrics for compile(metrics=[...]): Keras' names, classes and log keys (KERAS_REFERENCE §4, §17); the
numbers are counted in cpp/metrics.cpp.

A string is keyed in the logs as written ('mape', not 'mean_absolute_percentage_error'); an object by its
`name`. 'accuracy'/'acc' resolve from shapes only: one output unit -> binary accuracy; integer labels (the
sparse loss) -> sparse categorical accuracy; otherwise categorical accuracy.
"""

from pyminidl import _api, _check, _core, losses
from pyminidl.metrics_base import Metric

_ACCURACY = ("accuracy", "acc")


def _metric(class_name, names, core_kind, direction="max", doc=""):
    """A Metric subclass without settings of its own."""
    return type(class_name, (Metric,), {"_names": names, "_core_kind": core_kind, "_direction": direction,
                                        "__doc__": doc, "__module__": __name__})


M = _core.Metric
CategoricalAccuracy = _metric("CategoricalAccuracy", ("categorical_accuracy",), M.categorical_accuracy,
                              doc="argmax(y) == argmax(p); ties go to the first index.")
SparseCategoricalAccuracy = _metric("SparseCategoricalAccuracy", ("sparse_categorical_accuracy",),
                                    M.sparse_categorical_accuracy, doc="argmax(p) == the integer label.")
MeanSquaredError = _metric("MeanSquaredError", ("mean_squared_error", "mse"), M.mse, "min", "mean((y - p)^2).")
MeanAbsoluteError = _metric("MeanAbsoluteError", ("mean_absolute_error", "mae"), M.mae, "min", "mean(|y - p|).")
MeanAbsolutePercentageError = _metric("MeanAbsolutePercentageError", ("mean_absolute_percentage_error", "mape"),
                                      M.mape, "min", "100 * mean(|y - p| / max(|y|, 1e-7)).")
MeanSquaredLogarithmicError = _metric("MeanSquaredLogarithmicError", ("mean_squared_logarithmic_error", "msle"),
                                      M.msle, "min", "mean((ln(1 + max(p, eps)) - ln(1 + max(y, eps)))^2).")
CosineSimilarity = _metric("CosineSimilarity", ("cosine_similarity",), M.cosine_similarity,
                           doc="Mean cosine of the angle between y and p (the loss of that name is its negative).")


class BinaryAccuracy(Metric):
    """Mean over the outputs of (p > threshold) == y."""

    _names, _core_kind = ("binary_accuracy",), M.binary_accuracy

    def __init__(self, name=None, dtype=None, threshold=0.5):
        self.threshold = _check.number("threshold", threshold)
        super().__init__(name, dtype)

    def _config(self):
        cfg = super()._config()
        cfg.threshold = self.threshold
        return cfg


class _Crossentropy(Metric):
    """The loss of the same name as a metric (no sample weights), computed as the loss computes it."""

    _direction = "min"

    def __init__(self, name=None, dtype=None, from_logits=False, label_smoothing=0, axis=-1):
        self.from_logits = _check.boolean("from_logits", from_logits)
        if label_smoothing:
            raise NotImplementedError(f"label_smoothing is not supported by pyminidl, got {label_smoothing!r}")
        if axis != -1:
            raise NotImplementedError(f"axis must be -1 (the last axis), got {axis!r}")
        super().__init__(name, dtype)

    def _config(self):
        cfg = super()._config()
        cfg.from_logits = self.from_logits
        return cfg


class BinaryCrossentropy(_Crossentropy):
    """The binary crossentropy of 0/1 targets as a metric (`"binary_crossentropy"`, `"bce"`)."""

    _names, _core_kind = ("binary_crossentropy", "bce"), M.binary_crossentropy


class CategoricalCrossentropy(_Crossentropy):
    """The categorical crossentropy of one-hot targets as a metric (`"categorical_crossentropy"`)."""

    _names, _core_kind = ("categorical_crossentropy",), M.categorical_crossentropy


class SparseCategoricalCrossentropy(_Crossentropy):
    """The categorical crossentropy of integer targets as a metric (`"sparse_categorical_crossentropy"`)."""

    _names, _core_kind = ("sparse_categorical_crossentropy",), M.sparse_categorical_crossentropy


class TopKCategoricalAccuracy(Metric):
    """1 if the true class is among the k largest predictions (boundary ties count as hits)."""

    _names, _core_kind = ("top_k_categorical_accuracy",), M.top_k_categorical_accuracy

    def __init__(self, k=5, name=None, dtype=None):
        self.k = _check.integer("k", k, minimum=1)
        super().__init__(name, dtype)

    def _config(self):
        cfg = super()._config()
        cfg.k = self.k
        return cfg


class SparseTopKCategoricalAccuracy(TopKCategoricalAccuracy):
    """1 if the integer target is among the k largest predictions (`"sparse_top_k_categorical_accuracy"`)."""

    _names, _core_kind = ("sparse_top_k_categorical_accuracy",), M.sparse_top_k_categorical_accuracy


from pyminidl.metrics_confusion import AUC, Precision, Recall  # noqa: E402  (they subclass Metric)

_CLASSES = [BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, MeanSquaredError, MeanAbsoluteError,
            MeanAbsolutePercentageError, MeanSquaredLogarithmicError, CosineSimilarity, BinaryCrossentropy,
            CategoricalCrossentropy, SparseCategoricalCrossentropy, TopKCategoricalAccuracy,
            SparseTopKCategoricalAccuracy, AUC, Precision, Recall]
_BY_NAME = {name: cls for cls in _CLASSES for name in cls._names}  # the one registry of metric strings
_SPARSE = (SparseCategoricalAccuracy, SparseCategoricalCrossentropy, SparseTopKCategoricalAccuracy)


def _instance(identifier, loss, output_dim):
    """The Metric object for one entry of metrics=[...], and its log key."""
    if isinstance(identifier, Metric):
        return identifier, identifier.name
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        obj = identifier()
        return obj, obj.name
    if callable(identifier) and not isinstance(identifier, str):  # loss functions: keyed by __name__
        name = getattr(identifier, "__name__", None)
        if name in _BY_NAME:
            return _BY_NAME[name](name=name), name
        raise ValueError(f"Unsupported metric {identifier!r}: use a name such as 'accuracy' or 'mae'")
    if not isinstance(identifier, str):
        raise ValueError(f"metrics entries must be strings such as 'accuracy', got {identifier!r}")
    key = identifier.lower()
    if key in _ACCURACY:
        if isinstance(loss, losses.SparseCategoricalCrossentropy):  # (needs 2+ outputs: the build says so)
            return SparseCategoricalAccuracy(), identifier
        if output_dim == 1:
            return BinaryAccuracy(), identifier
        return CategoricalAccuracy(), identifier
    cls = _check.lookup("metric", key, {**_BY_NAME, **{a: None for a in _ACCURACY}})
    return cls(name=identifier), identifier  # named as written: no per-process counter taken


def resolve(identifier, loss, output_dim):
    """(key in the logs, C++ MetricConfig) for one entry of compile(metrics=[...])."""
    metric, key = _instance(identifier, loss, output_dim)
    sparse_loss = isinstance(loss, losses.SparseCategoricalCrossentropy)
    if isinstance(metric, _SPARSE) and not sparse_loss:
        raise ValueError(f"{metric._kind} needs integer labels: compile with "
                         "loss='sparse_categorical_crossentropy'")
    if sparse_loss and not isinstance(metric, _SPARSE):
        raise ValueError(f"metric {key!r} needs one-hot targets, but the loss takes integer labels")
    return key, metric._config()


def direction(key, model=None):
    """'max', 'min' or None for a compiled metric's log key (callbacks' mode='auto')."""
    out_dim = (getattr(model, "output_shape", None) or (None, 2))[-1]
    for spec in getattr(model, "_metric_specs", None) or []:
        try:
            metric, spec_key = _instance(spec, getattr(model, "loss", None), out_dim)
        except ValueError:
            continue
        if spec_key == key:
            return metric._direction
    return None


# the classes defined here and those of metrics_base / metrics_confusion re-exported (Metric, AUC, ...)
__all__ = _api.public(globals(), internal={"resolve", "direction"}, extra=["AUC", "Metric", "Precision", "Recall"])
__dir__ = _api.dir_function(__all__)
