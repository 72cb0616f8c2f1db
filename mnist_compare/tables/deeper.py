"""Beyond the original report: the two kinds of uncertainty, the best-validation epoch, per-class
scores, calibration, data efficiency, the architecture controls and handwriting that is not MNIST."""

from __future__ import annotations

import numpy as np

from .. import metrics
from ..metrics import format_mean_std
from .common import (MODEL_LABELS, _paired, _pp, calibration_contrast, caption, gain_detected, gap_closed, join_words,  # noqa: F401
                     markdown_table, mlp_controls, over_confident, plural, share_closed_text, text_name)
from .original import cite


def _runs(results: dict, name: str) -> list[dict]:
    return [run for run in results["runs"] if run["model"] == name]


def _test_size(results: dict) -> int:
    return int(results["provenance"]["split_sizes"]["test"])


def uncertainty_markdown(results: dict, epochs: int | None = None, *, per_run: bool = True) -> str:
    """Per seed (``per_run``): test accuracy with its binomial (Wilson) 95% interval, i.e. the test-set sampling
    error; then, like with like, the standard deviation over seeds (training randomness) beside the binomial
    standard error of one run, √(p(1 − p)/n) (test-set sampling)."""
    epochs = str(epochs or max(results["config"]["snapshot_epochs"]))
    n = _test_size(results)
    rows, sampling_sd = [], {}
    for name in ("mlp", "cnn"):
        sampling_sd[name] = []
        for run in _runs(results, name):
            accuracy = run["snapshots"][epochs]["test"]["accuracy"]
            low, high = metrics.binomial_interval(round(accuracy * n), n)
            sampling_sd[name].append(float(np.sqrt(accuracy * (1 - accuracy) / n)))
            rows.append([name.upper(), str(run["seed"]), f"{100 * accuracy:.2f}", f"[{100 * low:.2f}, {100 * high:.2f}]"])
    seed_std = {name: results["summary"][name][epochs]["test_accuracy"]["std"] for name in ("mlp", "cnn")}
    spread = [[name.upper(), f"{100 * results['summary'][name][epochs]['test_accuracy']['mean']:.2f}",
               "n/a (1 seed)" if seed_std[name] is None else f"{100 * seed_std[name]:.2f}",
               f"{100 * np.mean(sampling_sd[name]):.2f}"] for name in ("mlp", "cnn")]
    larger = [name.upper() for name in ("mlp", "cnn")
              if seed_std[name] is not None and np.mean(sampling_sd[name]) > seed_std[name]]
    if any(value is None for value in seed_std.values()):
        text = "With one seed there is no spread over seeds to compare with the sampling error."
    elif len(larger) == 2:
        text = ("For both models the sampling standard deviation of one run is at least as large as the standard "
                "deviation over seeds (itself a rough estimate from a few seeds): another test set of the same size "
                "would move a run's accuracy about as much as another seed does, or more. The CNN − MLP difference is measured on the same images for both models (the paired tests of "
                "section 4.2), which removes most of the sampling error from the comparison.")
    else:
        text = (f"The sampling standard deviation of one run is larger than the standard deviation over seeds for: "
                f"{', '.join(larger) or 'neither model'}. The CNN − MLP difference is measured on the same images for "
                "both models (the paired tests of section 4.2).")
    runs = (caption(results, f"Test accuracy per run after {epochs} epochs, with the test-set sampling error "
                             f"(Wilson {cite('wilson1927')} 95% interval, {n:,} images)") + "\n\n"
            + markdown_table(["Model", "Seed", "Test accuracy (%)", "95% interval of this run (%)"], rows) + "\n\n")
    return ((runs if per_run else "") + caption(results, "The two kinds of uncertainty side by side, both as standard deviations (pp)")
            + "\n\n"
            + markdown_table(["Model", "Mean test accuracy (%)", "Std over seeds: training randomness",
                              "Sampling std of one run, √(p(1 − p)/n): test-set sampling"], spread) + "\n\n" + text)


