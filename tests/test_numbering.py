"""The notebooks' structure gives every chapter, section and reference its number."""

import json
import re

import pytest

from mnist_compare import config, numbering

NOTEBOOKS = sorted((config.PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
#: A number typed as a reference instead of a link to a label ("section 4.2", "chapter 6", "in 6.2").
TYPED_REFERENCE = re.compile(r"\b(?:[Ss]ections?|[Cc]hapters?) \d+(?:\.\d+)?\b|\bin \d+\.\d+\b|\(\d+\.\d+\)")


def notebooks():
    return [json.loads(path.read_text(encoding="utf-8")) for path in NOTEBOOKS]


def markdown(nb):
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            yield "".join(cell["source"])


def test_every_numbered_heading_is_labelled_and_its_number_is_its_place():
    numbers = numbering.notebook_numbers(notebooks())
    labels = [heading.label for heading in numbering.headings(notebooks())]
    assert len(labels) == len(set(labels)), "each label once"
    for heading in numbering.headings(notebooks()):
        assert numbers[heading.label] == heading.typed, f"{heading.title}: typed {heading.typed}"
    for nb, path in zip(notebooks(), NOTEBOOKS):
        for source in markdown(nb):
            headings = numbering.HEADING.findall(source)
            assert len(headings) == len(numbering.LABELLED_HEADING.findall(source)), (
                f"{path.name}: every numbered heading has its label ({source[:60]!r})"
            )


def test_references_in_the_notebooks_are_links_to_labels_with_the_right_number():
    numbers = numbering.notebook_numbers(notebooks())
    links = 0
    for nb, path in zip(notebooks(), NOTEBOOKS):
        for source in markdown(nb):
            for words, label in numbering.LINK.findall(source):
                if label in numbers:
                    links += 1
                    assert words == numbers[label], f"{path.name}: [{words}](#{label}) is {numbers[label]}"
            text = numbering.LINK.sub("", numbering.ANCHOR.sub("", source))
            text = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
            assert not TYPED_REFERENCE.search(text), f"{path.name}: a typed reference in {text[:80]!r}"
    assert links > 20


def test_the_package_writes_references_as_links_with_the_notebooks_numbers():
    assert numbering.ref("paired-tests") == "[4.2](#paired-tests)"
    with pytest.raises(ValueError, match="No notebook heading is labelled 'nowhere'"):
        numbering.ref("nowhere")


def test_the_package_types_no_section_or_chapter_number():
    for path in (config.PROJECT_ROOT / "mnist_compare").rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("#")[0] if not line.lstrip().startswith(("#", '"', "'", 'f"')) else line
            if line.lstrip().startswith("#"):
                continue
            assert not re.search(r"\b(?:[Ss]ections?|[Cc]hapters?) \d+\.?\d*\b", code), (
                f"{path.name}:{number}: {line}"
            )


def test_report_numbers_close_ranks_move_appendices_and_continue_chapters():
    def cell(text, **metadata):
        return {"cell_type": "markdown", "source": text, "metadata": metadata}

    nbs = [
        {
            "cells": [
                cell('<a id="a"></a>\n# 1. A'),
                cell('<a id="a1"></a>\n## 1.1 One', tags=["remove-cell"]),
                cell('<a id="a2"></a>\n## 1.2 Two'),
                cell('<a id="a3"></a>\n## 1.3 Three', appendix="B"),
            ]
        },
        {
            "cells": [
                cell('<a id="b"></a>\n# 2. B', tags=["remove-cell"]),
                cell('<a id="b1"></a>\n## 2.1 Four'),
            ]
        },
        {"cells": [cell('<a id="c"></a>\n# 3. C'), cell('<a id="c1"></a>\n## 3.1 Five')]},
    ]
    assert numbering.notebook_numbers(nbs) == {
        "a": "1",
        "a1": "1.1",
        "a2": "1.2",
        "a3": "1.3",
        "b": "2",
        "b1": "2.1",
        "c": "3",
        "c1": "3.1",
    }
    assert numbering.report_numbers(nbs) == {
        "a": "1",
        "a2": "1.1",
        "a3": "B.1",
        "b": "1",
        "b1": "1.2",
        "c": "2",
        "c1": "2.1",
    }


def test_renumber_numbers_a_section_put_in_the_middle_and_the_references_to_it(tmp_path):
    def notebook(*sources):
        return {
            "cells": [{"cell_type": "markdown", "metadata": {}, "source": text} for text in sources],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }

    first = notebook(
        '<a id="a"></a>\n# 1. A',
        '<a id="new"></a>\n## 1.1 Appendix: new',
        '<a id="old"></a>\n## 1.1 Old\n\nSee section [1.1](#old) and [1.1](#new).',
    )
    (tmp_path / "01_a.ipynb").write_text(json.dumps(first))
    assert numbering.renumber_notebooks(tmp_path, write=False) == [tmp_path / "01_a.ipynb"]
    assert numbering.renumber_notebooks(tmp_path) == [tmp_path / "01_a.ipynb"]
    text = "".join(
        "".join(cell["source"]) for cell in json.loads((tmp_path / "01_a.ipynb").read_text())["cells"]
    )
    assert "## 1.1 Appendix: new" in text and "## 1.2 Old" in text
    assert "See section [1.2](#old) and [1.1](#new)." in text
    assert numbering.renumber_notebooks(tmp_path) == [], "a second run changes nothing"


def test_the_committed_notebooks_are_numbered_in_order():
    assert numbering.renumber_notebooks(write=False) == []


def test_without_its_notebooks_the_package_names_a_section_instead_of_failing(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "PROJECT_ROOT", tmp_path)
    monkeypatch.chdir(tmp_path)
    assert numbering.ref("paired-tests") == "[paired tests](#paired-tests)"


def test_a_page_without_the_headings_gets_the_numbers_without_links():
    text = "the controls of section [6.2](#capacity-control) ([the verdicts table](#verdicts-table))"
    assert numbering.unlink(text, keep=("verdicts-table",)) == (
        "the controls of section 6.2 ([the verdicts table](#verdicts-table))"
    )


def test_no_link_to_a_label_breaks_its_words_across_lines():
    """A link whose words run over a line break is not resolved to "Figure 2" or "Table 7" in the report; its
    words would be printed as they are ("the learning-curves figure")."""
    broken = re.compile(r"\[[^\]\n]*\n[^\]]*\]\(#")
    for path, nb in zip(NOTEBOOKS, notebooks()):
        for text in markdown(nb):
            assert not broken.search(text), f"{path.name}: {broken.search(text).group(0)!r}"
