"""Tables and sentences rendered from results.json, so no number is typed by hand."""

from __future__ import annotations

import re
from pathlib import Path

from . import config, storage
from .metrics import format_mean_std

#: Rows of the original report's comparison table: (label, summary key, percent?, digits).
COMPARISON_ROWS = (
    ("Train accuracy (%)", "train_accuracy", True, 2),
    ("Test accuracy (%)", "test_accuracy", True, 2),
    ("Train loss", "train_loss", False, 4),
    ("Test loss", "test_loss", False, 4),
    ("Overfitting gap, accuracy (pp)", "accuracy_gap", True, 2),
    ("Overfitting gap, loss", "loss_gap", False, 4),
)
README_START = "<!-- results-table:start -->"
README_END = "<!-- results-table:end -->"


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


def results_markdown(results: dict) -> str:
    """The README's results section: one table per snapshot epoch, plus provenance."""
    parts = []
    if not results.get("comparisons"):
        return "Results need both models (MLP and CNN) for the comparison table."
    if results.get("fast"):
        parts.append(f"**{config.FAST_LABEL}**\n")
    for epochs in results["config"]["snapshot_epochs"]:
        parts.append(f"**After {epochs} epoch{'s' if epochs != 1 else ''}** "
                     f"(mean ± std over {seeds_phrase(results)}):\n")
        parts.append(markdown_table(["Metric", "MLP", "CNN", "MLP − CNN"],
                                    comparison_rows(results, epochs)) + "\n")
    summary = results["summary"]
    parts.append(
        f"Parameters: MLP {summary['mlp']['parameters']:,}, CNN {summary['cnn']['parameters']:,}. "
        f"Data: {results['provenance']['split_sizes']['train']:,} training, "
        f"{results['provenance']['split_sizes']['validation']:,} validation, "
        f"{results['provenance']['split_sizes']['test']:,} test images. "
        f"Source: `reports/results.json` (commit "
        f"`{(results['provenance']['git'].get('commit') or 'unknown')[:10]}`, "
        f"{results['provenance']['created'][:10]}). {device_sentence(results)}"
    )
    return "\n".join(parts)


def update_readme_block(name: str, markdown: str, readme: Path | None = None) -> bool:
    """Replace the README block between ``<!-- name:start -->`` and ``<!-- name:end -->``."""
    readme = readme or config.PROJECT_ROOT / "README.md"
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        return False
    new_text = pattern.sub(lambda _: f"{start}\n{markdown}\n{end}", text)
    if new_text != text:
        storage.write_text(readme, new_text)
    return True


def update_readme(results: dict, readme: Path | None = None) -> bool:
    """Replace the README's results block with one rendered from ``results``."""
    updated = update_readme_block("results-table", results_markdown(results), readme)
    if updated and "research" in results and results.get("comparisons"):
        update_readme_block("verdicts-table", verdicts_markdown(results), readme)
    return updated


def caption(results: dict, text: str) -> str:
    """A table caption, marked FAST when the results come from fast mode."""
    return f"**{text}** [{config.FAST_LABEL}]" if results.get("fast") else f"**{text}**"


def _interval(summary: dict, *, percent: bool, digits: int) -> str:
    if summary.get("ci_low") is None:
        return "n/a (1 seed)"
    scale = 100.0 if percent else 1.0
    return f"[{summary['ci_low'] * scale:.{digits}f}, {summary['ci_high'] * scale:.{digits}f}]"


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
    """The original report's 5/10-epoch table, with mean ± std over seeds and MLP − CNN."""
    parts = []
    for epochs in results["config"]["snapshot_epochs"]:
        parts.append(caption(results, f"After {epochs} epoch{'s' if epochs != 1 else ''} "
                                      f"(mean ± std over {seeds_phrase(results)})"))
        parts.append(markdown_table(["Metric", "MLP", "CNN", "MLP − CNN"], comparison_rows(results, epochs)))
    parts.append(device_sentence(results))
    return "\n\n".join(parts)


