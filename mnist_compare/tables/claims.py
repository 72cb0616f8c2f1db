"""The original report's claims, tested: cost, controls, robustness, drawings, permuted pixels, verdicts."""

from __future__ import annotations

from ..metrics import format_mean_std
from .common import (MODEL_LABELS, _grid_accuracies, _negated, _paired, _pp, _seed_mean, caption, ceiling_caveat,
                     gain_detected, gap_closed, gap_closed_sentence, gap_numbers, join_words, markdown_table,
                     mlp_controls, plural, text_name)
from .original import cite


def epoch_seconds_text(summary: dict) -> str:
    """'3.60 (3.54-6.40)': the median over seeds of each seed's seconds per epoch, and their range (one slow
    seed moves a mean and a standard deviation far more than the median)."""
    import numpy as np

    values = summary.get("values") or [summary["mean"]]
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{float(np.median(values)):.2f} ({min(values):.2f}-{max(values):.2f})"


def cost_markdown(results: dict) -> str:
    cost = results["research"]["cost"]
    rows = []
    for name in ("mlp", "cnn"):
        entry = cost[name]
        rows.append([name.upper(), f"{entry['parameters']:,}", f"{entry['forward_macs_per_image'] / 1e6:.2f} M",
                     f"{entry['training_flops_per_image'] / 1e6:.1f} M",
                     epoch_seconds_text(entry["seconds_per_epoch"]),
                     f"{entry['milliseconds_per_prediction']:.2f}"])
    return caption(results, "Cost of each model") + "\n\n" + markdown_table(
        ["Model", "Parameters", "Multiply-adds per image (forward)", "Training FLOPs per image (≈ 6 × MACs)",
         "Seconds per training epoch: median over seeds (range)", "ms per prediction (one image)"], rows)


ROBUSTNESS_POINTS = {"shift": 4, "rotation": 30, "scale": 0.6, "noise": 0.3}


def _robustness_points(results: dict):
    """(transform, level, MLP summary, CNN summary, paired CNN − MLP) at each level of ROBUSTNESS_POINTS."""
    curves = results["research"]["robustness"]["curves"]
    for transform, level in ROBUSTNESS_POINTS.items():
        index = curves[transform]["levels"].index(level)
        mlp, cnn = curves[transform]["mlp"][index], curves[transform]["cnn"][index]
        yield transform, level, mlp, cnn, _paired(cnn, mlp)


#: Below this accuracy a 10-class model is said to be near chance (10%).
NEAR_CHANCE = 0.15


def hardest_transforms(results: dict) -> dict:
    """Per model of the robustness curves: (transform, level, mean accuracy) of the transform in
    ROBUSTNESS_POINTS at whose level the model's accuracy is lowest."""
    curves = results["research"]["robustness"]["curves"]
    names = [n for n in next(iter(curves.values())) if n != "levels"]
    out = {}
    for name in names:
        points = [(transform, level, curves[transform][name][curves[transform]["levels"].index(level)]["mean"])
                  for transform, level in ROBUSTNESS_POINTS.items() if name in curves.get(transform, {})]
        if points:
            out[name] = min(points, key=lambda point: point[2])
    return out


def _robustness_text(results: dict) -> str:
    """Which transform hurts each model most at the table's levels, and any model that falls to chance
    under noise while the others do not."""
    curves = results["research"]["robustness"]["curves"]
    units = results["research"]["robustness"]["units"]
    hardest = hardest_transforms(results)
    by_transform: dict[str, list[tuple[str, float]]] = {}
    for name, (transform, _, accuracy) in hardest.items():
        by_transform.setdefault(transform, []).append((f"the {text_name(name)}", accuracy))
    sentences = ["Which transformation hurts each model of the robustness figure most, at the levels of the "
                 "table: " + "; ".join(
                     f"{transform} hurts {join_words([n for n, _ in models])} most "
                     f"({join_words([f'{100 * a:.1f}%' for _, a in models])} left)"
                     for transform, models in by_transform.items()) + "."]
    noise = curves.get("noise")
    if noise:
        names = [n for n in noise if n != "levels"]
        collapsed = {}
        for name in names:
            level = next((lvl for lvl, s in zip(noise["levels"], noise[name]) if s["mean"] < NEAR_CHANCE), None)
            if level is not None:
                collapsed[name] = level
        for name, level in collapsed.items():
            index = noise["levels"].index(level)
            others = [noise[n][index]["mean"] for n in names if n not in collapsed]
            seeds = noise[name][index].get("n")
            sentences.append(
                f"The {text_name(name)}" + (f" ({plural(seeds, 'seed')})" if seeds else "")
                + f" falls to {100 * noise[name][index]['mean']:.1f}% (chance is 10%) already at noise level {level}"
                + (f" ({units['noise']})" if units.get("noise") else "")
                + (f", where the other models still read {100 * min(others):.1f}-{100 * max(others):.1f}%"
                   if others else "") + ".")
    return " ".join(sentences)


