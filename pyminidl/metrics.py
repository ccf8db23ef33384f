"""Metric names resolved the way Keras does (KERAS_REFERENCE §4); the list and the counting are in cpp/metrics.*."""

from pyminidl import _core, _check, losses

# Every metric of cpp/metrics.h's list by its name there, and the long names Keras also accepts.
_FIXED = dict(_core.Metric.__members__)
_FIXED.update(mean_squared_error=_core.Metric.mse, mean_absolute_error=_core.Metric.mae)
_ACCURACY = ("accuracy", "acc")

# Directions for callbacks that watch a metric (EarlyStopping, ModelCheckpoint, ReduceLROnPlateau).
HIGHER_IS_BETTER = {"accuracy", "acc", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy"}


class Metric:
    """A metric object for compile(metrics=[...]), as keras.metrics.CategoricalAccuracy() and friends.

    Its `name` is the key in the logs; the counting is the C++ metric of the same name.
    """

    _kind = None

    def __init__(self, name=None, dtype=None):
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"name must be a non-empty string, got {name!r}")
        self.name = name or self._kind

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class BinaryAccuracy(Metric):
    _kind = "binary_accuracy"

    def __init__(self, name=None, dtype=None, threshold=0.5):
        if threshold != 0.5:
            raise NotImplementedError(f"BinaryAccuracy(threshold=...) other than 0.5 is not supported, got {threshold!r}")
        super().__init__(name, dtype)


class CategoricalAccuracy(Metric):
    _kind = "categorical_accuracy"


class SparseCategoricalAccuracy(Metric):
    _kind = "sparse_categorical_accuracy"


class MeanSquaredError(Metric):
    _kind = "mean_squared_error"


class MeanAbsoluteError(Metric):
    _kind = "mean_absolute_error"


def resolve(identifier, loss, output_dim):
    """(key in the logs, C++ metric code) for one entry of compile(metrics=[...]).

    'accuracy'/'acc' depend only on shapes: one output unit -> binary accuracy; sparse integer labels
    -> sparse categorical accuracy; otherwise categorical accuracy.
    """
    if isinstance(identifier, Metric):
        key, code = resolve(identifier._kind, loss, output_dim)
        return identifier.name, code
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return resolve(identifier(), loss, output_dim)
    if callable(identifier) and not isinstance(identifier, str):
        name = getattr(identifier, "__name__", None)
        if name in _FIXED:
            return name, _FIXED[name]
        raise ValueError(f"Unsupported metric {identifier!r}: use a name such as 'accuracy' or 'mae'")
    if not isinstance(identifier, str):
        raise ValueError(f"metrics entries must be strings such as 'accuracy', got {identifier!r}")
    key = identifier.lower()
    if key in _ACCURACY:
        if output_dim == 1:
            return identifier, _core.Metric.binary_accuracy
        if isinstance(loss, losses.SparseCategoricalCrossentropy):
            return identifier, _core.Metric.sparse_categorical_accuracy
        return identifier, _core.Metric.categorical_accuracy
    if key == "sparse_categorical_accuracy" and not isinstance(loss, losses.SparseCategoricalCrossentropy):
        raise ValueError("sparse_categorical_accuracy needs integer labels: compile with "
                         "loss='sparse_categorical_crossentropy'")
    if key != "sparse_categorical_accuracy" and isinstance(loss, losses.SparseCategoricalCrossentropy) \
            and key in ("categorical_accuracy", "binary_accuracy", "mse", "mae", "mean_squared_error",
                        "mean_absolute_error"):
        raise ValueError(f"metric {identifier!r} needs one-hot targets, but the loss takes integer labels")
    return identifier, _check.lookup("metric", key, {**_FIXED, **{a: None for a in _ACCURACY}})
