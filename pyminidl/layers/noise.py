"""The regularization layers besides Dropout: GaussianNoise and AlphaDropout (training only;
cpp/layers/noise.cpp), ActivityRegularization (cpp/layers/activity_regularization.cpp)."""

from pyminidl import _check
from pyminidl.layers.base import Layer
from pyminidl.layers.eager import EagerCall


class GaussianNoise(EagerCall, Layer):
    """Adds zero-centred Gaussian noise of standard deviation `stddev` while training; identity at inference."""

    def __init__(self, stddev, seed=None, **kwargs):
        self.stddev = _check.number("stddev", stddev, 0.0)
        self.seed = seed
        super().__init__(**kwargs)

    def _spec(self):
        return "gaussian_noise", {"stddev": self.stddev}

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class AlphaDropout(EagerCall, Layer):
    """Dropout that keeps SELU's mean and variance: dropped inputs take SELU's negative saturation value, then
    an affine map restores the statistics (Keras' formula); identity at inference."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        self.rate = _check.number("rate", rate, 0.0, 1.0, high_open=True)
        if noise_shape is not None:
            raise NotImplementedError(f"AlphaDropout(noise_shape=...) is not supported by pyminidl, got "
                                      f"{noise_shape!r}")
        self.noise_shape, self.seed = noise_shape, seed
        super().__init__(**kwargs)

    def _spec(self):
        return "alpha_dropout", {"rate": self.rate}

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed}


class ActivityRegularization(EagerCall, Layer):
    """Identity that adds (l1 * sum|x| + l2 * sum x^2) / batch size of its input to the training loss (the same
    C++ layer that Dense(activity_regularizer=...) places after the Dense)."""

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        self.l1, self.l2 = _check.number("l1", l1, 0.0), _check.number("l2", l2, 0.0)
        super().__init__(**kwargs)

    def _spec(self):
        return "activity_regularization", {"l1": self.l1, "l2": self.l2}

    def get_config(self):
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}
