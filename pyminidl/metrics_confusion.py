"""Precision, Recall and AUC: metrics of the epoch's confusion counts, not of per-sample means
(Keras' confusion_metrics.py; the counting is in cpp/metrics.cpp)."""

from pyminidl import _check, _core
from pyminidl.metrics_base import Metric


def _threshold(thresholds):
    if thresholds is None:
        return 0.5
    if isinstance(thresholds, (list, tuple)):
        raise NotImplementedError(f"thresholds must be one number here (a list gives a list of values in Keras), "
                                  f"got {thresholds!r}")
    return _check.number("thresholds", thresholds, 0.0, 1.0)


class _Confusion(Metric):
    _counted_name = True

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        for arg, value in (("top_k", top_k), ("class_id", class_id)):
            if value is not None:
                raise NotImplementedError(f"{type(self).__name__}({arg}=...) is not supported by pyminidl, got "
                                          f"{value!r}")
        self.thresholds = _threshold(thresholds)
        super().__init__(name, dtype)

    def _config(self):
        cfg = super()._config()
        cfg.threshold = self.thresholds
        return cfg


class Precision(_Confusion):
    """TP / (TP + FP) over every output entry of the epoch; positive iff p > thresholds (0.5); 0 if none."""

    _names, _core_kind = ("precision",), _core.Metric.precision


class Recall(_Confusion):
    """TP / (TP + FN) over every output entry of the epoch; positive iff p > thresholds (0.5); 0 if none."""

    _names, _core_kind = ("recall",), _core.Metric.recall


class AUC(Metric):
    """Area under the ROC (or PR) curve from the epoch's counts at `num_thresholds` evenly spaced thresholds,
    Keras' trapezoids ('interpolation'), lower ('minoring') or upper ('majoring') sums; PR interpolates as
    Davis & Goadrich. Labels may be soft: y counts as positive, 1 - y as negative."""

    _names, _core_kind = ("auc",), _core.Metric.auc
    _counted_name = True

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        self.num_thresholds = _check.integer("num_thresholds", num_thresholds, minimum=2, maximum=1 << 20)
        if curve not in ("ROC", "PR"):
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are ["ROC", "PR"]')
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f'Invalid AUC summation method value: "{summation_method}". Expected values are '
                             '["interpolation", "majoring", "minoring"]')
        for arg, value, default in (("thresholds", thresholds, None), ("multi_label", multi_label, False),
                                    ("num_labels", num_labels, None), ("label_weights", label_weights, None)):
            if value is not default:
                raise NotImplementedError(f"AUC({arg}=...) is not supported by pyminidl, got {value!r}")
        self.curve, self.summation_method = curve, summation_method
        self.from_logits = _check.boolean("from_logits", from_logits)
        super().__init__(name, dtype)

    def _config(self):
        cfg = super()._config()
        cfg.num_thresholds = self.num_thresholds
        cfg.curve = getattr(_core.AucCurve, self.curve)
        cfg.summation = getattr(_core.AucSummation, self.summation_method)
        cfg.from_logits = self.from_logits
        return cfg
