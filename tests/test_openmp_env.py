"""pyminidl/_openmp.py: the core loads with a short OpenMP spin, and the environment is left as found."""

import subprocess
import sys

import pytest

PROBE = """
import os, sys
before = {k: os.environ.get(k) for k in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
import pyminidl
after = {k: os.environ.get(k) for k in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
print(before == after, pyminidl._openmp.SPIN_ROUNDS)
"""


def _run(env_extra):
    import os
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    env.update(env_extra)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


@pytest.mark.parametrize("user_env", [{}, {"OMP_WAIT_POLICY": "active"}, {"GOMP_SPINCOUNT": "50"}])
def test_environment_is_left_as_the_user_set_it(user_env):
    unchanged, rounds = _run(user_env)
    assert unchanged == "True"
    assert rounds == "1000"


def test_load_core_returns_the_extension(monkeypatch):
    from pyminidl import _core, _openmp
    monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    assert _openmp.load_core() is _core
    import os
    assert "GOMP_SPINCOUNT" not in os.environ
