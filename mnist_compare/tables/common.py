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
    """[metric, MLP, CNN, CNN − MLP] rows with mean ± std over seeds (every difference in the report is
    CNN − MLP)."""
    epochs = str(epochs)
    summary = results["summary"]
    comparison = next(c for c in results["comparisons"] if str(c["epochs"]) == epochs)
    rows = []
    for label, key, percent, digits in COMPARISON_ROWS:
        rows.append([
            label,
            format_mean_std(summary["mlp"][epochs][key], percent=percent, digits=digits),
            format_mean_std(summary["cnn"][epochs][key], percent=percent, digits=digits),
            _signed(format_mean_std(_negated(comparison["mlp_minus_cnn"][key]), percent=percent, digits=digits)),
        ])
    return rows


def _signed(text: str) -> str:
    """'0.89 ± 0.05' → '+0.89 ± 0.05': a difference shows its sign."""
    return text if text.startswith(("-", "+")) else "+" + text


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 seed', '5 seeds' (``many`` for an irregular plural)."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def seeds_phrase(results: dict) -> str:
    return plural(len(results["config"]["seeds"]), "seed")


#: Display names of every model the report measures, as table rows (the two models the original
#: report built are marked as such).
MODEL_LABELS = {
    "mlp": "MLP 784-128-10 (original report)",
    "mlp_wide": "Wide MLP 784-680-10 (CNN's parameters)",
    "mlp_compute": "MLP 784-928-10 (CNN's multiply-adds)",
    "mlp_deep": "Deep MLP 784-256-128-10, L2",
    "cnn": "CNN (original report)",
    "cnn_gap": "CNN with global average pooling",
    "cnn_improved": "Improved CNN (appendix)",
}

#: The same models as named in a sentence ("the wide MLP (784-680-10) closes ...").
TEXT_NAMES = {
    "mlp": "MLP",
    "mlp_wide": "wide MLP (784-680-10)",
    "mlp_compute": "compute-matched MLP (784-928-10)",
    "mlp_deep": "deep MLP (784-256-128-10, L2)",
    "cnn": "CNN",
    "cnn_gap": "GAP CNN",
    "cnn_improved": "improved CNN",
}


def text_name(name: str) -> str:
    return TEXT_NAMES.get(name, name.replace("_", " "))


