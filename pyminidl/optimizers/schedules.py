"""Learning-rate schedules evaluated in C++ at every step (keras.optimizers.schedules)."""

from pyminidl import _api, _check, _core


class LearningRateSchedule:
    """Base class: a schedule maps the optimizer's iteration count to a learning rate."""

    def _apply(self, cfg):
        raise NotImplementedError

    def __call__(self, step):
        cfg = _core.OptimizerConfig()
        self._apply(cfg)
        return _core.learning_rate_at(cfg, _check.integer("step", step, minimum=0))

    def get_config(self):
        raise NotImplementedError

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class ExponentialDecay(LearningRateSchedule):
    """initial_learning_rate * decay_rate ** (step / decay_steps), floored exponent when staircase."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        self.initial_learning_rate = _check.number("initial_learning_rate", initial_learning_rate, 0.0)
        self.decay_steps = _check.number("decay_steps", decay_steps, 0.0, low_open=True)
        self.decay_rate = _check.number("decay_rate", decay_rate, 0.0)
        self.staircase = _check.boolean("staircase", staircase)
        self.name = name

    def _apply(self, cfg):
        cfg.learning_rate = self.initial_learning_rate
        cfg.schedule = _core.Schedule.exponential_decay
        cfg.decay_steps, cfg.decay_rate, cfg.staircase = self.decay_steps, self.decay_rate, self.staircase

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class InverseTimeDecay(ExponentialDecay):
    """initial_learning_rate / (1 + decay_rate * step / decay_steps)."""

    def _apply(self, cfg):
        super()._apply(cfg)
        cfg.schedule = _core.Schedule.inverse_time_decay


class PiecewiseConstantDecay(LearningRateSchedule):
    """values[0] while step <= boundaries[0], values[1] while step <= boundaries[1], ..., then values[-1]."""

    def __init__(self, boundaries, values, name=None):
        boundaries, values = list(boundaries), list(values)
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"PiecewiseConstantDecay needs len(values) == len(boundaries) + 1, got "
                             f"{len(boundaries)} boundaries and {len(values)} values")
        self.boundaries = [_check.number("boundaries", b) for b in boundaries]
        self.values = [_check.number("values", v, 0.0) for v in values]
        if any(b2 < b1 for b1, b2 in zip(self.boundaries, self.boundaries[1:])):
            raise ValueError(f"boundaries must be increasing, got {boundaries!r}")
        self.name = name

    def _apply(self, cfg):
        cfg.learning_rate = self.values[0]
        cfg.schedule = _core.Schedule.piecewise_constant_decay
        cfg.boundaries, cfg.values = self.boundaries, self.values

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


_BY_CLASS = {c.__name__: c for c in (ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay)}


def serialize(schedule):
    """The `{"class_name": ..., "config": ...}` dict of a learning-rate schedule, as Keras writes it."""
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config):
    """The object a `serialize` dict describes."""
    return _BY_CLASS[config["class_name"]].from_config(config["config"])


__all__ = _api.public(globals())
__dir__ = _api.dir_function(__all__)
