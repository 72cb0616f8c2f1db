"""The paper's narrative: the sentences with numbers that the notebooks write (short cells whose input the
report hides) say what results.json gives, and the abstract is short."""

import json
import re

import nbformat
import pytest

from mnist_compare import config, findings, formatting, registry, report, sections

NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))


class Shown:
    """A stand-in for the notebooks' ``notebook`` module: ``show`` keeps what a cell displays."""

    def __init__(self, results=None):
        self.shown = []
        self.results = results

    def ensure_results(self):
        return self.results

    def show(self, markdown):
        self.shown.append(markdown)


def narrative_cells():
    """Every cell that writes a sentence of the narrative: tagged ``remove-input`` and showing Markdown."""
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            tags = cell.metadata.get("tags", [])
            if cell.cell_type == "code" and "remove-input" in tags and "notebook.show(" in cell.source:
                yield path.name, cell


def markdown_outputs(cell) -> list[str]:
    return [
        "".join(output["data"]["text/markdown"])
        if isinstance(output["data"]["text/markdown"], list)
        else output["data"]["text/markdown"]
        for output in cell.get("outputs", [])
        if "text/markdown" in output.get("data", {})
    ]


@pytest.fixture(scope="module")
def results():
    return json.loads((config.REPORTS_DIR / "results.json").read_text())


def test_there_is_narrative_with_numbers_to_check():
    names = {name for name, _ in narrative_cells()}
    assert {"01_introduction_and_data.ipynb", "05_demo.ipynb"} <= names, names


#: A Python expression in braces left in a sentence, such as "{last}" or "{best['cnn']['median']:g}": a piece
#: of an f-string that lost its f when a sentence was split across lines.
PLACEHOLDER = re.compile(r"\{[A-Za-z_][\w\[\]'\"().]*(?::[^}]*)?\}")


def test_no_sentence_of_the_narrative_holds_an_unfilled_placeholder():
    found = {
        (name, match)
        for name, cell in narrative_cells()
        for shown in markdown_outputs(cell)
        for match in PLACEHOLDER.findall(shown)
    }
    assert PLACEHOLDER.findall("By epoch {last} its loss, {best['cnn']['median']:g}") == [
        "{last}",
        "{best['cnn']['median']:g}",
    ]
    assert not found, found


@pytest.mark.parametrize("name, cell", list(narrative_cells()), ids=lambda value: getattr(value, "id", value))
def test_every_number_in_the_narrative_is_the_one_results_gives(name, cell, results):
    """Each narrative cell, run again on the committed results.json, shows exactly what the committed notebook
    shows: a number typed by hand, or left behind by an older run, fails here."""
    shown = Shown(results)
    namespace = {
        "results": results,
        "notebook": shown,
        "pct": formatting.pct,
        "formatting": formatting,
        "findings": findings,
        "registry": registry,
        "sections": sections,
    }
    exec(compile(cell.source, f"{name}:{cell.get('id')}", "exec"), namespace)
    assert shown.shown == markdown_outputs(cell), f"{name}: re-run the notebook (make report)"


def abstract_output() -> str:
    notebooks = [nbformat.read(path, as_version=4) for path in NOTEBOOKS]
    return report.abstract_text(notebooks)


def test_the_abstract_fits_in_a_breath():
    """At most 200 words and 6 numbers (references to sections, tables, figures and sources aside)."""
    text = abstract_output()
    assert text, "the abstract cell (tagged report-abstract) has an output"
    full = "percentage points more accurate" in text and "full run" not in text
    assert full, "the committed abstract is the full run's"
    plain = re.sub(r"\[([^\]]*)\]\(#[^)]*\)", r"\1", text)  # links to sections: their words
    words = re.findall(r"[A-Za-z0-9][\w'’.,%−+-]*", plain)
    assert len(words) <= 200, len(words)
    without_references = re.sub(
        r"(?:[Ss]ections?|[Cc]hapters?|Tables?|Figures?|Appendix)\s+[A-Z0-9][\d.]*|\[\d+(?:,\s*\d+)*\]",
        "",
        plain,
    )
    numbers = re.findall(r"\d+(?:[.,]\d+)*", without_references)
    assert len(numbers) <= 6, numbers


