"""Architecture controls: a deeper regularised MLP and a compute-matched MLP (the grid's epochs, fewer
seeds), and a CNN with a global-average-pooling head (the shift contrast)."""

from __future__ import annotations

from .. import registry
from ..formatting import caption, join_numbers, markdown_table
from ..metrics import format_mean_std
from ..registry import BASELINE, CANDIDATE
from .architectures import forward_macs as recorded_macs
from .base import (
    GAP_MODEL,
    Context,
    extra_runs,
    extra_summary,
    gain_detected,
    gap_closed,
    mlp_controls,
    progress_bar,
    share_closed_text,
)

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "architecture_controls"
VERSION = 2
REQUIRES = ()


#: The deeper regularised MLP and the compute-matched MLP: the grid's epochs and seeds.
ARCHITECTURE_MODELS = ("mlp_deep", "mlp_compute")


ARCHITECTURE_SEEDS = 5


GAP_SEEDS = 5


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
    """Every MLP variant beside the CNNs: parameters, multiply-adds, test accuracy and gap."""
    research = results["research"]
    last = str(research["epochs"])
    rows = []

    def add(name, parameters, block, seeds, epochs):
        macs = recorded_macs(results, name)
        rows.append(
            [
                registry.table_label(name),
                f"{parameters:,}",
                f"{macs / 1e3:,.0f}k",
                str(seeds),
                str(epochs),
                format_mean_std(block["test_accuracy"], percent=True),
                format_mean_std(block["accuracy_gap"], percent=True),
            ]
        )

    for name in (BASELINE, CANDIDATE):
        s = results["summary"][name]
        add(name, s["parameters"], s[last], len(results["config"]["seeds"]), last)
    wide = research["capacity_control"]["mlp_wide"]
    add("mlp_wide", wide["parameters"], wide[last], len(wide["seeds"]), last)
    for name, item in research["architecture_controls"]["models"].items():
        add(name, item["parameters"], item[str(item["epochs"])], len(item["seeds"]), item["epochs"])
    cnn = results["summary"][CANDIDATE][last]["test_accuracy"]["mean"]
    mlps = mlp_controls(results)
    best = max(mlps, key=lambda n: mlps[n][last]["test_accuracy"]["mean"])
    reaches = [n for n in mlps if mlps[n][last]["test_accuracy"]["mean"] >= cnn]
    closed = {n: gap_closed(results, n) for n in mlps}
    shares = [
        f"the {registry.text_name(n)} {share_closed_text(c)}"
        + (
            ""
            if gain_detected(c) or c["share"] < 0
            else " (its gain over the MLP has an interval that includes 0)"
        )
        for n, c in closed.items()
        if c and c["share"] is not None
    ]
    text = (
        f"The best MLP is the {registry.text_name(best)} at "
        f"{100 * mlps[best][last]['test_accuracy']['mean']:.2f}%, "
        f"against the CNN's {100 * cnn:.2f}%. "
        + (
            "No MLP reaches the CNN, whether it has the CNN's parameters, its compute, or more depth with "
            "regularisation"
            if not reaches
            else f"{', '.join(registry.table_label(n) for n in reaches)} reach the CNN"
        )
        + (
            f". Of the gap between the MLP and the CNN (on each control's seeds) they close: "
            f"{join_numbers(shares)}"
            "; more parameters, compute or depth close part of the gap, and none of them all of it."
            if shares and not reaches
            else "."
        )
    )
    return (
        caption(results, "The original report's two models and the controls")
        + "\n\n"
        + markdown_table(
            [
                "Model",
                "Parameters",
                "Multiply-adds per image",
                "Seeds",
                "Epochs",
                "Test accuracy (%)",
                "Train − test gap (pp)",
            ],
            rows,
        )
        + "\n\n"
        + text
    )
