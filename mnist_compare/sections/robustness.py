"""Robustness: whole accuracy curves under shifts, rotations, scaling and Gaussian noise, for every model
and seed, and the verdict on the original report's robustness claim."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

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
from ..transforms import ROBUSTNESS_LEVELS, ROBUSTNESS_UNITS, TRANSFORMS, UNCHANGED_LEVEL
from .base import Context, accuracy_of, robustness_subset, seed_summary

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "robustness"
VERSION = 5
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
    """Test accuracy under each transform for every model measured; lines are means, bands their 95% intervals
    over seeds, as the tables give them (the MLP's and the CNN's over the size comparison's seeds when the
    results have them, as the verdicts use)."""
    robustness = results["research"]["robustness"]
    curves = robustness["curves"]
    names = models or [name for name in registry.MODELS if name in next(iter(curves.values()))]
    columns = 3 if len(curves) > 4 else 2
    fig, axes = plt.subplots(2, columns, figsize=(PAGE_WIDTH, 3.9), layout="constrained")
    fig.get_layout_engine().set(hspace=0.06)  # the lower panels' titles clear the upper panels' axis labels
    for ax, (transform, curve) in zip(axes.flat, curves.items()):
        levels = curve["levels"]
        for name in names:
            if name not in curve:
                continue
            points = model_curve(results, transform, name)[name]
            means = [100 * point["mean"] for point in points]
            # The 95% interval of the mean, as the tables give it (one seed: no band).
            lows = [
                100 * (point["ci_low"] if point.get("ci_low") is not None else point["mean"])
                for point in points
            ]
            highs = [
                100 * (point["ci_high"] if point.get("ci_high") is not None else point["mean"])
                for point in points
            ]
            seeds = len(points[0]["values"])
            convolutional = name in registry.MODELS and registry.entry(name).convolutional
            ax.plot(
                levels,
                means,
                # Solid for the CNNs (dash-dotted for the small CNN, whose curve lies close to the CNN's),
                # dashed for the MLPs, and a marker each: told apart in grey print too.
                linestyle=("-." if name == SMALL_CNN else "-") if convolutional else "--",
                marker=MARKERS[names.index(name) % len(MARKERS)],
                markersize=3.5,
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
            ax.fill_between(levels, lows, highs, color=registry.colour(name), alpha=0.25)
        ax.set_xlabel(robustness["units"][transform])
        if robustness["units"][transform] == "pixels":
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole pixels, not 2.5 and 7.5
        ax.set_ylabel("Test accuracy (%)")
        ax.set_title(CURVE_TITLES.get(transform, transform))
        ax.set_ylim(0, 100)
        ax.grid(True, alpha=0.3)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    spare = list(axes.flat[len(curves) :])
    for ax in spare:
        ax.axis("off")
    if spare:
        # The legend fills the panel the curves leave free.
        spare[0].legend(handles, labels, loc="center", frameon=False)
    else:
        fig.legend(handles, labels, loc="outside lower center", ncol=3, frameon=False)
    fig.suptitle(
        figure_title(
            f"Robustness on {robustness['images']:,} test images (mean over seeds, band = 95% interval)",
            results,
        )
    )
    return fig


#: The markers of the robustness curves, one per model shown.
MARKERS = ("o", "s", "^", "D", "v", "P", "X")


#: A curve's name in a table row where its key alone would not say what it is.
ROW_NAMES = {"noise": "clipped noise"}


#: A curve's title where its key alone would not say what it is.
CURVE_TITLES = {"noise": "noise, clipped to [0, 1]", "unclipped noise": "the same noise, not clipped"}


def changed_levels(transform: str, levels) -> list[int]:
    """The indices of a curve's ``levels`` that change the image (every level but the unchanged one)."""
    return [index for index, level in enumerate(levels) if level != UNCHANGED_LEVEL[transform]]


def compared_curves(results: dict, many: bool) -> dict:
    """The robustness curves; with ``many``, those over the size comparison's seeds (the side-seeds section:
    the MLP, the CNN and the controls the size comparison trains) when the results have them."""
    research = results["research"]
    if many and research.get("side_seeds", {}).get("curves"):
        return research["side_seeds"]["curves"]
    return research["robustness"]["curves"]


