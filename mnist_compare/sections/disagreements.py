"""Disagreements: the test digits only one of the two models gets right, per seed."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .. import metrics
from ..formatting import caption, markdown_table
from ..metrics import format_mean_std
from ..plots import PAGE_WIDTH, answers_title, figure_title
from ..registry import BASELINE, CANDIDATE
from ..training import predictions_path
from .base import seed_summary, seeds_text

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "disagreements"
VERSION = 1
REQUIRES = ()


#: Gallery items per direction (CNN right and MLP wrong; MLP right and CNN wrong), seed 0.
DISAGREEMENT_GALLERY = 8


def disagreement_masks(labels: np.ndarray, mlp_predicted: np.ndarray, cnn_predicted: np.ndarray) -> dict:
    """Boolean masks of the items only the CNN gets right (``cnn_only``) and only the MLP (``mlp_only``)."""
    labels = np.asarray(labels)
    mlp_right, cnn_right = np.asarray(mlp_predicted) == labels, np.asarray(cnn_predicted) == labels
    return {"cnn_only": cnn_right & ~mlp_right, "mlp_only": mlp_right & ~cnn_right}


def gallery_order(mask: np.ndarray, wrong_confidence: np.ndarray, count: int) -> np.ndarray:
    """The first ``count`` items of ``mask`` by the wrong model's confidence, highest first (ties: lower
    index)."""
    chosen = np.flatnonzero(mask)
    order = np.lexsort((chosen, -np.asarray(wrong_confidence)[chosen]))
    return chosen[order][:count]


def _recorded_counts(results: dict, epochs: int) -> dict:
    """McNemar's counts per seed that ``results["comparisons"]`` holds for ``epochs`` ({} if none)."""
    for comparison in results.get("comparisons", []):
        if int(comparison["epochs"]) == int(epochs) and (comparison.get("a"), comparison.get("b")) == (
            BASELINE,
            CANDIDATE,
        ):
            return {int(test["seed"]): test for test in comparison["mcnemar"]}
    return {}


def compute(ctx, research: dict) -> dict:
    """Per seed (the grid's last snapshot): the test digits only the CNN gets right and only the MLP gets
    right;
    for seed 0 the ``DISAGREEMENT_GALLERY`` of each with the wrong model most confident."""

    ctx.log(f"Research: the test digits only one model gets right ({seeds_text(ctx.seeds)})")
    labels = ctx.splits.y_test
    recorded = _recorded_counts(ctx.results, ctx.last)
    counts: dict = {"cnn_only": [], "mlp_only": [], "both_wrong": []}
    by_label = {"cnn_only": np.zeros(10, int), "mlp_only": np.zeros(10, int)}
    gallery = None
    for seed in ctx.seeds:
        probs = {
            name: np.load(predictions_path(ctx.run_dir(name, seed), ctx.last))["probabilities"]
            for name in (BASELINE, CANDIDATE)
        }
        predicted = {name: np.argmax(p, 1) for name, p in probs.items()}
        test = metrics.mcnemar_exact(labels, predicted[BASELINE], predicted[CANDIDATE])  # a = MLP, b = CNN
        if seed in recorded and (recorded[seed]["a_only"], recorded[seed]["b_only"]) != (
            test["a_only"],
            test["b_only"],
        ):
            raise ValueError(
                f"Seed {seed}'s saved test predictions give {test['b_only']} CNN-only and "
                f"{test['a_only']} MLP-only digits, results.json's comparisons "
                f"{recorded[seed]['b_only']} and {recorded[seed]['a_only']}: run the grid again."
            )
        counts["cnn_only"].append(test["b_only"])
        counts["mlp_only"].append(test["a_only"])
        counts["both_wrong"].append(test["both_wrong"])
        masks = disagreement_masks(labels, predicted[BASELINE], predicted[CANDIDATE])
        for key, mask in masks.items():
            by_label[key] += np.bincount(labels[mask], minlength=10)
        if seed == ctx.seeds[0]:
            gallery = {
                "seed": seed,
                "per_direction": DISAGREEMENT_GALLERY,
                "order": "the wrong model's confidence, highest first (ties: lower index)",
            }
            for key, wrong in (("cnn_only", BASELINE), ("mlp_only", CANDIDATE)):
                chosen = gallery_order(masks[key], probs[wrong].max(1), DISAGREEMENT_GALLERY)
                gallery[key] = [
                    {
                        "index": int(i),
                        "label": int(labels[i]),
                        **{
                            name: {
                                "predicted": int(predicted[name][i]),
                                "confidence": float(probs[name][i].max()),
                            }
                            for name in (BASELINE, CANDIDATE)
                        },
                    }
                    for i in chosen
                ]
    net = metrics.paired_differences(counts["cnn_only"], counts["mlp_only"])
    return {
        "epochs": ctx.last,
        "seeds": list(ctx.seeds),
        "test_images": int(len(labels)),
        "directions": {"cnn_only": "CNN right, MLP wrong", "mlp_only": "MLP right, CNN wrong"},
        "counts": {**{key: seed_summary(values) for key, values in counts.items()}, "net": seed_summary(net)},
        "checked_against_comparisons": sorted(seed for seed in ctx.seeds if seed in recorded),
        "by_label": {key: values.astype(int).tolist() for key, values in by_label.items()},
        "gallery": gallery,
    }


