"""progress.supports_redraw: where Keras' bar is redrawn in place (terminals and Jupyter kernels)."""

import io

from pyminidl import progress


class Tty(io.StringIO):
    def isatty(self):
        return True


def kernel_stream():
    """A stream of the class ipykernel installs as sys.stdout (identified by its module, as in the library)."""
    cls = type("OutStream", (io.StringIO,), {"__module__": "ipykernel.iostream"})
    return cls()


def test_terminal_and_jupyter_redraw_files_do_not(monkeypatch):
    monkeypatch.delenv("PYCHARM_HOSTED", raising=False)
    assert progress.supports_redraw(Tty())
    assert progress.supports_redraw(kernel_stream())
    assert not progress.supports_redraw(io.StringIO())
    closed = Tty()
    closed.close()
    assert not progress.supports_redraw(closed)