def many_seeds(results: dict) -> int | None:
    """How many seeds the MLP's and the CNN's curves have with ``many=True`` when that is more than the
    robustness section's (None otherwise)."""
    curves = results["research"].get("side_seeds", {}).get("curves")
    return len(results["research"]["side_seeds"]["seeds"]) if curves else None


def seed_curve_means(curve: dict, transform: str, name: str) -> list[float]:
    """Per seed, ``name``'s accuracy averaged over every changed level of one robustness ``curve`` (the area
    under the curve, divided by its width): no level is picked."""
    points = [curve[name][index]["values"] for index in changed_levels(transform, curve["levels"])]
    return [sum(values) / len(values) for values in zip(*points)]


def model_curve(results: dict, transform: str, name: str, *, many: bool = True) -> dict:
    """The curve of ``transform`` that holds ``name``'s points: over the size comparison's seeds when ``many``
    and the results have them for this model, else the robustness section's."""
    curves = compared_curves(results, many)
    if name in curves.get(transform, {}):
        return curves[transform]
    return results["research"]["robustness"]["curves"][transform]


def model_seeds(results: dict, name: str) -> int:
    """How many seeds ``name``'s robustness curves rest on (over the size comparison's where it has them)."""
    return len(model_curve(results, "shift", name)[name][0]["values"])


def curve_mean(results: dict, transform: str, name: str, *, many: bool = True) -> dict:
    """``seed_curve_means`` of one model on one curve of the results, summarised over seeds. ``many``: see
    ``model_curve``."""
    return seed_summary(seed_curve_means(model_curve(results, transform, name, many=many), transform, name))


def paired_curve_means(results: dict, transform: str, first: str, second: str) -> dict:
    """``first`` − ``second`` of their curve means on ``transform``, paired by seed: over the size
    comparison's seeds when both have curves there, else over the robustness section's."""
    many = all(name in compared_curves(results, True).get(transform, {}) for name in (first, second))
    return paired(
        curve_mean(results, transform, first, many=many), curve_mean(results, transform, second, many=many)
    )


def curve_comparison(results: dict, first: str, second: str, *, many: bool = False) -> dict:
    """{transform: first − second} of the curve means, paired by seed, for every transform both have
    (``many``: over the size comparison's seeds, for the MLP and the CNN, when the results have them)."""
    curves = results["research"]["robustness"]["curves"]
    return {
        transform: paired_curve_means(results, transform, first, second)
        if many
        else paired(
            curve_mean(results, transform, first, many=False),
            curve_mean(results, transform, second, many=False),
        )
        for transform, curve in curves.items()
        if first in curve and second in curve
    }


#: The CNN shrunk below the MLP's size: architecture against size, on the curves.
SMALL_CNN = "cnn_small"


def mlp_controls(results: dict, transform: str) -> list[str]:
    """The MLP controls (every MLP but the original report's) on one robustness curve."""
    curve = results["research"]["robustness"]["curves"][transform]
    return [
        n for n in curve if n in registry.MODELS and not registry.entry(n).convolutional and n != BASELINE
    ]


def most_robust_control(results: dict, transform: str) -> str | None:
    """The MLP control with the highest accuracy averaged over one curve (the hardest one to beat)."""
    names = mlp_controls(results, transform)
    return max(names, key=lambda n: curve_mean(results, transform, n)["mean"]) if names else None


def cnn_against_controls(results: dict, transform: str) -> dict:
    """{MLP control: CNN − that control, the curve means of ``transform`` paired by seed} for every MLP
    control with per-seed values (over their shared seeds)."""
    curve = results["research"]["robustness"]["curves"][transform]
    return {
        name: paired_curve_means(results, transform, CANDIDATE, name)
        for name in mlp_controls(results, transform)
        if "values" in curve[name][0]
    }


def small_cnn_against_controls(results: dict) -> dict:
    """{transform: (the most robust MLP control, small CNN − that control paired by seed)} for every curve
    that has the small CNN and an MLP control."""
    out = {}
    for transform, curve in results["research"]["robustness"]["curves"].items():
        control = most_robust_control(results, transform)
        if SMALL_CNN in curve and control:
            out[transform] = (
                control,
                paired_curve_means(results, transform, SMALL_CNN, control),
            )
    return out