def robustness_markdown(results: dict) -> str:
    """Accuracy at one telling level of each transform, the paired CNN − MLP difference, and which
    transform hurts each model most."""
    units = results["research"]["robustness"]["units"]
    rows = [[f"{transform} {level} {units[transform]}", f"{100 * mlp['mean']:.2f}", f"{100 * cnn['mean']:.2f}", _pp(diff)]
            for transform, level, mlp, cnn, diff in _robustness_points(results)]
    return caption(results, "Accuracy (%) on transformed test images") + "\n\n" + markdown_table(
        ["Transform", "MLP", "CNN", "CNN − MLP (paired by seed, 95% CI)"], rows) + "\n\n" + _robustness_text(results)


def user_drawings_markdown(results: dict) -> str:
    from ..preprocessing import METHOD_LABELS, METHODS

    study = results["research"]["user_drawings"]
    rows = []
    for method in METHODS:
        mlp, cnn = study["accuracy"]["mlp"][method], study["accuracy"]["cnn"][method]
        rows.append([METHOD_LABELS[method], format_mean_std(mlp, percent=True), format_mean_std(cnn, percent=True),
                     _pp(_paired(cnn, mlp))])
    return caption(results, f"Accuracy (%) on {study['drawings']:,} user-like drawings") + "\n\n" + markdown_table(
        ["Preprocessing", "MLP", "CNN", "CNN − MLP"], rows)


def control_markdown(results: dict) -> str:
    """The parameter-matched control next to the original report's two models, and the share of the gap
    it closes."""
    research = results["research"]
    last = str(research["epochs"])
    rows = []
    for name in ("mlp", "cnn"):
        s = results["summary"][name][last]
        rows.append([MODEL_LABELS[name], f"{results['summary'][name]['parameters']:,}",
                     format_mean_std(s["test_accuracy"], percent=True), format_mean_std(s["accuracy_gap"], percent=True)])
    for name, entry in research["capacity_control"].items():
        s = entry[last]
        rows.append([MODEL_LABELS.get(name, text_name(name)), f"{entry['parameters']:,}",
                     format_mean_std(s["test_accuracy"], percent=True), format_mean_std(s["accuracy_gap"], percent=True)])
    text = " ".join(gap_closed_sentence(results, name) for name in research["capacity_control"]).strip()
    return (caption(results, f"Parameter-matched control after {last} epochs (mean ± std over seeds)") + "\n\n"
            + markdown_table(["Model", "Parameters", "Test accuracy (%)", "Overfitting gap (pp)"], rows)
            + (f"\n\n{text}" if text else ""))


_normal_accuracies = _grid_accuracies


def _permuted_changes(results: dict, name: str) -> list[float]:
    """Per seed: test accuracy with permuted pixels minus the same seed's accuracy with the original order."""
    permuted = results["research"]["permuted_pixels"]
    epochs = str(permuted["epochs"])
    entry = permuted["models"][name]
    normal = _normal_accuracies(results, name, entry["seeds"], epochs)
    return [p - n for p, n in zip(entry[epochs]["test_accuracy"]["values"], normal)]


