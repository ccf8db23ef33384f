"""BaseWrapper: the parameters, model building and training shared by KerasClassifier and KerasRegressor.

It follows SciKeras (the scikit-learn wrapper tf.keras users know): `model=` is a model or a function
building one, `model__<arg>` / `fit__<arg>` / `predict__<arg>` / `compile__<arg>` / `optimizer__<arg>` /
`loss__<arg>` route arguments to that function, `Sequential.fit`, `Sequential.predict`, `compile`, the optimizer's
and the loss's constructors. Each fit builds a fresh model (a model given as an instance is cloned from its
config), so fitting never changes a parameter and clones stay independent.
"""

from __future__ import annotations

import copy
import inspect
import numbers
import random as _pyrandom
from collections import defaultdict
from typing import Any, Callable, Dict, List, Optional, Union

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, validate_data

from pyminidl import losses as losses_module, optimizers as optimizers_module
from pyminidl.utils import set_random_seed

__all__ = ["BaseWrapper"]

_ROUTES = ("model", "fit", "predict", "compile", "optimizer", "loss")


class BaseWrapper(BaseEstimator):
    """scikit-learn estimator around a pyminidl model; use KerasClassifier or KerasRegressor.

    Args:
        model: a model (cloned from its config at each fit), or a function returning one. The function receives
            the `model__<arg>` parameters by name, and `meta` (a dict: `n_features_in_`, `n_outputs_`,
            `target_type_`, and for classifiers `classes_`, `n_classes_`) and `compile_kwargs` if it takes them.
            A model the function leaves uncompiled is compiled with `optimizer`, `loss` and `metrics`.
        warm_start: when True, `fit` continues training the fitted model instead of building a new one.
        random_state: an integer (or `numpy.random.RandomState`) seeding initial weights, dropout and
            shuffling, so that two fits with the same seed give the same model. None: the global generators.
        optimizer: name, class or instance (an instance is copied for each fit); `optimizer__<arg>` sets its
            constructor arguments, e.g. `optimizer__learning_rate=0.01`.
        loss: name, class, instance or loss function; `loss__<arg>` sets constructor arguments.
        metrics: list of metric names or objects for `compile`.
        batch_size: samples per gradient step (Keras' default 32 when None).
        validation_batch_size: samples per validation batch.
        verbose: 0, 1 or 2, as `fit`'s `verbose`.
        callbacks: list of `pyminidl.callbacks.Callback` passed to every `fit`.
        validation_split: fraction of the training data held out for validation.
        shuffle: as `fit`'s `shuffle`.
        run_eagerly: accepted for SciKeras compatibility; pyminidl has no graph mode.
        epochs: passes over the data in `fit` (`partial_fit` always runs one).
        **kwargs: routed parameters (`model__units=8`, `fit__validation_freq=2`, ...).
    """

    _estimator_kind = "base"

    def __init__(self, model: Any = None, *, warm_start: bool = False, random_state: Any = None,
                 optimizer: Any = "rmsprop", loss: Any = None, metrics: Optional[List[Any]] = None,
                 batch_size: Optional[int] = None, validation_batch_size: Optional[int] = None,
                 verbose: int = 1, callbacks: Optional[List[Any]] = None, validation_split: float = 0.0,
                 shuffle: Union[bool, str] = True, run_eagerly: bool = False, epochs: int = 1,
                 **kwargs: Any) -> None:
        self.model = model
        self.warm_start = warm_start
        self.random_state = random_state
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
        self.batch_size = batch_size
        self.validation_batch_size = validation_batch_size
        self.verbose = verbose
        self.callbacks = callbacks
        self.validation_split = validation_split
        self.shuffle = shuffle
        self.run_eagerly = run_eagerly
        self.epochs = epochs
        self.__dict__.update(kwargs)  # checked at fit: scikit-learn wants __init__ to only store

    # --- parameters: the named ones plus the routed `prefix__arg` ones (kept as attributes) ---------------
    def get_params(self, deep: bool = True) -> Dict[str, Any]:
        """The estimator's parameters, including routed `model__<arg>`-style ones (scikit-learn API)."""
        params = super().get_params(deep=deep)
        params.update({k: v for k, v in vars(self).items() if _routed(k)})
        return params

    def set_params(self, **params: Any) -> "BaseWrapper":
        """Set parameters, including routed `model__<arg>`-style ones; returns self (scikit-learn API)."""
        named = set(self._get_param_names())
        for key, value in params.items():
            if key not in named:
                setattr(self, key, value)  # routed, or refused by the next fit (set_params must not raise)
        rest = {k: v for k, v in params.items() if k in named}
        return super().set_params(**rest) if rest else self

    def _routed_params(self, prefix: str) -> Dict[str, Any]:
        return {k[len(prefix) + 2:]: v for k, v in vars(self).items() if k.startswith(prefix + "__")}

    # --- targets: subclasses encode y for the loss and decode the model's outputs ---------------------
    def _fit_targets(self, y: Any, reset: bool, classes: Any = None) -> np.ndarray:
        raise NotImplementedError

    def _default_loss(self, output_units: int) -> str:
        raise NotImplementedError

    def _meta(self) -> Dict[str, Any]:
        return {"n_features_in_": self.n_features_in_, "n_outputs_": self.n_outputs_,
                "target_type_": self.target_type_}

    # --- fitting ----------------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any, sample_weight: Any = None, **kwargs: Any) -> "BaseWrapper":
        """Build (unless warm_start) and train the model for `epochs` epochs; returns self.

        Args:
            X: array-like of shape (n_samples, n_features).
            y: targets of shape (n_samples,) (or (n_samples, n_outputs) for a regressor).
            sample_weight: optional per-sample weights.
            **kwargs: passed to the model's `fit`, overriding `fit__<arg>` parameters.

        Raises:
            ValueError: for data scikit-learn's `validate_data` refuses (NaN, inf, wrong shapes, one class).
        """
        reuse = bool(self.warm_start) and hasattr(self, "model_")
        return self._train(X, y, sample_weight, reuse, self.epochs, kwargs)

    def _train(self, X: Any, y: Any, sample_weight: Any, reuse: bool, epochs: int, kwargs: Dict[str, Any],
               classes: Any = None) -> "BaseWrapper":
        _check_routed(self)
        X, y = validate_data(self, X, y, reset=not reuse, dtype="float32", multi_output=True,
                             y_numeric=self._estimator_kind == "regressor")
        targets = self._fit_targets(y, reset=not reuse, classes=classes)
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype="float32").reshape(-1)
            if sample_weight.shape[0] != X.shape[0]:
                raise ValueError(f"sample_weight must have one weight per sample ({X.shape[0]}), got "
                                 f"{sample_weight.shape[0]}")
            if not np.all(np.isfinite(sample_weight)) or np.any(sample_weight < 0) or not sample_weight.any():
                raise ValueError("sample_weight must be finite, non-negative and not all zero, got "
                                 f"{sample_weight[:10].tolist()}...")
        fit_kwargs = {"batch_size": self.batch_size, "validation_batch_size": self.validation_batch_size,
                      "verbose": self.verbose, "callbacks": self.callbacks, "shuffle": self.shuffle,
                      "validation_split": self.validation_split, **self._routed_params("fit"), **kwargs,
                      "epochs": epochs}
        with _seeded(self.random_state):
            if not reuse:
                self.model_ = self._build_model()
                self.history_: Dict[str, List[float]] = defaultdict(list)
            history = self.model_.fit(X, targets, sample_weight=sample_weight, **fit_kwargs)
        for key, values in history.history.items():
            self.history_[key].extend(values)
        return self

    def _build_model(self) -> Any:
        if self.model is None:
            raise ValueError("model must be a pyminidl model or a function building one, got None")
        compile_kwargs = self._compile_kwargs()
        if callable(self.model) and not _is_model(self.model):
            build = self.model
            args = dict(self._routed_params("model"))
            accepted = inspect.signature(build).parameters
            takes_any = any(p.kind == p.VAR_KEYWORD for p in accepted.values())
            if "meta" in accepted or takes_any:
                args["meta"] = self._meta()
            if "compile_kwargs" in accepted or takes_any:
                args["compile_kwargs"] = compile_kwargs
            model = build(**args)
            if not _is_model(model):
                raise TypeError(f"model: the function {getattr(build, '__name__', build)!r} must return a "
                                f"pyminidl model, got {model!r:.200}")
        elif _is_model(self.model):
            model = type(self.model).from_config(self.model.get_config())
        else:
            raise TypeError(f"model must be a pyminidl model or a function building one, got {self.model!r:.200}")
        if not getattr(model, "compiled", False):
            if compile_kwargs["loss"] is None:
                if not model.built:
                    model.build((None, self.n_features_in_))
                compile_kwargs["loss"] = self._default_loss(int(model.output_shape[-1]))
            model.compile(**compile_kwargs)
        return model

    def _compile_kwargs(self) -> Dict[str, Any]:
        optimizer = _instance(self.optimizer, optimizers_module.get, self._routed_params("optimizer"), "optimizer")
        loss = None
        if self.loss is not None:
            loss = _instance(self.loss, losses_module.get, self._routed_params("loss"), "loss")
        return {"optimizer": optimizer, "loss": loss, "metrics": copy.deepcopy(self.metrics),
                **self._routed_params("compile")}

    # --- inference --------------------------------------------------------------------------------------
    def _outputs(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype="float32")
        return np.asarray(self.model_.predict(X, **self._routed_params("predict")), dtype="float64")

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags


