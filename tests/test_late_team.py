"""A late team (issue 18, tail latency): when the caller of a parallel region waits for its team mates longer
than twice its own work (and at least 0.5 ms), a mate has lost its core to another process, and regions run
on the caller's thread alone for a while (cpp/team.h). benchmarks/tail_latency.py measures the effect; these
tests pin the rule down and show that results do not change while the team is set aside."""

import numpy as np
import pytest

from pyminidl import _core


@pytest.fixture(autouse=True)
def trusted_team():
    _core._team_set_judging(True)  # conftest.py turns the rule off for the rest of the suite
    yield
    _core._team_set_judging(False)


@pytest.mark.parametrize("work_ms,wait_ms,late", [
    (0.1, 0.4, False),   # under 0.5 ms: a region's normal imbalance
    (0.3, 0.55, False),  # under twice the caller's own work
    (0.2, 0.6, True),
    (1.0, 5.0, True),    # a scheduler slice lost
    (10.0, 15.0, False),  # a long region: the wait is a small part of it
])
def test_the_rule(work_ms, wait_ms, late):
    assert _core._team_judge(work_ms, wait_ms) is late
    assert _core._team_judged_late() is late
    assert _core._team_threads(2) == (1 if late else 2)
    assert _core._team_threads(1) == 1
    assert _core._team_threads(2, 1e8) == 2  # a large region keeps its team: a slice lost is small against it


def test_a_mate_away_for_a_slice_sets_the_team_aside():
    # A real two-thread region: the caller works 0.2 ms while its team mate is away 5 ms.
    judged = _core._team_region(0.2, 5.0)
    if judged is None:
        pytest.skip("built without OpenMP: no team")
    assert judged is True
    assert _core._team_threads(2) == 1
    _core._team_reset()
    assert _core._team_region(2.0, 0.0) is False  # a mate on time
    assert _core._team_threads(2) == 2


def test_results_do_not_change_while_the_team_is_set_aside():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((300, 200), dtype=np.float32)
    b = rng.standard_normal((200, 150), dtype=np.float32)
    threads = _core.get_num_threads()
    try:
        _core.set_num_threads(2)
        together = _core.gemm(a, b)
        assert _core._team_judge(0.2, 5.0)
        alone = _core.gemm(a, b)
    finally:
        _core.set_num_threads(threads)
    np.testing.assert_array_equal(together, alone)
    np.testing.assert_allclose(alone, a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4)