def intervals_markdown(results: dict) -> str:
    """Test accuracy with 95% intervals, and the paired MLP − CNN difference."""
    rows = []
    for comparison in results["comparisons"]:
        e = str(comparison["epochs"])
        diff = comparison["mlp_minus_cnn"]["test_accuracy"]
        rows.append([e] + [f"{100 * results['summary'][n][e]['test_accuracy']['mean']:.2f} "
                           f"{_interval(results['summary'][n][e]['test_accuracy'], percent=True, digits=2)}"
                           for n in ("mlp", "cnn")]
                    + [f"{100 * diff['mean']:+.2f} {_interval(diff, percent=True, digits=2)}"])
    return caption(results, "Test accuracy (%), mean and 95% interval over seeds") + "\n\n" + markdown_table(
        ["Epochs", "MLP", "CNN", "MLP − CNN (paired by seed)"], rows)


def mcnemar_markdown(results: dict) -> str:
    """McNemar's exact test of MLP vs CNN test predictions, per seed and snapshot."""
    rows = []
    for comparison in results["comparisons"]:
        for test in comparison["mcnemar"]:
            rows.append([str(comparison["epochs"]), str(test["seed"]), f"{test['a_only']}", f"{test['b_only']}",
                         f"{test['both_wrong']}", f"{test['p_value']:.1e}"])
    return caption(results, "McNemar's exact test, MLP vs CNN on the same test images") + "\n\n" + markdown_table(
        ["Epochs", "Seed", "only MLP right", "only CNN right", "both wrong", "p-value"], rows)


def epoch_change(results: dict, name: str, key: str = "test_accuracy") -> dict:
    """Paired (same seed) change of a metric from the first to the last snapshot."""
    from .experiments import SUMMARY_METRICS
    from .metrics import summarize

    part, field = SUMMARY_METRICS[key]
    first, last = (str(e) for e in (min(results["config"]["snapshot_epochs"]),
                                     max(results["config"]["snapshot_epochs"])))
    runs = [r for r in results["runs"] if r["model"] == name]
    return summarize([r["snapshots"][last][part][field] - r["snapshots"][first][part][field] for r in runs])


def confused_pairs_markdown(results: dict, epochs: int, top: int = 5) -> str:
    """The most frequent (true → predicted) mistakes of each model, summed over seeds."""
    import numpy as np

    from .metrics import most_confused_pairs

    rows = []
    for name in ("mlp", "cnn"):
        matrix = np.sum([r["snapshots"][str(epochs)]["confusion"] for r in results["runs"] if r["model"] == name],
                        axis=0)
        for pair in most_confused_pairs(matrix, top=top):
            rows.append([name.upper(), f"{pair['true']} → {pair['predicted']}", str(pair["count"])])
    return caption(results, f"Most confused pairs after {epochs} epochs (test set, summed over seeds)") + \
        "\n\n" + markdown_table(["Model", "true → predicted", "count"], rows)


def _excludes_zero(summary: dict) -> bool | None:
    if summary.get("ci_low") is None:
        return None
    return summary["ci_low"] > 0 or summary["ci_high"] < 0


