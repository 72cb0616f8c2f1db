"""The appendix's improved CNN (BatchNorm, dropout, shift augmentation): its test accuracy and drawings."""

from __future__ import annotations

import numpy as np

from ..formatting import caption, markdown_table, seed_mean
from ..registry import CANDIDATE
from .base import (
    Context,
    drawing_accuracies,
    extra_models,
    extra_runs,
    extra_summary,
    median_epoch_seconds,
    progress_bar,
)

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "improved_cnn"
VERSION = 1
REQUIRES = ()


IMPROVED_MODEL = "cnn_improved"


IMPROVED_SEEDS = 1


def compute(ctx: Context, research: dict) -> dict:
    return improved_cnn(ctx.results, ctx.splits, ctx.paths, show_progress=ctx.show_progress, log=ctx.log)


def improved_cnn(results: dict, splits, paths, *, show_progress: bool = True, log=print) -> dict:
    """The appendix: a stronger CNN (BatchNorm, dropout, shift augmentation), its test accuracy and
    drawings."""
    seeds = results["config"]["seeds"][:IMPROVED_SEEDS]
    epochs = max(results["config"]["snapshot_epochs"])
    log(f"Research: improved CNN ({len(seeds)} seed, {epochs} epochs, shift augmentation)")
    with progress_bar(len(seeds) * epochs, show_progress) as progress:
        records = extra_runs("appendix", [IMPROVED_MODEL], seeds, splits, (epochs,), paths, progress)
    summary = extra_summary(records, (epochs,))[IMPROVED_MODEL]
    models = extra_models(paths, "appendix", IMPROVED_MODEL, seeds, epochs)
    drawings = drawing_accuracies({IMPROVED_MODEL: models}, splits)
    return {
        "epochs": epochs,
        "seeds": seeds,
        "summary": summary,
        "user_drawings": drawings["accuracy"][IMPROVED_MODEL],
        "seconds_per_epoch": [median_epoch_seconds(r) for r in records],
    }


def improved_markdown(results: dict) -> str:
    """The appendix's improved CNN next to the original report's CNN of the same seeds: parameters, test
    accuracy and synthetic drawings."""
    research = results["research"]
    improved = research.get("improved_cnn")
    if not improved:
        return "The improved CNN has not been trained yet (run `python -m mnist_compare run`)."
    epochs = str(improved["epochs"])
    seeds = improved["seeds"]
    report_runs = [r for r in results["runs"] if r["model"] == CANDIDATE and r["seed"] in seeds]
    drawings = research["user_drawings"]["accuracy"][CANDIDATE]
    rows = []
    for label, parameters, test, naive, bbox, com in (
        (
            "CNN of the original report",
            results["summary"][CANDIDATE]["parameters"],
            sum(r["snapshots"][epochs]["test"]["accuracy"] for r in report_runs) / max(1, len(report_runs)),
            seed_mean(drawings["naive"], seeds, research["seeds"]),
            seed_mean(drawings["bbox"], seeds, research["seeds"]),
            seed_mean(drawings["bbox_com"], seeds, research["seeds"]),
        ),
        (
            "Improved CNN (BatchNorm, dropout, ±2 px shifts)",
            improved["summary"]["parameters"],
            improved["summary"][epochs]["test_accuracy"]["mean"],
            improved["user_drawings"]["naive"]["mean"],
            improved["user_drawings"]["bbox"]["mean"],
            improved["user_drawings"]["bbox_com"]["mean"],
        ),
    ):
        rows.append(
            [
                label,
                f"{parameters:,}",
                f"{100 * test:.2f}",
                f"{100 * naive:.1f}",
                f"{100 * bbox:.1f}",
                f"{100 * com:.1f}",
            ]
        )
    which = (
        "one run of each, the first seed, so no interval"
        if len(seeds) == 1
        else f"mean over {len(seeds)} seeds"
    )
    return (
        caption(
            results,
            f"An improved CNN beside the original report's CNN after {epochs} epochs ({which})",
            label="improved-cnn-table",
        )
        + "\n\n"
        + markdown_table(
            [
                "Model",
                "Parameters",
                "Test accuracy (%)",
                "Synthetic drawings: plain resize (%)",
                "Synthetic drawings: crop + 20% padding (%)",
                "Synthetic drawings: crop + 20% padding + centre of mass (%)",
            ],
            rows,
        )
    )


def epoch_seconds(results: dict) -> tuple[float, float] | None:
    """Median seconds per training epoch of the improved CNN and of the original report's CNN, or None when
    either was not measured."""
    research = results["research"]
    improved = research["improved_cnn"]
    seconds = improved.get("seconds_per_epoch") or improved["summary"].get("seconds_per_epoch", {}).get(
        "values"
    )
    cnn_seconds = research.get("cost", {}).get(CANDIDATE, {}).get("seconds_per_epoch")
    if not seconds or not cnn_seconds:
        return None
    return float(np.median(seconds)), float(np.median(cnn_seconds.get("values") or [cnn_seconds["mean"]]))
