"""The experiment grid: per-model tables, the 5/10-epoch comparison, intervals, McNemar, conclusions."""

from __future__ import annotations

import numpy as np

from .. import config, metrics
from ..formatting import (
    caption,
    device_sentence,
    diff_text,
    excludes_zero,
    interval,
    join_words,
    markdown_table,
    negated,
    plural,
    seeds_phrase,
    signed,
)
from ..metrics import SUMMARY_METRICS, best_epoch, format_mean_std, most_confused_pairs, summarize
from ..numbering import ref
from ..references import cite
from ..registry import BASELINE, CANDIDATE, COMPARED, COMPARISON_KEY

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
    """[metric, MLP, CNN, CNN − MLP] rows with mean ± std over seeds (every difference in the report is
    CNN − MLP)."""
    epochs = str(epochs)
    summary = results["summary"]
    comparison = next(c for c in results["comparisons"] if str(c["epochs"]) == epochs)
    rows = []
    for label, key, percent, digits in COMPARISON_ROWS:
        rows.append(
            [
                label,
                format_mean_std(summary[BASELINE][epochs][key], percent=percent, digits=digits),
                format_mean_std(summary[CANDIDATE][epochs][key], percent=percent, digits=digits),
                signed(
                    format_mean_std(negated(comparison[COMPARISON_KEY][key]), percent=percent, digits=digits)
                ),
            ]
        )
    return rows


#: Above this training accuracy (both models) the train − test gap is close to its ceiling of
#: 100% − test accuracy, so a smaller gap mostly restates a higher test accuracy.
TRAIN_CEILING = 0.99


def ceiling_caveat(results: dict, epochs: str) -> str:
    """When both models' mean training accuracy is at least TRAIN_CEILING: the sentence that says a smaller
    train − test gap is weak evidence of less overfitting, with the decomposition CNN − MLP gap = training
    difference − test difference. Empty otherwise."""
    s = results["summary"]
    if not all("train_accuracy" in s[name][epochs] for name in (BASELINE, CANDIDATE)):
        return ""
    train = {name: s[name][epochs]["train_accuracy"]["mean"] for name in (BASELINE, CANDIDATE)}
    if min(train.values()) < TRAIN_CEILING:
        return ""
    comparison = next(c for c in results["comparisons"] if str(c["epochs"]) == epochs)
    diff = {key: negated(comparison[COMPARISON_KEY][key]) for key in ("train_accuracy", "test_accuracy")}
    room = {name: 100 * (1 - s[name][epochs]["test_accuracy"]["mean"]) for name in (BASELINE, CANDIDATE)}
    return (
        f"Both models are near the 100% ceiling of training accuracy (MLP {100 * train[BASELINE]:.2f}%, CNN "
        f"{100 * train[CANDIDATE]:.2f}%), so a gap cannot exceed 100% − test accuracy ({room[BASELINE]:.2f} "
        f"pp for "
        f"the MLP, {room[CANDIDATE]:.2f} pp for the CNN): the CNN − MLP gap is the training difference "
        f"({100 * diff['train_accuracy']['mean']:+.2f} pp) minus the test difference "
        f"({diff_text(diff['test_accuracy'])} pp) and mostly restates the CNN's higher test accuracy. A "
        f"smaller gap "
        "at this ceiling is weak evidence that the CNN overfits less."
    )


def grid_runs(results: dict, name: str) -> list[dict]:
    return [run for run in results["runs"] if run["model"] == name]


def test_size(results: dict) -> int:
    return int(results["provenance"]["split_sizes"]["test"])


