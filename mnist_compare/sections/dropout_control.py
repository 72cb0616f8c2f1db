"""A regularised MLP control: the parameter-matched MLP (the CNN's parameter count) with dropout after its
hidden layer, at two rates, trained with the original recipe on the size comparison's seeds. The rate with the
higher mean validation accuracy is the control; its test accuracy is set against the CNN's and the
parameter-matched MLP's, paired by seed. It asks whether the MLP of the CNN's size was held back by the lack
of regularisation."""

from __future__ import annotations

from .. import registry
from ..formatting import caption, markdown_table, paired, plural, pp
from ..metrics import format_mean_std
from ..registry import BASELINE, CANDIDATE
from .base import Context, extra_runs, extra_summary, progress_bar, seed_summary
from .permuted_pixels import normal_accuracies

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "dropout_control"
VERSION = 1
REQUIRES = ("size_seeds",)

#: The parameter-matched MLP without dropout, and the same MLP with each dropout rate tried
#: (``registry.MODELS``).
WIDE = "mlp_wide"
DROPOUT_MODELS = ("mlp_wide_dropout20", "mlp_wide_dropout50")

#: The label of the section's table (``[the table](#dropout-table)`` in a notebook).
DROPOUT_TABLE = "dropout-table"


def dropout_seeds(research: dict, grid_seeds) -> list[int]:
    """The size comparison's seeds when it has the parameter-matched MLP, else the grid's."""
    size = research.get("size_seeds", {})
    return list(size["seeds"]) if WIDE in size.get("models", {}) else list(grid_seeds)


#: The seeds on which validation chooses the rate (the first ones, as for the training recipes); the rate
#: chosen is then trained on every seed.
CHOICE_SEEDS = 5


def compute(ctx: Context, research: dict) -> dict:
    seeds = dropout_seeds(research, ctx.seeds)
    first = seeds[:CHOICE_SEEDS]
    epochs = tuple(ctx.snapshot_epochs)
    ctx.log(
        f"Research: the parameter-matched MLP with dropout ({len(DROPOUT_MODELS)} rates on "
        f"{len(first)} seeds, the one validation chooses on {len(seeds)})"
    )
    total = (len(DROPOUT_MODELS) * len(first) + len(seeds) - len(first)) * max(epochs)
    with progress_bar(total, ctx.show_progress) as progress:
        records = extra_runs("dropout", DROPOUT_MODELS, first, ctx.splits, epochs, ctx.paths, progress)

        def validation(name: str) -> dict:
            """The last epoch's validation accuracy over ``name``'s runs (the test images choose nothing)."""
            runs = [r for r in records if r["spec"]["model"] == name]
            return seed_summary([r["history"]["val_accuracy"][-1] for r in runs])

        chosen = max(DROPOUT_MODELS, key=lambda name: validation(name)["mean"])
        records += extra_runs(
            "dropout", [chosen], seeds[len(first) :], ctx.splits, epochs, ctx.paths, progress
        )
    out = {"seeds": seeds, "choice_seeds": first, "epochs": max(epochs), "chosen": chosen}
    out["models"] = extra_summary(records, epochs)
    for name in DROPOUT_MODELS:
        out["models"][name]["dropout"] = registry.entry(name).builder_args["dropout"]
        out["models"][name]["val_accuracy"] = validation(name)
    return out


def dropout_comparison(results: dict) -> dict:
    """{dropout model: {"test", "val", "minus wide" (it − the parameter-matched MLP), "cnn minus" (the CNN −
    it),
    "minus mlp" (it − the MLP)}}, the differences paired by seed (None where a model has no runs to pair)."""
    section = results["research"][KEY]
    epochs = str(section["epochs"])
    out = {}
    for name in DROPOUT_MODELS:
        seeds = section["models"][name]["seeds"]
        # The grid's runs, else the size comparison's (the same runs on the seeds both have).
        others = {}
        for other in (BASELINE, CANDIDATE, WIDE):
            accuracies = normal_accuracies(results, other, seeds, epochs)
            others[other] = seed_summary(accuracies) if accuracies else None
        test = section["models"][name][epochs]["test_accuracy"]
        out[name] = {
            "dropout": section["models"][name]["dropout"],
            "seeds": len(seeds),
            "test": test,
            # Over the seeds that chose the rate (the chosen rate's runs on the other seeds chose nothing).
            "val": seed_summary(
                section["models"][name]["val_accuracy"]["values"][: len(section["choice_seeds"])]
            ),
            "minus wide": paired(test, others[WIDE]) if others[WIDE] else None,
            "cnn minus": paired(others[CANDIDATE], test) if others[CANDIDATE] else None,
            "minus mlp": paired(test, others[BASELINE]) if others[BASELINE] else None,
        }
    return out


def share_of_lead(results: dict) -> float | None:
    """The share of the CNN's lead over the MLP that the parameter-matched MLP with dropout, at the rate
    validation chose, recovers: (it − MLP) / (CNN − MLP), the lead split at it into its gain over the MLP
    and the CNN's lead over it, each a mean paired by seed (None without both)."""
    chosen = dropout_comparison(results)[results["research"][KEY]["chosen"]]
    gain, behind = chosen["minus mlp"], chosen["cnn minus"]
    if not (gain and behind):
        return None
    return gain["mean"] / (gain["mean"] + behind["mean"])


def dropout_markdown(results: dict) -> str:
    """Each dropout rate's validation and test accuracy, and its test accuracy against the parameter-matched
    MLP without dropout, the CNN and the MLP, paired by seed; the rate validation chose is marked."""
    section = results["research"][KEY]
    rows = []
    for name, item in dropout_comparison(results).items():
        rows.append(
            [
                f"{item['dropout']:g}" + (" (chosen)" if name == section["chosen"] else ""),
                format_mean_std(item["val"], percent=True),
                str(item["seeds"]),
                format_mean_std(item["test"], percent=True),
                *(pp(item[key]) if item[key] else "–" for key in ("minus mlp", "minus wide", "cnn minus")),
            ]
        )
    title = (
        "The parameter-matched MLP (784-680-10) with dropout after its hidden layer, after "
        f"{section['epochs']} epochs: "
        f"validation accuracy over the first {plural(len(section['choice_seeds']), 'seed')}, which chooses "
        "the rate, and test accuracy over every seed the rate is trained with (mean ± std), with "
        "differences in test accuracy paired by seed"
    )
    return (
        caption(results, title, label=DROPOUT_TABLE)
        + "\n\n"
        + markdown_table(
            [
                "Dropout rate",
                f"Validation (%), first {len(section['choice_seeds'])} seeds",
                "Test seeds",
                "Test (%)",
                "It − MLP",
                "It − parameter-matched MLP without dropout",
                "CNN − it",
            ],
            rows,
        )
    )
