"""The original report's claims, tested: cost, controls, robustness, drawings, permuted pixels, verdicts."""

from __future__ import annotations

from ..metrics import format_mean_std
from .common import _negated, _paired, _pp, _seed_mean, caption, markdown_table, mlp_controls


def cost_markdown(results: dict) -> str:
    cost = results["research"]["cost"]
    rows = []
    for name in ("mlp", "cnn"):
        entry = cost[name]
        rows.append([name.upper(), f"{entry['parameters']:,}", f"{entry['forward_macs_per_image'] / 1e6:.2f} M",
                     f"{entry['training_flops_per_image'] / 1e6:.1f} M",
                     format_mean_std(entry["seconds_per_epoch"], digits=2),
                     f"{entry['milliseconds_per_prediction']:.2f}"])
    return caption(results, "Cost of each model") + "\n\n" + markdown_table(
        ["Model", "Parameters", "Multiply-adds per image (forward)", "Training FLOPs per image (≈ 6 × MACs)",
         "Seconds per training epoch (mean ± std over seeds)", "ms per prediction (one image)"], rows)


ROBUSTNESS_POINTS = {"shift": 4, "rotation": 30, "scale": 0.6, "noise": 0.3}


def _robustness_points(results: dict):
    """(transform, level, MLP summary, CNN summary, paired CNN − MLP) at each level of ROBUSTNESS_POINTS."""
    curves = results["research"]["robustness"]["curves"]
    for transform, level in ROBUSTNESS_POINTS.items():
        index = curves[transform]["levels"].index(level)
        mlp, cnn = curves[transform]["mlp"][index], curves[transform]["cnn"][index]
        yield transform, level, mlp, cnn, _paired(cnn, mlp)


def robustness_markdown(results: dict) -> str:
    """Accuracy at one telling level of each transform, and the paired CNN − MLP difference."""
    units = results["research"]["robustness"]["units"]
    rows = [[f"{transform} {level} {units[transform]}", f"{100 * mlp['mean']:.2f}", f"{100 * cnn['mean']:.2f}", _pp(diff)]
            for transform, level, mlp, cnn, diff in _robustness_points(results)]
    return caption(results, "Accuracy (%) on transformed test images") + "\n\n" + markdown_table(
        ["Transform", "MLP", "CNN", "CNN − MLP (paired by seed, 95% CI)"], rows)


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
    """The parameter-matched control next to the two models of the report."""
    research = results["research"]
    last = str(research["epochs"])
    rows = []
    for name, label in (("mlp", "MLP (report)"), ("cnn", "CNN (report)")):
        s = results["summary"][name][last]
        rows.append([label, f"{results['summary'][name]['parameters']:,}", format_mean_std(s["test_accuracy"], percent=True),
                     format_mean_std(s["accuracy_gap"], percent=True)])
    for name, entry in research["capacity_control"].items():
        s = entry[last]
        rows.append([f"{name} (control)", f"{entry['parameters']:,}", format_mean_std(s["test_accuracy"], percent=True),
                     format_mean_std(s["accuracy_gap"], percent=True)])
    return caption(results, f"Parameter-matched control after {last} epochs (mean ± std over seeds)") + "\n\n" + \
        markdown_table(["Model", "Parameters", "Test accuracy (%)", "Overfitting gap (pp)"], rows)


def _normal_accuracies(results: dict, name: str, seeds, epochs: str) -> list[float] | None:
    """Test accuracies of the grid's runs of ``name`` for ``seeds`` (in that order), or None if one is missing."""
    by_seed = {r["seed"]: r["snapshots"][epochs]["test"]["accuracy"] for r in results["runs"]
               if r["model"] == name and epochs in r["snapshots"]}
    if not all(seed in by_seed for seed in seeds):
        return None
    return [by_seed[seed] for seed in seeds]


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
    return caption(results, f"Test accuracy (%) after {epochs} epochs with the pixels in a fixed random order "
                            f"({len(permuted['models']['mlp']['seeds'])} seeds)") + "\n\n" + markdown_table(
        ["Model", "original pixel order (same seeds)", "permuted pixels", "change (paired by seed)"], rows)


