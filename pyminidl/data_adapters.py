"""fit/evaluate/predict on batches from a Python generator or a keras.utils.Sequence (Keras 2 style).

The C++ core trains on arrays, so each epoch's batches are drawn first (steps_per_epoch of them from a
generator, all len(seq) of a Sequence, in a shuffled order when shuffle=True, then seq.on_epoch_end()),
stacked, and trained in the order and sizes they came in (batch size = the first batch's; a short last
batch stays short). validation_data given as a generator is drawn the same way, validation_steps batches
every epoch. Batches are (x, y) or (x, y, sample_weight) tuples; predict also takes bare x.
"""

import warnings

import numpy as np

from pyminidl import _check
from pyminidl.training import Trainer, start_fit


class Sequence:
    """keras.utils.Sequence: a list of batches. Subclasses define __len__ (the number of batches) and
    __getitem__(index) -> (x, y); on_epoch_end() is called after every epoch (to reshuffle, for example)."""

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__: the number of batches")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index) -> (x, y)")

    def on_epoch_end(self):
        pass

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


PyDataset = Sequence  # Keras 3's name


def is_batch_source(x):
    """True for a Sequence or an iterator of batches (a generator); arrays, lists, DataFrames are not."""
    if isinstance(x, Sequence):
        return True
    return hasattr(x, "__next__") and hasattr(x, "__iter__") and not isinstance(x, np.ndarray)


class _Source:
    """Draws one epoch's batches from a Sequence or a generator."""

    def __init__(self, data, steps, what, steps_name):
        self.data, self.what = data, what
        self.sequence = isinstance(data, Sequence)
        if steps is not None:
            steps = _check.integer(steps_name, steps, minimum=1)
        elif self.sequence:
            steps = len(data)
            if steps < 1:
                raise ValueError(f"{what}: the Sequence has no batches (len() is {steps})")
        else:
            raise ValueError(f"`{steps_name}=None` is only valid for a generator based on the "
                             f"`keras.utils.Sequence` class. Please specify `{steps_name}` or use the "
                             "`keras.utils.Sequence` class.")
        self.steps = steps

    def draw(self, shuffle=False):
        """The next epoch's batches as a list of tuples; fewer than `steps` if a generator ran out."""
        if self.sequence:
            order = np.random.permutation(len(self.data)) if shuffle else range(len(self.data))
            batches = [self.data[int(i)] for i in list(order)[:self.steps]]
            self.data.on_epoch_end()
            return batches
        batches = []
        for _ in range(self.steps):
            try:
                batches.append(next(self.data))
            except StopIteration:
                break
        return batches


def _stack(batches, what, need_y=True):
    """(x, y, sample_weight or None, batch size) from a list of batch tuples."""
    xs, ys, ws = [], [], []
    for i, batch in enumerate(batches):
        if not need_y and not isinstance(batch, tuple):
            batch = (batch,)
        if not isinstance(batch, (tuple, list)) or not (1 if not need_y else 2) <= len(batch) <= 3:
            raise ValueError(f"{what}: every batch must be a tuple (x, y) or (x, y, sample_weight), batch {i} "
                             f"is {type(batch).__name__}")
        xs.append(np.asarray(batch[0]))
        if len(batch) > 1:
            ys.append(np.asarray(batch[1]))
        ws.append(None if len(batch) < 3 or batch[2] is None else np.asarray(batch[2]))
    sizes = [len(x) for x in xs]
    if need_y and (len(ys) != len(xs) or any(len(y) != n for y, n in zip(ys, sizes))):
        raise ValueError(f"{what}: every batch needs as many targets as samples, got batch sizes {sizes[:5]} "
                         f"and target sizes {[len(y) for y in ys][:5]}")
    size = sizes[0]
    if any(n != size for n in sizes[:-1]) or sizes[-1] > size:
        warnings.warn(f"{what}: batches of different sizes ({sorted(set(sizes))}) are trained in batches of "
                      f"{size} rows (pyminidl batches the epoch's samples evenly)", UserWarning, stacklevel=4)
    x = np.concatenate(xs)
    y = np.concatenate(ys) if ys else None
    if any(w is not None for w in ws):
        if any(w is None for w in ws):
            raise ValueError(f"{what}: either every batch has sample weights or none has")
        w = np.concatenate(ws)
    else:
        w = None
    return x, y, w, size


