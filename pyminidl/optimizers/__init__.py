"""Optimizers: each class declares its hyperparameters once (`_hyperparameters`); their validation, the
constructor's arguments, get_config/from_config and the C++ mirror (OptimizerConfig.hyper) all follow from that
declaration. The update rules live in cpp/optimizer_rules.cpp, the state in the C++ Optimizer object."""

import inspect
import warnings
from typing import Dict, Optional

import numpy as np

from pyminidl import _api, _check, _core
from pyminidl.backend import snake_case, unique_name
from pyminidl.optimizers import schedules
from pyminidl.optimizers.schedules import LearningRateSchedule


class Hyper:
    """One hyperparameter of an optimizer class: Keras' default, and the check a given value passes (the
    check returns the value as stored: a float or a bool)."""

    __slots__ = ("default", "check")

    def __init__(self, default, check):
        self.default, self.check = default, check


def _fraction(name, value):  # momentum, rho
    return _check.number(name, value, 0.0, 1.0)


def _decay_rate(name, value):  # beta_1, beta_2: 1 would never forget and divides by 0 in the bias correction
    return _check.number(name, value, 0.0, 1.0, high_open=True)


def _non_negative(name, value):  # epsilon, initial_accumulator_value
    return _check.number(name, value, 0.0)


_flag = _check.boolean
_DEFAULT = object()  # "not given": the class's default applies
_BASE_ARGS = ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm", "use_ema", "name")
_BY_NAME: Dict[str, type] = {}  # Keras name ('adam') -> class: the one registry, filled as the classes are defined


