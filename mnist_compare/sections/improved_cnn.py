"""The appendix's improved CNN (BatchNorm, dropout, shift augmentation): its test accuracy and drawings."""

from __future__ import annotations

from ..formatting import caption, join_words, markdown_table, seed_mean
from ..references import cite
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
    """The appendix's improved CNN next to the original report's CNN: test accuracy and user-like drawings."""
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
    seed_text = ", ".join(map(str, seeds))
    which = f"seed {seed_text} only, so no interval" if len(seeds) == 1 else f"seeds {seed_text}, mean"
    return (
        caption(results, f"Appendix: an improved CNN after {epochs} epochs ({which})")
        + "\n\n"
        + markdown_table(
            [
                "Model",
                "Parameters",
                "Test accuracy (%)",
                "Drawings: plain resize (%)",
                "Drawings: crop + 20% pad (%)",
                "Drawings: crop + pad + centre of mass (%)",
            ],
            rows,
        )
        + "\n\n"
        + _improved_differences(results)
    )


def _improved_differences(results: dict) -> str:
    """What the improved CNN changes besides the architecture (it is not the same setup as the original
    report's CNN), what it shares, and its measured cost per epoch against that CNN's."""
    import numpy as np

    research = results["research"]
    improved = research["improved_cnn"]
    grid_epochs, epochs = research["epochs"], improved["epochs"]
    config = results["config"]
    shared = [
        f"the optimizer ({config['optimizer']} {cite('kingma2015')}, learning rate "
        f"{config['learning_rate']:g})",
        f"the batch size ({config['batch_size']})",
    ]
    changed = [
        "the architecture (a second convolution block, BatchNorm, dropout)",
        "the training data (every training image moved by up to ±2 pixels at random each epoch: "
        "augmentation)",
    ]
    if epochs == grid_epochs:
        shared.append(f"the number of epochs ({epochs})")
    else:
        changed.append(f"the number of epochs ({epochs} against {grid_epochs})")
    text = (
        f"It is not the original report's CNN in the same setup: it changes {join_words(changed)}, and "
        f"shares "
        f"{join_words(shared)}. Its gain cannot be credited to any one of these changes."
    )
    seconds = improved.get("seconds_per_epoch") or improved["summary"].get("seconds_per_epoch", {}).get(
        "values"
    )
    cnn_seconds = research.get("cost", {}).get(CANDIDATE, {}).get("seconds_per_epoch")
    if seconds and cnn_seconds:
        ours = float(np.median(seconds))
        theirs = float(np.median(cnn_seconds.get("values") or [cnn_seconds["mean"]]))
        text += (
            f" An epoch takes {ours:.2f} s against the original report's CNN's {theirs:.2f} s (medians): "
            f"{ours / theirs:.1f}× as long."
        )
    return text