def best_epochs(results: dict, name: str) -> list[dict]:
    """Per run: the epoch with the lowest validation loss (early stopping's choice) and the losses."""
    out = []
    for run in _runs(results, name):
        losses = run["history"]["val_loss"]
        best = metrics.best_epoch(losses)
        out.append({"seed": run["seed"], "best_epoch": best, "best_val_loss": losses[best - 1],
                    "last_val_loss": losses[-1], "val_accuracy_best": run["history"]["val_accuracy"][best - 1],
                    "val_accuracy_last": run["history"]["val_accuracy"][-1]})
    return out


def best_epoch_markdown(results: dict, *, per_run: bool = True) -> str:
    """The best epoch of every run (lowest validation loss, the definition used throughout the report; the table
    with ``per_run``), and what training on to the last epoch did to the validation set."""
    last = len(results["runs"][0]["history"]["val_loss"])
    items = {name: best_epochs(results, name) for name in ("mlp", "cnn")}
    rows = []
    for name in ("mlp", "cnn"):
        for item in items[name]:
            rows.append([name.upper(), str(item["seed"]), str(item["best_epoch"]), f"{item['best_val_loss']:.4f}",
                         f"{item['last_val_loss']:.4f}", f"{100 * item['val_accuracy_best']:.2f}",
                         f"{100 * item['val_accuracy_last']:.2f}"])
    medians = {name: int(np.median([i["best_epoch"] for i in items[name]])) for name in items}
    rises = {name: float(np.mean([i["last_val_loss"] - i["best_val_loss"] for i in items[name]])) for name in items}
    text = (f"The validation loss is lowest at epoch {medians['mlp']} for the MLP and {medians['cnn']} for the CNN "
            f"(median over seeds) and rises afterwards, by {rises['mlp']:.4f} (MLP) and {rises['cnn']:.4f} (CNN) on "
            f"average by epoch {last}, while the validation accuracy barely moves: the models grow more confident "
            "on the images they get wrong. Early stopping on the held-out validation set would keep the "
            "best-loss epoch; the test set is never used to choose it.")
    if not per_run:
        best = {name: ", ".join(str(i["best_epoch"]) for i in items[name]) for name in items}
        return (f"Best epoch per seed: {best['mlp']} (MLP) and {best['cnn']} (CNN). " + text)
    return (caption(results, "Best epoch of every run (lowest validation loss, early stopping's usual choice)")
            + "\n\n"
            + markdown_table(["Model", "Seed", "Best epoch", "Val. loss there", f"Val. loss at epoch {last}",
                              "Val. accuracy there (%)", f"Val. accuracy at epoch {last} (%)"], rows)
            + "\n\n" + text)


def per_class_markdown(results: dict, epochs: int | None = None) -> str:
    """Precision, recall and F1 per digit, mean over seeds, for both models."""
    epochs = str(epochs or max(results["config"]["snapshot_epochs"]))
    scores = {}
    for name in ("mlp", "cnn"):
        per_run = [run["snapshots"][epochs]["per_class"] for run in _runs(results, name)]
        scores[name] = {key: np.mean([r[key] for r in per_run], axis=0) for key in ("precision", "recall", "f1")}
    rows = []
    for digit in range(10):
        rows.append([str(digit)] + [f"{100 * scores[name][key][digit]:.1f}" for name in ("mlp", "cnn")
                                    for key in ("precision", "recall", "f1")])
    # The lowest F1 as the table shows it (one decimal): digits equal there are tied, and all of them are named.
    shown = {name: np.round(100 * scores[name]["f1"], 1) for name in ("mlp", "cnn")}
    worst = {name: [digit for digit in range(10) if shown[name][digit] == shown[name].min()] for name in shown}
    higher = int(np.sum(scores["cnn"]["f1"] > scores["mlp"]["f1"]))

    def digits(name: str) -> str:
        tied = f" (tied at {shown[name].min():.1f}%)" if len(worst[name]) > 1 else ""
        return join_words([str(digit) for digit in worst[name]]) + tied

    hardest = (f"{digits('mlp')} for both models" if worst["mlp"] == worst["cnn"] else
               f"{digits('mlp')} for the MLP and {digits('cnn')} for the CNN")
    spread = ("its advantage is spread over the classes, not confined to one pair" if higher == 10 else
              f"for {plural(10 - higher, 'digit')} the MLP's F1 is as high or higher")
    text = f"The hardest digit by F1 is {hardest}. The CNN's F1 is higher for {higher} of the 10 digits: {spread}."
    return (caption(results, f"Per-class precision, recall and F1 (%) after {epochs} epochs, mean over "
                             f"{plural(len(results['config']['seeds']), 'seed')}") + "\n\n"
            + markdown_table(["Digit", "MLP precision", "MLP recall", "MLP F1", "CNN precision", "CNN recall",
                              "CNN F1"], rows) + "\n\n" + text)


