"""pyminidl's GEMM against numpy.matmul (OpenBLAS), on 1 and 2 threads.

    python benchmarks/matmul.py [--repeats 5] [--quick]

`run()` returns one row per (shape, threads): GFLOP/s of both contenders, their ratio, and the
share of the machine's measured fp32 peak (`_core.measure_peak_gflops`) that pyminidl reached.
The contenders are interleaved (order alternating), the samples taken round by round over all
shapes, and medians reported: the machines are shared and noisy. Each timing starts after a short
pause, because OpenBLAS's worker threads (and, less so, OpenMP's) keep spinning for a while after a
call and would otherwise steal the cores from the next contender.

For a fair comparison NumPy runs at its best: the machine's OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE
select a slower OpenBLAS kernel, so they are removed from this process's environment before NumPy
is imported (import this module before numpy, or run it as a script). The kernel that really ran
is reported (threadpoolctl's 'architecture'). NumPy's thread count is set with threadpoolctl when
it is installed; otherwise each thread count runs in a child process with OPENBLAS_NUM_THREADS set
before NumPy is imported there.
"""

import os
import sys

for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from pyminidl import _core  # noqa: E402

try:
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError:  # pragma: no cover - depends on the environment
    threadpool_info = threadpool_limits = None

SQUARES = [64, 128, 256, 512, 1024, 2048]
# A 784-512-512-10 MLP, batch 256: forward X.W, weight gradient X^T.dY, input gradient dY.W^T.
MLP_SHAPES = [
    ("mlp fwd X.W", 256, 512, 784, False, False),
    ("mlp bwd X^T.dY", 784, 512, 256, True, False),
    ("mlp bwd dY.W^T", 256, 784, 512, False, True),
]
# Seconds of rest before each timing sample: OpenBLAS's idle workers busy-wait for 2**28 cycles
# (~0.1 s here) after a call, and a contender timed inside that window shares the cores with them.
PAUSE = 0.2
SAMPLE_SECONDS = 0.05  # each timing sample runs the product this long (at least once)


def shapes(quick=False):
    """(label, m, n, k, trans_a, trans_b) for every benchmarked product."""
    squares = [n for n in SQUARES if not quick or n <= 512]
    return [(f"{n}^3", n, n, n, False, False) for n in squares] + MLP_SHAPES


def openblas_info():
    """A short description of the BLAS that numpy uses, e.g. 'openblas 0.3.31 SkylakeX'."""
    if threadpool_info is None:
        return "unknown (threadpoolctl not installed)"
    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return "; ".join(f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')}" for i in blas) or "none found"


def _time_one(fn, reps):
    time.sleep(PAUSE)
    start = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - start) / reps


class _Product:
    """One shape's operands and both contenders' calls, timed sample by sample."""

    def __init__(self, label, m, n, k, trans_a, trans_b):
        self.label, self.m, self.n, self.k, self.trans_a, self.trans_b = label, m, n, k, trans_a, trans_b
        rng = np.random.default_rng(0)
        self.a = rng.standard_normal((k, m) if trans_a else (m, k), dtype=np.float32)
        self.b = rng.standard_normal((n, k) if trans_b else (k, n), dtype=np.float32)
        # views: OpenBLAS takes the transposes as flags
        self.op_a, self.op_b = (self.a.T if trans_a else self.a), (self.b.T if trans_b else self.b)
        self.c_ours, self.c_numpy = np.empty((m, n), np.float32), np.empty((m, n), np.float32)
        self.ours(), self.theirs()  # warm up: buffers, thread pools
        one = min(_time_one(self.ours, 1), _time_one(self.theirs, 1))
        self.reps = max(1, int(SAMPLE_SECONDS / max(one, 1e-7)))
        self.t_ours, self.t_numpy = [], []

    def ours(self):
        _core.gemm(self.a, self.b, self.c_ours, trans_a=self.trans_a, trans_b=self.trans_b)

    def theirs(self):
        np.matmul(self.op_a, self.op_b, out=self.c_numpy)

    def sample(self, ours_first):
        pair = [(self.ours, self.t_ours), (self.theirs, self.t_numpy)]
        for fn, times in (pair if ours_first else pair[::-1]):
            times.append(_time_one(fn, self.reps))

    def row(self, threads, peak):
        np.testing.assert_allclose(self.c_ours, self.c_numpy, rtol=1e-3, atol=1e-3 * np.sqrt(self.k))
        flops = 2.0 * self.m * self.n * self.k
        g_ours = flops / statistics.median(self.t_ours) * 1e-9
        return {
            "shape": self.label, "m": self.m, "n": self.n, "k": self.k, "trans_a": self.trans_a,
            "trans_b": self.trans_b, "threads": threads, "pyminidl_gflops": g_ours,
            "numpy_gflops": flops / statistics.median(self.t_numpy) * 1e-9,
            # The ratio is the median of the paired samples' ratios: each pair ran back to back, so a slow spell
            # of the shared machine slows both sides of a pair and cancels out.
            "ratio": statistics.median(tn / to for to, tn in zip(self.t_ours, self.t_numpy)),
            "peak_gflops": peak, "peak_share": g_ours / peak,
        }


