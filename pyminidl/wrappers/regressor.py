"""KerasRegressor: a pyminidl model as a scikit-learn regressor (one or several outputs, R^2 score)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import RegressorMixin

from pyminidl.wrappers.base import BaseWrapper

__all__ = ["KerasRegressor"]


class KerasRegressor(RegressorMixin, BaseWrapper):
    """A pyminidl model as a scikit-learn regressor, with SciKeras' parameters (see `BaseWrapper`).

    y of shape (n_samples,) goes with a one-unit output and `predict` returns shape (n_samples,); y of shape
    (n_samples, k) goes with k units. `loss=None` means mean squared error. `score` is R^2, as scikit-learn's.

    Example:

    ```python
    import numpy as np
    import pyminidl as tf
    from pyminidl.wrappers import KerasRegressor

    def build(meta):
        return tf.keras.Sequential([tf.keras.layers.Dense(8, activation="relu"),
                                    tf.keras.layers.Dense(meta["n_outputs_"])])

    X = np.random.default_rng(0).random((100, 2))
    reg = KerasRegressor(build, optimizer="adam", epochs=20, verbose=0, random_state=0)
    print(reg.fit(X, X.sum(axis=1)).predict(X[:3]))
    ```
    """

    _estimator_kind = "regressor"

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None, **kwargs: Any) -> "KerasRegressor":
        """Train the model one epoch on this batch of data, building it on the first call; returns self."""
        self._train(X, y, sample_weight, hasattr(self, "model_"), 1, kwargs)
        return self

    def _fit_targets(self, y: Any, reset: bool, classes: Any = None) -> np.ndarray:
        y = np.asarray(y, dtype="float32")
        outputs = 1 if y.ndim == 1 else y.shape[1]
        if reset:
            self.n_outputs_ = outputs
            self.y_ndim_ = y.ndim
            self.target_type_ = "continuous" if outputs == 1 else "continuous-multioutput"
        elif outputs != self.n_outputs_:
            raise ValueError(f"y has {outputs} outputs, but the regressor was fitted with {self.n_outputs_}")
        return y

    def _default_loss(self, output_units: int) -> str:
        return "mse"

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets: shape (n_samples,) when fitted on 1-D y, else (n_samples, n_outputs).

        Raises:
            sklearn.exceptions.NotFittedError: before `fit`.
        """
        out = self._outputs(X)
        return out.ravel() if self.y_ndim_ == 1 else out

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
