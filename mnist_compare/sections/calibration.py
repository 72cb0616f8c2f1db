"""Calibration: reliability, expected calibration error and confident mistakes of the grid's models."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .. import registry
from ..formatting import caption, diff_text, markdown_table, plural
from ..metrics import format_mean_std, summarize
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


def plot_reliability(results: dict, *, models=(BASELINE, CANDIDATE)) -> plt.Figure:
    """Reliability diagrams (accuracy against confidence per bin, pooled over seeds) and how many
    test images fall in each bin."""
    section = results["research"]["calibration"]
    fig, (ax, ax_count) = plt.subplots(1, 2, figsize=(PAGE_WIDTH, 3.3))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect calibration")
    for name in models:
        table = section["models"][name]["reliability"]
        used = np.array(table["count"]) > 0
        edges = np.array(table["edges"])
        ax.plot(
            np.array(table["confidence"])[used],
            np.array(table["accuracy"])[used],
            marker="o",
            markersize=4,
            color=registry.colour(name),
            label=f"{registry.label(name)} (ECE {100 * section['models'][name]['ece']['mean']:.2f}%)",
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
    ax.legend(loc="upper left")
    ax.set_title("Reliability")
    ax_count.set_yscale("log")
    ax_count.set_xlabel("Confidence")
    ax_count.set_ylabel("Test answers (log scale)")
    ax_count.set_title("Where the answers are")
    ax_count.legend(loc="upper left")
    fig.suptitle(figure_title(f"Calibration after {section['epochs']} epochs (pooled over seeds)", results))
    fig.tight_layout()
    return fig


def calibration_contrast(results: dict, with_ece: bool = True) -> str:
    """Which model has the lower expected calibration error, and whether one makes more mistakes with at
    least 99% confidence (mean per run, with the paired CNN − MLP difference), in one sentence
    (``with_ece=False`` when the errors were just given). A difference whose 95% interval over seeds
    includes 0 is called what it is: no detectable difference."""

    section = results["research"]["calibration"]["models"]
    ece = {name: section[name]["ece"]["mean"] for name in (BASELINE, CANDIDATE)}
    mistakes = {name: section[name]["confident_mistakes"] for name in (BASELINE, CANDIDATE)}
    lower_ece = min(ece, key=ece.get)
    other = BASELINE if lower_ece == CANDIDATE else CANDIDATE

    def paired(key: str) -> dict | None:
        values = {name: section[name][key].get("values") for name in (BASELINE, CANDIDATE)}
        if values[BASELINE] and values[CANDIDATE] and len(values[BASELINE]) == len(values[CANDIDATE]) > 1:
            return summarize([c - m for c, m in zip(values[CANDIDATE], values[BASELINE])])
        return None

    def undetectable(diff: dict | None) -> bool:
        return diff is not None and diff["ci_low"] <= 0 <= diff["ci_high"]

    n = min(mistakes[BASELINE].get("n", 1), mistakes[CANDIDATE].get("n", 1))
    counts = (
        f"CNN {mistakes[CANDIDATE]['mean']:.1f}, MLP {mistakes[BASELINE]['mean']:.1f} test digits per run "
        f"wrong "
        f"with at least 99% confidence, mean over {plural(n, 'seed')}"
    )
    diff = paired("confident_mistakes")
    if diff is not None:
        counts += (
            f"; CNN − MLP {diff['mean']:+.1f}, 95% interval [{diff['ci_low']:.1f}, {diff['ci_high']:.1f}]"
            + (", which includes 0" if undetectable(diff) else "")
        )
    else:
        counts += "; no interval"
    ece_diff = paired("ece")
    name = f"expected calibration error {cite('naeini2015', 'guo2017')}"
    if undetectable(ece_diff):
        opening = (
            f"The two models' {name} does not differ detectably"
            + (f" (MLP {100 * ece[BASELINE]:.2f}%, CNN {100 * ece[CANDIDATE]:.2f}%" if with_ece else " (")
            + f"{'; ' if with_ece else ''}CNN − MLP {diff_text(ece_diff)} pp)"
        )
        if undetectable(diff):
            return f"{opening}, and neither does the number of confident mistakes ({counts})."
        more = CANDIDATE if mistakes[CANDIDATE]["mean"] > mistakes[BASELINE]["mean"] else BASELINE
        return f"{opening}; the {more.upper()} makes more confident mistakes ({counts})."
    ece_text = f" ({100 * ece[lower_ece]:.2f}% against {100 * ece[other]:.2f}%)" if with_ece else ""
    if undetectable(diff):
        return (
            f"The {lower_ece.upper()} has the lower {name}{ece_text}; in confident mistakes there is no "
            f"detectable difference ({counts})."
        )
    if mistakes[lower_ece]["mean"] > mistakes[other]["mean"]:
        return (
            f"The {lower_ece.upper()} has the lower {name}{ece_text} but more confident mistakes ({counts})."
        )
    if mistakes[lower_ece]["mean"] < mistakes[other]["mean"]:
        return (
            f"The {lower_ece.upper()} has both the lower {name}{ece_text} and fewer "
            f"confident mistakes ({counts})."
        )
    return (
        f"The {lower_ece.upper()} has the lower {name}{ece_text} and as many confident mistakes ({counts})."
    )


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
    return (
        caption(
            results,
            f"Calibration after {section['epochs']} epochs (expected calibration error, ECE "
            f"{cite('naeini2015', 'guo2017')}, over {section['bins']} equal-width confidence bins; "
            "mean over seeds)",
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
    """Per compared model, (bins below the top one whose accuracy is under their mean confidence, populated
    bins below the top one) of its reliability diagram."""
    section = results["research"]["calibration"]["models"]
    counts = {}
    for name in (BASELINE, CANDIDATE):
        table = section[name]["reliability"]
        bins = [(c, a) for c, a, n in zip(table["confidence"], table["accuracy"], table["count"]) if n > 0][
            :-1
        ]
        counts[name] = (sum(a < c for c, a in bins), len(bins))
    return counts
