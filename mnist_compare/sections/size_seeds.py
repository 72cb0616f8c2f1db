"""Size or architecture, with more seeds: the MLP, the MLPs as large as the CNN and the CNN shrunk below the
MLP, trained with many seeds so that the small gains the five-seed controls leave open are settled."""

from __future__ import annotations

from .. import registry
from ..formatting import caption, markdown_table, paired, pp
from ..registry import BASELINE
from .base import Context, extra_runs, progress_bar, seed_summary

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "size_seeds"
VERSION = 1
REQUIRES = ("capacity_control", "architecture_controls")

#: How many seeds (0, 1, ...): every model here trains in seconds an epoch, so many seeds are cheap. The
#: controls' first five seeds are their runs of the other sections (reused, not trained again).
SIZE_SEEDS = 20

#: The models and where their runs live: the MLP in a folder of its own, the controls in theirs.
SIZE_MODELS = {
    BASELINE: "size",
    "mlp_wide": "control",
    "mlp_compute": "architecture",
    "cnn_small": "architecture",
}

#: The comparisons the section answers (first − second, paired by seed): does size help an MLP, does the
#: architecture help with fewer parameters, and which helps more.
SIZE_COMPARISONS = (
    ("mlp_wide", BASELINE),
    ("mlp_compute", BASELINE),
    ("cnn_small", BASELINE),
    ("cnn_small", "mlp_compute"),
)

#: The label of the section's table (``[the table](#size-seeds-table)`` in a notebook).
SIZE_TABLE = "size-seeds-table"


def compute(ctx: Context, research: dict) -> dict:
    """Test accuracy after the grid's last epoch of every model of ``SIZE_MODELS`` over ``SIZE_SEEDS`` seeds
    (the grid's seeds in a fast run)."""
    seeds = list(ctx.seeds) if ctx.fast else list(range(SIZE_SEEDS))
    ctx.log(f"Research: size or architecture ({', '.join(SIZE_MODELS)}, {len(seeds)} seeds)")
    out = {"seeds": seeds, "epochs": ctx.last, "models": {}}
    with progress_bar(len(SIZE_MODELS) * len(seeds) * ctx.last, ctx.show_progress) as progress:
        for name, variant in SIZE_MODELS.items():
            records = extra_runs(variant, [name], seeds, ctx.splits, ctx.snapshot_epochs, ctx.paths, progress)
            out["models"][name] = {
                "parameters": records[0]["parameters"],
                "test_accuracy": seed_summary(
                    [r["snapshots"][str(ctx.last)]["test"]["accuracy"] for r in records]
                ),
            }
    return out


def comparisons(results: dict) -> dict:
    """{(first, second): first − second test accuracy, paired by seed} for every ``SIZE_COMPARISONS`` pair the
    section has."""
    models = results["research"].get(KEY, {}).get("models", {})
    return {
        (first, second): paired(models[first]["test_accuracy"], models[second]["test_accuracy"])
        for first, second in SIZE_COMPARISONS
        if first in models and second in models
    }


def size_markdown(results: dict) -> str:
    """Each comparison of the section: both models' mean test accuracy over its seeds and their difference,
    paired by seed."""
    section = results["research"][KEY]
    models = section["models"]

    def mean(name: str) -> str:
        return f"{100 * models[name]['test_accuracy']['mean']:.2f}"

    rows = [
        [
            f"{registry.label(first)} ({models[first]['parameters']:,} parameters) − "
            f"{registry.label(second)} ({models[second]['parameters']:,})",
            mean(first),
            mean(second),
            pp(diff),
        ]
        for (first, second), diff in comparisons(results).items()
    ]
    seeds = len(section["seeds"])
    return (
        caption(
            results,
            f"Size or architecture with {seeds} seeds: test accuracy after {section['epochs']} epochs, mean "
            "over seeds, and the difference paired by seed, with its 95% interval",
            label=SIZE_TABLE,
        )
        + "\n\n"
        + markdown_table(["Comparison", "First (%)", "Second (%)", "First − second"], rows)
    )
