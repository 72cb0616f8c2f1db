import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from filelock import FileLock

from mnist_compare import browser

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Under pytest-xdist (make test runs two workers) each worker's demos look for a free port in a range of
# their own (Gradio searches 100 ports from GRADIO_SERVER_PORT), so no two workers race for one port.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _WORKER.startswith("gw") and _WORKER[2:].isdigit():
    os.environ.setdefault("GRADIO_SERVER_PORT", str(7860 + 100 * int(_WORKER[2:])))

TESTS_DIR = Path(__file__).resolve().parent
SMALL_MNIST = TESTS_DIR / "data" / "mnist_small.npz"
#: A line of TensorFlow's C++ logging (absl's format, or TensorFlow's own with a date), or its CUDA probing
#: on a CPU: none may reach a reader (notebook outputs, the demo's log).
CPP_LOG = re.compile(
    r"^[EWIF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ \S+\.(cc|h):\d+\]|"
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [EWIF] \S+\.(cc|h):\d+\]|"
    r"cuda_platform|cuInit|absl::InitializeLog",
    re.M,
)


@pytest.fixture
def small_mnist_path():
    return SMALL_MNIST


def fast_env(output: Path) -> dict:
    """The environment of a fast run on the shipped small MNIST that writes into ``output``."""
    env = dict(os.environ)
    env.update(
        {
            "MNIST_COMPARE_OUTPUT": str(output),
            "MNIST_NPZ": str(SMALL_MNIST),
            "MNIST_COMPARE_FAST": "1",
            "TF_CPP_MIN_LOG_LEVEL": "3",
        }
    )
    env.pop("MNIST_COMPARE_SEEDS", None)
    return env


@pytest.fixture(scope="session")
def fast_template(tmp_path_factory, worker_id) -> Path:
    """One finished fast run (both models, research, figures) made once per test session, however many
    pytest-xdist workers need it: the first to ask makes it under a file lock, the others wait and reuse it.
    Tests copy it before they change anything."""
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent  # shared by the workers
    folder = root / "fast-template"
    with FileLock(str(root / "fast-template.lock")):
        if not (folder / "reports" / "results.json").is_file():
            done = subprocess.run(
                [sys.executable, "-m", "mnist_compare", "run", "--fast", "--no-progress", "--no-readme"],
                cwd=TESTS_DIR.parent,
                env=fast_env(folder),
                capture_output=True,
                text=True,
                timeout=1200,
            )
            assert done.returncode == 0, done.stderr
    return folder


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


@pytest.fixture(scope="module")
def own_gradio_cache(tmp_path_factory):
    """A test module's demos keep their files in a folder of their own: Gradio's default cache (/tmp/gradio)
    is shared by every demo on the machine, whose identical answers have identical file names there, and
    a demo closing elsewhere deletes them (a 403 on download here, seen with demos running side by side)."""
    previous = os.environ.get("GRADIO_TEMP_DIR")
    os.environ["GRADIO_TEMP_DIR"] = str(tmp_path_factory.mktemp("gradio_cache"))
    yield
    if previous is None:
        os.environ.pop("GRADIO_TEMP_DIR", None)
    else:
        os.environ["GRADIO_TEMP_DIR"] = previous


needs_browser = pytest.mark.skipif(
    not browser.chromium_path() and not os.environ.get("REQUIRE_BROWSER_TEST"),
    reason="Debian chromium is not installed (.ci/run installs it and requires this test)",
)


@pytest.fixture(scope="module")
def chromium():
    """One headless Chromium for every browser test of a module (each visitor gets its own context)."""
    with browser.Chromium() as running:
        yield running


class CountingRead:
    """``demo.read_drawing`` that counts its calls: ``calls`` the readings that answer (one per change of a
    drawing), ``pictures`` those that draw the pictures after them."""

    def __init__(self):
        import threading

        self.calls = 0
        self.pictures = 0
        self.lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        from mnist_compare import demo

        with self.lock:
            if kwargs.get("explain"):
                self.pictures += 1
            else:
                self.calls += 1
        return demo.read_drawing(*args, **kwargs)


def wait_for_http(
    process, url: str, log: Path, timeout: float, *, what: str, interval: float = 0.25
) -> float:
    """Wait until ``url`` answers HTTP 200 while ``process`` (writing to ``log``) runs; returns the seconds
    waited. Fails the test with the end of the log when the process exits or ``timeout`` passes first."""
    import time
    import urllib.request

    started = time.perf_counter()
    while True:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except OSError:
            pass
        if time.perf_counter() - started > timeout:
            pytest.fail(f"{what} did not answer {url} within {timeout:.0f} s:\n{log.read_text()[-3000:]}")
        time.sleep(interval)


def fast_research_sections(root: Path, names, prepare=None):
    """The fast-mode grid on the shipped MNIST subset in ``root``, then the research sections ``names``
    computed
    in order (``prepare(ctx, splits, paths)`` may first make what they read and return the research so far):
    ``(results with those sections, paths, splits)``."""
    from mnist_compare import config, data, experiments, sections

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(config.ENV_OUTPUT, str(root))
        patch.setenv(config.ENV_FAST, "1")
        patch.delenv(config.ENV_SEEDS, raising=False)
        results = experiments.run_grid(
            fast=True, research=False, data_path=SMALL_MNIST, show_progress=False, log=lambda *_: None
        )
        paths = config.output_paths(True)
        splits = data.prepare_splits(SMALL_MNIST, fast=True)
        ctx = sections.base.Context(results, splits, paths, False, lambda *_: None)
        out = prepare(ctx, splits, paths) if prepare else {}
        for name in names:
            section = sections.by_key()[name]
            out[name] = section.compute(ctx, out)
    results["research"] = out
    return results, paths, splits
