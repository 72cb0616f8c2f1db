"""The experiment grid: per-model tables, the 5/10-epoch comparison, intervals, McNemar, and the numbers the
notebooks' sentences about them read (the sentences themselves are written in the notebooks)."""

from __future__ import annotations

import numpy as np

from .. import metrics
from ..formatting import caption, interval, markdown_table, negated, paired, plural, seeds_phrase, signed
from ..metrics import SUMMARY_METRICS, format_mean_std, most_confused_pairs, summarize
from ..numbering import ref
from ..references import cite
from ..registry import BASELINE, CANDIDATE, COMPARISON_KEY

#: Rows of the original report's comparison table: (label, summary key, percent?, digits).
COMPARISON_ROWS = (
    ("Train accuracy (%)", "train_accuracy", True, 2),
    ("Test accuracy (%)", "test_accuracy", True, 2),
    ("Train loss", "train_loss", False, 4),
    ("Test loss", "test_loss", False, 4),
    ("Train − test gap, accuracy (pp)", "accuracy_gap", True, 2),
    ("Gap in loss (test − train)", "loss_gap", False, 4),
)

#: The rows of the report's table over seeds: the gap in loss says what the gap in accuracy says (both models'
#: training losses are near 0), so the report leaves it out.
PAPER_ROWS = tuple(row for row in COMPARISON_ROWS if row[1] != "loss_gap")


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


def ceiling_caveat(results: dict, epochs: str, many: dict | None = None) -> dict:
    """The numbers behind the caveat that a smaller train − test gap is weak evidence of less overfitting,
    when both models' mean training accuracy is at least TRAIN_CEILING (empty otherwise): each model's
    training accuracy (``train``) and room below 100% test accuracy (``room``, the largest gap it can have),
    and the CNN − MLP training and test differences (``train_diff``, ``test_diff``), whose difference is the
    CNN − MLP gap. ``many``: the same over the size comparison's seeds (``size_seeds.gaps_at``), used in place
    of the main runs' when given."""
    s = results["summary"]
    if not all("train_accuracy" in s[name][epochs] for name in (BASELINE, CANDIDATE)):
        return {}
    train = {name: s[name][epochs]["train_accuracy"]["mean"] for name in (BASELINE, CANDIDATE)}
    test = {name: s[name][epochs]["test_accuracy"]["mean"] for name in (BASELINE, CANDIDATE)}
    comparison = next(c for c in results["comparisons"] if str(c["epochs"]) == epochs)
    diff = {key: negated(comparison[COMPARISON_KEY][key]) for key in ("train_accuracy", "test_accuracy")}
    if many:  # the size comparison's seeds measure the same more closely
        train, test = many["train"], many["test"]
        diff = {key: many[key] for key in ("train_accuracy", "test_accuracy")}
    if min(train.values()) < TRAIN_CEILING:
        return {}
    return {
        "train": train,
        "room": {name: 1 - test[name] for name in (BASELINE, CANDIDATE)},
        "train_diff": diff["train_accuracy"],
        "test_diff": diff["test_accuracy"],
    }


def grid_runs(results: dict, name: str) -> list[dict]:
    return [run for run in results["runs"] if run["model"] == name]


def test_size(results: dict) -> int:
    return int(results["provenance"]["split_sizes"]["test"])


def sampling_std(results: dict, name: str, epochs: int | str | None = None) -> float:
    """The binomial standard error of one run's test accuracy, √(p(1 − p)/n) (test-set sampling), as a
    fraction, averaged over the model's runs."""
    epochs = str(epochs or max(results["config"]["snapshot_epochs"]))
    accuracies = [run["snapshots"][epochs]["test"]["accuracy"] for run in grid_runs(results, name)]
    return _binomial_std(accuracies, test_size(results))


def _binomial_std(accuracies, n: int) -> float:
    """The binomial standard error √(p(1 − p)/n) of each accuracy, averaged."""
    return float(np.mean([np.sqrt(a * (1 - a) / n) for a in accuracies]))


