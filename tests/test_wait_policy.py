"""Waits that yield: pyminidl gives libgomp a short spin (GOMP_SPINCOUNT=1000) when it loads, unless the user
chose a wait policy, without leaving the variable in the environment (pyminidl/__init__.py). What libgomp
really uses is read back with its omp_display_env(verbose), in a fresh interpreter each time.
benchmarks/tail_latency.py measures the effect (the 99th percentile of small calls under contention)."""

import os
import subprocess
import sys

import pytest

from pyminidl import _core  # noqa: F401  (loads libgomp in this process too, if the build uses it)

SHOW = r"""
import ctypes, os, sys
import pyminidl
libs = [line.split()[-1] for line in open("/proc/self/maps") if "libgomp" in line]
print("leaked" if "GOMP_SPINCOUNT" in os.environ and not sys.argv[1:] else "clean", flush=True)
if libs:
    ctypes.CDLL(libs[0]).omp_display_env(1)
else:
    print("no-libgomp", flush=True)  # a build without OpenMP (tools/portability.sh): nothing to read back
"""


def _libgomp_loaded():
    try:
        with open("/proc/self/maps") as maps:
            return any("libgomp" in line for line in maps)
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _libgomp_loaded(), reason="needs Linux and the OpenMP (libgomp) build")


def _display(env_update, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    env.update(env_update)
    proc = subprocess.run([sys.executable, "-c", SHOW, *args], env=env, capture_output=True, text=True,
                          timeout=120, check=True, cwd=os.path.dirname(os.path.abspath(__file__)))
    if "no-libgomp" in proc.stdout:  # this process may hold another library's libgomp (scikit-learn's)
        pytest.skip("pyminidl was built without OpenMP: no libgomp wait policy to read back")
    return proc.stdout, proc.stderr


def test_a_short_spin_is_the_default_and_does_not_leak_into_the_environment():
    out, err = _display({})
    assert "GOMP_SPINCOUNT = '1000'" in err, err
    assert out.startswith("clean"), out


@pytest.mark.parametrize("env,spin", [({"OMP_WAIT_POLICY": "active"}, "30000000000"),
                                      ({"OMP_WAIT_POLICY": "passive"}, "0"),
                                      ({"GOMP_SPINCOUNT": "123"}, "123")])
def test_the_users_choice_stands(env, spin):
    _, err = _display(env, "user")
    assert f"GOMP_SPINCOUNT = '{spin}'" in err, err
