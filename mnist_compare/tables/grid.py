"""The experiment grid: per-model tables, the 5/10-epoch comparison, intervals, McNemar, conclusions."""

from __future__ import annotations

from .. import config
from ..metrics import best_epoch, format_mean_std
from .common import (COMPARISON_ROWS, _diff, _excludes_zero, _interval, _negated, caption, ceiling_caveat,
                     comparison_rows, device_sentence, markdown_table, plural, seeds_phrase)
from .original import cite


def model_markdown(results: dict, name: str) -> str:
    """One model's metrics at every snapshot: mean ± std and the 95% interval over seeds."""
    epochs_list = [str(e) for e in results["config"]["snapshot_epochs"]]
    header = ["Metric"] + [f"{e} epochs: mean ± std" for e in epochs_list] + [
        f"{e} epochs: 95% CI" for e in epochs_list]
    rows = []
    for label, key, percent, digits in COMPARISON_ROWS:
        cells = [format_mean_std(results["summary"][name][e][key], percent=percent, digits=digits)
                 for e in epochs_list]
        cells += [_interval(results["summary"][name][e][key], percent=percent, digits=digits) for e in epochs_list]
        rows.append([label] + cells)
    title = f"{name.upper()} over {seeds_phrase(results)}"
    return caption(results, title) + "\n\n" + markdown_table(header, rows)


def gap_per_seed_markdown(results: dict, name: str) -> str:
    """The overfitting gap (train − test accuracy) of every seed, at every snapshot."""
    epochs_list = [str(e) for e in results["config"]["snapshot_epochs"]]
    rows = []
    for run in (r for r in results["runs"] if r["model"] == name):
        rows.append([str(run["seed"])] + [f"{100 * run['snapshots'][e]['gap']['accuracy_gap']:.2f}"
                                          for e in epochs_list])
    header = ["Seed"] + [f"gap after {e} epochs (pp)" for e in epochs_list]
    return caption(results, f"{name.upper()}: overfitting gap per seed") + "\n\n" + markdown_table(header, rows)


def comparison_markdown(results: dict) -> str:
    """The original report's 5/10-epoch table, with mean ± std over seeds and CNN − MLP."""
    parts = []
    for epochs in results["config"]["snapshot_epochs"]:
        parts.append(caption(results, f"After {epochs} epoch{'s' if epochs != 1 else ''} "
                                      f"(mean ± std over {seeds_phrase(results)})"))
        parts.append(markdown_table(["Metric", "MLP", "CNN", "CNN − MLP"], comparison_rows(results, epochs)))
    parts.append(device_sentence(results))
    return "\n\n".join(parts)


def intervals_markdown(results: dict) -> str:
    """Test accuracy with 95% intervals, and the paired CNN − MLP difference."""
    rows = []
    for comparison in results["comparisons"]:
        e = str(comparison["epochs"])
        diff = _negated(comparison["mlp_minus_cnn"]["test_accuracy"])
        rows.append([e] + [f"{100 * results['summary'][n][e]['test_accuracy']['mean']:.2f} "
                           f"{_interval(results['summary'][n][e]['test_accuracy'], percent=True, digits=2)}"
                           for n in ("mlp", "cnn")]
                    + [f"{100 * diff['mean']:+.2f} {_interval(diff, percent=True, digits=2)}"])
    return caption(results, "Test accuracy (%), mean and 95% interval over seeds") + "\n\n" + markdown_table(
        ["Epochs", "MLP", "CNN", "CNN − MLP (paired by seed)"], rows)


def mcnemar_markdown(results: dict) -> str:
    """McNemar's exact test of MLP vs CNN test predictions, per seed and snapshot."""
    rows = []
    for comparison in results["comparisons"]:
        for test in comparison["mcnemar"]:
            rows.append([str(comparison["epochs"]), str(test["seed"]), f"{test['a_only']}", f"{test['b_only']}",
                         f"{test['both_wrong']}", f"{test['p_value']:.1e}"])
    title = f"McNemar's exact test {cite('mcnemar1947')}, MLP vs CNN on the same test images"
    return caption(results, title) + "\n\n" + markdown_table(
        ["Epochs", "Seed", "only MLP right", "only CNN right", "both wrong", "p-value"], rows)