def uncertainty_markdown(results: dict, epochs: int | None = None, *, per_run: bool = True) -> str:
    """Per seed (``per_run``): test accuracy with its binomial (Wilson) 95% interval, i.e. the test-set
    sampling
    error; then, like with like, the standard deviation over seeds (training randomness) beside the binomial
    standard error of one run, √(p(1 − p)/n) (test-set sampling)."""
    epochs = str(epochs or max(results["config"]["snapshot_epochs"]))
    n = test_size(results)
    rows, sampling_sd = [], {}
    for name in (BASELINE, CANDIDATE):
        sampling_sd[name] = []
        for run in grid_runs(results, name):
            accuracy = run["snapshots"][epochs]["test"]["accuracy"]
            low, high = metrics.binomial_interval(round(accuracy * n), n)
            sampling_sd[name].append(float(np.sqrt(accuracy * (1 - accuracy) / n)))
            rows.append(
                [
                    name.upper(),
                    str(run["seed"]),
                    f"{100 * accuracy:.2f}",
                    f"[{100 * low:.2f}, {100 * high:.2f}]",
                ]
            )
    seed_std = {
        name: results["summary"][name][epochs]["test_accuracy"]["std"] for name in (BASELINE, CANDIDATE)
    }
    spread = [
        [
            name.upper(),
            f"{100 * results['summary'][name][epochs]['test_accuracy']['mean']:.2f}",
            "n/a (1 seed)" if seed_std[name] is None else f"{100 * seed_std[name]:.2f}",
            f"{100 * np.mean(sampling_sd[name]):.2f}",
        ]
        for name in (BASELINE, CANDIDATE)
    ]
    larger = [
        name.upper()
        for name in (BASELINE, CANDIDATE)
        if seed_std[name] is not None and np.mean(sampling_sd[name]) > seed_std[name]
    ]
    if any(value is None for value in seed_std.values()):
        text = "With one seed there is no spread over seeds to compare with the sampling error."
    elif len(larger) == 2:
        text = (
            "For both models the sampling standard deviation of one run is at least as large as the standard "
            "deviation over seeds (itself a rough estimate from a few seeds): another test set of the same "
            "size "
            "would move a run's accuracy about as much as another seed does, or more. The CNN − MLP "
            "difference is measured on the same images for both models (the paired tests of "
            f"section {ref('paired-tests')}), which removes most of the sampling error from the comparison."
        )
    else:
        text = (
            f"The sampling standard deviation of one run is larger than the standard deviation over seeds "
            f"for: "
            f"{', '.join(larger) or 'neither model'}. The CNN − MLP difference is measured on the same "
            f"images for "
            f"both models (the paired tests of section {ref('paired-tests')})."
        )
    runs = (
        caption(
            results,
            f"Test accuracy per run after {epochs} epochs, with the test-set sampling error "
            f"(Wilson {cite('wilson1927')} 95% interval, {n:,} images)",
        )
        + "\n\n"
        + markdown_table(["Model", "Seed", "Test accuracy (%)", "95% interval of this run (%)"], rows)
        + "\n\n"
    )
    return (
        (runs if per_run else "")
        + caption(results, "The two kinds of uncertainty side by side, both as standard deviations (pp)")
        + "\n\n"
        + markdown_table(
            [
                "Model",
                "Mean test accuracy (%)",
                "Std over seeds: training randomness",
                "Sampling std of one run, √(p(1 − p)/n): test-set sampling",
            ],
            spread,
        )
        + "\n\n"
        + text
    )


def best_epochs(results: dict, name: str) -> list[dict]:
    """Per run: the epoch with the lowest validation loss (early stopping's choice) and the losses."""
    out = []
    for run in grid_runs(results, name):
        losses = run["history"]["val_loss"]
        best = metrics.best_epoch(losses)
        out.append(
            {
                "seed": run["seed"],
                "best_epoch": best,
                "best_val_loss": losses[best - 1],
                "last_val_loss": losses[-1],
                "val_accuracy_best": run["history"]["val_accuracy"][best - 1],
                "val_accuracy_last": run["history"]["val_accuracy"][-1],
            }
        )
    return out


