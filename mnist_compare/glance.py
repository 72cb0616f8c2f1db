"""The report's first page of results: every model's test accuracy with its interval, in one figure.

``headline_rows(results)`` collects, for each model the report trains, the test accuracy after its last
epoch: the mean over seeds with the 95% interval over seeds (t-based, ``metrics``), or, for a model trained
with one seed, the 95% binomial interval of that one run on the 10,000 test images (marked so).
``plot_headline(results)`` draws them; ``report.combine`` puts it, the verdict table and the findings on
the page after the abstract.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt

from . import registry
from .metrics import binomial_interval
from .plots import PAGE_WIDTH, RC_PARAMS

FONT_PT = 9


@dataclass
class Row:
    name: str
    label: str
    mean: float
    low: float
    high: float
    seeds: int
    epochs: int
    interval: str  # "seeds" or "test set"


def _row(name: str, entry: dict, epochs: int, seeds: int, test_size: int) -> Row | None:

    summary = (entry.get(str(epochs)) or {}).get("test_accuracy")
    if not summary:
        return None
    mean = float(summary["mean"])
    if seeds >= 2 and summary.get("ci_low") is not None:
        low, high, kind = float(summary["ci_low"]), float(summary["ci_high"]), "seeds"
    else:
        low, high = binomial_interval(round(mean * test_size), test_size)
        kind = "test set"
    return Row(name, registry.table_label(name), mean, low, high, seeds, epochs, kind)


def headline_rows(results: dict) -> list[Row]:
    """The test accuracy after the last epoch of every model trained with seeds for the report's number of
    epochs (the two models and their controls; the single runs of the appendix and the demo are observations,
    and a control trained for fewer epochs is not comparable, so both are left out), best last (the figure
    is drawn bottom-up)."""
    test_size = int(results.get("provenance", {}).get("split_sizes", {}).get("test", 10_000))
    last = max(int(e) for e in results["config"]["snapshot_epochs"])
    seeds = len(results["config"]["seeds"])
    rows = [
        _row(name, results["summary"][name], last, seeds, test_size)
        for name in registry.grid_models()
        if name in results["summary"]
    ]
    research = results.get("research", {})
    for name, entry in (research.get("capacity_control") or {}).items():
        rows.append(_row(name, entry, last, len(entry.get("seeds", [])), test_size))
    for name, entry in ((research.get("architecture_controls") or {}).get("models") or {}).items():
        epochs = max(int(key) for key in entry if key.isdigit())
        if epochs == last:
            rows.append(_row(name, entry, epochs, len(entry.get("seeds", [])), test_size))
    return sorted((row for row in rows if row is not None), key=lambda row: row.mean)


def plot_headline(results: dict) -> plt.Figure:
    """Test accuracy (%) of every model with its 95% interval, one line each, at the report's print width."""

    rows = headline_rows(results)
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 0.36 * len(rows) + 1.0))
    from matplotlib.transforms import blended_transform_factory

    beside = blended_transform_factory(ax.transAxes, ax.transData)  # x in the axes, y on the rows
    for y, row in enumerate(rows):
        convolutional = row.name in registry.MODELS and registry.entry(row.name).convolutional
        colour = "#c2410c" if convolutional else "#1d4ed8"
        ax.errorbar(
            100 * row.mean,
            y,
            xerr=[[100 * (row.mean - row.low)], [100 * (row.high - row.mean)]],
            fmt="o",
            color=colour,
            capsize=3,
            markersize=5,
        )
        note = f"{row.seeds} seed{'s' * (row.seeds != 1)}, {row.epochs} ep."
        if row.interval == "test set":
            note += ", test-set interval"
        ax.text(
            1.02, y, f"{100 * row.mean:.2f}%  ({note})", transform=beside, va="center", fontsize=FONT_PT - 1
        )
    ax.set_yticks(range(len(rows)), [row.label for row in rows], fontsize=FONT_PT)
    low = min(100 * row.low for row in rows)
    high = max(100 * row.high for row in rows)
    ax.set_xlim(max(0.0, low - 0.3), min(100.0, high + 0.3))
    ax.tick_params(axis="x", labelsize=FONT_PT)
    ax.set_xlabel(
        "test accuracy (%): mean with 95% interval over seeds"
        + (
            "\n(one seed: over the 10,000 test images)"
            if any(row.interval == "test set" for row in rows)
            else ""
        ),
        fontsize=FONT_PT,
    )
    ax.grid(axis="x", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.subplots_adjust(left=0.36, right=0.64, bottom=0.24, top=0.97)
    return fig


def figure_png(fig) -> bytes:
    """The figure as PNG bytes, as the notebooks' inline backend embeds figures (``plots.RC_PARAMS``'s dpi,
    tight bounding box), so that it prints at the same scale as theirs."""
    from io import BytesIO

    buffer = BytesIO()
    fig.savefig(buffer, format="png", dpi=RC_PARAMS["figure.dpi"], bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()
