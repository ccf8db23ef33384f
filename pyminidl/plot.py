"""Training curves from a History. matplotlib is optional: `pip install "pyminidl[plot]"`."""

import numbers
import os
import sys


def plot_history(history, metrics=None, path=None, title=None):
    """Loss and metric curves of a fit, one subplot per metric, with the val_ curve when there is one.

    history: the History that fit returns (or its .history dict). metrics: a key or a list of keys
    (default: every key without the 'val_' prefix, in log order). path: save the figure there (PNG, SVG, ...,
    from the extension). Returns the matplotlib Figure.
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


def _logs_and_epochs(history):
    """The {key: [values]} dict and the 1-based epoch numbers of the x axis."""
    logs = getattr(history, "history", history)
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


def _metric_keys(logs, metrics):
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


def _pyplot():
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
