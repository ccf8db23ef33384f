"""One adapter per framework. Each turns a Workload, its starting weights and data into a zero-argument
function that does the timed work; building the model and loading the weights happen before, untimed.

    fit_runner(w, weights, x, y)   -> run(): one whole fit (w.epochs epochs, shuffled, batch w.batch_size)
    predict_runner(w, weights, x)  -> call(): one prediction for x
"""

import numpy as np

from numpy_mlp import NumpyMLP

OPT_CLASS = {"sgd": "SGD", "rmsprop": "RMSprop", "adam": "Adam"}  # the same class names in every framework


class Contender:
    name = ""
    version = ""
    max_repeats = None         # cap on timed fits, for slow contenders
    predict_calls_scale = 1.0  # share of the workload's calls per timing block, for slow contenders

    def available(self):
        """(True, version) or (False, why not)."""
        return True, ""

    def set_threads(self, n):
        pass


class KerasLike(Contender):
    """The tutorial code itself: `tf.keras.Sequential`, compile, fit, predict. `tf` is pyminidl or TensorFlow."""

    def _tf(self):
        raise NotImplementedError

    def _model(self, w, weights):
        tf = self._tf()
        model = tf.keras.Sequential([tf.keras.Input((w.inputs,))] +
                                    [tf.keras.layers.Dense(u, activation=a) for u, a in w.layers])
        model.set_weights(weights)
        model.compile(optimizer=getattr(tf.keras.optimizers, OPT_CLASS[w.optimizer])(**w.opt_args), loss=w.loss)
        return model

    def fit_runner(self, w, weights, x, y):
        model = self._model(w, weights)
        return lambda: model.fit(x, y, batch_size=w.batch_size, epochs=w.epochs, verbose=0, shuffle=True)

    def predict_runner(self, w, weights, x):
        model = self._model(w, weights)
        return lambda: model.predict(x, verbose=0)


class Pyminidl(KerasLike):
    name = "pyminidl"

    def available(self):
        import pyminidl
        return True, pyminidl.__version__

    def set_threads(self, n):
        import pyminidl
        pyminidl.set_num_threads(n)

    def _tf(self):
        import pyminidl
        return pyminidl


class NumPy(Contender):
    name = "numpy"

    def available(self):
        return True, np.__version__

    def fit_runner(self, w, weights, x, y):
        net = NumpyMLP(weights, [a for _, a in w.layers], w.loss, w.optimizer, **w.opt_args)
        rng = np.random.default_rng(0)
        return lambda: net.fit(x, y, epochs=w.epochs, batch_size=w.batch_size, shuffle=True, rng=rng)

    def predict_runner(self, w, weights, x):
        net = NumpyMLP(weights, [a for _, a in w.layers], w.loss, w.optimizer)
        return lambda: net.predict(x)


class Torch(Contender):
    """Eager PyTorch on the CPU, the loop its tutorials write; softmax + cross-entropy as CrossEntropyLoss."""

    name = "torch"

    def available(self):
        try:
            import torch
        except ImportError as e:
            return False, f"not importable ({e})"
        return True, torch.__version__

    def set_threads(self, n):
        import torch
        torch.set_num_threads(n)

    def _net(self, w, weights, with_softmax):
        import torch
        modules, acts = [], {"relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid}
        fan_in = w.inputs
        for i, (units, act) in enumerate(w.layers):
            lin = torch.nn.Linear(fan_in, units)
            with torch.no_grad():  # Keras stores the kernel as (in, out), torch as (out, in)
                lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(weights[2 * i].T)))
                lin.bias.copy_(torch.from_numpy(weights[2 * i + 1]))
            modules.append(lin)
            if act in acts:
                modules.append(acts[act]())
            elif act == "softmax" and with_softmax:
                modules.append(torch.nn.Softmax(dim=1))
            fan_in = units
        return torch.nn.Sequential(*modules)

    def _optimizer(self, w, params):
        import torch
        a = dict(w.opt_args)
        lr = a.pop("learning_rate")
        if w.optimizer == "sgd":
            return torch.optim.SGD(params, lr=lr)
        if w.optimizer == "rmsprop":  # Keras' defaults: rho 0.9, eps 1e-7
            return torch.optim.RMSprop(params, lr=lr, alpha=a.get("rho", 0.9), eps=1e-7)
        return torch.optim.Adam(params, lr=lr, betas=(a.get("beta_1", 0.9), a.get("beta_2", 0.999)), eps=1e-7)

    def fit_runner(self, w, weights, x, y):
        import torch
        net = self._net(w, weights, with_softmax=False)
        opt = self._optimizer(w, net.parameters())
        if w.loss == "mse":
            loss_fn, xt, yt = torch.nn.MSELoss(), torch.from_numpy(x), torch.from_numpy(y)
        else:  # one-hot targets as class indices: the same loss, the way torch users write it
            loss_fn, xt, yt = torch.nn.CrossEntropyLoss(), torch.from_numpy(x), torch.from_numpy(y.argmax(1))
        n, bs = len(x), w.batch_size

        def run():
            history = []
            for _ in range(w.epochs):
                perm = torch.randperm(n)
                xs, ys = xt[perm], yt[perm]
                total = torch.zeros(())
                for start in range(0, n, bs):
                    xb, yb = xs[start:start + bs], ys[start:start + bs]
                    opt.zero_grad()
                    loss = loss_fn(net(xb), yb)
                    loss.backward()
                    opt.step()
                    total += loss.detach() * len(xb)  # the epoch's mean loss, as Keras logs it
                history.append(float(total) / n)
            return history
        return run

    def predict_runner(self, w, weights, x):
        import torch
        net = self._net(w, weights, with_softmax=True)

        def call():
            with torch.inference_mode():
                return net(torch.from_numpy(x)).numpy()
        return call


class TfKeras(KerasLike):
    """tf.keras as the tutorials use it (its first fit of a new model includes tracing, as a user's does)."""

    name = "tf.keras"
    max_repeats = 3
    predict_calls_scale = 0.01

    def available(self):
        try:
            import tensorflow as tf
        except ImportError as e:
            return False, f"not importable ({e})"
        return True, tf.__version__

    def set_threads(self, n):
        import tensorflow as tf
        try:
            tf.config.threading.set_intra_op_parallelism_threads(n)
            tf.config.threading.set_inter_op_parallelism_threads(n)
        except RuntimeError:  # already initialised
            pass

    def _tf(self):
        import tensorflow
        return tensorflow


ALL = [Pyminidl(), NumPy(), Torch(), TfKeras()]