def epoch_change(results: dict, name: str, key: str = "test_accuracy") -> dict:
    """Paired (same seed) change of a metric from the first to the last snapshot."""
    from ..experiments import SUMMARY_METRICS
    from ..metrics import summarize

    part, field = SUMMARY_METRICS[key]
    first, last = (str(e) for e in (min(results["config"]["snapshot_epochs"]),
                                     max(results["config"]["snapshot_epochs"])))
    runs = [r for r in results["runs"] if r["model"] == name]
    return summarize([r["snapshots"][last][part][field] - r["snapshots"][first][part][field] for r in runs])


def confused_pairs_markdown(results: dict, epochs: int, top: int = 5) -> str:
    """The most frequent (true → predicted) mistakes of each model, summed over seeds."""
    import numpy as np

    from ..metrics import most_confused_pairs

    rows = []
    for name in ("mlp", "cnn"):
        matrix = np.sum([r["snapshots"][str(epochs)]["confusion"] for r in results["runs"] if r["model"] == name],
                        axis=0)
        for pair in most_confused_pairs(matrix, top=top):
            rows.append([name.upper(), f"{pair['true']} → {pair['predicted']}", str(pair["count"])])
    return caption(results, f"Most confused pairs after {epochs} epochs (test set, summed over seeds)") + \
        "\n\n" + markdown_table(["Model", "true → predicted", "count"], rows)


def conclusions_markdown(results: dict, parameters: dict) -> str:
    """The conclusions as sentences, every number taken from ``results`` (and the built models)."""
    last = max(results["config"]["snapshot_epochs"])
    first = min(results["config"]["snapshot_epochs"])
    s = results["summary"]
    comparison = next(c for c in results["comparisons"] if c["epochs"] == last)
    diff = {key: _negated(value) for key, value in comparison["mlp_minus_cnn"].items()}  # CNN − MLP
    significant = sum(test["p_value"] < 0.05 for test in comparison["mcnemar"])
    n = len(comparison["mcnemar"])
    lines = []
    if results.get("fast"):
        lines.append(f"**{config.FAST_LABEL}: these sentences only show the wiring; the numbers are not results.**")

    def pct(summary, key="mean"):
        return f"{100 * summary[key]:.2f}"

    better = "CNN" if diff["test_accuracy"]["mean"] > 0 else "MLP"
    lines.append(
        f"- **Accuracy.** After {last} epochs the CNN reaches {pct(s['cnn'][str(last)]['test_accuracy'])}% test "
        f"accuracy and the MLP {pct(s['mlp'][str(last)]['test_accuracy'])}% (means over {seeds_phrase(results)}). "
        f"The {better} is ahead by {abs(100 * diff['test_accuracy']['mean']):.2f} percentage points"
        + (f" (95% interval of CNN − MLP: {_interval(diff['test_accuracy'], percent=True, digits=2)} pp)"
           if diff['test_accuracy'].get('ci_low') is not None else "")
        + f", and McNemar's exact test {cite('mcnemar1947')} on the same test images finds the difference "
        f"significant (p < 0.05) for {significant} of {plural(n, 'seed')}.")
    ratio = parameters["cnn"] / parameters["mlp"]
    lines.append(
        f"- **Size.** The CNN has {parameters['cnn']:,} parameters and the MLP {parameters['mlp']:,}: the CNN is "
        f"{ratio:.1f} times larger, because its dense layer reads 13×13×32 = 5,408 features. The original report "
        f"{cite('original')} says the CNN has fewer parameters; that is false for these two models.")
    gap_diff = diff["accuracy_gap"]
    ceiling = ceiling_caveat(results, str(last))
    lines.append(
        f"- **Overfitting.** The gap between training and test accuracy after {last} epochs is "
        f"{pct(s['mlp'][str(last)]['accuracy_gap'])} pp for the MLP and {pct(s['cnn'][str(last)]['accuracy_gap'])} pp "
        f"for the CNN; CNN − MLP = {100 * gap_diff['mean']:+.2f} pp"
        + (f", interval {_interval(gap_diff, percent=True, digits=2)}"
           + (" (excludes 0)" if _excludes_zero(gap_diff) else " (includes 0)")
           if gap_diff.get("ci_low") is not None else "")
        + ". Both gaps are small; the gap is a difference of accuracies, not a separate quantity the "
        "models optimise." + (f" {ceiling}" if ceiling else ""))
    if first != last:
        parts = []
        for name in ("mlp", "cnn"):
            change = epoch_change(results, name)
            verdict = {True: "the interval excludes 0", False: "the interval includes 0",
                       None: "one seed, no interval"}[_excludes_zero(change)]
            parts.append(f"{name.upper()} {100 * change['mean']:+.2f} pp "
                         f"{_interval(change, percent=True, digits=2) if change.get('ci_low') is not None else ''}"
                         f" ({verdict})")
        train = {name: epoch_change(results, name, "train_accuracy") for name in ("mlp", "cnn")}
        gap = {name: epoch_change(results, name, "accuracy_gap") for name in ("mlp", "cnn")}
        lines.append(f"- **{first} vs {last} epochs** (paired by seed). Test accuracy changes by "
                     + "; ".join(parts)
                     + f". Over the same epochs training accuracy changes by {_diff(train['mlp'])} pp "
                       f"(MLP) and {_diff(train['cnn'])} pp (CNN), and the overfitting gap by "
                       f"{_diff(gap['mlp'])} pp and {_diff(gap['cnn'])} pp (95% intervals over seeds).")
    return "\n".join(lines)