def conclusions_markdown(results: dict, parameters: dict) -> str:
    """The conclusions as sentences, every number taken from ``results`` (and the built models)."""
    last = max(results["config"]["snapshot_epochs"])
    first = min(results["config"]["snapshot_epochs"])
    s = results["summary"]
    comparison = next(c for c in results["comparisons"] if c["epochs"] == last)
    diff = comparison["mlp_minus_cnn"]
    significant = sum(test["p_value"] < 0.05 for test in comparison["mcnemar"])
    n = len(comparison["mcnemar"])
    lines = []
    if results.get("fast"):
        lines.append(f"**{config.FAST_LABEL}: these sentences only show the wiring; the numbers are not results.**")

    def pct(summary, key="mean"):
        return f"{100 * summary[key]:.2f}"

    better = "CNN" if diff["test_accuracy"]["mean"] < 0 else "MLP"
    lines.append(
        f"- **Accuracy.** After {last} epochs the CNN reaches {pct(s['cnn'][str(last)]['test_accuracy'])}% test "
        f"accuracy and the MLP {pct(s['mlp'][str(last)]['test_accuracy'])}% (means over {seeds_phrase(results)}). "
        f"The {better} is ahead by {abs(100 * diff['test_accuracy']['mean']):.2f} percentage points"
        + (f" (95% interval of MLP − CNN: {_interval(diff['test_accuracy'], percent=True, digits=2)} pp)"
           if diff['test_accuracy'].get('ci_low') is not None else "")
        + f", and McNemar's exact test on the same test images finds the difference significant (p < 0.05) "
        f"for {significant} of {n} seed(s).")
    ratio = parameters["cnn"] / parameters["mlp"]
    lines.append(
        f"- **Size.** The CNN has {parameters['cnn']:,} parameters and the MLP {parameters['mlp']:,}: the CNN is "
        f"{ratio:.1f} times larger, because its dense layer reads 13×13×32 = 5,408 features. The original report "
        "says the CNN has fewer parameters; that is false for these two models.")
    gap_diff = diff["accuracy_gap"]
    lines.append(
        f"- **Overfitting.** The gap between training and test accuracy after {last} epochs is "
        f"{pct(s['mlp'][str(last)]['accuracy_gap'])} pp for the MLP and {pct(s['cnn'][str(last)]['accuracy_gap'])} pp "
        f"for the CNN; MLP − CNN = {100 * gap_diff['mean']:+.2f} pp"
        + (f", interval {_interval(gap_diff, percent=True, digits=2)}"
           + (" (excludes 0)" if _excludes_zero(gap_diff) else " (includes 0)")
           if gap_diff.get("ci_low") is not None else "")
        + ". Both gaps are small; the gap is a difference of accuracies, not a separate quantity the "
        "models optimise.")
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
                     + f". Over the same epochs training accuracy changes by {100 * train['mlp']['mean']:+.2f} pp "
                       f"(MLP) and {100 * train['cnn']['mean']:+.2f} pp (CNN), and the overfitting gap by "
                       f"{100 * gap['mlp']['mean']:+.2f} pp and {100 * gap['cnn']['mean']:+.2f} pp.")
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
            f"{len(runs)} seed(s).")
    best = [int(max(range(len(r["history"]["val_accuracy"])), key=lambda i: r["history"]["val_accuracy"][i])) + 1
            for r in runs]
    lines.append(f"- The best validation accuracy came at epoch {', '.join(map(str, best))} "
                 f"(one number per seed).")
    return "\n".join(lines)


def splits_markdown(splits, *, fast: bool) -> str:
    """The train / validation / test sizes every experiment uses."""
    rows = [[name, f"{size:,}", "28×28×1 float32 in [0, 1]"] for name, size in splits.sizes().items()]
    return caption({"fast": fast}, "Splits used by every experiment") + "\n\n" + markdown_table(
        ["Split", "Images", "Model input"], rows)


def _target(met: bool, text: str) -> str:
    return f"{text}: {'met' if met else '**not met**'}"


