"""Robustness: whole accuracy curves under shifts, rotations, scaling and Gaussian noise, for every model
and seed, and the verdict on the original report's robustness claim."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .. import registry
from ..formatting import (
    caption,
    combined_verdict,
    join_words,
    markdown_table,
    paired,
    pp,
    verdict_word,
)
from ..plots import PAGE_WIDTH, figure_title
from ..registry import BASELINE, CANDIDATE
from ..tables.grid import test_size
from ..transforms import ROBUSTNESS_LEVELS, ROBUSTNESS_UNITS, TRANSFORMS
from .base import Context, accuracy_of, robustness_subset, seed_summary

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "robustness"
VERSION = 3
REQUIRES = ("capacity_control", "architecture_controls")


def robustness(models: dict, splits) -> dict:
    """Accuracy per transform and level, for every model and seed, on a fixed test subset."""
    images, labels = robustness_subset(splits)
    out = {"images": int(len(labels)), "units": ROBUSTNESS_UNITS, "curves": {}}
    # Every curve starts at the unchanged images: their accuracies are computed once, not once per curve.
    unchanged = {
        name: [accuracy_of(model, images, labels) for model in seed_models]
        for name, seed_models in models.items()
    }
    for transform, levels in ROBUSTNESS_LEVELS.items():
        curve = {"levels": levels}
        transformed = [TRANSFORMS[transform](images, level) for level in levels]
        same = [np.array_equal(batch, images) for batch in transformed]
        for name, seed_models in models.items():
            per_level = [
                unchanged[name] if is_same else [accuracy_of(model, batch, labels) for model in seed_models]
                for batch, is_same in zip(transformed, same)
            ]
            curve[name] = [seed_summary(values) for values in per_level]
        out["curves"][transform] = curve
    return out


def compute(ctx: Context, research: dict) -> dict:
    ctx.log("Research: robustness to shifts, rotations, scaling and noise")
    return robustness(ctx.all_models(research), ctx.splits)


def plot_robustness(results: dict, *, models=None) -> plt.Figure:
    """Test accuracy under each transform for every model measured; lines are means, bands span the seeds."""
    robustness = results["research"]["robustness"]
    curves = robustness["curves"]
    names = models or [name for name in registry.MODELS if name in next(iter(curves.values()))]
    fig, axes = plt.subplots(2, 2, figsize=(PAGE_WIDTH, 4.6), layout="constrained")
    for ax, (transform, curve) in zip(axes.flat, curves.items()):
        levels = curve["levels"]
        for name in names:
            if name not in curve:
                continue
            means = [100 * point["mean"] for point in curve[name]]
            lows = [100 * min(point["values"]) for point in curve[name]]
            highs = [100 * max(point["values"]) for point in curve[name]]
            seeds = len(curve[name][0]["values"])
            ax.plot(
                levels,
                means,
                marker="o",
                markersize=3,
                color=registry.colour(name),
                label=f"{registry.label(name)} ({seeds} seeds"
                + (
                    ""
                    if model_epochs(results, name) == results["research"]["epochs"]
                    else f", {model_epochs(results, name)} epochs"
                )
                + ")",
                linewidth=2 if name in (BASELINE, CANDIDATE) else 1.3,
            )
            ax.fill_between(levels, lows, highs, color=registry.colour(name), alpha=0.15)
        ax.set_xlabel(robustness["units"][transform])
        ax.set_ylabel("Test accuracy (%)")
        ax.set_title(transform)
        ax.set_ylim(0, 100)
        ax.grid(True, alpha=0.3)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3, frameon=False)
    fig.suptitle(
        figure_title(
            f"Robustness on {robustness['images']:,} test images (mean over seeds, band = min-max)", results
        )
    )
    return fig


ROBUSTNESS_POINTS = {"shift": 4, "rotation": 30, "scale": 0.6, "noise": 0.3}


def _robustness_points(results: dict):
    """(transform, level, MLP summary, CNN summary, paired CNN − MLP) at each level of ROBUSTNESS_POINTS."""
    curves = results["research"]["robustness"]["curves"]
    for transform, level in ROBUSTNESS_POINTS.items():
        index = curves[transform]["levels"].index(level)
        mlp, cnn = curves[transform][BASELINE][index], curves[transform][CANDIDATE][index]
        yield transform, level, mlp, cnn, paired(cnn, mlp)


#: Below this accuracy a 10-class model is said to be near chance (10%).
NEAR_CHANCE = 0.15


def hardest_transforms(results: dict) -> dict:
    """Per model of the robustness curves: (transform, level, mean accuracy) of the transform in
    ROBUSTNESS_POINTS at whose level the model's accuracy is lowest."""
    curves = results["research"]["robustness"]["curves"]
    names = [n for n in next(iter(curves.values())) if n != "levels"]
    out = {}
    for name in names:
        points = [
            (transform, level, curves[transform][name][curves[transform]["levels"].index(level)]["mean"])
            for transform, level in ROBUSTNESS_POINTS.items()
            if name in curves.get(transform, {})
        ]
        if points:
            out[name] = min(points, key=lambda point: point[2])
    return out


def near_chance(results: dict, transform: str = "noise") -> dict:
    """The models whose mean accuracy under ``transform`` falls below NEAR_CHANCE, each with the first level
    where it does: {name: level}."""
    curve = results["research"]["robustness"]["curves"].get(transform, {})
    out = {}
    for name in (n for n in curve if n != "levels"):
        level = next((lvl for lvl, s in zip(curve["levels"], curve[name]) if s["mean"] < NEAR_CHANCE), None)
        if level is not None:
            out[name] = level
    return out


