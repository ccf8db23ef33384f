"""KerasClassifier: a pyminidl model as a scikit-learn classifier (labels of any type, probabilities)."""

from __future__ import annotations

from typing import Any, Dict

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d

from pyminidl import losses as losses_module
from pyminidl.wrappers.base import BaseWrapper

__all__ = ["KerasClassifier"]


class KerasClassifier(ClassifierMixin, BaseWrapper):
    """A pyminidl model as a scikit-learn classifier, with SciKeras' parameters (see `BaseWrapper`).

    Labels may be of any type (strings, integers, ...); `classes_` holds them sorted. The model is trained on
    their indices (`sparse_categorical_crossentropy`, or `binary_crossentropy` for a one-unit output) or, when
    the loss is `categorical_crossentropy`, on their one-hot codes. When `loss` is None pyminidl picks the one
    that fits the model's output: one unit gives binary cross-entropy, more give sparse categorical.
    `predict_proba` returns one column per class (for a one-unit sigmoid output: `[1 - p, p]`).

    Example:

    ```python
    import pyminidl as tf
    from pyminidl.wrappers import KerasClassifier

    def build(meta, hidden=16):
        return tf.keras.Sequential([tf.keras.layers.Dense(hidden, activation="relu"),
                                    tf.keras.layers.Dense(meta["n_classes_"], activation="softmax")])

    X, y = tf.datasets.load_iris()
    clf = KerasClassifier(build, model__hidden=8, optimizer="adam", epochs=50, verbose=0, random_state=0)
    print(clf.fit(X, y).score(X, y))
    ```
    """

    _estimator_kind = "classifier"

    def partial_fit(self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None,
                    **kwargs: Any) -> "KerasClassifier":
        """One epoch on this batch; `classes` (needed on the first call if a batch may miss some) fixes the
        label set, as in scikit-learn's incremental classifiers."""
        self._train(X, y, sample_weight, hasattr(self, "model_"), 1, kwargs, classes=classes)
        return self

    def _fit_targets(self, y: Any, reset: bool, classes: Any = None) -> np.ndarray:
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if reset:
            self.target_encoder_ = LabelEncoder().fit(y if classes is None else np.asarray(classes))
            self.classes_ = self.target_encoder_.classes_
            self.n_classes_ = len(self.classes_)
            self.n_outputs_ = 1
            self.target_type_ = type_of_target(y if classes is None else np.asarray(classes))
            if self.n_classes_ < 2:
                raise ValueError(f"KerasClassifier needs at least 2 classes in y, got one class: "
                                 f"{self.classes_[0]!r}")
        unseen = np.setdiff1d(y, self.classes_)
        if unseen.size:
            raise ValueError(f"y holds labels {unseen[:5].tolist()} that are not in classes_ "
                             f"{self.classes_.tolist()}")
        codes = self.target_encoder_.transform(y)
        if self._is_categorical():
            return np.eye(self.n_classes_, dtype="float32")[codes]
        return codes.astype("float32")

    def _is_categorical(self) -> bool:
        loss = getattr(getattr(self, "model_", None), "loss", None)
        if loss is None and self.loss is not None and not isinstance(self.loss, str):
            loss = losses_module.get(self.loss) if not isinstance(self.loss, type) else self.loss
        if isinstance(loss, type):
            return issubclass(loss, losses_module.CategoricalCrossentropy)
        if loss is not None:
            return isinstance(loss, losses_module.CategoricalCrossentropy)
        return isinstance(self.loss, str) and self.loss.lower() in ("categorical_crossentropy",
                                                                     "categoricalcrossentropy")

    def _default_loss(self, output_units: int) -> str:
        return "binary_crossentropy" if output_units == 1 else "sparse_categorical_crossentropy"

    def _meta(self) -> Dict[str, Any]:
        return {**super()._meta(), "classes_": self.classes_, "n_classes_": self.n_classes_}

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns in the order of `classes_`.

        Raises:
            sklearn.exceptions.NotFittedError: before `fit`.
            ValueError: when the model's output has neither 1 nor `n_classes_` units.
        """
        out = self._outputs(X)
        if getattr(self.model_.loss, "from_logits", False):
            out = _sigmoid(out) if out.shape[1] == 1 else _softmax(out)
        if out.shape[1] == 1 and self.n_classes_ == 2:
            return np.hstack([1.0 - out, out])
        if out.shape[1] != self.n_classes_:
            raise ValueError(f"the model has {out.shape[1]} outputs for {self.n_classes_} classes: give the last "
                             f"layer meta['n_classes_'] units (or 1 unit for two classes)")
        return out

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class label of each sample (values from `classes_`)."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
