"""Max or average pooling: the CNN with its 2×2 max pooling replaced by average pooling (the same parameters
and multiply-adds), trained with the original recipe on the size comparison's seeds, on the test set and on
every robustness curve. It tests whether the max pooling is what makes the CNN collapse under zero-mean
(unclipped) noise, and how much of its robustness to shifts, rotations and scaling it carries."""

from __future__ import annotations

from ..formatting import caption, markdown_table, paired, plural, pp
from ..registry import BASELINE, CANDIDATE
from .base import Context, extra_models, extra_runs, extra_summary, progress_bar, seed_summary
from .permuted_pixels import normal_accuracies
from .robustness import ROW_NAMES, levels_text, model_curve, robustness, seed_curve_means

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "pooling"
VERSION = 1
REQUIRES = ("size_seeds", "robustness", "side_seeds")

#: The ablated CNN: the original CNN with average pooling (``registry.MODELS``).
POOLING_MODEL = "cnn_avgpool"

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
    ctx.log(f"Research: the CNN with average pooling ({len(seeds)} seeds, {max(epochs)} epochs)")
    with progress_bar(len(seeds) * max(epochs), ctx.show_progress) as progress:
        records = extra_runs("pooling", [POOLING_MODEL], seeds, ctx.splits, epochs, ctx.paths, progress)
    models = {POOLING_MODEL: extra_models(ctx.paths, "pooling", POOLING_MODEL, seeds, ctx.last)}
    return {
        "model": POOLING_MODEL,
        "seeds": seeds,
        "epochs": max(epochs),
        "summary": extra_summary(records, epochs)[POOLING_MODEL],
        "curves": robustness(models, ctx.splits)["curves"],
    }


def curve_values(results: dict, transform: str, name: str) -> list[float]:
    """Per seed of the pooling section, ``name``'s accuracy averaged over every changed level of a curve."""
    section = results["research"][KEY]
    if name == POOLING_MODEL:
        curve = section["curves"][transform]
    else:
        curve = model_curve(results, transform, name)
    values = seed_curve_means(curve, transform, name)
    if name == POOLING_MODEL:
        return values
    # The CNN's and the MLP's curves over their own seeds, taken in the pooling section's order.
    count = len(curve[name][0]["values"])
    their_seeds = pooling_seeds(results["research"], results["research"]["seeds"])[:count]
    by_seed = dict(zip(their_seeds, values))
    return [by_seed[seed] for seed in section["seeds"]]


def test_values(results: dict, name: str) -> list[float]:
    """Per seed of the pooling section, ``name``'s test accuracy after the section's epochs."""
    section = results["research"][KEY]
    epochs = str(section["epochs"])
    if name == POOLING_MODEL:
        return section["summary"][epochs]["test_accuracy"]["values"]
    return normal_accuracies(results, name, section["seeds"], epochs)


def pooling_comparison(results: dict) -> dict:
    """{"test" or a robustness curve: {model: its summary over seeds, "average − max": the CNN with average
    pooling minus the CNN, "average − MLP": minus the MLP, both paired by seed}}."""
    section = results["research"][KEY]
    out = {}
    measures = ["test", *section["curves"]]
    for measure in measures:
        values = {
            name: (test_values(results, name) if measure == "test" else curve_values(results, measure, name))
            for name in (BASELINE, CANDIDATE, POOLING_MODEL)
        }
        summaries = {name: seed_summary(v) for name, v in values.items()}
        out[measure] = {
            **summaries,
            "average − max": paired(summaries[POOLING_MODEL], summaries[CANDIDATE]),
            "average − MLP": paired(summaries[POOLING_MODEL], summaries[BASELINE]),
        }
    return out


def pooling_markdown(results: dict) -> str:
    """The MLP, the CNN and the CNN with average pooling on the test set and averaged over each robustness
    curve, with the two poolings' difference and the average-pooling CNN's lead over the MLP, paired by
    seed."""
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
            + [f"{100 * item[model]['mean']:.1f}" for model in (BASELINE, CANDIDATE, POOLING_MODEL)]
            + [pp(item["average − max"]), pp(item["average − MLP"])]
        )
    title = (
        f"Max or average pooling: accuracy (%) after {section['epochs']} epochs on the test set and averaged "
        f"over every level of each robustness curve but the unchanged images, mean over "
        f"{plural(len(section['seeds']), 'seed')}, and differences paired by seed"
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
                "Average − max pooling",
                "Average pooling − MLP",
            ],
            rows,
        )
    )


def pooling_numbers(results: dict) -> dict:
    """The numbers the notebook's sentences read: each measure's differences and the models' means."""
    return {measure: dict(item) for measure, item in pooling_comparison(results).items()}
