"""Max, average or no pooling: the CNN with its 2×2 max pooling replaced by average pooling (the same
parameters and multiply-adds), and without pooling (its convolution moves by 2 pixels instead, to the same
13×13 map and the same parameters), trained with the original recipe on the size comparison's seeds, on the
test set and on every robustness curve. It tests whether the max pooling is what makes the CNN collapse
under zero-mean (unclipped) noise, and how much of its robustness to moved digits pooling carries."""

from __future__ import annotations

import numpy as np

from ..formatting import caption, markdown_table, paired, plural, pp
from ..metrics import error_rate_se
from ..registry import BASELINE, CANDIDATE
from .base import Context, extra_models, extra_runs, extra_summary, progress_bar, seed_summary
from .permuted_pixels import normal_accuracies
from .robustness import ROW_NAMES, changed_levels, levels_text, model_curve, robustness, seed_curve_means

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "pooling"
VERSION = 2
REQUIRES = ("size_seeds", "robustness", "side_seeds")

#: The ablated CNNs: the original CNN with average pooling, and without pooling (``registry.MODELS``).
POOLING_MODEL = "cnn_avgpool"
NO_POOLING_MODEL = "cnn_strided"
POOLING_MODELS = (POOLING_MODEL, NO_POOLING_MODEL)

#: The label of the section's table (``[the table](#pooling-table)`` in a notebook).
POOLING_TABLE = "pooling-table"


def pooling_seeds(research: dict, grid_seeds) -> list[int]:
    """The seeds the CNN's robustness curves have: the side studies' (the size comparison's) when they
    measured the curves, else the grid's."""
    side = research.get("side_seeds", {})
    return list(side["seeds"]) if side.get("curves") else list(grid_seeds)


def compute(ctx: Context, research: dict) -> dict:
    seeds = pooling_seeds(research, ctx.seeds)
    epochs = tuple(ctx.snapshot_epochs)
    ctx.log(
        f"Research: the CNN with average pooling and without it ({len(seeds)} seeds, {max(epochs)} epochs)"
    )
    with progress_bar(len(POOLING_MODELS) * len(seeds) * max(epochs), ctx.show_progress) as progress:
        records = extra_runs("pooling", POOLING_MODELS, seeds, ctx.splits, epochs, ctx.paths, progress)
    models = {name: extra_models(ctx.paths, "pooling", name, seeds, ctx.last) for name in POOLING_MODELS}
    return {
        "models": list(POOLING_MODELS),
        "seeds": seeds,
        "epochs": max(epochs),
        "summary": extra_summary(records, epochs),
        "curves": robustness(models, ctx.splits)["curves"],
    }


def curve_values(results: dict, transform: str, name: str) -> list[float]:
    """Per seed of the pooling section, ``name``'s accuracy averaged over every changed level of a curve."""
    section = results["research"][KEY]
    if name in section["models"]:
        return seed_curve_means(section["curves"][transform], transform, name)
    # The CNN's, the MLP's and the controls' curves over their own seeds, in the pooling section's order.
    curve = model_curve(results, transform, name)
    values = seed_curve_means(curve, transform, name)
    count = len(curve[name][0]["values"])
    their_seeds = pooling_seeds(results["research"], results["research"]["seeds"])[:count]
    by_seed = dict(zip(their_seeds, values))
    return [by_seed[seed] for seed in section["seeds"]]


def test_values(results: dict, name: str) -> list[float]:
    """Per seed of the pooling section, ``name``'s test accuracy after the section's epochs."""
    section = results["research"][KEY]
    epochs = str(section["epochs"])
    if name in section["models"]:
        return section["summary"][name][epochs]["test_accuracy"]["values"]
    return normal_accuracies(results, name, section["seeds"], epochs)


