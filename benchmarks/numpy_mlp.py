"""A dense network in plain NumPy, written the way a competent NumPy user would: float32, vectorised over the
batch, one Python iteration per batch. It computes what pyminidl computes (Keras' update rules and loss
scaling), so benchmarks/run.py compares identical work; tests/test_benchmark_reference.py checks that.
"""

import numpy as np


def _forward_act(name, z):
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    if name == "linear":
        return z
    raise ValueError(f"activation {name!r} is not in the NumPy reference")


def _backward_act(name, a, da):
    """Gradient with respect to z, given a = act(z) and da = dL/da."""
    if name == "relu":
        return da * (a > 0.0)
    if name == "sigmoid":
        return da * a * (1.0 - a)
    if name == "linear":
        return da
    raise ValueError(f"activation {name!r} has no elementwise backward here")


class SGD:
    def __init__(self, params, learning_rate=0.01):
        self.lr = np.float32(learning_rate)

    def update(self, params, grads):
        for w, g in zip(params, grads):
            w -= self.lr * g


class RMSprop:
    """Keras' RMSprop: s = rho·s + (1-rho)·g²; w -= lr·g / sqrt(s + eps)."""

    def __init__(self, params, learning_rate=0.001, rho=0.9, epsilon=1e-7):
        self.lr, self.rho, self.eps = np.float32(learning_rate), np.float32(rho), np.float32(epsilon)
        self.s = [np.zeros_like(w) for w in params]

    def update(self, params, grads):
        for w, g, s in zip(params, grads, self.s):
            s *= self.rho
            s += (1 - self.rho) * g * g
            w -= self.lr * g / np.sqrt(s + self.eps)


class Adam:
    """Keras' Adam: bias correction folded into the step size, eps added to the uncorrected sqrt(v)."""

    def __init__(self, params, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.lr, self.b1, self.b2, self.eps = learning_rate, np.float32(beta_1), np.float32(beta_2), np.float32(epsilon)
        self.m = [np.zeros_like(w) for w in params]
        self.v = [np.zeros_like(w) for w in params]
        self.t = 0

    def update(self, params, grads):
        self.t += 1
        alpha = np.float32(self.lr * np.sqrt(1.0 - float(self.b2) ** self.t) / (1.0 - float(self.b1) ** self.t))
        for w, g, m, v in zip(params, grads, self.m, self.v):
            m += (1 - self.b1) * (g - m)
            v += (1 - self.b2) * (g * g - v)
            w -= alpha * m / (np.sqrt(v) + self.eps)


OPTIMIZERS = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam}


class NumpyMLP:
    """Dense layers with biases. weights: [W0, b0, W1, b1, ...] as Keras' get_weights() returns them."""

    def __init__(self, weights, activations, loss="mse", optimizer="sgd", **opt_args):
        self.params = [np.array(w, dtype=np.float32) for w in weights]
        self.acts = list(activations)
        if loss not in ("mse", "categorical_crossentropy"):
            raise ValueError(f"loss {loss!r} is not in the NumPy reference")
        if loss == "categorical_crossentropy" and self.acts[-1] != "softmax":
            raise ValueError("categorical_crossentropy is implemented here for a softmax output only")
        self.loss = loss
        self.opt = OPTIMIZERS[optimizer](self.params, **opt_args)

    def predict(self, x):
        a = x
        for i, act in enumerate(self.acts):
            a = _forward_act(act, a @ self.params[2 * i] + self.params[2 * i + 1])
        return a

    def train_step(self, x, y):
        """One batch: forward, loss, backward, update. Returns the batch's summed per-sample loss."""
        outs = [x]
        for i, act in enumerate(self.acts):
            outs.append(_forward_act(act, outs[-1] @ self.params[2 * i] + self.params[2 * i + 1]))
        p, rows = outs[-1], len(x)
        if self.loss == "mse":
            err = p - y
            loss = float(np.sum(err * err)) / y.shape[1]
            dz = _backward_act(self.acts[-1], p, err * (2.0 / (y.shape[1] * rows)))
        else:  # softmax + cross-entropy fused: dL/dz = (p - y) / rows, with Keras' clip on p for the value
            loss = -float(np.sum(y * np.log(np.clip(p, 1e-7, 1.0 - 1e-7))))
            dz = (p - y) * (1.0 / rows)
        grads = [None] * len(self.params)
        for i in range(len(self.acts) - 1, -1, -1):
            grads[2 * i] = outs[i].T @ dz
            grads[2 * i + 1] = dz.sum(axis=0)
            if i > 0:  # the input itself needs no gradient
                dz = _backward_act(self.acts[i - 1], outs[i], dz @ self.params[2 * i].T)
        self.opt.update(self.params, grads)
        return loss

    def fit(self, x, y, epochs=1, batch_size=32, shuffle=True, rng=None):
        """Per-epoch mean losses, as Keras' History['loss']."""
        rng = np.random.default_rng() if rng is None else rng
        n, history = len(x), []
        for _ in range(epochs):
            if shuffle:
                perm = rng.permutation(n)
                xs, ys = x[perm], y[perm]
            else:
                xs, ys = x, y
            total = 0.0
            for start in range(0, n, batch_size):
                total += self.train_step(xs[start:start + batch_size], ys[start:start + batch_size])
            history.append(total / n)
        return history