def permuted_markdown(results: dict) -> str:
    from ..metrics import summarize

    permuted = results["research"]["permuted_pixels"]
    epochs = str(permuted["epochs"])
    rows = []
    for name in ("mlp", "cnn"):
        entry = permuted["models"][name][epochs]["test_accuracy"]
        normal = _normal_accuracies(results, name, permuted["models"][name]["seeds"], epochs)
        if normal is None:
            rows.append([name.upper(), "n/a", format_mean_std(entry, percent=True), "n/a"])
            continue
        rows.append([name.upper(), format_mean_std(summarize(normal), percent=True),
                     format_mean_std(entry, percent=True), _pp(summarize(_permuted_changes(results, name)))])
    seeds = len(permuted["models"]["mlp"]["seeds"])
    title = (f"Test accuracy (%) after {epochs} epochs with the pixels in a fixed random order (as in permuted MNIST "
             f"{cite('goodfellow2013')}; {plural(seeds, 'seed')})")
    table = caption(results, title) + "\n\n" + markdown_table(
        ["Model", "original pixel order (same seeds)", "permuted pixels", "change (paired by seed)"], rows)
    cnn_normal = _normal_accuracies(results, "cnn", permuted["models"]["cnn"]["seeds"], epochs)
    if cnn_normal is None:
        return table
    cnn_permuted = permuted["models"]["cnn"][epochs]["test_accuracy"]["mean"]
    kept = cnn_permuted / (sum(cnn_normal) / len(cnn_normal))
    cnn_change = summarize(_permuted_changes(results, "cnn"))
    return (table + f"\n\nOver {plural(seeds, 'seed')} the CNN's accuracy changes by {_pp(cnn_change)} and the "
            f"MLP's by {_pp(summarize(_permuted_changes(results, 'mlp')))}; on permuted pixels the CNN still reads "
            f"{100 * cnn_permuted:.2f}% of the test digits, {100 * kept:.0f}% of its accuracy with the original order"
            f"{_layout_phrase(cnn_change, kept)}.")


#: Every verdict word the table uses, and what it means (printed under the table as its legend).
VERDICTS = {
    "supported": "the 95% interval over seeds lies on the claimed side of 0",
    "partly supported": "the 95% interval lies on the claimed side of 0, but other numbers in the row show that "
                        "the claim goes further than the measurement",
    "contradicted": "the 95% interval lies on the other side of 0",
    "not shown": "the interval includes 0 (or there is only one seed)",
    "mixed": "supported for some of the measurements in the row and not for others",
    "false": "a count, not a measurement, and it says the opposite",
}


def _verdict(summary: dict, better_if_positive: bool = True) -> str:
    """'supported' when the 95% interval is on the claimed side of 0, 'contradicted' on the other side."""
    if summary.get("ci_low") is None:
        return "not shown"
    low, high = (summary["ci_low"], summary["ci_high"]) if better_if_positive else (-summary["ci_high"], -summary["ci_low"])
    if low > 0:
        return "supported"
    if high < 0:
        return "contradicted"
    return "not shown"


#: The architecture claim is only partly supported when the best-matched MLP closes at least this share
#: of the CNN − MLP gap (size then explains part of it).
SIZE_SHARE = 0.1
#: The spatial-layout claim is only partly supported when the CNN on permuted pixels keeps at least this
#: share of its accuracy with the original pixel order (it then does not depend on the layout).
LAYOUT_KEPT = 0.9


def _combined(verdicts: list[str]) -> str:
    if len(set(verdicts)) == 1:
        return verdicts[0]
    return "mixed"


def _robustness_exceptions(results: dict) -> list[str]:
    """Where the claim 'the CNN is more robust' goes further than the robustness curves: the levels at which
    the CNN − MLP interval (paired by seed) does not lie above 0, the levels at which an MLP control reads more
    than the CNN (means), and the table's levels at which another CNN reads less than the MLP (means)."""
    curves = results["research"]["robustness"]["curves"]
    out, weak, above, below = [], [], {}, {}
    for transform, curve in curves.items():
        for index, level in enumerate(curve["levels"]):
            if "values" in curve["cnn"][index] and "values" in curve["mlp"][index]:
                diff = _paired(curve["cnn"][index], curve["mlp"][index])
                if diff.get("ci_low") is None or diff["ci_low"] <= 0:
                    weak.append(f"{transform} {level} ({_pp(diff)})")
        for name in (n for n in curve if n.startswith("mlp") and n != "mlp"):
            levels = [str(level) for index, level in enumerate(curve["levels"])
                      if curve[name][index]["mean"] > curve["cnn"][index]["mean"]]
            if levels:
                above.setdefault(name, []).append(f"{transform} {join_words(levels)}")
        if transform in ROBUSTNESS_POINTS:
            index = curve["levels"].index(ROBUSTNESS_POINTS[transform])
            for name in (n for n in curve if n.startswith("cnn") and n != "cnn"):
                if curve[name][index]["mean"] < curve["mlp"][index]["mean"]:
                    below.setdefault(name, []).append(
                        f"{transform} {ROBUSTNESS_POINTS[transform]} ({100 * curve[name][index]['mean']:.1f}% "
                        f"against {100 * curve['mlp'][index]['mean']:.1f}%)")
    if weak:
        out.append("the CNN − MLP interval does not lie above 0 at " + join_words(weak))
    out += [f"the {text_name(name)} reads more than the CNN at {'; '.join(parts)} (means)"
            for name, parts in above.items()]
    out += [f"the {text_name(name)}, another CNN, reads less than the MLP at {join_words(parts)}"
            for name, parts in below.items()]
    return out


