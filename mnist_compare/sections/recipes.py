"""Other training recipes: the MLP, the CNN and the MLPs of the CNN's size trained with three recipes besides
the grid's (a lower and a higher learning rate, and a cosine-decayed one), so that the CNN's lead, and the
share of it that remains at matched size, can be compared when each model gets the recipe and the stopping
epoch that suit it best on the validation images."""

from __future__ import annotations

from .. import metrics, registry
from ..formatting import caption, markdown_table, paired, pp
from ..registry import BASELINE, CANDIDATE
from ..training import run_spec, train_run
from .base import Context, extra_run_dir, progress_bar, seed_summary, seeds_text
from .size_seeds import MATCHED_MLPS, SIZE_MODELS, SIZE_SEEDS, share_kept

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "recipes"
VERSION = 4
REQUIRES = ()

#: The recipes, each as the training options it changes (none: the grid's own runs, Adam at 1e-3), with the
#: words the table gives it. Adam's step is the setting most worth tuning; a ten-fold range around the
#: grid's, and the same step decayed to a twentieth of itself over the run (a cosine), cover what a simple
#: tuning would try.
RECIPES = {
    "grid": ({}, "Adam, learning rate 10⁻³ (the original recipe)"),
    "lr3e-4": ({"learning_rate": 3e-4}, "Adam, learning rate 3 × 10⁻⁴"),
    "lr3e-3": ({"learning_rate": 3e-3}, "Adam, learning rate 3 × 10⁻³"),
    "cosine": ({"cosine_decay": True}, "Adam, learning rate 10⁻³ with cosine decay to 5 × 10⁻⁵"),
}

#: The grid's seeds used here (the first five): the CNN's ten epochs cost about 40 s a seed.
RECIPE_SEEDS = 5

#: The models tuned: the two compared, and the MLPs of the CNN's size (parameters, multiply-adds), whose
#: grid-recipe runs are those of the size comparison.
RECIPE_MODELS = (BASELINE, CANDIDATE, *MATCHED_MLPS)

#: The label of the section's table (``[the table](#recipes-table)`` in a notebook).
RECIPES_TABLE = "recipes-table"


def recipe_variant(key: str) -> str:
    """The folder variant of the runs trained with the recipe ``key`` (``base.extra_run_dir``)."""
    return f"recipe-{key}"


def _accuracies(record: dict, epoch: int) -> tuple[float, float]:
    """(validation accuracy, test accuracy) of a run after ``epoch`` epochs."""
    return record["history"]["val_accuracy"][epoch - 1], record["snapshots"][str(epoch)]["test"]["accuracy"]