def best_epoch_markdown(results: dict, *, per_run: bool = True) -> str:
    """The best epoch of every run (lowest validation loss, the definition used throughout the report; the
    table
    with ``per_run``), and what training on to the last epoch did to the validation set."""
    last = len(results["runs"][0]["history"]["val_loss"])
    items = {name: best_epochs(results, name) for name in (BASELINE, CANDIDATE)}
    rows = []
    for name in (BASELINE, CANDIDATE):
        for item in items[name]:
            rows.append(
                [
                    name.upper(),
                    str(item["seed"]),
                    str(item["best_epoch"]),
                    f"{item['best_val_loss']:.4f}",
                    f"{item['last_val_loss']:.4f}",
                    f"{100 * item['val_accuracy_best']:.2f}",
                    f"{100 * item['val_accuracy_last']:.2f}",
                ]
            )
    medians = {name: int(np.median([i["best_epoch"] for i in items[name]])) for name in items}
    rises = {
        name: float(np.mean([i["last_val_loss"] - i["best_val_loss"] for i in items[name]])) for name in items
    }
    text = (
        f"The validation loss is lowest at epoch {medians[BASELINE]} for the MLP and {medians[CANDIDATE]} "
        f"for the CNN "
        f"(median over seeds) and rises afterwards, by {rises[BASELINE]:.4f} (MLP) and "
        f"{rises[CANDIDATE]:.4f} (CNN) on "
        f"average by epoch {last}, while the validation accuracy barely moves: the models grow more "
        f"confident "
        "on the images they get wrong. Early stopping on the held-out validation set would keep the "
        "best-loss epoch; the test set is never used to choose it."
    )
    if not per_run:
        best = {name: ", ".join(str(i["best_epoch"]) for i in items[name]) for name in items}
        return f"Best epoch per seed: {best[BASELINE]} (MLP) and {best[CANDIDATE]} (CNN). " + text
    return (
        caption(results, "Best epoch of every run (lowest validation loss, early stopping's usual choice)")
        + "\n\n"
        + markdown_table(
            [
                "Model",
                "Seed",
                "Best epoch",
                "Val. loss there",
                f"Val. loss at epoch {last}",
                "Val. accuracy there (%)",
                f"Val. accuracy at epoch {last} (%)",
            ],
            rows,
        )
        + "\n\n"
        + text
    )


def per_class_markdown(results: dict, epochs: int | None = None) -> str:
    """Precision, recall and F1 per digit, mean over seeds, for both models."""
    epochs = str(epochs or max(results["config"]["snapshot_epochs"]))
    scores = {}
    for name in (BASELINE, CANDIDATE):
        per_run = [run["snapshots"][epochs]["per_class"] for run in grid_runs(results, name)]
        scores[name] = {
            key: np.mean([r[key] for r in per_run], axis=0) for key in ("precision", "recall", "f1")
        }
    rows = []
    for digit in range(10):
        rows.append(
            [str(digit)]
            + [
                f"{100 * scores[name][key][digit]:.1f}"
                for name in (BASELINE, CANDIDATE)
                for key in ("precision", "recall", "f1")
            ]
        )
    # The lowest F1 as the table shows it (one decimal): digits equal there are tied, and all of them are
    # named.
    shown = {name: np.round(100 * scores[name]["f1"], 1) for name in (BASELINE, CANDIDATE)}
    worst = {
        name: [digit for digit in range(10) if shown[name][digit] == shown[name].min()] for name in shown
    }
    higher = int(np.sum(scores[CANDIDATE]["f1"] > scores[BASELINE]["f1"]))

    def digits(name: str) -> str:
        tied = f" (tied at {shown[name].min():.1f}%)" if len(worst[name]) > 1 else ""
        return join_words([str(digit) for digit in worst[name]]) + tied

    hardest = (
        f"{digits(BASELINE)} for both models"
        if worst[BASELINE] == worst[CANDIDATE]
        else f"{digits(BASELINE)} for the MLP and {digits(CANDIDATE)} for the CNN"
    )
    spread = (
        "its advantage is spread over the classes, not confined to one pair"
        if higher == 10
        else f"for {plural(10 - higher, 'digit')} the MLP's F1 is as high or higher"
    )
    text = f"The hardest digit by F1 is {hardest}. "
    text += f"The CNN's F1 is higher for {higher} of the 10 digits: {spread}."
    return (
        caption(
            results,
            f"Per-class precision, recall and F1 (%) after {epochs} epochs, mean over "
            f"{plural(len(results['config']['seeds']), 'seed')}",
        )
        + "\n\n"
        + markdown_table(
            ["Digit", "MLP precision", "MLP recall", "MLP F1", "CNN precision", "CNN recall", "CNN F1"], rows
        )
        + "\n\n"
        + text
    )


