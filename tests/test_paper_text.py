"""The committed no-code report read as a paper: every sentence said once, every table and figure cited by its
number, at most 18 tables before the appendices, and the page budget (25 pages before the appendices, 35 in
all)."""

import re
import unicodedata
from collections import Counter

import pytest

from mnist_compare import config, report

HTML = config.REPORTS_DIR / "mnist_mlp_vs_cnn_no_code.html"
PDF = config.REPORTS_DIR / "mnist_mlp_vs_cnn_no_code.pdf"

#: A sentence this long said twice is a finding said twice (the issue's rule).
LONG_SENTENCE_WORDS = 12
BODY_TABLES = 18
BODY_PAGES = 25
ALL_PAGES = 35

CAPTION = re.compile(r"^(Table|Figure) (\d+)\.")


@pytest.fixture(scope="module")
def soup():
    bs4 = pytest.importorskip("bs4")
    return bs4.BeautifulSoup(HTML.read_text(encoding="utf-8"), "html.parser")


def prose_blocks(soup) -> list[str]:
    """The text of every paragraph, list item and caption of the report, without its tables' cells, its
    contents page and its reference list (whose entries are titles, not sentences)."""
    blocks = []
    for element in soup.find_all(["p", "li", "figcaption"]):
        if element.find_parent(["table", "nav"]) or element.find(["p", "li"]):
            continue
        if element.find_parent(id=re.compile("contents", re.I)):
            continue
        blocks.append(element.get_text(" ", strip=True))
    return blocks


def sentences(text: str) -> list[str]:
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()
    # A sentence ends at . ! or ? followed by a space and a capital, a digit or an opening mark; "e.g." and
    # "i.e." and decimals do not end one.
    parts = re.split(r"(?<!e\.g\.)(?<!i\.e\.)(?<=[.!?])\s+(?=[A-Z0-9(\[\"'“])", text)
    return [part.strip() for part in parts if part.strip()]


def split_sentences_test_cases():
    assert sentences("The CNN leads, e.g. on 7s. It is 1.03 points. Both fit.") == [
        "The CNN leads, e.g. on 7s.",
        "It is 1.03 points.",
        "Both fit.",
    ]


def test_sentences_split_where_a_reader_would():
    split_sentences_test_cases()


def test_no_sentence_of_twelve_words_or_more_is_said_twice(soup):
    counts = Counter(
        sentence
        for block in prose_blocks(soup)
        for sentence in sentences(block)
        if len(sentence.split()) >= LONG_SENTENCE_WORDS
    )
    repeated = {sentence: n for sentence, n in counts.items() if n > 1}
    assert not repeated, "said more than once:\n" + "\n".join(f"{n}x {s}" for s, n in repeated.items())


def numbered_items(soup) -> list[tuple[str, str | None]]:
    """('Table 3', its label or None) for every numbered table and figure, in order."""
    items = []
    for strong in soup.find_all("strong"):
        match = CAPTION.match(strong.get_text(strip=True))
        if not match:
            continue
        if match.group(1) == "Figure":
            figure = strong.find_parent("figure")
            items.append((f"Figure {match.group(2)}", figure.get("id") if figure else None))
        else:
            # The table's own anchor opens the paragraph of its title (a heading's anchor does not count).
            anchor = strong.parent.find("a", id=True)
            label = anchor["id"] if anchor and anchor.find_next("strong") is strong else None
            items.append((f"Table {match.group(2)}", label))
    return items


def test_every_table_and_figure_is_labelled_and_cited_by_its_number(soup):
    items = numbered_items(soup)
    assert len(items) > 20, items
    links = Counter(a["href"][1:] for a in soup.find_all("a", href=True) if a["href"].startswith("#"))
    texts = {a["href"][1:]: a.get_text(strip=True) for a in soup.find_all("a", href=True)}
    unlabelled = [name for name, label in items if not label]
    uncited = [name for name, label in items if label and not links.get(label)]
    misnamed = [name for name, label in items if label and links.get(label) and texts[label] != name]
    assert not unlabelled, f"not labelled, so nothing can cite them: {unlabelled}"
    assert not uncited, f"never cited: {uncited}"
    assert not misnamed, f"cited by another name: {misnamed}"


def first_appendix(soup):
    return next(h for h in soup.find_all("h1") if h.get_text(strip=True).startswith("Appendix"))


def test_at_most_eighteen_tables_before_the_appendices(soup):
    body = []
    for element in soup.find_all(["h1", "strong"]):
        text = element.get_text(strip=True)
        if element.name == "h1" and text.startswith("Appendix"):
            break
        if element.name == "strong" and re.match(r"^Table \d+\.$", text):
            body.append(text)
    assert 0 < len(body) <= BODY_TABLES, body


