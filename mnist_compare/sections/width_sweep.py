"""The MLP at every width: the original MLP's hidden layer widened from 128 units to 4,096 (32 times its
parameters, six times the CNN's), trained with the original recipe on the size comparison's first seeds. It
asks whether any width of the one-hidden-layer MLP reaches the CNNs, the small CNN included."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.ticker import FixedLocator, NullFormatter

from .. import registry
from ..formatting import paired
from ..plots import PAGE_WIDTH, figure_title
from ..registry import BASELINE, CANDIDATE
from ..training import run_spec, train_run
from .base import Context, extra_run_dir, extra_runs, extra_summary, progress_bar, seed_summary
from .permuted_pixels import normal_accuracies
from .recipes import RECIPES
from .size_seeds import KEY as SIZE_KEY
from .size_seeds import comparisons, share_kept

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "width_sweep"
VERSION = 2
REQUIRES = ("size_seeds", "recipes")

#: The widths trained here (``registry.MODELS``: ``mlp_w<units>``); the 128-unit MLP and the 680- and 928-unit
#: controls come from the size comparison's runs.
SWEEP_MODELS = tuple(name for name in registry.MODELS if name.startswith("mlp_w") and name[5:].isdigit())
#: The other one-hidden-layer MLPs of the sweep, and the CNNs it is set against.
KNOWN_MLPS = (BASELINE, "mlp_wide", "mlp_compute")
SMALL = "cnn_small"
CNNS = (SMALL, CANDIDATE)

#: The recipe the small CNN is also trained with: the one validation chose for every model of the recipes
#: section (its cosine decay).
TUNED_RECIPE = RECIPES["cosine"][0]

#: The folder variant of the small CNN's runs with that recipe (``base.extra_run_dir``).
TUNED_VARIANT = "width-cosine"

#: Seeds per width: the size comparison's first ones (a 4,096-unit epoch takes 7 to 10 s on two cores).
SWEEP_SEEDS = 10


def sweep_seeds(research: dict, grid_seeds) -> list[int]:
    """The size comparison's first ``SWEEP_SEEDS`` seeds when it has run, else the grid's."""
    size = research.get("size_seeds", {})
    return list(size.get("seeds", grid_seeds))[:SWEEP_SEEDS]


def compute(ctx: Context, research: dict) -> dict:
    seeds = sweep_seeds(research, ctx.seeds)
    epochs = tuple(ctx.snapshot_epochs)
    ctx.log(f"Research: the MLP at {len(SWEEP_MODELS)} more widths ({len(seeds)} seeds each)")
    with progress_bar(len(SWEEP_MODELS) * len(seeds) * max(epochs), ctx.show_progress) as progress:
        records = extra_runs("width", SWEEP_MODELS, seeds, ctx.splits, epochs, ctx.paths, progress)
    out = {"seeds": seeds, "epochs": max(epochs), "models": extra_summary(records, epochs)}
    for name in SWEEP_MODELS:
        out["models"][name]["hidden_units"] = registry.entry(name).builder_args["hidden_units"]
    # The small CNN with the recipe validation chose for every model of the recipes section (cosine decay), on
    # the seeds that section scored its tuned models on: set against the MLPs of the CNN's size, tuned.
    scored = research.get("recipes", {}).get("scored_seeds", [])
    if scored:
        ctx.log(f"Research: the small CNN with cosine decay ({len(scored)} seeds)")
        with progress_bar(len(scored) * max(epochs), ctx.show_progress) as progress:
            tuned = [
                train_run(
                    run_spec(SMALL, seed, ctx.splits, fast=ctx.fast, snapshot_epochs=epochs),
                    ctx.splits,
                    extra_run_dir(ctx.paths, TUNED_VARIANT, SMALL, seed),
                    progress=progress,
                    overrides=TUNED_RECIPE,
                )
                for seed in scored
            ]
        out["small_tuned"] = {
            "seeds": list(scored),
            "test_accuracy": seed_summary(
                [r["snapshots"][str(max(epochs))]["test"]["accuracy"] for r in tuned]
            ),
        }
    return out


def width_points(results: dict) -> dict:
    """{model: {"parameters", "units" (None for a CNN), "test" (summary over the sweep's seeds)}} for every
    one-hidden-layer MLP of the sweep, the 128-, 680- and 928-unit MLPs included, and the two CNNs, in
    order of size; a model without runs on every sweep seed is left out."""
    section = results["research"][KEY]
    epochs = str(section["epochs"])
    sizes = results["research"]["architectures"]["models"]
    out = {}
    for name in (*KNOWN_MLPS, *SWEEP_MODELS, *CNNS):
        if name in section["models"]:
            test = section["models"][name][epochs]["test_accuracy"]
        else:
            values = normal_accuracies(results, name, section["seeds"], epochs)
            if values is None:
                continue
            test = seed_summary(values)
        entry = registry.entry(name)
        units = None if entry.convolutional else entry.builder_args.get("hidden_units", 128)
        out[name] = {"parameters": sizes[name]["parameters"], "units": units, "test": test}
    return dict(sorted(out.items(), key=lambda item: (item[1]["units"] is None, item[1]["parameters"])))


def control_size_ratios(results: dict) -> list[float]:
    """How many times the small CNN's parameters each MLP of the CNN's size has (the wide and the
    compute-matched MLP), smallest first, from the size comparison's models: the sizes the efficiency claim's
    tests set the small CNN against ("5.5 and 7.5")."""
    models = results["research"][SIZE_KEY]["models"]
    return sorted(
        models[name]["parameters"] / models[SMALL]["parameters"] for name in ("mlp_wide", "mlp_compute")
    )


def width_findings(results: dict) -> dict:
    """The sweep's numbers for the text: the most accurate MLP width ("best", by mean) and its parameters, the
    narrowest width from which on none is significantly below the best ("level_units"),
    the CNN − it and the small CNN − it paired by seed (None without the small CNN's runs on the sweep's
    seeds), the widest MLP and its difference from the best."""
    points = width_points(results)
    mlps = {name: p for name, p in points.items() if p["units"] is not None}
    best = max(mlps, key=lambda name: mlps[name]["test"]["mean"])
    widest = max(mlps, key=lambda name: mlps[name]["units"])
    # The narrowest width from which on no width is significantly below the best (paired by seed): where
    # accuracy levels off.
    below = {name: paired(mlps[best]["test"], mlps[name]["test"]) for name in mlps if name != best}
    level = next(
        name
        for name in mlps
        if all(
            other == best or below[other]["ci_low"] is None or below[other]["ci_low"] <= 0
            for other in mlps
            if mlps[other]["units"] >= mlps[name]["units"]
        )
    )
    return {
        "level_units": mlps[level]["units"],
        "best": best,
        "best_units": mlps[best]["units"],
        "best_parameters": mlps[best]["parameters"],
        "best_test": mlps[best]["test"],
        "cnn_minus_best": paired(points[CANDIDATE]["test"], mlps[best]["test"]),
        "small_minus_best": paired(points[SMALL]["test"], mlps[best]["test"]) if SMALL in points else None,
        "small_parameters": points[SMALL]["parameters"] if SMALL in points else None,
        "widest_units": mlps[widest]["units"],
        "widest_parameters": mlps[widest]["parameters"],
        "widest_minus_best": paired(mlps[widest]["test"], mlps[best]["test"]),
        "small_tuned_minus": small_tuned_against(results),
    }


def _tuned_scores(results: dict) -> tuple[dict, dict] | None:
    """(the small CNN with cosine decay, {model: its test accuracy at its best recipe on validation}), both
    over the seeds the recipes section scored its tuned models on; None without those runs."""
    section = results["research"].get(KEY, {})
    recipes = results["research"].get("recipes", {})
    if "small_tuned" not in section or section["small_tuned"]["seeds"] != recipes.get("scored_seeds"):
        return None
    return section["small_tuned"]["test_accuracy"], recipes.get("tuned", {})


def small_tuned_against(results: dict) -> dict:
    """{MLP of the CNN's size: the small CNN with cosine decay − that MLP at its best recipe on validation,
    paired over the seeds both were scored on}; empty without the runs."""
    scores = _tuned_scores(results)
    if scores is None:
        return {}
    small, tuned = scores
    return {
        name: paired(small, tuned[name])
        for name in ("mlp_wide", "mlp_compute")
        if "values" in tuned.get(name, {})
    }


def efficiency_tests(results: dict) -> list[dict]:
    """The parameter-efficiency claim's own tests, each {"name", "difference" (paired by seed), "first" and
    "second" (the two models' accuracies per seed), "key" (the image-sampling section's measure of the pair,
    or None), "tuned" (both models at their tuned recipes) and, for a tuned test, "tuned_pair" (the pair whose
    error the tuned-sampling section measures)}: the small CNN against the most accurate MLP
    width, and the small CNN with cosine decay against each MLP of the CNN's size at its best recipe on
    validation. Empty before the sweep has run."""
    if KEY not in results["research"]:
        return []
    found = width_findings(results)
    best = found["best"]
    pairs = comparisons(results)
    out = []
    if (SMALL, best) in pairs:
        # The most accurate width is a model of the size comparison: the test is over its many seeds (the
        # width was chosen as the best on some of them, which favours the MLP), with its answers kept.
        models = results["research"][SIZE_KEY]["models"]
        out.append(
            {
                # Named as in the size comparison (the best width is one of its MLPs).
                "name": f"{registry.label(SMALL)} − {registry.label(best)}",
                "difference": pairs[(SMALL, best)],
                "first": models[SMALL]["test_accuracy"]["values"],
                "second": models[best]["test_accuracy"]["values"],
                "key": f"test:{SMALL}-{best}",
                "tuned": False,
            }
        )
    elif found["small_minus_best"]:
        points = width_points(results)
        out.append(
            {
                "name": f"{registry.label(SMALL)} − best-width MLP",
                "difference": found["small_minus_best"],
                "first": points[SMALL]["test"]["values"],
                "second": points[best]["test"]["values"],
                "key": None,
                "tuned": False,
            }
        )
    scores = _tuned_scores(results)
    for name, difference in found["small_tuned_minus"].items():
        out.append(
            {
                "name": f"{registry.label(SMALL)} with cosine decay − tuned {registry.label(name)}",
                "difference": difference,
                "first": scores[0]["values"],
                "second": scores[1][name]["values"],
                "key": None,  # measured by the tuned-sampling section instead
                "tuned_pair": (SMALL, name),
                "tuned": True,
            }
        )
    return out


def plot_width_sweep(results: dict) -> plt.Figure:
    """Test accuracy against the parameter count (log scale): the one-hidden-layer MLP at every width, and
    the small CNN and the CNN, each a mean over the sweep's seeds with its 95% interval."""
    points = width_points(results)
    section = results["research"][KEY]
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 2.5), layout="constrained")

    def bars(names):
        """x, y and the 95% interval's two arms (none for a single seed) of ``names``."""
        tests = [points[n]["test"] for n in names]
        arms = [
            (t["mean"] - t["ci_low"], t["ci_high"] - t["mean"]) if t.get("ci_low") is not None else (0, 0)
            for t in tests
        ]
        return (
            [points[n]["parameters"] for n in names],
            [100 * t["mean"] for t in tests],
            [[100 * low for low, _ in arms], [100 * high for _, high in arms]],
        )

    mlps = [n for n, p in points.items() if p["units"] is not None]
    x, y, err = bars(mlps)
    ax.errorbar(
        x,
        y,
        yerr=err,
        marker="o",
        markersize=3.5,
        capsize=2,
        color=registry.colour(BASELINE),
        label="MLP, one hidden layer",
    )
    means = [points[name]["test"]["mean"] for name in mlps]
    for index, name in enumerate(mlps):
        # Above the upper end of its interval for a width at least as accurate as its neighbours' mean, else
        # under the lower end: each label on the open side of the line, clear of its neighbours' labels.
        test = points[name]["test"]
        neighbours = [means[j] for j in (index - 1, index + 1) if 0 <= j < len(means)]
        above = (
            test.get("ci_high") is not None
            and bool(neighbours)
            and means[index] >= sum(neighbours) / len(neighbours)
        )
        ax.annotate(
            f"{points[name]['units']:,}",
            (
                points[name]["parameters"],
                100
                * (
                    test["ci_high"]
                    if above
                    else test["ci_low"]
                    if test.get("ci_low") is not None
                    else test["mean"]
                ),
            ),
            textcoords="offset points",
            xytext=(0, 3 if above else -3),
            ha="center",
            va="bottom" if above else "top",
            fontsize=7,
        )
    for name in (n for n in CNNS if n in points):
        x, y, err = bars([name])
        ax.errorbar(
            x,
            y,
            yerr=err,
            marker="s",
            markersize=4.5,
            capsize=2,
            linestyle="none",
            color=registry.colour(name),
            label=registry.label(name),
        )
    ax.set_xscale("log")
    low, high = ax.get_xlim()
    ax.set_xlim(low, high * 1.15)  # room for the widest width's label
    # A labelled tick at 1, 2 and 5 of every power of ten in range, in thousands or millions of parameters.
    ticks = [m * 10**e for e in range(4, 8) for m in (1, 2, 5) if low <= m * 10**e <= high * 1.15]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xticklabels([f"{t / 1e6:g} M" if t >= 1e6 else f"{t / 1e3:g} k" for t in ticks])
    bottom, top = ax.get_ylim()
    ax.set_ylim(bottom - 0.08 * (top - bottom), top)  # room for the labels under the intervals
    ax.set_xlabel("Parameters (log scale); MLP points labelled with their hidden units")
    ax.set_ylabel("Test accuracy (%)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right")
    seeds = len(section["seeds"])
    if results.get("fast"):  # the report's caption says what the figure shows; a fast run's title says so
        ax.set_title(
            figure_title(f"Accuracy against size after {section['epochs']} epochs, {seeds} seeds", results)
        )
    return fig


