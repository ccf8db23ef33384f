"""The benchmark's output: header, table with targets, JSON of the raw times, and a bar chart."""

import json
import statistics

BASE = "pyminidl"


def fmt_time(seconds):
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def summarise(result, peak):
    """Per contender: median, ratio to pyminidl, GFLOP/s and share of peak; and the targets' verdict."""
    w, times = result["workload"], result["times"]
    med = {name: statistics.median(t) for name, t in times.items() if t}
    rows = []
    for name, m in med.items():
        gflops = w.flops / m / 1e9 if w.flops else None
        rows.append({"contender": name, "median_s": m, "runs": len(times[name]),
                     "slower_than_pyminidl": m / med[BASE] if BASE in med else None,
                     "gflops": gflops, "share_of_peak": gflops / peak if gflops and peak else None})
    checks = [check(kind, value, med) for kind, value in w.targets]
    return rows, checks


def check(kind, value, med):
    """(text of the target, whether met, what was measured)."""
    ours = med.get(BASE)
    if kind == "ratio":
        got = med["numpy"] / ours if ours and "numpy" in med else None
        return f">= {value:g}x faster than numpy", got is not None and got >= value, f"{got:.1f}x" if got else "-"
    if kind == "seconds":
        return f"<= {fmt_time(value)}", ours is not None and ours <= value, fmt_time(ours)
    if kind == "us_per_call":
        return f"<= {value:g} µs/call", ours is not None and ours * 1e6 <= value, fmt_time(ours)
    raise ValueError(f"unknown target kind {kind!r}")


def print_header(env, notes):
    print("pyminidl benchmark (issue 3)")
    print(f"  CPU            {env['cpu']} ({env['cores']} logical cores; load average "
          f"{env['load_average_at_start']:.1f} at the start: above 0 means others share the machine)")
    peak = f"{env['peak_gflops']:.1f} GFLOP/s" if env["peak_gflops"] else "n/a (measure_peak_gflops returned 0)"
    print(f"  pyminidl       GEMM kernel {env['pyminidl_kernel']}, {env['pyminidl_threads']} thread(s), "
          f"measured fp32 peak {peak}")
    print(f"  NumPy BLAS     {env['numpy_blas']}")
    print(f"  unset for it   {env['blas_env_unset']}")
    print("  versions       " + ", ".join(f"{k} {v}" for k, v in env["versions"].items()))
    for note in notes:
        print(f"  note           {note}")
    print()


def print_table(results, matmul, env):
    peak = env["peak_gflops"]
    head = f"{'workload':<16} {'contender':<9} {'median':>9} {'runs':>4} {'x slower':>9} {'GFLOP/s':>8} " \
           f"{'% peak':>6}  {'target':<34} met"
    print("\n" + head + "\n" + "-" * (len(head) + 20))
    for result in results:
        w = result["workload"]
        rows, checks = summarise(result, peak)
        result["summary"], result["checks"] = rows, checks
        for i, r in enumerate(rows):
            ratio = "-" if r["slower_than_pyminidl"] is None else f"{r['slower_than_pyminidl']:.2f}x"
            gf = "-" if r["gflops"] is None else f"{r['gflops']:.1f}"
            share = "-" if not r["gflops"] else ("n/a" if r["share_of_peak"] is None else f"{r['share_of_peak']:.0%}")
            target = met = ""
            if r["contender"] == BASE:
                target = " and ".join(text for text, _, _ in checks)
                met = ("yes" if all(ok for _, ok, _ in checks) else "NO") + \
                      " (" + ", ".join(got for _, _, got in checks) + ")"
            label = f"({w.key}) {w.short}" if i == 0 else ""
            print(f"{label:<16} {r['contender']:<9} {fmt_time(r['median_s']):>9} {r['runs']:>4} {ratio:>9} "
                  f"{gf:>8} {share:>6}  {target:<34} {met}".rstrip())
    print_matmul(matmul, peak)
    print(f"\nLoad average at the end: {env['load_average_at_end']:.1f} (noisy neighbours inflate every time)")
    if env.get("late_teams") is not None:
        print(f"pyminidl's teams judged late (another process holding a core; cpp/team.h): {env['late_teams']}")
    if env.get("peak_gflops_at_start") and env["peak_gflops"]:
        print(f"% peak uses {env['peak_gflops']:.1f} GFLOP/s, the best of the peak measured at the start "
              f"({env['peak_gflops_at_start']:.1f}) and at the end")
    for result in results:
        line = peak_alongside(result)
        if line:
            print(line)
    print("\nWorkloads (x slower = contender's median / pyminidl's; GFLOP/s counts the GEMMs only):")
    for result in results:
        w = result["workload"]
        size = f"{w.steps:,} steps" if w.kind == "fit" else f"median of blocks of {w.calls:,} calls"
        print(f"  ({w.key}) {w.name}; {size}" + (f"; {w.flops / 1e9:.3g} GFLOP" if w.flops else ""))


