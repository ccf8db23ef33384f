"""Optimizers: each class is a set of hyperparameters; the update rules live in cpp/optimizers.cpp."""

import warnings
from typing import Optional

import numpy as np

from pyminidl import _api, _check, _core
from pyminidl.backend import snake_case, unique_name
from pyminidl.optimizers import schedules
from pyminidl.optimizers.schedules import LearningRateSchedule


class Optimizer:
    """Base class: learning rate (a float or a schedule), weight decay and gradient clipping.

    The optimizer's state (slots, iteration count) lives in the compiled model's C++ network. Every optimizer
    takes these arguments besides its own.

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

    _kind: Optional[int] = None  # the _core.Opt member, set by each subclass

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, name=None, lr=None, decay=None, **kwargs):
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        if lr is not None:  # Keras 2 tutorials write SGD(lr=0.1); it means learning_rate
            learning_rate = lr
        if decay:
            warnings.warn("decay= is ignored, as in Keras 3; use a learning-rate schedule instead", stacklevel=3)
        if use_ema:
            raise NotImplementedError("use_ema=True is not supported by pyminidl")
        self._network = None
        self.learning_rate = learning_rate
        self.weight_decay = None if weight_decay is None else _check.number("weight_decay", weight_decay, 0.0)
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        given = [k for k, v in clips.items() if v is not None]
        if len(given) > 1:
            raise ValueError(f"Only one of clipnorm, clipvalue and global_clipnorm can be set, got {given}")
        for key, value in clips.items():
            setattr(self, key, None if value is None else _check.number(key, value, 0.0, low_open=True))
        self.name = name or unique_name(snake_case(type(self).__name__))

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
        """The C++ description of this optimizer."""
        cfg = _core.OptimizerConfig()
        cfg.kind = self._kind
        if isinstance(self._learning_rate, LearningRateSchedule):
            self._learning_rate._apply(cfg)
        else:
            cfg.learning_rate = self._learning_rate
        cfg.weight_decay = self.weight_decay or 0.0
        cfg.clipnorm = self.clipnorm or 0.0
        cfg.clipvalue = self.clipvalue or 0.0
        cfg.global_clipnorm = self.global_clipnorm or 0.0
        self._fill(cfg)
        return cfg

    def _fill(self, cfg):
        pass

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
        config.update(self._hyper())
        return config

    def _hyper(self):
        return {}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"])
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name} learning_rate={self._learning_rate}>"


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

    _kind = _core.Opt.sgd

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        self.momentum = _check.number("momentum", momentum, 0.0, 1.0)
        self.nesterov = _check.boolean("nesterov", nesterov)
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _fill(self, cfg):
        cfg.momentum, cfg.nesterov = self.momentum, self.nesterov

    def _hyper(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e): w -= lr*g/sqrt(s + eps), s a running mean of g^2."""

    _kind = _core.Opt.rmsprop

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, **kwargs):
        self.rho = _check.number("rho", rho, 0.0, 1.0)
        self.momentum = _check.number("momentum", momentum, 0.0, 1.0)
        self.epsilon = _check.number("epsilon", epsilon, 0.0)
        self.centered = _check.boolean("centered", centered)
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _fill(self, cfg):
        cfg.rho, cfg.momentum, cfg.epsilon, cfg.centered = self.rho, self.momentum, self.epsilon, self.centered

    def _hyper(self):
        return {"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon, "centered": self.centered}


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

    _kind = _core.Opt.adam

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **kwargs):
        self.beta_1 = _check.number("beta_1", beta_1, 0.0, 1.0, high_open=True)
        self.beta_2 = _check.number("beta_2", beta_2, 0.0, 1.0, high_open=True)
        self.epsilon = _check.number("epsilon", epsilon, 0.0)
        self.amsgrad = _check.boolean("amsgrad", amsgrad)
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _fill(self, cfg):
        cfg.beta_1, cfg.beta_2, cfg.epsilon, cfg.amsgrad = self.beta_1, self.beta_2, self.epsilon, self.amsgrad

    def _hyper(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon, "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): w -= lr*wd*w before each step."""

    _kind = _core.Opt.adamw

    def __init__(self, learning_rate=0.001, weight_decay=0.004, **kwargs):
        if weight_decay is None:
            raise ValueError("AdamW needs a weight_decay, got None")
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, **kwargs)


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011): acc += g^2; w -= lr*g/sqrt(acc + eps), acc starting at 0.1."""

    _kind = _core.Opt.adagrad

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        self.initial_accumulator_value = _check.number("initial_accumulator_value", initial_accumulator_value, 0.0)
        self.epsilon = _check.number("epsilon", epsilon, 0.0)
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _fill(self, cfg):
        cfg.initial_accumulator_value, cfg.epsilon = self.initial_accumulator_value, self.epsilon

    def _hyper(self):
        return {"initial_accumulator_value": self.initial_accumulator_value, "epsilon": self.epsilon}


class Nadam(Adam):
    """Adam with Nesterov momentum (Dozat, 2016), Keras' momentum schedule 0.96**t."""

    _kind = _core.Opt.nadam

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, **kwargs)

    def _hyper(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


_BY_NAME = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW, "adagrad": Adagrad, "nadam": Nadam}


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
