"""The report export: combining notebooks, and a real fast-mode export checked with poppler."""

import copy
import os
import re
import shutil
import subprocess

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from mnist_compare import config, numbering, report, storage
from mnist_compare.browser import chromium_path
from mnist_compare.metrics import format_mean_std

NOTEBOOK_ONLY = {"tags": ["remove-cell"]}


def tiny_notebooks():
    first = new_notebook(
        cells=[
            new_markdown_cell("# 1. Intro\n\ntext"),
            new_markdown_cell("**Goals of this notebook**\n- one", metadata=NOTEBOOK_ONLY),
            new_markdown_cell("## Setup", metadata=NOTEBOOK_ONLY),
            new_code_cell("# NBVAL_CHECK_OUTPUT\nx = 1"),
            new_markdown_cell("## 1.1 Data\n\nmore\n\n## Conclusions"),
        ]
    )
    second = new_notebook(cells=[new_markdown_cell("# 2. Models"), new_code_cell("y = 2")])
    return [first, second]


RESULTS = {
    "fast": False,
    "config": {"seeds": [0, 1]},
    "provenance": {
        "created": "2026-01-02T00:00:00",
        "git": {"commit": "abcdef1234567"},
        "split_sizes": {"train": 54000, "validation": 6000, "test": 10000},
    },
}


def test_combine_adds_title_page_contents_and_anchors_in_order():
    combined = report.combine(tiny_notebooks(), RESULTS)
    title, contents = combined.cells[0].source, combined.cells[1].source
    # A run with one seed count throughout says it on the title page; no commit hash there.
    assert "title-page" in title and "2 seeds" in title and "abcdef1234" not in title
    entries = re.findall(r'href="#([^"]+)"><span class="toc-text">([^<]+)<', contents)
    assert [text for _, text in entries] == ["1. Intro", "1.1 Data", "Conclusions", "2. Models"]
    body = "\n".join(cell.source for cell in combined.cells[2:])
    for anchor, _ in entries:
        assert f'<div id="{anchor}"' in body
    assert body.count("report-section-start") == 0, "chapters run on like a paper's sections"
    assert "NBVAL_CHECK_OUTPUT" not in body, "test markers are not part of the report"
    assert len({anchor for anchor, _ in entries}) == len(entries), "anchors are unique"


def test_the_full_runs_title_page_leaves_the_seeds_to_the_methods():
    """The committed results count their seeds per study (20 for the verdicts, 5 for some side studies): the
    Methods say which, so the title page gives only the title and the dates."""
    results = storage.read_json(config.REPORTS_DIR / "results.json")
    title = report.title_page(results)
    assert "seeds" not in title and f"Experiments run {report.computed_text(results)}." in title


def test_combine_without_code_drops_the_setup_headings():
    combined = report.combine(tiny_notebooks(), RESULTS, include_code=False)
    assert not any(cell.source.strip() == "## Setup" for cell in combined.cells)
    assert not any("Goals of this notebook" in cell.source for cell in combined.cells), "tagged remove-cell"


def test_cells_tagged_for_the_appendix_move_to_the_end_and_tagged_inputs_and_outputs_go():
    from nbformat.v4 import new_output

    shown = new_code_cell("notebook.show_source(build)", metadata={"tags": ["report-appendix"]})
    shown.outputs = [new_output("display_data", data={"text/markdown": "def build(): ..."})]
    quiet = new_code_cell("secret = 1", metadata={"tags": ["remove-input"]})
    silent = new_code_cell("print('noise')", metadata={"tags": ["remove-output"]})
    silent.outputs = [new_output("stream", name="stdout", text="noise\n")]
    notebooks = tiny_notebooks()
    notebooks[0].cells[4:4] = [
        new_markdown_cell("The builder:", metadata={"tags": ["report-appendix"]}),
        shown,
        quiet,
        silent,
    ]
    without_code = report.combine(copy.deepcopy(notebooks), RESULTS, include_code=False)
    assert not any(report.SOURCE_APPENDIX in cell.source for cell in without_code.cells), "no code, no source"
    assert not any(cell.source == "The builder:" for cell in without_code.cells)
    combined = report.combine(notebooks, RESULTS, include_code=True)
    sources = [cell.source for cell in combined.cells]
    appendix = next(i for i, source in enumerate(sources) if i > 1 and report.SOURCE_APPENDIX in source)
    assert sources[appendix + 1 : appendix + 3] == ["The builder:", "notebook.show_source(build)"]
    assert appendix > next(i for i, source in enumerate(sources) if "# 2. Models" in source)
    cell = next(c for c in combined.cells if c.source == "secret = 1")
    assert cell.metadata.get("transient", {}).get("remove_source"), (
        "remove-input: the exporter leaves the code out"
    )
    cell = next(c for c in combined.cells if c.source == "print('noise')")
    assert cell.outputs == [], "remove-output"
    assert report.SOURCE_APPENDIX in combined.cells[1].source, "the appendix is in the contents"


