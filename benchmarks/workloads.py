"""The benchmark's workloads (issue 3): what is trained or computed, on which data, and the target to meet.

Every contender (benchmarks/contenders.py) gets the same Workload: layer sizes, activations, loss, optimizer,
batching, epochs, data and starting weights, so the timings compare identical work.
"""

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Workload:
    key: str                    # "a".."e", as in issue 3
    short: str                  # for the table
    name: str
    kind: str                   # "fit" or "predict"
    inputs: int
    layers: list                # [(units, activation), ...]
    loss: str = "mse"           # "mse" or "categorical_crossentropy"
    optimizer: str = "sgd"      # "sgd", "rmsprop" or "adam"
    opt_args: dict = field(default_factory=dict)  # Keras hyperparameters (learning_rate, rho, beta_1, ...)
    epochs: int = 1
    batch_size: int = 32
    samples: int = 0
    targets: list = field(default_factory=list)  # all to be met: ("ratio", 20.0) = 20x faster than NumPy,
    #                                               ("seconds", 0.01) = median fit time, ("us_per_call", 3.0)
    calls: int = 0              # predict: calls per timing block
    flops: float = 0.0          # floating-point operations of one run; 0 when not meaningful
    make_data: object = None    # (rng) -> (x, y) float32

    @property
    def steps(self):
        return self.epochs * -(-self.samples // self.batch_size)

    def data(self, seed=0):
        return self.make_data(np.random.default_rng(seed))


def train_flops(inputs, layers, rows, steps):
    """GEMM FLOPs of `steps` training steps: forward X·W, weight gradient Xᵀ·dZ and input gradient dZ·Wᵀ
    per layer (2·m·n·k each), except the first layer's input gradient, which no contender computes."""
    per_row, fan_in = 0, inputs
    for i, (units, _) in enumerate(layers):
        per_row += (2 if i == 0 else 3) * 2 * fan_in * units
        fan_in = units
    return float(per_row) * rows * steps


# --- data --------------------------------------------------------------------------------------------

def _xor(rng):
    return (np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32), np.array([[0], [1], [1], [0]], np.float32))


def _blood_fat(rng):
    from pyminidl.datasets import load_blood_fat
    x, y = load_blood_fat()
    return x, y.reshape(-1, 1)


def _iris(rng):
    from pyminidl.datasets import load_iris
    x, y = load_iris()
    idx = rng.permutation(len(x))[:120]  # a 120-sample training split, as the tutorial's train_test_split
    return x[idx], np.eye(3, dtype=np.float32)[y[idx]]


def _mnist_like(rng, n=16384):
    x = rng.random((n, 784), dtype=np.float32)
    return x, np.eye(10, dtype=np.float32)[rng.integers(0, 10, n)]


def _one_iris_sample(rng):
    return np.array([[5.1, 3.5, 1.4, 0.2]], np.float32), None


IRIS_LAYERS = [(32, "relu"), (32, "relu"), (32, "relu"), (3, "softmax")]
MNIST_LAYERS = [(512, "relu"), (512, "relu"), (10, "softmax")]


def workloads(quick=False):
    """The five network workloads; quick=True shrinks the epochs (and MNIST's samples) for a smoke run."""
    q = (lambda full, small: small) if quick else (lambda full, small: full)
    mnist_n = q(16384, 2048)
    scale = q(5000, 250) / 5000  # absolute time targets shrink with the epochs of a quick run
    out = [
        Workload("a", "XOR", "XOR fit 2-2-1 sigmoid, SGD(lr=0.1), mse, batch 1", "fit", inputs=2,
                 layers=[(2, "sigmoid"), (1, "sigmoid")], loss="mse", optimizer="sgd",
                 opt_args={"learning_rate": 0.1}, epochs=q(5000, 250), batch_size=1, samples=4,
                 targets=[("ratio", 20.0), ("seconds", 0.020 * scale)], make_data=_xor),
        Workload("b", "blood fat", "blood-fat regression Dense(1) on 2 inputs, RMSprop, mse, batch 32", "fit",
                 inputs=2, layers=[(1, "linear")], loss="mse", optimizer="rmsprop",
                 opt_args={"learning_rate": 0.001}, epochs=q(5000, 250), batch_size=32, samples=25,
                 targets=[("seconds", 0.010 * scale)], make_data=_blood_fat),
        Workload("c", "iris", "iris fit 4-32-32-32-3 relu/softmax, Adam, categorical CE, batch 32", "fit",
                 inputs=4, layers=IRIS_LAYERS, loss="categorical_crossentropy", optimizer="adam",
                 opt_args={"learning_rate": 0.001}, epochs=q(100, 10), batch_size=32, samples=120,
                 targets=[("ratio", 10.0)], make_data=_iris),
        Workload("d", "MNIST MLP", f"MNIST-shaped MLP 784-512-512-10, Adam, categorical CE, batch 256, "
                 f"{mnist_n:,} synthetic samples", "fit", inputs=784, layers=MNIST_LAYERS,
                 loss="categorical_crossentropy", optimizer="adam", opt_args={"learning_rate": 0.001},
                 epochs=q(2, 1), batch_size=256, samples=mnist_n, targets=[("ratio", 2.5)],
                 make_data=lambda rng: _mnist_like(rng, mnist_n)),
        Workload("e", "predict 1x4", "predict one 1x4 float32 sample on the iris network", "predict", inputs=4,
                 layers=IRIS_LAYERS, samples=1, calls=q(2000, 200), targets=[("us_per_call", 3.0)],
                 make_data=_one_iris_sample),
    ]
    for w in out:
        if w.kind == "fit" and w.key in "cd":
            rows = w.samples * w.epochs / w.steps  # mean rows per step (the last batch may be short)
            w.flops = train_flops(w.inputs, w.layers, rows, w.steps)
    return out