def robustness_claim(results: dict) -> tuple[str, str, list[str]]:
    """The verdict on 'the CNN is more robust to transformed input' (the verdicts table and the corrected
    tables of the original report use this one), the CNN − MLP differences at the levels of
    ROBUSTNESS_POINTS, and where the curves show the claim going further than those points: 'supported' at
    every point becomes 'partly supported' when there are such exceptions."""
    parts, verdicts = [], []
    for transform, level, _, _, diff in _robustness_points(results):
        parts.append(f"{transform} {level}: {_pp(diff)}")
        verdicts.append(_verdict(diff))
    counts = {word: verdicts.count(word) for word in dict.fromkeys(verdicts)}
    measured = ("CNN − MLP: " + "; ".join(parts) + " (" + ", ".join(f"{word}: {n}" for word, n in counts.items())
                + ")")
    verdict, exceptions = _combined(verdicts), _robustness_exceptions(results)
    if verdict == "supported" and exceptions:
        verdict = "partly supported"
    return verdict, measured, exceptions


def verdicts_rows(results: dict) -> list[list[str]]:
    """[claim, what was measured, verdict] for each claim of the original report."""
    from ..metrics import summarize
    from ..preprocessing import METHOD_LABELS, METHODS

    research = results["research"]
    last = str(research["epochs"])
    s = results["summary"]
    comparisons = {str(c["epochs"]): c for c in results["comparisons"]}
    rows = []
    mlp_p, cnn_p = s["mlp"]["parameters"], s["cnn"]["parameters"]
    rows.append(["The CNN has fewer parameters than the MLP", f"CNN {cnn_p:,} vs MLP {mlp_p:,}",
                 "false" if cnn_p > mlp_p else "supported"])
    for epochs, comparison in comparisons.items():
        diff = comparison["mlp_minus_cnn"]["test_accuracy"]
        significant = sum(t["p_value"] < 0.05 for t in comparison["mcnemar"])
        rows.append([f"The CNN is more accurate on the test set ({epochs} epochs)",
                     f"CNN − MLP {_pp(_negated(diff))}; "
                     f"McNemar {cite('mcnemar1947')} p < 0.05 in {significant} of "
                     f"{plural(len(comparison['mcnemar']), 'seed')}",
                     _verdict(diff, better_if_positive=False)])
    gap = _negated(comparisons[last]["mlp_minus_cnn"]["accuracy_gap"])
    verdict, ceiling = _verdict(gap, better_if_positive=False), ceiling_caveat(results, last)
    if ceiling and verdict == "supported":
        verdict = "partly supported"
    rows.append([f"The CNN overfits less (train − test accuracy, {last} epochs)",
                 f"CNN − MLP gap {_pp(gap)}" + (f". {ceiling}" if ceiling else ""), verdict])
    parts, verdicts = [], []
    for name, control in mlp_controls(results).items():
        cnn_values = _normal_accuracies(results, "cnn", control.get("seeds", research["seeds"]), last)
        diff = _paired({"values": cnn_values}, control[last]["test_accuracy"])
        parts.append(f"{text_name(name)}, {control['parameters']:,} parameters: {_pp(diff)}")
        verdicts.append(_verdict(diff))
    if parts:
        verdict, measured = _combined(verdicts), "CNN − MLP of " + "; ".join(parts)
        closed = {name: gap_closed(results, name) for name in mlp_controls(results)}
        closed = {name: c for name, c in closed.items() if c and c["share"] is not None}
        if closed:
            most = max(closed, key=lambda name: closed[name]["share"])
            if closed[most]["share"] >= SIZE_SHARE and gain_detected(closed[most]):
                measured += (f". The {text_name(most)} closes {100 * closed[most]['share']:.0f}% of the gap "
                             f"between the MLP and the CNN ({gap_numbers(closed[most])}, paired by seed): size "
                             "explains part of it")
                if verdict == "supported":
                    verdict = "partly supported"
        rows.append(["The CNN's advantage is its architecture, not its size", measured, verdict])
    verdict, measured, exceptions = robustness_claim(results)
    rows.append(["The CNN is more robust to transformed input",
                 measured + (". But on the whole curves " + "; ".join(exceptions) if exceptions else ""), verdict])
    drawings = research["user_drawings"]["accuracy"]
    other = research.get("other_handwriting", {}).get("accuracy")
    parts, verdicts = [], []
    for source, accuracy in (("MNIST drawn", drawings), ("other writers", other)):
        if not accuracy:
            continue
        for method in [m for m in METHODS if m in accuracy["cnn"]]:
            diff = _paired(accuracy["cnn"][method], accuracy["mlp"][method])
            parts.append(f"{source}, {METHOD_LABELS[method]}: {_pp(diff)}")
            verdicts.append(_verdict(diff))
    rows.append(["The CNN reads user drawings better", "CNN − MLP, " + "; ".join(parts), _combined(verdicts)])
    for name in ("mlp", "cnn"):
        gain = _paired(drawings[name]["bbox"], drawings[name]["naive"])
        rows.append([f"Cropping and padding the drawing helps ({name.upper()})",
                     f"crop + 20% padding − plain resize: {_pp(gain)}", _verdict(gain)])
    permuted = research["permuted_pixels"]
    epochs = str(permuted["epochs"])
    drops = {name: _permuted_changes(results, name) for name in ("mlp", "cnn")}
    extra = summarize([c - m for c, m in zip(drops["cnn"], drops["mlp"])])
    cnn_permuted = permuted["models"]["cnn"][epochs]["test_accuracy"]["mean"]
    cnn_normal = _normal_accuracies(results, "cnn", permuted["models"]["cnn"]["seeds"], epochs)
    kept = cnn_permuted / (sum(cnn_normal) / len(cnn_normal))
    verdict = _verdict(extra, better_if_positive=False)
    if verdict == "supported" and kept >= LAYOUT_KEPT:
        verdict = "partly supported"
    rows.append(["The CNN uses the spatial layout of the image (the MLP cannot)",
                 f"{plural(len(permuted['models']['cnn']['seeds']), 'seed')}, {epochs} epochs; accuracy change when "
                 f"the pixels are permuted {cite('goodfellow2013')}: MLP {_pp(summarize(drops['mlp']))}, CNN {_pp(summarize(drops['cnn']))}; "
                 f"CNN − MLP {_pp(extra)}. On permuted pixels the CNN still reads {100 * cnn_permuted:.2f}% of the "
                 f"test digits ({100 * kept:.0f}% of its accuracy with the original order)"
                 + _layout_phrase(summarize(drops["cnn"]), kept), verdict])
    return rows


