"""Shared plumbing of the examples: where figures go, and the training-curve plot.

Every example runs headless (matplotlib's Agg backend) and saves its figures as PNG files into
examples/figures/ by default. Choose another folder with `--out DIR` on the command line or with the
environment variable PYMINIDL_EXAMPLES_OUT.

The training curves come from `pyminidl.plot.plot_history` when pyminidl ships it; otherwise a small
matplotlib version with the same call shape is used.
"""

import argparse
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: no window, just files

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parent / "figures"
OUT_ENV = "PYMINIDL_EXAMPLES_OUT"


def parse_args(description, argv=None):
    """Command line of every example: `--out DIR` (default: $PYMINIDL_EXAMPLES_OUT or examples/figures)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", default=os.environ.get(OUT_ENV) or str(DEFAULT_OUT),
                        help=f"folder for the figures (default: ${OUT_ENV} or {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    args.out = Path(args.out)
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def _plot_history_matplotlib(history, metrics=None, path=None, title=None):
    logs = getattr(history, "history", history)
    if metrics is None:
        metrics = [k for k in logs if not k.startswith("val_")]
    elif isinstance(metrics, str):
        metrics = [metrics]
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.8), squeeze=False)
    for ax, key in zip(axes[0], metrics):
        epochs = range(1, len(logs[key]) + 1)
        ax.plot(epochs, logs[key], label=f"training {key}")
        if "val_" + key in logs:
            ax.plot(epochs, logs["val_" + key], label=f"validation {key}")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(key)
        ax.set_title(key)
        ax.grid(True, alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


def plot_history(history, metrics=None, path=None, title=None):
    """Training curves of a History (one panel per metric, with its val_ curve); saved to `path` if given."""
    try:
        from pyminidl.plot import plot_history as library_plot
    except ImportError:
        library_plot = _plot_history_matplotlib
    return library_plot(history, metrics=metrics, path=path, title=title)


def save(fig, path):
    """Save a figure as PNG, close it, print where it went, and return the path."""
    path = Path(path)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"Saved figure: {path}")
    return path


def history_figure(history, path, metrics=None, title=None):
    """plot_history + save: the one-liner the examples use for their training curves."""
    return save(plot_history(history, metrics=metrics, title=title), path)
