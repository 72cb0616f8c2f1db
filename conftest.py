"""Pytest setup shared by the unit tests (tests/) and the notebook tests (notebooks/, nbval).

Notebook kernels inherit this process's environment when they start, so before the first cell of
a notebook runs, the mode is set and every output goes to a temporary folder: the notebook tests
never touch the committed results, figures or notebooks.

nbval runs the notebooks in full mode, as a reader runs them: the temporary folder starts with a
copy of the committed ``reports/results.json`` and the shipped ``models/``, and the kernels run
read-only (as under ``report``), so nothing is trained and a notebook that would train fails
instead. Full mode needs the full MNIST (``MNIST_NPZ``, or Keras's download).
``MNIST_COMPARE_NBVAL_MODE=fast`` runs them in fast mode instead (a small subset, one epoch,
trained once for all notebooks). Fast mode is also covered on every run by the fast report export
(``tests/test_report.py``), which executes every notebook in fast mode.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
_NOTEBOOK_OUTPUT = None


def _notebook_output(fast: bool) -> str:
    folder = Path(tempfile.mkdtemp(prefix="mnist-compare-notebooks-"))
    if not fast:
        (folder / "reports").mkdir()
        shutil.copy2(ROOT / "reports" / "results.json", folder / "reports" / "results.json")
        shutil.copytree(ROOT / "models", folder / "models")
    return str(folder)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    global _NOTEBOOK_OUTPUT
    if item.path.suffix != ".ipynb":
        return
    fast = os.environ.get("MNIST_COMPARE_NBVAL_MODE", "full").strip().lower() == "fast"
    if _NOTEBOOK_OUTPUT is None:
        _NOTEBOOK_OUTPUT = _notebook_output(fast)
    os.environ["MNIST_COMPARE_OUTPUT"] = _NOTEBOOK_OUTPUT
    os.environ["MNIST_COMPARE_FAST"] = "1" if fast else "0"
    os.environ["MNIST_COMPARE_HEADLESS"] = "1"
    os.environ["MNIST_COMPARE_READ_ONLY"] = "0" if fast else "1"
    os.environ.pop("MNIST_COMPARE_SEEDS", None)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def pytest_sessionfinish(session, exitstatus):
    """The notebooks' temporary output folder goes when the session ends (it holds a copy of the models)."""
    if _NOTEBOOK_OUTPUT is not None:
        shutil.rmtree(_NOTEBOOK_OUTPUT, ignore_errors=True)


def pytest_collection_modifyitems(items):
    """A notebook run (nbval) is a slow test: ``make test-quick`` leaves it out."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)