def model_conclusions_markdown(results: dict, name: str) -> str:
    """One model's conclusions as sentences rendered from ``results``."""
    epochs_list = [str(e) for e in results["config"]["snapshot_epochs"]]
    first, last = epochs_list[0], epochs_list[-1]
    summary = results["summary"][name]
    runs = [r for r in results["runs"] if r["model"] == name]
    lines = []
    if results.get("fast"):
        lines.append(f"**{config.FAST_LABEL}: these sentences only show the wiring; the numbers are not results.**")
    test = summary[last]["test_accuracy"]
    lines.append(
        f"- After {last} epoch{'s' if last != '1' else ''} the {name.upper()} reaches "
        f"{format_mean_std(test, percent=True)}% test accuracy over {seeds_phrase(results)}"
        + (f" (95% interval {_interval(test, percent=True, digits=2)})" if test.get("ci_low") is not None else "")
        + f", with {format_mean_std(summary[last]['train_accuracy'], percent=True)}% training accuracy.")
    if first != last:
        test_change = epoch_change(results, name)
        gap_change = epoch_change(results, name, "accuracy_gap")
        grew = sum(r["snapshots"][last]["gap"]["accuracy_gap"] > r["snapshots"][first]["gap"]["accuracy_gap"]
                   for r in runs)
        lines.append(
            f"- From {first} to {last} epochs (paired by seed) test accuracy changes by "
            f"{100 * test_change['mean']:+.2f} pp"
            + (f" {_interval(test_change, percent=True, digits=2)}" if test_change.get("ci_low") is not None else "")
            + f" and the overfitting gap by {100 * gap_change['mean']:+.2f} pp; the gap grew in {grew} of "
            f"{plural(len(runs), 'seed')}.")
    best = [best_epoch(r["history"]["val_loss"]) for r in runs]
    lines.append(f"- The best epoch (the one with the lowest validation loss, early stopping's usual choice) was, "
                 f"seed by seed: {', '.join(map(str, best))}.")
    return "\n".join(lines)


def splits_markdown(splits, *, fast: bool) -> str:
    """The train / validation / test sizes every experiment uses."""
    rows = [[name, f"{size:,}", "28×28×1 float32 in [0, 1]"] for name, size in splits.sizes().items()]
    return caption({"fast": fast}, "Splits used by every experiment") + "\n\n" + markdown_table(
        ["Split", "Images", "Model input"], rows)
