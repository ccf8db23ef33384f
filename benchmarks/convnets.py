"""Convolution and embedding benchmarks (issue 16): (g) Keras' mnist_convnet, (h) a CIFAR-shaped convnet with
BatchNormalization, (i) an IMDB-shaped Embedding + GlobalAveragePooling1D model; pyminidl against PyTorch
eager (the same networks in torch.nn, its tutorials' training loop) and tf.keras when they are installed.

    python benchmarks/convnets.py [--repeats 5] [--threads N] [--quick] [--only g,h]

Each contender trains one epoch per timing (after one untimed warm-up epoch) on the same synthetic data;
the table gives the median, GFLOP/s (the convolution and dense GEMM work of forward, kernel gradient and
input gradient, none for the first layer's input) and the share of the FP32 peak measured alongside
(pyminidl._core.measure_peak_gflops). Do not read timings taken on a loaded machine.
"""

import argparse
import statistics
import time

import numpy as np

TARGETS = {"g": 1.5, "h": 1.3, "i": 3.0}  # times faster than PyTorch eager (issue 16)


# --- workloads ------------------------------------------------------------------------------------

def conv_flops(h, w, k, c_in, filters, first):
    """Training FLOPs per sample of a 'valid'/'same' conv whose output is h x w (2 per multiply-add)."""
    return (2 if first else 3) * 2.0 * h * w * k * k * c_in * filters


def mnist_convnet(quick):
    n = 1280 if quick else 12800
    layers = [("conv", 32, 3, "valid", None), ("pool",), ("conv", 64, 3, "valid", None), ("pool",), ("flatten",),
              ("dropout", 0.5), ("dense", 10, "softmax")]
    flops = conv_flops(26, 26, 3, 1, 32, True) + conv_flops(11, 11, 3, 32, 64, False) + 3 * 2.0 * 1600 * 10
    return dict(key="g", name=f"mnist_convnet 28x28x1, Adam, batch 128, {n:,} samples", shape=(28, 28, 1),
                layers=layers, classes=10, batch=128, n=n, flops=flops * n)


def cifar_bn(quick):
    n = 512 if quick else 5120
    layers, flops, size, c_in = [], 0.0, 32, 3
    for i, filters in enumerate((32, 64, 128)):
        layers += [("conv", filters, 3, "same", "bn"), ("bn",), ("relu",), ("pool",)]
        flops += conv_flops(size, size, 3, c_in, filters, i == 0)
        size, c_in = size // 2, filters
    layers += [("gap",), ("dense", 10, "softmax")]
    flops += 3 * 2.0 * 128 * 10
    return dict(key="h", name=f"CIFAR-shaped convnet 32x32x3, 3 x (Conv2D 3x3 same + BN + relu + MaxPool), GAP, "
                f"Adam, batch 128, {n:,} samples", shape=(32, 32, 3), layers=layers, classes=10, batch=128, n=n,
                flops=flops * n)


def imdb_embedding(quick):
    n = 2560 if quick else 25000
    layers = [("embedding", 10000, 16), ("gap1d",), ("dense", 16, "relu"), ("dense", 1, "sigmoid")]
    flops = 3 * 2.0 * 16 * 16 + 3 * 2.0 * 16
    return dict(key="i", name=f"IMDB-shaped Embedding(10000, 16) + GAP1D + Dense 16 + Dense 1, 256 tokens, Adam, "
                f"batch 32, {n:,} samples", shape=(256,), layers=layers, classes=1, batch=32, n=n,
                flops=flops * n)


def data(w, rng):
    if w["key"] == "i":
        x = rng.integers(0, 10000, (w["n"],) + w["shape"]).astype(np.float32)
        return x, rng.integers(0, 2, (w["n"], 1)).astype(np.float32)
    x = rng.random((w["n"],) + w["shape"], dtype=np.float32)
    return x, np.eye(w["classes"], dtype=np.float32)[rng.integers(0, w["classes"], w["n"])]


# --- contenders -----------------------------------------------------------------------------------

def keras_model(tf, w):
    L = tf.keras.layers
    out = [tf.keras.Input(w["shape"])]
    for spec in w["layers"]:
        kind = spec[0]
        if kind == "conv":
            out.append(L.Conv2D(spec[1], spec[2], padding=spec[3], activation=None if spec[4] else "relu",
                                use_bias=not spec[4]))
        elif kind == "pool":
            out.append(L.MaxPooling2D(2))
        elif kind == "bn":
            out.append(L.BatchNormalization())
        elif kind == "relu":
            out.append(L.Activation("relu"))
        elif kind == "flatten":
            out.append(L.Flatten())
        elif kind == "dropout":
            out.append(L.Dropout(spec[1]))
        elif kind == "gap":
            out.append(L.GlobalAveragePooling2D())
        elif kind == "gap1d":
            out.append(L.GlobalAveragePooling1D())
        elif kind == "embedding":
            out.append(L.Embedding(spec[1], spec[2]))
        elif kind == "dense":
            out.append(L.Dense(spec[1], activation=spec[2]))
    model = tf.keras.Sequential(out)
    loss = "binary_crossentropy" if w["classes"] == 1 else "categorical_crossentropy"
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-3), loss=loss)
    return model


