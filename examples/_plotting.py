"""Shared plumbing of the examples: where figures go, and saving them.

Every example runs headless (matplotlib's Agg backend) and saves its figures as PNG files into
examples/figures/ by default. Choose another folder with `--out DIR` on the command line or with the
environment variable PYMINIDL_EXAMPLES_OUT. matplotlib is imported only when the first figure is drawn,
so the training output appears before its (slow) import.
"""

import argparse
import os
from pathlib import Path

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


def pyplot():
    """matplotlib.pyplot with the headless Agg backend, imported on first use."""
    import matplotlib

    matplotlib.use("Agg")  # headless: no window, just files
    import matplotlib.pyplot as plt

    return plt


def save(fig, path):
    """Save a figure as PNG, close it, print where it went, and return the path."""
    path = Path(path)
    fig.savefig(path, dpi=100)
    pyplot().close(fig)
    print(f"Saved figure: {path}")
    return path


def history_figure(history, path, metrics=None, title=None):
    """Training curves (pyminidl.plot.plot_history), saved to `path`."""
    pyplot()  # selects Agg before pyminidl.plot draws
    from pyminidl.plot import plot_history

    return save(plot_history(history, metrics=metrics, title=title), path)