def uncertainty(results: dict, name: str, epochs: int | str | None = None) -> tuple[dict, float]:
    """A model's test accuracy over seeds (its spread: training randomness) and the binomial standard error
    of one run, √(p(1 − p)/n) (test-set sampling), averaged over its runs: over the size comparison's seeds
    when it has more of them at these epochs than the main runs, else over the main runs'."""
    epochs = str(epochs or max(results["config"]["snapshot_epochs"]))
    many = results.get("research", {}).get("size_seeds", {})
    models = many.get("models", {})
    if (
        name in models
        and str(many.get("epochs")) == epochs
        and len(many["seeds"]) > len(results["config"]["seeds"])
    ):
        test = models[name]["test_accuracy"]
        return test, _binomial_std(test["values"], test_size(results))
    return results["summary"][name][epochs]["test_accuracy"], sampling_std(results, name, epochs)


def uncertainty_markdown(results: dict, epochs: int | None = None, *, per_run: bool = True) -> str:
    """Per seed (``per_run``): test accuracy with its binomial (Wilson) 95% interval, i.e. the test-set
    sampling error; then, like with like, the standard deviation over seeds (training randomness) beside the
    binomial standard error of one run, √(p(1 − p)/n) (test-set sampling)."""
    epochs = str(epochs or max(results["config"]["snapshot_epochs"]))
    n = test_size(results)
    rows = []
    for name in (BASELINE, CANDIDATE) if per_run else ():
        for run in grid_runs(results, name):
            accuracy = run["snapshots"][epochs]["test"]["accuracy"]
            low, high = metrics.binomial_interval(round(accuracy * n), n)
            rows.append(
                [
                    name.upper(),
                    str(run["seed"]),
                    f"{100 * accuracy:.2f}",
                    f"[{100 * low:.2f}, {100 * high:.2f}]",
                ]
            )
    spread = []
    for name in (BASELINE, CANDIDATE):
        test, sampling = uncertainty(results, name, epochs)
        spread.append(
            [
                name.upper(),
                str(test.get("n", "")),
                f"{100 * test['mean']:.2f}",
                "n/a (1 seed)" if test["std"] is None else f"{100 * test['std']:.2f}",
                f"{100 * sampling:.2f}",
            ]
        )
    runs = (
        caption(
            results,
            f"Test accuracy per run after {epochs} epochs, with the test-set sampling error "
            f"(Wilson score 95% interval, {n:,} images)",
            label="uncertainty-runs-table",
        )
        + "\n\n"
        + markdown_table(["Model", "Seed", "Test accuracy (%)", "95% interval of this run (%)"], rows)
        + "\n\n"
    )
    return (
        (runs if per_run else "")
        + caption(
            results,
            "The two kinds of uncertainty side by side, both as standard deviations (pp)",
            label="uncertainty-table",
        )
        + "\n\n"
        + markdown_table(
            [
                "Model",
                "Seeds",
                "Mean test accuracy (%)",
                "Std over seeds: training randomness",
                "Sampling std of one run, √(p(1 − p)/n): test-set sampling",
            ],
            spread,
        )
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


def best_epoch_numbers(results: dict, name: str) -> dict:
    """One model's best epochs: per seed (``epochs``), their median (``median``), and how much the validation
    loss rose from there to the last epoch, on average over seeds (``rise``)."""
    items = best_epochs(results, name)
    return {
        "epochs": [item["best_epoch"] for item in items],
        "median": int(np.median([item["best_epoch"] for item in items])),
        "rise": float(np.mean([item["last_val_loss"] - item["best_val_loss"] for item in items])),
    }


def best_epoch_markdown(results: dict) -> str:
    """The best epoch of every run (lowest validation loss, the definition used throughout the report) and
    what training on to the last epoch did to the validation loss and accuracy."""
    last = len(results["runs"][0]["history"]["val_loss"])
    rows = [
        [
            name.upper(),
            str(item["seed"]),
            str(item["best_epoch"]),
            f"{item['best_val_loss']:.4f}",
            f"{item['last_val_loss']:.4f}",
            f"{100 * item['val_accuracy_best']:.2f}",
            f"{100 * item['val_accuracy_last']:.2f}",
        ]
        for name in (BASELINE, CANDIDATE)
        for item in best_epochs(results, name)
    ]
    return (
        caption(
            results,
            "Best epoch of every run (lowest validation loss, early stopping's usual choice)",
            label="best-epoch-table",
        )
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
    )


def per_class_scores(results: dict, epochs: int | str | None = None) -> dict:
    """Per model: precision, recall and F1 of each digit (arrays of 10), mean over seeds."""
    epochs = str(epochs or max(results["config"]["snapshot_epochs"]))
    scores = {}
    for name in (BASELINE, CANDIDATE):
        per_run = [run["snapshots"][epochs]["per_class"] for run in grid_runs(results, name)]
        scores[name] = {
            key: np.mean([r[key] for r in per_run], axis=0) for key in ("precision", "recall", "f1")
        }
    return scores


def hardest_digits(results: dict, epochs: int | str | None = None) -> dict[str, list[int]]:
    """Per model: the digits with the lowest F1 as the per-class table shows it (one decimal), so digits
    tied there are all named."""
    shown = {
        name: np.round(100 * scores["f1"], 1) for name, scores in per_class_scores(results, epochs).items()
    }
    return {name: [digit for digit in range(10) if f1[digit] == f1.min()] for name, f1 in shown.items()}


def digits_cnn_higher(results: dict, epochs: int | str | None = None) -> int:
    """How many of the 10 digits the CNN's F1 is higher than the MLP's."""
    scores = per_class_scores(results, epochs)
    return int(np.sum(scores[CANDIDATE]["f1"] > scores[BASELINE]["f1"]))


def per_class_markdown(results: dict, epochs: int | None = None) -> str:
    """Precision, recall and F1 per digit, mean over seeds, for both models."""
    epochs = str(epochs or max(results["config"]["snapshot_epochs"]))
    scores = per_class_scores(results, epochs)
    rows = [
        [str(digit)]
        + [
            f"{100 * scores[name][key][digit]:.1f}"
            for name in (BASELINE, CANDIDATE)
            for key in ("precision", "recall", "f1")
        ]
        for digit in range(10)
    ]
    return (
        caption(
            results,
            f"Per-class precision, recall and F1 (%) after {epochs} epochs, mean over "
            f"{plural(len(results['config']['seeds']), 'seed')}",
            label="per-class-table",
        )
        + "\n\n"
        + markdown_table(
            ["Digit", "MLP precision", "MLP recall", "MLP F1", "CNN precision", "CNN recall", "CNN F1"], rows
        )
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
    return caption(results, title, label=f"{name}-metrics-table") + "\n\n" + markdown_table(header, rows)


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
        caption(results, f"{name.upper()}: overfitting gap per seed", label=f"{name}-gap-table")
        + "\n\n"
        + markdown_table(header, rows)
    )


#: The label of the original report's 5/10-epoch table, over seeds (``[the table](#comparison-table)``).
COMPARISON_TABLE = "comparison-table"


def many_seed_snapshot(results: dict, name: str, epochs) -> dict | None:
    """``name``'s per-seed values after ``epochs`` over the size comparison's seeds (``research.size_seeds``,
    the grid's recipe on more seeds): each measure it records, and both train − test gaps (``accuracy_gap``,
    train − test accuracy; ``loss_gap``, test − train loss) where it records their parts; None when it has
    no more seeds than the grid or does not record that snapshot."""
    many = results.get("research", {}).get("size_seeds", {})
    if len(many.get("seeds", [])) <= len(results["config"]["seeds"]):
        return None
    snapshot = many.get("models", {}).get(name, {}).get("snapshots", {}).get(str(epochs))
    if not snapshot:
        return None
    values = {measure: list(item["values"]) for measure, item in snapshot.items()}
    for gap, plus, minus in (
        ("accuracy_gap", "train_accuracy", "test_accuracy"),
        ("loss_gap", "test_loss", "train_loss"),
    ):
        if plus in values and minus in values:
            values[gap] = [a - b for a, b in zip(values[plus], values[minus])]
    return values


def _many_snapshots(results: dict) -> dict | None:
    """{epochs: {model: per-seed values (``many_seed_snapshot``)}} for the MLP and the CNN at every snapshot,
    when the size comparison records them all (else None)."""
    out = {}
    for e in (str(e) for e in results["config"]["snapshot_epochs"]):
        out[e] = {name: many_seed_snapshot(results, name, e) for name in (BASELINE, CANDIDATE)}
        if not all(out[e].values()):
            return None
    return out


def comparison_markdown(results: dict) -> str:
    """The original report's 5/10-epoch table over seeds: per metric and snapshot, each model's mean ± std and
    the CNN − MLP difference paired by seed with its 95% interval; over the size comparison's seeds when it
    records both snapshots (its runs of the two models are the grid's recipe on more seeds), else the
    grid's."""
    epochs = [str(e) for e in results["config"]["snapshot_epochs"]]
    many = _many_snapshots(results)
    comparisons = {str(c["epochs"]): c for c in results["comparisons"]}
    rows = []
    for label, key, percent, digits in PAPER_ROWS:
        for index, e in enumerate(epochs):
            if many:
                mlp, cnn = (summarize(many[e][name][key]) for name in (BASELINE, CANDIDATE))
                diff = summarize([c - m for c, m in zip(many[e][CANDIDATE][key], many[e][BASELINE][key])])
            else:
                mlp, cnn = (results["summary"][name][e][key] for name in (BASELINE, CANDIDATE))
                diff = negated(comparisons[e][COMPARISON_KEY][key])
            scale = 100 if percent else 1
            rows.append(
                [label if index == 0 else "", e]
                + [format_mean_std(item, percent=percent, digits=digits) for item in (mlp, cnn)]
                + [f"{scale * diff['mean']:+.{digits}f} {interval(diff, percent=percent, digits=digits)}"]
            )
    count = len(results["research"]["size_seeds"]["seeds"]) if many else len(results["config"]["seeds"])
    return (
        caption(
            results,
            "The original report's measures over seeds: train and test accuracy, loss and train − test gap, "
            f"mean ± std over {plural(count, 'seed')}, and CNN − MLP paired by seed with its 95% interval",
            label=COMPARISON_TABLE,
        )
        + "\n\n"
        + markdown_table(["Metric", "Epochs", "MLP", "CNN", "CNN − MLP"], rows)
    )


def intervals_markdown(results: dict) -> str:
    """Test accuracy with 95% intervals, and the paired CNN − MLP difference; a last row with the size
    comparison's seeds of the two models when it has more (the report's estimate of the lead)."""
    rows = []
    for comparison in results["comparisons"]:
        e = str(comparison["epochs"])
        diff = negated(comparison[COMPARISON_KEY]["test_accuracy"])
        rows.append(
            [
                e,
                str(
                    results["summary"][BASELINE][e]["test_accuracy"].get("n", len(results["config"]["seeds"]))
                ),
            ]
            + [
                f"{100 * results['summary'][n][e]['test_accuracy']['mean']:.2f} "
                f"{interval(results['summary'][n][e]['test_accuracy'], percent=True, digits=2)}"
                for n in (BASELINE, CANDIDATE)
            ]
            + [f"{100 * diff['mean']:+.2f} {interval(diff, percent=True, digits=2)}"]
        )
    many = results.get("research", {}).get("size_seeds", {})
    models = many.get("models", {})
    if BASELINE in models and CANDIDATE in models and len(many["seeds"]) > len(results["config"]["seeds"]):
        # Every snapshot the size comparison records over its seeds, the last (the report's lead) last.
        pair = (BASELINE, CANDIDATE)
        found = {
            str(e): {n: models[n].get("snapshots", {}).get(str(e), {}).get("test_accuracy") for n in pair}
            for e in results["config"]["snapshot_epochs"]
            if e != many["epochs"]
        }
        found[str(many["epochs"])] = {n: models[n]["test_accuracy"] for n in pair}
        for e, values in found.items():
            if not all(values.values()):
                continue
            diff = paired(values[CANDIDATE], values[BASELINE])
            rows.append(
                [e, str(len(many["seeds"]))]
                + [
                    f"{100 * values[n]['mean']:.2f} {interval(values[n], percent=True, digits=2)}"
                    for n in pair
                ]
                + [f"{100 * diff['mean']:+.2f} {interval(diff, percent=True, digits=2)}"]
            )
    return (
        caption(
            results,
            "Test accuracy (%), mean and 95% interval over seeds"
            + (
                f" (the rows over {len(many['seeds'])} seeds: the runs of section {ref('capacity-control')})"
                if len(rows) > len(results["comparisons"])
                else ""
            ),
            label="intervals-table",
        )
        + "\n\n"
        + markdown_table(["Epochs", "Seeds", "MLP", "CNN", "CNN − MLP (paired by seed)"], rows)
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
        caption(results, title, label="mcnemar-table")
        + "\n\n"
        + markdown_table(
            ["Epochs", "Seed", "only MLP right", "only CNN right", "both wrong", "p-value"], rows
        )
    )


def many_seed_change(results: dict, name: str, key: str = "test_accuracy") -> dict | None:
    """``name``'s change of ``key`` (a measure of ``many_seed_snapshot``, such as test accuracy or the gap
    ``accuracy_gap``) from the first snapshot to the last, paired by seed over the size comparison's seeds;
    None when it does not record both snapshots."""
    first, last = (min(results["config"]["snapshot_epochs"]), max(results["config"]["snapshot_epochs"]))
    before, after = ((many_seed_snapshot(results, name, e) or {}).get(key) for e in (first, last))
    if first == last or not (before and after):
        return None
    return summarize([b - a for a, b in zip(before, after)])


def epoch_change(results: dict, name: str, key: str = "test_accuracy", *, many: bool = False) -> dict:
    """Paired (same seed) change of a metric from the first to the last snapshot; with ``many``, over the size
    comparison's seeds when it records both snapshots (``many_seed_change``)."""
    found = many_seed_change(results, name, key) if many else None
    if found:
        return found
    part, field = SUMMARY_METRICS[key]
    first, last = (
        str(e) for e in (min(results["config"]["snapshot_epochs"]), max(results["config"]["snapshot_epochs"]))
    )
    runs = [r for r in results["runs"] if r["model"] == name]
    return summarize([r["snapshots"][last][part][field] - r["snapshots"][first][part][field] for r in runs])


def confused_pairs_markdown(results: dict, epochs: int, top: int = 5) -> str:
    """The most frequent (true → predicted) mistakes of each model, summed over seeds."""
    rows = []
    for name in (BASELINE, CANDIDATE):
        matrix = np.sum(
            [r["snapshots"][str(epochs)]["confusion"] for r in results["runs"] if r["model"] == name], axis=0
        )
        for pair in most_confused_pairs(matrix, top=top):
            rows.append([name.upper(), f"{pair['true']} → {pair['predicted']}", str(pair["count"])])
    return (
        caption(
            results,
            f"Most confused pairs after {epochs} epochs (test set, summed over seeds)",
            label="confused-pairs-table",
        )
        + "\n\n"
        + markdown_table(["Model", "true → predicted", "count"], rows)
    )


def splits_markdown(splits, *, fast: bool) -> str:
    """The train / validation / test sizes every experiment uses."""
    rows = [[name, f"{size:,}", "28×28×1 float32 in [0, 1]"] for name, size in splits.sizes().items()]
    return (
        caption({"fast": fast}, "Splits used by every experiment", label="splits-table")
        + "\n\n"
        + markdown_table(["Split", "Images", "Model input"], rows)
    )