def test_the_abstract_is_the_tagged_cells_output_and_the_provenance_is_in_the_colophon():
    from nbformat.v4 import new_output

    notebooks = tiny_notebooks()
    abstract = new_code_cell("notebook.show(...)", metadata={"tags": ["remove-input", report.ABSTRACT_TAG]})
    abstract.outputs = [new_output("display_data", data={"text/markdown": "We compare two models."})]
    notebooks[0].cells.insert(1, abstract)
    combined = report.combine(notebooks, RESULTS, include_code=False)
    title = combined.cells[0].source
    assert "## Abstract" in title and "We compare two models." in title
    assert "abcdef1234" not in title, "no commit on the title page"
    assert sum("We compare two models." in cell.source for cell in combined.cells) == 1, "said once"
    assert "abcdef1234" in combined.cells[-1].source and report.COLOPHON_HEADING in combined.cells[-1].source
    colophon = combined.cells[-1].source
    assert " to 20" not in colophon.split("Experiments run")[1][:20], "no later section: one date"


def test_the_colophon_dates_a_research_section_computed_after_the_runs():
    results = copy.deepcopy(RESULTS)
    created = results["provenance"]["created"]
    results.setdefault("research", {})["section_created"] = {"a": created, "b": "2099-01-02T00:00:00+0000"}
    text = report.colophon(results)
    assert f"Experiments run {created[:10]} to 2099-01-02" in text
    assert f"Experiments run {report.computed_text(results)}." in report.title_page(results), (
        "the title page too"
    )


def test_the_committed_report_holds_none_of_the_notebooks_scaffolding():
    """What only a notebook needs is tagged out of the report (nbconvert's TagRemovePreprocessor)."""
    text = (config.REPORTS_DIR / "mnist_mlp_vs_cnn_no_code.html").read_text(encoding="utf-8")
    for phrase in (
        "Goals of this notebook",
        "The next cell",
        "app.close()",
        "Rendered from",
        "runs unattended",
        "--share",
        "browser journey",
        "Open In Colab",
    ):
        assert phrase not in text, phrase
    assert not re.search(r"part \d of 8", text), "the notebooks' place in the series"


def test_the_html_inlines_mathjax_and_loads_nothing_remote(tmp_path):
    path = report.export_html(report.combine(tiny_notebooks(), RESULTS), tmp_path / "r.html")
    text = path.read_text(encoding="utf-8")
    assert "MathJax" in text and len(text) > 1_000_000, "MathJax is inlined"
    assert re.findall(r"<script[^>]*\bsrc=", text) == [], "no script is loaded from anywhere"
    assert re.findall(r"<link[^>]*\bhref=\"https?:", text) == []


pdf_tools = all(shutil.which(tool) for tool in ("pdftoppm", "pdftotext")) and chromium_path() is not None
needs_pdf_tools = pytest.mark.skipif(
    not pdf_tools and not os.environ.get("REQUIRE_PDF_TEST"),
    reason="needs Chromium and poppler-utils (pdftoppm, pdftotext); CI installs them",
)