def test_the_page_budget_holds(soup):
    pypdf = pytest.importorskip("pypdf")
    pages = pypdf.PdfReader(str(PDF)).pages
    title = re.sub(r"\s+", "", first_appendix(soup).get_text(" ", strip=True).rstrip("¶"))[:40]
    texts = [re.sub(r"\s+", "", unicodedata.normalize("NFKC", page.extract_text() or "")) for page in pages]
    contents = next(i for i, text in enumerate(texts) if "Contents" in text)
    starts = [i for i, text in enumerate(texts) if i > contents + 1 and title in text]
    assert starts, f"no page starts {title!r}"
    assert report.pdf_page_count(PDF) == len(pages) <= ALL_PAGES
    assert starts[0] <= BODY_PAGES, f"{starts[0]} pages before the appendices"


#: A page is this full when its lowest ink is this far down the printable height (a chapter's last page and
#: the report's last page may be emptier).
MIN_PAGE_FILL = 0.40


def page_fills(pdf, tmp_path) -> list[float]:
    """How far down each page its content reaches, as a share of the printable height (page numbers aside),
    from a 20-dpi rendering by poppler's pdftoppm."""
    import shutil
    import subprocess

    import numpy as np
    from PIL import Image

    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    subprocess.run(["pdftoppm", "-r", "20", "-gray", str(pdf), str(tmp_path / "page")], check=True)
    fills = []
    for path in sorted(tmp_path.glob("page-*.pgm")):
        pixels = np.asarray(Image.open(path))
        height = pixels.shape[0]
        top, bottom = 0.05 * height, 0.93 * height  # the @page margins; the page number sits below
        ink = np.where((pixels[: int(bottom)] < 180).any(axis=1))[0]
        fills.append(float((ink.max() - top) / (bottom - top)) if len(ink) else 0.0)
    return fills


def test_no_page_is_left_mostly_empty_but_a_chapters_last(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    texts = [(page.extract_text() or "").strip() for page in pypdf.PdfReader(str(PDF)).pages]
    fills = page_fills(PDF, tmp_path)
    assert len(fills) == len(texts)
    chapter_start = re.compile(r"^(?:\d+\. [A-Z]|Appendix [A-Z]\.|Contents|Results at a glance|References\s)")
    empty = [
        (number, round(fill, 2))
        for number, fill in enumerate(fills, start=1)
        if fill < MIN_PAGE_FILL and number < len(fills) and not chapter_start.match(texts[number])
    ]
    assert not empty, f"pages under {MIN_PAGE_FILL:.0%} full that end no chapter: {empty}"


def test_the_title_page_holds_the_abstract_and_the_whole_contents():
    """The contents follow the abstract on the first page; the glance page opens the second (a contents line
    pushed over would leave a page all but empty)."""
    pypdf = pytest.importorskip("pypdf")
    pages = pypdf.PdfReader(str(PDF)).pages
    first, second = ((pages[index].extract_text() or "").strip() for index in (0, 1))
    assert "Abstract" in first and "Contents" in first
    assert second.startswith("Results at a glance"), second[:80]


def test_the_equations_are_in_the_pdfs_text_layer():
    """The equations are drawn as SVG; their MathML copy is printed invisibly over them, so that the PDF can
    be searched and its text extracted with the equations in it."""
    pypdf = pytest.importorskip("pypdf")
    text = "".join(page.extract_text() or "" for page in pypdf.PdfReader(str(PDF)).pages)
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    for equation in ("ReLU(x)=max(0,x)", "a=σ(z)", "P(y=j∣x)"):
        assert equation in text, f"{equation} is not in the PDF's text"


def test_no_template_field_is_left_unfilled(soup):
    """A sentence the package or a notebook renders fills every field: a '{name}' left in the prose is a
    string that lost its f prefix."""
    # Equations ($...$, $$...$$) hold braces of their own.
    plain = [re.sub(r"\$\$.*?\$\$|\$[^$]*\$", "", block, flags=re.S) for block in prose_blocks(soup)]
    unfilled = [block for block in plain if re.search(r"\{[A-Za-z_][^{}]*\}", block)]
    assert not unfilled, unfilled[:3]


def test_references_are_numbered_in_the_order_the_report_first_cites_them(soup):
    from mnist_compare import references

    listed = soup.find(class_="report-references")
    assert listed is not None
    listed.extract()
    text = re.sub(r"\s+", " ", soup.get_text(" "))
    first = list(dict.fromkeys(references.cited_numbers(text)))
    assert first == list(range(1, len(references.REFERENCES) + 1)), first