def _disagreement_panels(subfig, items, label_text: str) -> None:
    axes = np.atleast_1d(subfig.subplots(1, len(items)))
    for ax in axes.flat:
        ax.axis("off")
    for ax, item in zip(axes.flat, items):
        ax.imshow(np.squeeze(item["image"]), cmap="gray_r")
        ax.set_title(answers_title(item), fontsize=8.5)
    subfig.suptitle(label_text, fontsize=9.5)


def plot_disagreements(results: dict, test_images, *, per_side: int = 6) -> plt.Figure:
    """The test digits only one model gets right (the first seed), both ways, with both models' answers and
    the counts per seed in the titles (``research.disagreements``): one row of the first ``per_side`` of each
    way."""
    section = results["research"]["disagreements"]
    gallery = section["gallery"]
    counts = section["counts"]
    seeds = len(section["seeds"])
    side = PAGE_WIDTH / per_side - 0.1
    fig = plt.figure(figsize=(PAGE_WIDTH, 2 * (side + 0.95) + 0.35), layout="constrained")
    halves = fig.subfigures(2, 1, hspace=0.04)
    for subfig, key in zip(halves, ("cnn_only", "mlp_only")):
        summary = counts[key]
        seed_count = summary["values"][section["seeds"].index(gallery["seed"])]
        spread = (
            f"; {summary['mean']:.1f} ± {summary['std']:.1f} per seed over {seeds} seeds"
            if summary.get("std") is not None
            else ""
        )
        items = [{**item, "image": test_images[item["index"]]} for item in gallery[key][:per_side]]
        wrong = "MLP" if key == "cnn_only" else "CNN"
        _disagreement_panels(
            subfig,
            items,
            f"{section['directions'][key]}: {int(seed_count)} test digits for the first seed{spread}\n"
            f"(shown: the {len(items)} the {wrong} was most sure of)",
        )
    fig.suptitle(
        figure_title(f"Test digits only one model gets right after {section['epochs']} epochs", results),
        fontsize=10,
    )
    return fig


def _count(summary: dict) -> str:
    """'140.2 ± 11.3' test digits over seeds, or '140' for one seed."""
    return f"{summary['mean']:.0f}" if summary.get("std") is None else format_mean_std(summary, digits=1)


def disagreements_markdown(results: dict) -> str:
    """Per seed, the test digits only the CNN gets right and only the MLP gets right (McNemar's discordant
    pairs), and the same digits by true label."""
    section = results["research"]["disagreements"]
    counts = section["counts"]
    rows = [
        [
            section["directions"][key],
            _count(counts[key]),
            ", ".join(str(int(v)) for v in counts[key]["values"]),
        ]
        for key in ("cnn_only", "mlp_only")
    ]
    rows.append(
        [
            "both wrong",
            _count(counts["both_wrong"]),
            ", ".join(str(int(v)) for v in counts["both_wrong"]["values"]),
        ]
    )
    rows.append(
        [
            "CNN-only − MLP-only",
            _count(counts["net"]),
            ", ".join(f"{int(v):+d}" for v in counts["net"]["values"]),
        ]
    )
    table = markdown_table(
        [
            "Test digits",
            "Mean ± std per seed",
            "Per seed (" + ", ".join(str(s) for s in section["seeds"]) + ")",
        ],
        rows,
    )
    by_label = markdown_table(
        ["Digit"] + [str(d) for d in range(10)],
        [
            [section["directions"][key] + " (all seeds)"] + [str(v) for v in section["by_label"][key]]
            for key in ("cnn_only", "mlp_only")
        ],
    )
    title = (
        f"Test digits only one model gets right (McNemar's discordant pairs) after {section['epochs']} "
        f"epochs, out of {section['test_images']:,}, per seed"
    )
    return (
        caption(results, title, label="disagreements-table")
        + "\n\n"
        + table
        + "\n\n"
        + caption(results, "The same test digits by true label", label="disagreements-digits-table")
        + "\n\n"
        + by_label
    )


def count_text(summary: dict) -> str:
    """'140.2 ± 11.3' test digits over seeds, or '140' for one seed."""
    return _count(summary)
