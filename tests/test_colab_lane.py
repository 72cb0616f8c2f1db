"""The Colab lane: the notebooks and the demo in Google Colab's preinstalled versions.

``make colab-env`` builds ``.venv-colab`` with Colab's Python (3.13) and the versions pinned in
``ci/colab-constraints.txt`` (Colab's published pip freeze); ``make test-colab`` runs this file from
the main environment's pytest. Code under test runs in ``.venv-colab``:

- every notebook, top to bottom, the way a student runs it in Colab: in a kernel started from
  ``.venv-colab``'s python, a stand-in ``google.colab`` module, a git repository made from this
  working tree standing in for GitHub, the notebook alone in a fresh empty folder (Colab's
  ``/content``), full mode (no ``MNIST_COMPARE_FAST``), no ``TF_CPP_MIN_LOG_LEVEL`` and no
  ``MNIST_COMPARE_HEADLESS``: notebook 05 starts the live demo server in the kernel, as in Colab,
  and a cell added at its end opens it (the server stops with the kernel). Nothing trains: the
  clone holds the shipped seed-0 models and ``reports/results.json``, and a test checks that they
  are untouched afterwards. ``MNIST_NPZ`` stands in for Keras's download of MNIST;
- the drawing demo (``python -m mnist_compare demo``) read through its ``/predict`` API and drawn
  in Chromium;
- notebook 01 with no data file and no network: one short message, no traceback.

Each notebook's result and wall time, the demo's readings and the lane's time are written to
``build/colab-lane/summary.json`` and printed at the end (with or without ``-s``).

The tests skip when ``.venv-colab`` is missing (or, for the notebooks, ``MNIST_NPZ`` is unset),
and fail instead when ``REQUIRE_COLAB_LANE=1``. ``COLAB_LANE_WORKERS`` (default 2) sets how many
notebooks run at once.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from mnist_compare import browser, colab, config, registry
from tests.conftest import CPP_LOG, git, wait_for_http

pytestmark = pytest.mark.colab

NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
COLAB_VENV = config.PROJECT_ROOT / ".venv-colab"
COLAB_PYTHON = COLAB_VENV / "bin" / "python"
CONSTRAINTS = config.PROJECT_ROOT / "ci" / "colab-constraints.txt"
SUMMARY = config.PROJECT_ROOT / "build" / "colab-lane" / "summary.json"
REQUIRED = bool(os.environ.get("REQUIRE_COLAB_LANE"))
WORKERS = max(1, int(os.environ.get("COLAB_LANE_WORKERS", "2")))
CELL_TIMEOUT = 1800
KERNEL_NAME = "colab-lane"

#: What Colab's kernel has done before the first cell runs; the print says which Python runs the kernel.
COLAB_KERNEL_START = (
    "import google.colab  # imported by Colab's kernel before any cell runs\n"
    "import sys\nprint('colab-lane kernel:', sys.executable, sys.version.split()[0])"
)
#: Added at the end of notebook 05: what a student does next, opening the live demo.
OPEN_LIVE_DEMO = (
    "import urllib.request\n"
    "with urllib.request.urlopen(app.local_url, timeout=30) as response:\n"
    "    print(f'colab-lane: the live demo answered HTTP {response.status}')"
)

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: Environment variables of this process that a Colab kernel does not have.
NOT_IN_COLAB = {
    "PYTHONPATH",
    "PYTHONHOME",
    "VIRTUAL_ENV",
    "TF_CPP_MIN_LOG_LEVEL",
    "MPLBACKEND",
    "MNIST_NPZ",
    "KERAS_HOME",
    "JUPYTER_PATH",
    "JUPYTER_CONFIG_DIR",
    "IPYTHONDIR",
    "PYTEST_CURRENT_TEST",
}

_SUMMARY: dict = {"notebooks": {}}
_STARTED = time.perf_counter()


def _missing(what: str):
    """Skip with ``what`` as the reason, or fail when the lane is required."""
    if REQUIRED:
        pytest.fail(f"REQUIRE_COLAB_LANE=1 but {what}")
    pytest.skip(what)


def _need_colab_env():
    if not COLAB_PYTHON.is_file():
        _missing(f"{COLAB_VENV.name} is missing: build it with `make colab-env`")


def _need_mnist():
    if not os.environ.get("MNIST_NPZ") or not Path(os.environ["MNIST_NPZ"]).is_file():
        _missing("MNIST_NPZ does not name the full MNIST file (mnist.npz) the notebooks run on")


def _text(output) -> str:
    """What a student reads of one output: stream text, an error's traceback, a display's text."""
    if output["output_type"] == "stream":
        return output["text"]
    if output["output_type"] == "error":  # Jupyter and Colab show the traceback field (IPython's rendering)
        return ANSI.sub("", "\n".join(output["traceback"]))
    data = output.get("data", {})
    return "\n".join(str(data[kind]) for kind in ("text/plain", "text/markdown") if kind in data)


def _cell_text(cell) -> str:
    """A cell's outputs as a reader sees them: consecutive chunks of one stream run together (the kernel
    may send one printed line in several chunks, and Jupyter shows them as one text)."""
    parts, previous = [], None
    for output in cell.get("outputs", []):
        stream = output.get("name") if output["output_type"] == "stream" else None
        if stream and stream == previous:
            parts[-1] += _text(output)
        else:
            parts.append(_text(output))
        previous = stream
    return "\n".join(parts)


def _problems(nb) -> list[str]:
    """Lines of any output that hold a traceback or TensorFlow's C++ logging."""
    found = []
    for index, cell in enumerate(nb.cells):
        for line in _cell_text(cell).splitlines():
            if "Traceback" in line or CPP_LOG.search(line):
                found.append(f"cell {index}: {line.strip()[:200]}")
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def lane_summary(request):
    """Collects the lane's results; at the end writes ``build/colab-lane/summary.json`` and prints it."""
    yield _SUMMARY
    _SUMMARY["python"] = _SUMMARY.get("python") or _colab_python_version()
    _SUMMARY["lane_seconds"] = round(time.perf_counter() - _STARTED, 1)
    _write_summary()
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
        print("\n" + "\n".join(_summary_lines()), flush=True)


