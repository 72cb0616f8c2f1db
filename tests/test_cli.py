import json
import os
import signal
import subprocess
import sys
import time

import keras
import pytest

from mnist_compare import __main__ as cli
from mnist_compare import config

ROOT = config.PROJECT_ROOT


def run_cli(*args, env=None, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "mnist_compare", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_help_lists_the_four_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("run", "report", "demo", "bench"):
        assert command in result.stdout


def test_missing_data_file_is_one_clear_line(isolated_outputs, tmp_path, capsys):
    code = cli.main(["run", "--fast", "--data", str(tmp_path / "missing.npz"), "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("error: MNIST file not found") and "\n" not in err


def test_offline_download_is_one_clear_line(isolated_outputs, monkeypatch, capsys):
    monkeypatch.delenv("MNIST_NPZ")

    def offline():
        raise Exception("URL fetch failure: [Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    code = cli.main(["run", "--fast", "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "Could not download MNIST" in err and "\n" not in err


@pytest.mark.slow
def test_fast_run_writes_labelled_results_with_provenance(isolated_outputs):
    # The grid only: the research sections in fast mode run in the fast report export (tests/test_report.py).
    result = run_cli("run", "--fast", "--no-progress", "--no-research", env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    results = json.loads((isolated_outputs / "reports" / "results.json").read_text())
    assert results["fast"] is True and "FAST" in result.stdout
    assert results["config"]["seeds"] == [0] and results["config"]["snapshot_epochs"] == [1]
    prov = results["provenance"]
    assert len(prov["data"]["sha256"]) == 64 and prov["versions"]["keras"]
    assert "commit" in prov["git"]
    assert results["summary"]["mlp"]["parameters"] == 101_770
    assert results["summary"]["cnn"]["parameters"] == 542_230
    assert {run["run_id"] for run in results["runs"]} == {"mlp_seed0", "cnn_seed0"}
    assert len(results["comparisons"][0]["mcnemar"]) == 1


@pytest.mark.slow
def test_sigkill_mid_training_then_rerun_resumes(isolated_outputs):
    env = dict(os.environ)
    # The grid only (no research sections): the point is the resume of killed training runs.
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mnist_compare",
            "run",
            "--fast",
            "--seeds",
            "2",
            "--no-progress",
            "--no-research",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    first_record = isolated_outputs / "models" / "mlp_seed0" / "run.json"
    deadline = time.time() + 240
    while not first_record.exists() and time.time() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert first_record.exists(), "the first run never finished"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert not (isolated_outputs / "reports" / "results.json").exists()

    result = run_cli("run", "--fast", "--seeds", "2", "--no-progress", "--no-research", env=env)
    assert result.returncode == 0, result.stderr
    results = json.loads((isolated_outputs / "reports" / "results.json").read_text())
    reused = {run["run_id"]: run["reused_from_disk"] for run in results["runs"]}
    assert reused["mlp_seed0"] is True
    assert set(reused) == {"mlp_seed0", "mlp_seed1", "cnn_seed0", "cnn_seed1"}
    for run_id in reused:
        model = keras.models.load_model(isolated_outputs / "models" / run_id / "epoch01.keras")
        assert model.count_params() in (101_770, 542_230)
    assert not list((isolated_outputs / "models").rglob(".*.tmp*"))
