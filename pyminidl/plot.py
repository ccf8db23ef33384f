"""Training curves from a History. matplotlib is optional: `pip install "pyminidl[plot]"`."""

import numbers
import os
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from pyminidl import _api


def plot_history(history: Any, metrics: Union[str, Sequence[str], None] = None,
                 path: Union[str, "os.PathLike[str]", None] = None, title: Optional[str] = None) -> Any:
    """Plots the loss and metric curves of a fit, one subplot per metric, with its `val_` curve if any.

    Args:
        history: the `History` that `fit` returns, or its `.history` dict.
        metrics: a log key such as `"loss"`, or a list of keys. Defaults to every key without the `val_`
            prefix, in log order.
        path: if given, the figure is also saved there (PNG, SVG, ... from the extension).
        title: an optional title above the subplots.

    Returns:
        The matplotlib `Figure`.

    Raises:
        ImportError: if matplotlib is not installed (`pip install "pyminidl[plot]"`).
        TypeError: if `history`, `metrics` or `path` is of the wrong kind.
        ValueError: if a key of `metrics` is not in the history.

    Examples:

    >>> import numpy as np, pyminidl as tf
    >>> model = tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(2,))])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> history = model.fit(np.ones((8, 2)), np.ones(8), epochs=3, verbose=0)
    >>> fig = tf.plot.plot_history(history)
    >>> len(fig.axes)
    1
    """
    logs, epochs = _logs_and_epochs(history)
    keys = _metric_keys(logs, metrics)
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(1, len(keys), figsize=(5 * len(keys), 3.8), squeeze=False)
    for ax, key in zip(axes[0], keys):
        ax.plot(epochs[:len(logs[key])], logs[key], label=f"training {key}")
        if "val_" + key in logs:
            val = logs["val_" + key]
            ax.plot(epochs[:len(val)], val, label=f"validation {key}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.set_title(key)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        ax.legend()
    if title is not None:
        fig.suptitle(str(title))
    fig.tight_layout()
    if path is not None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a file name such as 'history.png', got {path!r}")
        fig.savefig(path, dpi=100)
    return fig


def _logs_and_epochs(history: Any) -> Tuple[Dict[str, List[float]], List[int]]:
    """The {key: [values]} dict and the 1-based epoch numbers of the x axis."""
    logs: Dict[str, List[float]] = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise TypeError(f"history must be the History returned by fit (or its non-empty .history dict), "
                        f"got {history!r:.200}")
    for key, values in logs.items():
        if not isinstance(key, str) or not isinstance(values, (list, tuple)) or \
                not all(isinstance(v, numbers.Real) for v in values):
            raise ValueError(f"history[{key!r}] must be a list of numbers, got {values!r:.200}")
    longest = max(len(v) for v in logs.values())
    recorded = getattr(history, "epoch", None)
    if isinstance(recorded, list) and len(recorded) == longest:
        return logs, [e + 1 for e in recorded]  # fit(initial_epoch=k) starts at k + 1
    return logs, list(range(1, longest + 1))


def _metric_keys(logs: Dict[str, List[float]], metrics: Union[str, Sequence[str], None]) -> List[str]:
    if metrics is None:
        keys = [k for k in logs if not k.startswith("val_")] or list(logs)
    elif isinstance(metrics, str):
        keys = [metrics]
    elif isinstance(metrics, (list, tuple)) and metrics and all(isinstance(m, str) for m in metrics):
        keys = list(metrics)
    else:
        raise TypeError(f"metrics must be a key such as 'loss' or a non-empty list of keys, got {metrics!r}")
    missing = [k for k in keys if k not in logs]
    if missing:
        raise ValueError(f"metrics {missing} are not in the history; it has {list(logs)}")
    return keys


def _pyplot() -> Any:
    """matplotlib.pyplot, imported on first use; the Agg backend when there is no display to draw on."""
    try:
        import matplotlib
    except ImportError as e:
        raise ImportError('plotting needs matplotlib, an optional dependency of pyminidl: '
                          'pip install "pyminidl[plot]"') from e
    headless = sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                         or os.environ.get("WAYLAND_DISPLAY"))
    if headless and "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


__all__ = _api.public(globals())
__dir__ = _api.dir_function(__all__)
