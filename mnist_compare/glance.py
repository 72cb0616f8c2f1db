"""The report's first page of results: each model's test accuracy minus the MLP's, paired by seed.

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


def difference_rows(results: dict) -> list[Row]:
    """Each model of ``headline_rows`` but the MLP, as its test accuracy minus the MLP's, paired by seed (the
    mean and 95% interval of the per-seed differences), best last; ``Row.label`` keeps its accuracy."""
    from .sections.base import gap_closed  # lazy: the glance page only draws when the research is there

    rows = []
    for row in headline_rows(results):
        if row.name == registry.BASELINE or row.seeds < 2:
            continue
        closed = gap_closed(results, "mlp_wide" if row.name == registry.CANDIDATE else row.name)
        diff = (closed or {}).get("lead" if row.name == registry.CANDIDATE else "gain")
        if not diff or diff.get("ci_low") is None:
            continue
        label = f"{row.label}: {100 * row.mean:.2f}%"
        rows.append(
            Row(
                row.name, label, diff["mean"], diff["ci_low"], diff["ci_high"], row.seeds, row.epochs, "seeds"
            )
        )
    return sorted(rows, key=lambda row: row.mean)


def plot_headline(results: dict) -> plt.Figure:
    """Each model's test accuracy minus the MLP's (pp), paired by seed, with its 95% interval, one line each,
    at the report's print width: the comparison the report tests, not two overlapping intervals."""

    rows = difference_rows(results)
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
        ax.text(
            1.02,
            y,
            f"{100 * row.mean:+.2f} [{100 * row.low:.2f}, {100 * row.high:.2f}]  ({row.seeds} seeds)".replace(
                "-", "−"
            ),
            transform=beside,
            va="center",
            fontsize=FONT_PT - 1,
        )
    ax.axvline(0, color="#555", linewidth=0.8)
    ax.set_yticks(range(len(rows)), [row.label for row in rows], fontsize=FONT_PT)
    ax.tick_params(axis="x", labelsize=FONT_PT)
    mlp = next(r.mean for r in headline_rows(results) if r.name == registry.BASELINE)
    ax.set_xlabel(
        "test accuracy minus the MLP's (pp), paired by seed: mean with 95% interval\n"
        f"(the MLP 784-128-10: {100 * mlp:.2f}%)",
        fontsize=FONT_PT,
    )
    ax.grid(axis="x", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.subplots_adjust(left=0.42, right=0.66, bottom=0.26, top=0.97)
    return fig


def figure_png(fig) -> bytes:
    """The figure as PNG bytes, as the notebooks' inline backend embeds figures (``plots.RC_PARAMS``'s dpi,
    tight bounding box), so that it prints at the same scale as theirs."""
    from io import BytesIO

    buffer = BytesIO()
    fig.savefig(buffer, format="png", dpi=RC_PARAMS["figure.dpi"], bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()
