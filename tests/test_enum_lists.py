"""The C++ enum lists (cpp/enum_list.h): each list's last member is accepted by the core, one past it is
rejected with a clear error, and Python's name tables follow the lists."""

import numpy as np
import pytest

from pyminidl import _core, activations, metrics

Z = np.full((2, 3), 0.5, np.float32)
Y = np.zeros((2, 3), np.float32)


def _last_and_past(enum):
    members = list(enum.__members__.values())
    assert [int(m) for m in members] == list(range(len(members)))  # values are the list's positions
    return members[-1], enum(len(members))


def _loss_config(kind):
    cfg = _core.LossConfig()
    cfg.kind = kind
    return cfg


def test_activation_range_check_follows_the_list():
    last, past = _last_and_past(_core.Act)
    assert _core.act_forward(last, 0.0, Z).shape == Z.shape  # the newest member is not rejected
    assert _core.act_backward(last, 0.0, Z, Z, Z).shape == Z.shape
    with pytest.raises(ValueError, match=f"unknown activation code {int(past)}"):
        _core.act_forward(past, 0.0, Z)
    with pytest.raises(ValueError, match=f"unknown activation code {int(past)}"):
        _core.act_backward(past, 0.0, Z, Z, Z)
    with pytest.raises(ValueError, match="unknown activation code -1"):
        _core.act_forward(_core.Act(-1), 0.0, Z)


def test_loss_range_check_follows_the_list():
    last, past = _last_and_past(_core.Loss)
    _core.loss_batch(_loss_config(last), _core.Act.linear, 0.0, Z, Z, Y)
    with pytest.raises(ValueError, match=f"unknown loss code {int(past)}"):
        _core.loss_batch(_loss_config(past), _core.Act.linear, 0.0, Z, Z, Y)


def test_metric_range_check_follows_the_list():
    last, past = _last_and_past(_core.Metric)
    _core.metric_batch(last, Z, Y)
    with pytest.raises(ValueError, match=f"unknown metric code {int(past)}"):
        _core.metric_batch(past, Z, Y)


def test_python_names_follow_the_lists():
    for name in _core.Act.__members__:
        if name != "gelu_approximate":  # reached as gelu's tanh form, not by name
            assert activations.get(name).__name__ == name
            assert activations.resolve(name)[1] == _core.Act.__members__[name]
    for name, code in _core.Metric.__members__.items():
        assert metrics._FIXED[name] == code
