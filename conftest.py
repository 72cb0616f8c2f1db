"""Pytest setup shared by the unit tests (tests/) and the notebook tests (notebooks/, nbval).

Notebook kernels inherit this process's environment when they start, so before the
first cell of a notebook runs, fast mode and headless mode are switched on and every
output goes to a temporary folder: the notebook tests never touch the committed
results, figures or notebooks.
"""

import os
import tempfile

import pytest

_NOTEBOOK_OUTPUT = None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    global _NOTEBOOK_OUTPUT
    if item.path.suffix != ".ipynb":
        return
    if _NOTEBOOK_OUTPUT is None:
        _NOTEBOOK_OUTPUT = tempfile.mkdtemp(prefix="mnist-compare-notebooks-")
    os.environ["MNIST_COMPARE_OUTPUT"] = _NOTEBOOK_OUTPUT
    os.environ["MNIST_COMPARE_FAST"] = "1"
    os.environ["MNIST_COMPARE_HEADLESS"] = "1"
    os.environ.pop("MNIST_COMPARE_SEEDS", None)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