def model_epochs(results: dict, name: str) -> int:
    """The epochs of the runs of ``name`` the research sections read: an architecture control's own, the
    grid's last snapshot for the others."""
    research = results["research"]
    control = research.get("architecture_controls", {}).get("models", {}).get(name)
    return int(control["epochs"]) if control else int(research["epochs"])


def robustness_markdown(results: dict) -> str:
    """Accuracy at one telling level of each transform and the paired CNN − MLP difference."""
    units = results["research"]["robustness"]["units"]
    rows = [
        [
            f"{transform} {level} {units[transform]}",
            f"{100 * mlp['mean']:.2f}",
            f"{100 * cnn['mean']:.2f}",
            pp(diff),
        ]
        for transform, level, mlp, cnn, diff in _robustness_points(results)
    ]
    return (
        caption(
            results,
            f"Accuracy (%) on transformed test images at one level of each transformation, after "
            f"{model_epochs(results, CANDIDATE)} epochs",
            label="robustness-table",
        )
        + "\n\n"
        + markdown_table(["Transform", "MLP", "CNN", "CNN − MLP (paired by seed, 95% CI)"], rows)
    )


def _robustness_exceptions(results: dict) -> list[str]:
    """Where the claim 'the CNN is more robust' goes further than the robustness curves: the levels at which
    the CNN − MLP interval (paired by seed) does not lie above 0, the levels at which an MLP control reads
    more
    than the CNN (means), and the table's levels at which another CNN reads less than the MLP (means)."""
    curves = results["research"]["robustness"]["curves"]
    out, weak, above, below = [], [], {}, {}
    for transform, curve in curves.items():
        for index, level in enumerate(curve["levels"]):
            if "values" in curve[CANDIDATE][index] and "values" in curve[BASELINE][index]:
                diff = paired(curve[CANDIDATE][index], curve[BASELINE][index])
                if diff.get("ci_low") is None or diff["ci_low"] <= 0:
                    weak.append(f"{transform} {level} ({pp(diff)})")
        for name in (
            n for n in curve if n in registry.MODELS and not registry.entry(n).convolutional and n != BASELINE
        ):
            levels = [
                str(level)
                for index, level in enumerate(curve["levels"])
                if curve[name][index]["mean"] > curve[CANDIDATE][index]["mean"]
            ]
            if levels:
                above.setdefault(name, []).append(f"{transform} {join_words(levels)}")
        if transform in ROBUSTNESS_POINTS:
            index = curve["levels"].index(ROBUSTNESS_POINTS[transform])
            for name in (
                n
                for n in curve
                if n in registry.MODELS and registry.entry(n).convolutional and n != CANDIDATE
            ):
                if curve[name][index]["mean"] < curve[BASELINE][index]["mean"]:
                    below.setdefault(name, []).append(
                        f"{transform} {ROBUSTNESS_POINTS[transform]} "
                        f"({100 * curve[name][index]['mean']:.1f}% "
                        f"against {100 * curve[BASELINE][index]['mean']:.1f}%)"
                    )
    if weak:
        out.append("the CNN − MLP interval does not lie above 0 at " + join_words(weak))
    out += [
        f"the {registry.text_name(name)} reads more than the CNN at {'; '.join(parts)} (means)"
        for name, parts in above.items()
    ]
    out += [
        f"the {registry.text_name(name)}, another CNN, reads less than the MLP at {join_words(parts)}"
        for name, parts in below.items()
    ]
    return out


def robustness_claim(results: dict) -> tuple[str, str, list[str]]:
    """The verdict on 'the CNN is more robust to transformed input' (the verdicts table and the corrected
    tables of the original report use this one), the CNN − MLP differences at the levels of
    ROBUSTNESS_POINTS, and where the curves show the claim going further than those points: 'supported' at
    every point becomes 'partly supported' when there are such exceptions."""
    parts, verdicts = [], []
    for transform, level, _, _, diff in _robustness_points(results):
        parts.append(f"{transform} {level}: {pp(diff)}")
        verdicts.append(verdict_word(diff))
    measured = "CNN − MLP at one level of each transformation: " + "; ".join(parts)
    verdict, exceptions = combined_verdict(verdicts), _robustness_exceptions(results)
    if verdict == "supported" and exceptions:
        verdict = "partly supported"
    return verdict, measured, exceptions


def shift_markdown(results: dict) -> str:
    """Accuracy at 0-8 pixels of shift for every model, with the epochs each was trained for."""
    curves = results["research"]["robustness"]["curves"]["shift"]
    levels = curves["levels"]
    picks = [level for level in (0, 2, 4, 6, 8) if level in levels]
    names = [n for n in (BASELINE, "mlp_wide", "mlp_deep", CANDIDATE, "cnn_gap") if n in curves]
    rows = [
        [registry.table_label(n), str(model_epochs(results, n))]
        + [f"{100 * curves[n][levels.index(level)]['mean']:.1f}" for level in picks]
        for n in names
    ]
    images = results["research"]["robustness"]["images"]
    return (
        caption(
            results,
            f"Accuracy (%) on test digits shifted by 0-8 pixels in a random direction, mean over seeds (the "
            f"same {images:,}-image stratified subset of the test set for every model, so 0 px is the "
            f"accuracy on this subset, not on all {test_size(results):,} test digits)",
            label="robustness-shift-table",
        )
        + "\n\n"
        + markdown_table(["Model", "Epochs"] + [f"{level} px" for level in picks], rows)
    )
