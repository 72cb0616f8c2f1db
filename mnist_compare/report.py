"""The whole report in one command: experiments -> executed notebooks -> HTML and PDF.

``build_report()`` (``python -m mnist_compare report``):

1. runs the experiments that are missing (finished runs are reused);
2. executes ``notebooks/NN_*.ipynb`` top to bottom in fresh kernels (headless: live
   demos are started, checked and closed). A full run writes the executed notebooks
   back to ``notebooks/``; fast mode writes them under ``build/fast/notebooks/``;
3. joins them into one document with a title page and a table of contents and
   exports ``reports/mnist_mlp_vs_cnn.html`` (figures embedded, MathJax inlined, no
   remote scripts) and ``reports/mnist_mlp_vs_cnn.pdf`` (printed by Chromium).
   ``include_code=False`` writes ``mnist_mlp_vs_cnn_no_code.*`` without code cells.
"""

from __future__ import annotations

import base64
import copy
import html
import io
import math
import os
import re
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path

from PIL import Image

from . import config, numbering, storage
from .browser import CHROMIUM_ARGS, chromium_path
from .colab import BADGE_PATTERN, SETUP_MARKER
from .errors import MnistCompareError, first_line
from .experiments import clean_outputs, ensure_results
from .findings import VERDICTS_TABLE, verdict_terms, verdicts_brief_markdown
from .formatting import provenance_line
from .notebook import ensure_models
from .sections import size_seeds

REPORT_STEM = "mnist_mlp_vs_cnn"
#: Notebooks executed side by side (two cores: each notebook spends much of its time starting up).
NOTEBOOK_WORKERS = 2
REPORT_TITLE = "MLP vs CNN on MNIST"
REPORT_SUBTITLE = (
    "A multilayer perceptron and a convolutional network compared over repeated training runs and "
    "against size-matched controls, on MNIST, other writers' digits and synthetic drawings"
)
#: Who wrote the report, as its title page says.
REPORT_AUTHORS = "The mnist-compare contributors"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
MATHJAX_PLACEHOLDER = "<!-- mathjax-inline -->"
MATHJAX_CONFIG = """window.MathJax = {
  tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']], displayMath: [['$$', '$$'], ['\\\\[', '\\\\]']],
        processEscapes: true},
  svg: {fontCache: 'global'},
  options: {enableMenu: false, enableAssistiveMml: true}
};"""
HEADING = re.compile(r"^(#{1,2})\s+(.+?)\s*$", re.M)
#: Printed lines that say how a notebook ran (which file was read, that a headless demo was
#: closed, library logs), not what it found: the notebooks keep them, the report leaves them out.
PLUMBING = re.compile(
    r"^(Read results\.json|Closing server running on port|Headless run:|Mode: |Training the runs|"
    r"WARNING: All log messages|[IWE]\d{4} \d|.*absl::|.*cudart_stub|.*oneDNN custom operations)"
)
SETUP_APPENDIX = "Appendix G. The Setup cell"
#: Cell tags the notebooks use (the names Jupyter Book uses too): a cell tagged ``remove-cell`` is for the
#: notebook only (its goals, Setup, a live demo, what the next cell does) and never reaches the report;
#: ``remove-input`` / ``remove-output`` leave out a cell's code or its output. Cells tagged
#: ``report-appendix`` (the package's source, shown in the chapter where it is used) are moved to an
#: appendix at the end of the report.
REMOVE_CELL_TAGS = frozenset({numbering.REMOVE_CELL_TAG})
REMOVE_INPUT_TAGS = frozenset({"remove-input"})
REMOVE_OUTPUT_TAGS = frozenset({"remove-output"})
APPENDIX_TAG = numbering.APPENDIX_TAG


class ReportError(MnistCompareError):
    """Something the report needs is missing or failed; the message says what to do."""


def notebook_paths(folder: Path | None = None) -> list[Path]:
    """The ordered notebooks ``NN_name.ipynb``."""
    folder = folder or config.NOTEBOOKS_DIR
    paths = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        raise ReportError(f"No notebooks (NN_name.ipynb) in {folder}.")
    return paths


def executed_dir(fast: bool) -> Path:
    """Where executed notebooks go: ``notebooks/`` for a full run, the fast output folder otherwise."""
    return config.output_paths(fast).root / "notebooks" if fast else config.NOTEBOOKS_DIR


def report_paths(fast: bool, include_code: bool = True) -> tuple[Path, Path]:
    stem = REPORT_STEM if include_code else f"{REPORT_STEM}_no_code"
    folder = config.output_paths(fast).reports
    return folder / f"{stem}.html", folder / f"{stem}.pdf"


def clean_notebook(nb):
    """Drop what changes on every run but says nothing (timings, widget state) for clean diffs, and join each
    cell's consecutive printed outputs into one (the kernel splits them at random: same text, new diff)."""
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    CoalesceStreamsPreprocessor().preprocess(nb, {})
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.metadata.pop("collapsed", None)
    return nb


def kernel_environment(*, fast: bool, seed_count: int) -> dict:
    """The environment of the notebook kernels: the report's own settings (mode, seeds, output folder),
    headless, and read-only, so a kernel never trains or rewrites results.json behind the report's back."""
    env = dict(os.environ)
    env.update(
        {
            config.ENV_FAST: "1" if fast else "0",
            "MNIST_COMPARE_HEADLESS": "1",
            config.ENV_SEEDS: str(seed_count),
            config.ENV_READ_ONLY: "1",
        }
    )
    if os.environ.get(config.ENV_OUTPUT):
        env[config.ENV_OUTPUT] = str(config.output_paths(fast).root)
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"  # kernels print no C++ log lines, whatever this process was given
    return env


