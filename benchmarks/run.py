"""pyminidl against plain NumPy, PyTorch and tf.keras on the workloads of issue 3, side by side in one run.

    python benchmarks/run.py [--quick] [--repeats N] [--threads N] [--out DIR] [--baseline PYTHON]
                             [--contenders NAME,NAME]

--baseline PYTHON adds another build of pyminidl (installed in that Python, e.g. a venv with the previous
commit) as the contender "baseline", timed in the same rounds, and prints each workload's ratio of the
medians (benchmarks/baseline.py).

Contenders take turns (the order rotates every round) and each time is the median over the repeats, because
the machines are shared and noisy. Prints a table and saves benchmark.png and benchmark.json into --out.
"""

import os
import sys

# NumPy at its best: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (set on some machines) select a slower OpenBLAS
# kernel, and OpenBLAS reads them once, when NumPy loads it. Drop them in this process only, before any import
# of NumPy; if something imported NumPy already, start again with the cleaned environment.
_BLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
UNSET = {k: os.environ.pop(k) for k in _BLAS_OVERRIDES if k in os.environ}
if UNSET and "numpy" in sys.modules:
    os.environ["_PYMINIDL_BENCH_UNSET"] = ";".join(f"{k}={v}" for k, v in UNSET.items())
    os.execv(sys.executable, [sys.executable] + sys.argv)
UNSET.update(kv.split("=", 1) for kv in os.environ.pop("_PYMINIDL_BENCH_UNSET", "").split(";") if kv)

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import gc  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402


import pyminidl  # noqa: E402
from pyminidl import _core  # noqa: E402

import contenders  # noqa: E402
from baseline import Baseline  # noqa: E402
import report  # noqa: E402
import workloads  # noqa: E402

FIT_BUDGET_SECONDS = 12.0  # per workload and contender: stop repeating (after one timed run) past this
# Before each timing, so the previous contender's idle workers stop spinning: OpenBLAS's threads spin
# for 2^28 cycles (0.128 s measured here) after each call, libgomp's for a few milliseconds.
PAUSE_SECONDS = 0.2


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small epochs and 2 repeats: a smoke run")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per contender (default 5, quick 2)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for every contender")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    parser.add_argument("--baseline", metavar="PYTHON", help="time the pyminidl installed in PYTHON alongside")
    parser.add_argument("--contenders", help="comma-separated names to run (default: all that are installed)")
    args = parser.parse_args(argv)
    repeats = args.repeats or (2 if args.quick else 5)

    present, notes = [], []
    candidates = list(contenders.ALL)
    if args.baseline:
        candidates.append(Baseline(args.baseline, args.quick))
    if args.contenders:
        wanted = set(args.contenders.split(",")) | {"pyminidl"} | ({"baseline"} if args.baseline else set())
        candidates = [c for c in candidates if c.name in wanted]
    for c in candidates:
        ok, info = c.available()
        if ok:
            c.set_threads(args.threads)
            c.version = info
            present.append(c)
        else:
            notes.append(f"{c.name} skipped: {info}")
    limit_numpy_threads(args.threads)
    env = environment(args.threads, present)
    report.print_header(env, notes)

    results = []
    for w in workloads.workloads(args.quick):
        print(f"  running ({w.key}) {w.short} ...", flush=True)
        results.append(run_workload(w, present, repeats))
    print("  running (f) raw matmul ...", flush=True)
    matmul = run_matmul(1 if args.quick else repeats, args.threads, args.quick)

    env["load_average_at_end"] = os.getloadavg()[0]
    env["late_teams"] = pyminidl._core._team_late_count()  # cpp/team.h: threads set aside on a shared machine
    env["peak_gflops_at_start"] = env["peak_gflops"]
    env["peak_gflops"] = max(env["peak_gflops"] or 0.0, measure_peak(args.threads)) or None
    report.print_table(results, matmul, env)
    if args.baseline:
        report.print_baseline(results)
    args.out.mkdir(parents=True, exist_ok=True)
    report.save_json(args.out / "benchmark.json", env, notes, results, matmul, vars(args))
    png = report.save_chart(args.out / "benchmark.png", results)
    print(f"\nSaved {args.out / 'benchmark.json'}" + (f" and {png}" if png else " (no chart: matplotlib missing)"))


# --- timing -------------------------------------------------------------------------------------------

def run_workload(w, present, repeats):
    x, y = w.data(seed=0)
    weights = initial_weights(w)
    peaks = [] if w.kind == "fit" and w.flops >= PEAK_ALONGSIDE_FLOPS else None
    if w.kind == "fit":
        times = time_fits(w, present, weights, x, y, repeats, peaks)
    else:
        times = time_predicts(w, present, weights, x, repeats)
    return {"workload": w, "times": times, "peaks_alongside": peaks or None}


