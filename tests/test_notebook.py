"""examples/first_models.ipynb executed on a real Jupyter kernel (ipykernel, through nbclient), outputs checked."""

import os
import re
from pathlib import Path

import pytest

if os.environ.get("PYMINIDL_SANITIZED"):  # tools/sanitize.sh: test_wrappers runs the same C++ under ASan; the
    pytest.skip("worker and kernel processes add only start-up time there", allow_module_level=True)

if os.environ.get("CI"):  # CI installs nbclient and ipykernel: there a missing one is a failure, not a skip
    import ipykernel  # noqa: F401
    import nbclient  # noqa: F401
nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "first_models.ipynb"


@pytest.fixture(scope="module")
def cells():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    env_backend = os.environ.pop("MPLBACKEND", None)  # the kernel picks Jupyter's inline backend itself
    try:
        nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    finally:
        if env_backend is not None:
            os.environ["MPLBACKEND"] = env_backend
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def text(cell):
    """The cell's printed text as the notebook shows it: each '\\r' overwrites its line, as the front ends do."""
    raw = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    return "\n".join(line.rsplit("\r", 1)[-1] for line in raw.split("\n"))


def test_no_cell_fails_or_warns(cells):
    for cell in cells:
        kinds = [o.output_type for o in cell.outputs]
        assert "error" not in kinds, cell.source
        assert not any(o.get("name") == "stderr" for o in cell.outputs), (cell.source, cell.outputs)


def test_summary_tables_and_results(cells):
    regression, xor, iris = cells[1].source, cells[3], cells[4]
    assert "Dense(1" in regression
    for cell, params in ((cells[1], 3), (xor, 9), (iris, 2371)):
        shown = text(cell)
        assert 'Model: "sequential' in shown and f"Total params: {params:,}" in shown, shown
    assert "XOR predictions: [0. 1. 1. 0.]" in text(xor)
    accuracy = re.search(r"^Test accuracy: (\d\.\d{4})$", text(cells[5]), flags=re.M)
    assert accuracy and float(accuracy.group(1)) >= 0.9


def test_progress_bar_shows_one_line_per_epoch(cells):
    shown = text(cells[4]).splitlines()
    epochs = [line for line in shown if re.fullmatch(r"Epoch \d+/100", line)]
    bars = [line for line in shown if re.match(r"\d+/4 \[=+\] - \d+s \d+[mu]?s/step - loss: [\d.e-]+ - "
                                               r"accuracy: [\d.]+ *$", line)]
    assert len(epochs) == 100 and len(bars) == 100, shown[:6]


def test_plot_history_renders_inline(cells):
    for cell in (cells[2], cells[5]):
        images = [o for o in cell.outputs if o.output_type == "display_data" and "image/png" in o.get("data", {})]
        assert len(images) == 1, [o.output_type for o in cell.outputs]  # the ';' keeps the Figure repr away