class Optimizer:
    """Base class: learning rate (a float or a schedule), weight decay and gradient clipping.

    A subclass names its C++ rule (`_kind`, a member of _core.Opt) and declares its own hyperparameters in
    `_hyperparameters` (name -> Hyper, in Keras' argument order); the optimizer's state (slots, iteration
    count) lives in the compiled model's C++ network. Every optimizer takes these arguments besides its own.

    Args:
        learning_rate: a positive float, or a schedule of `pyminidl.optimizers.schedules`.
        weight_decay: if set, each step first shrinks the weights by `learning_rate * weight_decay * w`.
        clipnorm: if set, each weight's gradient is rescaled so that its norm is at most this.
        clipvalue: if set, each gradient entry is clipped to `[-clipvalue, clipvalue]`.
        global_clipnorm: if set, all gradients are rescaled so that their joint norm is at most this.
        use_ema: accepted for Keras' signature; only False is supported.
        name: the optimizer's name. Defaults to its class name in snake case.
        lr: Keras 2's spelling of `learning_rate` (tutorials write `SGD(lr=0.1)`).
        decay: Keras 2's decay; ignored with a warning, as Keras 3 does (use a schedule).

    Raises:
        ValueError: for an argument out of its range or not recognized; the message names it and the value.
    """

    _kind: Optional[str] = None  # the name of its rule in _core.Opt, set by each subclass
    _hyperparameters: Dict[str, "Hyper"] = {}
    _default_learning_rate = 0.001
    _default_weight_decay: Optional[float] = None  # AdamW: 0.004, and None is refused

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls._kind is not None:
            if cls._kind not in _core.Opt.__members__:  # the Python class and the C++ table must agree
                raise TypeError(f"{cls.__name__}: the C++ core has no optimizer rule {cls._kind!r}")
            _BY_NAME[cls._kind] = cls
        cls.__signature__ = cls._signature()

    @classmethod
    def _signature(cls):
        """What help() and inspect show: learning_rate, the declared hyperparameters, the common arguments."""
        P = inspect.Parameter
        common = {"weight_decay": cls._default_weight_decay, "use_ema": False}
        params = [P("learning_rate", P.POSITIONAL_OR_KEYWORD, default=cls._default_learning_rate)]
        params += [P(k, P.POSITIONAL_OR_KEYWORD, default=h.default) for k, h in cls._hyperparameters.items()]
        params += [P(k, P.KEYWORD_ONLY, default=common.get(k)) for k in _BASE_ARGS]
        return inspect.Signature(params)

    def __init__(self, learning_rate=_DEFAULT, *args, weight_decay=_DEFAULT, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, name=None, lr=None, decay=None, **kwargs):
        cls = type(self)
        hypers = cls._hyperparameters
        if len(args) > len(hypers):
            raise TypeError(f"{cls.__name__} takes at most {1 + len(hypers)} positional arguments "
                            f"(learning_rate, {', '.join(hypers)}), got {1 + len(args)}")
        given = dict(zip(hypers, args))
        for key in [k for k in kwargs if k in hypers]:
            if key in given:
                raise TypeError(f"{cls.__name__} got multiple values for argument '{key}'")
            given[key] = kwargs.pop(key)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        for key, hyper in hypers.items():
            setattr(self, key, hyper.check(key, given.get(key, hyper.default)))
        if lr is not None:  # Keras 2 tutorials write SGD(lr=0.1); it means learning_rate
            learning_rate = lr
        if decay:
            warnings.warn("decay= is ignored, as in Keras 3; use a learning-rate schedule instead", stacklevel=3)
        if use_ema:
            raise NotImplementedError("use_ema=True is not supported by pyminidl")
        if weight_decay is _DEFAULT:
            weight_decay = cls._default_weight_decay
        elif weight_decay is None and cls._default_weight_decay is not None:
            raise ValueError(f"{cls.__name__} needs a weight_decay, got None")
        self._network = None
        self.learning_rate = cls._default_learning_rate if learning_rate is _DEFAULT else learning_rate
        self.weight_decay = None if weight_decay is None else _check.number("weight_decay", weight_decay, 0.0)
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        given = [k for k, v in clips.items() if v is not None]
        if len(given) > 1:
            raise ValueError(f"Only one of clipnorm, clipvalue and global_clipnorm can be set, got {given}")
        for key, value in clips.items():
            setattr(self, key, None if value is None else _check.number(key, value, 0.0, low_open=True))
        self.name = name or unique_name(snake_case(cls.__name__))

    # --- learning rate: a float or a schedule, assignable at any time (ReduceLROnPlateau does) ----
    @property
    def learning_rate(self):
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, LearningRateSchedule):
            self._learning_rate = value
        else:
            value = _check.number("learning_rate", value, 0.0)
            self._learning_rate = float(np.float32(value))  # Keras keeps it in a float32 variable
        self._push()

    lr = learning_rate  # Keras 2 spelling

    @property
    def iterations(self):
        """Training steps taken (batches), as Keras' optimizer.iterations."""
        return int(self._network.iterations) if self._network is not None else 0

    def current_learning_rate(self):
        if self._network is not None:
            return float(self._network.current_learning_rate())
        lr = self._learning_rate
        return float(lr(0)) if isinstance(lr, LearningRateSchedule) else lr

    def _config(self):
        """The C++ description of this optimizer: the rule, its hyperparameters by name, the common part."""
        cfg = _core.OptimizerConfig()
        cfg.kind = _core.Opt.__members__[self._kind]
        if isinstance(self._learning_rate, LearningRateSchedule):
            self._learning_rate._apply(cfg)
        else:
            cfg.learning_rate = self._learning_rate
        cfg.hyper = {key: float(getattr(self, key)) for key in self._hyperparameters}  # flags as 0.0 / 1.0
        cfg.weight_decay = self.weight_decay or 0.0
        cfg.clipnorm = self.clipnorm or 0.0
        cfg.clipvalue = self.clipvalue or 0.0
        cfg.global_clipnorm = self.global_clipnorm or 0.0
        return cfg

    def _push(self):
        """Send a changed float learning rate to the network being trained."""
        net = getattr(self, "_network", None)
        if net is not None and not isinstance(self._learning_rate, LearningRateSchedule):
            net.set_learning_rate(self._learning_rate)

    def get_config(self):
        lr = self._learning_rate
        config = {"name": self.name,
                  "learning_rate": schedules.serialize(lr) if isinstance(lr, LearningRateSchedule) else lr,
                  "weight_decay": self.weight_decay, "clipnorm": self.clipnorm, "clipvalue": self.clipvalue,
                  "global_clipnorm": self.global_clipnorm}
        config.update({key: getattr(self, key) for key in self._hyperparameters})
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"])
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name} learning_rate={self._learning_rate}>"


