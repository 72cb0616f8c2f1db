"""The Setup cell and the badges as Colab sees them.

Colab opens a notebook from GitHub in a fresh runtime whose working folder (``/content``) holds no
repository, with ``google.colab`` already imported by its kernel. These tests play that with a
stand-in ``google.colab`` module and check what a user sees when the Setup cell cannot get the
package, that the Setup cells and badges follow the configured address, and that the shipped models
are the ones ``results.json`` records. The whole journey (every notebook top to bottom in a fresh
clone, full mode, Colab's own package versions) is the Colab lane: ``tests/test_colab_lane.py``,
``make test-colab``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from mnist_compare import colab, config
from tests.conftest import git

NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
#: What Colab's kernel has done before the first cell runs.
COLAB_KERNEL_START = "import google.colab  # imported by Colab's kernel before any cell runs"


def _environment(standin: Path | None, repository: str, **extra) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MNIST_COMPARE_") and key != "PYTHONPATH"
    }
    env.update(
        {
            "MNIST_COMPARE_REPOSITORY": repository,
            "MNIST_COMPARE_FAST": "1",
            "MNIST_COMPARE_HEADLESS": "1",
            "PIP_NO_INDEX": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "TF_CPP_MIN_LOG_LEVEL": "3",
        }
    )
    if standin is not None:
        env["PYTHONPATH"] = str(standin)
    env.update(extra)
    return env


def _run(nb, folder: Path, env: dict, timeout: int = 900):
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
    client.execute(env=env)
    return nb


def _outputs(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            parts.append(output["text"])
        elif output["output_type"] == "error":
            parts.append(f"{output['ename']}: {output['evalue']}\n" + "\n".join(output["traceback"]))
    return "".join(parts)


def _setup_only(env: dict, folder: Path, colab_kernel: bool):
    cells = ([nbformat.v4.new_code_cell(COLAB_KERNEL_START)] if colab_kernel else []) + [
        nbformat.v4.new_code_cell(colab.setup_cell())
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    with pytest.raises(CellExecutionError):
        _run(nb, folder, env, timeout=300)
    return nb.cells[-1]


def test_setup_cell_explains_a_failed_clone(standin, tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    missing = str(tmp_path / "no-such-repository")
    cell = _setup_only(_environment(standin, missing), content, colab_kernel=True)
    text = _outputs(cell)
    assert f"Setup stopped: `git clone {missing}` failed" in text
    assert 'os.environ["MNIST_COMPARE_REPOSITORY"]' in text, "first way out: the address of your copy"
    assert "unzip" in text, "second way out: upload the repository"
    assert "SystemExit: Setup stopped; see the message above." in text
    assert "Traceback" not in text and "CalledProcessError" not in text and "To exit" not in text


def test_setup_cell_outside_colab_without_the_package(tmp_path):
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    env = _environment(None, "https://example.invalid/mnist-compare")
    # the kernel must not find this package through an editable install or the test's own path
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import importlib.util,sys; print(importlib.util.find_spec('mnist_compare') is not None)",
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    if probe.stdout.strip() == "True":
        pytest.skip("mnist_compare is installed into this environment, so the Setup cell finds it anywhere")
    text = _outputs(_setup_only(env, folder, colab_kernel=False))
    assert "the `mnist_compare` package is not importable" in text
    assert "pip install -e" in text and "Start Jupyter inside the repository" in text
    assert "git clone" not in text, "outside Colab nothing is cloned"
    assert "Traceback" not in text and "ModuleNotFoundError" not in text


def test_setup_cells_and_badges_match_the_configured_address():
    assert colab.sync(write=False) == [], "run `python -m mnist_compare colab-links`"
    for path in NOTEBOOKS:
        title = nbformat.read(path, as_version=4).cells[0].source
        assert colab.colab_url(path.name) in title
    readme = (config.PROJECT_ROOT / "README.md").read_text()
    assert all(colab.colab_url(path.name) in readme for path in NOTEBOOKS)


def test_one_address_an_override_and_badges_built_from_it(monkeypatch):
    monkeypatch.delenv(config.ENV_REPOSITORY, raising=False)
    assert colab.repository_url() == config.REPOSITORY_URL
    monkeypatch.setenv(config.ENV_REPOSITORY, "https://github.com/someone/fork")
    assert colab.repository_url() == "https://github.com/someone/fork"
    assert (
        colab.colab_url("02_mlp.ipynb", "https://github.com/someone/fork.git")
        == "https://colab.research.google.com/github/someone/fork/blob/main/notebooks/02_mlp.ipynb"
    )
    assert colab.colab_url("02_mlp.ipynb", "/srv/git/mnist-compare") is None
    assert colab.badge("02_mlp.ipynb", "/srv/git/mnist-compare") == ""
    cell = colab.setup_cell("https://github.com/someone/fork")
    assert cell.count("https://github.com/someone/fork") == 1 and "{" not in cell.split("REPOSITORY_URL =")[0]
    compile(
        cell.replace("from mnist_compare import notebook", "").replace("context = notebook.setup()", ""),
        "setup",
        "exec",
    )


def test_sync_rewrites_a_changed_address(tmp_path):
    shutil.copytree(config.NOTEBOOKS_DIR, tmp_path / "notebooks")
    shutil.copy2(config.PROJECT_ROOT / "README.md", tmp_path / "README.md")
    changed = colab.sync("https://github.com/someone/fork", root=tmp_path)
    assert len(changed) == len(NOTEBOOKS) + 1
    assert colab.sync("https://github.com/someone/fork", root=tmp_path) == [], "a second sync changes nothing"
    nb = nbformat.read(tmp_path / "notebooks" / NOTEBOOKS[0].name, as_version=4)
    setup = next(cell for cell in nb.cells if cell.source.startswith(colab.SETUP_MARKER))
    assert 'or "https://github.com/someone/fork"' in setup.source
    assert "github/someone/fork/blob/main/notebooks/" in nb.cells[0].source
    original = nbformat.read(NOTEBOOKS[0], as_version=4)
    assert [c.get("outputs") for c in nb.cells] == [c.get("outputs") for c in original.cells], (
        "outputs untouched"
    )


def test_shipped_models_are_the_ones_results_json_records():
    """The seed-0 models in the repository, both epochs, match the sha256s of results.json and run.json,
    so a fresh clone (Colab's included) starts the notebooks and the demo without training."""
    from mnist_compare import storage
    from mnist_compare.experiments import read_results
    from mnist_compare.training import snapshot_path, verify_snapshot

    results = read_results(
        config.REPORTS_DIR / "results.json", fast=False
    )  # the committed one, whatever the env
    runs = {run["run_id"]: run for run in results["runs"]}
    tracked = git("ls-files", "models", cwd=config.PROJECT_ROOT).split()
    for name in ("mlp", "cnn"):
        run_dir = config.MODELS_DIR / f"{name}_seed0"
        for epochs in config.SNAPSHOT_EPOCHS:
            path = snapshot_path(run_dir, epochs)
            assert str(path.relative_to(config.PROJECT_ROOT)) in tracked, f"{path} is not in the repository"
            assert verify_snapshot(run_dir, epochs) == path  # against run.json
            assert storage.sha256(path) == runs[f"{name}_seed0"]["artefacts"][path.name], (
                "against results.json"
            )
        assert str((run_dir / "run.json").relative_to(config.PROJECT_ROOT)) in tracked
