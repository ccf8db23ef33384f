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


def test_progbar_redraws_in_a_jupyter_kernel_and_not_in_a_file(monkeypatch):
    """In Jupyter the running bar is redrawn with '\\r' (the front end overwrites the line), then the final
    line replaces it: one line per epoch, as Keras shows there. A plain file gets only the final line."""
    from pyminidl.callbacks import ProgbarLogger

    monkeypatch.delenv("PYCHARM_HOSTED", raising=False)
    for stream, redrawn in ((kernel_stream(), True), (io.StringIO(), False)):
        bar = ProgbarLogger()  # Keras' signature: the verbosity comes from fit's params
        bar.stream = stream
        bar.set_params({"epochs": 1, "steps": 4, "verbose": 1})
        bar.on_epoch_begin(0)
        bar.update(2, {"loss": 0.5})
        bar.on_epoch_end(0, {"loss": 0.25})
        text = stream.getvalue()
        assert text.startswith("\r2/4 [==============>...............] - ETA: ") == redrawn, text
        final = text.rsplit("\r", 1)[-1]
        assert final.startswith("4/4 [==============================] - ") and final.endswith("loss: 0.2500\n"), final
