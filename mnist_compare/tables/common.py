"""Shared pieces of the tables: Markdown tables, intervals, captions."""

from __future__ import annotations

from .. import config
from ..metrics import format_mean_std


#: Rows of the original report's comparison table: (label, summary key, percent?, digits).
COMPARISON_ROWS = (
    ("Train accuracy (%)", "train_accuracy", True, 2),
    ("Test accuracy (%)", "test_accuracy", True, 2),
    ("Train loss", "train_loss", False, 4),
    ("Test loss", "test_loss", False, 4),
    ("Overfitting gap, accuracy (pp)", "accuracy_gap", True, 2),
    ("Overfitting gap, loss", "loss_gap", False, 4),
)


def comparison_rows(results: dict, epochs: int | str) -> list[list[str]]:
    """[metric, MLP, CNN, MLP − CNN] rows with mean ± std over seeds."""
    epochs = str(epochs)
    summary = results["summary"]
    comparison = next(c for c in results["comparisons"] if str(c["epochs"]) == epochs)
    rows = []
    for label, key, percent, digits in COMPARISON_ROWS:
        rows.append([
            label,
            format_mean_std(summary["mlp"][epochs][key], percent=percent, digits=digits),
            format_mean_std(summary["cnn"][epochs][key], percent=percent, digits=digits),
            format_mean_std(comparison["mlp_minus_cnn"][key], percent=percent, digits=digits),
        ])
    return rows


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def seeds_phrase(results: dict) -> str:
    seeds = results["config"]["seeds"]
    return f"{len(seeds)} seed{'s' if len(seeds) != 1 else ''}"


def device_sentence(results: dict) -> str:
    """Which device and libraries produced the numbers, from results.json's provenance."""
    provenance = results["provenance"]
    machine, versions = provenance.get("machine", {}), provenance.get("versions", {})
    device = machine.get("device")
    where = {"GPU": "a GPU (plain Keras layers, cuDNN)",
             "CPU": f"a CPU ({machine.get('cpu_count', '?')} cores; the CNN's convolution and pooling as "
                    "equivalent matrix products)"}.get(device, "an unrecorded device")
    return (f"These numbers were produced on {where}, with TensorFlow {versions.get('tensorflow', '?')} and "
            f"Keras {versions.get('keras', '?')}, on {provenance.get('created', '?')[:10]}.")


def caption(results: dict, text: str) -> str:
    """A table caption, marked FAST when the results come from fast mode."""
    return f"**{text}** [{config.FAST_LABEL}]" if results.get("fast") else f"**{text}**"


def _interval(summary: dict, *, percent: bool, digits: int) -> str:
    if summary.get("ci_low") is None:
        return "n/a (1 seed)"
    scale = 100.0 if percent else 1.0
    return f"[{summary['ci_low'] * scale:.{digits}f}, {summary['ci_high'] * scale:.{digits}f}]"


def _excludes_zero(summary: dict) -> bool | None:
    if summary.get("ci_low") is None:
        return None
    return summary["ci_low"] > 0 or summary["ci_high"] < 0


def _target(met: bool, text: str) -> str:
    return f"{text}: {'met' if met else '**not met**'}"


def _paired(a: dict, b: dict) -> dict:
    """Summary of the per-seed differences a − b of two research summaries (same seeds, same order)."""
    from ..metrics import paired_differences, summarize

    return summarize(paired_differences(a["values"], b["values"]))


def mlp_controls(results: dict) -> dict:
    """The MLP controls trained for as many epochs as the grid, by name: the capacity control
    (``mlp_wide``) first, then the architecture controls."""
    research = results["research"]
    last = str(research["epochs"])
    controls = dict(research["capacity_control"])
    controls.update(research.get("architecture_controls", {}).get("models", {}))
    return {name: control for name, control in controls.items()
            if name.startswith("mlp") and str(control.get("epochs", last)) == last}


def over_confident(results: dict) -> dict:
    """Per grid model, whether its mean confidence on the test set is above its test accuracy (mean over seeds)."""
    last = str(max(results["config"]["snapshot_epochs"]))
    calibration = results["research"]["calibration"]["models"]
    return {name: calibration[name]["mean_confidence"]["mean"] > results["summary"][name][last]["test_accuracy"]["mean"]
            for name in ("mlp", "cnn")}


def _negated(summary: dict) -> dict:
    """The summary of −x from the summary of x (b − a from a − b)."""
    if summary.get("ci_low") is None:
        return {**summary, "mean": -summary["mean"]}
    return {**summary, "mean": -summary["mean"], "ci_low": -summary["ci_high"], "ci_high": -summary["ci_low"]}


def _pp(summary: dict, signed: bool = True) -> str:
    text = f"{100 * summary['mean']:+.2f}" if signed else f"{100 * summary['mean']:.2f}"
    if summary.get("ci_low") is not None:
        text += f" {_interval(summary, percent=True, digits=2)}"
    return text + " pp"


def _seed_mean(summary: dict, seeds, all_seeds) -> float:
    """Mean of a research summary's per-seed values restricted to ``seeds``."""
    values = [v for seed, v in zip(all_seeds, summary["values"]) if seed in seeds]
    return sum(values) / len(values)
