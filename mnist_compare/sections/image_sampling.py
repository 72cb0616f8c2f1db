"""The sampling error of the images behind the verdicts' tests, measured from the models' answers image by
image. Every seed is scored on the same test images, robustness subset and drawing sets, so their sampling
error is shared by all seeds and an interval over seeds leaves it out. For two models (or two preprocessing
methods) answering the same n images, one run's difference has the images' standard error sd(a − b)/√n, where
a and b are each image's score (1 right, 0 wrong; on a robustness curve, the share of its changed levels
answered right). The size comparison kept only error rates for its controls, which bound this error from
above; here the controls are trained again on a few seeds with their answers kept, beside the size
comparison's saved runs of the MLP and the CNN, and the error is measured. It is a property of the pair of
models and the images, so a few seeds estimate it; the differences themselves stay those of the other
sections, over every seed."""

from __future__ import annotations

import numpy as np

from ..metrics import widened
from ..registry import BASELINE, CANDIDATE
from ..training import predict_probabilities
from ..transforms import ROBUSTNESS_LEVELS, TRANSFORMS
from .base import (
    Context,
    drawing_inputs,
    extra_models,
    extra_runs,
    method_batches,
    progress_bar,
    recorded_error,
    robustness_subset,
)
from .other_handwriting import other_writers_canvases
from .robustness import GEOMETRIC, NOISE, changed_levels
from .size_seeds import SIZE_MODELS, comparisons, comparisons_with_image_bound

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "image_sampling"
VERSION = 1
REQUIRES = ("size_seeds",)

#: How many seeds: the first ones of the size comparison that the grid does not have, where the size
#: comparison's runs of the MLP and the CNN are saved.
SAMPLING_SEEDS = 5

#: The controls trained again here with their answers kept (the size comparison's runs of them are not).
CONTROLS = ("mlp_wide", "mlp_compute", "mlp_deep", "cnn_small")

#: The pairs compared on the test set and on every robustness curve: the CNN against the MLP and each MLP
#: control, the small CNN against the MLP, and each MLP of the CNN's size against the MLP.
PAIRS = (
    (CANDIDATE, BASELINE),
    (CANDIDATE, "mlp_wide"),
    (CANDIDATE, "mlp_compute"),
    (CANDIDATE, "mlp_deep"),
    ("cnn_small", BASELINE),
    ("cnn_small", "mlp_compute"),
    ("mlp_wide", BASELINE),
    ("mlp_compute", BASELINE),
    ("mlp_deep", BASELINE),
)

#: The robustness curves of the verdicts' tests (the clipped noise, not the unclipped).
CURVES = (*GEOMETRIC, NOISE[0])


def image_se(first: np.ndarray, second: np.ndarray) -> float:
    """One run's standard error, from the images' sampling, of the difference of two mean scores over the same
    images: the standard deviation of the per-image difference over √n (population deviation: the variance
    of a mean of n draws from these images)."""
    difference = np.asarray(first, dtype=float) - np.asarray(second, dtype=float)
    return float(np.std(difference) / np.sqrt(len(difference)))


def _correct(model, images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """1.0 for each image the model answers right, else 0.0."""
    return (np.argmax(predict_probabilities(model, images), axis=1) == labels).astype(float)


def compute(ctx: Context, research: dict) -> dict:
    """Per seed, each pair's standard error from the images' sampling on the test set and on each robustness
    curve's mean, and the MLP's and the CNN's (and each method's) on the drawing sets: {measure key: [one
    value per seed]}. A run without the size comparison's extra seeds (a fast run) has nothing to measure."""
    size = research.get("size_seeds", {})
    seeds = [seed for seed in size.get("seeds", []) if seed not in ctx.seeds][:SAMPLING_SEEDS]
    out = {"seeds": seeds, "standard_errors": {}}
    if not seeds or ctx.fast:
        return out
    ctx.log(f"Research: the images' sampling error from the answers image by image ({len(seeds)} seeds)")
    with progress_bar(len(CONTROLS) * len(seeds) * ctx.last, ctx.show_progress) as progress:
        extra_runs("sampling", CONTROLS, seeds, ctx.splits, ctx.snapshot_epochs, ctx.paths, progress)
    models = {
        name: extra_models(
            ctx.paths, "sampling" if name in CONTROLS else SIZE_MODELS[name], name, seeds, ctx.last
        )
        for name in (BASELINE, CANDIDATE, *CONTROLS)
    }
    errors: dict[str, list[float]] = {}

    def add(key: str, value: float) -> None:
        errors.setdefault(key, []).append(value)

    images, labels = robustness_subset(ctx.splits)
    transformed = {
        transform: [
            TRANSFORMS[transform](images, ROBUSTNESS_LEVELS[transform][index])
            for index in changed_levels(transform, ROBUSTNESS_LEVELS[transform])
        ]
        for transform in CURVES
    }
    synthetic_labels, synthetic = drawing_inputs(ctx.splits)
    canvases, other_labels = other_writers_canvases(fast=ctx.fast)
    other = method_batches(canvases)
    for index in range(len(seeds)):
        seed_models = {name: runs[index] for name, runs in models.items()}
        test = {
            name: _correct(model, ctx.splits.x_test, ctx.splits.y_test) for name, model in seed_models.items()
        }
        curves = {
            transform: {
                name: np.mean([_correct(model, batch, labels) for batch in batches], axis=0)
                for name, model in seed_models.items()
            }
            for transform, batches in transformed.items()
        }
        for first, second in PAIRS:
            add(f"test:{first}-{second}", image_se(test[first], test[second]))
            for transform in CURVES:
                add(
                    f"curve:{transform}:{first}-{second}",
                    image_se(curves[transform][first], curves[transform][second]),
                )
        drawings = {
            "synthetic": {
                name: {
                    m: _correct(seed_models[name], batch, synthetic_labels) for m, batch in synthetic.items()
                }
                for name in (BASELINE, CANDIDATE)
            },
            "other writers": {
                name: {m: _correct(seed_models[name], batch, other_labels) for m, batch in other.items()}
                for name in (BASELINE, CANDIDATE)
            },
        }
        for source, answers in drawings.items():
            for method in answers[CANDIDATE]:
                add(
                    f"drawings:{source}:{method}",
                    image_se(answers[CANDIDATE][method], answers[BASELINE][method]),
                )
            for name in (BASELINE, CANDIDATE):
                add(
                    f"crop:{source}:{name}",
                    image_se(answers[name]["original_bbox"], answers[name]["original_naive"]),
                )
    out["standard_errors"] = errors
    return out


def standard_error(results: dict, key: str) -> float | None:
    """The mean over the section's seeds of one measure's standard error from the images' sampling (``key``
    as ``compute`` names it), or None when the results do not have it."""
    return recorded_error(results, KEY, key)


def measured(results: dict) -> bool:
    """Whether the results have the section's measured errors (a full run)."""
    return bool(results["research"].get(KEY, {}).get("standard_errors"))


def widened_comparisons(results: dict) -> dict:
    """``size_seeds.comparisons`` with each interval widened by the test images' sampling error: measured
    from the answers image by image where the section has the pair, else the size comparison's conservative
    bound from error rates (``size_seeds.comparisons_with_image_bound``)."""
    bounded = comparisons_with_image_bound(results)
    out = {}
    for (first, second), diff in comparisons(results).items():
        error = standard_error(results, f"test:{first}-{second}")
        if error is not None and diff.get("std"):
            out[(first, second)] = widened(diff, error)
        elif (first, second) in bounded:
            out[(first, second)] = bounded[(first, second)]
    return out