def join_words(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def provenance_line(results: dict) -> str:
    """Which commit produced results.json, and whether its working tree had uncommitted changes:
    'commit abcdef1234 with uncommitted changes', 'commit abcdef1234' or 'an unrecorded commit'."""
    git = results.get("provenance", {}).get("git", {}) or {}
    commit = git.get("commit")
    if not commit:
        return "an unrecorded commit"
    dirty = git.get("dirty")
    suffix = {True: " with uncommitted changes", False: "", None: " (uncommitted changes not recorded)"}[dirty]
    return f"commit {commit[:10]}{suffix}"


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


def _grid_accuracies(results: dict, name: str, seeds, epochs: str) -> list[float] | None:
    """Test accuracies of the grid's runs of ``name`` for ``seeds`` (in that order), or None if one is missing."""
    by_seed = {r["seed"]: r["snapshots"][epochs]["test"]["accuracy"] for r in results["runs"]
               if r["model"] == name and epochs in r["snapshots"]}
    if not all(seed in by_seed for seed in seeds):
        return None
    return [by_seed[seed] for seed in seeds]


def gap_closed(results: dict, name: str = "mlp_wide") -> dict | None:
    """How much of the CNN − MLP test-accuracy gap the MLP control ``name`` closes, on the control's seeds
    and at the grid's last epoch: the means of the MLP, the control and the CNN, and the share
    (control − MLP) / (CNN − MLP). None when the control or the runs are missing."""
    research = results.get("research", {})
    last = str(research.get("epochs", max(results["config"]["snapshot_epochs"])))
    control = mlp_controls(results).get(name) if "capacity_control" in research else None
    if not control or last not in control:
        return None
    seeds = control.get("seeds", research.get("seeds", results["config"]["seeds"]))
    mlp, cnn = (_grid_accuracies(results, model, seeds, last) for model in ("mlp", "cnn"))
    if mlp is None or cnn is None:
        return None
    from ..metrics import summarize

    values = control[last]["test_accuracy"].get("values") or [control[last]["test_accuracy"]["mean"]]
    means = {"mlp": sum(mlp) / len(mlp), "cnn": sum(cnn) / len(cnn), "control": sum(values) / len(values)}
    gap = means["cnn"] - means["mlp"]
    # Paired by seed: the control's gain over the MLP and the CNN's lead, each with its 95% interval.
    gain = summarize([c - m for c, m in zip(values, mlp)]) if len(values) == len(mlp) else None
    return {**means, "seeds": len(seeds), "share": (means["control"] - means["mlp"]) / gap if gap else None,
            "gain": gain, "lead": summarize([c - m for c, m in zip(cnn, mlp)])}


def gap_numbers(closed: dict) -> str:
    """'+0.23 [0.10, 0.36] of +0.89 [0.83, 0.95] pp': the control's gain over the MLP and the CNN's lead,
    paired by seed with their 95% intervals (means only when a control has no per-seed values)."""
    gain = closed.get("gain") or {"mean": closed["control"] - closed["mlp"]}
    lead = closed.get("lead") or {"mean": closed["cnn"] - closed["mlp"]}
    return f"{_diff(gain)} of {_diff(lead)} pp"


def share_closed_text(closed: dict) -> str:
    """'26%' of the gap, or 'none (0.07 pp below the MLP)' when the control is worse than the MLP."""
    if closed["share"] is None:
        return "n/a"
    if closed["share"] < 0:
        return f"none ({100 * (closed['mlp'] - closed['control']):.2f} pp below the MLP)"
    return f"{100 * closed['share']:.0f}%"


def closes_phrase(closed: dict) -> str:
    """'closes 26% of the gap between the MLP and the CNN', or 'does not close ...' for a control that is
    not above the MLP."""
    if closed["share"] is not None and closed["share"] > 0:
        return f"closes {share_closed_text(closed)} of the gap between the MLP and the CNN"
    return "does not close the gap between the MLP and the CNN"


def size_verdict(share: float) -> str:
    if share <= 0:
        return "size explains none of it"
    if share >= 1:
        return "size explains all of it"
    return "size explains part of it"


def gain_detected(closed: dict) -> bool:
    """Whether the control's gain over the MLP (paired by seed) has a 95% interval above 0; True when there
    is no interval to say otherwise (one seed), so the wording then rests on the means."""
    gain = closed.get("gain") or {}
    return gain.get("ci_low") is None or gain["ci_low"] > 0


def closed_verdict(closed: dict) -> str:
    """size_verdict of the share a control closes, unless its gain over the MLP is not distinguishable from
    0: then the share says nothing about size."""
    if closed["share"] > 0 and not gain_detected(closed):
        return ("its gain over the MLP is not distinguishable from 0 with these seeds, so the share says nothing "
                "about size")
    return size_verdict(closed["share"])


def gap_closed_sentence(results: dict, name: str = "mlp_wide") -> str:
    """'The wide MLP (784-680-10) closes 26% of the gap between the MLP and the CNN (...): size explains
    part of it, architecture the rest.' Empty when the control is missing."""
    closed = gap_closed(results, name)
    if not closed or closed["share"] is None:
        return ""
    numbers = (f"{100 * closed['mlp']:.2f}% → {100 * closed['control']:.2f}%, against the CNN's "
               f"{100 * closed['cnn']:.2f}%; {gap_numbers(closed)}, "
               + (f"paired by seed, 95% intervals over {plural(closed['seeds'], 'seed')}"
                  if (closed.get("gain") or {}).get("ci_low") is not None
                  else f"mean over {plural(closed['seeds'], 'seed')}"))
    return f"The {text_name(name)} {closes_phrase(closed)} ({numbers}): {closed_verdict(closed)}."


def calibration_contrast(results: dict, with_ece: bool = True) -> str:
    """Which model has the lower expected calibration error, and whether one makes more mistakes with at
    least 99% confidence (mean per run, with the paired CNN − MLP difference), in one sentence
    (``with_ece=False`` when the errors were just given). A difference whose 95% interval over seeds
    includes 0 is called what it is: no detectable difference."""
    from ..metrics import summarize
    from .original import cite

    section = results["research"]["calibration"]["models"]
    ece = {name: section[name]["ece"]["mean"] for name in ("mlp", "cnn")}
    mistakes = {name: section[name]["confident_mistakes"] for name in ("mlp", "cnn")}
    lower_ece = min(ece, key=ece.get)
    other = "mlp" if lower_ece == "cnn" else "cnn"

    def paired(key: str) -> dict | None:
        values = {name: section[name][key].get("values") for name in ("mlp", "cnn")}
        if values["mlp"] and values["cnn"] and len(values["mlp"]) == len(values["cnn"]) > 1:
            return summarize([c - m for c, m in zip(values["cnn"], values["mlp"])])
        return None

    def undetectable(diff: dict | None) -> bool:
        return diff is not None and diff["ci_low"] <= 0 <= diff["ci_high"]

    n = min(mistakes["mlp"].get("n", 1), mistakes["cnn"].get("n", 1))
    counts = (f"CNN {mistakes['cnn']['mean']:.1f}, MLP {mistakes['mlp']['mean']:.1f} test digits per run wrong "
              f"with at least 99% confidence, mean over {plural(n, 'seed')}")
    diff = paired("confident_mistakes")
    if diff is not None:
        counts += (f"; CNN − MLP {diff['mean']:+.1f}, 95% interval [{diff['ci_low']:.1f}, {diff['ci_high']:.1f}]"
                   + (", which includes 0" if undetectable(diff) else ""))
    else:
        counts += "; no interval"
    ece_diff = paired("ece")
    name = f"expected calibration error {cite('naeini2015', 'guo2017')}"
    if undetectable(ece_diff):
        opening = (f"The two models' {name} does not differ detectably"
                   + (f" (MLP {100 * ece['mlp']:.2f}%, CNN {100 * ece['cnn']:.2f}%" if with_ece else " (")
                   + f"{'; ' if with_ece else ''}CNN − MLP {_diff(ece_diff)} pp)")
        if undetectable(diff):
            return f"{opening}, and neither does the number of confident mistakes ({counts})."
        more = "cnn" if mistakes["cnn"]["mean"] > mistakes["mlp"]["mean"] else "mlp"
        return f"{opening}; the {more.upper()} makes more confident mistakes ({counts})."
    ece_text = f" ({100 * ece[lower_ece]:.2f}% against {100 * ece[other]:.2f}%)" if with_ece else ""
    if undetectable(diff):
        return (f"The {lower_ece.upper()} has the lower {name}{ece_text}; in confident mistakes there is no "
                f"detectable difference ({counts}).")
    if mistakes[lower_ece]["mean"] > mistakes[other]["mean"]:
        return f"The {lower_ece.upper()} has the lower {name}{ece_text} but more confident mistakes ({counts})."
    if mistakes[lower_ece]["mean"] < mistakes[other]["mean"]:
        return (f"The {lower_ece.upper()} has both the lower {name}{ece_text} and fewer "
                f"confident mistakes ({counts}).")
    return f"The {lower_ece.upper()} has the lower {name}{ece_text} and as many confident mistakes ({counts})."


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


def _diff(summary: dict) -> str:
    """'+0.23 [0.10, 0.36]': a difference in percentage points with its 95% interval when it has one."""
    text = f"{100 * summary['mean']:+.2f}"
    return text + (f" {_interval(summary, percent=True, digits=2)}" if summary.get("ci_low") is not None else "")


#: Above this training accuracy (both models) the train − test gap is close to its ceiling of
#: 100% − test accuracy, so a smaller gap mostly restates a higher test accuracy.
TRAIN_CEILING = 0.99


def ceiling_caveat(results: dict, epochs: str) -> str:
    """When both models' mean training accuracy is at least TRAIN_CEILING: the sentence that says a smaller
    train − test gap is weak evidence of less overfitting, with the decomposition CNN − MLP gap = training
    difference − test difference. Empty otherwise."""
    s = results["summary"]
    if not all("train_accuracy" in s[name][epochs] for name in ("mlp", "cnn")):
        return ""
    train = {name: s[name][epochs]["train_accuracy"]["mean"] for name in ("mlp", "cnn")}
    if min(train.values()) < TRAIN_CEILING:
        return ""
    comparison = next(c for c in results["comparisons"] if str(c["epochs"]) == epochs)
    diff = {key: _negated(comparison["mlp_minus_cnn"][key]) for key in ("train_accuracy", "test_accuracy")}
    room = {name: 100 * (1 - s[name][epochs]["test_accuracy"]["mean"]) for name in ("mlp", "cnn")}
    return (f"Both models are near the 100% ceiling of training accuracy (MLP {100 * train['mlp']:.2f}%, CNN "
            f"{100 * train['cnn']:.2f}%), so a gap cannot exceed 100% − test accuracy ({room['mlp']:.2f} pp for "
            f"the MLP, {room['cnn']:.2f} pp for the CNN): the CNN − MLP gap is the training difference "
            f"({100 * diff['train_accuracy']['mean']:+.2f} pp) minus the test difference "
            f"({_diff(diff['test_accuracy'])} pp) and mostly restates the CNN's higher test accuracy. A smaller gap "
            "at this ceiling is weak evidence that the CNN overfits less.")


def _pp(summary: dict, signed: bool = True) -> str:
    text = f"{100 * summary['mean']:+.2f}" if signed else f"{100 * summary['mean']:.2f}"
    if summary.get("ci_low") is not None:
        text += f" {_interval(summary, percent=True, digits=2)}"
    return text + " pp"


def _seed_mean(summary: dict, seeds, all_seeds) -> float:
    """Mean of a research summary's per-seed values restricted to ``seeds``."""
    values = [v for seed, v in zip(all_seeds, summary["values"]) if seed in seeds]
    return sum(values) / len(values)
