"""The README's results blocks and docs/speed.md's benchmark block, rendered from results.json and
benchmark.json."""

from __future__ import annotations

import re
from pathlib import Path

from .. import config, storage
from ..findings import VERDICTS_TABLE, verdicts_markdown
from ..formatting import device_sentence, markdown_table, plural, provenance_line, seeds_phrase
from ..numbering import unlink
from ..references import without_citations
from ..registry import BASELINE, CANDIDATE
from .grid import comparison_rows


def _target(met: bool, text: str) -> str:
    return f"{text}: {'met' if met else '**not met**'}"


README_START = "<!-- results-table:start -->"


README_END = "<!-- results-table:end -->"


#: The Markdown file that holds the rendered benchmark table (``bench`` rewrites its block).
SPEED_DOC = config.PROJECT_ROOT / "docs" / "speed.md"


#: The rows of the README's short results table (the report's notebook 4 has all of them).
README_ROWS = ("Test accuracy (%)", "Test loss", "Train − test gap, accuracy (pp)")


def results_markdown(results: dict) -> str:
    """The README's results: one short table (test accuracy, test loss and overfitting gap at each
    snapshot epoch, mean ± std over seeds), plus provenance."""
    parts = []
    if not results.get("comparisons"):
        return "Results need both models (MLP and CNN) for the comparison table."
    if results.get("fast"):
        parts.append(f"**{config.FAST_LABEL}**\n")
    rows = []
    for epochs in results["config"]["snapshot_epochs"]:
        after = f"{epochs} epoch{'s' if epochs != 1 else ''}"
        rows += [[after] + row for row in comparison_rows(results, epochs) if row[0] in README_ROWS]
    parts.append(f"Mean ± std over {seeds_phrase(results)}:\n")
    parts.append(markdown_table(["After", "Metric", "MLP", "CNN", "CNN − MLP"], rows) + "\n")
    summary = results["summary"]
    parts.append(
        f"Parameters: MLP {summary[BASELINE]['parameters']:,}, CNN {summary[CANDIDATE]['parameters']:,}. "
        f"Data: {results['provenance']['split_sizes']['train']:,} training, "
        f"{results['provenance']['split_sizes']['validation']:,} validation, "
        f"{results['provenance']['split_sizes']['test']:,} test images. "
        f"Source: `reports/results.json` ({_provenance_code(results)}, "
        f"{results['provenance']['created'][:10]}). {device_sentence(results)}"
    )
    return "\n".join(parts)


def _provenance_code(results: dict) -> str:
    """``provenance_line`` with the commit in backticks."""
    line = provenance_line(results)
    commit = (results["provenance"].get("git", {}).get("commit") or "")[:10]
    return line.replace(commit, f"`{commit}`", 1) if commit else line


def update_readme_block(name: str, markdown: str, readme: Path | None = None) -> bool:
    """Replace the block between ``<!-- name:start -->`` and ``<!-- name:end -->`` of a Markdown file:
    ``readme``, by default the project's README.md (``SPEED_DOC`` for the benchmark table).

    Returns False, changing nothing, when the file or the block is missing.
    """
    readme = Path(readme or config.PROJECT_ROOT / "README.md")
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if not readme.is_file():
        return False
    text = readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        return False
    new_text = pattern.sub(lambda _: f"{start}\n{markdown}\n{end}", text)
    if new_text != text:
        storage.write_text(readme, new_text)
    return True


def readme_findings(notebooks_folder: Path | None = None) -> str:
    """The findings as the README shows them: the report's abstract, as the first notebook last wrote it
    (its numbers bound to results.json there), with a reference to a section as its number, not a link (the
    sections are in the notebooks); the verdicts table, which the README holds too, stays linked. "" when the
    abstract has not been written by a full run."""
    import nbformat  # lazy: only the README update reads the notebooks

    from ..report import abstract_text, notebook_paths  # lazy: the report module loads the export's tools

    notebooks = [nbformat.read(path, as_version=4) for path in notebook_paths(notebooks_folder)[:1]]
    text = abstract_text(notebooks)
    if "percentage points more accurate" not in text:
        return ""
    return for_readme(text, keep=(VERDICTS_TABLE,))


#: A link to a table or figure, whose number the report's export writes; the README has no such number.
NUMBERED_LINK = re.compile(r"(^|[.!?] )?\[(Table|Figure)\]\(#[^)]+\)")


def for_readme(text: str, keep: tuple[str, ...] = ()) -> str:
    """Report text as the README shows it: the README lists no references (the citations' numbers go, the
    words stay), a table or figure is one "in the report", and links to headings are their words (but for
    ``keep``)."""
    text = NUMBERED_LINK.sub(
        lambda m: (
            f"{m.group(1)}A {m.group(2).lower()} in the report"
            if m.group(1) is not None
            else f"a {m.group(2).lower()} in the report"
        ),
        text,
    )
    return without_citations(unlink(text, keep=keep))


def update_readme(results: dict, readme: Path | None = None) -> bool:
    """Replace the README's results block with one rendered from ``results``."""
    updated = update_readme_block("results-table", results_markdown(results), readme)
    if updated and "research" in results and results.get("comparisons"):
        update_readme_block("verdicts-table", for_readme(verdicts_markdown(results)), readme)
        research = results["research"]
        if all(
            key in research
            for key in ("architecture_controls", "data_efficiency", "calibration", "other_handwriting")
        ):
            findings = readme_findings()
            if findings:
                update_readme_block("findings", findings, readme)
    return updated


