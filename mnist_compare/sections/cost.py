"""Cost: parameters, multiply-adds and training FLOPs per image, seconds per epoch, milliseconds per
prediction."""

from __future__ import annotations

import time

import numpy as np

from ..formatting import caption, markdown_table
from ..registry import BASELINE, CANDIDATE
from ..training import compiled_forward
from .architectures import MODELS_TABLE
from .base import Context, median_epoch_seconds, seed_summary

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "cost"
VERSION = 1
REQUIRES = ()

#: The label of the cost table (``[the table](#cost-table)`` in a notebook).
COST_TABLE = "cost-table"


def prediction_latency_ms(model, image: np.ndarray, repeats: int = 200) -> float:
    """Median milliseconds of one compiled call on one image."""

    forward = compiled_forward(model)
    batch = image[None].astype(np.float32)
    for _ in range(20):
        forward(batch)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        np.asarray(forward(batch))
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1000)


def cost(models: dict, results: dict) -> dict:
    """Size and speed of each model: parameters, FLOPs, seconds per epoch, ms per prediction."""
    # lazy: this module imports Keras (and TensorFlow)
    from ..models import build_model, forward_macs

    out = {}
    sample = np.zeros((28, 28, 1), dtype=np.float32)
    for name, seed_models in models.items():
        macs = forward_macs(build_model(name))
        runs = [run for run in results["runs"] if run["model"] == name]
        epoch_seconds = [median_epoch_seconds(run) for run in runs]
        out[name] = {
            "parameters": int(seed_models[0].count_params()),
            "forward_macs_per_image": macs,
            "training_flops_per_image": 6 * macs,  # forward 2 FLOPs per MAC, backward about twice the forward
            "seconds_per_epoch": seed_summary(epoch_seconds),
            "milliseconds_per_prediction": prediction_latency_ms(seed_models[0], sample),
        }
    return out


def compute(ctx: Context, research: dict) -> dict:
    return cost(ctx.grid_models(), ctx.results)


def epoch_seconds_text(summary: dict) -> str:
    """'3.60 (3.54–6.40)': the median over seeds of each seed's seconds per epoch, and their range (one slow
    seed moves a mean and a standard deviation far more than the median)."""
    import numpy as np

    values = summary.get("values") or [summary["mean"]]
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{float(np.median(values)):.2f} ({min(values):.2f}–{max(values):.2f})"


def cost_markdown(results: dict) -> str:
    cost = results["research"]["cost"]
    rows = []
    for name in (BASELINE, CANDIDATE):
        entry = cost[name]
        rows.append(
            [
                name.upper(),
                f"{entry['parameters']:,}",
                f"{round(entry['forward_macs_per_image']):,}",
                f"{round(entry['training_flops_per_image']):,}",
                epoch_seconds_text(entry["seconds_per_epoch"]),
                f"{entry['milliseconds_per_prediction']:.2f}",
            ]
        )
    return (
        caption(
            results,
            "Cost of the MLP and the CNN on the CPU of our runs; training FLOPs are 6 × multiply-adds, and "
            f"[the models table](#{MODELS_TABLE}) gives the controls' sizes",
            label=COST_TABLE,
        )
        + "\n\n"
        + markdown_table(
            [
                "Model",
                "Parameters",
                "Multiply-adds per image",
                "Training FLOPs per image",
                "Seconds per epoch, median (range)",
                "ms per image predicted",
            ],
            rows,
        )
    )