def execute_notebooks(
    paths, *, fast: bool, seed_count: int, timeout: int = 1800, workers: int = NOTEBOOK_WORKERS, log=print
) -> list[dict]:
    """Run each notebook top to bottom in a fresh kernel, ``workers`` at a time; return [{path, seconds}].

    Notebooks only read what the experiments wrote (``build_report`` trains any missing model
    first), so they can run side by side: much of each is starting Python and TensorFlow.
    """
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    env = kernel_environment(fast=fast, seed_count=seed_count)
    target = executed_dir(fast)
    target.mkdir(parents=True, exist_ok=True)

    def execute(path: Path) -> dict:
        started = time.perf_counter()
        nb = nbformat.read(path, as_version=4)
        # IPC (Unix sockets in a private temporary folder) rather than TCP: nothing readable on the network,
        # and the kernel has no reason to warn that it is.
        sockets = tempfile.TemporaryDirectory(prefix="mnist-compare-kernel-")
        if os.name == "posix":
            manager = KernelManager(kernel_name="python3", transport="ipc", ip=f"{sockets.name}/kernel")
        else:
            manager = KernelManager(kernel_name="python3")
        client = NotebookClient(
            nb,
            km=manager,
            timeout=timeout,
            kernel_name="python3",
            record_timing=False,
            resources={"metadata": {"path": str(path.parent)}},
        )
        try:
            client.execute(env=env)
        except CellExecutionError as error:
            first = str(error).strip().splitlines()
            detail = next((line for line in reversed(first) if line.strip()), "cell failed")
            raise ReportError(f"{path.name} failed: {detail[:300]}") from None
        finally:
            if manager.has_kernel:  # a kernel manager given to the client is the caller's to shut down
                manager.shutdown_kernel()
            sockets.cleanup()
        clean_notebook(nb)
        destination = target / path.name
        storage.write_text(destination, nbformat.writes(nb) + "\n")
        seconds = time.perf_counter() - started
        log(f"Executed {path.name} in {seconds:.1f} s -> {destination}")
        return {"path": destination, "seconds": seconds}

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(execute, paths))


def _anchor_headings(source: str, prefix: str, toc: list, *, first: bool, new_page: bool = True) -> str:
    """Put an anchor before each '#'/'##' heading and collect the entries for the contents; with ``first`` and
    ``new_page`` the cell's title starts a new page in print (results at a glance, each appendix), while the
    chapters run on like a paper's sections."""
    out = []
    position = 0
    for number, match in enumerate(HEADING.finditer(source)):
        level, text = len(match.group(1)), match.group(2)
        anchor = f"{prefix}-{len(toc)}-{number}"  # unique over the whole report
        if text.strip().lower() != "setup":
            toc.append((level, text, anchor))
        css = ' class="report-section-start"' if new_page and first and number == 0 and level == 1 else ""
        out.append(source[position : match.start()])
        out.append(f'<div id="{anchor}"{css}></div>\n\n{match.group(0)}')
        position = match.end()
    out.append(source[position:])
    return "".join(out)


#: A line of a Markdown cell that holds nothing but a heading or an anchor.
_HEADING_LINE = re.compile(r'^(#{1,6} .*|<a id="[^"]*"></a>|<div id="[^"]*"( class="[^"]*")?></div>)$')


def join_lone_headings(cells: list, include_code: bool = True) -> list:
    """A Markdown cell that holds only headings (a chapter's title with no lead-in) joined with the Markdown
    cell after it: in one cell the print rule that keeps a heading with what follows it holds, where a page
    break between two cells would leave the heading alone at the foot of a page. Without ``include_code``
    (no input is shown), a heading before a code cell whose first output is Markdown (the references) goes
    into that output."""
    out: list = []
    for cell in cells:
        previous = out[-1] if out else None
        lone = (
            previous is not None
            and previous.cell_type == "markdown"
            and all(
                _HEADING_LINE.match(line) for line in previous.source.strip().splitlines() if line.strip()
            )
        )
        if lone and cell.cell_type == "markdown":
            previous.source = previous.source.rstrip() + "\n\n" + cell.source
            # The heading now has its text with it: the joined cell keeps with the next only if the text's
            # cell did (a long cell kept with the next is pushed whole to a new page).
            tags = [tag for tag in previous.metadata.get("tags", []) if tag != "keep-with-next"]
            tags += [tag for tag in cell.metadata.get("tags", []) if tag not in tags]
            previous.metadata["tags"] = tags
        elif lone and not include_code and (text := _leading_markdown(cell)) is not None:
            cell.outputs[0]["data"]["text/markdown"] = previous.source.rstrip() + "\n\n" + text
            out[-1] = cell
        else:
            out.append(cell)
    return out


def _leading_markdown(cell) -> str | None:
    """The Markdown text of a code cell's first output, or None when it has none (or is not a code cell)."""
    outputs = (cell.get("outputs") or []) if cell.cell_type == "code" else []
    return _joined(outputs[0].get("data", {}).get("text/markdown")) if outputs else None


def title_page(results: dict) -> str:
    """The title, the subtitle and the dates of the experiments. The full run's seeds and splits are said in
    the Methods, where a reader looks for them; a run on one seed count throughout (no size comparison over
    more seeds) says its count here too, since every table of it has that many."""
    fast = f"<p><strong>{html.escape(config.FAST_LABEL)}</strong></p>" if results.get("fast") else ""
    seeds = len(results["config"]["seeds"])
    count = (
        ""
        if "research" in results and size_seeds.more_seeds(results)
        else f"<p>{seeds} seed{'s' if seeds != 1 else ''} per model, except where marked otherwise.</p>\n"
    )
    return (
        f'<div class="title-page">\n<h1>{REPORT_TITLE}</h1>\n<p>{REPORT_SUBTITLE}</p>\n'
        f"<p>{REPORT_AUTHORS}</p>\n{fast}{count}"
        f"<p>Experiments run {computed_text(results)}.</p>\n</div>"
    )


def computed_text(results: dict) -> str:
    """'2026-11-25', or '2026-11-25 to 2026-11-26' when a research section was computed on a later day than
    the runs (``section_created``)."""
    created = results.get("provenance", {}).get("created", "?")[:10]
    later = max(results.get("research", {}).get("section_created", {}).values(), default="")[:10]
    return created + (f" to {later}" if later and later != created else "")


def last_computed(results: dict) -> str | None:
    """The time the last of the results was computed (the runs, or a research section computed later): the
    PDF's date, so that it never predates a number the PDF prints."""
    times = [results.get("provenance", {}).get("created")]
    times += list(results.get("research", {}).get("section_created", {}).values())
    dated = [(stamp, time) for time in times if (stamp := pdf_date(time))]  # compared in UTC
    return max(dated)[1] if dated else None


COLOPHON_HEADING = "Colophon"


def colophon(results: dict) -> str:
    """The report's last lines: where its numbers come from (the code's version and the run's provenance;
    the date of the last research section computed on another day than the runs)."""
    return (
        f"**{COLOPHON_HEADING}.** Every number, figure and table of ours is read from `results.json` "
        "or computed from it (the bootstrap intervals, the corrected p-values) or from the data set "
        "(its class counts); the original report's numbers are quoted from it. Experiments run "
        f"{computed_text(results)}, the first seeds' runs at {provenance_line(results)}"
        + ". The command `python -m mnist_compare report` rebuilds this document from these results. The "
        f"code, the notebooks and the demo: {config.REPOSITORY_URL}."
    )


