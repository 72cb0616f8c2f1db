"""The sampling error of the test images behind the tuned tests, measured from the tuned models' answers image
by image. The recipes section and the small CNN's cosine-decay runs keep only their accuracies, which bound
that error from above (``metrics.with_error_rate_bound``); here the tuned models (each at its best recipe and
epoch on validation, the small CNN with cosine decay) are trained again on the recipes section's own seeds
with their answers kept, in the folders those sections use, and the error is measured as the image-sampling
section measures it for the original recipe. It is a property of the pair of models and the images, so a few
seeds estimate it; the differences themselves stay those of the other sections, over every scored seed."""

from __future__ import annotations

import numpy as np

from ..registry import BASELINE, CANDIDATE
from ..training import predictions_path, run_spec, train_run
from .base import Context, extra_run_dir, progress_bar, recorded_error
from .image_sampling import image_se
from .recipes import RECIPES, recipe_variant
from .size_seeds import MATCHED_MLPS
from .width_sweep import SMALL, TUNED_RECIPE, TUNED_VARIANT

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "tuned_sampling"
VERSION = 1
REQUIRES = ("recipes", "width_sweep")

#: How many seeds: the first ones the recipes section chose its recipes on.
SAMPLING_SEEDS = 5

#: The pairs of tuned models whose differences are tests behind the verdicts (the CNN against the MLP and
#: each MLP of its size; the small CNN against each MLP of the CNN's size), and the size gains of the MLPs.
PAIRS = (
    (CANDIDATE, BASELINE),
    *((CANDIDATE, name) for name in MATCHED_MLPS),
    *((SMALL, name) for name in MATCHED_MLPS),
    *((name, BASELINE) for name in MATCHED_MLPS),
)


def _tuned_run(ctx: Context, name: str, seed: int, choice: dict, bar) -> tuple:
    """(the run's folder, the epoch to read) of ``name`` trained with its tuned ``choice`` ({"recipe",
    "epochs"}; the small CNN: cosine decay, the last epoch), in the folder its own section uses."""
    if name == SMALL:
        options, folder, epoch = TUNED_RECIPE, TUNED_VARIANT, ctx.last
    else:
        key = choice["recipe"]
        options, folder, epoch = RECIPES[key][0], recipe_variant(key), choice["epochs"]
    run_dir = extra_run_dir(ctx.paths, folder, name, seed)
    train_run(
        run_spec(name, seed, ctx.splits, fast=ctx.fast, snapshot_epochs=ctx.snapshot_epochs),
        ctx.splits,
        run_dir,
        progress=bar,
        overrides=options,
    )
    return run_dir, epoch


def compute(ctx: Context, research: dict) -> dict:
    """Per seed, each pair's standard error from the test images' sampling, with the tuned models' test
    accuracies on those seeds: {"seeds", "standard_errors": {"test:first-second": [one value per seed]},
    "accuracies": {model: [one value per seed]}}. Nothing to measure without tuned runs or in a fast run
    (whose test set is too small to say anything of the images)."""
    recipes = research.get("recipes", {})
    best = recipes.get("best", {})
    seeds = list(recipes.get("seeds", []))[:SAMPLING_SEEDS]
    out: dict = {"seeds": seeds, "standard_errors": {}, "accuracies": {}}
    names = [CANDIDATE, BASELINE, *MATCHED_MLPS]
    if ctx.fast or not seeds or any(name not in best for name in names):
        return out
    if any("recipe" not in best[name] or best[name]["recipe"] not in RECIPES for name in names):
        return out
    ctx.log(f"Research: the tuned models' answers image by image ({len(seeds)} seeds)")
    errors: dict[str, list[float]] = {}
    accuracies: dict[str, list[float]] = {}
    with progress_bar((len(names) + 1) * len(seeds) * ctx.last, ctx.show_progress) as bar:
        for seed in seeds:
            answers = {}
            for name in (*names, SMALL):
                run_dir, epoch = _tuned_run(ctx, name, seed, best.get(name, {}), bar)
                # Each snapshot's test probabilities, saved by the training run: no model to load again.
                probabilities = np.load(predictions_path(run_dir, epoch))["probabilities"]
                answers[name] = (np.argmax(probabilities, axis=1) == ctx.splits.y_test).astype(float)
                accuracies.setdefault(name, []).append(float(np.mean(answers[name])))
            for first, second in PAIRS:
                error = image_se(answers[first], answers[second])
                errors.setdefault(f"test:{first}-{second}", []).append(error)
    out["standard_errors"], out["accuracies"] = errors, accuracies
    return out


def rerun_difference(results: dict) -> float | None:
    """The largest difference in test accuracy between a tuned run trained again here and the same model's
    scored tuned run with the same seed (the recipes section's); None when the results have neither."""
    section = results["research"].get(KEY, {})
    recipes = results["research"].get("recipes", {})
    scored, seeds = recipes.get("tuned", {}), recipes.get("scored_seeds", [])
    differences = [
        abs(accuracy - scored[name]["values"][seeds.index(seed)])
        for name, accuracies in section.get("accuracies", {}).items()
        if name in scored
        for seed, accuracy in zip(section["seeds"], accuracies)
        if seed in seeds
    ]
    return max(differences) if differences else None


def standard_error(results: dict, first: str, second: str) -> float | None:
    """The mean over the section's seeds of the standard error, from the test images' sampling, of the tuned
    ``first`` − tuned ``second``; None when the results do not have it."""
    return recorded_error(results, KEY, f"test:{first}-{second}")
