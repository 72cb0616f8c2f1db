import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

TESTS_DIR = Path(__file__).resolve().parent
SMALL_MNIST = TESTS_DIR / "data" / "mnist_small.npz"


@pytest.fixture
def small_mnist_path():
    return SMALL_MNIST


@pytest.fixture
def isolated_outputs(tmp_path, monkeypatch):
    """Every output of the package goes to tmp_path; data is the small shipped subset."""
    monkeypatch.setenv("MNIST_COMPARE_OUTPUT", str(tmp_path))
    monkeypatch.setenv("MNIST_NPZ", str(SMALL_MNIST))
    monkeypatch.setenv("MNIST_COMPARE_FAST", "1")
    monkeypatch.delenv("MNIST_COMPARE_SEEDS", raising=False)
    return tmp_path


@pytest.fixture
def write_npz(tmp_path):
    def write(name="bad.npz", **arrays):
        path = tmp_path / name
        np.savez(path, **arrays)
        return path

    return write
