"""Shift augmentation: the MLP and the CNN trained with the same random shifts (does augmentation, not
convolution, close the gap under shifts?)."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt

from .. import metrics, registry
from ..formatting import caption, markdown_table, plural
from ..formatting import paired as paired_by_seed  # compute() has a paired() of its own, for its records
from ..plots import PAGE_WIDTH, figure_title
from ..registry import BASELINE, CANDIDATE
from ..training import load_snapshot, run_spec, snapshot_path, train_run
from ..transforms import ROBUSTNESS_LEVELS, ROBUSTNESS_UNITS, shift_images
from .base import (
    Context,
    accuracy_of,
    extra_models,
    extra_run_dir,
    extra_runs,
    median_epoch_seconds,
    progress_bar,
    robustness_subset,
    seed_summary,
    seeds_text,
)
from .size_seeds import SIZE_MODELS, SIZE_SEEDS

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "shift_augmentation"
VERSION = 4
REQUIRES = ("size_seeds",)


#: Shift augmentation for the MLP and the CNN alike (``training.shift_augment``, drawn anew every epoch):
#: up to 3 whole pixels in x and in y. That box holds every 3-pixel shift of the test curve in any
#: direction (where the plain MLP has lost ~40 points) and keeps a digit's 20x20 box inside the 28x28
#: frame (4 pixels of margin); the appendix CNN uses 2. The grid's first snapshot's epochs: each seed costs
#: about 8 plain CNN epochs (85-91 s measured where one took 10.4-11.4 s; ~30 s at the grid's 3.6 s), two
#: thirds of it the augmented CNN's five epochs.
SHIFT_AUGMENT_PIXELS = 3


#: The size comparison's seeds (the grid's in a fast run): the plain models of a seed the grid lacks are the
#: size comparison's runs of that seed, whose first snapshot is of the same epochs.
SHIFT_AUGMENT_SEEDS = SIZE_SEEDS


SHIFT_AUGMENT_MODELS = (BASELINE, CANDIDATE)


def shift_curves(models: dict, splits, levels=None) -> dict:
    """Accuracy of every model and seed at every shift of ``levels`` (``ROBUSTNESS_LEVELS["shift"]``), on the
    test subset ``robustness`` uses (the same images, the same random directions):
    ``{"images": n, "levels": [...], "accuracy": {name: [[seed accuracies] per level]}}``."""
    images, labels = robustness_subset(splits)
    levels = list(ROBUSTNESS_LEVELS["shift"] if levels is None else levels)
    accuracy = {name: [] for name in models}
    for level in levels:
        batch = shift_images(images, level)
        for name, seed_models in models.items():
            accuracy[name].append([accuracy_of(model, batch, labels) for model in seed_models])
    return {"images": int(len(labels)), "levels": levels, "accuracy": accuracy}


def compute(ctx: Context, research: dict) -> dict:
    """The MLP and the CNN trained with the same random-shift augmentation (``SHIFT_AUGMENT_PIXELS``) for the
    grid's first snapshot's epochs, against the grid's snapshots of those epochs and seeds (no augmentation):
    clean test accuracy (all test images) and the shift curve (the robustness subset) of the four models.

    ``models[name][variant]`` (variant ``plain`` or ``augmented``), ``gap[variant]`` (CNN − MLP, paired by
    seed) and ``gain[name]`` (augmented − plain, paired by seed) each hold ``test_accuracy`` and ``shift``
    (one
    summary per level).
    """

    seeds = list(ctx.seeds) if ctx.fast else list(range(SHIFT_AUGMENT_SEEDS))
    # The grid's last snapshot, as every other comparison of the report.
    epochs = max(ctx.snapshot_epochs)
    pixels = SHIFT_AUGMENT_PIXELS
    variant = f"shift{pixels}"
    ctx.log(
        f"Research: shift augmentation (MLP and CNN, up to {pixels} pixels, {seeds_text(seeds)}, "
        f"{epochs} epochs)"
    )
    records = {}
    with progress_bar(len(SHIFT_AUGMENT_MODELS) * len(seeds) * epochs, ctx.show_progress) as progress:
        for name in SHIFT_AUGMENT_MODELS:
            # validate=False: only the snapshot is read (it is still evaluated on every split)
            records[name] = [
                train_run(
                    run_spec(name, seed, ctx.splits, fast=ctx.fast, snapshot_epochs=(epochs,)),
                    ctx.splits,
                    extra_run_dir(ctx.paths, variant, name, seed),
                    progress=progress,
                    overrides={"augment_shift": pixels},
                    validate=False,
                )
                for seed in seeds
            ]
    plain_runs = {
        (run["model"], run["seed"]): run
        for run in ctx.results["runs"]
        if snapshot_path(ctx.run_dir(run["model"], run["seed"]), epochs).exists()
    }
    # A seed whose grid model is not on disk: the size comparison's run of it (saved and read, or trained
    # again in its folder, as that section trains the grid's seeds again).
    for name in SHIFT_AUGMENT_MODELS:
        missing = [seed for seed in seeds if (name, seed) not in plain_runs]
        for record in extra_runs(
            SIZE_MODELS[name], [name], missing, ctx.splits, ctx.snapshot_epochs, ctx.paths, None
        ):
            plain_runs[(name, record["spec"]["seed"])] = record
    test_accuracy = {
        (name, "plain"): [
            plain_runs[(name, seed)]["snapshots"][str(epochs)]["test"]["accuracy"] for seed in seeds
        ]
        for name in SHIFT_AUGMENT_MODELS
    }
    test_accuracy.update(
        {
            (name, "augmented"): [r["snapshots"][str(epochs)]["test"]["accuracy"] for r in records[name]]
            for name in SHIFT_AUGMENT_MODELS
        }
    )
    models = {}
    for name in SHIFT_AUGMENT_MODELS:
        models[(name, "plain")] = [
            load_snapshot(ctx.run_dir(name, seed), epochs)
            if seed in ctx.seeds and snapshot_path(ctx.run_dir(name, seed), epochs).exists()
            else extra_models(ctx.paths, SIZE_MODELS[name], name, [seed], epochs)[0]
            for seed in seeds
        ]
        models[(name, "augmented")] = extra_models(ctx.paths, variant, name, seeds, epochs)
    curves = shift_curves(models, ctx.splits)
    accuracy = curves["accuracy"]
    variants = ("plain", "augmented")

    def paired(a, b) -> dict:
        return {
            "test_accuracy": seed_summary(metrics.paired_differences(test_accuracy[a], test_accuracy[b])),
            "shift": [
                seed_summary(metrics.paired_differences(x, y)) for x, y in zip(accuracy[a], accuracy[b])
            ],
        }

    return {
        "pixels": pixels,
        "epochs": epochs,
        "seeds": seeds,
        "images": curves["images"],
        "levels": curves["levels"],
        "units": ROBUSTNESS_UNITS["shift"],
        "test_images": int(len(ctx.splits.y_test)),
        "augmentation": (
            f"every epoch, each training image moved by a random whole number of pixels from -{pixels} "
            f"to {pixels} in x and in y (zeros fill in)"
        ),
        "baseline": f"the same models after {epochs} epochs, same seeds, trained without augmentation",
        "augment_shift": {
            name: [r["training_options"].get("augment_shift") for r in records[name]]
            for name in SHIFT_AUGMENT_MODELS
        },
        "models": {
            name: {
                v: {
                    "test_accuracy": seed_summary(test_accuracy[(name, v)]),
                    "shift": [seed_summary(values) for values in accuracy[(name, v)]],
                }
                for v in variants
            }
            for name in SHIFT_AUGMENT_MODELS
        },
        "gap": {v: paired((CANDIDATE, v), (BASELINE, v)) for v in variants},
        "gain": {name: paired((name, "augmented"), (name, "plain")) for name in SHIFT_AUGMENT_MODELS},
        "seconds_per_epoch": {
            name: seed_summary([median_epoch_seconds(r) for r in records[name]])
            for name in SHIFT_AUGMENT_MODELS
        },
    }


def data_against_architecture(results: dict) -> dict:
    """{shift in pixels: the shift-augmented MLP − the plain CNN, paired by seed}: training data against
    architecture, at every level of the shift curve."""
    section = results["research"][KEY]
    augmented, plain = section["models"][BASELINE]["augmented"], section["models"][CANDIDATE]["plain"]
    return {
        level: paired_by_seed(augmented["shift"][i], plain["shift"][i])
        for i, level in enumerate(section["levels"])
    }


def over_shifted_levels(results: dict) -> dict:
    """Each seed's mean over the shifted levels (every level but 0, as the robustness table averages its
    curves), summarised over seeds: {"plain", "augmented"} (CNN − MLP, both models trained plain or both on
    shifted digits), "change" (augmented − plain, paired by seed), and "augmented MLP" and "plain CNN" (their
    accuracies)."""
    section = results["research"][KEY]
    shifted = [index for index, level in enumerate(section["levels"]) if level > 0]

    def mean(summaries: list) -> list[float]:
        return [
            sum(values) / len(values) for values in zip(*(summaries[index]["values"] for index in shifted))
        ]

    gaps = {kind: mean(section["gap"][kind]["shift"]) for kind in ("plain", "augmented")}
    mlp = mean(section["models"][BASELINE]["augmented"]["shift"])
    cnn = mean(section["models"][CANDIDATE]["plain"]["shift"])
    return {
        **{kind: metrics.summarize(values) for kind, values in gaps.items()},
        "change": metrics.summarize([a - p for a, p in zip(gaps["augmented"], gaps["plain"])]),
        "augmented MLP": metrics.summarize(mlp),
        "plain CNN": metrics.summarize(cnn),
    }


def closed_shifts(results: dict) -> list:
    """The shifts at which training both models on shifted digits leaves under half of the plain models'
    CNN − MLP gap (a gap the plain CNN leads), in order."""
    section = results["research"][KEY]
    gaps = section["gap"]
    return [
        level
        for level, before, after in zip(section["levels"], gaps["plain"]["shift"], gaps["augmented"]["shift"])
        if before["mean"] > 0 and after["mean"] < before["mean"] / 2
    ]


def shade_trained_shifts(ax, pixels: int) -> None:
    """Shade the shifts the augmentation trains on: darker up to its largest move along each axis, lighter
    up to its largest move overall (that move along both axes at once, the diagonal)."""
    ax.axvspan(0, pixels, color="grey", alpha=0.24, linewidth=0)
    ax.axvspan(pixels, pixels * math.sqrt(2), color="grey", alpha=0.11, linewidth=0)


def plot_shift_augmentation(results: dict) -> plt.Figure:
    """Left: test accuracy against the shift for the MLP and the CNN, trained plain (dashed) and with the same
    random-shift augmentation (solid). Right: the CNN − MLP gap at every shift, plain and augmented."""
    section = results["research"]["shift_augmentation"]
    levels = section["levels"]
    fig, (ax, ax_gap) = plt.subplots(
        1, 2, figsize=(PAGE_WIDTH, 2.45), layout="constrained", gridspec_kw={"width_ratios": [1.25, 1]}
    )
    styles = {
        "plain": ("--", "o", "plain"),
        "augmented": ("-", "s", f"shift-augmented (±{section['pixels']} px)"),
    }
    for name in (BASELINE, CANDIDATE):
        for variant, (linestyle, marker, text) in styles.items():
            points = section["models"][name][variant]["shift"]
            ax.plot(
                levels,
                [100 * p["mean"] for p in points],
                linestyle=linestyle,
                marker=marker,
                markersize=3.5,
                color=registry.colour(name),
                label=f"{registry.label(name)} {text}",
            )
            if len(points[0]["values"]) > 1:
                ax.fill_between(
                    levels,
                    [100 * min(p["values"]) for p in points],
                    [100 * max(p["values"]) for p in points],
                    color=registry.colour(name),
                    alpha=0.12,
                )
    shade_trained_shifts(ax, section["pixels"])
    ax.set_xlabel("Shift (pixels, random direction)")
    ax.set_ylabel("Test accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title("Accuracy under shifts")
    for variant, (linestyle, marker, text) in styles.items():
        gaps = section["gap"][variant]["shift"]
        ax_gap.plot(
            levels,
            [100 * g["mean"] for g in gaps],
            linestyle=linestyle,
            marker=marker,
            markersize=3.5,
            color="black",
            label=text,
        )
        if all(g.get("ci_low") is not None for g in gaps):
            # The gap's 95% interval over seeds, paired by seed (the text quotes it).
            ax_gap.fill_between(
                levels,
                [100 * g["ci_low"] for g in gaps],
                [100 * g["ci_high"] for g in gaps],
                color="black",
                alpha=0.12,
            )
    ax_gap.axhline(0, color="grey", linewidth=0.8)
    shade_trained_shifts(ax_gap, section["pixels"])
    ax_gap.set_xlabel("Shift (pixels, random direction)")
    ax_gap.set_ylabel("CNN − MLP (pp)")
    ax_gap.set_title("The CNN's lead")
    tops = [100 * g["mean"] for v in styles for g in section["gap"][v]["shift"]]
    ax_gap.set_ylim(min(0, min(tops)) - 1, max(tops) * 1.45 + 1)  # room above the curves for the legend
    ax_gap.legend(loc="upper left")
    for axis in (ax, ax_gap):
        axis.set_xticks(levels)
        axis.grid(True, alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2, frameon=False)
    seeds = len(section["seeds"])
    fig.suptitle(
        figure_title(
            f"Shift augmentation for both models: {section['epochs']} epochs, {seeds} seed"
            f"{'s' * (seeds != 1)}, {section['images']:,} test images",
            results,
        )
    )
    return fig


#: Shifts shown in the table (those the section measured).
SHIFT_COLUMNS = (0, 1, 2, 3, 4, 6, 8)


_VARIANT_TEXT = {"plain": "plain", "augmented": "shift-augmented"}


def shift_augmentation_markdown(results: dict) -> str:
    """Unshifted test accuracy and accuracy under shifts of the four models (MLP and CNN, plain and
    shift-augmented), and the CNN − MLP gaps."""
    section = results["research"]["shift_augmentation"]
    levels = section["levels"]
    picks = [level for level in SHIFT_COLUMNS if level in levels]
    rows = []
    for name, title in ((BASELINE, "MLP"), (CANDIDATE, "CNN")):
        for variant, text in _VARIANT_TEXT.items():
            item = section["models"][name][variant]
            rows.append(
                [f"{title}, {text}"]
                + [f"{100 * item['shift'][levels.index(level)]['mean']:.1f}" for level in picks]
            )
    for variant, text in _VARIANT_TEXT.items():
        gap = section["gap"][variant]
        rows.append(
            [f"CNN − MLP, {text} (pp)"]
            + [f"{100 * gap['shift'][levels.index(level)]['mean']:+.1f}" for level in picks]
        )
    seeds = plural(len(section["seeds"]), "seed")
    return (
        caption(
            results,
            f"The same shift augmentation (up to {section['pixels']} pixels in x and y) for both "
            f"models: {section['epochs']} epochs, {seeds}, against the plain models after "
            f"{section['epochs']} epochs; accuracy (%) on the same {section['images']:,} test images shifted "
            f"in a random direction (0 px: unshifted), mean over seeds",
            label="shift-augmentation-table",
        )
        + "\n\n"
        + markdown_table(["Model"] + [f"{level} px" for level in picks], rows)
    )