def benchmark_markdown(benchmark: dict) -> str:
    """The benchmark as a table: training seconds per epoch, prediction latency, the whole pipeline,
    each against its target where it has one."""
    rows = []
    training = benchmark.get("training_speed")
    if training:
        for name in ("mlp", "cnn"):
            if name not in training:
                continue
            entry = training[name]
            compiled, speedup = entry["compiled"]["median_s"], entry["speedup"]
            target = (_target(compiled <= 0.5, "≤ 0.5 s") if name == "mlp"
                      else _target(compiled <= 3.0 and speedup >= 4.0, "≤ 3 s and ≥ 4x"))
            rows.append([f"{name.upper()} training, default `fit` (s/epoch)", f"{entry['default_fit']['median_s']:.2f}",
                         ", ".join(f"{v:.2f}" for v in entry["default_fit"]["epoch_s"]), ""])
            rows.append([f"{name.upper()} training, compiled trainer (s/epoch)", f"{compiled:.2f}",
                         ", ".join(f"{v:.2f}" for v in entry["compiled"]["epoch_s"])
                         + f" ({speedup:.1f}x faster)", target])
    latency = benchmark.get("demo_latency", {})
    labels = {"model_call_both_models": ("Model call, both models (ms)", "median", 1.0),
              "model_call_after_idle": ("… the same after a 5 ms pause, as in a server (ms)", None, None),
              "read_drawing_in_process": ("Preprocess + both models, in process (ms)", None, None),
              "read_drawing_after_idle": ("… the same after a 5 ms pause (ms)", None, None),
              "http_request_gradio_client": ("Whole request through the app, gradio_client (ms)", None, None),
              "http_request_raw": ("Whole request through the app, plain HTTP (ms)", "p95", 20.0),
              "http_upload_raw": ("… of which the upload (ms)", None, None),
              "http_predict_raw": ("… of which the prediction call (ms)", None, None),
              "http_request_raw_fixed_answer": ("Same request, app answering a fixed reading: Gradio's own cost (ms)",
                                                None, None),
              "http_request_bare_gradio": ("Least a Gradio app can do with that upload: image in, text out (ms)",
                                           None, None)}
    for key, (label, statistic, limit) in labels.items():
        if key in latency:
            entry = latency[key]
            target = ""
            if statistic is not None:
                value = entry["median_ms"] if statistic == "median" else entry["p95_ms"]
                target = _target(value <= limit, f"{statistic} ≤ {limit:g} ms")
            runs = f"p95 {entry['p95_ms']:.2f}"
            if len(entry.get("p95_rounds_ms", [])) > 1:
                runs += " (median of " + ", ".join(f"{v:.2f}" for v in entry["p95_rounds_ms"]) + ")"
            rows.append([label, f"{entry['median_ms']:.2f}", f"{runs}, n = {entry['n']}", target])
    pipeline = benchmark.get("pipeline")
    if pipeline:
        parts = [f"experiments {pipeline['experiments_s']:.0f} s"]
        if pipeline.get("research_s") is not None:
            parts.append(f"of which research {pipeline['research_s']:.0f} s")
        sections = pipeline.get("research_sections_s") or {}
        if sections.get("improved_cnn") is not None:
            parts.append(f"of which the appendix CNN {sections['improved_cnn']:.0f} s")
        parts.append(f"notebooks and export {pipeline['notebooks_and_export_s']:.0f} s")
        rows.append([f"Whole report from scratch, {len(pipeline['seeds'])} seeds (min)",
                     f"{pipeline['wall_s'] / 60:.1f}", "1 run: " + ", ".join(parts),
                     _target(pipeline["wall_s"] <= 480, "≤ 8 min")])
    header = ["Measure", "Median", "Runs", "Target"]
    when = {part: benchmark[part].get("created", benchmark.get("created", "?"))[:16]
            for part in ("training_speed", "demo_latency", "pipeline") if part in benchmark}
    dates = sorted(set(when.values()))
    return markdown_table(header, rows) + f"\n\nMeasured {', '.join(dates) if dates else '?'} on " \
        f"{benchmark.get('machine', {}).get('cpu_count', '?')} CPU cores."


# --- research section -------------------------------------------------------------------------

def _paired(a: dict, b: dict) -> dict:
    """Summary of the per-seed differences a − b of two research summaries (same seeds, same order)."""
    from .metrics import paired_differences, summarize

    return summarize(paired_differences(a["values"], b["values"]))


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
    from .preprocessing import METHOD_LABELS, METHODS

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
    from .metrics import summarize

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