def calibration_markdown(results: dict) -> str:
    """Expected calibration error, mean confidence and the confident mistakes of each model."""
    section = results["research"]["calibration"]
    rows = []
    for name, item in section["models"].items():
        accuracy = (results["summary"][name][str(section["epochs"])]["test_accuracy"]["mean"] if name in
                    results["summary"] else
                    results["research"]["capacity_control"][name][str(section["epochs"])]["test_accuracy"]["mean"])
        rows.append([MODEL_LABELS.get(name, name), format_mean_std(item["ece"], percent=True),
                     f"{100 * item['mean_confidence']['mean']:.2f}", f"{100 * accuracy:.2f}",
                     format_mean_std(item["confident_mistakes"], digits=1)])
    return (caption(results, f"Calibration after {section['epochs']} epochs (expected calibration error, ECE "
                             f"{cite('naeini2015', 'guo2017')}, over {section['bins']} equal-width confidence bins; "
                             "mean over seeds)") + "\n\n"
            + markdown_table(["Model", "ECE (%)", "Mean confidence (%)", "Test accuracy (%)",
                              f"Wrong with ≥ 99% confidence (of {_test_size(results):,}), mean ± std"], rows))


def leads_sentence(section: dict) -> str:
    """The CNN's lead over the MLP at every training-set size (largest set first), paired by seed with its 95%
    interval when the per-seed values are there; how the mean lead changes over the sizes trained for as many
    epochs as the full set (a trend only when it is monotonic); and the sizes trained for other epochs, whose
    lead is confounded by the number of epochs."""
    from ..metrics import summarize

    sizes = list(section["sizes"])
    leads = {}
    for size, c, m in zip(sizes, section["models"]["cnn"], section["models"]["mlp"]):
        paired = c.get("values") and m.get("values") and len(c["values"]) == len(m["values"]) > 1
        leads[size] = (summarize([a - b for a, b in zip(c["values"], m["values"])]) if paired
                       else {"mean": c["mean"] - m["mean"]})

    def points(lead: dict) -> str:
        return f"{100 * lead['mean']:.1f}" + (f" [{100 * lead['ci_low']:.1f}, {100 * lead['ci_high']:.1f}]"
                                             if lead.get("ci_low") is not None else "")

    order = sorted(sizes, reverse=True)
    intervals = all(leads[s].get("ci_low") is not None for s in order)
    text = (f"The CNN's lead over the MLP is {join_numbers([points(leads[s]) for s in order])} points"
            + (" (paired by seed, 95% intervals)" if intervals else "")
            + f" with {join_numbers([f'{s:,}' for s in order])} training images")
    epochs = {int(size): int(e) for size, e in section.get("epochs", {}).items()}
    full = epochs.get(max(sizes))
    same = [s for s in order if full is None or epochs.get(s, full) == full]
    other: dict[int, list[str]] = {}
    for size in sizes:
        if size not in same:
            other.setdefault(epochs[size], []).append(f"{size:,}")
    scope = (f"over the sizes trained for {full} epochs ({join_numbers([f'{s:,}' for s in same])} images) "
             if other else "")
    means = [leads[s]["mean"] for s in same]
    if len(same) > 1 and all(a < b for a, b in zip(means, means[1:])):
        text += f": {scope}the {'mean ' if intervals else ''}lead grows as the training set shrinks"
    elif len(same) > 1 and all(a > b for a, b in zip(means, means[1:])):
        text += f": {scope}the {'mean ' if intervals else ''}lead shrinks as the training set shrinks"
    elif len(same) > 1:
        largest = max(same, key=lambda s: leads[s]["mean"])
        text += f": {scope}the lead does not change monotonically with the size (largest with {largest:,})"
    if other:
        text += ("; the runs on " + "; on ".join(f"{join_numbers(s)} images trained for {e} epochs"
                                                  for e, s in other.items())
                 + f" instead of {full}, so the lead there is confounded by the number of epochs and is not part "
                   "of that comparison")
    return text + "."


