import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

TESTS_DIR = Path(__file__).resolve().parent
SMALL_MNIST = TESTS_DIR / "data" / "mnist_small.npz"
#: A line of TensorFlow's C++ logging (absl's format, or TensorFlow's own with a date), or its CUDA probing
#: on a CPU: none may reach a reader (notebook outputs, the demo's log).
CPP_LOG = re.compile(r"^[EWIF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ \S+\.(cc|h):\d+\]|"
                     r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [EWIF] \S+\.(cc|h):\d+\]|"
                     r"cuda_platform|cuInit|absl::InitializeLog", re.M)


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


def git(*args, cwd: Path) -> str:
    """The output of a git command run in ``cwd`` (raises when it fails)."""
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


#: Colab's ``google.colab`` module, as far as the notebooks can tell: present.
COLAB_STANDIN = '"""Stand-in for Colab\'s google.colab module (only its presence matters here)."""\n'


@pytest.fixture(scope="module")
def standin(tmp_path_factory) -> Path:
    """A folder for PYTHONPATH with ``google/colab/__init__.py`` (``google`` stays a namespace package,
    so protobuf's ``google.protobuf`` still imports)."""
    folder = tmp_path_factory.mktemp("standin")
    (folder / "google" / "colab").mkdir(parents=True)
    (folder / "google" / "colab" / "__init__.py").write_text(COLAB_STANDIN)
    return folder
