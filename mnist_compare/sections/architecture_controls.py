"""Architecture controls: a deeper regularised MLP and a compute-matched MLP (the grid's epochs, fewer
seeds), and a CNN with a global-average-pooling head (the shift contrast)."""

from __future__ import annotations

from .. import registry
from ..formatting import caption, diff_text, markdown_table, paired
from ..metrics import format_mean_std, paired_differences, summarize
from ..registry import BASELINE, CANDIDATE
from .architectures import forward_macs as recorded_macs
from .base import (
    CONTROL_MODEL,
    GAP_MODEL,
    Context,
    extra_runs,
    extra_summary,
    gap_closed,
    grid_accuracies,
    progress_bar,
)
from .size_seeds import KEY as SIZE_KEY
from .size_seeds import more_seeds

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "architecture_controls"
VERSION = 3
REQUIRES = ()


#: The deeper regularised MLP, the compute-matched MLP and the CNN shrunk to the MLP's parameters: the
#: grid's epochs and seeds.
ARCHITECTURE_MODELS = ("mlp_deep", "mlp_compute", "cnn_small")


ARCHITECTURE_SEEDS = 5


GAP_SEEDS = 5

#: The label of the controls' table (``[the table](#controls-table)`` in a notebook).
CONTROLS_TABLE = "controls-table"


def compute(ctx: Context, research: dict) -> dict:
    """A deeper regularised MLP and a compute-matched MLP (the grid's epochs, fewer seeds), and a CNN
    with a global-average-pooling head (the shift contrast)."""
    plan = {name: (ctx.seeds[:ARCHITECTURE_SEEDS], ctx.snapshot_epochs) for name in ARCHITECTURE_MODELS}
    plan[GAP_MODEL] = (ctx.seeds[:GAP_SEEDS], (min(ctx.snapshot_epochs),))
    ctx.log(
        "Research: architecture controls ("
        + ", ".join(
            f"{name} x{len(seeds)} seeds, {max(epochs)} epochs" for name, (seeds, epochs) in plan.items()
        )
        + ")"
    )
    out = {"models": {}}
    with progress_bar(sum(len(s) * max(e) for s, e in plan.values()), ctx.show_progress) as progress:
        for name, (seeds, epochs) in plan.items():
            records = extra_runs("architecture", [name], seeds, ctx.splits, epochs, ctx.paths, progress)
            summary = extra_summary(records, epochs)[name]
            summary.update(seeds=list(seeds), epochs=max(epochs))
            out["models"][name] = summary
    return out


def architecture_controls_markdown(results: dict) -> str:
    """The table of every control beside the original report's two models: parameters, multiply-adds, epochs,
    test accuracy and the paired difference from the MLP (the notebook says what it shows)."""
    research = results["research"]
    last = str(research["epochs"])
    rows = []
    # The models the size comparison trains again: over its seeds when it has more than the grid (its table
    # and the verdicts use them), with both differences paired over those seeds.
    many = research[SIZE_KEY]["models"] if more_seeds(results) else {}
    seeds: dict = {}

    def add(name, parameters, block, count, epochs):
        if name in many and BASELINE in many and CANDIDATE in many:
            # Both differences paired over the size comparison's seeds.
            accuracy = {key: many[key]["test_accuracy"] for key in (name, BASELINE, CANDIDATE)}
            block, count = {"test_accuracy": accuracy[name]}, len(research[SIZE_KEY]["seeds"])
            difference = paired(accuracy[name], accuracy[BASELINE]) if name != BASELINE else None
            behind = (
                paired(accuracy[CANDIDATE], accuracy[name]) if name not in (BASELINE, CANDIDATE) else None
            )
            epochs = research[SIZE_KEY]["epochs"]
        else:
            # The CNN's lead over the MLP, or the control's gain over it (the grid's epochs only).
            closed = (
                gap_closed(results, CONTROL_MODEL if name == CANDIDATE else name)
                if str(epochs) == last
                else None
            )
            difference = (
                closed["lead" if name == CANDIDATE else "gain"] if closed and name != BASELINE else None
            )
            if difference is None and name != BASELINE and str(epochs) != last:
                # A control trained for fewer epochs is set against the MLP after as many (its grid snapshot).
                control_seeds = research["architecture_controls"]["models"][name]["seeds"]
                mlp = grid_accuracies(results, BASELINE, control_seeds, str(epochs))
                if mlp and "values" in block["test_accuracy"]:
                    difference = summarize(paired_differences(block["test_accuracy"]["values"], mlp))
            behind = closed.get("behind") if closed and name != CANDIDATE else None
        seeds[name] = count
        rows.append(
            [
                registry.table_label(name),
                f"{parameters:,}",
                f"{round(recorded_macs(results, name)):,}",
                str(epochs),
                format_mean_std(block["test_accuracy"], percent=True),
                diff_text(difference) if difference else "–",
                diff_text(behind) if behind else "–",
            ]
        )

    for name in (BASELINE, CANDIDATE):
        s = results["summary"][name]
        add(name, s["parameters"], s[last], len(results["config"]["seeds"]), last)
    wide = research["capacity_control"]["mlp_wide"]
    add("mlp_wide", wide["parameters"], wide[last], len(wide["seeds"]), last)
    for name, item in research["architecture_controls"]["models"].items():
        add(name, item["parameters"], item[str(item["epochs"])], len(item["seeds"]), item["epochs"])
    # The seeds most rows have, and the rows with other counts by name.
    counts = list(seeds.values())
    main = max(set(counts), key=counts.count)
    others = [f"the {registry.table_label(name)}: {count}" for name, count in seeds.items() if count != main]
    over = f"{main} seeds" + (f" ({'; '.join(others)})" if others else "")
    return (
        caption(
            results,
            f"The MLP, the CNN and the controls: mean ± std over {over}; differences from the MLP "
            "(same epochs) and from the CNN paired by seed, with 95% intervals (– where there is no run to "
            "pair with, as for a model trained for fewer epochs than the CNN)",
            label=CONTROLS_TABLE,
        )
        + "\n\n"
        + markdown_table(
            [
                "Model",
                "Parameters",
                "Multiply-adds per image",
                "Epochs",
                "Test accuracy (%)",
                "Minus the MLP (pp)",
                "The CNN minus it (pp)",
            ],
            rows,
        )
    )
