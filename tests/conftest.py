"""Shared test setup: every test starts from fresh automatic names and a fixed seed; the late-team rule
(cpp/team.h) is off, so that a busy machine cannot quietly turn a 1-vs-2-thread comparison into 1-vs-1
(tests/test_late_team.py turns it on)."""

import pytest

import pyminidl
from pyminidl import _core


@pytest.fixture(autouse=True, scope="session")
def no_late_team_rule():
    _core._team_set_judging(False)
    yield
    _core._team_set_judging(True)


@pytest.fixture(autouse=True)
def fresh_state():
    pyminidl.clear_session()
    pyminidl.set_random_seed(1234)
    threads = pyminidl.get_num_threads()
    yield
    pyminidl.set_num_threads(threads)  # tests may change it
