"""Capacity control: an MLP widened to the CNN's parameter count (does size explain the CNN's lead?)."""

from __future__ import annotations

from .. import registry
from ..formatting import caption, markdown_table
from ..metrics import format_mean_std
from ..registry import BASELINE, CANDIDATE
from .base import CONTROL_MODEL, Context, extra_runs, extra_summary, gap_closed_sentence, progress_bar

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "capacity_control"
VERSION = 3
REQUIRES = ()


def compute(ctx: Context, research: dict) -> dict:
    ctx.log(f"Research: capacity control ({CONTROL_MODEL}, {len(ctx.seeds)} seeds)")
    with progress_bar(len(ctx.seeds) * ctx.last, ctx.show_progress) as progress:
        control = extra_runs(
            "control", [CONTROL_MODEL], ctx.seeds, ctx.splits, ctx.snapshot_epochs, ctx.paths, progress
        )
    return extra_summary(control, ctx.snapshot_epochs)


def control_markdown(results: dict) -> str:
    """The parameter-matched control next to the original report's two models, and the share of the gap
    it closes."""
    research = results["research"]
    last = str(research["epochs"])
    rows = []
    for name in (BASELINE, CANDIDATE):
        s = results["summary"][name][last]
        rows.append(
            [
                registry.table_label(name),
                f"{results['summary'][name]['parameters']:,}",
                format_mean_std(s["test_accuracy"], percent=True),
                format_mean_std(s["accuracy_gap"], percent=True),
            ]
        )
    for name, entry in research["capacity_control"].items():
        s = entry[last]
        rows.append(
            [
                registry.table_label(name),
                f"{entry['parameters']:,}",
                format_mean_std(s["test_accuracy"], percent=True),
                format_mean_std(s["accuracy_gap"], percent=True),
            ]
        )
    text = " ".join(gap_closed_sentence(results, name) for name in research["capacity_control"]).strip()
    return (
        caption(results, f"Parameter-matched control after {last} epochs (mean ± std over seeds)")
        + "\n\n"
        + markdown_table(["Model", "Parameters", "Test accuracy (%)", "Overfitting gap (pp)"], rows)
        + (f"\n\n{text}" if text else "")
    )