@needs_pdf_tools
@pytest.mark.slow
def test_fast_report_export_end_to_end(isolated_outputs, fast_template, tmp_path, monkeypatch):
    """From a finished fast run (the session's, which the kill trials of test_faults.py share): every notebook
    executed, then the HTML and the PDF, then the variant without code."""
    monkeypatch.delenv("MNIST_COMPARE_HEADLESS", raising=False)
    shutil.copytree(fast_template, isolated_outputs, dirs_exist_ok=True)
    outcome = report.build_report(fast=True, seed_count=1, timeout=900, log=lambda *_: None)
    html_path, pdf_path = report.report_paths(True)
    assert outcome["html"] == html_path and html_path.is_file() and pdf_path.is_file()
    assert [item["name"] for item in outcome["notebooks"]] == [p.name for p in report.notebook_paths()]
    assert outcome["blocked_requests"] == [], "the page asked for something remote"
    assert outcome["equations"] >= 4, (
        "the equations were typeset (the ECE and temperature scaling, display and inline)"
    )
    numbers = list(outcome["contents_pages"].values())
    assert len(numbers) >= 40 and numbers == sorted(numbers) and numbers[0] >= 2, (
        "the contents give a page for (nearly) every heading, in order"
    )

    # Every page renders to an image.
    pages = tmp_path / "pages"
    pages.mkdir()
    subprocess.run(["pdftoppm", "-r", "20", "-png", str(pdf_path), str(pages / "page")], check=True)
    assert len(list(pages.glob("page-*.png"))) == outcome["pages"] >= 10

    # The PDF's text holds the results table with the numbers of results.json.
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf_path), "-"], check=True, capture_output=True, text=True
    ).stdout
    from mnist_compare.experiments import load_results

    results = load_results(fast=True)
    assert config.FAST_LABEL in text
    for name in ("mlp", "cnn"):
        for key, percent, digits in (
            ("test_accuracy", True, 2),
            ("train_accuracy", True, 2),
            ("test_loss", False, 4),
        ):
            value = format_mean_std(results["summary"][name]["1"][key], percent=percent, digits=digits)
            assert value in text, f"{name} {key} {value} is not in the PDF"
    assert "The original report's measures over seeds" in text and "mean ± std over 1 seed" in text
    # One row per metric and snapshot: each model's value and the paired difference (no interval over 1 seed).
    assert re.search(r"Test accuracy \(%\)\s+1\s", text), "a row per metric and snapshot"
    assert "CNN − MLP paired by seed" in text and "n/a (1 seed)" in text

    # The executed notebooks went to the fast output folder, not to notebooks/.
    assert (isolated_outputs / "notebooks" / "02_mlp.ipynb").is_file()

    # The findings-only variant, from the same executed notebooks.
    outcome = report.build_report(
        fast=True, seed_count=1, include_code=False, execute=False, pdf=False, log=lambda *_: None
    )
    no_code = outcome["html"].read_text(encoding="utf-8")
    assert outcome["html"].name == "mnist_mlp_vs_cnn_no_code.html"
    assert "notebook.ensure_results()" not in no_code
    assert "measures over seeds: train and test accuracy" in no_code


def test_the_setup_cell_is_shown_once_in_an_appendix_and_plumbing_lines_are_left_out():
    from nbformat.v4 import new_output

    from mnist_compare.colab import SETUP_MARKER

    setup = f"{SETUP_MARKER}, then start the session.\ncontext = notebook.setup()"
    notebooks = []
    for number in (1, 2):
        cell = new_code_cell("results = notebook.ensure_results()")
        cell.outputs = [
            new_output(
                "stream",
                name="stdout",
                text="Read results.json: 5 seed(s); nothing to train.\nMLP: 101,770 parameters\n",
            ),
            new_output(
                "stream",
                name="stdout",
                text="Closing server running on port: 7860\nHeadless run: the demo started\n",
            ),
        ]
        notebooks.append(
            new_notebook(
                cells=[
                    new_markdown_cell(f"# {number}. Part"),
                    new_markdown_cell("## Setup", metadata=NOTEBOOK_ONLY),
                    new_code_cell(setup, metadata=NOTEBOOK_ONLY),
                    cell,
                ]
            )
        )
    combined = report.combine(notebooks, RESULTS)
    sources = [cell.source for cell in combined.cells]
    assert sum(SETUP_MARKER in source for source in sources) == 1, "the Setup cell appears once"
    assert sources[-2].startswith(SETUP_MARKER) and report.SETUP_APPENDIX in sources[-3]
    assert sources[-1].startswith(f"**{report.COLOPHON_HEADING}.**"), "the colophon closes the report"
    assert not any(source.strip() == "## Setup" for source in sources)
    printed = [
        output["text"] for cell in combined.cells if cell.cell_type == "code" for output in cell.outputs
    ]
    assert printed == ["MLP: 101,770 parameters\n", "MLP: 101,770 parameters\n"], printed
    contents = combined.cells[1].source
    assert report.SETUP_APPENDIX in contents
    anchors = re.findall(r'href="#([^"]+)"', contents)
    assert len(anchors) == len(set(anchors)) == 3, "every contents entry has its own anchor"


def test_contents_show_the_page_numbers_they_are_given():
    toc = []
    report.combine(tiny_notebooks(), RESULTS, toc=toc)
    pages = {anchor: 3 + number for number, (_, _, anchor) in enumerate(toc)}
    contents = report.combine(tiny_notebooks(), RESULTS, pages=pages).cells[1].source
    assert re.findall(r'class="toc-page">(\d*)<', contents) == ["3", "4", "5", "6"]