def test_the_verdicts_table_says_why_for_every_claim_as_its_verdict_stands(results):
    """Table 1 gives each claim a reason, written in the first notebook for the verdict the claim has now: a
    changed verdict leaves a dash in its line, which fails here."""
    cell = next(
        cell
        for name, cell in narrative_cells()
        if cell.metadata.get("label") == report.GLANCE_TABLE and name.startswith("01_")
    )
    (text,) = markdown_outputs(cell)
    assert f'<a id="{findings.VERDICTS_TABLE}">' in text
    lines = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    rows = findings.verdicts_rows(results)
    assert [line.split(" | ")[0].strip("| ") for line in lines] == [row[0] for row in rows]
    # The verdict follows the claim, the word alone; the reason and the section are the last two columns.
    verdicts = [line.strip("| ").split(" | ")[1] for line in lines]
    assert verdicts == [f"**{row[2]}**" for row in rows]
    reasons = [line.rstrip(" |").rsplit(" | ", 2)[1] for line in lines]
    assert all(len(reason) > 20 for reason in reasons), reasons
    assert "[0." not in text, "the reasons carry no intervals: the sections give them"


def test_the_studies_on_fewer_seeds_are_reported_with_their_seeds_and_only_when_run(results):
    """Appendix B's table of the studies that decide no verdict: one row per study the results hold, each
    with its own (smaller) seed count, the training-set sizes' leads as the CNN − MLP difference of means."""
    research = results["research"]
    rows = findings.fewer_seeds_rows(results)
    assert [row[0] for row in rows] == [
        "Training-set size",
        "CNN with global average pooling",
        "Moved digits",
        "Improved CNN",
    ]
    sources = (
        research["data_efficiency"],
        research["architecture_controls"]["models"]["cnn_gap"],
        research["equivariance"],
        research["improved_cnn"],
    )
    assert [row[1] for row in rows] == [str(len(source["seeds"])) for source in sources]
    assert all(int(row[1]) < len(research["size_seeds"]["seeds"]) for row in rows)
    models = research["data_efficiency"]["models"]
    leads = [100 * (c["mean"] - m["mean"]) for c, m in zip(models["cnn"], models["mlp"])]
    assert rows[0][3] == " / ".join(f"{lead:+.1f}" for lead in leads) + " pp"
    studies = ("data_efficiency", "architecture_controls", "equivariance", "improved_cnn")
    bare = {**results, "research": {key: value for key, value in research.items() if key not in studies}}
    assert findings.fewer_seeds_rows(bare) == []


def test_the_robustness_table_gives_the_cnn_against_the_strongest_mlp_control_as_its_tests_do(results):
    """Table 6's control column is the CNN against the MLP control with the highest mean on each curve, the
    difference the robustness claim's tests use (Table 20 lists the same numbers), and the abstract's and
    4.1's rounded shares of the lead kept are the mean of the two MLPs' shares."""
    robust = sections.robustness
    table = robust.robustness_markdown(results)
    lines = [line for line in table.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    control = robust.most_robust_control(results, "shift")
    column = header.index(f"CNN − {registry.label(control)}")
    tests = {
        name.split(" (")[0]: test
        for row in findings.verdicts_rows(results)
        for name, test, *_ in (row[4] if len(row) > 4 else [])
        if isinstance(test, dict)
    }
    # The curves' ranges hold no invisible character (a word joiner would reach a reader's copy of the text).
    assert "\u2060" not in table and "1–8" in table
    for line, transform in zip(lines[2:], results["research"]["robustness"]["curves"]):
        cell = line.strip("|").split("|")[column].strip()
        strongest = robust.most_robust_control(results, transform)
        assert cell == formatting.pp(robust.cnn_against_controls(results, transform)[strongest])
        name = f"CNN − {registry.label(control)}, {robust.ROW_NAMES.get(transform, transform)} curve"
        if transform in (*robust.GEOMETRIC, "noise"):
            assert formatting.pp(tests[name]) == cell, name
    shares = sections.size_seeds.shares_with_images(results)
    rounded = sections.size_seeds.shares_in_round_numbers(results)
    for recipe, percent in rounded.items():
        found = [s["share"] for (r, _), s in shares.items() if r == recipe]
        assert abs(percent - 100 * sum(found) / len(found)) <= 2.5
        assert percent % 5 == 0