def _verdict(summary: dict, better_if_positive: bool = True) -> str:
    """'supported' when the 95% interval is on the claimed side of 0, 'contradicted' on the other side."""
    if summary.get("ci_low") is None:
        return "one seed: not decided"
    low, high = (summary["ci_low"], summary["ci_high"]) if better_if_positive else (-summary["ci_high"], -summary["ci_low"])
    if low > 0:
        return "supported"
    if high < 0:
        return "contradicted"
    return "not shown (the interval includes 0)"


def verdicts_markdown(results: dict) -> str:
    """Each claim of the original report, what was measured, and the verdict."""
    from .metrics import summarize

    research = results["research"]
    last = str(research["epochs"])
    s = results["summary"]
    comparisons = {str(c["epochs"]): c for c in results["comparisons"]}
    rows = []
    mlp_p, cnn_p = s["mlp"]["parameters"], s["cnn"]["parameters"]
    rows.append(["The CNN has fewer parameters than the MLP", f"CNN {cnn_p:,} vs MLP {mlp_p:,}",
                 "false" if cnn_p > mlp_p else "true"])
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
    control = research["capacity_control"].get("mlp_wide")
    if control:
        cnn_runs = [r["snapshots"][last]["test"]["accuracy"] for r in results["runs"] if r["model"] == "cnn"]
        wide = control[last]["test_accuracy"]
        diff = _paired({"values": cnn_runs}, wide)
        rows.append(["The CNN's advantage is its architecture, not its size",
                     f"CNN − MLP of {control['parameters']:,} parameters: {_pp(diff)}", _verdict(diff)])
    parts, verdicts = [], []
    for transform, level, _, _, diff in _robustness_points(results):
        parts.append(f"{transform} {level}: {_pp(diff)}")
        verdicts.append(_verdict(diff))
    supported = verdicts.count("supported")
    contradicted = verdicts.count("contradicted")
    if any(v.startswith("one seed") for v in verdicts):
        overall = "one seed: not decided"
    elif supported == len(verdicts):
        overall = "supported"
    else:
        overall = (f"partly: better under {supported}, worse under {contradicted}, no difference under "
                   f"{len(verdicts) - supported - contradicted} of {len(verdicts)} transforms")
    rows.append(["The CNN is more robust to transformed input", "CNN − MLP: " + "; ".join(parts), overall])
    drawings = research["user_drawings"]["accuracy"]
    diff = _paired(drawings["cnn"]["bbox"], drawings["mlp"]["bbox"])
    rows.append(["The CNN reads user drawings better", f"CNN − MLP with the crop + 20% padding: {_pp(diff)}",
                 _verdict(diff)])
    for name in ("mlp", "cnn"):
        gain = _paired(drawings[name]["bbox"], drawings[name]["naive"])
        rows.append([f"Cropping and padding the drawing helps ({name.upper()})",
                     f"crop + 20% padding − plain resize: {_pp(gain)}", _verdict(gain)])
    permuted = research["permuted_pixels"]
    drops = {name: _permuted_changes(results, name) for name in ("mlp", "cnn")}
    extra = summarize([c - m for c, m in zip(drops["cnn"], drops["mlp"])])
    rows.append(["The CNN uses the spatial layout of the image (the MLP cannot)",
                 f"accuracy change when the pixels are permuted: MLP {_pp(summarize(drops['mlp']))}, "
                 f"CNN {_pp(summarize(drops['cnn']))}; CNN − MLP {_pp(extra)}",
                 _verdict(extra, better_if_positive=False)])
    permuted_seeds = len(permuted["models"]["mlp"]["seeds"])
    note = (f"\n\nVerdicts: *supported* when the 95% interval over seeds lies on the claimed side of 0, "
            f"*contradicted* when it lies on the other side. Intervals are over {len(research['seeds'])} seed(s) "
            f"({permuted_seeds} for the permuted pixels).")
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


def _seed_mean(summary: dict, seeds, all_seeds) -> float:
    """Mean of a research summary's per-seed values restricted to ``seeds``."""
    values = [v for seed, v in zip(all_seeds, summary["values"]) if seed in seeds]
    return sum(values) / len(values)