def compute(ctx: Context, research: dict) -> dict:
    """Validation and test accuracy of the MLP and the CNN at the grid's snapshot epochs under every recipe of
    ``RECIPES`` (the grid's own runs for its recipe), each model's best recipe and epoch by mean validation
    accuracy over seeds, and the CNN − MLP test difference, paired by seed, per recipe and at each model's
    best."""
    seeds = list(ctx.seeds[:RECIPE_SEEDS])
    epochs = list(ctx.snapshot_epochs)
    trained = [key for key, (options, _) in RECIPES.items() if options]
    ctx.log(
        f"Research: training recipes ({', '.join(trained)}; {', '.join(RECIPE_MODELS)}, {seeds_text(seeds)})"
    )
    grid_runs = {(run["model"], run["seed"]): run for run in ctx.results["runs"]}

    def grid_run(name: str, seed: int, bar) -> dict:
        # The grid's recipe: the main runs, or a matched MLP's run of the size comparison (reused).
        if (name, seed) in grid_runs:
            return grid_runs[(name, seed)]
        return train_run(
            run_spec(name, seed, ctx.splits, fast=ctx.fast, snapshot_epochs=tuple(epochs)),
            ctx.splits,
            extra_run_dir(ctx.paths, SIZE_MODELS[name], name, seed),
            progress=bar,
        )

    def recipe_run(name: str, key: str, seed: int, bar) -> dict:
        # One model and seed under one recipe: trained in the recipe's folder, or the grid's run for its own.
        options = RECIPES[key][0]
        if not options:
            return grid_run(name, seed, bar)
        return train_run(
            run_spec(name, seed, ctx.splits, fast=ctx.fast, snapshot_epochs=tuple(epochs)),
            ctx.splits,
            extra_run_dir(ctx.paths, recipe_variant(key), name, seed),
            progress=bar,
            overrides=options,
        )

    records: dict = {}
    with progress_bar(len(trained) * len(RECIPE_MODELS) * len(seeds) * ctx.last, ctx.show_progress) as bar:
        for key in RECIPES:
            for name in RECIPE_MODELS:
                records[(key, name)] = [recipe_run(name, key, seed, bar) for seed in seeds]
    models: dict = {name: {} for name in RECIPE_MODELS}
    for (key, name), runs in records.items():
        models[name][key] = {
            str(epoch): {
                part: seed_summary([_accuracies(run, epoch)[index] for run in runs])
                for index, part in enumerate(("validation", "test"))
            }
            for epoch in epochs
        }
    best = {
        name: max(
            ((key, str(epoch)) for key in RECIPES for epoch in epochs),
            key=lambda choice, name=name: models[name][choice[0]][choice[1]]["validation"]["mean"],
        )
        for name in RECIPE_MODELS
    }

    def test(name: str, choice: tuple[str, str]) -> list[float]:
        key, epoch = choice
        return [_accuracies(run, int(epoch))[1] for run in records[(key, name)]]

    def lead(cnn: tuple[str, str], mlp: tuple[str, str], other: str = BASELINE) -> dict:
        return seed_summary(metrics.paired_differences(test(CANDIDATE, cnn), test(other, mlp)))

    # Chosen on the first seeds' validation images, each model's recipe and epoch is then scored over the size
    # comparison's seeds (the grid's in a fast run), the chosen ones included: the tuned lead, and the CNN
    # against each MLP of its size with the share of its lead over the MLP that remains, every model at its
    # own best, each beside the same seeds with the original recipe.
    scored = list(ctx.seeds) if ctx.fast else list(range(SIZE_SEEDS))
    more = [seed for seed in scored if seed not in seeds]
    ctx.log(f"Research: the tuned recipes scored over {seeds_text(scored)}")
    tuned: dict = {}
    with progress_bar(len(RECIPE_MODELS) * len(more) * ctx.last, ctx.show_progress) as bar:
        for name in RECIPE_MODELS:
            key, epoch = best[name]
            extra = [recipe_run(name, key, seed, bar) for seed in more]
            original = [grid_run(name, seed, bar) for seed in scored]
            tuned[name] = {
                "tuned": test(name, best[name]) + [_accuracies(run, int(epoch))[1] for run in extra],
                "original": [_accuracies(run, ctx.last)[1] for run in original],
            }

    def difference(first: str, second: str, recipe: str = "tuned") -> dict:
        return seed_summary(metrics.paired_differences(tuned[first][recipe], tuned[second][recipe]))

    lead_tuned, lead_original = difference(CANDIDATE, BASELINE), difference(CANDIDATE, BASELINE, "original")
    matched = {
        name: {
            "lead": difference(CANDIDATE, name),
            "kept": share_kept(*(tuned[model]["tuned"] for model in (CANDIDATE, BASELINE, name))),
        }
        for name in MATCHED_MLPS
        if len(scored) >= 3
    }

    return {
        "seeds": seeds,
        "epochs": epochs,
        "recipes": {key: {"options": options, "label": label} for key, (options, label) in RECIPES.items()},
        "models": models,
        "best": {name: {"recipe": key, "epochs": int(epoch)} for name, (key, epoch) in best.items()},
        "lead": {
            key: {str(epoch): lead((key, str(epoch)), (key, str(epoch))) for epoch in epochs}
            for key in RECIPES
        },
        "lead_at_best": lead(best[CANDIDATE], best[BASELINE]),
        "scored_seeds": scored,
        "tuned": {name: seed_summary(item["tuned"]) for name, item in tuned.items()},
        "tuned_lead": lead_tuned,
        "tuned_lead_change": seed_summary(
            metrics.paired_differences(lead_tuned["values"], lead_original["values"])
        ),
        "matched_at_best": matched,
    }


