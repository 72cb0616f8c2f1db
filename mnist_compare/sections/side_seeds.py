"""The side studies over the size comparison's seeds: the robustness curves of every model it trains, and the
calibration and the drawings of the MLP and the CNN, measured on every seed the size comparison trained, not
only on the first five (which drew high for the CNN), so that the five-seed differences of those studies can
be checked against many seeds. Only evaluation: every model here is a saved run."""

from __future__ import annotations

from .. import registry
from ..formatting import caption, markdown_table, pp
from ..metrics import summarize
from ..preprocessing import DEFAULT_METHOD
from ..registry import BASELINE, CANDIDATE
from ..training import predict_probabilities
from .base import Context, calibration_summary, drawing_accuracies, extra_models
from .other_handwriting import other_handwriting
from .robustness import robustness, seed_curve_means
from .size_seeds import SIZE_MODELS

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "side_seeds"
VERSION = 4
REQUIRES = ("size_seeds", "robustness")

#: The models measured: the two the report compares.
COMPARED = (BASELINE, CANDIDATE)

#: The label of the section's table (``[the table](#side-seeds-table)`` in a notebook).
SIDE_SEEDS_TABLE = "side-seeds-table"


def compute(ctx: Context, research: dict) -> dict:
    """Per seed of the size comparison, each measure of the side studies for the MLP and the CNN: the mean
    accuracy over every changed level of each robustness curve, the expected calibration error, and the
    accuracy on both drawing sets through the demo's default preprocessing. A run with no more seeds than
    the grid (a fast run) has nothing to add."""
    seeds = research["size_seeds"]["seeds"]
    out = {"seeds": seeds, "first": len(ctx.seeds), "measures": {}}
    if len(seeds) <= len(ctx.seeds):
        return out
    ctx.log(f"Research: the side studies again over {len(seeds)} seeds (evaluation only)")
    # The grid's seeds are the grid's models, loaded once for every section; the others the size section's.
    grid = ctx.grid_models()
    models = {
        name: [
            grid[name][ctx.seeds.index(seed)]
            if name in grid and seed in ctx.seeds
            else extra_models(ctx.paths, SIZE_MODELS[name], name, [seed], ctx.last)[0]
            for seed in seeds
        ]
        for name in SIZE_MODELS
        if name in research["size_seeds"]["models"]
    }
    measures = out["measures"]
    # The robustness curves of every model the size comparison trained (the controls too), the other
    # measures of the two compared models only.
    curves = robustness(models, ctx.splits)["curves"]
    models = {name: models[name] for name in COMPARED}
    out["curves"] = curves
    for transform, curve in curves.items():
        measures[f"robustness:{transform}"] = {
            name: seed_curve_means(curve, transform, name) for name in COMPARED
        }
    labels = ctx.splits.y_test
    measures["ece"] = {
        name: calibration_summary(
            labels, [predict_probabilities(model, ctx.splits.x_test) for model in runs]
        )["ece"]["values"]
        for name, runs in models.items()
    }
    synthetic = drawing_accuracies(models, ctx.splits)["accuracy"]
    other = other_handwriting(models, fast=ctx.fast)["accuracy"]
    for key, accuracy in (("drawings:synthetic", synthetic), ("drawings:other writers", other)):
        measures[key] = {name: accuracy[name][DEFAULT_METHOD]["values"] for name in COMPARED}
    # Every preprocessing method's accuracy on both drawing sets, per model: the verdicts on cropping.
    out["drawings"] = {"synthetic": synthetic, "other writers": other}
    return out


def drawings(results: dict) -> dict:
    """{drawing set ("synthetic", "other writers"): {model: {method: accuracy over the section's seeds}}},
    empty without them."""
    return results["research"].get(KEY, {}).get("drawings", {})


def differences(results: dict) -> dict:
    """{measure: (CNN − MLP over the first seeds, CNN − MLP over all the section's seeds)}, paired by seed;
    empty without the section's measures."""
    section = results["research"].get(KEY, {})
    first = section.get("first", 0)
    return {
        measure: tuple(
            summarize([cnn - mlp for cnn, mlp in zip(values[CANDIDATE][:count], values[BASELINE][:count])])
            for count in (first, len(section["seeds"]))
        )
        for measure, values in section.get("measures", {}).items()
    }


def _measure_label(measure: str) -> str:
    kind, _, detail = measure.partition(":")
    if kind == "robustness":
        return f"{'clipped noise' if detail == 'noise' else detail}: mean accuracy over the curve"
    if kind == "ece":
        return "expected calibration error"
    return f"{'synthetic drawings' if detail == 'synthetic' else detail + chr(39) + ' digits'}: accuracy"


def side_seeds_markdown(results: dict) -> str:
    """The side studies' CNN − MLP differences over the first seeds and over all the size comparison's seeds,
    each paired by seed with its 95% interval."""
    section = results["research"][KEY]
    found = differences(results)
    first, many = section["first"], len(section["seeds"])
    rows = [[_measure_label(measure), pp(few), pp(all_)] for measure, (few, all_) in found.items()]
    return (
        caption(
            results,
            f"CNN − {registry.label(BASELINE)} differences in the side studies, first {first} seeds and all "
            f"{many}: robustness (mean over changed levels), calibration ({results['research']['epochs']} "
            "epochs) and drawings (default preprocessing); paired by seed, 95% intervals",
            label=SIDE_SEEDS_TABLE,
        )
        + "\n\n"
        + markdown_table(["Measure (CNN − MLP)", f"First {first} seeds", f"All {many} seeds"], rows)
    )
