"""Tables and sentences rendered from results.json, so no number is typed by hand."""

from __future__ import annotations

import re
from pathlib import Path

from . import config, storage
from .metrics import format_mean_std

#: Rows of the original report's comparison table: (label, summary key, percent?, digits).
COMPARISON_ROWS = (
    ("Train accuracy (%)", "train_accuracy", True, 2),
    ("Test accuracy (%)", "test_accuracy", True, 2),
    ("Train loss", "train_loss", False, 4),
    ("Test loss", "test_loss", False, 4),
    ("Overfitting gap, accuracy (pp)", "accuracy_gap", True, 2),
    ("Overfitting gap, loss", "loss_gap", False, 4),
)
README_START = "<!-- results-table:start -->"
README_END = "<!-- results-table:end -->"


def comparison_rows(results: dict, epochs: int | str) -> list[list[str]]:
    """[metric, MLP, CNN, MLP − CNN] rows with mean ± std over seeds."""
    epochs = str(epochs)
    summary = results["summary"]
    comparison = next(c for c in results["comparisons"] if str(c["epochs"]) == epochs)
    rows = []
    for label, key, percent, digits in COMPARISON_ROWS:
        rows.append([
            label,
            format_mean_std(summary["mlp"][epochs][key], percent=percent, digits=digits),
            format_mean_std(summary["cnn"][epochs][key], percent=percent, digits=digits),
            format_mean_std(comparison["mlp_minus_cnn"][key], percent=percent, digits=digits),
        ])
    return rows


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def seeds_phrase(results: dict) -> str:
    seeds = results["config"]["seeds"]
    return f"{len(seeds)} seed{'s' if len(seeds) != 1 else ''}"


def results_markdown(results: dict) -> str:
    """The README's results section: one table per snapshot epoch, plus provenance."""
    parts = []
    if not results.get("comparisons"):
        return "Results need both models (MLP and CNN) for the comparison table."
    if results.get("fast"):
        parts.append(f"**{config.FAST_LABEL}**\n")
    for epochs in results["config"]["snapshot_epochs"]:
        parts.append(f"**After {epochs} epoch{'s' if epochs != 1 else ''}** "
                     f"(mean ± std over {seeds_phrase(results)}):\n")
        parts.append(markdown_table(["Metric", "MLP", "CNN", "MLP − CNN"],
                                    comparison_rows(results, epochs)) + "\n")
    summary = results["summary"]
    parts.append(
        f"Parameters: MLP {summary['mlp']['parameters']:,}, CNN {summary['cnn']['parameters']:,}. "
        f"Data: {results['provenance']['split_sizes']['train']:,} training, "
        f"{results['provenance']['split_sizes']['validation']:,} validation, "
        f"{results['provenance']['split_sizes']['test']:,} test images. "
        f"Source: `reports/results.json` (commit "
        f"`{(results['provenance']['git'].get('commit') or 'unknown')[:10]}`, "
        f"{results['provenance']['created'][:10]})."
    )
    return "\n".join(parts)


def update_readme(results: dict, readme: Path | None = None) -> bool:
    """Replace the README's results block with one rendered from ``results``."""
    readme = readme or config.PROJECT_ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(README_START) + r".*?" + re.escape(README_END), re.S)
    if not pattern.search(text):
        return False
    block = f"{README_START}\n{results_markdown(results)}\n{README_END}"
    new_text = pattern.sub(lambda _: block, text)
    if new_text != text:
        storage.write_text(readme, new_text)
    return True