def share_at_mlp_size(results: dict) -> dict:
    """The share of the CNN's lead that a CNN as small as the MLP already gains, (small CNN − MLP) /
    (CNN − MLP), with its BCa interval over seeds: {"original": over the size comparison's seeds, "tuned": the
    small CNN with cosine decay against the MLP and the CNN at their best recipes, over the seeds they were
    scored on (when the runs are there)}. The split of the lead measured at the MLP's size, beside the size
    comparison's at the CNN's."""

    def gained(cnn, mlp, small) -> dict:
        kept = share_kept(cnn, mlp, small)  # (CNN − small CNN) / (CNN − MLP): the share the small CNN leaves
        if kept["share"] is None:
            return kept
        out = {**kept, "share": 1 - kept["share"]}
        if kept["ci_low"] is not None:
            out.update(ci_low=1 - kept["ci_high"], ci_high=1 - kept["ci_low"])
        return out

    out = {}
    size = results["research"].get("size_seeds", {}).get("models", {})
    if all(name in size for name in (BASELINE, CANDIDATE, SMALL)):
        out["original"] = gained(
            *(size[name]["test_accuracy"]["values"] for name in (CANDIDATE, BASELINE, SMALL))
        )
    scores = _tuned_scores(results)
    if scores is not None and all("values" in scores[1].get(name, {}) for name in (BASELINE, CANDIDATE)):
        small, tuned = scores
        out["tuned"] = gained(tuned[CANDIDATE]["values"], tuned[BASELINE]["values"], small["values"])
    return out
