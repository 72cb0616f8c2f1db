"""Chapter, section, figure and table numbers, from the structure of the notebooks.

Every numbered heading of a notebook carries a label, an anchor on the line before it::

    <a id="paired-tests"></a>
    ## 4.2 Are the differences real?

and the text refers to it by a Markdown link to that label whose text is the number: ``section
[4.2](#paired-tests)``, ``chapter [4](#comparison)`` (the package writes these with ``ref``). A table the
text refers to carries the same kind of anchor before its bold title, and a reference to it is a link whose
text names it (``[the verdicts table](#verdicts-table)``).

Two numberings come from the same structure. In the notebooks, chapter N is the N-th notebook and its
sections are numbered in order (``notebook_numbers``; the typed numbers of the headings are checked against
it by the tests). In the report, sections kept for the notebook only leave no gap, sections moved to an
appendix are numbered within it (A.1, ...), and a notebook whose title is kept for the notebook continues the
chapter before it (``report_numbers``); the report then writes each heading's number and each link's text
from its label (``resolve``), figures and tables being numbered in order of appearance.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import config

#: An anchor that labels the heading or table title after it.
ANCHOR = re.compile(r'<a id="([a-z0-9-]+)"></a>\s*\n')
#: A numbered heading: "# 4. Results" or "## 4.2 Are the differences real?" (the report's own headings, such
#: as its appendices', carry no label and are left as they are).
HEADING = re.compile(r"^(#{1,2}) (\d+)(?:\.(\d+))?\.? (?:Appendix: )?(.+?)\s*$", re.M)
#: A labelled heading: its anchor, then its heading line.
LABELLED_HEADING = re.compile(ANCHOR.pattern + r"(#{1,2}) (\d+)(?:\.(\d+))?\.? (Appendix: )?([^\n]+)")
#: A link to a label: ``[4.2](#paired-tests)``.
LINK = re.compile(r"\[([^\]\n]*)\]\(#([a-z0-9-]+)\)")
REMOVE_CELL_TAG = "remove-cell"
APPENDIX_TAG = "report-appendix"
#: The appendix that holds cells tagged ``report-appendix`` (the source code).
SOURCE_APPENDIX_KEY = "F"


@dataclass(frozen=True)
class Heading:
    label: str
    level: int  # 1: a chapter, 2: a section
    typed: str  # the number the heading's text gives: "4" or "4.2"
    title: str
    notebook: int  # 1-based position of its notebook
    kept: bool  # shown in the report (not tagged for the notebook only)
    appendix: str | None  # the report appendix it moves to


def _source(cell) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def _metadata(cell) -> dict:
    return cell.get("metadata", {}) or {}


def appendix_of(cell) -> str | None:
    """The appendix a cell moves to in the report (``None``: it stays in its chapter)."""
    metadata = _metadata(cell)
    if APPENDIX_TAG in metadata.get("tags", []):
        return SOURCE_APPENDIX_KEY
    return metadata.get("appendix")


def headings(notebooks) -> list[Heading]:
    """Every labelled heading of ``notebooks`` (nbformat nodes or JSON dicts), in reading order."""
    found = []
    for index, nb in enumerate(notebooks, start=1):
        for cell in nb["cells"]:
            if cell["cell_type"] != "markdown":
                continue
            kept = REMOVE_CELL_TAG not in _metadata(cell).get("tags", [])
            for match in LABELLED_HEADING.finditer(_source(cell)):
                label, hashes, chapter, section, _, title = match.groups()
                typed = chapter if section is None else f"{chapter}.{section}"
                found.append(
                    Heading(label, len(hashes), typed, title.strip(), index, kept, appendix_of(cell))
                )
    return found


def notebook_numbers(notebooks) -> dict[str, str]:
    """Label -> number in the notebooks: chapter N is the N-th notebook, its sections numbered in order."""
    numbers, counts = {}, {}
    for heading in headings(notebooks):
        if heading.level == 1:
            numbers[heading.label] = str(heading.notebook)
        else:
            counts[heading.notebook] = counts.get(heading.notebook, 0) + 1
            numbers[heading.label] = f"{heading.notebook}.{counts[heading.notebook]}"
    return numbers


def report_numbers(notebooks) -> dict[str, str]:
    """Label -> number in the report. Sections the report leaves out leave no gap; sections moved to an
    appendix are numbered within it; a notebook whose title the report leaves out continues the chapter
    before it, so two notebooks can make one chapter; chapters are numbered again in order."""
    numbers, counts, chapter_of_notebook = {}, {}, {}
    chapter = 0
    for heading in headings(notebooks):
        if heading.level == 1 and heading.kept and heading.appendix is None:
            chapter += 1
            numbers[heading.label] = str(chapter)
        chapter_of_notebook.setdefault(heading.notebook, max(chapter, 1))
        if heading.level == 1:
            if heading.label not in numbers:
                numbers[heading.label] = str(max(chapter, 1))  # its notebook continues the chapter before it
            chapter_of_notebook[heading.notebook] = max(chapter, 1)
            continue
        if not heading.kept:
            continue
        key = heading.appendix or str(chapter_of_notebook[heading.notebook])
        counts[key] = counts.get(key, 0) + 1
        numbers[heading.label] = f"{key}.{counts[key]}"
    return numbers


@lru_cache(maxsize=4)
def _project_numbers(folder: str, stamp: tuple) -> dict[str, str]:
    notebooks = [json.loads(Path(path).read_text(encoding="utf-8")) for path, _ in stamp]
    return notebook_numbers(notebooks)


def notebooks_folder() -> Path | None:
    """The project's notebooks: beside the package in a clone, else (the package installed with pip) the
    working folder or a ``notebooks`` folder in it or above it; ``None`` when there are none."""
    here = Path.cwd()
    for folder in (
        config.PROJECT_ROOT / "notebooks",
        here,
        *(p / "notebooks" for p in (here, *here.parents)),
    ):
        if any(folder.glob("[0-9][0-9]_*.ipynb")):
            return folder
    return None


def project_numbers(folder: Path | None = None) -> dict[str, str]:
    """``notebook_numbers`` of the project's notebooks (read again when one changes); empty without them."""
    folder = Path(folder) if folder else notebooks_folder()
    if folder is None:
        return {}
    paths = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    return _project_numbers(str(folder), tuple((str(p), p.stat().st_mtime_ns) for p in paths))


