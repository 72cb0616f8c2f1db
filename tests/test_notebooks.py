"""The notebooks' shape and rules (their execution is tested by nbval: pytest --nbval-lax notebooks/)."""

import ast
import json
import re

import pytest

from mnist_compare import colab, config, numbering
from tests.conftest import CPP_LOG

NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def definitions(code: str) -> list[str]:
    """Functions, lambdas and classes defined in a code cell (IPython magics and shell lines ignored)."""
    lines = [line for line in code.splitlines() if not line.lstrip().startswith(("%", "!"))]
    tree = ast.parse("\n".join(lines))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append(f"def {node.name}")
        elif isinstance(node, ast.ClassDef):
            found.append(f"class {node.name}")
        elif isinstance(node, ast.Lambda):
            found.append("lambda")
    return found


def test_the_definition_check_finds_what_it_should():
    assert definitions("def f(x):\n    return x") == ["def f"]
    assert definitions("class A:\n    pass") == ["class A"]
    assert definitions("key = lambda x: x") == ["lambda"]
    assert definitions("%matplotlib inline\nx = [i for i in range(3)]") == []


def test_the_notebooks_are_numbered_in_order():
    names = [path.name for path in NOTEBOOKS]
    assert [name[:2] for name in names] == ["01", "02", "03", "04", "05", "06", "07", "08"], names
    assert names == [
        "01_introduction_and_data.ipynb",
        "02_mlp.ipynb",
        "03_cnn.ipynb",
        "04_comparison.ipynb",
        "05_demo.ipynb",
        "06_claims_tested.ipynb",
        "07_inside_the_models.ipynb",
        "08_original_report_and_conclusions.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_notebook_cell_defines_a_function_or_class(path):
    for number, cell in enumerate(load(path)["cells"]):
        if cell["cell_type"] == "code":
            assert definitions(source(cell)) == [], (
                f"{path.name} cell {number} defines {definitions(source(cell))}"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_notebook_has_title_goals_setup_and_conclusions(path):
    cells = load(path)["cells"]
    first = numbering.ANCHOR.sub("", source(cells[0]), count=1)
    assert first.startswith("# "), "the first cell is the title"
    goals = re.search(r"\*\*Goals of this notebook\*\*\n((?:- .*\n?)+)", source(cells[1]))
    assert goals, "the cell after the title lists the goals"
    assert 3 <= len(goals.group(1).strip().splitlines()) <= 5
    assert source(cells[2]).strip() == "## Setup" and cells[3]["cell_type"] == "code"
    assert "notebook.setup()" in source(cells[3])
    for cell in cells[1:4]:  # goals, Setup heading, Setup cell: the notebook's, not the report's
        assert "remove-cell" in cell["metadata"].get("tags", []), source(cell)[:60]
    # The section headings, among the last of which the conclusions (a section may span several cells).
    headings = [
        source(c) for c in cells if c["cell_type"] == "markdown" and re.search(r"^## ", source(c), re.M)
    ]
    assert any(re.search(r"^## (\d+\.\d+ )?(Overall )?[Cc]onclusions?\b", h, re.M) for h in headings[-6:]), (
        "it ends with conclusions (the last notebook: conclusion, limitations, future work, references)"
    )


def test_the_setup_cell_is_the_same_everywhere_and_has_the_repository_url():
    setups = {source(load(path)["cells"][3]) for path in NOTEBOOKS}
    assert len(setups) == 1, "every notebook has the same Setup cell"
    setup = setups.pop()
    assert setup == colab.setup_cell(), (
        "built from config.REPOSITORY_URL (python -m mnist_compare colab-links)"
    )
    assert setup.count(config.REPOSITORY_URL) == 1, "the address appears once"
    assert "/content" not in setup


def test_committed_notebooks_hold_the_outputs_of_a_full_run():
    """Committed consistently: every code cell executed in order, no errors, nothing from fast mode."""
    for path in NOTEBOOKS:
        cells = [c for c in load(path)["cells"] if c["cell_type"] == "code"]
        counts = [c["execution_count"] for c in cells]
        assert counts == list(range(1, len(cells) + 1)), f"{path.name} was not run top to bottom"
        for cell in cells:
            for output in cell["outputs"]:
                assert output["output_type"] != "error", f"{path.name} has an error output"
                text = json.dumps(output)
                assert config.FAST_LABEL not in text, f"{path.name} holds fast-mode outputs"
                assert "execution" not in cell["metadata"], "timings are stripped for clean diffs"


def output_text(cells) -> str:
    texts = [o.get("text", "") for c in cells for o in c["outputs"]]
    return "".join("".join(t) if isinstance(t, list) else t for t in texts)


def test_deterministic_cells_are_checked_by_nbval():
    checked = {
        path.name: [
            c for c in load(path)["cells"] if c["cell_type"] == "code" and "# NBVAL_CHECK_OUTPUT" in source(c)
        ]
        for path in NOTEBOOKS
    }
    for name in ("01_introduction_and_data.ipynb", "02_mlp.ipynb", "03_cnn.ipynb", "04_comparison.ipynb"):
        assert checked[name], f"{name} has no NBVAL_CHECK_OUTPUT cell"
        for cell in checked[name]:
            assert cell["outputs"], f"{name}: a checked cell needs its committed output to compare with"
    shapes = output_text(checked["01_introduction_and_data.ipynb"])
    assert "x_train (60000, 28, 28) uint8" in shapes
    counts = output_text(checked["04_comparison.ipynb"])
    assert "MLP: 101,770 parameters" in counts and "CNN: 542,230 parameters" in counts


def test_the_cpp_log_pattern_finds_tensorflows_lines():
    assert CPP_LOG.search(
        "E0000 00:00:1763000000.123456   4242 cuda_platform.cc:52] failed call to cuInit: (303)"
    )
    assert CPP_LOG.search(
        "2026-11-23 10:00:00.123456: I tensorflow/core/util/port.cc:153] oneDNN custom operations"
    )
    assert CPP_LOG.search(
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
    )
    assert not CPP_LOG.search("MLP reads 7 (99.1%)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_outputs_hold_no_traceback_and_no_tensorflow_log_line(path):
    """What a reader sees of the committed notebooks: no traceback, no line of TensorFlow's C++ logging."""
    for number, cell in enumerate(load(path)["cells"]):
        for output in cell.get("outputs", []):
            text = json.dumps(output)
            assert "Traceback" not in text, f"{path.name} cell {number}"
            assert not CPP_LOG.search(output_text([{"outputs": [output]}])), f"{path.name} cell {number}"
