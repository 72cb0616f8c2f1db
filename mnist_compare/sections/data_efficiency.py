"""Data efficiency: test accuracy against training-set size for the MLP, the parameter-matched MLP and the
CNN."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .. import config, registry
from ..data import stratified_subset
from ..formatting import caption, markdown_table, plural
from ..metrics import format_mean_std, summarize
from ..plots import PAGE_WIDTH, figure_title
from ..registry import BASELINE, CANDIDATE
from .base import CONTROL_MODEL, Context, extra_runs, progress_bar, seed_summary

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "data_efficiency"
VERSION = 1
REQUIRES = ("capacity_control",)


DATA_EFFICIENCY_MODELS = (BASELINE, CONTROL_MODEL, CANDIDATE)


DATA_EFFICIENCY_SIZES = (500, 2000, 8000)


DATA_EFFICIENCY_FAST_SIZES = (300, 1000)


DATA_EFFICIENCY_SEEDS = 3


DATA_EFFICIENCY_SEED = 700


#: Small training sets get more epochs: at least this many image presentations in all.
DATA_EFFICIENCY_MIN_IMAGES = 20_000


def data_efficiency_epochs(size: int, *, fast: bool) -> int:
    """Epochs for a training set of ``size`` images: the grid's 10, or enough for about
    ``DATA_EFFICIENCY_MIN_IMAGES`` image presentations on the smallest sets."""
    if fast:
        return config.FAST_EPOCHS
    return max(max(config.SNAPSHOT_EPOCHS), int(np.ceil(DATA_EFFICIENCY_MIN_IMAGES / size)))


def compute(ctx: Context, research: dict) -> dict:
    """Test accuracy against training-set size for the MLP, the parameter-matched MLP and the CNN, with seed
    bands.

    Each seed draws its own stratified subset (the same one for the three models); the
    full training set reuses the grid's and the capacity control's runs. Only the last epoch is
    read, so these runs skip the validation pass after every epoch (on 500 images for 40 epochs,
    it cost several times the training).
    """
    from dataclasses import replace

    seeds = ctx.seeds[:DATA_EFFICIENCY_SEEDS]
    full = len(ctx.splits.y_train)
    sizes = [
        size for size in (DATA_EFFICIENCY_FAST_SIZES if ctx.fast else DATA_EFFICIENCY_SIZES) if size < full
    ]
    total = sum(
        len(DATA_EFFICIENCY_MODELS) * len(seeds) * data_efficiency_epochs(s, fast=ctx.fast) for s in sizes
    )
    ctx.log(f"Research: data efficiency ({', '.join(f'{s:,}' for s in sizes)} images; {len(seeds)} seeds)")
    out = {
        "sizes": sizes + [full],
        "seeds": seeds,
        "epochs": {},
        "models": {n: [] for n in DATA_EFFICIENCY_MODELS},
    }
    with progress_bar(total, ctx.show_progress) as progress:
        for size in sizes:
            epochs = data_efficiency_epochs(size, fast=ctx.fast)
            out["epochs"][str(size)] = epochs
            per_model: dict = {name: [] for name in DATA_EFFICIENCY_MODELS}
            for seed in seeds:
                chosen = stratified_subset(ctx.splits.y_train, size, DATA_EFFICIENCY_SEED + seed)
                subset = replace(
                    ctx.splits, x_train=ctx.splits.x_train[chosen], y_train=ctx.splits.y_train[chosen]
                )
                for name in DATA_EFFICIENCY_MODELS:
                    record = extra_runs(
                        f"data{size}", [name], [seed], subset, (epochs,), ctx.paths, progress, validate=False
                    )[0]
                    per_model[name].append(record["snapshots"][str(epochs)]["test"]["accuracy"])
            for name, values in per_model.items():
                out["models"][name].append(seed_summary(values))
    out["epochs"][str(full)] = ctx.last
    for name in DATA_EFFICIENCY_MODELS:
        if name == CONTROL_MODEL:
            values = [
                research["capacity_control"][name][str(ctx.last)]["test_accuracy"]["values"][
                    ctx.seeds.index(s)
                ]
                for s in seeds
            ]
        else:
            values = [
                next(
                    run["snapshots"][str(ctx.last)]["test"]["accuracy"]
                    for run in ctx.results["runs"]
                    if run["model"] == name and run["seed"] == s
                )
                for s in seeds
            ]
        out["models"][name].append(seed_summary(values))
    return out


def plot_data_efficiency(results: dict) -> plt.Figure:
    """Test accuracy against the number of training images (log scale), bands span the seeds."""
    section = results["research"]["data_efficiency"]
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 2.9))
    sizes = section["sizes"]
    for name, points in section["models"].items():
        means = [100 * p["mean"] for p in points]
        ax.plot(sizes, means, marker="o", color=registry.colour(name), label=registry.label(name))
        ax.fill_between(
            sizes,
            [100 * min(p["values"]) for p in points],
            [100 * max(p["values"]) for p in points],
            color=registry.colour(name),
            alpha=0.2,
        )
    ax.set_xscale("log")
    ax.set_xticks(sizes)
    ax.set_xticklabels([f"{s:,}" for s in sizes])
    ax.minorticks_off()
    ax.set_xlabel("Training images (log scale)")
    ax.set_ylabel("Test accuracy (%)")
    ax.grid(True, alpha=0.3)
    ax.legend()
    ax.set_title(figure_title(f"Data efficiency ({len(section['seeds'])} seeds, band = min-max)", results))
    fig.tight_layout()
    return fig


def cnn_leads(section: dict) -> dict:
    """The CNN's lead over the MLP at each training-set size: the summary of the per-seed differences (with
    its 95% interval) when the per-seed values are there, else the difference of the means."""
    leads = {}
    for size, c, m in zip(section["sizes"], section["models"][CANDIDATE], section["models"][BASELINE]):
        paired = c.get("values") and m.get("values") and len(c["values"]) == len(m["values"]) > 1
        leads[size] = (
            summarize([a - b for a, b in zip(c["values"], m["values"])])
            if paired
            else {"mean": c["mean"] - m["mean"]}
        )
    return leads


#: The anchor of the data-efficiency table (the notebooks cite it as ``[Table](#data-efficiency-table)``).
DATA_EFFICIENCY_TABLE = "data-efficiency-table"


def data_efficiency_markdown(results: dict) -> str:
    """Test accuracy of each model at each training-set size, with the epochs each size was trained for."""
    section = results["research"]["data_efficiency"]
    names = list(section["models"])
    rows = []
    for index, size in enumerate(section["sizes"]):
        rows.append(
            [f"{size:,}", str(section["epochs"][str(size)])]
            + [format_mean_std(section["models"][name][index], percent=True) for name in names]
        )
    return (
        caption(
            results,
            f"Test accuracy (%) against training-set size (mean ± std over "
            f"{plural(len(section['seeds']), 'seed')}; each seed draws its own stratified subset)",
            label=DATA_EFFICIENCY_TABLE,
        )
        + "\n\n"
        + markdown_table(["Training images", "Epochs"] + [registry.table_label(n) for n in names], rows)
    )
