"""Keras 3's optimizer update rules in float64 NumPy (KERAS_REFERENCE §1): the reference of
tests/test_optimizers.py and tests/test_embedding_training.py.

A gradient is an array, or RowSlices: Keras 3 on TensorFlow gets an Embedding table's gradient as a
tf.IndexedSlices, one row of values per lookup with repeated ids not merged. Its elementwise ops act on
those values (keras/src/backend/tensorflow/sparse.py), so clipping, squares and absolute values are taken
per lookup, and only then are the rows added up: a row looked up twice with gradients a and b gets a + b
and a^2 + b^2, not (a + b)^2. global_clipnorm's scaling makes the gradient dense (rows merged) after its
norm has counted every lookup. (tf_keras 2.x merges repeated rows first.) Checked against Keras 3.15 on
the model of tests/test_embedding_training.py: every rule and clipping there agreed to 1.3e-6."""

import collections

import numpy as np

RowSlices = collections.namedtuple("RowSlices", "rows values")  # values[i]: the gradient of table row rows[i]


def _values(g):
    return g.values if isinstance(g, RowSlices) else g


def _with_values(g, values):
    return g._replace(values=values) if isinstance(g, RowSlices) else values


def _summed(g, like, f):
    """f of every value, added up into the rows of a tensor shaped like `like` (just f(g) when dense)."""
    if not isinstance(g, RowSlices):
        return f(g)
    out = np.zeros_like(like)
    np.add.at(out, g.rows, f(g.values))
    return out


class RefOptimizer:
    """Keras 3 update rules in float64: clip -> weight decay -> update; t = iterations + 1."""

    def __init__(self, kind, lr=0.01, momentum=0.0, nesterov=False, rho=0.9, centered=False, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-7, amsgrad=False, initial_accumulator_value=0.1, weight_decay=0.0,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, schedule=None):
        self.__dict__.update({k: v for k, v in locals().items() if k != "self"})
        self.t, self.state, self.u_product = 0, None, 1.0

    def step(self, ws, gs):
        if self.clipvalue:
            gs = [_with_values(g, np.clip(_values(g), -self.clipvalue, self.clipvalue)) for g in gs]
        if self.clipnorm:
            gs = [_with_values(g, _values(g) * self.clipnorm / max(np.linalg.norm(_values(g)), self.clipnorm))
                  for g in gs]
        if self.global_clipnorm:
            # the norm counts every lookup; scaling then merges the rows (Keras' `v * scale` makes them dense)
            norm = np.sqrt(sum(np.sum(_values(g) ** 2) for g in gs))
            gs = [_summed(g, w, lambda v: v) * self.global_clipnorm / max(norm, self.global_clipnorm)
                  for g, w in zip(gs, ws)]
        lr = self.schedule(self.t) if self.schedule else self.lr
        self.t += 1
        if self.state is None:
            init = self.initial_accumulator_value if self.kind == "adagrad" else 0.0
            self.state = [[np.full_like(w, init) for _ in range(3)] for w in ws]
        if self.kind == "nadam":
            b1 = self.beta_1
            self.u_t = b1 * (1 - 0.5 * 0.96**self.t)
            self.u_t1 = b1 * (1 - 0.5 * 0.96 ** (self.t + 1))
            self.u_product *= self.u_t
        return [self._update(w - lr * self.weight_decay * w, _summed(g, w, lambda v: v), _summed(g, w, np.square),
                             _summed(g, w, np.abs), s, lr) for w, g, s in zip(ws, gs, self.state)]

    def _update(self, w, g, g2, g_abs, s, lr):
        """g: the gradient; g2 and g_abs: its square and absolute value (per lookup, then summed, for slices)."""
        t = self.t
        if self.kind == "sgd":
            if not self.momentum:
                return w - lr * g
            s[0][...] = self.momentum * s[0] - lr * g
            return w + (self.momentum * s[0] - lr * g if self.nesterov else s[0])
        if self.kind == "rmsprop":
            s[0][...] = self.rho * s[0] + (1 - self.rho) * g2
            den = s[0] + self.epsilon
            if self.centered:
                s[2][...] = self.rho * s[2] + (1 - self.rho) * g
                den = den - s[2] ** 2
            d = lr * g / np.sqrt(den)
            if self.momentum:
                s[1][...] = self.momentum * s[1] + d
                return w - s[1]
            return w - d
        if self.kind in ("adam", "adamw"):
            s[0][...] += (1 - self.beta_1) * (g - s[0])
            s[1][...] += (1 - self.beta_2) * (g2 - s[1])
            v = s[1]
            if self.amsgrad:
                s[2][...] = np.maximum(s[2], s[1])
                v = s[2]
            alpha = lr * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
            return w - alpha * s[0] / (np.sqrt(v) + self.epsilon)
        if self.kind == "adagrad":
            s[0][...] += g2
            return w - lr * g / np.sqrt(s[0] + self.epsilon)
        if self.kind == "nadam":
            s[0][...] += (1 - self.beta_1) * (g - s[0])
            s[1][...] += (1 - self.beta_2) * (g2 - s[1])
            m_hat = self.u_t1 * s[0] / (1 - self.u_product * self.u_t1) + (1 - self.u_t) * g / (1 - self.u_product)
            v_hat = s[1] / (1 - self.beta_2**t)
            return w - lr * m_hat / (np.sqrt(v_hat) + self.epsilon)
        if self.kind == "adamax":  # keras/src/optimizers/adamax.py
            s[0][...] += (g - s[0]) * (1 - self.beta_1)
            s[1][...] = np.maximum(self.beta_2 * s[1], g_abs)
            return w - lr * s[0] / ((1 - self.beta_1**t) * (s[1] + self.epsilon))
        raise KeyError(self.kind)