def _colab_python_version() -> str | None:
    if not COLAB_PYTHON.is_file():
        return None
    return (
        subprocess.run(
            [str(COLAB_PYTHON), "-c", "import sys; print(sys.version.split()[0])"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        or None
    )


def _write_summary():
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY.write_text(json.dumps(_SUMMARY, indent=1) + "\n")


def _summary_lines() -> list[str]:
    lines = [
        f"Colab lane (Python {_SUMMARY.get('python')}, {_SUMMARY.get('workers', '-')} notebook(s) at once; "
        f"{SUMMARY.relative_to(config.PROJECT_ROOT)}):"
    ]
    for name, record in _SUMMARY["notebooks"].items():
        lines.append(
            f"  {name:42} {record['result']:7} {record['seconds']:7.1f} s"
            + (f"  {record['error']}" if record.get("error") else "")
        )
    if "notebooks_wall_seconds" in _SUMMARY:
        lines.append(f"  notebooks' wall time: {_SUMMARY['notebooks_wall_seconds']:.1f} s")
    if "demo" in _SUMMARY:
        lines.append(f"  demo: {json.dumps(_SUMMARY['demo'])}")
    if "offline" in _SUMMARY:
        lines.append(f"  notebook 01 offline: {json.dumps(_SUMMARY['offline'])}")
    if "lane_seconds" in _SUMMARY:
        lines.append(f"  lane total: {_SUMMARY['lane_seconds']:.1f} s")
    return lines


@pytest.fixture(scope="module")
def origin(tmp_path_factory) -> Path:
    """A git repository holding this working tree's files (committed or not, never ignored ones)."""
    root = tmp_path_factory.mktemp("github") / "mnist-compare"
    listed = git("ls-files", "--cached", "--others", "--exclude-standard", "-z", cwd=config.PROJECT_ROOT)
    for name in filter(None, listed.split("\0")):
        source = config.PROJECT_ROOT / name
        if source.is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    git("init", "--quiet", "--initial-branch=main", cwd=root)
    git("add", "--all", cwd=root)
    git(
        "-c", "user.name=ci", "-c", "user.email=ci@localhost", "commit", "--quiet", "-m", "snapshot", cwd=root
    )
    return root


@pytest.fixture(scope="module")
def kernel_manager_class(tmp_path_factory):
    """A kernel manager that knows one kernel, ``.venv-colab``'s python; nothing is registered globally."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    _need_colab_env()
    kernels = tmp_path_factory.mktemp("kernels")
    (kernels / KERNEL_NAME).mkdir()
    (kernels / KERNEL_NAME / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [str(COLAB_PYTHON), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (Colab's versions)",
                "language": "python",
            }
        )
    )

    class ColabKernelManager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _colab_kernel_specs(self):
            return KernelSpecManager(kernel_dirs=[str(kernels)])

    return ColabKernelManager


def _colab_environment(standin: Path, repository: Path, home: Path, **extra) -> dict:
    """A Colab runtime's environment: its python first on PATH, a fresh home, the stand-in module, and
    no setting of this test run (fast or headless mode, TensorFlow's log level, a data file). pip
    can install nothing (no index, no config), so the Setup cell's ``pip install -r requirements.txt``
    passes only if Colab's versions already satisfy it, as the README promises."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MNIST_COMPARE_", "PIP_")) and key not in NOT_IN_COLAB
    }
    env.update(
        {
            "PATH": f"{COLAB_VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            "HOME": str(home),
            "PYTHONPATH": str(standin),
            "MNIST_COMPARE_REPOSITORY": str(repository),
            "PIP_NO_INDEX": "1",
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        }
    )
    env.update(extra)
    return env


def _execute(path: Path, folder: Path, env: dict, manager) -> dict:
    """Run one notebook alone in ``folder`` (Colab's ``/content``) in a Colab kernel."""
    folder.mkdir(parents=True)
    shutil.copy2(path, folder / path.name)  # what Colab opens: the notebook, nothing beside it
    nb = nbformat.read(folder / path.name, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(COLAB_KERNEL_START))
    if path.name.startswith("05_"):
        nb.cells.append(nbformat.v4.new_code_cell(OPEN_LIVE_DEMO))
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name=KERNEL_NAME,
        kernel_manager_class=manager,
        resources={"metadata": {"path": str(folder)}},
    )
    started = time.perf_counter()
    error = None
    try:
        client.execute(env=env)
    except CellExecutionError as failure:
        error = f"{failure.ename}: {failure.evalue}"[:300]
    except Exception as failure:  # a dead kernel, a timeout
        error = f"{type(failure).__name__}: {str(failure).strip()[:300]}"
    seconds = time.perf_counter() - started
    nbformat.write(nb, folder / f"executed_{path.name}")
    return {"nb": nb, "folder": folder, "error": error, "seconds": seconds}


@pytest.fixture(scope="module")
def notebook_runs(request, origin, standin, kernel_manager_class, tmp_path_factory, lane_summary) -> dict:
    """Run the selected notebooks, ``COLAB_LANE_WORKERS`` at a time; one record per notebook."""
    _need_mnist()
    selected = {
        item.callspec.params["path"].name
        for item in request.session.items
        if getattr(item, "originalname", "") == "test_notebook_in_colab_versions"
        and hasattr(item, "callspec")
    }
    paths = [path for path in NOTEBOOKS if path.name in selected]
    home = tmp_path_factory.mktemp(
        "root"
    )  # one runtime's home, shared (matplotlib's font cache is built once)
    env = _colab_environment(standin, origin, home, MNIST_NPZ=str(Path(os.environ["MNIST_NPZ"]).resolve()))
    top = tmp_path_factory.mktemp("notebooks")
    lane_summary["workers"] = WORKERS
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = {
            path.stem: pool.submit(_execute, path, top / path.stem / "content", env, kernel_manager_class)
            for path in paths
        }
        runs = {name: future.result() for name, future in futures.items()}
    lane_summary["notebooks_wall_seconds"] = round(time.perf_counter() - started, 1)
    for name, run in runs.items():
        run["problems"] = _problems(run["nb"])
        lane_summary["notebooks"][name] = {
            "result": "error" if run["error"] else ("noisy" if run["problems"] else "ok"),
            "seconds": round(run["seconds"], 1),
            "error": run["error"],
            "problems": run["problems"][:10],
        }
    _write_summary()
    return runs


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_in_colab_versions(path, notebook_runs, origin):
    run = notebook_runs[path.stem]
    nb, content = run["nb"], run["folder"]
    kernel = _cell_text(nb.cells[0])
    assert f"colab-lane kernel: {COLAB_PYTHON}" in kernel, f"the kernel is .venv-colab's python: {kernel}"
    setup = next(cell for cell in nb.cells if cell.source.startswith(colab.SETUP_MARKER))
    assert "Setup stopped" not in _cell_text(setup), _cell_text(setup)
    assert run["error"] is None, f"{path.name} stopped: {run['error']} (see {content})"
    assert run["problems"] == [], "outputs with a traceback or TensorFlow's C++ logging:\n" + "\n".join(
        run["problems"][:20]
    )
    clone = content / colab.CLONE_FOLDER
    assert git("rev-parse", "HEAD", cwd=clone) == git("rev-parse", "HEAD", cwd=origin), (
        "the Setup cell cloned"
    )
    assert not (content / "mnist_compare").exists()
    trained = git(
        "status", "--porcelain", "--untracked-files=all", "--", "models", "reports/results.json", cwd=clone
    )
    assert trained == "", f"nothing trains with the shipped models and results.json:\n{trained}"
    assert "training it now" not in "\n".join(_cell_text(cell) for cell in nb.cells)
    if path.name.startswith("05_"):
        assert "colab-lane: the live demo answered HTTP 200" in _cell_text(nb.cells[-1]), _cell_text(
            nb.cells[-1]
        )


def test_colab_env_has_colab_versions(lane_summary):
    """``.venv-colab`` holds the pinned versions (pip may not resolve a pin away silently)."""
    _need_colab_env()
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", CONSTRAINTS.read_text(), re.M))
    probe = (
        "import importlib.metadata as m, json, sys\n"
        "names = json.loads(sys.argv[1])\n"
        "found = {}\n"
        "for name in names:\n"
        "    try:\n"
        "        found[name] = m.version(name)\n"
        "    except m.PackageNotFoundError:\n"
        "        found[name] = None\n"
        "print(json.dumps({'python': sys.version.split()[0], 'versions': found}))"
    )
    answer = json.loads(
        subprocess.run(
            [str(COLAB_PYTHON), "-c", probe, json.dumps(sorted(pins))],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    lane_summary["python"] = answer["python"]
    installed = {name: version for name, version in answer["versions"].items() if version is not None}
    wrong = {name: (installed[name], pins[name]) for name in installed if installed[name] != pins[name]}
    assert wrong == {}, f"installed vs pinned: {wrong}"
    for name in (
        "tensorflow",
        "keras",
        "numpy",
        "gradio",
        "ipykernel",
        "ipython",
        "ipywidgets",
        "jupyter_client",
    ):
        assert name in installed, f"{name} is not installed in {COLAB_VENV.name}"
    if not answer["python"].startswith("3.13."):
        print(f"note: {COLAB_VENV.name} runs Python {answer['python']}, Colab runs 3.13")


# ---------------------------------------------------------------- the demo


#: Drawn digits the demo reads through its API, and the ones drawn in Chromium (with Clear between).
API_DIGITS = [(digit, browser.DIGIT_STYLES[digit][0]) for digit in range(10)]
BROWSER_DIGITS = [(digit, browser.DIGIT_STYLES[digit][0]) for digit in (3, 7, 0, 4, 1, 8)]


def _answers(status: str) -> dict:
    from mnist_compare import demo

    return demo.answers_in(status)


@pytest.fixture(scope="module")
def colab_demo(origin, standin, tmp_path_factory, lane_summary):
    """``python -m mnist_compare demo`` in ``.venv-colab`` from a clone of the repository (the shipped
    seed-0 models), on a free port; stopped at the end."""
    _need_colab_env()
    port = _free_port()
    home = tmp_path_factory.mktemp("demo-root")
    log = home / "demo.log"
    env = _colab_environment(standin, origin, home)
    started = time.perf_counter()
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            [str(COLAB_PYTHON), "-m", "mnist_compare", "demo", "--port", str(port)],
            cwd=origin,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_http(process, url, log, 300, what="the demo", interval=1)
        lane_summary["demo"] = {"start_seconds": round(time.perf_counter() - started, 1)}
        yield {"url": url, "log": log, "process": process}
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_demo_reads_drawn_digits_through_its_api(colab_demo, tmp_path, lane_summary):
    from gradio_client import Client, handle_file
    from PIL import Image

    client = Client(colab_demo["url"], verbose=False)
    readings = []
    for index, (label, strokes) in enumerate(API_DIGITS):
        path = tmp_path / f"digit{index}.png"
        Image.fromarray(browser.render_strokes(strokes)).save(path)
        result = client.predict(
            {"background": None, "layers": [], "composite": handle_file(str(path))},
            "bbox_com",
            api_name="/predict",
        )
        answers = _answers(result[0])
        readings.append({"label": label, **answers})
    lane_summary.setdefault("demo", {})["api_readings"] = readings
    print("API readings (label, then each reader):", [tuple(r.values()) for r in readings])
    assert all(set(r) == {"label", *registry.demo_models()} for r in readings), readings
    assert sum(r["cnn"] == r["label"] for r in readings) >= 9, readings
    log = colab_demo["log"].read_text()
    assert "Traceback" not in log, log[-3000:]


def test_demo_reads_digits_drawn_in_chromium_with_clear_between(colab_demo, lane_summary):
    if not browser.chromium_path():
        _missing("Chromium is not installed (apt-get install chromium)")
    outcomes = browser.draw_session(colab_demo["url"], BROWSER_DIGITS)
    readings = []
    for outcome in outcomes:
        answers = _answers(outcome["status"])
        readings.append(
            {
                "label": outcome["label"],
                **answers,
                "latency_ms": outcome["latency_ms"],
                "ink_after_clear": outcome["ink_after_clear"],
            }
        )
    lane_summary.setdefault("demo", {})["browser_readings"] = readings
    print("Chromium readings (label, each reader, ...):", readings)
    for reading in readings:
        assert set(registry.demo_models()) <= set(reading), reading
    for outcome, reading in zip(outcomes, readings):
        assert reading.get("cnn") == reading["label"], (reading, outcome["status"])
        assert outcome["ink"] > 0.005, "the brush drew (it is ready after every Clear)"
        assert outcome["ink_after_clear"] == 0, "Clear leaves an empty canvas"
    log = colab_demo["log"].read_text()
    assert "Traceback" not in log, log[-3000:]
    assert not CPP_LOG.search(log), log[-3000:]


# ---------------------------------------------------------------- no data file, no network


def test_missing_data_offline_is_one_short_message(
    origin, standin, kernel_manager_class, tmp_path, lane_summary
):
    """Notebook 01 in a Colab kernel without ``MNIST_NPZ`` and with Keras's download unable to connect
    (a proxy on a closed local port, so it fails at once even where DNS would hang)."""
    closed = f"http://127.0.0.1:{_free_port()}"
    env = _colab_environment(
        standin,
        origin,
        tmp_path / "root",
        http_proxy=closed,
        https_proxy=closed,
        HTTP_PROXY=closed,
        HTTPS_PROXY=closed,
        no_proxy="",
        NO_PROXY="",
    )
    (tmp_path / "root").mkdir()
    path = next(path for path in NOTEBOOKS if path.name.startswith("01_"))
    run = _execute(path, tmp_path / "content", env, kernel_manager_class)
    nb = run["nb"]
    failed = [cell for cell in nb.cells if any(o["output_type"] == "error" for o in cell.get("outputs", []))]
    lane_summary["offline"] = {"seconds": round(run["seconds"], 1), "error": run["error"]}
    assert run["error"] is not None and failed, "notebook 01 cannot run without the data"
    cell = failed[0]
    assert not cell.source.startswith(colab.SETUP_MARKER), "the Setup cell passed; the data cell stopped"
    error_text = "\n".join(_text(o) for o in cell.outputs if o["output_type"] == "error")
    shown = _cell_text(cell)
    timing = cell.metadata.get("execution", {})
    lane_summary["offline"].update({"message": error_text, "lines": len(error_text.strip().splitlines())})
    assert "Traceback" not in shown, shown
    assert len(error_text.strip().splitlines()) <= 8, error_text
    assert 'os.environ["MNIST_NPZ"]' in error_text, error_text
    assert "mnist.npz" in error_text and "upload" in error_text.lower(), error_text
    assert "shared/data" not in shown and "shared/data" not in error_text, shown
    assert all("Traceback" not in _cell_text(other) for other in nb.cells), "no traceback anywhere"
    if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
        from datetime import datetime

        seconds = (
            datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
            - datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
        ).total_seconds()
        lane_summary["offline"]["failing_cell_seconds"] = round(seconds, 1)
        assert seconds < 60, f"the download failed fast ({seconds:.0f} s)"
