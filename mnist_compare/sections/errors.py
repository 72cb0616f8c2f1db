"""Errors: the test digits the first seed's models get most confidently wrong."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .. import config
from ..plots import answers_title, figure_title, image_panels
from ..registry import BASELINE, CANDIDATE
from ..training import predictions_path
from .base import Context

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "errors"
VERSION = 1
REQUIRES = ()


def error_gallery(run_dirs: dict, splits, epochs: int, top: int = 12) -> dict:
    """The test digits that either model (seed 0) gets wrong with the highest confidence."""

    probabilities = {
        name: np.load(predictions_path(run_dir, epochs))["probabilities"]
        for name, run_dir in run_dirs.items()
    }
    labels = splits.y_test
    worst = {}
    for name, probs in probabilities.items():
        predicted = np.argmax(probs, 1)
        wrong = np.flatnonzero(predicted != labels)
        for index in wrong[np.argsort(-probs[wrong].max(1))][: top // len(probabilities)]:
            worst[int(index)] = None
    items = []
    for index in worst:
        item = {"index": index, "label": int(labels[index])}
        for name, probs in probabilities.items():
            item[name] = {
                "predicted": int(np.argmax(probs[index])),
                "confidence": float(np.max(probs[index])),
                "probabilities": [round(float(p), 4) for p in probs[index]],
            }
        items.append(item)
    both_wrong = int(np.sum(np.all([np.argmax(p, 1) != labels for p in probabilities.values()], axis=0)))
    return {
        "epochs": epochs,
        "seed": config.FIRST_SEED,
        "items": items,
        "both_wrong": both_wrong,
        "test_images": int(len(labels)),
    }


def compute(ctx: Context, research: dict) -> dict:
    return error_gallery(
        {name: ctx.run_dir(name, ctx.seeds[0]) for name in (BASELINE, CANDIDATE)}, ctx.splits, ctx.last
    )


def balanced_items(gallery: dict, count: int | None) -> list[dict]:
    """``count`` of the gallery's digits, as many each model gets wrong as the other: each model's most
    confident mistakes in turn (a digit both get wrong counts once)."""
    items = gallery["items"]
    if count is None:
        return items
    names = [key for key in items[0] if isinstance(items[0][key], dict)] if items else []
    ranked = {
        name: sorted(
            (item for item in items if item[name]["predicted"] != item["label"]),
            key=lambda item, name=name: -item[name]["confidence"],
        )
        for name in names
    }
    chosen: dict[int, dict] = {}
    picked: dict[str, list[dict]] = {name: [] for name in names}
    while len(chosen) < count and any(ranked.values()):
        for name in names:
            while ranked[name] and ranked[name][0]["index"] in chosen:
                ranked[name].pop(0)
            if ranked[name] and len(chosen) < count:
                item = ranked[name].pop(0)
                chosen[item["index"]] = item
                picked[name].append(item)
    # Grouped by the model whose mistake it is, in the models' order (the caption says which is which).
    return [item for name in names for item in picked[name]]


def plot_error_gallery(results: dict, test_images, *, count: int | None = None) -> plt.Figure:
    """The digits the first seed's models get most confidently wrong (``count`` of them, half each model's),
    with both models' answers."""
    gallery = results["research"]["errors"]
    items = balanced_items(gallery, count)
    fig, axes = image_panels(len(items), 3, cols=6 if count and count <= 6 else 5)
    for ax, item in zip(axes.flat, items):
        ax.imshow(np.squeeze(test_images[item["index"]]), cmap="gray_r")
        ax.set_title(answers_title(item), fontsize=9)
    fig.suptitle(
        figure_title(f"Most confident mistakes after {gallery['epochs']} epochs (first seed)", results)
    )
    fig.tight_layout()
    return fig