def without_plumbing(outputs: list) -> list:
    """``outputs`` without the printed lines that match ``PLUMBING`` (an output left empty is dropped)."""
    kept = []
    for output in outputs:
        if output.get("output_type") == "stream":
            lines = [line for line in output["text"].splitlines(keepends=True) if not PLUMBING.match(line)]
            if not "".join(lines).strip():
                continue
            output = copy.deepcopy(output)
            output["text"] = "".join(lines)
        kept.append(output)
    return kept


def _contents(toc: list, pages: dict | None) -> str:
    def page(anchor):
        number = (pages or {}).get(anchor)
        return f'<span class="toc-page">{number if number else ""}</span>'

    items = "\n".join(
        f'<li class="toc-level-{level}"><a href="#{anchor}"><span class="toc-text">{html.escape(text)}</span>'
        f"{page(anchor)}</a></li>"
        for level, text, anchor in toc
    )
    return f'<div class="report-toc">\n<h2>Contents</h2>\n<ul>\n{items}\n</ul>\n</div>'


#: A table the package renders: a bold title line (after the anchor that labels it, if the text refers to it),
#: a blank line, then the table.
TABLE_TITLE = re.compile(
    r'^(?:<a id="([a-z0-9-]+)"></a>\n)?\*\*(?!Table \d)([^\n]+?)\*\*((?: \[[^\n]*\])?\s*\n\s*\n\s*\|)', re.M
)


def _joined(value):
    """A notebook output's text, which the format allows as one string or a list of lines."""
    return "".join(value) if isinstance(value, list) else value


def number_figures_and_tables(cells: list, tables: dict | None = None) -> list:
    """Number the report's figures and tables in order of appearance.

    A figure is a code cell whose ``caption`` metadata (set in the notebook) describes its image: the image
    and "**Figure N.** caption" become one ``<figure>`` (one block on paper: never a caption without its
    picture); with ``label`` metadata too, a link to that label reads "Figure N". A table is a Markdown
    output that opens with a bold title and a table (what ``tables`` renders): its title becomes
    "**Table N.** title", for every such table of the output; ``tables``, if given, receives "Table N" for
    each labelled table and "Figure N" for each labelled figure (label -> text), for the references to it.
    """
    figures, tables_seen = 0, 0
    for cell in cells:
        if cell.cell_type != "code":
            continue
        caption = cell.metadata.get("caption")
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            text = _joined(data.get("text/markdown"))
            if text and TABLE_TITLE.search(text):

                def numbered(m):
                    nonlocal tables_seen
                    tables_seen += 1
                    label = m.group(1)
                    first = bool(label) and tables is not None and label not in tables
                    if first:
                        tables[label] = (
                            f"Table {tables_seen}"  # a table shown twice: the first is the one cited
                        )
                    anchor = numbering.anchor(label) if first else ""
                    return f"{anchor}**Table {tables_seen}.** **{m.group(2)}**{m.group(3)}"

                data["text/markdown"] = TABLE_TITLE.sub(numbered, text)
            if caption and "image/png" in data:
                figures += 1
                png = _joined(data["image/png"])
                label = cell.metadata.get("label")
                if label and tables is not None:
                    tables.setdefault(label, f"Figure {figures}")
                figure_id = f' id="{html.escape(label, quote=True)}"' if label else ""
                density = _pixel_density(png, output.get("metadata", {}).get("image/png", {}))
                # A PNG of more pixels than its shown size (the inline backend's retina format): the srcset's
                # density keeps the size it is shown at, and the print gets the pixels.
                source = "srcset" if density > 1 else "src"
                suffix = f" {density:g}x" if density > 1 else ""
                output["data"] = {
                    "text/html": (
                        f'<figure class="report-figure"{figure_id}>'
                        f'<img {source}="data:image/png;base64,{png.strip()}{suffix}" '
                        f'alt="{html.escape(caption, quote=True)}">'
                        f"<figcaption><strong>Figure {figures}.</strong> "
                        f"{html.escape(caption)}</figcaption></figure>"
                    )
                }
                output.get("metadata", {}).pop("image/png", None)
                caption = None  # one caption per cell: its first image
    return cells


def _pixel_density(png: str, metadata: dict) -> float:
    """How many pixels of the base64 PNG ``png`` make one pixel of the width its output's ``metadata`` shows
    it at (1 without a width, or for a PNG that cannot be read)."""
    width = metadata.get("width") if isinstance(metadata, dict) else None
    if not width:
        return 1.0
    try:
        with Image.open(io.BytesIO(base64.b64decode(png))) as image:
            pixels = image.width
    except (ValueError, OSError):
        return 1.0
    return round(pixels / float(width), 2)


GLANCE_HEADING = "Results at a glance"
#: The notebook cell (by its ``label`` metadata) that shows the verdicts table with why each verdict was given
#: (``findings.verdicts_brief_markdown`` with the reasons written in the first notebook): the glance page's.
GLANCE_TABLE = "glance-table"
#: The figure (by its ``label``) that plots each verdict test's difference with its interval (in the
#: Discussion's first section, which sums up the findings; the glance page points to it).
GLANCE_FIGURE = "fig-verdict-differences"


