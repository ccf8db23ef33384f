"""fork(): a child of a process that already ran threaded work must not hang (libgomp's thread pool does not
survive fork; the core drops to one thread in the child, cpp/gemm.cpp). Each case runs in a subprocess with
a timeout, so a regression fails instead of hanging the suite.
"""

import os
import subprocess
import sys

import pytest

TIMEOUT = 240 if os.environ.get("PYMINIDL_SANITIZED") else 90

# The parent trains and predicts on 2 threads (a threaded GEMM: 512^3 is far above the threading threshold),
# then hands work to children made with the given start method; each child predicts, trains and reports.
SCRIPT = r"""
import multiprocessing as mp, os, sys
import numpy as np
import pyminidl as tf
from pyminidl import _core, layers as L

def work(seed):
    a = np.random.RandomState(seed).rand(512, 512).astype(np.float32)
    c = _core.gemm(a, a)                      # threaded in the parent; hung in a forked child before the fix
    model = tf.Sequential([L.Dense(256, activation="relu", input_shape=(512,)), L.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(a, a[:, :1], epochs=1, batch_size=512, verbose=0)
    p = model.predict(a)
    return float(np.abs(c - a.astype(np.float64) @ a).max()), bool(np.isfinite(p).all()), tf.get_num_threads()

if __name__ == "__main__":
    method = sys.argv[1]
    fresh = tf.get_num_threads()              # a new process's count: 1 in a build without OpenMP
    tf.set_num_threads(2)
    err, finite, _ = work(0)                  # the parent's pool now exists
    assert err < 1e-2 and finite
    if method == "os.fork":
        pid = os.fork()
        if pid == 0:
            err, finite, threads = work(1)
            os._exit(0 if err < 1e-2 and finite and threads == 1 else 3)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, status
    else:
        with mp.get_context(method).Pool(2) as pool:
            for err, finite, threads in pool.map(work, [1, 2, 3]):
                assert err < 1e-2 and finite, (err, finite)
                # fork children run on one thread; forkserver and spawn children start fresh
                assert threads == (1 if method == "fork" else fresh), (method, threads)
    err, finite, threads = work(4)            # the parent keeps its threads
    assert err < 1e-2 and finite and threads == 2
    print("ok", method)
"""


@pytest.mark.parametrize("method", ["os.fork", "fork", "forkserver", "spawn"])
def test_children_of_a_threaded_parent_do_not_hang(method, tmp_path):
    script = tmp_path / "fork_case.py"  # a file, not -c: spawn and forkserver children re-import __main__
    script.write_text(SCRIPT)
    try:
        # without the OMP_NUM_THREADS=1 an earlier test's Dask cluster leaves in os.environ (test_dask.py):
        # spawn and forkserver children would start on one thread, not OpenMP's default
        env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
        proc = subprocess.run([sys.executable, str(script), method], capture_output=True, text=True, check=False,
                              timeout=TIMEOUT, cwd=tmp_path, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{method}: the children hung (no result within {TIMEOUT} s)")
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr[-3000:]


def _openmp_build(cwd):
    """pyminidl's own core uses OpenMP: a fresh process starts with more than one thread (on 2+ cores)."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", "import pyminidl; print(pyminidl.get_num_threads())"],
                         capture_output=True, text=True, timeout=TIMEOUT, env=env, cwd=cwd)
    return out.returncode == 0 and int(out.stdout.split()[-1]) > 1


def test_set_num_threads_in_a_forked_child_warns_and_stays_single_threaded(tmp_path):
    if not _openmp_build(tmp_path):
        pytest.skip("a build without OpenMP (or one core) has no thread pool for fork() to break")
    script = tmp_path / "fork_threads.py"
    script.write_text(r"""
import os, warnings
import numpy as np
import pyminidl as tf
from pyminidl import _core
tf.set_num_threads(2)
a = np.ones((512, 512), np.float32)
_core.gemm(a, a)
pid = os.fork()
if pid == 0:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tf.set_num_threads(2)
    ok = tf.get_num_threads() == 1 and any("child of fork()" in str(w.message) for w in caught)
    _core.gemm(a, a)
    os._exit(0 if ok else 3)
_, status = os.waitpid(pid, 0)
assert os.waitstatus_to_exitcode(status) == 0, status
print("ok")
""")
    try:
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=TIMEOUT,
                              cwd=tmp_path)
    except subprocess.TimeoutExpired:
        pytest.fail("the forked child hung")
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr[-3000:]