#: Below this accuracy a 10-class model is said to be near chance (10%).
NEAR_CHANCE = 0.15


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


def levels_text(results: dict, transform: str) -> str:
    """'1–8 pixels', 'zoom 0.5–0.9, 1.1–1.5': the changed levels a curve mean averages (short enough for a
    table's first column)."""
    all_levels = results["research"]["robustness"]["curves"][transform]["levels"]
    levels = [all_levels[index] for index in changed_levels(transform, all_levels)]
    unit = results["research"]["robustness"]["units"][transform]
    below = [level for level in levels if level < UNCHANGED_LEVEL[transform]]
    above = [level for level in levels if level > UNCHANGED_LEVEL[transform]]
    # A range keeps its unit (a no-break space); the print style keeps the tables' first column on one line,
    # as an invisible joiner after the dash would too, but that would reach a reader's copy of the text.
    runs = ", ".join(f"{run[0]:g}–{run[-1]:g}" for run in (below, above) if run)
    if unit in ("pixels", "degrees"):
        return f"{runs}\u00a0{unit}"
    return f"{unit.removeprefix('noise ').removesuffix(' factor')}\u00a0{runs}"


def robustness_markdown(results: dict) -> str:
    """Each model's accuracy averaged over every changed level of each curve, the CNN − MLP difference, the
    CNN against the most robust MLP control of each curve (both paired by seed), and the small CNN's accuracy
    (architecture below size; its differences are in the text)."""
    curves = results["research"]["robustness"]["curves"]
    # The MLP and the CNN over the size comparison's seeds when the results have them (as the verdicts).
    lead = curve_comparison(results, CANDIDATE, BASELINE, many=True)
    # The MLP control with the highest mean on each curve that has the small CNN as well.
    against = {
        transform: control
        for transform, curve in curves.items()
        if SMALL_CNN in curve and (control := most_robust_control(results, transform))
    }
    controls = set(against.values())
    same = len(controls) == 1
    rows = []
    for transform in curves:
        row = [f"{ROW_NAMES.get(transform, transform)}, {levels_text(results, transform)}"]
        row += [
            f"{100 * curve_mean(results, transform, name, many=True)['mean']:.1f}"
            for name in (BASELINE, CANDIDATE)
        ]
        row.append(pp(lead[transform]))
        if against:
            control = against[transform]
            row += [
                (f"{registry.label(control)} " if not same else "")
                + f"{100 * curve_mean(results, transform, control)['mean']:.1f}",
                pp(paired_curve_means(results, transform, CANDIDATE, control)),
                f"{100 * curve_mean(results, transform, SMALL_CNN)['mean']:.1f}",
            ]
        rows.append(row)
    header = ["Curve, levels averaged", "MLP", "CNN", "CNN − MLP"]
    if against:
        label = registry.label(next(iter(controls)))
        robust = f"{label[:1].upper()}{label[1:]}" if same else "Most robust MLP control"
        header += [robust, f"CNN − {label}" if same else "CNN − that control", "Small CNN"]
    shown = [BASELINE, CANDIDATE] + ([SMALL_CNN, *controls] if against else [])
    counts = {model_seeds(results, name) for name in shown}
    seeds = (
        f"{counts.pop()} seeds"
        if len(counts) == 1
        else f"MLP and CNN {model_seeds(results, CANDIDATE)} seeds, the others "
        + join_words(sorted({str(model_seeds(results, name)) for name in shown[2:]}))
    )
    return (
        caption(
            results,
            f"Accuracy (%) after {model_epochs(results, CANDIDATE)} epochs, averaged over each curve's "
            "changed levels, "
            + seeds
            + (
                f". The {registry.label(next(iter(controls)))} represents the MLP controls: it has the "
                "highest mean of the three on every curve (chosen on these curves)"
                if against and same
                else ""
            ),
            label="robustness-table",
        )
        + "\n\n"
        + markdown_table(header, rows)
    )


