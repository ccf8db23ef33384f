"""keras.constraints for kernel_constraint= / bias_constraint=: applied to the weights after every optimizer
update (also at learning rate 0), never at build or set_weights, in the C++ core (cpp/weight_rules.cpp).
KERAS_REFERENCE §16: a (2, 2) kernel of -3 after one step is -1.4142 under MaxNorm(2), 0 under NonNeg,
-0.7071 under UnitNorm."""

from pyminidl import _api, _check


class Constraint:
    """Base class. _rule() is (C++ code name, max_value, min_value, rate, axis)."""

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _axis(axis):
    if isinstance(axis, (list, tuple)):
        if len(axis) != 1:
            raise NotImplementedError(f"constraints over several axes are not supported by pyminidl, got axis={axis!r}")
        axis = axis[0]
    return _check.integer("axis", axis)


class MaxNorm(Constraint):
    """Scales each slice whose L2 norm over `axis` exceeds max_value down to it: w * min(n, max) / (1e-7 + n)."""

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = _check.number("max_value", max_value, 0.0), _axis(axis)

    def _rule(self):
        return "max_norm", self.max_value, 0.0, 1.0, self.axis

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Negative weights become 0."""

    def _rule(self):
        return "non_neg", 0.0, 0.0, 1.0, 0


class UnitNorm(Constraint):
    """Each slice divided by its L2 norm over `axis` (plus 1e-7)."""

    def __init__(self, axis=0):
        self.axis = _axis(axis)

    def _rule(self):
        return "unit_norm", 0.0, 0.0, 1.0, self.axis

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Norms pulled into [min_value, max_value]: desired = rate * clip(n, min, max) + (1 - rate) * n."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = _check.number("min_value", min_value, 0.0)
        self.max_value = _check.number("max_value", max_value, self.min_value)
        self.rate, self.axis = _check.number("rate", rate, 0.0, 1.0), _axis(axis)

    def _rule(self):
        return "min_max_norm", self.max_value, self.min_value, self.rate, self.axis

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm
_BY_NAME = {"max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm, "min_max_norm": MinMaxNorm}
_BY_CLASS = {cls.__name__: cls for cls in _BY_NAME.values()}


def get(identifier, argument="constraint"):
    """A Constraint from None, an instance, a name ('max_norm', 'MaxNorm') or a {'class_name', 'config'} dict."""
    if identifier is None or isinstance(identifier, Constraint):
        return identifier
    if isinstance(identifier, dict) and identifier.get("class_name") in _BY_CLASS:
        return _BY_CLASS[identifier["class_name"]].from_config(dict(identifier.get("config") or {}))
    if isinstance(identifier, str) and (identifier in _BY_NAME or identifier in _BY_CLASS):
        return {**_BY_NAME, **_BY_CLASS}[identifier]()
    raise ValueError(f"{argument}: Could not interpret constraint identifier: {identifier!r} (use "
                     "constraints.MaxNorm(2), NonNeg(), UnitNorm() or MinMaxNorm(...))")


def serialize(constraint):
    """The `{"class_name": ..., "config": ...}` dict of a constraint (None for None), as model files hold it."""
    if constraint is None:
        return None
    return {"class_name": type(constraint).__name__, "config": constraint.get_config()}


def weight_rule(tensor, regularizer, constraint):
    """The C++ rule for tensor `tensor` of a network: (tensor, l1, l2, constraint code, max_value, min_value,
    rate, axis), as _core.Network.set_weight_rules takes it."""
    from pyminidl import _core
    name, max_value, min_value, rate, axis = constraint._rule() if constraint is not None else \
        ("none", 2.0, 0.0, 1.0, 0)
    return (tensor, float(getattr(regularizer, "l1", 0.0)), float(getattr(regularizer, "l2", 0.0)),
            int(_core.Constraint.__members__[name]), float(max_value), float(min_value), float(rate), int(axis))


__all__ = _api.public(globals(), internal={"weight_rule"})  # weight_rule: the model build's helper
__dir__ = _api.dir_function(__all__)