def initial_weights(w):
    """Glorot-uniform weights drawn once by pyminidl, given to every contender."""
    pyminidl.set_random_seed(0)
    model = pyminidl.Sequential([pyminidl.layers.Input((w.inputs,))] +
                                [pyminidl.layers.Dense(u, activation=a) for u, a in w.layers])
    return model.get_weights()


def rotations(items, rounds):
    """Round r starts with item r: nobody always runs first (warm caches, turbo) or last."""
    for r in range(rounds):
        k = r % len(items)
        yield items[k:] + items[:k]


# Workloads of at least this many GEMM flops also get the peak measured before each of pyminidl's runs:
# on a shared machine it moves by tens of per cent within minutes, and the start/end best misses that.
PEAK_ALONGSIDE_FLOPS = 1e9


def time_fits(w, present, weights, x, y, repeats, peaks=None):
    """Seconds of each contender's runs; `peaks` (a list) gets the fp32 peak measured before each of pyminidl's."""
    warm = dataclasses.replace(w, epochs=1)  # one short fit each: imports, allocations, first-call costs
    for c in present:
        c.fit_runner(warm, weights, x[:4 * w.batch_size], y[:4 * w.batch_size])()
    times = {c.name: [] for c in present}
    for order in rotations(present, repeats):
        for c in order:
            done = times[c.name]
            if done and (sum(done) > FIT_BUDGET_SECONDS or len(done) >= (c.max_repeats or repeats)):
                continue
            run = c.fit_runner(w, weights, x, y)  # fresh model and optimizer state, untimed
            if peaks is not None and c.name == "pyminidl":
                peaks.append(float(_core.measure_peak_gflops(_core.get_num_threads())))
            gc.collect()
            time.sleep(PAUSE_SECONDS)
            start = time.perf_counter()
            seconds = run()
            done.append(seconds if getattr(c, "self_timed", False) else time.perf_counter() - start)
    return times


def time_predicts(w, present, weights, x, repeats):
    """Seconds per call: each sample is the mean over a block of w.calls calls (fewer for slow contenders)."""
    calls = {c.name: max(10, int(w.calls * c.predict_calls_scale)) for c in present}
    runners = {c.name: c.predict_runner(w, weights, x) for c in present}
    for c in present:
        for _ in range(min(calls[c.name], 100)):
            runners[c.name]()
    times = {c.name: [] for c in present}
    for order in rotations(present, 3 * repeats):
        for c in order:
            call, n = runners[c.name], calls[c.name]
            time.sleep(PAUSE_SECONDS)
            if getattr(c, "self_timed", False):  # timed where it runs (another process)
                times[c.name].append(call(n))
                continue
            start = time.perf_counter()
            for _ in range(n):
                call()
            times[c.name].append((time.perf_counter() - start) / n)
    return times


def run_matmul(repeats, threads, quick):
    """Rows of benchmarks/matmul.py (the GEMM against numpy.matmul), or a note when it is not there yet."""
    try:
        import matmul
    except ImportError as e:
        return {"rows": [], "note": f"skipped: benchmarks/matmul.py not importable ({e})", "table": ""}
    rows = matmul.run(repeats=repeats, threads=tuple(sorted({1, threads})), quick=quick)
    return {"rows": rows, "note": "", "table": matmul.format_table(rows), "threads": threads}


# --- the machine --------------------------------------------------------------------------------------

def limit_numpy_threads(n):
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(n, user_api="blas")


def blas_info():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (pip install threadpoolctl to see the kernel)"
    libs = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return "; ".join(f"{i.get('internal_api')} {i.get('version')}, kernel {i.get('architecture', '?')}, "
                     f"{i.get('num_threads')} threads" for i in libs) or "none found"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def measure_peak(threads):
    """What the machine can do at its best: the largest of several tries (neighbours only lower it)."""
    return max(float(_core.measure_peak_gflops(threads)) for _ in range(5))


def environment(threads, present):
    # Measured again at the end: a neighbour busy at the start would make every '% peak' look too good.
    peak = measure_peak(threads)
    return {
        "cpu": cpu_model(), "cores": os.cpu_count(), "threads": threads,
        "load_average_at_start": os.getloadavg()[0],
        "pyminidl_kernel": _core.gemm_kernel_name(), "pyminidl_threads": pyminidl.get_num_threads(),
        "peak_gflops": peak if peak > 0 else None,
        "numpy_blas": blas_info(),
        "blas_env_unset": ", ".join(f"{k}={v}" for k, v in UNSET.items()) or "none were set",
        "versions": {"python": platform.python_version(), **{c.name: c.version for c in present}},
    }


if __name__ == "__main__":
    main()