def keras_runner(tf):
    def make(w, x, y):
        model = keras_model(tf, w)
        return lambda: model.fit(x, y, batch_size=w["batch"], epochs=1, verbose=0, shuffle=True)
    return make


def torch_runner(w, x, y):
    import torch
    nn = torch.nn

    class Mean(nn.Module):  # GlobalAveragePooling1D over (batch, steps, channels)
        def forward(self, t):
            return t.mean(dim=1)

    mods, c_in = [], w["shape"][-1]
    for spec in w["layers"]:
        kind = spec[0]
        if kind == "conv":
            mods.append(nn.Conv2d(c_in, spec[1], spec[2], padding=0 if spec[3] == "valid" else "same",
                                  bias=not spec[4]))
            if not spec[4]:
                mods.append(nn.ReLU())
            c_in = spec[1]
        elif kind == "pool":
            mods.append(nn.MaxPool2d(2))
        elif kind == "bn":
            mods.append(nn.BatchNorm2d(c_in, eps=1e-3, momentum=0.01))
        elif kind == "relu":
            mods.append(nn.ReLU())
        elif kind == "flatten":
            mods.append(nn.Flatten())
        elif kind == "dropout":
            mods.append(nn.Dropout(spec[1]))
        elif kind == "gap":
            mods.append(nn.AdaptiveAvgPool2d(1))
            mods.append(nn.Flatten())
        elif kind == "embedding":
            mods.append(nn.Embedding(spec[1], spec[2]))
        elif kind == "gap1d":
            mods.append(Mean())
        elif kind == "dense":
            mods.append(nn.LazyLinear(spec[1]))
            if spec[2] == "relu":
                mods.append(nn.ReLU())
    net = nn.Sequential(*mods)
    if w["key"] == "i":
        xt, yt = torch.from_numpy(x.astype(np.int64)), torch.from_numpy(y)
        loss_fn = nn.BCEWithLogitsLoss()
    else:
        xt = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))  # NCHW, untimed
        yt = torch.from_numpy(y.argmax(1))
        loss_fn = nn.CrossEntropyLoss()
    net(xt[:2])  # materialise the lazy layers
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    batch = w["batch"]

    def run():
        net.train()
        perm = torch.randperm(len(xt))
        for i in range(0, len(xt), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = loss_fn(net(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    return run


def contenders(threads):
    import pyminidl
    pyminidl.set_num_threads(threads)
    out = [("pyminidl", keras_runner(pyminidl))]
    try:
        import torch
        torch.set_num_threads(threads)
        out.append((f"torch {torch.__version__}", torch_runner))
    except ImportError:
        print("PyTorch: not installed (pip install torch --index-url https://download.pytorch.org/whl/cpu)")
    try:
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        out.append((f"tf.keras {tf.__version__}", keras_runner(tf)))
    except ImportError:
        print("TensorFlow: not installed")
    except RuntimeError:
        pass
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="a tenth of the samples, 2 repeats: a smoke run")
    parser.add_argument("--only", default="g,h,i")
    args = parser.parse_args(argv)
    import pyminidl
    threads = args.threads or pyminidl.get_num_threads()
    repeats = 2 if args.quick else args.repeats
    peak = pyminidl._core.measure_peak_gflops(threads)
    print(f"threads {threads}, FP32 peak measured {peak:.1f} GFLOP/s, GEMM kernel {pyminidl._core.gemm_kernel_name()}")
    present = contenders(threads)
    workloads = [f(args.quick) for f in (mnist_convnet, cifar_bn, imdb_embedding)]
    for w in workloads:
        if w["key"] not in args.only.split(","):
            continue
        print(f"\n({w['key']}) {w['name']}")
        print(f"{'contender':<22}{'median s':>10}{'GFLOP/s':>10}{'of peak':>9}")
        x, y = data(w, np.random.default_rng(0))
        medians = {}
        for name, make in present:
            run = make(w, x, y)
            run()  # warm-up epoch: allocations, lazy builds
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                run()
                times.append(time.perf_counter() - t0)
            med = statistics.median(times)
            medians[name] = med
            rate = w["flops"] / med / 1e9
            print(f"{name:<22}{med:>10.3f}{rate:>10.1f}{rate / peak:>9.0%}")
        torch_name = next((n for n in medians if n.startswith("torch")), None)
        if torch_name:
            ratio = medians[torch_name] / medians["pyminidl"]
            print(f"pyminidl vs PyTorch eager: {ratio:.2f}x (target {TARGETS[w['key']]}x)")
    # cpp/team.h: how often pyminidl's threads were judged late (another process holding a core) and set aside
    print(f"\nteams judged late during the run: {pyminidl._core._team_late_count()}")


if __name__ == "__main__":
    main()
