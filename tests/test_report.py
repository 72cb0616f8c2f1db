"""The report export: combining notebooks, and a real fast-mode export checked with poppler."""

import os
import re
import shutil
import subprocess

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from mnist_compare import config, report
from mnist_compare.browser import chromium_path
from mnist_compare.metrics import format_mean_std


def tiny_notebooks():
    first = new_notebook(cells=[new_markdown_cell("# 1. Intro\n\ntext"), new_markdown_cell("## Setup"),
                                new_code_cell("# NBVAL_CHECK_OUTPUT\nx = 1"),
                                new_markdown_cell("## 1.1 Data\n\nmore\n\n## Conclusions")])
    second = new_notebook(cells=[new_markdown_cell("# 2. Models"), new_code_cell("y = 2")])
    return [first, second]


RESULTS = {"fast": False, "config": {"seeds": [0, 1]},
           "provenance": {"created": "2026-01-02T00:00:00", "git": {"commit": "abcdef1234567"},
                          "split_sizes": {"train": 54000, "validation": 6000, "test": 10000}}}


def test_combine_adds_title_page_contents_and_anchors_in_order():
    combined = report.combine(tiny_notebooks(), RESULTS)
    title, contents = combined.cells[0].source, combined.cells[1].source
    assert "title-page" in title and "2 seeds" in title and "abcdef1234" in title
    entries = re.findall(r'href="#([^"]+)"><span class="toc-text">([^<]+)<', contents)
    assert [text for _, text in entries] == ["1. Intro", "1.1 Data", "Conclusions", "2. Models"]
    body = "\n".join(cell.source for cell in combined.cells[2:])
    for anchor, _ in entries:
        assert f'<div id="{anchor}"' in body
    assert body.count("report-section-start") == 2, "each notebook starts a new page"
    assert "NBVAL_CHECK_OUTPUT" not in body, "test markers are not part of the report"
    assert len({anchor for anchor, _ in entries}) == len(entries), "anchors are unique"


def test_combine_without_code_drops_the_setup_headings():
    combined = report.combine(tiny_notebooks(), RESULTS, include_code=False)
    assert not any(cell.source.strip() == "## Setup" for cell in combined.cells)


def test_the_html_inlines_mathjax_and_loads_nothing_remote(tmp_path):
    path = report.export_html(report.combine(tiny_notebooks(), RESULTS), tmp_path / "r.html")
    text = path.read_text(encoding="utf-8")
    assert "MathJax" in text and len(text) > 1_000_000, "MathJax is inlined"
    assert re.findall(r"<script[^>]*\bsrc=", text) == [], "no script is loaded from anywhere"
    assert re.findall(r"<link[^>]*\bhref=\"https?:", text) == []


pdf_tools = all(shutil.which(tool) for tool in ("pdftoppm", "pdftotext")) and chromium_path() is not None
needs_pdf_tools = pytest.mark.skipif(
    not pdf_tools and not os.environ.get("REQUIRE_PDF_TEST"),
    reason="needs Chromium and poppler-utils (pdftoppm, pdftotext); CI installs them")


@needs_pdf_tools
@pytest.mark.slow
def test_fast_report_export_end_to_end(isolated_outputs, tmp_path, monkeypatch):
    monkeypatch.delenv("MNIST_COMPARE_HEADLESS", raising=False)
    outcome = report.build_report(fast=True, seed_count=1, timeout=900, log=lambda *_: None)
    html_path, pdf_path = report.report_paths(True)
    assert outcome["html"] == html_path and html_path.is_file() and pdf_path.is_file()
    assert [item["name"] for item in outcome["notebooks"]] == [p.name for p in report.notebook_paths()]
    assert outcome["blocked_requests"] == [], "the page asked for something remote"
    assert outcome["equations"] >= 5, "the equations were typeset"
    numbers = list(outcome["contents_pages"].values())
    assert len(numbers) >= 40 and numbers == sorted(numbers) and numbers[0] >= 2, \
        "the contents give a page for (nearly) every heading, in order"

    # Every page renders to an image.
    pages = tmp_path / "pages"
    pages.mkdir()
    subprocess.run(["pdftoppm", "-r", "20", "-png", str(pdf_path), str(pages / "page")], check=True)
    assert len(list(pages.glob("page-*.png"))) == outcome["pages"] >= 10

    # The PDF's text holds the results table with the numbers of results.json.
    text = subprocess.run(["pdftotext", "-layout", str(pdf_path), "-"], check=True, capture_output=True,
                          text=True).stdout
    from mnist_compare.experiments import load_results

    results = load_results(fast=True)
    assert config.FAST_LABEL in text
    for name in ("mlp", "cnn"):
        for key, percent, digits in (("test_accuracy", True, 2), ("train_accuracy", True, 2),
                                     ("test_loss", False, 4)):
            value = format_mean_std(results["summary"][name]["1"][key], percent=percent, digits=digits)
            assert value in text, f"{name} {key} {value} is not in the PDF"
    assert "After 1 epoch (mean ± std over 1 seed)" in text

    # The executed notebooks went to the fast output folder, not to notebooks/.
    assert (isolated_outputs / "notebooks" / "02_mlp.ipynb").is_file()

    # The findings-only variant, from the same executed notebooks.
    outcome = report.build_report(fast=True, seed_count=1, include_code=False, execute=False, pdf=False,
                                  log=lambda *_: None)
    no_code = outcome["html"].read_text(encoding="utf-8")
    assert outcome["html"].name == "mnist_mlp_vs_cnn_no_code.html"
    assert "notebook.ensure_results()" not in no_code and "MLP over 1 seed" in no_code


def test_the_setup_cell_is_shown_once_in_an_appendix_and_plumbing_lines_are_left_out():
    from nbformat.v4 import new_output

    from mnist_compare.colab import SETUP_MARKER

    setup = f"{SETUP_MARKER}, then start the session.\ncontext = notebook.setup()"
    notebooks = []
    for number in (1, 2):
        cell = new_code_cell("results = notebook.ensure_results()")
        cell.outputs = [new_output("stream", name="stdout", text="Read results.json: 5 seed(s); nothing to train.\n"
                                                                 "MLP: 101,770 parameters\n"),
                        new_output("stream", name="stdout", text="Closing server running on port: 7860\n"
                                                                 "Headless run: the demo started\n")]
        notebooks.append(new_notebook(cells=[new_markdown_cell(f"# {number}. Part"), new_markdown_cell("## Setup"),
                                             new_code_cell(setup), cell]))
    combined = report.combine(notebooks, RESULTS)
    sources = [cell.source for cell in combined.cells]
    assert sum(SETUP_MARKER in source for source in sources) == 1, "the Setup cell appears once"
    assert sources[-1].startswith(SETUP_MARKER) and report.SETUP_APPENDIX in sources[-2]
    assert not any(source.strip() == "## Setup" for source in sources)
    printed = [output["text"] for cell in combined.cells if cell.cell_type == "code" for output in cell.outputs]
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
    printed = (b"<</Creator (HeadlessChrome)\n/CreationDate (D:20261124010203+00'00')\n"
               b"/ModDate (D:20261124010203+00'00')>>\nxref 0 1")
    pinned = report.pin_pdf_dates(printed, stamp)
    assert len(pinned) == len(printed), "offsets in the xref table stay right"
    assert pinned.count(b"(D:20261123172955+00'00')") == 2 and b"20261124" not in pinned
    assert report.pin_pdf_dates(pinned, stamp) == pinned
    assert report.pdf_date(None) is None and report.pin_pdf_dates(printed, None) == printed