def peak_alongside(result):
    """The share of the peak measured just before each of pyminidl's runs (None when not measured)."""
    peaks, w = result.get("peaks_alongside"), result["workload"]
    ours = result["times"].get(BASE)
    if not peaks or not ours or not all(p > 0 for p in peaks):
        return None
    shares = [w.flops / t / 1e9 / p for t, p in zip(ours, peaks)]
    result["share_of_peak_alongside"] = statistics.median(shares)
    return (f"({w.key}) measured before each of pyminidl's runs, the peak was {min(peaks):.0f}-{max(peaks):.0f} "
            f"GFLOP/s (median {statistics.median(peaks):.0f}); each run's share of it: "
            f"{min(shares):.0%}-{max(shares):.0%}, median {statistics.median(shares):.0%}")


def print_matmul(matmul, peak):
    print("\n(f) raw matmul: pyminidl's GEMM vs numpy.matmul, GFLOP/s (from benchmarks/matmul.py)")
    if not matmul["rows"]:
        print(f"  {matmul['note']}")
        return
    print("  " + matmul["table"].replace("\n", "\n  "))
    text, ok, got = matmul["check"] = matmul_check(matmul)
    print(f"  target: {text}: {'yes' if ok else 'NO'} ({got})")


def matmul_check(matmul):
    """Target (f): at least 90% of numpy.matmul for every product with all sizes >= 256, on 1 and 2 threads."""
    rows = [r for r in matmul["rows"] if min(r["m"], r["n"], r["k"]) >= 256]
    threads = sorted({r["threads"] for r in rows})
    text = f">= 90% of numpy.matmul at n >= 256, {' and '.join(map(str, threads)) or 'no'} thread(s)"
    if not rows:
        return text, False, "no rows"
    worst = min(rows, key=lambda r: r["ratio"])
    return text, worst["ratio"] >= 0.9, f"worst {worst['ratio']:.0%} at {worst['shape']}, {worst['threads']} thread(s)"


def save_json(path, env, notes, results, matmul, args):
    out = {"environment": env, "notes": notes, "args": {k: str(v) for k, v in args.items()}, "workloads": [],
           "matmul": matmul}
    for result in results:
        w = result["workload"]
        out["workloads"].append({
            "key": w.key, "name": w.name, "kind": w.kind, "steps": w.steps if w.kind == "fit" else None,
            "calls_per_sample": w.calls or None, "flops": w.flops or None, "times_s": result["times"],
            "summary": result.get("summary"), "peaks_alongside": result.get("peaks_alongside"),
            "share_of_peak_alongside": result.get("share_of_peak_alongside"),
            "targets": [{"target": t, "met": ok, "measured": got} for t, ok, got in result.get("checks", [])]})
    path.write_text(json.dumps(out, indent=1, default=str))


def save_chart(path, results):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    names = []
    for result in results:
        names += [n for n in result["times"] if n not in names]
    fig, ax = plt.subplots(figsize=(10, 5))
    width = 0.8 / len(names)
    for j, name in enumerate(names):
        xs, ys = [], []
        for i, result in enumerate(results):
            if result["times"].get(name):
                xs.append(i + (j - (len(names) - 1) / 2) * width)
                ys.append(statistics.median(result["times"][name]))
        ax.bar(xs, ys, width, label=name)
    ax.set_yscale("log")
    ax.set_xticks(range(len(results)))
    ax.set_xticklabels([f"({r['workload'].key}) {r['workload'].short}" for r in results])
    ax.set_ylabel("median seconds (per call for predict), log scale")
    ax.set_title("pyminidl vs NumPy / PyTorch / tf.keras (lower is faster)")
    ax.legend()
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def print_baseline(results):
    """This build against --baseline's, workload by workload: medians and their ratio (issue 14: within 3%)."""
    print("\nThis build against the baseline build (same rounds, interleaved; ratio = this / baseline):")
    print(f"  {'workload':<12} {'this':>10} {'baseline':>10} {'ratio':>7}  runs")
    for result in results:
        times, w = result["times"], result["workload"]
        ours, base = times.get(BASE), times.get("baseline")
        if not ours or not base:
            continue
        a, b = statistics.median(ours), statistics.median(base)
        print(f"  ({w.key}) {w.short:<8} {fmt_time(a):>10} {fmt_time(b):>10} {a / b:>7.3f}  {len(ours)}/{len(base)}")
        shares = result.get("share_of_peak_alongside")
        if shares:
            print(f"      step as a share of the fp32 peak measured alongside (median): {shares:.0%}")
