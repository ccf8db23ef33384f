"""Each convolution of benchmarks (g) and (h) alone: forward, input gradient and kernel gradient as a share of the
fp32 peak (issue 16 asks for 60% of the measured peak for the convolutions' forward and backward).

    python benchmarks/conv_layers.py [--threads N] [--repeats 21]

The kernels run in C++ on buffers allocated once (`_core._conv2d_time`, the median of `repeats` interleaved calls),
as inside a network, at batch 128. GFLOP/s counts 2 * output positions * (kh * kw * in) * filters per pass. The
peak is measured before and after the table (the better is used). Beside each convolution, the plain GEMM of the
same shape on a patch matrix written beforehand (what the convolution would cost with a free im2col). Do not read
timings taken on a loaded machine.
"""

import argparse
import statistics
import time

import numpy as np

from pyminidl import _core

# name, (height, width, channels), filters, padding: mnist_convnet's two, then the CIFAR-shaped network's three
CONVS = [("(g) conv 1", (28, 28, 1), 32, "valid"), ("(g) conv 2", (13, 13, 32), 64, "valid"),
         ("(h) conv 1", (32, 32, 3), 32, "same"), ("(h) conv 2", (16, 16, 32), 64, "same"),
         ("(h) conv 3", (8, 8, 64), 128, "same")]
BATCH = 128


def gemm_seconds(m, n, k, repeats):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((m, k), dtype=np.float32), rng.standard_normal((k, n), dtype=np.float32)
    c = np.empty((m, n), np.float32)
    _core.gemm(a, b, c)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        _core.gemm(a, b, c)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=_core.get_num_threads())
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    _core.set_num_threads(args.threads)
    peak = _core.measure_peak_gflops(args.threads)
    rng = np.random.default_rng(0)
    rows = []
    for name, (h, w, c), filters, padding in CONVS:
        x = rng.standard_normal((BATCH, h, w, c), dtype=np.float32)
        kernel = (0.1 * rng.standard_normal((3, 3, c, filters))).astype(np.float32)
        fwd, data, filt = _core._conv2d_time(x, kernel, (1, 1), (1, 1), padding, repeats=args.repeats)
        out_h, out_w = (h, w) if padding == "same" else (h - 2, w - 2)
        m, k = BATCH * out_h * out_w, 9 * c
        flop = 2.0 * m * k * filters
        rows.append((name, m, k, filters, flop, fwd, data, filt, gemm_seconds(m, filters, k, args.repeats)))
    peak = max(peak, _core.measure_peak_gflops(args.threads))
    print(f"kernel {_core.gemm_kernel_name()}, {args.threads} thread(s), fp32 peak {peak:.0f} GFLOP/s "
          f"(measured before and after, the better); batch {BATCH}, medians of {args.repeats} interleaved calls")
    print(f"{'convolution':<11} | {'M x K x N':>17} | {'forward':>13} | {'input grad':>13} | {'kernel grad':>13} | "
          f"{'all three':>9} | {'plain GEMM':>10}")

    def cell(flop, seconds):
        gflops = flop / seconds / 1e9
        return f"{gflops:6.1f} ({gflops / peak:4.0%})"

    for name, m, k, n, flop, fwd, data, filt, plain in rows:
        print(f"{name:<11} | {f'{m}x{k}x{n}':>17} | {cell(flop, fwd):>13} | {cell(flop, data):>13} | "
              f"{cell(flop, filt):>13} | {3 * flop / (fwd + data + filt) / 1e9 / peak:>9.0%} | {cell(flop, plain):>10}")
    total = sum(r[4] for r in rows[:2])
    seconds = sum(r[5] + r[6] + r[7] for r in rows[:2])
    print(f"(g)'s two convolutions together: {3 * total / seconds / 1e9 / peak:.0%} of the peak (target 60%)")
    # In training the first layer has no input gradient to compute (nothing before it needs one).
    (_, _, _, _, flop1, fwd1, _, filt1, _), (_, _, _, _, flop2, fwd2, data2, filt2, _) = rows[:2]
    trained = (2 * flop1 + 3 * flop2) / (fwd1 + filt1 + fwd2 + data2 + filt2) / 1e9 / peak
    print(f"(g)'s two convolutions as training runs them (no input gradient for the first): {trained:.0%} of the peak")


if __name__ == "__main__":
    main()
