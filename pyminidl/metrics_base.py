"""The Metric base class (keras.metrics.Metric), apart from metrics.py so metrics_confusion.py can subclass it
without importing metrics.py back."""

from typing import Optional

import numpy as np

from pyminidl import _core, data
from pyminidl.backend import unique_name
from pyminidl.tensor import as_tensor


class Metric:
    """A metric object, as keras.metrics.AUC() and friends: its `name` is its key in the logs."""

    _names: tuple[str, ...] = ()  # the strings compile() resolves to this class; the first is its kind
    _kind: Optional[str] = None
    _core_kind: Optional[int] = None  # the C++ metric
    _direction = "max"     # which way is better (EarlyStopping & co. in mode 'auto')
    _counted_name = False  # Keras names AUC, Precision, Recall 'auc', 'auc_1', ... (a per-process counter)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._kind = cls._names[0] if cls._names else None

    def __init__(self, name=None, dtype=None):
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"name must be a non-empty string, got {name!r}")
        self.name = name or (unique_name(self._kind) if self._counted_name else self._kind)
        self._seen = []

    def _config(self):
        return _core.MetricConfig(self._core_kind)

    # Standalone use, as Keras' metric objects: m.update_state(y_true, y_pred); m.result().numpy(). The batches
    # are kept and the C++ metric runs over all of them (the value an epoch of those batches logs).
    def update_state(self, y_true, y_pred, sample_weight=None):
        if sample_weight is not None:
            raise NotImplementedError(f"{type(self).__name__}.update_state(sample_weight=...) is not supported by "
                                      "pyminidl (metrics= ignore sample weights in fit, as Keras)")
        p = data.as_array(y_pred, "y_pred").astype(np.float32)
        p = p.reshape(len(p), -1) if p.ndim > 1 else p.reshape(-1, 1)
        y = data.as_array(y_true, "y_true").astype(np.float32)
        y = y.reshape(len(p), -1) if y.size else y.reshape(0, p.shape[1])
        self._seen.append((np.ascontiguousarray(p), np.ascontiguousarray(y)))

    def result(self):
        if not self._seen:
            return as_tensor(np.float32(0.0))
        p = np.concatenate([s[0] for s in self._seen])
        y = np.concatenate([s[1] for s in self._seen])
        return as_tensor(np.float32(_core.metric_value(self._config(), p, y)))

    def reset_state(self):
        self._seen = []

    def __call__(self, y_true, y_pred, sample_weight=None):
        """update_state, then result(), as Keras' metric(y_true, y_pred)."""
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"