def join_numbers(items: list[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def data_efficiency_markdown(results: dict) -> str:
    section = results["research"]["data_efficiency"]
    names = list(section["models"])
    rows = []
    for index, size in enumerate(section["sizes"]):
        rows.append([f"{size:,}", str(section["epochs"][str(size)])]
                    + [format_mean_std(section["models"][name][index], percent=True) for name in names])
    above = all(section["models"]["cnn"][i]["mean"] > max(section["models"][n][i]["mean"] for n in names if n != "cnn")
                for i in range(len(section["sizes"])))
    text = (leads_sentence(section) + " "
            + ("The CNN is ahead of both MLPs at every size. " if above else
               "The CNN is not ahead of both MLPs at every size. ")
            + "That fits the convolution building in what the MLPs must learn from examples (a stroke is a stroke "
              "wherever it is), though these runs do not test it.")
    return (caption(results, f"Test accuracy (%) against training-set size (mean ± std over "
                             f"{plural(len(section['seeds']), 'seed')}; each seed draws its own stratified subset)")
            + "\n\n"
            + markdown_table(["Training images", "Epochs"] + [MODEL_LABELS[n] for n in names], rows)
            + "\n\n" + text)


def architecture_controls_markdown(results: dict) -> str:
    """Every MLP variant beside the CNNs: parameters, multiply-adds, test accuracy and gap."""
    from ..models import build_model
    from ..research import forward_macs

    research = results["research"]
    last = str(research["epochs"])
    rows = []

    def add(name, parameters, block, seeds, epochs):
        macs = forward_macs(build_model(name))
        rows.append([MODEL_LABELS[name], f"{parameters:,}", f"{macs / 1e3:,.0f}k", str(seeds), str(epochs),
                     format_mean_std(block["test_accuracy"], percent=True),
                     format_mean_std(block["accuracy_gap"], percent=True)])

    for name in ("mlp", "cnn"):
        s = results["summary"][name]
        add(name, s["parameters"], s[last], len(results["config"]["seeds"]), last)
    wide = research["capacity_control"]["mlp_wide"]
    add("mlp_wide", wide["parameters"], wide[last], len(wide["seeds"]), last)
    for name, item in research["architecture_controls"]["models"].items():
        add(name, item["parameters"], item[str(item["epochs"])], len(item["seeds"]), item["epochs"])
    cnn = results["summary"]["cnn"][last]["test_accuracy"]["mean"]
    mlps = mlp_controls(results)
    best = max(mlps, key=lambda n: mlps[n][last]["test_accuracy"]["mean"])
    reaches = [n for n in mlps if mlps[n][last]["test_accuracy"]["mean"] >= cnn]
    closed = {n: gap_closed(results, n) for n in mlps}
    shares = [f"the {text_name(n)} {share_closed_text(c)}"
              + ("" if gain_detected(c) or c["share"] < 0 else " (its gain over the MLP has an interval that includes 0)")
              for n, c in closed.items() if c and c["share"] is not None]
    text = (f"The best MLP is the {text_name(best)} at {100 * mlps[best][last]['test_accuracy']['mean']:.2f}%, "
            f"against the CNN's {100 * cnn:.2f}%. "
            + ("No MLP reaches the CNN, whether it has the CNN's parameters, its compute, or more depth with "
               "regularisation" if not reaches else
               f"{', '.join(MODEL_LABELS[n] for n in reaches)} reach the CNN")
            + (f". Of the gap between the MLP and the CNN (on each control's seeds) they close: {join_numbers(shares)}"
               "; more parameters, compute or depth close part of the gap, and none of them all of it."
               if shares and not reaches
               else "."))
    return (caption(results, "The original report's two models and the controls") + "\n\n"
            + markdown_table(["Model", "Parameters", "Multiply-adds per image", "Seeds", "Epochs",
                              "Test accuracy (%)", "Train − test gap (pp)"], rows) + "\n\n" + text)


def other_handwriting_markdown(results: dict) -> str:
    """Accuracy on other writers' digits and on re-rendered MNIST digits, per model and preprocessing."""
    from ..preprocessing import METHOD_LABELS, METHODS

    research = results["research"]
    other, mnist = research["other_handwriting"]["accuracy"], research["user_drawings"]["accuracy"]
    rows = []
    for name in other:
        rows.append([MODEL_LABELS.get(name, name)]
                    + [f"{100 * mnist[name][m]['mean']:.1f} / {100 * other[name][m]['mean']:.1f}" for m in METHODS])
    best_everywhere = all(max(METHODS, key=lambda m: source[name][m]["mean"]) == "bbox_com"
                          for source in (other, mnist) for name in other)
    com = [100 * other[name]["bbox_com"]["mean"] for name in other]
    com_mnist = [100 * mnist[name]["bbox_com"]["mean"] for name in other]
    text = (f"With crop + padding + centre of mass the models read {min(com_mnist):.1f}-{max(com_mnist):.1f}% of the "
            f"re-rendered MNIST digits but {min(com):.1f}-{max(com):.1f}% of other writers' digits: a drawing that "
            "does not look like MNIST costs more than the choice of model. "
            + ("Centring by the centre of mass is the best of the three preprocessings for every model on both sets."
               if best_everywhere else "No preprocessing is the best for every model on both sets."))
    return (caption(results, f"Accuracy (%) on drawings: re-rendered MNIST test digits "
                             f"({research['user_drawings']['drawings']:,}) / scikit-learn's digits of other "
                             f"writers ({research['other_handwriting']['drawings']:,}), mean over seeds") + "\n\n"
            + markdown_table(["Model"] + [METHOD_LABELS[m] for m in METHODS], rows) + "\n\n" + text)


def shift_markdown(results: dict) -> str:
    """Accuracy at 0, 4 and 8 pixels of shift for every model, and the GAP CNN's contrast."""
    curves = results["research"]["robustness"]["curves"]["shift"]
    levels = curves["levels"]
    picks = [level for level in (0, 2, 4, 6, 8) if level in levels]
    names = [n for n in ("mlp", "mlp_wide", "mlp_deep", "cnn", "cnn_gap") if n in curves]
    rows = [[MODEL_LABELS[n]] + [f"{100 * curves[n][levels.index(level)]['mean']:.1f}" for level in picks]
            for n in names]
    last = len(levels) - 1
    kept = {n: curves[n][last]["mean"] / curves[n][0]["mean"] for n in names}
    images = results["research"]["robustness"]["images"]
    text = (f"At {levels[last]} pixels the original report's CNN keeps {100 * kept['cnn']:.0f}% of its unshifted accuracy and "
            f"the MLP {100 * kept['mlp']:.0f}%"
            + (f"; the GAP CNN {cite('lin2014')} keeps {100 * kept['cnn_gap']:.0f}%" if "cnn_gap" in kept else "") + ". "
            "Part of every drop at large shifts is the digit leaving the 28×28 frame (MNIST digits fill a 20×20 box), "
            "which no architecture can undo. That the GAP CNN loses a smaller share is consistent with the CNN's "
            "dense head, which reads features at fixed places, causing part of the CNN's drop; but the GAP CNN "
            "differs from the CNN in more than its head, so this does not isolate the head.")
    gap_cnn = results["research"].get("architecture_controls", {}).get("models", {}).get("cnn_gap")
    if "cnn_gap" in curves and gap_cnn:
        full = gap_cnn[str(gap_cnn["epochs"])]["test_accuracy"]["mean"]
        text += (f" The 0 px column is measured on these {images:,} test digits, so it differs from the accuracies "
                 f"on all {_test_size(results):,} test digits elsewhere: the GAP CNN reads "
                 f"{100 * curves['cnn_gap'][0]['mean']:.1f}% here and {100 * full:.2f}% on the whole test set "
                 "(controls table).")
    return (caption(results, f"Accuracy (%) on test digits shifted by 0-8 pixels in a random direction (the same "
                             f"{images:,}-image stratified subset of the test set for every model)") + "\n\n"
            + markdown_table(["Model"] + [f"{level} px" for level in picks], rows) + "\n\n" + text)


def confidence_sentence(results: dict) -> str:
    """Whether each model is over-confident (mean confidence above test accuracy), with the numbers."""
    section = results["research"]["calibration"]["models"]
    last = str(max(results["config"]["snapshot_epochs"]))
    over = [name.upper() for name, is_over in over_confident(results).items() if is_over]
    if len(over) == 2:
        verdict = "Both models are over-confident"
    elif over:
        verdict = f"Only the {over[0]} is over-confident"
    else:
        verdict = "Neither model is over-confident"
    mean_confidence = {name: 100 * section[name]["mean_confidence"]["mean"] for name in ("mlp", "cnn")}
    accuracy = {name: 100 * results["summary"][name][last]["test_accuracy"]["mean"] for name in ("mlp", "cnn")}
    return (f"{verdict}: the MLP's mean confidence is {mean_confidence['mlp']:.2f}% against a test accuracy of "
            f"{accuracy['mlp']:.2f}%, the CNN's {mean_confidence['cnn']:.2f}% against {accuracy['cnn']:.2f}%. "
            f"{calibration_contrast(results)} {_pp_sentence(section)} {_under_diagonal(section)}")


def _pp_sentence(section: dict) -> str:
    return f"ECE, CNN − MLP paired by seed: {_pp(_paired(section['cnn']['ece'], section['mlp']['ece']))}."


def inside_conclusions_markdown(results: dict) -> str:
    """The conclusions of the chapter inside the models: what they learned, calibration, data efficiency."""
    research = results["research"]
    cal = research["calibration"]["models"]
    eff = research["data_efficiency"]
    small, full = eff["sizes"][0], eff["sizes"][-1]
    lines = [
        "- **What they learned.** The CNN's filters are local stroke detectors applied everywhere; the MLP's "
        "hidden units are whole-image templates tied to fixed pixels.",
        f"- **Calibration.** Expected calibration error {format_mean_std(cal['mlp']['ece'], percent=True)}% (MLP) "
        f"and {format_mean_std(cal['cnn']['ece'], percent=True)}% (CNN), over seeds. "
        f"{calibration_contrast(results, with_ece=False)}",
        f"- **Data efficiency.** With {small:,} training images: MLP "
        f"{format_mean_std(eff['models']['mlp'][0], percent=True)}%, CNN "
        f"{format_mean_std(eff['models']['cnn'][0], percent=True)}%; with {full:,}: MLP "
        f"{format_mean_std(eff['models']['mlp'][-1], percent=True)}%, CNN "
        f"{format_mean_std(eff['models']['cnn'][-1], percent=True)}%. {leads_sentence(eff)}",
    ]
    return "\n".join(lines)


def _under_diagonal(section: dict) -> str:
    """How many of the populated reliability bins below the top one have accuracy under their confidence."""
    parts = []
    for name in ("mlp", "cnn"):
        table = section[name]["reliability"]
        bins = [(c, a) for c, a, n in zip(table["confidence"], table["accuracy"], table["count"]) if n > 0][:-1]
        under = sum(a < c for c, a in bins)
        parts.append(f"{under} of {len(bins)} for the {name.upper()}")
    return ("Below the top bin, the bins whose accuracy is under their mean confidence: " + ", ".join(parts) + ".")