def test_pdf_dates_come_from_the_results_so_a_reprint_gives_the_same_bytes():
    from mnist_compare import report

    stamp = report.pdf_date("2026-11-23T18:29:55+0100")
    assert stamp == b"D:20261123172955+00'00'"  # in UTC, as Chromium writes it
    printed = (
        b"<</Creator (HeadlessChrome)\n/CreationDate (D:20261124010203+00'00')\n"
        b"/ModDate (D:20261124010203+00'00')>>\nxref 0 1"
    )
    pinned = report.pin_pdf_dates(printed, stamp)
    assert len(pinned) == len(printed), "offsets in the xref table stay right"
    assert pinned.count(b"(D:20261123172955+00'00')") == 2 and b"20261124" not in pinned
    assert report.pin_pdf_dates(pinned, stamp) == pinned
    assert report.pdf_date(None) is None and report.pin_pdf_dates(printed, None) == printed
    # The PDF's date is that of the last result computed, a research section's when it came later.
    results = {
        "provenance": {"created": "2026-11-25T16:27:44+0000"},
        "research": {"section_created": {"a": "2026-11-26T05:11:59+0000", "b": "2026-11-26T01:00:00+0100"}},
    }
    assert report.last_computed(results) == "2026-11-26T05:11:59+0000"
    assert report.last_computed({"provenance": {}}) is None


def test_a_figure_of_twice_the_pixels_keeps_its_shown_size_in_the_report():
    import base64
    import io

    from PIL import Image

    from mnist_compare import notebook

    buffer = io.BytesIO()
    Image.new("RGB", (200, 100), "white").save(buffer, format="PNG")
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    assert report._pixel_density(png, {"width": 100, "height": 50}) == 2
    assert report._pixel_density(png, {}) == 1, "no shown width: one pixel per pixel"
    assert report._pixel_density("not a png", {"width": 100}) == 1
    figure = new_code_cell("figure = plots.plot_x(results)", metadata={"caption": "Sharp."})
    figure.outputs = [
        new_output(
            "display_data",
            data={"image/png": png, "text/plain": "<Figure>"},
            metadata={"image/png": {"width": 100, "height": 50}},
        )
    ]
    notebooks = tiny_notebooks()
    notebooks[1].cells.append(figure)
    html = next(
        o["data"]["text/html"]
        for c in report.combine(notebooks, RESULTS).cells
        if c.cell_type == "code"
        for o in c.outputs
        if "text/html" in o.get("data", {})
    )
    assert f'<img srcset="data:image/png;base64,{png} 2x"' in html, html[:120]
    notebook.sharp_inline_figures()  # outside a kernel: nothing to set, and no error


def test_figures_get_numbered_captions_and_tables_numbered_titles():
    from nbformat.v4 import new_output

    figure = new_code_cell("figure = plots.plot_x(results)", metadata={"caption": "What the figure shows."})
    figure.outputs = [
        new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})
    ]
    table = new_code_cell("notebook.show(tables.x(results))")
    table.outputs = [
        new_output(
            "display_data", data={"text/markdown": "**Accuracy (%)**\n\n| a | b |\n|---|---|\n| 1 | 2 |"}
        )
    ]
    plain = new_code_cell("notebook.show(text)")
    plain.outputs = [new_output("display_data", data={"text/markdown": "**Bold** words, no table."})]
    notebooks = tiny_notebooks()
    notebooks[1].cells += [figure, table, plain, copy.deepcopy(figure), copy.deepcopy(table)]
    cells = report.combine(notebooks, RESULTS).cells
    figures = [
        o["data"]["text/html"]
        for c in cells
        if c.cell_type == "code"
        for o in c.outputs
        if "text/html" in o.get("data", {})
    ]
    assert len(figures) == 2
    assert figures[0].startswith(
        '<figure class="report-figure"><img src="data:image/png;base64,iVBORw0KGgo="'
    )
    assert "<figcaption><strong>Figure 1.</strong> What the figure shows.</figcaption>" in figures[0]
    assert "<strong>Figure 2.</strong>" in figures[1], "one picture and its caption are one block"
    titles = [
        o["data"]["text/markdown"]
        for c in cells
        if c.cell_type == "code"
        for o in c.outputs
        if "text/markdown" in o.get("data", {})
    ]
    assert titles[0].startswith("**Table 1.** **Accuracy (%)**") and titles[2].startswith("**Table 2.**")
    assert titles[1] == "**Bold** words, no table.", "only a titled table is numbered"


def test_the_html_folds_each_cells_code_and_the_no_code_html_has_none(tmp_path):
    with_code = report.export_html(report.combine(tiny_notebooks(), RESULTS), tmp_path / "code.html")
    text = with_code.read_text(encoding="utf-8")
    folds = re.findall(r'<details class="report-code"><summary>Code</summary>', text)
    assert len(folds) == 2, "one fold per code cell"
    folded = re.findall(r'<details class="report-code">(.*?)</details>', text, flags=re.S)
    assert all("hl-ipython3" in fold for fold in folded), "the code sits inside its fold"
    assert text.count("hl-ipython3") == 2, "no code outside a fold"
    without = report.export_html(
        report.combine(tiny_notebooks(), RESULTS, include_code=False),
        tmp_path / "no.html",
        include_code=False,
    )
    assert "report-code" not in re.sub(
        r"<style.*?</style>", "", without.read_text(encoding="utf-8"), flags=re.S
    )