def pooling_comparison(results: dict) -> dict:
    """{"test" or a robustness curve: {model: its summary over seeds, "average − max" and "none − max": each
    ablated CNN minus the CNN, "average − MLP" and "none − MLP": minus the MLP, all paired by seed}}."""
    section = results["research"][KEY]
    out = {}
    for measure in ["test", *section["curves"]]:
        values = {
            name: (test_values(results, name) if measure == "test" else curve_values(results, measure, name))
            for name in (BASELINE, CANDIDATE, *POOLING_MODELS)
        }
        summaries = {name: seed_summary(v) for name, v in values.items()}
        out[measure] = dict(summaries)
        for name, short in ((POOLING_MODEL, "average"), (NO_POOLING_MODEL, "none")):
            out[measure][f"{short} − max"] = paired(summaries[name], summaries[CANDIDATE])
            out[measure][f"{short} − MLP"] = paired(summaries[name], summaries[BASELINE])
    return out


def pooling_markdown(results: dict) -> str:
    """The MLP, the CNN and the CNN with average pooling and without pooling on the test set and averaged over
    each robustness curve, with each ablated CNN minus the CNN, paired by seed."""
    section = results["research"][KEY]
    rows = []
    for measure, item in pooling_comparison(results).items():
        name = (
            "test set (10,000 images)"
            if measure == "test"
            else f"{ROW_NAMES.get(measure, measure)}, {levels_text(results, measure)}"
        )
        rows.append(
            [name]
            + [f"{100 * item[model]['mean']:.1f}" for model in (BASELINE, CANDIDATE, *POOLING_MODELS)]
            + [pp(item["average − max"]), pp(item["none − max"])]
        )
    title = (
        f"Max, average or no pooling: accuracy (%) after {section['epochs']} epochs on the test set and "
        "averaged over every level of each robustness curve but the unchanged images, mean over "
        f"{plural(len(section['seeds']), 'seed')}, and each other CNN minus the CNN with max pooling, paired "
        "by seed; without pooling, the convolution moves by 2 pixels"
    )
    return (
        caption(results, title, label=POOLING_TABLE)
        + "\n\n"
        + markdown_table(
            [
                "Measure",
                "MLP",
                "CNN, max pooling",
                "CNN, average pooling",
                "CNN, no pooling (stride-2 convolution)",
                "Average − max",
                "Stride-2 − max",
            ],
            rows,
        )
    )


#: The verdicts' tests of the original report's words on pooling, taken literally ("pooling layer: dimension
#: reduction and noise reduction"): the CNN with its max pooling minus the same CNN with each other
#: downsampling, on a robustness curve's mean, paired by seed: {ablated model: the test's name}.
MAX_AGAINST = {
    POOLING_MODEL: "CNN, max − average pooling",
    NO_POOLING_MODEL: "CNN, max pooling − stride-2 convolution",
}


def max_against(results: dict, transform: str) -> dict[str, dict]:
    """{``MAX_AGAINST``'s name: the CNN with max pooling minus that ablated CNN on ``transform``'s curve
    mean, paired by the section's seeds}."""
    cnn = seed_summary(curve_values(results, transform, CANDIDATE))
    return {
        words: paired(cnn, seed_summary(curve_values(results, transform, name)))
        for name, words in MAX_AGAINST.items()
    }


def level_values(results: dict, transform: str, name: str) -> list[list[float]]:
    """For each changed level of ``transform``'s curve, ``name``'s accuracy on each seed of the section (in
    its order): the ablated CNNs' from the section's own curves, any other model's from its curve over its
    seeds."""
    section = results["research"][KEY]
    own = name in section["models"]
    curve = section["curves"][transform] if own else model_curve(results, transform, name)
    levels = changed_levels(transform, curve["levels"])
    if own:
        return [curve[name][index]["values"] for index in levels]
    count = len(curve[name][0]["values"])
    their_seeds = pooling_seeds(results["research"], results["research"]["seeds"])[:count]
    return [
        [dict(zip(their_seeds, curve[name][index]["values"]))[seed] for seed in section["seeds"]]
        for index in levels
    ]


def image_error(results: dict, transform: str, name: str) -> float:
    """The bound on the images' standard error of the CNN − ``name`` difference of ``transform``'s curve mean:
    the mean over the changed levels of each level's bound from error rates (``metrics.error_rate_se``; the
    levels transform the same images, so the mean of their bounds holds whatever their correlation)."""
    images = results["research"]["robustness"]["images"]
    cnn, other = (level_values(results, transform, model) for model in (CANDIDATE, name))
    return float(np.mean([error_rate_se(a, b, images) for a, b in zip(cnn, other, strict=True)]))