def _layout_phrase(cnn_change: dict, kept: float) -> str:
    """': it uses the layout but does not depend on it', from the CNN's paired change on permuted pixels
    and the share of its accuracy it keeps."""
    uses = cnn_change.get("ci_high") is not None and cnn_change["ci_high"] < 0
    if uses and kept >= LAYOUT_KEPT:
        return ": it uses the layout but does not depend on it"
    if uses:
        return ": it uses the layout"
    return ": its drop is not distinguishable from 0 with these seeds"


def _seed_counts(results: dict) -> str:
    """How many seeds the intervals of the verdicts table rest on, model by model, counted from results."""
    research = results["research"]
    groups: dict[int, list[str]] = {}
    groups.setdefault(len(results["config"]["seeds"]), []).extend(["the MLP", "the CNN"])
    for name, control in mlp_controls(results).items():
        groups.setdefault(len(control.get("seeds", research["seeds"])), []).append(f"the {text_name(name)}")
    permuted = research.get("permuted_pixels", {}).get("models", {})
    if permuted:
        count = len(next(iter(permuted.values()))["seeds"])
        groups.setdefault(count, []).append("the permuted-pixel runs")
    return "; ".join(f"{plural(count, 'seed')} for {join_words(names)}"
                     for count, names in sorted(groups.items(), reverse=True))