def _routed(key: str) -> bool:
    return "__" in key and key.split("__", 1)[0] in _ROUTES


def _check_routed(estimator: BaseWrapper) -> None:
    """Keyword arguments that are neither parameters nor routed ones (kept by __init__, refused at fit)."""
    named = set(estimator._get_param_names())
    for key in vars(estimator):
        if not (key in named or _routed(key) or key.startswith("_") or key.endswith("_")):
            raise TypeError(f"unexpected keyword argument {key!r}: routed parameters start with one of "
                            f"{', '.join(p + '__' for p in _ROUTES)} (e.g. model__units=8)")


def _is_model(obj: Any) -> bool:
    return not isinstance(obj, type) and hasattr(obj, "get_config") and hasattr(obj, "fit") \
        and hasattr(obj, "compile")


def _instance(spec: Any, getter: Callable[[Any], Any], routed: Dict[str, Any], what: str) -> Any:
    """A fresh optimizer or loss object: from its name or class with the routed arguments, or a copy."""
    if isinstance(spec, type) or isinstance(spec, str):
        cls = spec if isinstance(spec, type) else type(getter(spec))
        return cls(**routed)
    if routed:
        raise ValueError(f"{what}__ arguments {sorted(routed)} need {what} given as a name or a class, got the "
                         f"object {spec!r}")
    obj = getter(spec)
    return type(obj).from_config(obj.get_config()) if hasattr(obj, "from_config") else obj


class _seeded:
    """Seeds pyminidl from random_state for one fit, then restores NumPy's and Python's global generators."""

    def __init__(self, random_state: Any) -> None:
        self.random_state = random_state
        self.saved: Any = None

    def __enter__(self) -> None:
        if self.random_state is None:
            return
        self.saved = (np.random.get_state(), _pyrandom.getstate())
        state = self.random_state
        if isinstance(state, np.random.RandomState):
            seed = int(state.randint(0, 2**31 - 1))
        elif isinstance(state, numbers.Integral) and not isinstance(state, bool):
            seed = int(state)
        else:
            raise ValueError(f"random_state must be None, an integer or a numpy RandomState, got {state!r}")
        set_random_seed(seed)

    def __exit__(self, *exc: Any) -> None:
        if self.saved is not None:
            np.random.set_state(self.saved[0])
            _pyrandom.setstate(self.saved[1])