def labelled(label, heading, text="", **metadata):
    """A heading cell labelled the way the notebooks label theirs, with ``text`` after it."""
    return new_markdown_cell(f'<a id="{label}"></a>\n{heading}' + (f"\n\n{text}" if text else ""), **metadata)


def test_sections_move_to_appendices_and_are_numbered_again_with_the_references():
    chapter = new_notebook(
        cells=[
            labelled("intro", "# 1. Intro"),
            labelled("cost", "## 1.1 Cost", "What it costs.", metadata={"appendix": "C"}),
            labelled("data", "## 1.2 Data", "As section [1.4](#better) shows, and the costs ([1.1](#cost))."),
            labelled("only", "## 1.3 Notebook only", metadata={"tags": ["remove-cell"]}),
            labelled("better", "## 1.4 Appendix: a better model", metadata={"appendix": "B"}),
            labelled("end", "## 1.5 Conclusions"),
        ]
    )
    combined = report.combine([chapter], RESULTS, include_code=False)
    sources = [cell.source for cell in combined.cells[2:]]
    text = "\n".join(sources)
    assert "## 1.1 Data" in text and "## 1.2 Conclusions" in text, "the chapter's sections close ranks"
    assert "As Appendix [B.1](#better) shows, and the costs ([C.1](#cost))." in text, (
        "references follow their labels"
    )
    assert "## B.1 A better model" in text and "## C.1 Cost" in text
    order = [
        next(i for i, source in enumerate(sources) if marker in source)
        for marker in ("## 1.2 Conclusions", "# Appendix B.", "## B.1", "# Appendix C.", "## C.1")
    ]
    assert order == sorted(order), "appendices follow the chapters, in order, each with its sections"
    assert "Notebook only" not in text
    entries = re.findall(r'<span class="toc-text">([^<]+)<', combined.cells[1].source)
    assert entries[-2:] == ["Appendix C. " + report.APPENDICES["C"], "C.1 Cost"]


def test_a_reference_to_a_section_the_report_leaves_out_is_an_error():
    chapter = new_notebook(
        cells=[
            labelled("intro", "# 1. Intro", "See section [1.1](#only)."),
            labelled("only", "## 1.1 Notebook only", metadata={"tags": ["remove-cell"]}),
        ]
    )
    with pytest.raises(report.ReportError, match="#only"):
        report.combine([chapter], RESULTS, include_code=False)


def test_a_notebook_without_its_title_continues_the_chapter_before_it():
    """Two notebooks make one chapter when the second's title is kept for the notebook: its sections and the
    chapters after it are numbered again, and so are the text's references to them."""

    def notebook(*cells, untitled=False):
        if untitled:
            cells[0].metadata["tags"] = ["remove-cell"]
        return new_notebook(cells=list(cells))

    notebooks = [
        notebook(labelled("intro", "# 1. Intro"), labelled("data", "## 1.1 Data")),
        notebook(labelled("mlp", "# 2. MLP"), labelled("the-mlp", "## 2.1 The MLP")),
        notebook(
            labelled("cnn", "# 3. CNN"),
            labelled("the-cnn", "## 3.1 The CNN", "As in section [2.1](#the-mlp) and chapter [2](#mlp)."),
            untitled=True,
        ),
        notebook(
            labelled("comparison", "# 4. Comparison"),
            labelled(
                "table",
                "## 4.1 Table",
                "Chapters [2](#mlp) and [3](#cnn) give the models; see ([3.1](#the-cnn)).",
            ),
        ),
    ]
    combined = report.combine(notebooks, RESULTS)
    body = "\n".join(cell.source for cell in combined.cells[2:])
    assert "## 2.2 The CNN" in body and "## 3.1" not in body.replace("## 3.1 Table", "")
    assert "# 3. Comparison" in body and "# 4." not in body and "# 3. CNN" not in body
    assert "## 3.1 Table" in body
    assert "Chapters [2](#mlp) and [2](#cnn) give the models; see ([2.2](#the-cnn))." in body
    assert "As in section [2.1](#the-mlp) and chapter [2](#mlp)." in body


def test_a_labelled_table_is_cited_by_its_number():
    verdicts = '<a id="verdicts-table"></a>\n**Verdicts**\n\n| a |\n|---|\n| 1 |\n'
    first = new_code_cell("tables.other(results)")
    first.outputs = [
        {
            "output_type": "display_data",
            "metadata": {},
            "data": {"text/markdown": "**Other**\n\n| b |\n|---|\n| 2 |\n"},
        }
    ]
    cited = new_code_cell("findings.verdicts_markdown(results)")
    cited.outputs = [{"output_type": "display_data", "metadata": {}, "data": {"text/markdown": verdicts}}]
    tables = {}
    report.number_figures_and_tables([first, cited], tables)
    assert tables == {"verdicts-table": "Table 2"}
    assert numbering.resolve("the claims ([the verdicts table](#verdicts-table))", {}, tables) == (
        "the claims ([Table 2](#verdicts-table))"
    )