def verdicts_markdown(results: dict) -> str:
    """Each claim of the original report, what was measured, and the verdict (with the legend of every word used)."""
    rows = verdicts_rows(results)
    used = dict.fromkeys(row[2] for row in rows)
    note = ("\n\nVerdicts: " + "; ".join(f"*{word}*: {VERDICTS[word]}" for word in used) + ". "
            f"Intervals are over {_seed_counts(results)}.")
    return caption(results, f"The original report's {cite('original')} claims, tested") + "\n\n" + markdown_table(
        ["Claim of the original report", "Measured", "Verdict"], rows) + note


def improved_markdown(results: dict) -> str:
    """The appendix's improved CNN next to the original report's CNN: test accuracy and user-like drawings."""
    research = results["research"]
    improved = research.get("improved_cnn")
    if not improved:
        return "The improved CNN has not been trained yet (run `python -m mnist_compare run`)."
    epochs = str(improved["epochs"])
    seeds = improved["seeds"]
    report_runs = [r for r in results["runs"] if r["model"] == "cnn" and r["seed"] in seeds]
    drawings = research["user_drawings"]["accuracy"]["cnn"]
    rows = []
    for label, parameters, test, naive, bbox, com in (
        ("CNN of the original report", results["summary"]["cnn"]["parameters"],
         sum(r["snapshots"][epochs]["test"]["accuracy"] for r in report_runs) / max(1, len(report_runs)),
         _seed_mean(drawings["naive"], seeds, research["seeds"]), _seed_mean(drawings["bbox"], seeds, research["seeds"]),
         _seed_mean(drawings["bbox_com"], seeds, research["seeds"])),
        ("Improved CNN (BatchNorm, dropout, ±2 px shifts)", improved["summary"]["parameters"],
         improved["summary"][epochs]["test_accuracy"]["mean"], improved["user_drawings"]["naive"]["mean"],
         improved["user_drawings"]["bbox"]["mean"], improved["user_drawings"]["bbox_com"]["mean"]),
    ):
        rows.append([label, f"{parameters:,}", f"{100 * test:.2f}", f"{100 * naive:.1f}", f"{100 * bbox:.1f}",
                     f"{100 * com:.1f}"])
    seed_text = ", ".join(map(str, seeds))
    which = (f"seed {seed_text} only, so no interval" if len(seeds) == 1 else
             f"seeds {seed_text}, mean")
    return caption(results, f"Appendix: an improved CNN after {epochs} epochs ({which})") + "\n\n" + markdown_table(
        ["Model", "Parameters", "Test accuracy (%)", "Drawings: plain resize (%)", "Drawings: crop + 20% pad (%)",
         "Drawings: crop + pad + centre of mass (%)"], rows) + "\n\n" + _improved_differences(results)


def _improved_differences(results: dict) -> str:
    """What the improved CNN changes besides the architecture (it is not the same setup as the original
    report's CNN), what it shares, and its measured cost per epoch against that CNN's."""
    import numpy as np

    research = results["research"]
    improved = research["improved_cnn"]
    grid_epochs, epochs = research["epochs"], improved["epochs"]
    config = results["config"]
    shared = [f"the optimizer ({config['optimizer']} {cite('kingma2015')}, learning rate {config['learning_rate']:g})",
              f"the batch size ({config['batch_size']})"]
    changed = ["the architecture (a second convolution block, BatchNorm, dropout)",
               "the training data (every training image moved by up to ±2 pixels at random each epoch: augmentation)"]
    if epochs == grid_epochs:
        shared.append(f"the number of epochs ({epochs})")
    else:
        changed.append(f"the number of epochs ({epochs} against {grid_epochs})")
    text = (f"It is not the original report's CNN in the same setup: it changes {join_words(changed)}, and shares "
            f"{join_words(shared)}. Its gain cannot be credited to any one of these changes.")
    seconds = improved.get("seconds_per_epoch") or improved["summary"].get("seconds_per_epoch", {}).get("values")
    cnn_seconds = research.get("cost", {}).get("cnn", {}).get("seconds_per_epoch")
    if seconds and cnn_seconds:
        ours = float(np.median(seconds))
        theirs = float(np.median(cnn_seconds.get("values") or [cnn_seconds["mean"]]))
        text += (f" An epoch takes {ours:.2f} s against the original report's CNN's {theirs:.2f} s (medians): "
                 f"{ours / theirs:.1f}× as long.")
    return text