def glance_cells(results: dict, toc: list, written: bool = False) -> list:
    """The page after the abstract: one list of the terms the page uses (the models' and crops' names, then
    ``findings.verdict_terms``), then the verdict on each claim of the original report, one line a claim,
    each pointing to the section with its evidence. With ``written`` (a notebook cell labelled
    ``GLANCE_TABLE`` gives the table with its reasons, and ``combine`` puts it last, after the terms), only
    the heading and the terms; else the table without reasons (``findings.verdicts_brief_markdown``) after
    them. Nothing when the results hold no research (a run with ``--no-research``)."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_output

    if not (results.get("summary") and results.get("research")):
        return []
    heading = (
        f"# {GLANCE_HEADING}\n\n[Table 1](#{VERDICTS_TABLE}) gives our verdict on each claim of the "
        "original report and the section with its evidence, after the terms it uses"
        + (
            f". [Figure](#{GLANCE_FIGURE}) (section {numbering.ref('discussion-shows')}) plots the "
            "differences behind the verdicts."
            if written
            else "."
        )
    )
    terms = (
        "**Terms used in Table 1 and throughout.**\n\n"
        "- **MLP controls** ([the models table](#models-table)): a deeper MLP and two MLPs of the CNN's "
        "size. The *parameter-matched MLP* matches the CNN's parameter count; the *compute-matched MLP* "
        "matches its multiply-adds, the products of a weight and an input computed per image. The "
        "*small CNN* has fewer parameters than the MLP.\n"
        "- **The original's crop** and **the centre-of-mass crop** (section "
        f"{numbering.ref('preprocessing-a-drawing')}): the original report's code crops a drawing's ink and "
        "pads it by 20%; our demo's default also centres the ink by its centre of mass, as MNIST does.\n"
    )
    # The words of the verdicts table, in the same list (the table's cell leaves them out).
    terms += verdict_terms(results)
    cells = [
        new_markdown_cell(_anchor_headings(heading, "glance", toc, first=True)),
        new_markdown_cell(terms),
    ]
    if not written:
        verdicts = new_code_cell("findings.verdicts_brief_markdown(results)")
        verdicts.outputs = [
            new_output("display_data", data={"text/markdown": verdicts_brief_markdown(results, terms=False)})
        ]
        cells.append(verdicts)
    return cells


#: The report's appendices, in order: a cell goes to one by its ``appendix`` metadata (its letter); cells
#: tagged ``report-appendix`` go to the source-code appendix.
APPENDICES = {
    "A": "The original report beside ours",
    "B": "Further analyses",
    "C": "Background: the data and the mathematics",
    "D": "Drawings, demo, cost and disagreements",
    "E": "The verdicts' tests, choices and settings",
    "F": "The source of the builders, the training step and the preprocessing",
}
SOURCE_APPENDIX_KEY = numbering.SOURCE_APPENDIX_KEY
#: The notebook cell whose Markdown output is the abstract (written in the first notebook, with its numbers
#: bound to results.json): the report moves it to the title page.
ABSTRACT_TAG = "report-abstract"


def abstract_text(notebooks) -> str:
    """The Markdown output of the cell tagged ``ABSTRACT_TAG`` ("" when there is none or it has not run)."""
    for nb in notebooks:
        for cell in nb.cells:
            if cell.cell_type == "code" and ABSTRACT_TAG in cell.metadata.get("tags", []):
                for output in cell.get("outputs", []):
                    text = _joined(output.get("data", {}).get("text/markdown"))
                    if text:
                        return text.strip()
    return ""


#: The chapter that describes the models and their training (the source appendix points to it).
METHODS_LABEL = "mlp-chapter"
SOURCE_APPENDIX = f"Appendix {SOURCE_APPENDIX_KEY}. {APPENDICES[SOURCE_APPENDIX_KEY]}"


def appendix_key(cell) -> str | None:
    """The appendix a cell belongs to in the report (``None``: the chapter where it stands), checked
    against the report's appendices."""
    key = numbering.appendix_of(cell)
    if key is not None and key not in APPENDICES:
        raise ReportError(
            f"A cell names appendix {key!r}; the report has appendices {', '.join(APPENDICES)}."
        )
    return key


def _resolve_outputs(cell, numbers: dict, tables: dict | None = None, missing_ok: bool = False) -> None:
    """The links to labels in a code cell's Markdown outputs, resolved (``numbering.resolve``), and in its
    figure's caption (``number_figures_and_tables``), where each becomes its plain text: "Table 20"."""
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if "text/markdown" in data:
            text = _joined(data["text/markdown"])
            data["text/markdown"] = numbering.resolve(text, numbers, tables, missing_ok=missing_ok)
        if 'class="report-figure"' in _joined(data.get("text/html", "")):
            text = numbering.resolve(_joined(data["text/html"]), numbers, tables, missing_ok=missing_ok)
            data["text/html"] = numbering.unlink(text)


def _resolve_cell(cell, numbers: dict, tables: dict | None = None, missing_ok: bool = False) -> None:
    if cell.cell_type == "markdown":
        cell.source = numbering.resolve(cell.source, numbers, tables, missing_ok=missing_ok)
    else:
        _resolve_outputs(cell, numbers, tables, missing_ok)


def _with_something_to_show(cells: list) -> list:
    """``cells`` without the code cells that have no output: in the export without code, such a cell would
    only stand between a heading and its text."""
    return [cell for cell in cells if cell.cell_type != "code" or cell.get("outputs")]