def ref(label: str) -> str:
    """A reference to the chapter or section ``label``: its number in the notebooks, linked to its label
    (the report writes its own number in its place)."""
    numbers = project_numbers()
    if not numbers:  # the package without its notebooks: the section named, not numbered
        return f"[{label.replace('-', ' ')}](#{label})"
    if label not in numbers:
        raise ValueError(f"No notebook heading is labelled {label!r}; labels: {', '.join(sorted(numbers))}.")
    return f"[{numbers[label]}](#{label})"


def table_ref(label: str, words: str) -> str:
    """A reference to the table anchored ``label``: ``words`` in the notebooks, "Table N" in the report."""
    return f"[{words}](#{label})"


def anchor(label: str) -> str:
    """The anchor that labels the heading or table title written after it."""
    return f'<a id="{label}"></a>\n'


def _heading(label: str, hashes: str, number: str, title: str) -> str:
    """A labelled heading line: its anchor, then "# 4. Title" or "## 4.2 Title"."""
    return f'<a id="{label}"></a>\n{hashes} {number}{"." if len(hashes) == 1 else ""} {title}'


def renumber_headings(source: str, numbers: dict[str, str]) -> str:
    """Each labelled heading of ``source`` with its number from ``numbers`` (appendix sections lose their
    "Appendix: " prefix, their appendix says it)."""

    def heading(match):
        label, hashes, _, _, _, title = match.groups()
        number = numbers.get(label)
        if number is None:
            return match.group(0)
        return _heading(label, hashes, number, title[:1].upper() + title[1:])

    return LABELLED_HEADING.sub(heading, source)


def resolve(
    text: str, numbers: dict[str, str], tables: dict[str, str] | None = None, *, missing_ok: bool = False
) -> str:
    """Every link to a label in ``text`` with the label's number as its text (a table's label: "Table N").
    Without ``tables`` (before the tables are numbered) a link to any other label is left as it is; with
    them, it is an error: the report does not contain what it points to. With ``missing_ok`` (a fast run,
    which lacks some of the full run's tables) such a link keeps only its words."""

    def link(match):
        words, label = match.groups()
        if label in numbers:
            return f"[{numbers[label]}](#{label})"
        if tables is None:
            return match.group(0)
        if label in tables:
            return f"[{tables[label]}](#{label})"
        if missing_ok:
            return words
        raise ValueError(f"The text refers to #{label} ({words!r}), which the report does not contain.")

    # A link to an appendix's section reads "Appendix B.3", as the contents name it, not "section B.3".
    return _APPENDIX_SECTION.sub(r"Appendix \1", LINK.sub(link, text))


#: "section [B.3](#label)": the word before a link whose number is an appendix's.
_APPENDIX_SECTION = re.compile(r"\b[Ss]ection (\[[A-Z](?:\.\d+)*\]\(#)")


def unlink(text: str, keep: tuple[str, ...] = ()) -> str:
    """``text`` with each link to a label replaced by its words, but for the labels in ``keep`` (for a
    page that does not hold the labelled headings, such as the README)."""
    return LINK.sub(lambda m: m.group(0) if m.group(2) in keep else m.group(1), text)


def renumber_notebooks(folder: Path | None = None, *, write: bool = True) -> list[Path]:
    """Write each labelled heading's number, and the text of each link to a heading, from the notebooks'
    order (``notebook_numbers``): after a section is added, moved or removed, the numbers follow. Returns
    the notebooks that changed (with ``write=False``, that would change)."""
    folder = Path(folder or config.PROJECT_ROOT / "notebooks")
    paths = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    notebooks = [json.loads(path.read_text(encoding="utf-8")) for path in paths]
    numbers = notebook_numbers(notebooks)

    def heading(match):
        label, hashes, _, _, appendix, title = match.groups()
        return _heading(label, hashes, numbers[label], (appendix or "") + title)

    def link(match):
        words, label = match.groups()
        return f"[{numbers[label]}](#{label})" if label in numbers else match.group(0)

    changed = []
    for path, nb in zip(paths, notebooks):
        edited = False
        for cell in nb["cells"]:
            if cell["cell_type"] != "markdown":
                continue
            source = _source(cell)
            new = LINK.sub(link, LABELLED_HEADING.sub(heading, source))
            if new != source:
                cell["source"] = new.splitlines(keepends=True)
                edited = True
        if edited:
            changed.append(path)
            if write:
                path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return changed