def model_markdown(results: dict, name: str) -> str:
    """One model's metrics at every snapshot: mean ± std and the 95% interval over seeds."""
    epochs_list = [str(e) for e in results["config"]["snapshot_epochs"]]
    header = (
        ["Metric"]
        + [f"{e} epochs: mean ± std" for e in epochs_list]
        + [f"{e} epochs: 95% CI" for e in epochs_list]
    )
    rows = []
    for label, key, percent, digits in COMPARISON_ROWS:
        cells = [
            format_mean_std(results["summary"][name][e][key], percent=percent, digits=digits)
            for e in epochs_list
        ]
        cells += [
            interval(results["summary"][name][e][key], percent=percent, digits=digits) for e in epochs_list
        ]
        rows.append([label] + cells)
    title = f"{name.upper()} over {seeds_phrase(results)}"
    return caption(results, title) + "\n\n" + markdown_table(header, rows)


def gap_per_seed_markdown(results: dict, name: str) -> str:
    """The overfitting gap (train − test accuracy) of every seed, at every snapshot."""
    epochs_list = [str(e) for e in results["config"]["snapshot_epochs"]]
    rows = []
    for run in (r for r in results["runs"] if r["model"] == name):
        rows.append(
            [str(run["seed"])]
            + [f"{100 * run['snapshots'][e]['gap']['accuracy_gap']:.2f}" for e in epochs_list]
        )
    header = ["Seed"] + [f"gap after {e} epochs (pp)" for e in epochs_list]
    return (
        caption(results, f"{name.upper()}: overfitting gap per seed") + "\n\n" + markdown_table(header, rows)
    )


def comparison_markdown(results: dict) -> str:
    """The original report's 5/10-epoch table, with mean ± std over seeds and CNN − MLP."""
    parts = []
    for epochs in results["config"]["snapshot_epochs"]:
        parts.append(
            caption(
                results,
                f"After {epochs} epoch{'s' if epochs != 1 else ''} (mean ± std over {seeds_phrase(results)})",
            )
        )
        parts.append(markdown_table(["Metric", "MLP", "CNN", "CNN − MLP"], comparison_rows(results, epochs)))
    parts.append(device_sentence(results))
    return "\n\n".join(parts)


def intervals_markdown(results: dict) -> str:
    """Test accuracy with 95% intervals, and the paired CNN − MLP difference."""
    rows = []
    for comparison in results["comparisons"]:
        e = str(comparison["epochs"])
        diff = negated(comparison[COMPARISON_KEY]["test_accuracy"])
        rows.append(
            [e]
            + [
                f"{100 * results['summary'][n][e]['test_accuracy']['mean']:.2f} "
                f"{interval(results['summary'][n][e]['test_accuracy'], percent=True, digits=2)}"
                for n in (BASELINE, CANDIDATE)
            ]
            + [f"{100 * diff['mean']:+.2f} {interval(diff, percent=True, digits=2)}"]
        )
    return (
        caption(results, "Test accuracy (%), mean and 95% interval over seeds")
        + "\n\n"
        + markdown_table(["Epochs", "MLP", "CNN", "CNN − MLP (paired by seed)"], rows)
    )


def mcnemar_markdown(results: dict) -> str:
    """McNemar's exact test of MLP vs CNN test predictions, per seed and snapshot."""
    rows = []
    for comparison in results["comparisons"]:
        for test in comparison["mcnemar"]:
            rows.append(
                [
                    str(comparison["epochs"]),
                    str(test["seed"]),
                    f"{test['a_only']}",
                    f"{test['b_only']}",
                    f"{test['both_wrong']}",
                    f"{test['p_value']:.1e}",
                ]
            )
    title = f"McNemar's exact test {cite('mcnemar1947')}, MLP vs CNN on the same test images"
    return (
        caption(results, title)
        + "\n\n"
        + markdown_table(
            ["Epochs", "Seed", "only MLP right", "only CNN right", "both wrong", "p-value"], rows
        )
    )