def test_a_figure_caption_cites_a_later_table_by_its_number():
    """A caption may link to a table that comes after its figure: once every table is numbered, the link
    reads "Table N" in the caption and in the image's alternative text, as plain words."""
    png = "iVBORw0KGgo="
    figure = new_code_cell(
        "plot(results)", metadata={"caption": "Differences; [the table of tests](#tests-table) lists them."}
    )
    figure.outputs = [{"output_type": "display_data", "metadata": {}, "data": {"image/png": png}}]
    table = new_code_cell("tests_markdown(results)")
    table.outputs = [
        {
            "output_type": "display_data",
            "metadata": {},
            "data": {"text/markdown": '<a id="tests-table"></a>\n**Tests**\n\n| a |\n|---|\n| 1 |\n'},
        }
    ]
    tables = {}
    cells = report.number_figures_and_tables([figure, table], tables)
    report._resolve_cell(cells[0], {}, tables)
    html = cells[0].outputs[0]["data"]["text/html"]
    assert "Differences; Table 1 lists them." in html
    assert "](#" not in html and "the table of tests" not in html


def test_every_titled_table_of_an_output_gets_a_number():
    """An output may hold several tables (the original report's tables, corrected): each is numbered."""
    text = (
        "**First**\n\n| a |\n|---|\n| 1 |\n\nA sentence with **bold** words.\n\n"
        "**Second** [FAST (subset, not the real result)]\n\n| b |\n|---|\n| 2 |\n"
    )
    cell = new_code_cell("tables.something(results)")
    cell.outputs = [{"output_type": "display_data", "metadata": {}, "data": {"text/markdown": text}}]
    numbered = report.number_figures_and_tables([cell])[0].outputs[0]["data"]["text/markdown"]
    assert "**Table 1.** **First**" in numbered and "**Table 2.** **Second** [FAST" in numbered
    assert "**bold**" in numbered and "Table 3" not in numbered


def test_the_appendices_run_on_after_the_references():
    """The appendices follow the references on their page, then one another, as the chapters do."""
    notebook = new_notebook(
        cells=[
            new_markdown_cell("# 1. Intro"),
            new_markdown_cell("## 1.1 Text"),
            new_markdown_cell("## 1.2 Parity", metadata={"appendix": "A"}),
            new_markdown_cell("The builder:", metadata={"tags": [report.APPENDIX_TAG]}),
        ]
    )
    sources = [cell.source for cell in report.combine([notebook], RESULTS).cells]
    starts = [source for source in sources if "report-section-start" in source]
    assert not any("# Appendix" in source for source in starts), starts
    assert any("# Appendix A." in source for source in sources)
    assert any(f"# {report.SOURCE_APPENDIX}" in source for source in sources)


def test_structure_ids_are_numbered_from_zero_in_their_order_keeping_the_bytes_offsets():
    first = b"<</ID (node00000309)>> <</ID (node00000312)>> /IDTree <</Names [(node00000309) 1 0 R]>>"
    second = first.replace(b"00000309", b"00000410").replace(b"00000312", b"00000413")
    assert report.pin_pdf_node_ids(first) == report.pin_pdf_node_ids(second)
    assert report.pin_pdf_node_ids(first) == first.replace(b"00000309", b"00000000").replace(
        b"00000312", b"00000001"
    )
    assert len(report.pin_pdf_node_ids(first)) == len(first)


def test_tables_print_with_their_titles_as_captions_and_numbers_unbroken():
    body = (
        '<p><a id="x-table"></a>\n<strong>Table 3.</strong> <strong>Cost</strong></p>\n<table>\n'
        "<tr><td>MLP 784-128-10</td><td>97.65 ± 0.19</td><td>+1.03 [0.81, 1.26]</td><td>18.5 / 20.2</td>"
        "<td>+7.72 [6.85, 8.58] pp</td></tr>"
        "</table>\n<p>Text after it, 1 ± 2 [3, 4].</p>"
    )
    printed = report.print_tables(body)
    assert printed.startswith('<table><caption><a id="x-table"></a>\n<strong>Table 3.</strong>')
    assert "<td>97.65&nbsp;±&nbsp;0.19</td>" in printed
    assert "<td>+1.03&nbsp;[0.81,&nbsp;1.26]</td>" in printed and "<td>18.5&nbsp;/&nbsp;20.2</td>" in printed
    assert "<td>+7.72&nbsp;[6.85,&nbsp;8.58]&nbsp;pp</td>" in printed, "the unit stays with its interval"
    assert "<td>MLP 784-128-10</td>" in printed, "words still wrap"
    assert printed.endswith("<p>Text after it, 1 ± 2 [3, 4].</p>"), "prose is left as it is"


