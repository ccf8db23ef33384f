"""Another build of pyminidl as a contender: `run.py --baseline PYTHON` times it side by side with this one.

The other build lives in another Python (a venv with the old build installed). A worker process of that Python
(this file, run as `PYTHON baseline.py --worker`) builds the same models with the same weights and data through
contenders.Pyminidl, and times each run itself, so the pipe's round trip is not counted. The parent interleaves
its runs with the others', as for every contender.
"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


class Baseline:
    """A contender whose runs happen in `python`; its runners return the seconds the worker measured."""

    self_timed = True
    max_repeats = None
    predict_calls_scale = 1.0

    def __init__(self, python, quick=False):
        self.python, self.quick = python, quick
        self.name, self.version, self.proc = "baseline", "", None
        self.tmp = tempfile.mkdtemp(prefix="pyminidl_baseline_")
        self.count = 0

    def _ask(self, **request):
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the baseline worker ({self.python}) exited: {self.proc.stderr.read()[-2000:]}")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"baseline worker: {reply['error']}")
        return reply

    def available(self):
        try:
            # cwd: benchmarks/ is first on the worker's sys.path, never the repository root (whose pyminidl
            # source tree would shadow the other build).
            self.proc = subprocess.Popen([self.python, os.path.join(HERE, "baseline.py"), "--worker"], cwd=HERE,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         text=True)
            return True, self._ask(op="version")["version"]
        except (OSError, RuntimeError) as e:
            return False, f"{self.python} does not run the baseline worker ({e})"

    def set_threads(self, n):
        self._ask(op="threads", n=n)

    def _setup(self, kind, w, weights, x, y=None):
        self.count += 1
        path = os.path.join(self.tmp, f"{self.count}.npz")
        arrays = {f"w{i}": a for i, a in enumerate(weights)}
        arrays["x"] = x
        if y is not None:
            arrays["y"] = y
        np.savez(path, **arrays)
        self._ask(op="setup", kind=kind, key=w.key, quick=self.quick, epochs=w.epochs, path=path,
                  weights=len(weights))
        os.remove(path)

    def fit_runner(self, w, weights, x, y):
        self._setup("fit", w, weights, x, y)
        return lambda: self._ask(op="run")["seconds"]

    def predict_runner(self, w, weights, x):
        self._setup("predict", w, weights, x)
        return lambda calls=1: self._ask(op="run", calls=calls)["seconds"]


def worker():
    """Serve the parent: one JSON request a line on stdin, one JSON reply a line on stdout."""
    import dataclasses
    import time

    import contenders
    import pyminidl
    import workloads

    ours = contenders.Pyminidl()
    run = None
    for line in sys.stdin:
        request = json.loads(line)
        try:
            op = request["op"]
            if op == "version":
                reply = {"version": f"{pyminidl.__version__} ({os.path.dirname(pyminidl.__file__)})"}
            elif op == "threads":
                ours.set_threads(request["n"])
                reply = {}
            elif op == "setup":
                w = next(w for w in workloads.workloads(request["quick"]) if w.key == request["key"])
                w = dataclasses.replace(w, epochs=request["epochs"])
                data = np.load(request["path"])
                weights = [data[f"w{i}"] for i in range(request["weights"])]
                if request["kind"] == "fit":
                    run = ours.fit_runner(w, weights, data["x"], data["y"])
                else:
                    call = ours.predict_runner(w, weights, data["x"])
                    run = lambda calls, call=call: [call() for _ in range(calls)]  # noqa: E731
                reply = {}
            elif op == "run":
                calls = request.get("calls")
                start = time.perf_counter()
                run() if calls is None else run(calls)
                seconds = time.perf_counter() - start
                reply = {"seconds": seconds if calls is None else seconds / calls}
            else:
                reply = {"error": f"unknown request {op!r}"}
        except Exception as e:  # noqa: BLE001 - reported to the parent, which stops with it
            reply = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__" and sys.argv[1:] == ["--worker"]:
    worker()
