"""The original report's own protocol, run over the main runs' seeds: its CNN trains on all 60,000 training
images (it passed the test set as validation data, which chooses nothing at a fixed number of epochs), and
its MLP, which held out a tenth of them, has its train accuracy measured on all 60,000, the held-out images
included. It asks whether the original's train − test gaps that fall outside our seeds' range come from these
two differences of setup, as the comparison with its numbers supposes."""

from __future__ import annotations

import numpy as np

from ..data import MnistSplits
from ..formatting import caption, markdown_table, plural
from ..metrics import format_mean_std
from ..registry import BASELINE, CANDIDATE
from ..tables.original import ORIGINAL, original_value
from .base import Context, accuracy_of, extra_models, extra_runs, progress_bar, seed_summary

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "original_protocol"
VERSION = 1
REQUIRES = ()

#: The label of the section's table (``[the table](#original-protocol-table)`` in a notebook).
PROTOCOL_TABLE = "original-protocol-table"


def protocol_splits(splits) -> dict[str, MnistSplits]:
    """The data of each model under the original's protocol: the CNN trains on every training image (ours and
    the validation split's) with the test images as its validation data; the MLP trains on our training split
    and is scored for its train accuracy on every training image (the CNN's training images), as the original
    did."""
    digest = str(splits.info.get("arrays_sha256"))
    cnn = MnistSplits(
        np.concatenate([splits.x_train, splits.x_val]),
        np.concatenate([splits.y_train, splits.y_val]),
        splits.x_test,
        splits.y_test,
        splits.x_test,
        splits.y_test,
        {**splits.info, "arrays_sha256": f"{digest}:train+validation"},
    )
    return {BASELINE: splits, CANDIDATE: cnn}


def compute(ctx: Context, research: dict) -> dict:
    seeds = list(ctx.seeds)
    epochs = tuple(ctx.snapshot_epochs)
    data = protocol_splits(ctx.splits)
    ctx.log(f"Research: the original's protocol ({len(seeds)} seeds, the CNN on every training image)")
    with progress_bar(2 * len(seeds) * max(epochs), ctx.show_progress) as progress:
        records = {
            name: extra_runs(KEY, [name], seeds, data[name], epochs, ctx.paths, progress, validate=False)
            for name in (BASELINE, CANDIDATE)
        }
    every = data[CANDIDATE]  # every training image
    out = {"seeds": seeds, "epochs": list(epochs), "train_images": int(len(every.y_train)), "models": {}}
    for name in (BASELINE, CANDIDATE):
        out["models"][name] = {"train_size": int(len(data[name].y_train))}
        for epoch in epochs:
            snapshots = [r["snapshots"][str(epoch)] for r in records[name]]
            test = [snapshot["test"]["accuracy"] for snapshot in snapshots]
            # Train accuracy on every training image, as the original measured both models': each snapshot
            # measured it on the images its model trained on, which for the CNN are all of them.
            train = (
                [snapshot["train"]["accuracy"] for snapshot in snapshots]
                if data[name] is every
                else [
                    accuracy_of(model, every.x_train, every.y_train)
                    for model in extra_models(ctx.paths, KEY, name, seeds, epoch)
                ]
            )
            out["models"][name][str(epoch)] = {
                "train_accuracy": seed_summary(train),
                "test_accuracy": seed_summary(test),
                "accuracy_gap": seed_summary([a - b for a, b in zip(train, test)]),
            }
    return out


def gap_range(results: dict, name: str, epochs) -> tuple[float, float] | None:
    """The lowest and highest train − test gap over the section's seeds (None without the section)."""
    section = results.get("research", {}).get(KEY)
    if not section:
        return None
    values = section["models"][name][str(epochs)]["accuracy_gap"]["values"]
    return min(values), max(values)


def within(low: float, high: float, value: float) -> bool:
    """Whether the original's ``value`` lies in the range ``low``..``high`` at the precision it printed its
    numbers with (0.01 pp)."""
    return round(low, 4) <= value <= round(high, 4)


def at_edge(low: float, high: float, value: float) -> bool:
    """Whether the original's ``value`` lies outside ``low``..``high`` by less than the 0.005 pp that its
    rounding to 0.01 pp can hide (``within`` counts it in)."""
    return within(low, high, value) and not low <= value <= high


def range_text(low: float, high: float, between: str = "–") -> str:
    """A gap's range in pp to three decimals, one more than the original printed, so that a value at its edge
    shows on which side it lies (``between``: "–" in a table, " to " in a sentence)."""
    return f"{100 * low:.3f}{between}{100 * high:.3f}"


def protocol_markdown(results: dict) -> str:
    """Each model's train and test accuracy and train − test gap under the original's protocol, over the
    section's seeds, with the range of the gap and the original's own gap beside it."""
    section = results["research"][KEY]
    rows = []
    # The snapshots the original reports (a fast run's other snapshots have nothing to set beside them).
    for epochs in [e for e in section["epochs"] if str(e) in ORIGINAL]:
        for name in (BASELINE, CANDIDATE):
            found = section["models"][name][str(epochs)]
            low, high = gap_range(results, name, epochs)
            original = original_value(str(epochs), name, "accuracy_gap")
            inside = within(low, high, original)
            rows.append(
                [
                    str(epochs),
                    name.upper(),
                    f"{section['models'][name]['train_size']:,}",
                    format_mean_std(found["train_accuracy"], percent=True),
                    format_mean_std(found["test_accuracy"], percent=True),
                    range_text(low, high),
                    f"{100 * original:.2f} ("
                    + ("edge" if at_edge(low, high, original) else "in" if inside else "out")
                    + ")",
                ]
            )
    if not rows:
        return "*This run has none of the original's snapshots (5 and 10 epochs) to set beside its protocol.*"
    title = (
        f"The original report's protocol over {plural(len(section['seeds']), 'seed')} (mean ± std): the "
        "gap's range over the seeds, and the original's gap in or out of it (edge: outside by less than its "
        "rounding to 0.01)"
    )
    return (
        caption(results, title, label=PROTOCOL_TABLE)
        + "\n\n"
        + markdown_table(
            [
                "Epochs",
                "Model",
                "Trained on",
                "Train accuracy (%)",
                "Test accuracy (%)",
                "Gap, range over seeds (pp)",
                "Gap, original (pp)",
            ],
            rows,
        )
    )