def recipes_markdown(results: dict) -> str:
    """Test accuracy of every tuned model after the last snapshot epoch under every recipe, the CNN − MLP
    difference paired by seed, and a last row with each model at its best recipe and epoch on validation."""
    section = results["research"][KEY]
    last = str(max(section["epochs"]))
    models = section["models"]
    names = [name for name in RECIPE_MODELS if name in models]

    def test(name: str, key: str, epoch: str) -> str:
        return f"{100 * models[name][key][epoch]['test']['mean']:.2f}"

    rows = [
        [_label(section, key), *(test(name, key, last) for name in names), pp(section["lead"][key][last])]
        for key in section["recipes"]
    ]
    best = section["best"]

    # Each model's choice in its cell, or once in the row's label when every model made the same.
    words = {name: recipe_words(results, name) for name in names}
    same = len(set(words.values())) == 1

    # Scored over more seeds than it was chosen on, when the section has them.
    tuned = section.get("tuned", {})
    scored = len(section.get("scored_seeds", [])) if tuned else 0

    def choice(name: str) -> str:
        chosen = best[name]
        value = (
            f"{100 * tuned[name]['mean']:.2f}"
            if tuned
            else test(name, chosen["recipe"], str(chosen["epochs"]))
        )
        return value if same else f"{value} ({words[name]})"

    rows.append(
        [
            "Each model's best on validation"
            + (f" (for all: {words[names[0]]})" if same else "")
            + (f", scored over {scored} seeds" if tuned else ""),
            *(choice(name) for name in names),
            pp(section["tuned_lead"] if tuned else section["lead_at_best"]),
        ]
    )
    return (
        caption(
            results,
            f"The CNN's lead under other training recipes: test accuracy after {last} epochs, mean over "
            f"the first {len(section['seeds'])} seeds; last row: each model's best recipe and epoch on "
            "validation, scored at that epoch" + (f" over {scored} seeds" if tuned else ""),
            label=RECIPES_TABLE,
        )
        + "\n\n"
        + markdown_table(
            ["Recipe", *(f"{_capital(registry.label(name))} (%)" for name in names), "CNN − MLP"],
            rows,
        )
    )


def _capital(words: str) -> str:
    return words[:1].upper() + words[1:]


def matched_at_best(results: dict) -> dict:
    """{MLP of the CNN's size: {"lead": CNN − it, "kept": the share of the CNN's lead over the MLP that
    remains}, every model at its best recipe and epoch on validation}; empty before the section tuned them."""
    return results["research"].get(KEY, {}).get("matched_at_best", {})


def recipe_words(results: dict, name: str) -> str:
    """The best recipe and epoch of ``name``, as "learning rate 3 × 10⁻⁴, 10 epochs" or "cosine decay, 10
    epochs"."""
    section = results["research"][KEY]
    chosen = section["best"][name]
    label = _label(section, chosen["recipe"]).removeprefix("Adam, ").split(" (")[0]
    short = "cosine decay" if "cosine" in label else label
    return f"{short}, {chosen['epochs']} epochs"


def leads(results: dict) -> dict:
    """{recipe label: CNN − MLP test accuracy after the last snapshot epoch, paired by seed}."""
    section = results["research"][KEY]
    last = str(max(section["epochs"]))
    return {_label(section, key): section["lead"][key][last] for key in section["recipes"]}


def _label(section: dict, key: str) -> str:
    """A recipe's words: this version's for a recipe it knows, else those the results recorded."""
    return RECIPES[key][1] if key in RECIPES else section["recipes"][key]["label"]


def lead_range(results: dict) -> tuple[dict, dict]:
    """The smallest and the largest of ``leads`` (by mean)."""
    ordered = sorted(leads(results).values(), key=lambda lead: lead["mean"])
    return ordered[0], ordered[-1]


def tuned_size_gains(results: dict) -> dict:
    """{MLP of the CNN's size: it − the MLP, both at their best recipe and epoch on validation, paired by
    seed}: what size alone adds with tuned recipes; empty before the section tuned them."""
    tuned = results["research"].get(KEY, {}).get("tuned", {})
    return {
        name: paired(tuned[name], tuned[BASELINE])
        for name in MATCHED_MLPS
        if name in tuned and BASELINE in tuned
    }