def combine(
    notebooks,
    results: dict,
    *,
    include_code: bool = True,
    pages: dict | None = None,
    toc: list | None = None,
    room: dict | None = None,
):
    """One notebook: title page with the abstract, results at a glance, contents, the chapters, appendices.

    Cells tagged for the notebook only (``REMOVE_CELL_TAGS``: goals, Setup, live demos) are left out with
    nbconvert's ``TagRemovePreprocessor``; cells with ``appendix`` metadata (or tagged ``report-appendix``)
    are moved to that appendix; sections are numbered again (``section_numbers``), references in the text
    with them; figures and tables are numbered; the Setup cell (the same in every notebook) is shown once,
    in the last appendix, when the code is; printed plumbing lines are left out. ``pages`` maps each
    heading's anchor to its PDF page (from a first printing); ``toc``, if given a list, receives the
    contents; ``room`` (``float_room`` of an earlier printing) lets text run on ahead of the figures and
    tables it names.
    """
    import nbformat
    from nbconvert.preprocessors import TagRemovePreprocessor
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    toc = [] if toc is None else toc
    toc.clear()
    remover = TagRemovePreprocessor(
        remove_cell_tags=set(REMOVE_CELL_TAGS),
        remove_input_tags=set(REMOVE_INPUT_TAGS),
        remove_all_outputs_tags=set(REMOVE_OUTPUT_TAGS),
        enabled=True,
    )
    written = any(cell.metadata.get("label") == GLANCE_TABLE for nb in notebooks for cell in nb.cells)
    glance = glance_cells(results, toc, written)  # first in the contents
    setup_source = next(
        (
            cell.source
            for nb in notebooks
            for cell in nb.cells
            if cell.cell_type == "code" and cell.source.startswith(SETUP_MARKER)
        ),
        None,
    )
    kept = [remover.preprocess(copy.deepcopy(nb), {})[0] for nb in notebooks]
    numbers = numbering.report_numbers(notebooks)
    for cell in glance:
        _resolve_outputs(cell, numbers)
    cells, appendices = [], {key: [] for key in APPENDICES}
    for index, nb in enumerate(kept, start=1):
        first_markdown = True
        for cell in nb.cells:
            if ABSTRACT_TAG in cell.metadata.get("tags", []):
                continue  # on the title page
            cell = copy.deepcopy(cell)
            key = appendix_key(cell)
            if cell.cell_type == "markdown":
                source = BADGE_PATTERN.sub("", cell.source).replace("\n\n\n", "\n\n")
                cell.source = numbering.resolve(numbering.renumber_headings(source, numbers), numbers)
                if key is None:
                    cell.source = _anchor_headings(
                        cell.source, f"s{index}", toc, first=first_markdown, new_page=False
                    )
                    first_markdown = False
            elif cell.cell_type == "code":
                cell.source = "\n".join(
                    line for line in cell.source.splitlines() if not line.startswith("# NBVAL_")
                )
                cell.outputs = without_plumbing(cell.get("outputs", []))
                _resolve_outputs(cell, numbers)
                if cell.metadata.get("label") == GLANCE_TABLE and glance:
                    # The verdicts table with the reasons written in the first notebook, after the terms.
                    glance.append(cell)
                    continue
            (appendices[key] if key else cells).append(cell)
    if not include_code:
        cells = _with_something_to_show(cells)
    cells = join_lone_headings(cells, include_code)
    if not include_code:  # the source appendix is code: the export without code leaves it out
        appendices[SOURCE_APPENDIX_KEY] = []
    for key, moved in appendices.items():
        if not moved:
            continue
        heading = f"# Appendix {key}. {APPENDICES[key]}"
        if key == SOURCE_APPENDIX_KEY:
            methods = numbers.get(METHODS_LABEL)
            heading += (
                "\n\nThe code a reader may want to check, as the package defines it: the two builders, "
                "the training step and the preprocessing of a drawing"
                + (f" (chapter [{methods}](#{METHODS_LABEL}) describes them)." if methods else ".")
            )
        # The appendices run on after the references, like the chapters (a new page would leave the rest of
        # the references' page blank).
        title = new_markdown_cell(
            _anchor_headings(heading, f"appendix{key}", toc, first=True, new_page=False)
        )
        cells.append(title)
        if not include_code:
            moved = _with_something_to_show(moved)
        for index, cell in enumerate(moved):
            if cell.cell_type == "markdown":
                cell.source = _anchor_headings(cell.source, f"appendix{key}", toc, first=False)
                if index == 0 and key != SOURCE_APPENDIX_KEY:
                    # The appendix's title and its first section's text print as one block, so that the title
                    # never stands alone at the foot of a page (the source appendix's title has a lead-in).
                    title.source += "\n\n" + cell.source
                    title.metadata = cell.metadata
                    continue
            cells.append(cell)
    tables: dict = {}
    cells = number_figures_and_tables(glance + cells, tables)
    if room:
        cells = float_text(cells, room)
    try:
        for cell in cells:
            # A link to what the report does not hold is an error here, but for a fast run's missing tables.
            _resolve_cell(cell, numbers, tables, missing_ok=bool(results.get("fast")))
    except ValueError as error:
        raise ReportError(str(error)) from None
    if setup_source and include_code:
        appendix = (
            f"# {SETUP_APPENDIX}\n\nEvery notebook starts with this cell. It makes the package "
            "importable (in Colab it clones the repository and installs `requirements.txt`), then "
            "`notebook.setup()` picks the mode and the output folders. The report shows it once."
        )
        cells.append(new_markdown_cell(_anchor_headings(appendix, "setup", toc, first=True, new_page=False)))
        cells.append(
            new_code_cell(setup_source, metadata={"tags": ["report-long"]})
        )  # may break across pages
    cells.append(new_markdown_cell(colophon(results)))
    contents = _contents(toc, pages)
    abstract = abstract_text(notebooks)
    if abstract:
        try:
            abstract = numbering.resolve(abstract, numbers, tables, missing_ok=bool(results.get("fast")))
        except ValueError as error:
            raise ReportError(str(error)) from None
        abstract = '<div class="abstract">\n\n## Abstract\n\n' + abstract + "\n\n</div>"
    combined = new_notebook(
        cells=[new_markdown_cell(title_page(results) + "\n\n" + abstract), new_markdown_cell(contents)]
        + cells
    )
    combined.metadata = copy.deepcopy(notebooks[0].metadata)
    combined.metadata["title"] = REPORT_TITLE
    for number, cell in enumerate(combined.cells):
        cell["id"] = f"report-{number:03d}"
    nbformat.validate(combined)
    return combined


#: A figure or table that does not fit at the foot of a page goes whole to the next and leaves the rest of the
#: page blank (Chromium's print engine has no floats). A page whose text ends more than this share of the text
#: area above its foot, before a page that opens with a figure's or table's caption, gets the text after that
#: figure or table moved ahead of it, as a paper's floats let the text run on.
FLOAT_MIN_ROOM = 0.12
FLOAT_PASSES = 5
FLOAT_CAPTION = re.compile(r"^(Figure|Table) (\d+)\.")
#: The estimated height of the report's text, in PDF points: a line of about this many characters, a line's
#: height, the space after a paragraph and a heading's height (10 pt serif on A4 with 2 cm margins).
_LINE_CHARACTERS, _LINE_POINTS, _PARAGRAPH_POINTS, _HEADING_POINTS = 110, 14.5, 7.0, 30.0
#: A figure's caption below its first line, and the space after the figure (points).
_CAPTION_POINTS = 60.0


def float_room(pdf_path: Path) -> dict[str, dict]:
    """{"Figure 7": {"page": 12, "room": points, "height": points}, "Table 2": {..., "height": None}}: each
    figure or table that opens a page after a page whose text ends more than ``FLOAT_MIN_ROOM`` of the text
    area above its foot, with that page, the room left on it and, for a figure, its height (with its caption).
    The foot of the text area is the lowest text of any page (the page numbers below it aside), its head the
    highest; a figure's caption is the first text of its page when the figure opens it (the image above it
    has none)."""
    from pypdf import PdfReader

    pages = []
    for page in PdfReader(str(pdf_path)).pages:
        lines: list = []

        def visit(text, cm, tm, font, size, lines=lines):
            if text.strip():
                x, y = cm[0] * tm[4] + cm[2] * tm[5] + cm[4], cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
                lines.append((round(y), -x, text.strip()))

        page.extract_text(visitor_text=visit)
        footer = min((y for y, _, _ in lines), default=0)
        # The lowest text, and the first text of the page (its top line's leftmost run) with its height.
        body = sorted(line for line in lines if line[0] > footer + 1)
        pages.append((body[0][0], body[-1][0], body[-1][2]) if body else None)
    printed = [page for page in pages if page]
    if len(printed) < 3:
        return {}
    foot, head = min(page[0] for page in printed), max(page[1] for page in printed)
    room = {}
    for number, (page, following) in enumerate(zip(pages, pages[1:]), start=1):
        if not (page and following):
            continue
        caption = FLOAT_CAPTION.match(following[2])
        if caption and (page[0] - foot) / (head - foot) > FLOAT_MIN_ROOM:
            room[f"{caption[1]} {caption[2]}"] = {
                "page": number,
                "room": page[0] - foot,
                "height": head - following[1] + _CAPTION_POINTS if caption[1] == "Figure" else None,
            }
    return room


