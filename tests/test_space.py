"""The repository as a Hugging Face Space: README.md's front matter as the Hub reads it, and ``python app.py``
started the way a Space starts it (in the repository's root, ``GRADIO_SERVER_NAME``/``GRADIO_SERVER_PORT``
set),
read through ``/predict`` and stopped with SIGTERM.

The app runs in the main environment and, when it exists, in ``.venv-colab`` (Colab's Python 3.13 and Gradio
6.24.0, the ``python_version`` and ``sdk_version`` of the front matter), where the repository is not
installed,
as on a Space. That run skips without ``.venv-colab`` and fails instead when ``REQUIRE_COLAB_LANE=1``.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mnist_compare import browser, config, space
from tests.conftest import wait_for_http

ROOT = config.PROJECT_ROOT
README = ROOT / "README.md"
COLAB_PYTHON = ROOT / ".venv-colab" / "bin" / "python"
COLAB_CONSTRAINTS = ROOT / "ci" / "colab-constraints.txt"
REQUIRED_COLAB = bool(os.environ.get("REQUIRE_COLAB_LANE"))
START_TIMEOUT = 60
#: Drawn digits read through /predict (each request costs gradio_client about 0.5 s; the Colab lane reads all
#: ten).
DIGITS = (2, 4, 7)
#: Colours the Hub accepts for a Space's thumbnail (docs: spaces-config-reference).
HUB_COLOURS = {"red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"}
#: Environment variables of this process that a Space does not have.
NOT_ON_A_SPACE = (
    "PYTHONPATH",
    "PYTHONHOME",
    "VIRTUAL_ENV",
    config.ENV_OUTPUT,
    config.ENV_FAST,
    config.ENV_SEEDS,
    "PYTEST_CURRENT_TEST",
)


@pytest.fixture(scope="module")
def card():
    from huggingface_hub import SpaceCard

    return SpaceCard.load(README).data  # a local path: nothing is asked of the Hub


def _requirement(name: str, path: Path = ROOT / "requirements.txt"):
    from packaging.requirements import Requirement

    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and Requirement(line).name.lower().replace("_", "-") == name:
            return Requirement(line)
    raise AssertionError(f"{name} is not in {path.name}")


def _colab_python_version() -> str:
    """Colab's Python, major.minor, as the Colab lane's constraints file states it."""
    found = re.search(r"\bPython (3\.\d+)\b", COLAB_CONSTRAINTS.read_text())
    assert found, f"{COLAB_CONSTRAINTS.name} no longer names Colab's Python"
    return found.group(1)


def test_front_matter_is_at_the_very_top_of_the_readme():
    text = README.read_text(encoding="utf-8")
    assert text.startswith("---\n"), "a Space reads the YAML block only at the very top of README.md"
    assert "\n---\n" in text[4:], "the YAML block is not closed"


def test_front_matter_makes_a_gradio_space_that_runs_app_py(card):
    assert card.sdk == "gradio"
    assert card.app_file == "app.py" and (ROOT / card.app_file).is_file()
    # `gradio deploy` names the Space after the title: it must already be a valid repository name
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}", card.title), card.title
    assert card.emoji and card.colorFrom in HUB_COLOURS and card.colorTo in HUB_COLOURS
    assert 0 < len(card.short_description) <= 60, "the Hub refuses a short_description over 60 characters"
    assert card.pinned is False


def test_sdk_version_is_the_lowest_gradio_requirements_admit_and_ci_tests(card):
    from packaging.version import Version

    assert isinstance(card.sdk_version, str), "quote sdk_version: YAML reads 6.30 as a number"
    gradio = _requirement("gradio")
    assert Version(card.sdk_version) in gradio.specifier, (card.sdk_version, str(gradio))
    lowest = {spec.version for spec in gradio.specifier if spec.operator == ">="}
    assert lowest == {card.sdk_version}, (
        f"sdk_version {card.sdk_version} is not requirements.txt's bound {gradio}"
    )
    tested = _requirement("gradio", COLAB_CONSTRAINTS)  # the Colab lane's pin
    assert str(tested.specifier) == f"=={card.sdk_version}", str(tested)


def test_python_version_is_the_one_the_colab_lane_tests(card):
    from packaging.specifiers import SpecifierSet

    assert isinstance(card.python_version, str), "quote python_version: YAML reads 3.10 as the number 3.1"
    assert card.python_version == _colab_python_version()
    requires = re.search(r'^requires-python = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(
        1
    )
    assert f"{card.python_version}.0" in SpecifierSet(requires)
    if COLAB_PYTHON.is_file():
        found = subprocess.run(
            [str(COLAB_PYTHON), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert found == card.python_version, f".venv-colab runs Python {found}"


def test_server_address_is_read_as_a_space_sets_it():
    assert space.server_address({"GRADIO_SERVER_NAME": "0.0.0.0", "GRADIO_SERVER_PORT": "7860"}) == (
        "0.0.0.0",
        7860,
    )
    assert space.server_address({"GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": " 8001 "}) == (
        "127.0.0.1",
        8001,
    )
    assert space.server_address({}) == ("0.0.0.0", 7860)
    assert space.server_address({"GRADIO_SERVER_NAME": "", "GRADIO_SERVER_PORT": ""}) == ("0.0.0.0", 7860)
    for bad in ("http", "0", "70000", "-1"):
        with pytest.raises(space.SettingError, match="GRADIO_SERVER_PORT"):
            space.server_address({"GRADIO_SERVER_PORT": bad})


# ---------------------------------------------------------------- python app.py, as a Space runs it


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", 0))
        return probe.getsockname()[1]


def _space_environment(tmp_path: Path, **extra) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in NOT_ON_A_SPACE}
    env["GRADIO_TEMP_DIR"] = str(tmp_path / "gradio")  # this app's cache, apart from other demos'
    env.update(extra)
    return env


def _python(lane: str) -> str:
    if lane == "main":
        return sys.executable
    if not COLAB_PYTHON.is_file():
        what = ".venv-colab is missing: build it with `make colab-env`"
        if REQUIRED_COLAB:
            pytest.fail(f"REQUIRE_COLAB_LANE=1 but {what}")
        pytest.skip(what)
    return str(COLAB_PYTHON)


def _readings(result) -> dict:
    return {name.lower(): int(digit) for name, digit in re.findall(r"(MLP|CNN) reads \*{0,2}(\d)", result[0])}


@pytest.mark.parametrize("lane", ["main", pytest.param("colab", marks=pytest.mark.colab)])
def test_app_py_serves_the_demo_as_a_space_starts_it_and_stops_cleanly(lane, tmp_path):
    from gradio_client import Client, handle_file
    from PIL import Image

    python = _python(lane)
    port = _free_port()
    log = tmp_path / "app.log"
    started = time.perf_counter()
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            [python, "app.py"],
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=_space_environment(tmp_path, GRADIO_SERVER_NAME="0.0.0.0", GRADIO_SERVER_PORT=str(port)),
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_http(process, url, log, START_TIMEOUT, what="python app.py")
        start_seconds = time.perf_counter() - started

        client = Client(url, verbose=False)
        readings = {}
        for digit in DIGITS:
            path = tmp_path / f"digit{digit}.png"
            Image.fromarray(browser.render_strokes(browser.DIGIT_STROKES[digit])).save(path)
            result = client.predict(
                {"background": None, "layers": [], "composite": handle_file(str(path))},
                "bbox_com",
                api_name="/predict",
            )
            readings[digit] = _readings(result)
        client.close()
        print(f"{lane}: answered after {start_seconds:.1f} s; readings {readings}")
        assert all(reading.get("cnn") == digit for digit, reading in readings.items()), readings
    finally:
        process.send_signal(signal.SIGTERM)  # how a Space stops its app
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail(f"python app.py ignored SIGTERM for 30 s:\n{log.read_text()[-3000:]}")
    output = log.read_text()
    assert code == 0, output[-3000:]
    assert "Demo stopped." in output and "Traceback" not in output, output[-3000:]


def test_app_py_without_the_models_is_one_line(tmp_path):
    """Models missing (an empty output folder stands in for an upload without models/): one line, exit code
    2."""
    empty = tmp_path / "outputs"
    empty.mkdir()
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=_space_environment(
            tmp_path, GRADIO_SERVER_PORT=str(_free_port()), **{config.ENV_OUTPUT: str(empty)}
        ),
    )
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: No saved MLP"), result.stderr
    assert "docs/demo.md" in lines[0] and "Traceback" not in result.stdout + result.stderr