def test_negative_numbers_print_with_a_minus_sign_in_text_only():
    body = (
        "<style>tr:nth-child(-n+3) { margin: -1px; }</style>"
        "<p>gap -0.69 [-0.76, -0.63] pp (-1.6); zoom 0.5-1.5; MLP 784-128-10; 2026-11-25; 20%-80%</p>"
        "<pre>x = -1</pre><td>-0.05</td>"
    )
    printed = report.minus_signs(body)
    text = "<p>gap −0.69 [−0.76, −0.63] pp (−1.6); zoom 0.5-1.5; MLP 784-128-10; 2026-11-25; 20%-80%</p>"
    assert text in printed
    assert "<td>−0.05</td>" in printed
    assert printed.startswith("<style>tr:nth-child(-n+3) { margin: -1px; }</style>"), "styles keep hyphens"
    assert "<pre>x = -1</pre>" in printed, "code keeps its hyphens"


def test_a_chapter_title_without_a_lead_in_is_joined_with_the_next_text():
    from nbformat.v4 import new_code_cell, new_markdown_cell

    cells = [
        new_markdown_cell(
            '<a id="discussion"></a>\n<div id="s8-40-0"></div>\n\n# 8. Discussion\n',
            metadata={"tags": ["keep-with-next"]},
        ),
        new_markdown_cell("## 8.1 What the comparison shows\n\nText.", metadata={"tags": ["report-long"]}),
        new_markdown_cell("# 9. Next\n\nA lead-in."),
        new_code_cell("x = 1"),
    ]
    joined = report.join_lone_headings(cells)
    assert len(joined) == 3
    assert joined[0].source.startswith('<a id="discussion"></a>') and "## 8.1 What" in joined[0].source
    assert joined[1].source == "# 9. Next\n\nA lead-in.", "a heading with its own text stays its own cell"
    # Kept with its next cell, the joined chapter (its whole first section) would start a new page.
    assert joined[0].metadata["tags"] == ["report-long"], "the joined cell has its text's tags"


def test_a_lone_heading_goes_into_the_markdown_output_after_it_when_no_code_is_shown():
    heading = '<a id="references"></a>\n<div id="s8-26-0"></div>\n\n## References\n'
    listing = new_code_cell("notebook.show(references.references_markdown())")
    listing.outputs = [new_output("display_data", data={"text/markdown": "1. Mun, J. (2025)."})]
    without_code = report.join_lone_headings([new_markdown_cell(heading), copy.deepcopy(listing)], False)
    assert len(without_code) == 1 and without_code[0].cell_type == "code"
    text = without_code[0].outputs[0]["data"]["text/markdown"]
    assert text.startswith('<a id="references"></a>') and text.endswith("## References\n\n1. Mun, J. (2025).")
    # With the code shown, the heading stays above the cell's input.
    with_code = report.join_lone_headings([new_markdown_cell(heading), copy.deepcopy(listing)], True)
    assert [cell.cell_type for cell in with_code] == ["markdown", "code"]
    # A code cell without a Markdown output (a figure) keeps the heading apart.
    figure = new_code_cell("plot()")
    figure.outputs = [new_output("display_data", data={"image/png": "iVBOR"})]
    assert len(report.join_lone_headings([new_markdown_cell(heading), figure], False)) == 2


def test_a_cells_printed_outputs_are_joined_so_that_reruns_give_the_same_file():
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    cell = new_code_cell("print('a'); print('b')")
    cell.outputs = [
        new_output("stream", name="stdout", text="MLP: 1"),
        new_output("stream", name="stdout", text="\nCNN: 2\n"),
    ]
    notebook = report.clean_notebook(new_notebook(cells=[cell]))
    assert [(o.output_type, o.name, o.text) for o in notebook.cells[0].outputs] == [
        ("stream", "stdout", "MLP: 1\nCNN: 2\n")
    ]