def weak_levels(results: dict, transform: str, *, many: bool = False) -> list:
    """The changed levels of one curve at which the CNN − MLP interval (paired by seed) does not lie above
    0 (``many``: see ``compared_curves``)."""
    curve = compared_curves(results, many)[transform]
    return [
        curve["levels"][index]
        for index in changed_levels(transform, curve["levels"])
        if "values" in curve[CANDIDATE][index]
        and "values" in curve[BASELINE][index]
        and verdict_word(paired(curve[CANDIDATE][index], curve[BASELINE][index])) != "supported"
    ]


def _robustness_exceptions(results: dict, transforms) -> list[str]:
    """Where the claim 'the CNN is more robust' goes further than the curves of ``transforms``: the levels at
    which the CNN − MLP interval (paired by seed) does not lie above 0, and the MLP controls the CNN is not
    significantly ahead of on a curve's mean (paired by seed)."""
    curves = {t: c for t, c in results["research"]["robustness"]["curves"].items() if t in transforms}
    out = []
    weak = [
        f"{transform} {'std ' if transform in NOISE else ''}{level:g}"
        for transform in curves
        for level in weak_levels(results, transform, many=True)
    ]
    if weak:
        out.append("not significant at " + join_words(weak) + " alone")
    behind, shared = {}, {}
    for transform in curves:
        for name, diff in cnn_against_controls(results, transform).items():
            if verdict_word(diff) != "supported":
                behind.setdefault(transform, []).append(registry.label(name))
                shared[transform] = diff.get("n")
    out += [
        "not significantly ahead of "
        + (
            "any MLP control"
            if len(names) == len(mlp_controls(results, transform))
            else f"the {join_words(names)}"
        )
        + f" under {transform}"
        + (f" ({shared[transform]} seeds)" if shared.get(transform) else "")
        for transform, names in behind.items()
    ]
    return out


#: The transforms that move the ink (the claim's geometric part) and the one that adds to it.
GEOMETRIC = ("shift", "rotation", "scale")
NOISE = ("noise", "unclipped noise")


def robustness_claim(results: dict, transforms=GEOMETRIC + NOISE) -> tuple[str, str, list[str]]:
    """The verdict on 'the CNN is more robust to transformed input' for ``transforms`` (the verdicts table
    gives the geometric ones and noise apart), the CNN − MLP differences of the curve means, and where the
    curves show the claim going further than those means: 'supported' for every transform becomes 'partly
    supported' when there are such exceptions."""
    lead = {
        t: d for t, d in curve_comparison(results, CANDIDATE, BASELINE, many=True).items() if t in transforms
    }
    seeds = many_seeds(results)
    seeds_text = f" ({seeds} seeds)" if seeds else ""
    measured = "; ".join(
        f"{transform} curve, mean{seeds_text}: {pp(diff)}" for transform, diff in lead.items()
    )
    verdict = combined_verdict([verdict_word(diff) for diff in lead.values()])
    # The exceptions qualify a claim the curve means support; a claim they do not support needs none.
    exceptions = _robustness_exceptions(results, transforms) if verdict == "supported" else []
    if exceptions:
        verdict = "partly supported"
    return verdict, measured, exceptions


def shift_markdown(results: dict) -> str:
    """Accuracy at 0-8 pixels of shift for every model, with the epochs each was trained for."""
    curves = results["research"]["robustness"]["curves"]["shift"]
    levels = curves["levels"]
    picks = [level for level in (0, 2, 4, 6, 8) if level in levels]
    names = [
        n
        for n in (BASELINE, "mlp_wide", "mlp_compute", "mlp_deep", CANDIDATE, SMALL_CNN, "cnn_gap")
        if n in curves
    ]
    rows = [
        [registry.table_label(n), str(model_epochs(results, n))]
        + [f"{100 * curves[n][levels.index(level)]['mean']:.1f}" for level in picks]
        for n in names
    ]
    images = results["research"]["robustness"]["images"]
    return (
        caption(
            results,
            f"Accuracy (%) on test digits shifted by {join_words([str(p) for p in picks])} pixels in a "
            "random direction, mean over seeds (the "
            f"same {images:,}-image stratified subset of the test set for every model, so 0 px is the "
            f"accuracy on this subset, not on all {test_size(results):,} test digits)",
            label="robustness-shift-table",
        )
        + "\n\n"
        + markdown_table(["Model", "Epochs"] + [f"{level} px" for level in picks], rows)
    )