def _text_points(cell) -> float | None:
    """The estimated printed height of a cell of text (a Markdown cell, or a narrative cell showing only
    Markdown text), or None for a cell that is not plain text (a figure, a table, code, a chapter's title)."""
    if cell.cell_type == "markdown":
        text = cell.source
    elif "remove-input" in cell.metadata.get("tags", []) and cell.get("outputs"):
        texts = [output.get("data", {}).get("text/markdown") for output in cell["outputs"]]
        if not all(texts):
            return None
        text = "\n\n".join(_joined(t) for t in texts)
    else:
        return None
    if (
        "<img" in text
        or "<figure" in text
        or re.search(r"^\s*\|", text, re.M)
        or re.search(r"^# ", text, re.M)
    ):
        return None
    points = 0.0
    for block in re.split(r"\n\s*\n", text.strip()):
        if _HEADING_LINE.match(block.splitlines()[0]):
            points += _HEADING_POINTS
            block = "\n".join(block.splitlines()[1:])
        plain = re.sub(r"<[^>]+>|\]\([^)]*\)", "", block)
        if plain.strip():
            points += math.ceil(len(" ".join(plain.split())) / _LINE_CHARACTERS) * _LINE_POINTS
            points += _PARAGRAPH_POINTS
    return points


def float_text(cells: list, room: dict[str, dict]) -> list:
    """``cells`` with, after each figure or table named in ``room`` (``float_room``), the cells of text that
    follow it moved ahead of it until they fill its room (the last may run on to the next page, where the
    figure or table then follows it). A figure with too little such text after it goes up as well, ahead of
    the text before it, far enough to find its height. Text moves past no table, figure, code or heading (a
    figure or table stays in its section), in the chapters and the appendices alike."""
    out = list(cells)
    for name, gap in room.items():
        kind, number = name.split()
        marks = (f"<strong>{kind} {number}.</strong>", f"**{kind} {number}.**")
        index = next(
            (i for i, cell in enumerate(out) if any(mark in _cell_text(cell) for mark in marks)), None
        )
        if index is None:
            continue
        end, filled = index + 1, 0.0
        while end < len(out) and filled < gap["room"]:
            points = _text_points(out[end])
            if points is None or _opens_section(out[end]):
                break
            filled += points
            end += 1
        if end > index + 1 and filled >= gap["room"]:
            out[index:end] = out[index + 1 : end] + [out[index]]
            continue
        # Too little text after it to fill the room (a table or a heading follows): up, past the paragraphs
        # before it (none with a heading), when the room there holds the figure; else what text there is.
        start, found = index, gap["room"]
        while gap.get("height") and start > 0 and found < gap["height"]:
            points = _text_points(out[start - 1])
            if points is None or _opens_section(out[start - 1]):
                break
            found += points
            start -= 1
        if gap.get("height") and start < index and found >= gap["height"]:
            out[start : index + 1] = [out[index]] + out[start:index]
        elif end > index + 1:
            out[index:end] = out[index + 1 : end] + [out[index]]
    return out


def _opens_section(cell) -> bool:
    """Whether a cell starts with a heading (or its anchor): a figure or table stays in its section."""
    lines = _cell_text(cell).strip().splitlines()
    return bool(lines) and bool(_HEADING_LINE.match(lines[0]))


def _cell_text(cell) -> str:
    """A cell's Markdown source, or its outputs' text (HTML and Markdown) for a code cell."""
    if cell.cell_type == "markdown":
        return cell.source
    return "".join(
        _joined(value)
        for output in cell.get("outputs", [])
        for value in output.get("data", {}).values()
        if isinstance(value, (str, list))
    )


def heading_pages(pdf_path: Path, toc: list) -> dict:
    """The PDF page of each contents entry: the headings are found in order, after the contents pages."""
    import unicodedata

    from pypdf import PdfReader

    def squash(text):  # (NFKC undoes the ligatures "fi", "ff" of the PDF's text)
        return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()

    texts = [squash(page.extract_text() or "") for page in PdfReader(str(pdf_path)).pages]
    wanted = [(anchor, squash(re.sub(r"[*`_]", "", text))) for _, text, anchor in toc]
    # The body starts after the page where the contents list their last entry.
    start = next((i for i, text in enumerate(texts) if "contents" in text), 0)
    last = wanted[-1][1] if wanted else ""
    while start + 1 < len(texts) and last and last not in texts[start]:
        start += 1
    pages, page = {}, start + 1
    for anchor, text in wanted:
        found = next((i for i in range(page, len(texts)) if text[:60] in texts[i]), None)
        if found is not None:
            pages[anchor] = found + 1
            page = found
    return pages


def mathjax_script() -> str:
    """MathJax 3 (SVG output, a single file) from the installed ``django-static-mathjax`` package."""
    try:
        source = resources.files("mathjax") / "static" / "mathjax" / "es5" / "tex-svg.js"
        code = source.read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        raise ReportError(
            "MathJax is not installed; run `pip install django-static-mathjax` (it is in requirements.txt)."
        ) from None
    return f"<script>\n{MATHJAX_CONFIG}\n</script>\n<script>\n{code}\n</script>"


