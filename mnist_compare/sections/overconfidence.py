"""Over-confidence: where the rise of test loss from the first snapshot to the last comes from. The MLP and
the CNN are trained again over the size comparison's seeds, with the test images' probabilities saved at
both snapshots; per seed and snapshot, the test loss is split into its share from the images the model
classifies correctly and from those it gets wrong, beside the expected calibration error and the mean
confidence on each kind of image."""

from __future__ import annotations

import numpy as np

from .. import metrics
from ..formatting import caption, markdown_table, paired, plural
from ..registry import BASELINE, CANDIDATE
from ..training import predictions_path
from .base import CALIBRATION_BINS, Context, extra_run_dir, extra_runs, progress_bar, seed_summary
from .size_seeds import SIZE_SEEDS

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "overconfidence"
VERSION = 1
REQUIRES = ()

#: The folder prefix of this section's runs (their own: the probabilities of both snapshots are read).
VARIANT = "confidence"

#: The measures per seed and snapshot, in the order of the section's table, with their labels.
MEASURES = {
    "loss": "Test loss",
    "loss_right": "Test loss from correct answers",
    "loss_wrong": "Test loss from wrong answers",
    "accuracy": "Test accuracy (%)",
    "ece": "Expected calibration error (%)",
    "confidence_right": "Mean confidence, correct answers (%)",
    "confidence_wrong": "Mean confidence, wrong answers (%)",
}

#: The measures the report's table shows: the loss and its two parts, the calibration error and the confidence
#: in wrong answers (the text gives the test accuracy's change; the confidence in right answers follows it).
TABLE_MEASURES = ("loss", "loss_right", "loss_wrong", "ece", "confidence_wrong")

#: Measures printed as percentages.
PERCENT = ("accuracy", "ece", "confidence_right", "confidence_wrong")

#: The label of the section's table (``[the table](#overconfidence-table)`` in a notebook).
TABLE = "overconfidence-table"


def loss_split(labels: np.ndarray, probabilities: np.ndarray) -> dict:
    """One run's test measures: the mean cross-entropy and the parts of it that the correctly and the
    wrongly classified images contribute (the two add up to it), accuracy, expected calibration error, and
    the mean confidence of the correct and of the wrong answers."""
    labels = np.asarray(labels)
    # Clipped as Keras clips it, so that the two parts add up to the loss Keras reports.
    loss = metrics.image_cross_entropy(labels, probabilities)
    right = np.argmax(probabilities, 1) == labels
    confidence = probabilities.max(1)
    return {
        "loss": float(loss.mean()),
        "loss_right": float(loss[right].sum() / len(labels)),
        "loss_wrong": float(loss[~right].sum() / len(labels)),
        "accuracy": float(right.mean()),
        "ece": metrics.expected_calibration_error(
            metrics.reliability(labels, probabilities, CALIBRATION_BINS)
        ),
        "confidence_right": float(confidence[right].mean()) if right.any() else float("nan"),
        "confidence_wrong": float(confidence[~right].mean()) if (~right).any() else float("nan"),
    }


def compute(ctx: Context, research: dict) -> dict:
    seeds = list(ctx.seeds) if ctx.fast else list(range(SIZE_SEEDS))
    epochs = tuple(ctx.snapshot_epochs)
    names = (BASELINE, CANDIDATE)
    ctx.log(f"Research: over-confidence (MLP and CNN, {plural(len(seeds), 'seed')}, epochs {epochs})")
    with progress_bar(len(names) * len(seeds) * max(epochs), ctx.show_progress) as progress:
        extra_runs(VARIANT, names, seeds, ctx.splits, epochs, ctx.paths, progress)
    labels = ctx.splits.y_test
    models = {}
    for name in names:
        models[name] = {}
        for epoch in epochs:
            runs = [
                loss_split(
                    labels,
                    np.load(predictions_path(extra_run_dir(ctx.paths, VARIANT, name, seed), epoch))[
                        "probabilities"
                    ],
                )
                for seed in seeds
            ]
            models[name][str(epoch)] = {key: seed_summary([run[key] for run in runs]) for key in MEASURES}
    return {"seeds": seeds, "epochs": list(epochs), "bins": CALIBRATION_BINS, "models": models}


def change(results: dict, name: str, measure: str) -> dict:
    """``name``'s change of ``measure`` from the first snapshot to the last, paired by seed."""
    section = results["research"][KEY]
    first, last = (str(e) for e in (min(section["epochs"]), max(section["epochs"])))
    entry = section["models"][name]
    return paired(entry[last][measure], entry[first][measure])


def _number(value: float | None, measure: str, *, sign: str = "") -> str:
    if value is None:
        return "n/a"
    text = f"{100 * value:{sign}.2f}" if measure in PERCENT else f"{value:{sign}.4f}"
    return text.replace("-", "−")


def table_markdown(results: dict) -> str:
    """Per model and measure: the mean over seeds at both snapshots and the change, paired by seed, with its
    95% interval."""
    section = results["research"][KEY]
    first, last = (str(e) for e in (min(section["epochs"]), max(section["epochs"])))
    rows = []
    for name in (BASELINE, CANDIDATE):
        entry = section["models"][name]
        for measure in TABLE_MEASURES:
            diff = change(results, name, measure)
            rows.append(
                [
                    name.upper() if measure == TABLE_MEASURES[0] else "",
                    MEASURES[measure],
                    _number(entry[first][measure]["mean"], measure),
                    _number(entry[last][measure]["mean"], measure),
                    f"{_number(diff['mean'], measure, sign='+')} "
                    f"[{_number(diff['ci_low'], measure)}, {_number(diff['ci_high'], measure)}]",
                ]
            )
    title = (
        "Where the test loss rises: the loss split by whether the answer is right, the expected "
        "calibration error (the mean gap between confidence and accuracy over bins of confidence) and the "
        f"mean confidence in wrong answers after epochs {first} and {last}, mean over "
        f"{plural(len(section['seeds']), 'seed')} of fresh runs, and the change paired by seed"
    )
    headers = ["Model", "Measure", f"Epoch {first}", f"Epoch {last}", "Change [95% interval]"]
    return caption(results, title, label=TABLE) + "\n\n" + markdown_table(headers, rows)