def epoch_change(results: dict, name: str, key: str = "test_accuracy") -> dict:
    """Paired (same seed) change of a metric from the first to the last snapshot."""

    part, field = SUMMARY_METRICS[key]
    first, last = (
        str(e) for e in (min(results["config"]["snapshot_epochs"]), max(results["config"]["snapshot_epochs"]))
    )
    runs = [r for r in results["runs"] if r["model"] == name]
    return summarize([r["snapshots"][last][part][field] - r["snapshots"][first][part][field] for r in runs])


def confused_pairs_markdown(results: dict, epochs: int, top: int = 5) -> str:
    """The most frequent (true → predicted) mistakes of each model, summed over seeds."""
    import numpy as np

    rows = []
    for name in (BASELINE, CANDIDATE):
        matrix = np.sum(
            [r["snapshots"][str(epochs)]["confusion"] for r in results["runs"] if r["model"] == name], axis=0
        )
        for pair in most_confused_pairs(matrix, top=top):
            rows.append([name.upper(), f"{pair['true']} → {pair['predicted']}", str(pair["count"])])
    return (
        caption(results, f"Most confused pairs after {epochs} epochs (test set, summed over seeds)")
        + "\n\n"
        + markdown_table(["Model", "true → predicted", "count"], rows)
    )


def conclusions_markdown(results: dict, parameters: dict | None = None) -> str:
    """The conclusions as sentences, every number taken from ``results`` (``parameters``: the models'
    parameter counts, by default the recorded ones)."""
    parameters = parameters or {name: results["summary"][name]["parameters"] for name in COMPARED}
    last = max(results["config"]["snapshot_epochs"])
    first = min(results["config"]["snapshot_epochs"])
    s = results["summary"]
    comparison = next(c for c in results["comparisons"] if c["epochs"] == last)
    diff = {key: negated(value) for key, value in comparison[COMPARISON_KEY].items()}  # CNN − MLP
    significant = sum(test["p_value"] < 0.05 for test in comparison["mcnemar"])
    n = len(comparison["mcnemar"])
    lines = []
    if results.get("fast"):
        lines.append(
            f"**{config.FAST_LABEL}: these sentences only show the wiring; the numbers are not results.**"
        )

    def pct(summary, key="mean"):
        return f"{100 * summary[key]:.2f}"

    better = "CNN" if diff["test_accuracy"]["mean"] > 0 else "MLP"
    lines.append(
        f"- **Accuracy.** After {last} epochs the CNN reaches "
        f"{pct(s[CANDIDATE][str(last)]['test_accuracy'])}% test "
        f"accuracy and the MLP {pct(s[BASELINE][str(last)]['test_accuracy'])}% (means over "
        f"{seeds_phrase(results)}). "
        f"The {better} is ahead by {abs(100 * diff['test_accuracy']['mean']):.2f} percentage points"
        + (
            f" (95% interval of CNN − MLP: {interval(diff['test_accuracy'], percent=True, digits=2)} pp)"
            if diff["test_accuracy"].get("ci_low") is not None
            else ""
        )
        + f", and McNemar's exact test {cite('mcnemar1947')} on the same test images finds the difference "
        f"significant (p < 0.05) for {significant} of {plural(n, 'seed')}."
    )
    ratio = parameters[CANDIDATE] / parameters[BASELINE]
    lines.append(
        f"- **Size.** The CNN has {parameters[CANDIDATE]:,} parameters and the MLP {parameters[BASELINE]:,}: "
        f"the CNN is "
        f"{ratio:.1f} times larger, because its dense layer reads 13×13×32 = 5,408 features. The original "
        f"report "
        f"{cite('original')} says the CNN has fewer parameters; that is false for these two models."
    )
    gap_diff = diff["accuracy_gap"]
    ceiling = ceiling_caveat(results, str(last))
    lines.append(
        f"- **Overfitting.** The gap between training and test accuracy after {last} epochs is "
        f"{pct(s[BASELINE][str(last)]['accuracy_gap'])} pp for the MLP and "
        f"{pct(s[CANDIDATE][str(last)]['accuracy_gap'])} pp "
        f"for the CNN; CNN − MLP = {100 * gap_diff['mean']:+.2f} pp"
        + (
            f", interval {interval(gap_diff, percent=True, digits=2)}"
            + (" (excludes 0)" if excludes_zero(gap_diff) else " (includes 0)")
            if gap_diff.get("ci_low") is not None
            else ""
        )
        + ". Both gaps are small; the gap is a difference of accuracies, not a separate quantity the "
        "models optimise." + (f" {ceiling}" if ceiling else "")
    )
    if first != last:
        parts = []
        for name in (BASELINE, CANDIDATE):
            change = epoch_change(results, name)
            verdict = {
                True: "the interval excludes 0",
                False: "the interval includes 0",
                None: "one seed, no interval",
            }[excludes_zero(change)]
            parts.append(
                f"{name.upper()} {100 * change['mean']:+.2f} pp "
                f"{interval(change, percent=True, digits=2) if change.get('ci_low') is not None else ''}"
                f" ({verdict})"
            )
        train = {name: epoch_change(results, name, "train_accuracy") for name in (BASELINE, CANDIDATE)}
        gap = {name: epoch_change(results, name, "accuracy_gap") for name in (BASELINE, CANDIDATE)}
        lines.append(
            f"- **{first} vs {last} epochs** (paired by seed). Test accuracy changes by "
            + "; ".join(parts)
            + f". Over the same epochs training accuracy changes by {diff_text(train[BASELINE])} pp "
            f"(MLP) and {diff_text(train[CANDIDATE])} pp (CNN), and the overfitting gap by "
            f"{diff_text(gap[BASELINE])} pp and {diff_text(gap[CANDIDATE])} pp (95% intervals over seeds)."
        )
    return "\n".join(lines)


