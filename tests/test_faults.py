"""Fault injection: bad inputs, damaged artefacts, full disks, busy folders and random kills.

Every probe starts from a copy of one finished fast run and runs one command. A failure must be
exit code 2 and one line on stderr without a traceback, and must leave every earlier file
byte for byte as it was; a probe that recovers (a damaged run retrained, a damaged results.json
set aside) must say so in one line and end with results equal to the uninterrupted run's.
"""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from mnist_compare import __main__ as cli
from mnist_compare import config, experiments, registry, storage, training
from tests.conftest import SMALL_MNIST, fast_env

ROOT = config.PROJECT_ROOT
LOCK = storage.LOCK_NAME


def run_command(output: Path, *args, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mnist_compare", *args],
        cwd=ROOT,
        env=fast_env(output),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def template(fast_template) -> Path:
    """One finished fast run (both models, research, figures), made once for every probe (and shared with the
    report's end-to-end test)."""
    return fast_template


@pytest.fixture
def outputs(template, tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "out"
    shutil.copytree(template, folder)
    for key, value in fast_env(folder).items():
        if key.startswith(("MNIST", "TF_CPP")):
            monkeypatch.setenv(key, value)
    monkeypatch.delenv("MNIST_COMPARE_SEEDS", raising=False)
    return folder


def fingerprint(folder: Path) -> dict:
    return {
        str(path.relative_to(folder)): storage.sha256(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != LOCK
    }


def metrics_of(results: dict) -> dict:
    """What a rerun must reproduce: every number except timings and provenance (dates included)."""

    def strip(value):
        if isinstance(value, dict):
            return {
                key: strip(item)
                for key, item in value.items()
                if "seconds" not in key
                and key
                not in {"provenance", "reused_from_disk", "finished_at", "artefacts", "section_created"}
            }
        if isinstance(value, list):
            return [strip(item) for item in value]
        return value

    return strip(results)


# --- the probes -------------------------------------------------------------------------------------


def truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def good_arrays() -> dict:
    with np.load(SMALL_MNIST) as npz:
        return {key: npz[key] for key in npz.files}


def npz_with(tmp: Path, name: str, change) -> Path:
    arrays = good_arrays()
    change(arrays)
    path = tmp / name
    np.savez(path, **arrays)
    return path


def write_file(tmp: Path, name: str, content: bytes) -> Path:
    path = tmp / name
    path.write_bytes(content)
    return path


def hold_port() -> int:
    """A port some other program is listening on (the socket stays open for the test session)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    _HELD_SOCKETS.append(sock)
    return sock.getsockname()[1]


_HELD_SOCKETS: list = []


def raise_on_write(code: int):
    """Make every atomic write fail with ``code`` (as a full or read-only disk would)."""
    real = storage.tempfile.mkstemp

    def failing(*args, **kwargs):
        handle, name = real(*args, **kwargs)
        os.close(handle)
        os.unlink(name)
        raise OSError(code, os.strerror(code), name)

    return failing


def run_damaged(out: Path):
    """Delete one finished run so that the next `run` has to write."""
    shutil.rmtree(out / "models" / "cnn_seed0")


def setenv(monkeypatch, **values):
    for key, value in values.items():
        monkeypatch.setenv(key, value)


RUN = ["run", "--fast", "--no-progress", "--no-readme"]
REPORT_NO_EXEC = ["report", "--fast", "--no-execute", "--no-pdf"]

# (name, prepare(out, tmp, monkeypatch) -> argv, expected words in the message)
PROBES = [
    ("missing npz", lambda o, t, m: RUN + ["--data", str(t / "nope.npz")], "MNIST file not found"),
    ("empty npz", lambda o, t, m: RUN + ["--data", str(write_file(t, "e.npz", b""))], "is empty (0 bytes)"),
    (
        "truncated npz",
        lambda o, t, m: RUN + ["--data", str(write_file(t, "t.npz", SMALL_MNIST.read_bytes()[:5000]))],
        "may be truncated",
    ),
    (
        "text file named .npz",
        lambda o, t, m: RUN + ["--data", str(write_file(t, "x.npz", b"<html>404</html>"))],
        "does not start like a zip archive",
    ),
    (
        "npy named .npz",
        lambda o, t, m: RUN + ["--data", str(write_file(t, "y.npz", b"\x93NUMPY\x01\x00" + b"0" * 50))],
        "single .npy array",
    ),
    (
        "npz missing arrays",
        lambda o, t, m: RUN + ["--data", str(npz_with(t, "k.npz", lambda a: a.pop("y_test")))],
        "missing the arrays",
    ),
    (
        "npz wrong image shape",
        lambda o, t, m: (
            RUN
            + [
                "--data",
                str(
                    npz_with(
                        t, "s.npz", lambda a: a.update(x_train=a["x_train"].reshape(len(a["x_train"]), 784))
                    )
                ),
            ]
        ),
        "expected (N, 28, 28)",
    ),
    (
        "npz labels out of range",
        lambda o, t, m: (
            RUN + ["--data", str(npz_with(t, "l.npz", lambda a: a.update(y_train=a["y_train"] + 5)))]
        ),
        "expected 0-9",
    ),
    (
        "npz float pixels",
        lambda o, t, m: (
            RUN
            + ["--data", str(npz_with(t, "f.npz", lambda a: a.update(x_test=a["x_test"].astype(np.float32))))]
        ),
        "expected uint8",
    ),
    (
        "npz with pickled objects",
        lambda o, t, m: (
            RUN
            + [
                "--data",
                str(
                    npz_with(
                        t,
                        "p.npz",
                        lambda a: a.update(y_test=np.array([object()] * len(a["y_test"]), dtype=object)),
                    )
                ),
            ]
        ),
        "not a readable npz",
    ),
    ("data path is a folder", lambda o, t, m: RUN + ["--data", str(t)], "MNIST file not found"),
    ("zero seeds", lambda o, t, m: RUN + ["--seeds", "0"], "at least 1"),
    (
        "seeds variable not a number",
        lambda o, t, m: (setenv(m, MNIST_COMPARE_SEEDS="three"), RUN)[1],
        "must be a whole number",
    ),
    ("unknown model", lambda o, t, m: RUN + ["--models", "mlp,rnn"], "Unknown model"),
    (
        "output folder is a file",
        lambda o, t, m: (setenv(m, MNIST_COMPARE_OUTPUT=str(write_file(t, "f", b"x"))), RUN)[1],
        "is a file, not a folder",
    ),
    (
        "results.json truncated, read-only report",
        lambda o, t, m: (truncate(o / "reports" / "results.json"), REPORT_NO_EXEC)[1],
        "not valid JSON",
    ),
    (
        "results.json is a list",
        lambda o, t, m: ((o / "reports" / "results.json").write_text("[1, 2, 3]"), REPORT_NO_EXEC)[1],
        "not a results file",
    ),
    (
        "results.json foreign",
        lambda o, t, m: ((o / "reports" / "results.json").write_text('{"fast": true}'), REPORT_NO_EXEC)[1],
        "not a complete results file",
    ),
    (
        "results.json of a fast run, full report",
        lambda o, t, m: (setenv(m, MNIST_COMPARE_FAST="0"), ["report", "--no-execute", "--no-pdf"])[1],
        "results of a fast run",
    ),
    (
        "results.json binary garbage",
        lambda o, t, m: ((o / "reports" / "results.json").write_bytes(b"\xff\xfe\x00"), REPORT_NO_EXEC)[1],
        "not valid JSON",
    ),
    (
        "--no-execute with other seeds never trains",
        lambda o, t, m: REPORT_NO_EXEC + ["--seeds", "3"],
        "nothing may be trained here",
    ),
    ("--no-execute before the notebooks ran", lambda o, t, m: REPORT_NO_EXEC, "has not been executed yet"),
    (
        "disk full while training",
        lambda o, t, m: (
            run_damaged(o),
            m.setattr(storage.tempfile, "mkstemp", raise_on_write(errno.ENOSPC)),
            RUN,
        )[2],
        "No space left on the device",
    ),
    (
        "read-only output folder",
        lambda o, t, m: (
            run_damaged(o),
            m.setattr(storage.tempfile, "mkstemp", raise_on_write(errno.EROFS)),
            RUN,
        )[2],
        "Cannot write",
    ),
    (
        "permission denied",
        lambda o, t, m: (
            run_damaged(o),
            m.setattr(storage.tempfile, "mkstemp", raise_on_write(errno.EACCES)),
            RUN,
        )[2],
        "make it writable",
    ),
    ("demo port out of range", lambda o, t, m: ["demo", "--fast", "--port", "99999"], "not a port number"),
    ("demo port in use", lambda o, t, m: ["demo", "--fast", "--port", str(hold_port())], "already in use"),
    ("demo auth without password", lambda o, t, m: ["demo", "--fast", "--auth", "ann"], "user:password"),
    (
        "demo without models",
        lambda o, t, m: (shutil.rmtree(o / "models" / "mlp_seed0"), ["demo", "--fast"])[1],
        "No saved MLP",
    ),
    (
        "demo with a truncated model",
        lambda o, t, m: (truncate(o / "models" / "cnn_seed0" / "epoch01.keras"), ["demo", "--fast"])[1],
        "is damaged",
    ),
    (
        "demo with a model that has no record",
        lambda o, t, m: ((o / "models" / "mlp_seed0" / "run.json").unlink(), ["demo", "--fast"])[1],
        "no finished run record",
    ),
]


def test_the_probe_table_is_big_enough():
    assert len(PROBES) >= 25 and len({name for name, _, _ in PROBES}) == len(PROBES)


@pytest.mark.slow  # needs the template: a whole fast run with research (about 100 s)
@pytest.mark.parametrize("name,prepare,expected", PROBES, ids=[name for name, _, _ in PROBES])
def test_probe_fails_in_one_line_and_changes_nothing(
    name, prepare, expected, outputs, tmp_path, monkeypatch, capsys
):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    argv = prepare(outputs, scratch, monkeypatch)
    before = fingerprint(outputs)
    code = cli.main(argv)
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert code == 2, (code, captured.out[-500:], err)
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err, err
    assert expected in err, err
    assert fingerprint(outputs) == before
    print(f"PROBE | {name} | exit {code} | {err}")


@pytest.mark.slow  # needs the template: a whole fast run with research (about 100 s)
def test_debug_shows_the_traceback(outputs, tmp_path):
    with pytest.raises(Exception, match="MNIST file not found"):
        cli.main(["--debug"] + RUN + ["--data", str(tmp_path / "missing.npz")])
    with pytest.raises(Exception, match="MNIST file not found"):
        cli.main(RUN + ["--debug", "--data", str(tmp_path / "missing.npz")])


@pytest.mark.slow  # needs the template: a whole fast run with research (about 100 s)
def test_a_second_run_on_the_same_outputs_is_refused(outputs, capsys):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from mnist_compare import storage\n"
            "with storage.output_lock(sys.argv[1], what='run'):\n    print('held', flush=True); "
            "time.sleep(60)",
            str(outputs),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        before = fingerprint(outputs)
        code = cli.main(RUN)
        err = capsys.readouterr().err.strip()
        assert code == 2 and "is in use by `run` (pid" in err and "\n" not in err, err
        assert fingerprint(outputs) == before
    finally:
        holder.kill()
        holder.wait()
    # the kernel released the dead holder's lock: the folder is usable again at once
    with storage.output_lock(outputs):
        pass


@pytest.mark.slow  # needs the template: a whole fast run with research (about 100 s)
def test_damaged_results_json_is_set_aside_and_rebuilt_from_the_saved_runs(outputs, template, capsys):
    results_file = outputs / "reports" / "results.json"
    truncate(results_file)
    damaged = results_file.read_bytes()
    assert cli.main(RUN) == 0
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "Set aside as" in line)
    assert "results.json is damaged (not valid JSON" in line
    kept = list(results_file.parent.glob("results.json.damaged-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == damaged
    rebuilt = json.loads(results_file.read_text())
    assert all(run["reused_from_disk"] for run in rebuilt["runs"])
    for run in rebuilt["runs"]:  # the rebuilt file carries the sha256 of every saved artefact
        for name, digest in run["artefacts"].items():
            assert storage.sha256(outputs / "models" / run["run_id"] / name) == digest
    original = json.loads((template / "reports" / "results.json").read_text())
    assert metrics_of(rebuilt) == metrics_of(original)


@pytest.mark.slow  # needs the template: a whole fast run with research (about 100 s)
def test_a_damaged_model_is_retrained_to_the_same_numbers(outputs, template, capsys):
    model = outputs / "models" / "cnn_seed0" / "epoch01.keras"
    truncate(model)
    assert cli.main(RUN + ["--no-research"]) == 0
    out = capsys.readouterr().out
    assert f"{model} is damaged (its sha256 does not match run.json); training cnn_seed0 again." in out
    record = json.loads((outputs / "models" / "cnn_seed0" / "run.json").read_text())
    assert record["artefacts"]["epoch01.keras"] == storage.sha256(model)
    assert training.load_snapshot(model.parent, 1).count_params() == 542_230
    original = json.loads((template / "models" / "cnn_seed0" / "run.json").read_text())
    assert record["snapshots"] == original["snapshots"]


@pytest.mark.slow  # needs the template: a whole fast run with research (about 100 s)
def test_stale_temporaries_of_dead_processes_are_removed_and_live_ones_kept(outputs, capsys):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(dead.stdout)
    stale = [
        outputs / "reports" / f".results.{dead_pid}.abc123.tmp.json",
        outputs / "figures" / f".04_learning_curves.{dead_pid}.xyz.tmp.png",
        outputs / "models" / "mlp_seed0" / f".epoch01.{dead_pid}.q1.tmp.keras",
    ]
    live = outputs / "reports" / f".results.{os.getpid()}.live01.tmp.json"
    for path in stale + [live]:
        path.write_bytes(b"half")
    assert cli.main(RUN + ["--no-research"]) == 0
    assert not any(path.exists() for path in stale)
    assert live.exists()


def test_files_get_the_permissions_of_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        path = storage.write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o640
    path = storage.write_text(tmp_path / "b.txt", "x")
    assert path.stat().st_mode & 0o777 == 0o666 & ~old


@pytest.mark.slow  # needs the template: a whole fast run with research (about 100 s)
def test_disk_full_on_a_real_small_filesystem(template, tmp_path):
    """A 1 MB tmpfs where the machine allows mounting one (the injected ENOSPC probe runs everywhere)."""
    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(
            f"cannot mount a tmpfs here ({made.stderr.decode().strip()[:80]}); the injected ENOSPC "
            "probe covers this"
        )
    try:
        shutil.copytree(template / "reports", mount / "reports")
        before = fingerprint(mount)
        done = run_command(mount, *RUN, "--no-research")
        assert done.returncode == 2, done.stderr
        err = done.stderr.strip().splitlines()
        assert err[-1].startswith("error: No space left on the device") and "Traceback" not in done.stderr
        assert all(fingerprint(mount).get(key) == value for key, value in before.items())
        assert not list(mount.rglob(".*.tmp*"))
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)


# --- random kills -------------------------------------------------------------------------------------


def artefacts_are_sound(folder: Path) -> None:
    """Every finished run verifies against its sha256s; any results.json there is complete JSON."""
    for record_file in folder.glob("models/**/run.json"):
        record = json.loads(record_file.read_text())
        for name, digest in record["artefacts"].items():
            assert storage.sha256(record_file.parent / name) == digest, record_file.parent / name
    results = folder / "reports" / "results.json"
    if results.exists():
        experiments.read_results(results, True)


@pytest.mark.slow
def test_random_kills_of_run_then_resume_give_the_uninterrupted_numbers(template, tmp_path):
    rng = random.Random(20261123)
    folder = tmp_path / "killed"
    kills = 0
    while kills < 8:
        process = subprocess.Popen(
            [sys.executable, "-m", "mnist_compare", *RUN],
            cwd=ROOT,
            env=fast_env(folder),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(2.0, 9.0))
        if process.poll() is not None:
            break  # finished before the kill
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        kills += 1
        artefacts_are_sound(folder)
    assert kills >= 6, "the run finished too early to be killed often enough"
    done = run_command(folder, *RUN)
    assert done.returncode == 0, done.stderr
    artefacts_are_sound(folder)
    assert not list(folder.rglob(".*.tmp*"))
    results = json.loads((folder / "reports" / "results.json").read_text())
    original = json.loads((template / "reports" / "results.json").read_text())
    assert metrics_of(results) == metrics_of(original)
    for name in registry.grid_models():
        run_dir = folder / "models" / f"{name}_seed0"
        assert training.load_snapshot(run_dir, 1).count_params() in (101_770, 542_230)


@pytest.mark.slow
def test_random_kills_of_report_after_a_two_seed_run_then_the_report_says_two_seeds(template, tmp_path):
    """`run --seeds 2`, then `report` killed at random four times: every kill leaves results.json byte for
    byte and every notebook whole; then `report` (no --seeds) finishes: its kernels read the 2-seed
    results, never retrain, and the report says 2 seeds everywhere, not the fast default of 1. (One report
    run serves both points; two seeds are the fewest that differ from that default.)"""
    rng = random.Random(7)
    folder = tmp_path / "report"
    shutil.copytree(template, folder)
    done = run_command(folder, *RUN, "--seeds", "2", timeout=1500)
    assert done.returncode == 0, done.stderr
    results_bytes = (folder / "reports" / "results.json").read_bytes()
    assert json.loads(results_bytes)["config"]["seeds"] == [0, 1]
    for _ in range(4):
        process = subprocess.Popen(
            [sys.executable, "-m", "mnist_compare", "report", "--fast", "--no-pdf"],
            cwd=ROOT,
            env=fast_env(folder),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(rng.uniform(3.0, 25.0))
        os.killpg(process.pid, signal.SIGKILL)  # the report and its notebook kernels
        process.wait(timeout=30)
        assert (folder / "reports" / "results.json").read_bytes() == results_bytes
        for notebook in (folder / "notebooks").glob("*.ipynb"):
            json.loads(notebook.read_text())  # complete, never half written
        artefacts_are_sound(folder)
    done = run_command(folder, "report", "--fast", "--no-pdf")
    assert done.returncode == 0, done.stderr
    assert "nothing to train" in done.stdout and "Training the runs" not in done.stdout
    assert (folder / "reports" / "results.json").read_bytes() == results_bytes
    html_path = folder / "reports" / "mnist_mlp_vs_cnn.html"
    assert html_path.stat().st_size > 100_000
    assert not list(folder.rglob(".*.tmp*"))
    html = html_path.read_text()
    assert "2 seeds per model" in html and "over 2 seeds" in html
    assert "over 1 seed" not in html and "1 seed per model" not in html


# --- one configuration from the command line to every notebook kernel ----------------------------------


def test_kernels_get_the_reports_mode_seeds_and_output_and_only_read(monkeypatch, tmp_path):
    from mnist_compare import report

    monkeypatch.setenv("MNIST_COMPARE_OUTPUT", str(tmp_path))
    env = report.kernel_environment(fast=True, seed_count=3)
    assert env["MNIST_COMPARE_FAST"] == "1" and env["MNIST_COMPARE_SEEDS"] == "3"
    assert env["MNIST_COMPARE_READ_ONLY"] == "1" and env["MNIST_COMPARE_OUTPUT"] == str(tmp_path)
