"""Keras 2 (TF 2.2-2.15) console lines: the '[=====]' bar of verbose=1 and the one-liner of verbose=2."""

import os
import sys
from typing import IO, Mapping, Optional

BAR_WIDTH = 30


def format_value(value: float) -> str:
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


def format_time_per_unit(seconds: float, unit: str) -> str:
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit}"
    return f"{seconds * 1e6:.0f}us/{unit}"


def format_eta(seconds: float) -> str:
    if seconds > 3600:
        return f"{seconds // 3600:.0f}:{(seconds % 3600) // 60:02.0f}:{seconds % 60:02.0f}"
    if seconds > 60:
        return f"{seconds // 60:.0f}:{seconds % 60:02.0f}"
    return f"{seconds:.0f}s"


def bar_line(current: int, total: int, elapsed: float, logs: Mapping[str, float]) -> str:
    """`3/3 [==============================] - 0s 2ms/step - loss: 0.6931 - accuracy: 0.5000`; while the epoch
    runs (current < total): `1/3 [=========>....................] - ETA: 2s - loss: 0.6931`."""
    digits = len(str(total))
    filled = int(BAR_WIDTH * current / total)
    bar = "=" * max(filled - 1, 0) + ((">" if current < total else "=") if filled > 0 else "")
    bar += "." * (BAR_WIDTH - filled)
    if current < total:
        timing = f"ETA: {format_eta(elapsed / max(current, 1) * (total - current))}"
    else:
        timing = f"{elapsed:.0f}s {format_time_per_unit(elapsed / max(current, 1), 'step')}"
    text = f"{current:>{digits}}/{total} [{bar}] - {timing}"
    return text + "".join(f" - {k}: {format_value(v)}" for k, v in logs.items())


def epoch_line(steps: int, elapsed: float, logs: Mapping[str, float]) -> str:
    """`3/3 - 0s - loss: 0.6931 - accuracy: 0.5000 - 153ms/epoch - 51ms/step` (verbose=2)."""
    text = f"{steps}/{steps} - {elapsed:.0f}s"
    text += "".join(f" - {k}: {v:.4f}" if v > 1e-3 else f" - {k}: {v:.4e}" for k, v in logs.items())
    return text + f" - {format_time_per_unit(elapsed, 'epoch')} - {format_time_per_unit(elapsed / steps, 'step')}"


def write_line(text: str, stream: Optional[IO[str]] = None, redraw_width: int = 0) -> None:
    """Print a line; redraw_width > 0 first overwrites a live line of that width (the terminal's '\\r')."""
    stream = stream or sys.stdout
    if redraw_width:
        text = "\r" + text.ljust(redraw_width)
    stream.write(text + "\n")
    stream.flush()


def redraw(text: str, stream: Optional[IO[str]] = None) -> int:
    """Replace the live line with `text`, without ending it; returns its width."""
    stream = stream or sys.stdout
    stream.write("\r" + text)
    stream.flush()
    return len(text)


def supports_redraw(stream: Optional[IO[str]] = None) -> bool:
    """True where a bar can be redrawn in place with '\\r': a terminal, or a Jupyter kernel's output (the
    notebook front ends overwrite the line on '\\r', so a notebook shows one line per epoch, as Keras does)."""
    stream = stream or sys.stdout
    if getattr(stream, "closed", False):
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        if isatty is not None and isatty():
            return True
    except ValueError:  # a closed stream
        return False
    return type(stream).__module__.startswith("ipykernel") or "PYCHARM_HOSTED" in os.environ