def model_conclusions_markdown(results: dict, name: str) -> str:
    """One model's conclusions as sentences rendered from ``results``."""
    epochs_list = [str(e) for e in results["config"]["snapshot_epochs"]]
    first, last = epochs_list[0], epochs_list[-1]
    summary = results["summary"][name]
    runs = [r for r in results["runs"] if r["model"] == name]
    lines = []
    if results.get("fast"):
        lines.append(
            f"**{config.FAST_LABEL}: these sentences only show the wiring; the numbers are not results.**"
        )
    test = summary[last]["test_accuracy"]
    lines.append(
        f"- After {last} epoch{'s' if last != '1' else ''} the {name.upper()} reaches "
        f"{format_mean_std(test, percent=True)}% test accuracy over {seeds_phrase(results)}"
        + (
            f" (95% interval {interval(test, percent=True, digits=2)})"
            if test.get("ci_low") is not None
            else ""
        )
        + f", with {format_mean_std(summary[last]['train_accuracy'], percent=True)}% training accuracy."
    )
    if first != last:
        test_change = epoch_change(results, name)
        gap_change = epoch_change(results, name, "accuracy_gap")
        grew = sum(
            r["snapshots"][last]["gap"]["accuracy_gap"] > r["snapshots"][first]["gap"]["accuracy_gap"]
            for r in runs
        )
        lines.append(
            f"- From {first} to {last} epochs (paired by seed) test accuracy changes by "
            f"{100 * test_change['mean']:+.2f} pp"
            + (
                f" {interval(test_change, percent=True, digits=2)}"
                if test_change.get("ci_low") is not None
                else ""
            )
            + f" and the overfitting gap by {100 * gap_change['mean']:+.2f} pp; the gap grew in {grew} of "
            f"{plural(len(runs), 'seed')}."
        )
    best = [best_epoch(r["history"]["val_loss"]) for r in runs]
    lines.append(
        f"- The best epoch (the one with the lowest validation loss, early stopping's usual choice) was, "
        f"seed by seed: {', '.join(map(str, best))}."
    )
    return "\n".join(lines)


def splits_markdown(splits, *, fast: bool) -> str:
    """The train / validation / test sizes every experiment uses."""
    rows = [[name, f"{size:,}", "28×28×1 float32 in [0, 1]"] for name, size in splits.sizes().items()]
    return (
        caption({"fast": fast}, "Splits used by every experiment")
        + "\n\n"
        + markdown_table(["Split", "Images", "Model input"], rows)
    )