#: The research sections the paper's follow-up experiments added, each held to 90 s in the pipeline.
ADDED_SECTIONS = ("shift_augmentation", "temperature_scaling", "equivariance", "disagreements", "gap_noise")


def benchmark_markdown(benchmark: dict) -> str:
    """The benchmark as a table: training seconds per epoch, prediction latency, the whole pipeline,
    each against its target where it has one."""
    rows = []
    training = benchmark.get("training_speed")
    if training:
        for name in (BASELINE, CANDIDATE):
            if name not in training:
                continue
            entry = training[name]
            compiled, speedup = entry["compiled"]["median_s"], entry["speedup"]
            target = (
                _target(compiled <= 0.5, "≤ 0.5 s")
                if name == BASELINE
                else _target(compiled <= 3.0 and speedup >= 4.0, "≤ 3 s and ≥ 4x")
            )
            rows.append(
                [
                    f"{name.upper()} training, default `fit` (s/epoch)",
                    f"{entry['default_fit']['median_s']:.2f}",
                    ", ".join(f"{v:.2f}" for v in entry["default_fit"]["epoch_s"]),
                    "",
                ]
            )
            rows.append(
                [
                    f"{name.upper()} training, compiled trainer (s/epoch)",
                    f"{compiled:.2f}",
                    ", ".join(f"{v:.2f}" for v in entry["compiled"]["epoch_s"]) + f" ({speedup:.1f}x faster)",
                    target,
                ]
            )
    latency = benchmark.get("demo_latency", {})
    labels = {
        "model_call_both_models": ("Model call, every reader of the demo (ms)", "median", 1.0),
        "model_call_after_idle": ("… the same after a 5 ms pause, as in a server (ms)", None, None),
        "read_drawing_in_process": ("Preprocess + every reader, in process (ms)", None, None),
        "read_drawing_after_idle": ("… the same after a 5 ms pause (ms)", None, None),
        "http_request_gradio_client": ("Whole request through the app, gradio_client (ms)", None, None),
        "http_request_raw": ("Whole request through the app, plain HTTP (ms)", "p95", 20.0),
        "http_upload_raw": ("… of which the upload (ms)", None, None),
        "http_predict_raw": ("… of which the prediction call (ms)", None, None),
        "http_request_raw_fixed_answer": (
            "Same request, app answering a fixed reading: Gradio's own cost (ms)",
            None,
            None,
        ),
        "http_request_bare_gradio": (
            "Least a Gradio app can do with that upload: image in, text out (ms)",
            None,
            None,
        ),
        "page_pen_lift_to_answer": (
            "Pen lift to answers on the page, Chromium, 20 digits (ms)",
            "p95",
            300.0,
        ),
    }
    for key, (label, statistic, limit) in labels.items():
        if key in latency:
            entry = latency[key]
            target = ""
            if statistic is not None:
                value = entry["median_ms"] if statistic == "median" else entry["p95_ms"]
                target = _target(value <= limit, f"{statistic} ≤ {limit:g} ms")
            runs = f"p95 {entry['p95_ms']:.2f}"
            if len(entry.get("p95_rounds_ms", [])) > 1:
                runs += " (median of " + ", ".join(f"{v:.2f}" for v in entry["p95_rounds_ms"]) + ")"
            rows.append([label, f"{entry['median_ms']:.2f}", f"{runs}, n = {entry['n']}", target])
    pipeline = benchmark.get("pipeline")
    if pipeline:
        parts = [f"experiments {pipeline['experiments_s']:.0f} s"]
        if pipeline.get("research_s") is not None:
            parts.append(f"of which research {pipeline['research_s']:.0f} s")
        sections = pipeline.get("research_sections_s") or {}
        if sections.get("improved_cnn") is not None:
            parts.append(f"of which the appendix CNN {sections['improved_cnn']:.0f} s")
        parts.append(f"notebooks and export {pipeline['notebooks_and_export_s']:.0f} s")
        if pipeline.get("training_epochs_s") is not None:
            parts.append(
                f"the training epochs of its {pipeline['runs_trained']} runs alone "
                f"{pipeline['training_epochs_s']:.0f} s"
            )
        if pipeline.get("grid_cnn_epoch_s") is not None:
            parts.append(f"a CNN epoch {pipeline['grid_cnn_epoch_s']:.2f} s")
        rows.append(
            [
                f"Whole report from scratch, {plural(len(pipeline['seeds']), 'seed')} (min)",
                f"{pipeline['wall_s'] / 60:.1f}",
                "1 run: " + ", ".join(parts),
                "none (the 8-minute target is retired)",
            ]
        )
        added = {name: sections[name] for name in ADDED_SECTIONS if sections.get(name) is not None}
        if added:
            rows.append(
                [
                    "Each research section added for the paper, in that run (s)",
                    f"{max(added.values()):.1f} (the largest)",
                    ", ".join(f"{name.replace('_', ' ')} {seconds:.1f}" for name, seconds in added.items()),
                    _target(max(added.values()) <= 90, "≤ 90 s each"),
                ]
            )
    header = ["Measure", "Median", "Runs", "Target"]
    when = {
        part: benchmark[part].get("created", benchmark.get("created", "?"))[:16]
        for part in ("training_speed", "demo_latency", "pipeline")
        if part in benchmark
    }
    dates = sorted(set(when.values()))
    return (
        markdown_table(header, rows) + f"\n\nMeasured {', '.join(dates) if dates else '?'} on "
        f"{benchmark.get('machine', {}).get('cpu_count', '?')} CPU cores."
    )