def fit(model, x, y, batch_size, epochs, verbose, callbacks, validation_split, validation_data, shuffle,
        class_weight, sample_weight, initial_epoch, steps_per_epoch, validation_steps, validation_freq):
    """Model.fit on a generator or Sequence (arguments already checked by fit, batch_size still raw)."""
    for name, value in (("y", y), ("sample_weight", sample_weight), ("batch_size", batch_size)):
        if value is not None:
            raise ValueError(f"`{name}` is not supported when x is a generator or Sequence (the batches carry "
                             f"the targets, weights and size), got {name}={value!r:.60}")
    if validation_split:
        raise ValueError("validation_split is only supported for arrays; pass validation_data instead, "
                         f"got validation_split={validation_split!r} with a generator")
    source = _Source(x, steps_per_epoch, "fit", "steps_per_epoch")
    val_source = None
    if is_batch_source(validation_data):
        val_source = _Source(validation_data, validation_steps, "validation_data", "validation_steps")
    cbs, history = None, None
    cbs_started = False
    epoch = initial_epoch
    while epoch < epochs:
        batches = source.draw(shuffle)
        if not batches:
            warnings.warn("Your input ran out of data; interrupting training. Make sure that your dataset or "
                          f"generator can generate at least `steps_per_epoch * epochs` batches "
                          f"({source.steps * (epochs - initial_epoch)} batches here)", UserWarning, stacklevel=3)
            break
        bx, by, bw, size = _stack(batches, "fit")
        bx, _, by, bw = model._training_arrays("fit", bx, by, bw, class_weight)
        if not cbs_started:  # the model is built now (from the first batch)
            cbs, history = start_fit(model, callbacks, verbose, epochs, source.steps)
            cbs.on_train_begin()
            cbs_started = True
        val = None
        if val_source is not None and (epoch + 1) % validation_freq == 0:
            vx, vy, vw, _ = _stack(val_source.draw(), "validation_data")
            val = model._validation_arrays((vx, vy, vw))
        elif validation_data is not None:
            val = model._validation_arrays(validation_data)
        Trainer(model, cbs, bx, by, bw, val, size, size, 0, validation_freq).run(epoch, epoch + 1)
        epoch += 1
        if model.stop_training:
            break
    if not cbs_started:  # epochs=0 or initial_epoch >= epochs: nothing trained, as with arrays
        from pyminidl.callbacks import History
        model.history = history = History()
        return history
    cbs.on_train_end()
    return history


def evaluate(model, x, steps, **kwargs):
    """Model.evaluate on `steps` batches of a generator (all of a Sequence when steps is None)."""
    _no_extra(kwargs, "evaluate")
    bx, by, bw, size = _stack(_Source(x, steps, "evaluate", "steps").draw(), "evaluate")
    return model.evaluate(bx, by, sample_weight=bw, batch_size=size, **kwargs)


def predict(model, x, steps, **kwargs):
    """Model.predict on `steps` batches of a generator (all of a Sequence); a batch may be x alone."""
    _no_extra(kwargs, "predict")
    bx, _, _, size = _stack(_Source(x, steps, "predict", "steps").draw(), "predict", need_y=False)
    return model.predict(bx, batch_size=size, **kwargs)


def _no_extra(kwargs, what):
    for name in ("y", "sample_weight", "batch_size"):
        if kwargs.pop(name, None) is not None:
            raise ValueError(f"`{name}` is not supported when {what}() gets a generator or Sequence (the batches "
                             "carry it)")