#: Every verdict word the table uses, and what it means (printed under the table as its legend).
VERDICTS = {
    "supported": "the 95% interval over seeds lies on the claimed side of 0",
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


def _combined(verdicts: list[str]) -> str:
    if len(set(verdicts)) == 1:
        return verdicts[0]
    return "mixed"


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
                     f"McNemar p < 0.05 in {significant}/{len(comparison['mcnemar'])} seeds",
                     _verdict(diff, better_if_positive=False)])
    gap = comparisons[last]["mlp_minus_cnn"]["accuracy_gap"]
    rows.append([f"The CNN overfits less (train − test accuracy, {last} epochs)", f"MLP − CNN gap {_pp(gap)}",
                 _verdict(gap)])
    parts, verdicts = [], []
    for name, control in mlp_controls(results).items():
        cnn_values = _normal_accuracies(results, "cnn", control.get("seeds", research["seeds"]), last)
        diff = _paired({"values": cnn_values}, control[last]["test_accuracy"])
        parts.append(f"{control['parameters']:,}-parameter {name.replace('_', ' ')}: {_pp(diff)}")
        verdicts.append(_verdict(diff))
    if parts:
        rows.append(["The CNN's advantage is its architecture, not its size", "CNN − MLP of " + "; ".join(parts),
                     _combined(verdicts)])
    parts, verdicts = [], []
    for transform, level, _, _, diff in _robustness_points(results):
        parts.append(f"{transform} {level}: {_pp(diff)}")
        verdicts.append(_verdict(diff))
    counts = {word: verdicts.count(word) for word in dict.fromkeys(verdicts)}
    rows.append(["The CNN is more robust to transformed input",
                 "CNN − MLP: " + "; ".join(parts) + " (" + ", ".join(f"{word}: {n}" for word, n in counts.items()) + ")",
                 _combined(verdicts)])
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
    drops = {name: _permuted_changes(results, name) for name in ("mlp", "cnn")}
    extra = summarize([c - m for c, m in zip(drops["cnn"], drops["mlp"])])
    rows.append(["The CNN uses the spatial layout of the image (the MLP cannot)",
                 f"accuracy change when the pixels are permuted: MLP {_pp(summarize(drops['mlp']))}, "
                 f"CNN {_pp(summarize(drops['cnn']))}; CNN − MLP {_pp(extra)}",
                 _verdict(extra, better_if_positive=False)])
    return rows


def verdicts_markdown(results: dict) -> str:
    """Each claim of the original report, what was measured, and the verdict (with the legend of every word used)."""
    research = results["research"]
    rows = verdicts_rows(results)
    permuted_seeds = len(research["permuted_pixels"]["models"]["mlp"]["seeds"])
    used = dict.fromkeys(row[2] for row in rows)
    note = ("\n\nVerdicts: " + "; ".join(f"*{word}*: {VERDICTS[word]}" for word in used) + ". "
            f"Intervals are over {len(research['seeds'])} seed(s) ({permuted_seeds} for the permuted pixels).")
    return caption(results, "The original report's claims, tested") + "\n\n" + markdown_table(
        ["Claim of the original report", "Measured", "Verdict"], rows) + note


def improved_markdown(results: dict) -> str:
    """The appendix's improved CNN next to the report's CNN: test accuracy and user-like drawings."""
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
        ("CNN of the report", results["summary"]["cnn"]["parameters"],
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
    return caption(results, f"Appendix: an improved CNN after {epochs} epochs (seed {seed_text} only, so no "
                            "interval)") + "\n\n" + markdown_table(
        ["Model", "Parameters", "Test accuracy (%)", "Drawings: plain resize (%)", "Drawings: crop + 20% pad (%)",
         "Drawings: crop + pad + centre of mass (%)"], rows)
