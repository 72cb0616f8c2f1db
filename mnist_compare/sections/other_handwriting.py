"""Handwriting that is not MNIST: scikit-learn's 8x8 digits (other writers, another scanner) drawn on a
canvas like user drawings, through each preprocessing method."""

from __future__ import annotations

import numpy as np

from .. import drawings, registry
from ..formatting import caption, markdown_table
from ..preprocessing import METHOD_LABELS, METHODS
from ..training import predict_probabilities
from .base import Context, method_batches, seed_summary
from .robustness import model_epochs

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "other_handwriting"
VERSION = 4
REQUIRES = ("capacity_control", "architecture_controls")


OTHER_HANDWRITING_SEED = 17


OTHER_HANDWRITING_FAST = 300


def other_writers_canvases(*, fast: bool) -> tuple[list, np.ndarray]:
    """scikit-learn's digits drawn on canvases like user drawings (seeded; a subset in fast mode), and their
    labels: the set this section and the demo's readers (``drawing_reader``) are measured on."""
    images, labels = drawings.other_handwriting(OTHER_HANDWRITING_FAST if fast else None)
    return drawings.user_like_canvases(images, seed=OTHER_HANDWRITING_SEED), labels


def other_handwriting(models: dict, *, fast: bool) -> dict:
    """Accuracy on scikit-learn's 8x8 digits (other writers, other scanner) drawn like user drawings
    on a canvas, through each preprocessing method."""

    canvases, labels = other_writers_canvases(fast=fast)
    inputs = method_batches(canvases)
    out = {
        "drawings": int(len(labels)),
        "source": "scikit-learn load_digits (UCI optical digits, 8x8)",
        "accuracy": {},
    }
    for name, seed_models in models.items():
        out["accuracy"][name] = {
            method: seed_summary(
                [
                    float(np.mean(np.argmax(predict_probabilities(model, batch), 1) == labels))
                    for model in seed_models
                ]
            )
            for method, batch in inputs.items()
        }
    return out


def compute(ctx: Context, research: dict) -> dict:
    ctx.log("Research: handwriting that is not MNIST (scikit-learn's 8x8 digits drawn on a canvas)")
    return other_handwriting(ctx.all_models(research), fast=ctx.fast)


def best_method(results: dict) -> str | None:
    """The preprocessing method that gives every model its highest accuracy on both drawing sets (synthetic
    and other writers'), or None when no one method does."""
    research = results["research"]
    sources = [research["other_handwriting"]["accuracy"], research["user_drawings"]["accuracy"]]
    best = {max(METHODS, key=lambda m: source[name][m]["mean"]) for source in sources for name in sources[0]}
    return best.pop() if len(best) == 1 else None


def other_handwriting_markdown(results: dict) -> str:
    """Accuracy on re-rendered MNIST digits and on other writers' digits, per model and preprocessing."""

    research = results["research"]
    other, mnist = research["other_handwriting"]["accuracy"], research["user_drawings"]["accuracy"]
    rows = [
        [registry.table_label(name), str(model_epochs(results, name))]
        + [f"{100 * mnist[name][m]['mean']:.1f} / {100 * other[name][m]['mean']:.1f}" for m in METHODS]
        for name in other
    ]
    return (
        caption(
            results,
            f"Accuracy (%) of every model on drawings: synthetic "
            f"({research['user_drawings']['drawings']:,} re-rendered MNIST test digits) / other writers "
            f"({research['other_handwriting']['drawings']:,} of scikit-learn's digits), mean over seeds",
            label="drawings-models-table",
        )
        + "\n\n"
        + markdown_table(["Model", "Epochs"] + [METHOD_LABELS[m] for m in METHODS], rows)
    )
