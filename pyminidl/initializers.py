"""Weight initializers with Keras' formulas (KERAS_REFERENCE §2); they draw from NumPy's global generator."""

import difflib

import numpy as np

from pyminidl import _api, _check


def _fans(shape):
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: an initializer is called with a shape and returns an array of that shape."""

    def __call__(self, shape, dtype="float32"):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Zeros(Initializer):
    """Fills with zeros (`"zeros"`, Dense's default for biases)."""

    def __call__(self, shape, dtype="float32"):
        return np.zeros(shape, dtype=dtype)


class Ones(Initializer):
    """Fills with ones (`"ones"`)."""

    def __call__(self, shape, dtype="float32"):
        return np.ones(shape, dtype=dtype)


class Constant(Initializer):
    """Fills with `value` (`Constant(0.5)`)."""

    def __init__(self, value=0.0):
        self.value = _check.number("value", value)

    def __call__(self, shape, dtype="float32"):
        return np.full(shape, self.value, dtype=dtype)

    def get_config(self):
        return {"value": self.value}


class Identity(Initializer):
    """gain * the identity matrix (2-D shapes only, as Keras; eye for non-square)."""

    def __init__(self, gain=1.0):
        self.gain = _check.number("gain", gain)

    def __call__(self, shape, dtype="float32"):
        if len(shape) != 2:
            raise ValueError(f"Identity matrix initializer can only be used for 2D matrices. Received: shape={shape}")
        return (self.gain * np.eye(*shape)).astype(dtype)

    def get_config(self):
        return {"gain": self.gain}


class RandomUniform(Initializer):
    """Draws uniformly from `[minval, maxval)`; `seed` fixes the draw."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = _check.number("minval", minval), _check.number("maxval", maxval), seed
        if self.minval >= self.maxval:
            raise ValueError(f"RandomUniform needs minval < maxval, got minval={minval!r}, maxval={maxval!r}")

    def __call__(self, shape, dtype="float32"):
        return _rng(self.seed).uniform(self.minval, self.maxval, size=shape).astype(dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class RandomNormal(Initializer):
    """Draws from a normal distribution of `mean` and `stddev`; `seed` fixes the draw."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = _check.number("mean", mean), _check.number("stddev", stddev, 0), seed

    def __call__(self, shape, dtype="float32"):
        return _rng(self.seed).normal(self.mean, self.stddev, size=shape).astype(dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    """Normal values re-drawn until they lie within two standard deviations."""

    def __call__(self, shape, dtype="float32"):
        return (self.mean + _truncated(_rng(self.seed), self.stddev, shape)).astype(dtype)


class VarianceScaling(Initializer):
    """Draws with a variance of `scale / n`, n the fan in, fan out or their mean (`mode`), from a
    truncated normal, a normal or a uniform `distribution`: Glorot, He and LeCun are its named cases."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        self.scale = _check.number("scale", scale, 0, low_open=True)
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"mode must be 'fan_in', 'fan_out' or 'fan_avg', got {mode!r}")
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal", "normal"):
            raise ValueError(f"distribution must be 'uniform', 'truncated_normal' or 'untruncated_normal', "
                             f"got {distribution!r}")
        self.mode, self.distribution, self.seed = mode, distribution, seed

    def __call__(self, shape, dtype="float32"):
        fan_in, fan_out = _fans(tuple(shape))
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        s = self.scale / max(1.0, n)
        rng = _rng(self.seed)
        if self.distribution == "uniform":
            limit = np.sqrt(3.0 * s)
            return rng.uniform(-limit, limit, size=shape).astype(dtype)
        if self.distribution in ("truncated_normal", "normal"):
            # 0.8796... is the std of a unit normal truncated at +-2: it restores the target variance.
            return _truncated(rng, np.sqrt(s) / 0.87962566103423978, shape).astype(dtype)
        return rng.normal(0.0, np.sqrt(s), size=shape).astype(dtype)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed}


def _named_scaling(class_name, scale, mode, distribution):
    def __init__(self, seed=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self):
        return {"seed": self.seed}

    return type(class_name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config,
                                                  "__doc__": f"VarianceScaling({scale}, '{mode}', '{distribution}')."})


GlorotUniform = _named_scaling("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _named_scaling("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeNormal = _named_scaling("HeNormal", 2.0, "fan_in", "truncated_normal")
HeUniform = _named_scaling("HeUniform", 2.0, "fan_in", "uniform")
LecunNormal = _named_scaling("LecunNormal", 1.0, "fan_in", "truncated_normal")
LecunUniform = _named_scaling("LecunUniform", 1.0, "fan_in", "uniform")


def _rng(seed):
    return np.random.RandomState(seed) if seed is not None else np.random.mtrand._rand


def _truncated(rng, stddev, shape):
    out = rng.normal(0.0, stddev, size=shape)
    bad = np.abs(out) > 2 * stddev
    while np.any(bad):
        out[bad] = rng.normal(0.0, stddev, size=int(bad.sum()))
        bad = np.abs(out) > 2 * stddev
    return out


_BY_NAME = {
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal, "he_normal": HeNormal,
    "he_uniform": HeUniform, "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform,
    "zeros": Zeros, "zero": Zeros, "ones": Ones, "one": Ones, "constant": Constant, "identity": Identity,
    "random_normal": RandomNormal, "normal": RandomNormal, "random_uniform": RandomUniform,
    "uniform": RandomUniform, "truncated_normal": TruncatedNormal, "variance_scaling": VarianceScaling,
}
_BY_CLASS = {cls.__name__: cls for cls in set(_BY_NAME.values())}


def get(identifier, argument="initializer"):
    """An initializer from a Keras name ('glorot_uniform', 'GlorotUniform'), an instance or a callable."""
    if isinstance(identifier, Initializer) or (callable(identifier) and not isinstance(identifier, type)):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if isinstance(identifier, dict) and "class_name" in identifier:
        return _BY_CLASS[identifier["class_name"]].from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        if identifier in _BY_CLASS:
            return _BY_CLASS[identifier]()
        if identifier in _BY_NAME:
            return _BY_NAME[identifier]()
    close = difflib.get_close_matches(identifier, list(_BY_NAME), n=1) if isinstance(identifier, str) else []
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise ValueError(f"{argument}: could not interpret initializer identifier: {identifier!r}.{hint} Known names: "
                     f"{', '.join(sorted(_BY_NAME))}")


def serialize(initializer):
    """The `{"class_name": ..., "config": ...}` dict of an initializer, as Keras writes it."""
    if isinstance(initializer, Initializer):
        return {"class_name": type(initializer).__name__, "config": initializer.get_config()}
    raise ValueError(f"Cannot serialize initializer {initializer!r}: only pyminidl initializers can be saved")


__all__ = _api.public(globals())
__dir__ = _api.dir_function(__all__)