def export_html(nb, path: Path, *, include_code: bool = True) -> Path:
    """Self-contained HTML: embedded figures, MathJax inlined, no remote scripts."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="report",
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        embed_images=True,
        exclude_input=not include_code,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": REPORT_TITLE}})
    if MATHJAX_PLACEHOLDER not in body:
        raise ReportError("The report template did not leave room for MathJax; is the template installed?")
    body = body.replace(MATHJAX_PLACEHOLDER, mathjax_script(), 1)
    storage.write_text(path, print_tables(body))
    return path


#: A numbered table's title paragraph and the table after it.
TITLED_TABLE = re.compile(
    r"<p>((?:<a id=\"[^\"]+\"></a>\s*)?<strong>Table \d+\.</strong>.*?)</p>\s*<table>", re.S
)
TABLE_CELL = re.compile(r"(<td[^>]*>)(.*?)(</td>)", re.S)


def _unbreakable(cell: str) -> str:
    """A cell's "97.65 ± 0.19" and "+1.03 [0.81, 1.26]" with no-break spaces: a number, its spread and its
    interval wrap as one, never at "±" or inside the brackets."""
    cell = cell.replace(" ± ", "&nbsp;±&nbsp;")
    cell = re.sub(r"(\d) / (\d)", "\\1&nbsp;/&nbsp;\\2", cell)  # "18.5 / 20.2": two numbers read as a pair
    cell = re.sub(r"(\S) \[", "\\1&nbsp;[", cell)
    cell = cell.replace("] pp", "]&nbsp;pp")  # a unit stays with its number
    return re.sub(r"\[([^\]\s]+), ([^\]\s]+)\]", "[\\1,&nbsp;\\2]", cell)


#: A hyphen-minus that is a negative number's sign: before a digit, not after a letter, digit, point, % or °
#: (ranges such as 0.5-1.5 or 20%-80%, layer sizes such as 784-128-10 and dates keep their hyphens).
NEGATIVE = re.compile(r"(?<![\w.\-−/%°])-(?=\d)")
#: The parts of an HTML body that are markup or code, not text (left as they are).
NOT_TEXT = re.compile(r"(<(style|script|pre|code)\b.*?</\2>|<[^>]+>)", re.S | re.I)


def minus_signs(body: str) -> str:
    """A negative number's sign printed as a minus (−), as every difference's "CNN − MLP" is, in the text
    of the page only (not in its markup, styles, scripts or code)."""
    out, index = [], 0
    for match in NOT_TEXT.finditer(body):
        out.append(NEGATIVE.sub("−", body[index : match.start()]))
        out.append(match.group(0))
        index = match.end()
    out.append(NEGATIVE.sub("−", body[index:]))
    return "".join(out)


TABLE_BODY = re.compile(r"<tbody>(.*?)</tbody>", re.S)
TABLE_ROW = re.compile(r"<tr>(.*?)</tr>", re.S)


def _widened(cells: list) -> str:
    """A row's cells (open tag, text, close tag) joined, each empty cell after one with text widening that one
    (a note with no value takes the value's column too); a cell spanning rows is never widened into."""
    out, index = [], 0
    while index < len(cells):
        o, text, c = cells[index]
        span = 1
        while (
            text.strip()
            and index + span < len(cells)
            and not cells[index + span][1].strip()
            and "rowspan" not in cells[index + span][0]
        ):
            span += 1
        out.append((o[:-1] + f' colspan="{span}">' if span > 1 else o) + text + c)
        index += span
    return "".join(out)


def merge_continued_rows(body: str) -> str:
    """A table row whose first cell is empty continues the row above it (one claim's measurements, one per
    row): the group's first row spans it with each cell that is empty in all the rows that continue it (the
    claim, its verdict), a note with no value spans the value's column, and the rows that continue the first
    are marked ``continued`` for the print style. Tables without such rows are left as they are."""

    def merged(match: re.Match) -> str:
        rows = [
            [cell.groups() for cell in TABLE_CELL.finditer(row.group(1))]
            for row in TABLE_ROW.finditer(match.group(1))
        ]
        if not any(row and not row[0][1].strip() for row in rows[1:]):
            return match.group(0)
        groups: list[list] = []
        for row in rows:
            if groups and row and not row[0][1].strip():
                groups[-1].append(row)
            else:
                groups.append([row])
        out = []
        for head, *rest in groups:
            spanned = {
                index
                for index, cell in enumerate(head)
                if rest
                and cell[1].strip()
                and all(len(row) == len(head) and not row[index][1].strip() for row in rest)
            }
            span = f' rowspan="{len(rest) + 1}">'
            out.append(
                "<tr>"
                + _widened(
                    [(o[:-1] + span if i in spanned else o, text, c) for i, (o, text, c) in enumerate(head)]
                )
                + "</tr>"
            )
            out += [
                '<tr class="continued">'
                + _widened([cell for i, cell in enumerate(row) if i not in spanned])
                + "</tr>"
                for row in rest
            ]
        return "<tbody>\n" + "\n".join(out) + "\n</tbody>"

    return TABLE_BODY.sub(merged, body)


def print_tables(body: str) -> str:
    """Tables made for print: each numbered title becomes its table's caption (so the print style keeps
    title and table on one page), a row that continues the one above is spanned by it, no cell wraps inside
    a number with its spread or interval, and negative numbers carry a minus sign."""
    body = TITLED_TABLE.sub(r"<table><caption>\1</caption>", body)
    body = merge_continued_rows(body)
    body = TABLE_CELL.sub(lambda m: m.group(1) + _unbreakable(m.group(2)) + m.group(3), body)
    return minus_signs(body)


FOOTER = (
    '<div style="font-size: 8px; width: 100%; text-align: center; color: #555;">'
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)


#: The dates Chromium writes into a PDF's information dictionary: D:YYYYMMDDHHMMSS+00'00' (UTC).
PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \((D:\d{14}\+00'00')\)")


def pdf_date(created: str | None) -> bytes | None:
    """``results.json``'s creation time (ISO 8601, e.g. 2026-11-23T18:29:55+0000) as a PDF date in UTC."""
    from datetime import datetime, timezone

    if not created:
        return None
    try:
        moment = datetime.strptime(str(created), "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None
    return moment.astimezone(timezone.utc).strftime("D:%Y%m%d%H%M%S+00'00'").encode()


def pin_pdf_dates(data: bytes, stamp: bytes | None) -> bytes:
    """``data`` with its creation and modification dates set to ``stamp``, so that printing the same
    report again gives the same bytes. Each date keeps its length, so the file's offsets stay right."""
    if not stamp:
        return data
    return PDF_DATE.sub(
        lambda m: b"/" + m.group(1) + b" (" + stamp + b")" if len(stamp) == len(m.group(2)) else m.group(0),
        data,
    )


#: The ids Chromium gives the elements of a tagged PDF's structure tree: numbered from where a counter stood
#: in that browser session, so the same page printed twice gets ids that differ by an offset.
PDF_NODE_ID = re.compile(rb"node\d{8}")


def pin_pdf_node_ids(data: bytes) -> bytes:
    """``data`` with its structure-tree ids numbered from 0 in their own order (the order the id tree is
    sorted by), so that printing the same report again gives the same bytes; each id keeps its length."""
    ids = {old: b"node%08d" % number for number, old in enumerate(sorted(set(PDF_NODE_ID.findall(data))))}
    return PDF_NODE_ID.sub(lambda m: ids[m.group(0)], data)


def export_pdf(
    html_path: Path, pdf_path: Path, *, timeout_ms: int = 120_000, created: str | None = None
) -> dict:
    """Print the HTML with Chromium (Debian's /usr/bin/chromium, else Playwright's own).

    Every request that is not a local file is blocked and counted, so the PDF shows
    what an offline reader sees. ``created`` (the results' creation time) becomes the PDF's
    creation and modification date, so the same results print to the same bytes.
    """

    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ReportError(
            "The PDF needs Playwright: pip install playwright (and a Chromium, "
            "e.g. apt-get install chromium)."
        ) from None
    blocked: list[str] = []

    def route(route_):
        url = route_.request.url
        if url.startswith(("file:", "data:", "blob:", "about:")):
            route_.continue_()
        else:
            blocked.append(url)
            route_.abort()

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
            )
            try:
                page = browser.new_page()
                page.route("**/*", route)
                page.goto(Path(html_path).resolve().as_uri(), wait_until="load", timeout=timeout_ms)
                page.wait_for_function(
                    "() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=timeout_ms
                )
                page.evaluate("() => MathJax.startup.promise")
                rendered = page.evaluate("() => document.querySelectorAll('mjx-container').length")
                # The HTML folds each cell's code under "Code"; on paper it is shown unfolded.
                page.evaluate(
                    "() => document.querySelectorAll('details.report-code').forEach((d) => { d.open = true; "
                    "})"
                )
                page.emulate_media(media="print")
                with storage.atomic_path(pdf_path) as tmp:
                    page.pdf(
                        path=str(tmp),
                        format="A4",
                        print_background=True,
                        prefer_css_page_size=True,
                        outline=True,
                        tagged=True,
                        display_header_footer=True,
                        header_template="<span></span>",
                        footer_template=FOOTER,
                        margin={"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"},
                    )
                    tmp.write_bytes(pin_pdf_node_ids(pin_pdf_dates(tmp.read_bytes(), pdf_date(created))))
            finally:
                browser.close()
    except PlaywrightError as error:
        line = first_line(error)
        raise ReportError(
            f"Chromium could not print the PDF ({line[:200]}). Install a Chromium "
            "(apt-get install chromium, or `playwright install chromium`)."
        ) from None
    return {
        "pdf": pdf_path,
        "equations": rendered,
        "blocked_requests": blocked,
        "pages": pdf_page_count(pdf_path),
    }


def pdf_page_count(path: Path) -> int:
    """Pages of a PDF written by Chromium (counts its /Type /Page objects)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", Path(path).read_bytes()))


#: The modules the export needs beyond the notebooks' own requirements (requirements-report.txt).
REPORT_MODULES = {
    "nbformat": "nbformat",
    "nbclient": "nbclient",
    "nbconvert": "nbconvert",
    "ipykernel": "ipykernel",
    "mathjax": "django-static-mathjax",
    "pypdf": "pypdf",
}


def check_report_tools(pdf: bool = True) -> None:
    """Stop with one line naming what to install when a tool the export needs is missing."""
    from importlib.util import find_spec

    needed = dict(REPORT_MODULES, **({"playwright": "playwright"} if pdf else {}))
    missing = [package for module, package in needed.items() if find_spec(module) is None]
    if missing:
        raise ReportError(
            f"The report needs {', '.join(missing)} (the report tools, not needed by the notebooks "
            "or the demo): pip install -r requirements-report.txt, or run `make report`."
        )


def build_report(
    *,
    fast: bool | None = None,
    include_code: bool = True,
    execute: bool = True,
    seed_count: int | None = None,
    timeout: int = 1800,
    pdf: bool = True,
    log=print,
) -> dict:
    """Experiments (only the missing ones), notebooks, HTML and PDF. Returns paths and timings.

    The output folder is locked for the whole job; the notebook kernels get this call's mode,
    seed count and output folder, and only read.
    """

    check_report_tools(pdf)
    fast = config.fast_mode(fast)
    started = time.perf_counter()
    output = config.output_paths(fast).make()
    with storage.output_lock(output.root, what="report"):
        clean_outputs(output)
        # --no-execute only re-exports: it never trains.
        results = ensure_results(seed_count=seed_count, fast=fast, log=log, train=execute)
        experiments_seconds = time.perf_counter() - started
        outcome = _notebooks_and_export(
            results, fast=fast, include_code=include_code, execute=execute, timeout=timeout, pdf=pdf, log=log
        )
    outcome["experiments_seconds"] = experiments_seconds
    outcome["seconds"] = time.perf_counter() - started
    return outcome


def _notebooks_and_export(
    results: dict, *, fast: bool, include_code: bool, execute: bool, timeout: int, pdf: bool, log
) -> dict:
    import nbformat

    sources = notebook_paths()
    if execute:
        ensure_models(fast=fast)  # here, so that no two notebooks train the same model side by side
        executed = execute_notebooks(
            sources, fast=fast, seed_count=len(results["config"]["seeds"]), timeout=timeout, log=log
        )
        paths = [item["path"] for item in executed]
    else:
        executed = []
        paths = [executed_dir(fast) / p.name for p in sources]
        missing = [p for p in paths if not p.is_file()]
        if missing:
            raise ReportError(f"{missing[0]} has not been executed yet; run without --no-execute.")
    notebooks = [nbformat.read(p, as_version=4) for p in paths]
    html_path, pdf_path = report_paths(fast, include_code)
    toc: list = []
    export_html(
        combine(notebooks, results, include_code=include_code, toc=toc), html_path, include_code=include_code
    )
    outcome = {
        "html": html_path,
        "notebooks": [{"name": Path(item["path"]).name, "seconds": item["seconds"]} for item in executed],
    }
    if pdf:
        # A first printing shows which figures and tables left the foot of a page blank; up to FLOAT_PASSES
        # printings let text run on ahead of them (each filling the gaps the one before it left). The last of
        # these tells on which page each heading lands, and a final printing puts those page numbers in the
        # contents (which take the same room both times).
        created = last_computed(results)
        printed = export_pdf(html_path, pdf_path, created=created)
        room: dict = {}
        for _ in range(FLOAT_PASSES):
            # A gap found again (its figure did not move, or the pages before it changed) is measured anew.
            more = {name: gap for name, gap in float_room(pdf_path).items() if room.get(name) != gap}
            if not more:
                break
            room.update(more)
            export_html(
                combine(notebooks, results, include_code=include_code, toc=toc, room=room),
                html_path,
                include_code=include_code,
            )
            printed = export_pdf(html_path, pdf_path, created=created)
        pages = heading_pages(pdf_path, toc)
        export_html(
            combine(notebooks, results, include_code=include_code, pages=pages, toc=toc, room=room),
            html_path,
            include_code=include_code,
        )
        printed = export_pdf(html_path, pdf_path, created=created)
        if printed["blocked_requests"]:
            log(
                f"Note: the page asked for {len(printed['blocked_requests'])} remote resource(s), which were "
                f"blocked: {printed['blocked_requests'][:3]}"
            )
        log(
            f"Wrote {pdf_path} ({printed['pages']} pages, {printed['equations']} equations rendered, "
            f"{len(pages)} of {len(toc)} contents entries with a page number)"
        )
        outcome.update(printed, contents_pages=pages)
    log(f"Wrote {html_path} ({html_path.stat().st_size / 1e6:.1f} MB)")
    return outcome