def _run_threads(threads, repeats, quick):
    """Rows for one thread count, in this process (numpy's threads must already be limited)."""
    saved = _core.get_num_threads()
    _core.set_num_threads(threads)
    try:
        # The machine at its best: measured before and after the rows (a busy spell only lowers it).
        peak = max(_core.measure_peak_gflops(threads) for _ in range(5))
        products = [_Product(*shape) for shape in shapes(quick)]
        # Round by round over every shape, not shape after shape: a busy spell of the shared machine
        # then costs each shape one sample of its median instead of all of some shapes' samples.
        for r in range(repeats):
            for product in products:
                product.sample(ours_first=r % 2 == 0)
        peak = max(peak, *(_core.measure_peak_gflops(threads) for _ in range(5)))
        return [product.row(threads, peak) for product in products]
    finally:
        _core.set_num_threads(saved)


def run(repeats=5, threads=(1, 2), quick=False):
    """Benchmark rows (dicts) for every shape and thread count; see the module docstring."""
    rows = []
    for t in threads:
        if threadpool_limits is not None:
            with threadpool_limits(limits=t, user_api="blas"):
                rows += _run_threads(t, repeats, quick)
        else:  # numpy's thread count is fixed at import: ask a fresh process
            env = dict(os.environ, OPENBLAS_NUM_THREADS=str(t), OMP_NUM_THREADS=str(t))
            cmd = [sys.executable, os.path.abspath(__file__), "--json", "--threads", str(t),
                   "--repeats", str(repeats)] + (["--quick"] if quick else [])
            out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
            rows += json.loads(out.strip().splitlines()[-1])
    return rows


def format_table(rows):
    head = f"{'shape':<16} {'m x n x k':>16} {'thr':>3} {'pyminidl':>9} {'numpy':>9} {'ratio':>6} {'of peak':>8}"
    lines = [head, "-" * len(head)]
    for r in rows:
        dims = f"{r['m']}x{r['n']}x{r['k']}"
        lines.append(f"{r['shape']:<16} {dims:>16} {r['threads']:>3} {r['pyminidl_gflops']:>9.1f} "
                     f"{r['numpy_gflops']:>9.1f} {r['ratio']:>6.2f} {100 * r['peak_share']:>7.0f}%")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timing samples per contender (median taken)")
    parser.add_argument("--threads", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--quick", action="store_true", help="squares up to 512 only")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON (used by run())")
    args = parser.parse_args(argv)
    if args.json:  # child process of run(): numpy's threads were set through the environment
        rows = [row for t in args.threads for row in _run_threads(t, args.repeats, args.quick)]
        print(json.dumps(rows))
        return
    rows = run(repeats=args.repeats, threads=tuple(args.threads), quick=args.quick)
    print(f"pyminidl kernel: {_core.gemm_kernel_name()}    numpy BLAS: {openblas_info()}")
    for t in args.threads:
        peak = next(r["peak_gflops"] for r in rows if r["threads"] == t)
        print(f"measured fp32 peak, {t} thread(s): {peak:.0f} GFLOP/s")
    print("GFLOP/s (median of interleaved samples); 'of peak' is pyminidl's share of the measured peak")
    print(format_table(rows))


if __name__ == "__main__":
    main()