def test_rows_that_continue_a_claim_are_spanned_by_its_first_row():
    """A row whose first cell is empty continues the one above: the claim and its verdict span the group, and
    a column that has text in some continuing rows (the values) keeps its own cells."""
    body = (
        "<table><thead><tr><th>Claim</th><th>Measured</th><th>Value</th><th>Verdict</th></tr></thead><tbody>"
        "<tr><td>A</td><td>one</td><td>1</td><td>supported</td></tr>"
        "<tr><td></td><td>two</td><td>2</td><td></td></tr>"
        "<tr><td></td><td>a note</td><td></td><td></td></tr>"
        "<tr><td>B</td><td>three</td><td>3</td><td>false</td></tr>"
        "</tbody></table>"
    )
    out = report.merge_continued_rows(body)
    assert '<td rowspan="3">A</td><td>one</td><td>1</td><td rowspan="3">supported</td>' in out
    assert '<tr class="continued"><td>two</td><td>2</td></tr>' in out
    assert '<tr class="continued"><td colspan="2">a note</td></tr>' in out, "a note spans the value's column"
    assert "<tr><td>B</td><td>three</td><td>3</td><td>false</td></tr>" in out
    plain = "<table><tbody><tr><td>A</td><td></td></tr><tr><td>B</td><td>1</td></tr></tbody></table>"
    assert report.merge_continued_rows(plain) == plain, "a table without continuing rows is left alone"


def _text(source):
    return new_markdown_cell(source)


def _figure(number):
    cell = new_code_cell("plots.something(results)")
    cell.outputs = [
        {
            "output_type": "display_data",
            "metadata": {},
            "data": {
                "text/html": f'<figure><img src="x"><figcaption><strong>Figure {number}.</strong> A.'
                "</figcaption></figure>"
            },
        }
    ]
    return cell


def test_text_runs_on_ahead_of_a_figure_that_left_its_page_blank():
    """The text after a figure that went to the next page moves ahead of it until it fills the room left,
    never past a table or a figure; a figure with too little text after it goes up past paragraphs (not
    headings) until the room there holds it; the appendices alike."""
    line = "word " * 20  # one printed line
    a, b, c = _text("A " + line), _text("B " + line), _text("C " + line * 3)
    table = new_code_cell("tables.other(results)")
    table.outputs = [
        {
            "output_type": "display_data",
            "metadata": {},
            "data": {"text/markdown": "**Table 1.** **T**\n\n| a |\n|---|\n| 1 |\n"},
        }
    ]
    figure = _figure(1)
    cells = [a, figure, b, c, table]
    # Room for one line: B fills it (and no more moves).
    assert report.float_text(cells, {"Figure 1": {"room": 20.0, "height": 300.0}}) == [a, b, figure, c, table]
    # Room for more than B and C: both move, but not the table.
    assert report.float_text(cells, {"Figure 1": {"room": 500.0, "height": 300.0}}) == [
        a,
        b,
        c,
        figure,
        table,
    ]
    # Nothing after it but a table: the figure goes up past A when the room there holds it.
    up = [_text("## 1.1 A heading\n\nIts text."), c, b, figure, table]
    moved = report.float_text(up, {"Figure 1": {"room": 80.0, "height": 100.0}})
    assert moved == [up[0], c, figure, b, table], "past B (one line), not C, which already makes room"
    assert report.float_text(up, {"Figure 1": {"room": 20.0, "height": 1000.0}}) == up, "never past a heading"
    # Too little text after it before a table to fill the room: the figure goes up past the text before it
    # when the room there holds it (the text after it stays).
    long = _text("L " + line * 15)
    short = [long, figure, b, table]
    assert report.float_text(short, {"Figure 1": {"room": 100.0, "height": 300.0}}) == [
        figure,
        long,
        b,
        table,
    ]
    # Nor past the heading of the next section: a figure stays in its section.
    after = [a, figure, _text("## 1.2 Next\n\nIts text."), c]
    assert report.float_text(after, {"Figure 1": {"room": 500.0, "height": 300.0}}) == after
    # In the appendices too: the text after the figure runs on ahead of it, within its section.
    appendix = [_text("# Appendix A. Tables"), figure, b, c]
    assert report.float_text(appendix, {"Figure 1": {"room": 500.0, "height": 300.0}}) == [
        appendix[0],
        b,
        c,
        figure,
    ]


@pytest.mark.skipif(
    not (config.REPORTS_DIR / "mnist_mlp_vs_cnn_no_code.pdf").exists(), reason="no report yet"
)
def test_no_figure_of_the_chapters_leaves_the_foot_of_its_page_blank():
    """In the committed report without code, every figure that opens a page after a page left blank at its
    foot is in the appendices (the chapters' text runs on ahead of their figures)."""
    pdf = config.REPORTS_DIR / "mnist_mlp_vs_cnn_no_code.pdf"
    from pypdf import PdfReader

    appendix = next(
        number
        for number, page in enumerate(PdfReader(str(pdf)).pages, start=1)
        if "Appendix A." in (page.extract_text() or "") and number > 3
    )
    gaps = report.float_room(pdf)
    assert all(gap["page"] >= appendix - 1 for name, gap in gaps.items() if name.startswith("Figure")), gaps