# --- the rules: one declaration each (Keras 3's defaults, KERAS_REFERENCE.md §1) ------------------------

_BETAS = {"beta_1": Hyper(0.9, _decay_rate), "beta_2": Hyper(0.999, _decay_rate),
          "epsilon": Hyper(1e-7, _non_negative)}


class SGD(Optimizer):
    """Gradient descent, optionally with (Nesterov) momentum: `v = momentum * v - lr * g; w += v`.

    Args:
        learning_rate: a positive float or a schedule. Defaults to 0.01.
        momentum: in [0, 1]; 0 is plain gradient descent.
        nesterov: whether to use Nesterov momentum.
        **kwargs: the arguments every optimizer takes (see `Optimizer`).

    Raises:
        ValueError: if `momentum` is outside [0, 1], or another argument is invalid.

    Examples:

    >>> import pyminidl as tf
    >>> opt = tf.keras.optimizers.SGD(lr=0.1, momentum=0.9)   # lr: Keras 2's spelling of learning_rate
    >>> round(float(opt.learning_rate), 4), opt.momentum
    (0.1, 0.9)
    """

    _kind = "sgd"
    _default_learning_rate = 0.01
    _hyperparameters = {"momentum": Hyper(0.0, _fraction), "nesterov": Hyper(False, _flag)}


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e): w -= lr*g/sqrt(s + eps), s a running mean of g^2."""

    _kind = "rmsprop"
    _hyperparameters = {"rho": Hyper(0.9, _fraction), "momentum": Hyper(0.0, _fraction),
                        "epsilon": Hyper(1e-7, _non_negative), "centered": Hyper(False, _flag)}


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2014), with Keras' epsilon placement; amsgrad (Reddi et al., 2018).

    Args:
        learning_rate: a positive float or a schedule. Defaults to 0.001.
        beta_1: the decay of the running mean of the gradients, in [0, 1).
        beta_2: the decay of the running mean of their squares, in [0, 1).
        epsilon: added to the denominator for stability.
        amsgrad: whether to use the maximum of the second moments so far (AMSGrad).
        **kwargs: the arguments every optimizer takes (see `Optimizer`).

    Raises:
        ValueError: if a beta is outside [0, 1), or another argument is invalid.

    Examples:

    >>> import pyminidl as tf
    >>> opt = tf.keras.optimizers.Adam(learning_rate=0.01)
    >>> round(float(opt.learning_rate), 4)
    0.01
    """

    _kind = "adam"
    _hyperparameters = {**_BETAS, "amsgrad": Hyper(False, _flag)}


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): w -= lr*wd*w before each step."""

    _kind = "adamw"
    _default_weight_decay = 0.004


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011): acc += g^2; w -= lr*g/sqrt(acc + eps), acc starting at 0.1."""

    _kind = "adagrad"
    _hyperparameters = {"initial_accumulator_value": Hyper(0.1, _non_negative), "epsilon": Hyper(1e-7, _non_negative)}


class Nadam(Optimizer):
    """Adam with Nesterov momentum (Dozat, 2016), Keras' momentum schedule 0.96**t."""

    _kind = "nadam"
    _hyperparameters = dict(_BETAS)


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, 2014, section 7.1): Adam with the infinity norm, u = max(beta_2*u, |g|);
    w -= lr/(1 - beta_1**t) * m/(u + eps)."""

    _kind = "adamax"
    _hyperparameters = dict(_BETAS)


def get(identifier):
    """An optimizer from a name ('adam', case-insensitive), a class or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, str):
        return _check.lookup("optimizer", identifier, _BY_NAME)()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")


def serialize(optimizer):
    """The `{"class_name": ..., "config": ...}` dict of an optimizer, as Keras writes it."""
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config):
    """The object a `serialize` dict describes."""
    classes = {c.__name__: c for c in _BY_NAME.values()}
    try:
        cls = classes[config["class_name"]]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown optimizer in config: {config!r:.200}") from None
    return cls.from_config(config.get("config", {}))


__all__ = _api.public(globals(), extra={"schedules", "LearningRateSchedule"})
__dir__ = _api.dir_function(__all__)
