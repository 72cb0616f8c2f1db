"""Why the global-average-pooling CNN collapses under Gaussian noise: the noise conditions that separate
the causes, the receptive field and the offset noise adds to the pooled features."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from .. import registry
from ..formatting import caption, markdown_table, paired, pct, plural, pp
from ..metrics import format_mean_std
from ..plots import PAGE_WIDTH, figure_title
from ..registry import BASELINE, CANDIDATE
from ..transforms import ROBUSTNESS_SEED, rng
from .base import (
    GAP_MODEL,
    accuracy_of,
    extra_models,
    layer_outputs,
    robustness_subset,
    seed_summary,
    seeds_text,
)

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "gap_noise"
VERSION = 3
REQUIRES = ("architecture_controls",)


#: Noise levels of the GAP study (standard deviations, as in ``research.ROBUSTNESS_LEVELS["noise"]``) and the
#: conditions, one factor changed at a time: every condition at ``GAP_NOISE_MAIN`` (where the GAP CNN is at
#: chance and the grid's CNN is not), the ``GAP_NOISE_CURVE`` ones at every level; the grid's seed-0 CNN and
#: MLP
#: are measured at ``GAP_NOISE_MAIN`` for contrast. (Each condition is one pass of every model over the
#: robustness
#: subset; measuring only the curve conditions at the other levels keeps the section inside its time budget.)
GAP_NOISE_LEVELS = (0.1, 0.2, 0.3)


GAP_NOISE_MAIN = 0.2


GAP_NOISE_CURVE = ("clipped", "unclipped", "constant_background", "median")


GAP_NOISE_CONTRAST = (CANDIDATE, BASELINE)


GAP_NOISE_CONDITIONS = {
    "clipped": "Gaussian noise added to every pixel, clipped to [0, 1] (the robustness curve's noise)",
    "unclipped": "the same noise, not clipped (zero mean; pixels may leave [0, 1])",
    "clipped_centred": "the clipped noise with its background mean m subtracted from every pixel",
    "ink_only": "the clipped noise only on ink pixels (> 0); the background stays 0",
    "background_only": "the clipped noise only on background pixels (= 0); the ink stays as it is",
    "constant_background": "no noise; every pixel raised to at least m, the clipped noise's background mean",
    "median": "the clipped noise, then a 3×3 median filter (a possible fix)",
}


#: The same conditions named in a table row or on a figure's axis.
GAP_NOISE_LABELS = {
    "clipped": "clipped noise (as in the robustness curve)",
    "unclipped": "zero-mean noise, not clipped",
    "clipped_centred": "clipped noise, background mean subtracted",
    "ink_only": "clipped noise on the ink only",
    "background_only": "clipped noise on the background only",
    "constant_background": "no noise, background raised to its mean",
    "median": "clipped noise, then a 3×3 median filter",
}


def clipped_noise_mean(std: float) -> float:
    """E[clip(X, 0, 1)] for X ~ N(0, std²): the brightness clipped noise gives a blank pixel on average,
    std/√(2π) · (1 − exp(−1/(2 std²))) + P(X > 1), i.e. about std/√(2π) when std is well below 1."""
    if std <= 0:
        return 0.0
    tail = 0.5 * math.erfc(1 / (std * math.sqrt(2)))
    return float(std / math.sqrt(2 * math.pi) * (1 - math.exp(-1 / (2 * std * std))) + tail)


def median_filter3(images: np.ndarray) -> np.ndarray:
    """A 3x3 median filter over each image (N, H, W, C); zeros beyond the border."""
    from scipy import ndimage

    return ndimage.median_filter(np.asarray(images), size=(1, 3, 3, 1), mode="constant", cval=0.0)


def noise_conditions(
    images: np.ndarray, std: float, names=None, seed: int | None = None
) -> dict[str, np.ndarray]:
    """The images under each of ``names`` (default: every one of ``GAP_NOISE_CONDITIONS``) at noise ``std``;
    the
    noise is the robustness curve's (same seed, same draw), so ``clipped`` is ``research.noisy_images(images,
    std)``."""
    seed = ROBUSTNESS_SEED if seed is None else seed
    names = list(GAP_NOISE_CONDITIONS if names is None else names)
    unknown = sorted(set(names) - set(GAP_NOISE_CONDITIONS))
    if unknown:
        raise ValueError(f"Unknown noise condition(s) {unknown}; choose from {list(GAP_NOISE_CONDITIONS)}.")
    noise = rng(seed).normal(0, std, images.shape).astype(np.float32)
    ink = images > 0
    clipped = np.clip(images + noise, 0, 1)
    mean = np.float32(clipped_noise_mean(std))
    make = {
        "clipped": lambda: clipped,
        "unclipped": lambda: images + noise,
        "clipped_centred": lambda: clipped - mean,
        "ink_only": lambda: np.where(ink, clipped, images),
        "background_only": lambda: np.where(ink, images, clipped),
        "constant_background": lambda: np.maximum(images, mean),
        "median": lambda: median_filter3(clipped),
    }
    return {name: make[name]().astype(np.float32) for name in names}


def receptive_field(model, layer_name: str) -> tuple[int, int]:
    """(size, stride) in input pixels of one position of ``layer_name``'s output: the layers up to it are
    'valid' convolutions and poolings, so position (i, j) sees rows i·stride .. i·stride + size − 1."""
    size, stride = 1, 1
    for layer in model.layers:
        kind = {cls.__name__ for cls in type(layer).__mro__}
        if "Conv2D" in kind:
            kernel, step = layer.kernel_size[0], layer.strides[0]
        elif "MaxPooling2D" in kind or "AveragePooling2D" in kind:
            kernel, step = layer.pool_size[0], layer.strides[0]
        else:
            kernel, step = 1, 1
        size += (kernel - 1) * stride
        stride *= step
        if layer.name == layer_name:
            return size, stride
    raise ValueError(f"{model.name} has no layer {layer_name!r}.")


def blank_positions(images: np.ndarray, size: int, stride: int) -> np.ndarray:
    """(N, out, out) True where a position's receptive field (``size`` pixels, every ``stride``) holds no
    ink."""
    ink = np.asarray(images)[..., 0] > 0
    windows = np.lib.stride_tricks.sliding_window_view(ink, (size, size), axis=(1, 2))[:, ::stride, ::stride]
    return ~windows.any(axis=(-2, -1))


def feature_offset(
    clean: np.ndarray,
    changed: np.ndarray,
    weights: np.ndarray,
    bias: np.ndarray,
    labels: np.ndarray,
    clean_part: np.ndarray | None = None,
    changed_part: np.ndarray | None = None,
) -> dict:
    """What a change of the input did to the pooled features (N, F) a linear softmax head reads.

    ``constant_share``: the share of the change's energy that is one offset common to every image
    (|mean change|² / mean |change|²); ``norm``: that offset's length; ``toward``: the class the offset
    alone pushes the head to (arg-max of offset · weights); ``accuracy_removed``: the head's accuracy once
    the offset is subtracted, the offset estimated on the other half of the images (even / odd positions,
    two-fold), so no image corrects itself. With ``clean_part`` and ``changed_part`` (the part of the pooled
    features some positions contribute), ``part_share``: their share of the offset (its projection on it).
    """
    change = np.asarray(changed, dtype=np.float64) - np.asarray(clean, dtype=np.float64)
    offset = change.mean(axis=0)
    energy = float(np.mean(np.sum(change**2, axis=1)))
    halves = np.arange(len(change)) % 2 == 0
    corrected = np.array(changed, dtype=np.float64)
    for half in (halves, ~halves):
        other = change[~half].mean(axis=0) if np.any(~half) else offset
        corrected[half] -= other
    predicted = np.argmax(corrected @ weights + bias, axis=1)
    out = {
        "constant_share": float(np.sum(offset**2) / energy) if energy > 0 else 1.0,
        "norm": float(np.linalg.norm(offset)),
        "toward": int(np.argmax(offset @ weights)),
        "accuracy_removed": float(np.mean(predicted == labels)),
    }
    if clean_part is not None and changed_part is not None:
        part = (np.asarray(changed_part, dtype=np.float64) - np.asarray(clean_part, dtype=np.float64)).mean(
            axis=0
        )
        squared = float(np.sum(offset**2))
        out["part_share"] = float(part @ offset / squared) if squared > 0 else 0.0
    return out


def _gap_parts(model) -> tuple[str, np.ndarray, np.ndarray]:
    """(the layer the global average pooling reads, the head's weights, its bias) of a GAP model."""
    names = [layer.name for layer in model.layers]
    pool = next(i for i, layer in enumerate(model.layers) if type(layer).__name__ == "GlobalAveragePooling2D")
    weights, bias = model.layers[-1].get_weights()
    return names[pool - 1], weights, bias


def _gap_models(ctx, research: dict) -> tuple[list, list[int], int]:
    info = research["architecture_controls"]["models"][GAP_MODEL]
    seeds, epochs = list(info["seeds"]), int(info["epochs"])
    return extra_models(ctx.paths, "architecture", GAP_MODEL, seeds, epochs), seeds, epochs


def compute(ctx, research: dict) -> dict:
    """The GAP CNN (every seed of ``architecture_controls``) under ``GAP_NOISE_CONDITIONS`` at
    ``GAP_NOISE_LEVELS`` on the robustness test subset, with its predicted classes and what each condition
    does to its pooled features; the grid's seed-0 CNN and MLP under the same conditions at
    ``GAP_NOISE_MAIN``."""

    models, seeds, epochs = _gap_models(ctx, research)
    images, labels = robustness_subset(ctx.splits)
    ctx.log(
        f"Research: why the GAP CNN fails under noise ({seeds_text(seeds)}, {len(labels):,} test images, "
        f"{len(GAP_NOISE_CONDITIONS)} conditions at noise {GAP_NOISE_MAIN}, {len(GAP_NOISE_CURVE)} at "
        f"{len(GAP_NOISE_LEVELS)} levels)"
    )
    layer, _, _ = _gap_parts(models[0])
    size, stride = receptive_field(models[0], layer)
    blank = blank_positions(images, size, stride)
    parts = [_gap_parts(model) for model in models]

    def read(batch):
        """Per seed: (pooled features, predicted classes, the part of the pooled features from blank
        positions)."""
        out = []
        for model, (name, weights, bias) in zip(models, parts):
            maps = layer_outputs(model, [name], batch)[0]
            pooled = maps.mean(axis=(1, 2))
            from_blank = (maps * blank[..., None]).sum(axis=(1, 2)) / (maps.shape[1] * maps.shape[2])
            out.append((pooled, np.argmax(pooled @ weights + bias, 1), from_blank))
        return out

    def described(reading, clean_reading) -> dict:
        item = {
            "accuracy": seed_summary([float(np.mean(p == labels)) for _, p, _ in reading]),
            "predicted": [np.bincount(p, minlength=10).astype(int).tolist() for _, p, _ in reading],
        }
        offsets = [
            feature_offset(base[0], pooled, weights, bias, labels, base[2], from_blank)
            for (pooled, _, from_blank), base, (_, weights, bias) in zip(reading, clean_reading, parts)
        ]
        item["offset"] = {
            "constant_share": seed_summary([o["constant_share"] for o in offsets]),
            "norm": seed_summary([o["norm"] for o in offsets]),
            "toward": [o["toward"] for o in offsets],
            "accuracy_removed": seed_summary([o["accuracy_removed"] for o in offsets]),
            "blank_share": seed_summary([o["part_share"] for o in offsets]),
        }
        return item

    clean = read(images)
    median_clean = read(median_filter3(images))
    grid = ctx.grid_models()
    contrast_models = {name: grid[name] for name in GAP_NOISE_CONTRAST}

    def contrast_accuracy(batch) -> dict:
        """Every seed's accuracy of each contrast model on ``batch``."""
        return {
            name: seed_summary([accuracy_of(model, batch, labels) for model in seed_models])
            for name, seed_models in contrast_models.items()
        }

    contrast = {"clean": contrast_accuracy(images), "median_clean": contrast_accuracy(median_filter3(images))}
    noise = {}
    for level in GAP_NOISE_LEVELS:
        batches = noise_conditions(images, level, None if level == GAP_NOISE_MAIN else GAP_NOISE_CURVE)
        noise[str(level)] = {name: described(read(batch), clean) for name, batch in batches.items()}
        if level == GAP_NOISE_MAIN:
            contrast.update({name: contrast_accuracy(batch) for name, batch in batches.items()})
    spread = [float(np.sqrt(np.sum(np.var(pooled, axis=0)))) for pooled, _, _ in clean]
    return {
        "model": GAP_MODEL,
        "seeds": seeds,
        "epochs": epochs,
        "images": int(len(labels)),
        "noise_seed": ROBUSTNESS_SEED,
        "levels": list(GAP_NOISE_LEVELS),
        "main_level": GAP_NOISE_MAIN,
        "conditions": GAP_NOISE_CONDITIONS,
        "curve_conditions": list(GAP_NOISE_CURVE),
        "background_mean": {str(level): clipped_noise_mean(level) for level in GAP_NOISE_LEVELS},
        "receptive_field": {
            "layer": layer,
            "size": size,
            "stride": stride,
            "positions": int(blank[0].size),
            "blank_positions": float(blank.sum(axis=(1, 2)).mean()),
            "blank": "positions whose receptive field holds no ink of the clean digit",
        },
        "clean": {
            "accuracy": seed_summary([float(np.mean(p == labels)) for _, p, _ in clean]),
            "predicted": [np.bincount(p, minlength=10).astype(int).tolist() for _, p, _ in clean],
            "feature_spread": seed_summary(spread),
        },
        "median_clean": {"accuracy": seed_summary([float(np.mean(p == labels)) for _, p, _ in median_clean])},
        "noise": noise,
        "contrast": {
            "seeds": list(ctx.seeds),
            "epochs": ctx.last,
            "level": GAP_NOISE_MAIN,
            "accuracy": contrast,
        },
    }


def plot_gap_noise(results: dict) -> plt.Figure:
    """The GAP CNN's accuracy under each noise condition of ``research.gap_noise`` (seeds as dots) beside the
    grid's CNN and MLP, and what the GAP CNN answers on clean and on noisy digits."""
    from textwrap import fill

    section = results["research"]["gap_noise"]
    level = str(section["main_level"])
    main = section["noise"][level]
    contrast = section["contrast"]["accuracy"]
    names = ["clean"] + list(main)
    fig, (ax, ax_hist) = plt.subplots(
        1, 2, figsize=(PAGE_WIDTH, 4.6), layout="constrained", gridspec_kw={"width_ratios": [1.7, 1]}
    )
    positions = np.arange(len(names))[::-1]
    for position, name in zip(positions, names):
        item = section["clean"] if name == "clean" else main[name]
        values = [100 * v for v in item["accuracy"]["values"]]
        ax.barh(
            position,
            np.mean(values),
            color=registry.colour("cnn_gap"),
            alpha=0.8,
            height=0.6,
            label="GAP CNN (mean; dots: seeds)" if name == "clean" else None,
        )
        ax.scatter(values, [position] * len(values), color="black", s=8, zorder=3)
        for model, marker in ((CANDIDATE, "D"), (BASELINE, "o")):
            ax.scatter(
                100 * contrast[name][model]["mean"],
                position,
                marker=marker,
                facecolor="none",
                s=30,
                zorder=4,
                edgecolor=registry.colour(model),
                label=f"{registry.label(model)} ({section['contrast']['epochs']} epochs, mean over seeds)"
                if name == "clean"
                else None,
            )
    ax.set_yticks(positions)
    ax.set_yticklabels(
        [fill("clean" if name == "clean" else GAP_NOISE_LABELS.get(name, name), 26) for name in names],
        fontsize=8,
    )
    ax.set_xlim(0, 103)
    ax.axvline(10, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("Test accuracy (%)")
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title(f"Noise std {level} (dotted: chance)", fontsize=9)
    digits = np.arange(10)
    for offset, (name, predicted, colour) in zip(
        (-0.2, 0.2),
        (
            ("clean", section["clean"]["predicted"], "tab:green"),
            (f"clipped noise {level}", main["clipped"]["predicted"], registry.colour("cnn_gap")),
        ),
    ):
        pooled = np.sum(np.asarray(predicted), axis=0)
        ax_hist.bar(digits + offset, 100 * pooled / pooled.sum(), width=0.4, color=colour, label=name)
    ax_hist.set_xticks(digits)
    ax_hist.set_xlabel("Answer of the GAP CNN")
    ax_hist.set_ylabel("Share of answers (%)")
    ax_hist.set_title("What it answers", fontsize=9)
    ax_hist.legend(loc="upper left", fontsize=8)
    ax_hist.grid(True, axis="y", alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    seeds = len(section["seeds"])
    fig.suptitle(
        figure_title(
            f"The GAP CNN under Gaussian noise ({seeds} seed{'s' * (seeds != 1)}, "
            f"{section['images']:,} test images)",
            results,
        ),
        fontsize=10,
    )
    return fig


def _level_key(section: dict, level=None) -> str:
    return str(section["main_level"] if level is None else level)


def modal_answer(predicted: list[list[int]]) -> tuple[int, float]:
    """The class predicted most often over all seeds, and its share of the answers."""
    pooled = np.sum(np.asarray(predicted), axis=0)
    top = int(np.argmax(pooled))
    return top, float(pooled[top] / pooled.sum())


def _modal_text(predicted) -> str:
    top, share = modal_answer(predicted)
    return f"{top} ({pct(share, 0)})"


def gap_noise_markdown(results: dict) -> str:
    """The GAP CNN under each noise condition at the main level (with what it answers most often, and its
    accuracy once the common offset of its pooled features is removed), the grid's first-seed CNN and MLP
    beside it."""
    section = results["research"]["gap_noise"]
    main = section["noise"][_level_key(section)]
    contrast = section["contrast"]["accuracy"]
    rows = [
        [
            "clean",
            format_mean_std(section["clean"]["accuracy"], percent=True, digits=1),
            _modal_text(section["clean"]["predicted"]),
            "",
            pct(contrast["clean"][CANDIDATE]["mean"]),
            pct(contrast["clean"][BASELINE]["mean"]),
        ]
    ]
    for name, item in main.items():
        rows.append(
            [
                GAP_NOISE_LABELS.get(name, name),
                format_mean_std(item["accuracy"], percent=True, digits=1),
                _modal_text(item["predicted"]),
                format_mean_std(item["offset"]["accuracy_removed"], percent=True, digits=1),
                pct(contrast[name][CANDIDATE]["mean"]),
                pct(contrast[name][BASELINE]["mean"]),
            ]
        )
    epochs, other = section["epochs"], section["contrast"]["epochs"]
    title = (
        f"The GAP CNN ({epochs} epochs, {plural(len(section['seeds']), 'seed')}) under noise of std "
        f"{section['main_level']} on {section['images']:,} test images (background mean of the clipped "
        f"noise m = {section['background_mean'][_level_key(section)]:.3f}), and the original report's CNN "
        f"and MLP ({other} epochs, mean over seeds) under the same conditions"
    )
    table = markdown_table(
        [
            "Test images",
            f"GAP CNN, {epochs} epochs (%)",
            "Its most frequent answer",
            "Its pooled-feature offset removed (%)",
            f"CNN, {other} epochs",
            f"MLP, {other} epochs",
        ],
        rows,
    )
    return caption(results, title, label="gap-noise-table") + "\n\n" + table


def gap_noise_levels_markdown(results: dict) -> str:
    """The GAP CNN under the curve's conditions at every noise level of the section."""
    section = results["research"]["gap_noise"]
    rows = [
        [GAP_NOISE_LABELS.get(name, name)]
        + [
            format_mean_std(section["noise"][str(lv)][name]["accuracy"], percent=True, digits=1)
            for lv in section["levels"]
        ]
        for name in section["curve_conditions"]
    ]
    title = (
        f"The GAP CNN ({section['epochs']} epochs, {plural(len(section['seeds']), 'seed')}) at every noise "
        "level: accuracy (%)"
    )
    return (
        caption(results, title, label="gap-noise-levels-table")
        + "\n\n"
        + markdown_table(["Test images"] + [f"noise std {lv}" for lv in section["levels"]], rows)
    )


#: The conditions the MLP-against-CNN contrast table shows, in the order that separates the two causes:
#: the clean digits, the two noises of the robustness curves, then brightness alone and fluctuation alone.
CONTRAST_ROWS = (
    "clean",
    "clipped",
    "unclipped",
    "constant_background",
    "background_only",
    "ink_only",
    "clipped_centred",
    "median",
)

#: The label of the contrast table (``[the table](#noise-contrast-table)`` in a notebook).
CONTRAST_TABLE = "noise-contrast-table"


def contrast_difference(results: dict, name: str) -> dict | None:
    """CNN − MLP in accuracy under the contrast condition ``name`` (a row of the contrast table), paired by
    seed; None when the results do not hold that condition."""
    accuracy = results["research"].get(KEY, {}).get("contrast", {}).get("accuracy", {})
    return paired(accuracy[name][CANDIDATE], accuracy[name][BASELINE]) if name in accuracy else None


def background_gives_part_of_lead(results: dict) -> bool:
    """Whether, at the noise level taken apart, a brighter background alone (no noise) gives the CNN part of
    its lead under clipped noise: a positive CNN − MLP difference smaller than the one under clipped noise."""
    brighter, noisy = (contrast_difference(results, name) for name in ("constant_background", "clipped"))
    return bool(brighter and noisy and 0 < brighter["mean"] < noisy["mean"])


def contrast_markdown(results: dict) -> str:
    """The MLP's and the CNN's accuracy at noise std ``GAP_NOISE_MAIN`` under each condition of
    ``CONTRAST_ROWS``, over the grid's seeds, with CNN − MLP paired by seed."""
    contrast = results["research"][KEY]["contrast"]
    accuracy = contrast["accuracy"]
    labels = {"clean": "no noise", **GAP_NOISE_LABELS}
    rows = [
        [
            labels[name],
            f"{100 * accuracy[name][BASELINE]['mean']:.1f}",
            f"{100 * accuracy[name][CANDIDATE]['mean']:.1f}",
            pp(contrast_difference(results, name)),
        ]
        for name in CONTRAST_ROWS
        if name in accuracy
    ]
    seeds = len(contrast["seeds"])
    return (
        caption(
            results,
            f"Accuracy (%) at noise std {contrast['level']}, separating a brighter background from "
            f"zero-mean fluctuation: {contrast['epochs']} epochs, mean over {plural(seeds, 'seed')}, "
            "CNN − MLP paired by seed",
            label=CONTRAST_TABLE,
        )
        + "\n\n"
        + markdown_table(["Condition", "MLP", "CNN", "CNN − MLP"], rows)
    )
