"""Calibration: reliability, expected calibration error and confident mistakes of the grid's models."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .. import registry
from ..formatting import caption, markdown_table, plural
from ..metrics import format_mean_std
from ..plots import PAGE_WIDTH, figure_title
from ..references import cite
from ..registry import BASELINE, CANDIDATE
from ..tables.grid import test_size
from ..training import predictions_path
from .base import CALIBRATION_BINS, CONTROL_MODEL, Context, calibration_summary, extra_run_dir

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "calibration"
VERSION = 1
REQUIRES = ("capacity_control",)


def compute(ctx: Context, research: dict) -> dict:

    out = {"bins": CALIBRATION_BINS, "epochs": ctx.last, "models": {}}
    sources = {name: [ctx.run_dir(name, seed) for seed in ctx.seeds] for name in (BASELINE, CANDIDATE)}
    sources[CONTROL_MODEL] = [extra_run_dir(ctx.paths, "control", CONTROL_MODEL, seed) for seed in ctx.seeds]
    labels = ctx.splits.y_test
    for name, run_dirs in sources.items():
        probabilities = [
            np.load(predictions_path(run_dir, ctx.last))["probabilities"] for run_dir in run_dirs
        ]
        out["models"][name] = calibration_summary(labels, probabilities)
    return out


#: A reliability bin with fewer answers than this (pooled over seeds) is too noisy to plot or count.
MIN_BIN_ANSWERS = 20


def plot_reliability(results: dict, *, models=(BASELINE, CANDIDATE)) -> plt.Figure:
    """Reliability diagrams (accuracy against confidence per bin, pooled over seeds) and how many
    test images fall in each bin."""
    section = results["research"]["calibration"]
    fig, (ax, ax_count) = plt.subplots(1, 2, figsize=(PAGE_WIDTH, 3.3))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect calibration")
    for name in models:
        table = section["models"][name]["reliability"]
        used = np.array(table["count"]) >= MIN_BIN_ANSWERS
        edges = np.array(table["edges"])
        ax.plot(
            np.array(table["confidence"])[used],
            np.array(table["accuracy"])[used],
            marker="o",
            markersize=4,
            color=registry.colour(name),
            label=f"{registry.label(name)} (ECE {100 * section['models'][name]['ece']['mean']:.2f}%, "
            "mean over seeds)",
        )
        ax_count.bar(
            (edges[:-1] + edges[1:]) / 2 + (0.012 if name == CANDIDATE else -0.012),
            table["count"],
            width=0.024,
            color=registry.colour(name),
            label=registry.label(name),
        )
    ax.set_xlabel("Confidence (highest probability)")
    ax.set_ylabel("Accuracy in the bin")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right")
    ax.set_title(f"Reliability (bins of ≥ {MIN_BIN_ANSWERS} answers)")
    ax_count.set_yscale("log")
    ax_count.set_xlabel("Confidence")
    ax_count.set_ylabel("Test answers (log scale)")
    ax_count.set_title("Where the answers are")
    ax_count.legend(loc="upper left")
    fig.suptitle(figure_title(f"Calibration after {section['epochs']} epochs (pooled over seeds)", results))
    fig.tight_layout()
    return fig


def over_confident(results: dict) -> dict:
    """Per grid model, whether its mean confidence on the test set is above its test accuracy (mean over
    seeds)."""
    last = str(max(results["config"]["snapshot_epochs"]))
    calibration = results["research"]["calibration"]["models"]
    return {
        name: calibration[name]["mean_confidence"]["mean"]
        > results["summary"][name][last]["test_accuracy"]["mean"]
        for name in (BASELINE, CANDIDATE)
    }


#: The anchor of the calibration table (the notebooks cite it as ``[Table](#calibration-table)``).
CALIBRATION_TABLE = "calibration-table"


def calibration_markdown(results: dict) -> str:
    """Expected calibration error, mean confidence and the confident mistakes of each model."""
    section = results["research"]["calibration"]
    rows = []
    for name, item in section["models"].items():
        accuracy = (
            results["summary"][name][str(section["epochs"])]["test_accuracy"]["mean"]
            if name in results["summary"]
            else results["research"]["capacity_control"][name][str(section["epochs"])]["test_accuracy"][
                "mean"
            ]
        )
        rows.append(
            [
                registry.table_label(name),
                format_mean_std(item["ece"], percent=True),
                f"{100 * item['mean_confidence']['mean']:.2f}",
                f"{100 * accuracy:.2f}",
                format_mean_std(item["confident_mistakes"], digits=1),
            ]
        )
    seeds = next(iter(section["models"].values()))["ece"].get("n", len(results["config"]["seeds"]))
    return (
        caption(
            results,
            f"Calibration after {section['epochs']} epochs (expected calibration error, ECE "
            f"{cite('guo2017')}, over {section['bins']} equal-width confidence bins; "
            f"mean over {plural(seeds, 'seed')})",
            label=CALIBRATION_TABLE,
        )
        + "\n\n"
        + markdown_table(
            [
                "Model",
                "ECE (%)",
                "Mean confidence (%)",
                "Test accuracy (%)",
                f"Wrong with ≥ 99% confidence (of {test_size(results):,}), mean ± std",
            ],
            rows,
        )
    )


def bins_under_diagonal(results: dict) -> dict:
    """Per compared model, (bins below the top one whose accuracy is under their mean confidence, bins below
    the top one with at least MIN_BIN_ANSWERS answers) of its reliability diagram."""
    section = results["research"]["calibration"]["models"]
    counts = {}
    for name in (BASELINE, CANDIDATE):
        table = section[name]["reliability"]
        bins = [
            (c, a)
            for c, a, n in zip(table["confidence"], table["accuracy"], table["count"])
            if n >= MIN_BIN_ANSWERS
        ][:-1]
        counts[name] = (sum(a < c for c, a in bins), len(bins))
    return counts
