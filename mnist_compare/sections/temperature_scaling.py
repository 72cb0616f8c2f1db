"""Temperature scaling: one temperature per model and seed fitted on the validation split, the test
calibration before and after, and the first seed's temperatures the demo applies."""

from __future__ import annotations

import numpy as np

from .. import config, metrics
from ..formatting import caption, markdown_table, moves, paired, plural, pp
from ..metrics import format_mean_std
from ..registry import BASELINE, CANDIDATE
from ..training import predict_probabilities, predictions_path, write_calibration
from .base import CALIBRATION_BINS, Context, calibration_summary, seed_summary, seeds_text

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "temperature_scaling"
VERSION = 1
REQUIRES = ()


#: Temperature scaling: one temperature per model and seed, fitted on the validation split, in these bounds;
#: the seed-0 temperatures are written beside the shipped models (``training.write_calibration``), where
#: the demo reads them.
TEMPERATURE_BOUNDS = (0.05, 20.0)


def compute(ctx: Context, research: dict) -> dict:
    """One temperature per model and seed (the grid's last snapshot), fitted on the validation split
    (``metrics.fit_temperature``), and the test set's calibration before and after it: expected calibration
    error, mistakes made with at least 99% confidence, NLL, mean confidence, accuracy (unchanged: the
    arg-max never moves). The seed-0 temperatures are written beside the models (``calibration.json``)."""

    ctx.log(
        f"Research: temperature scaling (MLP and CNN, {seeds_text(ctx.seeds)}, fitted on the validation "
        f"split)"
    )
    val_labels, test_labels = ctx.splits.y_val, ctx.splits.y_test
    out = {
        "bins": CALIBRATION_BINS,
        "epochs": ctx.last,
        "seeds": list(ctx.seeds),
        "fitted_on": "validation",
        "validation_images": int(len(val_labels)),
        "test_images": int(len(test_labels)),
        "bounds": list(TEMPERATURE_BOUNDS),
        "models": {},
        "files": {},
    }
    for name, seed_models in ctx.grid_models().items():
        temperatures, before, after, val_nll = [], [], [], {"before": [], "after": []}
        for seed, model in zip(ctx.seeds, seed_models):
            validation = predict_probabilities(model, ctx.splits.x_val)
            temperature = metrics.fit_temperature(val_labels, validation, TEMPERATURE_BOUNDS)
            temperatures.append(temperature)
            val_nll["before"].append(metrics.temperature_nll(val_labels, validation))
            val_nll["after"].append(metrics.temperature_nll(val_labels, validation, temperature))
            test = np.load(predictions_path(ctx.run_dir(name, seed), ctx.last))["probabilities"]
            before.append(test)
            after.append(metrics.temperature_scale(test, temperature))
            if seed == config.FIRST_SEED:
                path = write_calibration(
                    ctx.run_dir(name, seed),
                    ctx.last,
                    temperature,
                    fitted_on="validation",
                    validation_images=int(len(val_labels)),
                    validation_nll_before=val_nll["before"][-1],
                    validation_nll_after=val_nll["after"][-1],
                    method="probabilities softmax(log p / T), T minimising the validation NLL "
                    "(research.temperature_scaling)",
                )
                out["files"][name] = f"{path.parent.name}/{path.name}"
        item = {
            "temperature": seed_summary(temperatures),
            "validation_nll": {key: seed_summary(values) for key, values in val_nll.items()},
        }
        for key, probabilities in (("before", before), ("after", after)):
            table = calibration_summary(test_labels, probabilities)
            item[key] = {
                "ece": table["ece"],
                "confident_mistakes": table["confident_mistakes"],
                "mean_confidence": table["mean_confidence"],
                "nll": seed_summary([metrics.temperature_nll(test_labels, p) for p in probabilities]),
                "accuracy": seed_summary([metrics.accuracy(test_labels, p) for p in probabilities]),
                "reliability": table["reliability"],
            }
        out["models"][name] = item
    return out


def temperature_abstract(section: dict) -> str:
    """One sentence: the fitted temperatures and the ECE before and after, both models."""
    models = section["models"]

    def ece(name, when):
        return 100 * models[name][when]["ece"]["mean"]

    return (
        f"One temperature per model, fitted on the validation set (T = "
        f"{models[BASELINE]['temperature']['mean']:.2f} "
        f"for the MLP, {models[CANDIDATE]['temperature']['mean']:.2f} for the CNN), takes the expected "
        f"calibration "
        f"error from {ece(BASELINE, 'before'):.2f}% to {ece(BASELINE, 'after'):.2f}% (MLP) and from "
        f"{ece(CANDIDATE, 'before'):.2f}% to {ece(CANDIDATE, 'after'):.2f}% (CNN); the demo shows calibrated "
        f"confidences."
    )


def temperature_sentence(results: dict) -> str:
    """The fitted temperatures and what they do to the test set's calibration, CNN − MLP paired by seed."""
    section = results["research"]["temperature_scaling"]
    models = section["models"]
    candidate_mistakes = models[CANDIDATE]["after"]["confident_mistakes"]
    baseline_mistakes = models[BASELINE]["after"]["confident_mistakes"]
    t = {name: models[name]["temperature"]["mean"] for name in (BASELINE, CANDIDATE)}
    seeds = plural(len(section["seeds"]), "seed")
    softer = [name.upper() for name, value in t.items() if value > 1]
    meaning = (
        "T > 1 for both: both models were over-confident, and dividing their logits by T softens them"
        if len(softer) == 2
        else "T < 1 for both: both models were under-confident, and dividing their logits by T sharpens them"
        if not softer
        else f"T > 1 only for the {softer[0]}: only its probabilities are softened"
    )
    ece = {
        name: (100 * models[name]["before"]["ece"]["mean"], 100 * models[name]["after"]["ece"]["mean"])
        for name in (BASELINE, CANDIDATE)
    }
    sure = {
        name: (
            models[name]["before"]["confident_mistakes"]["mean"],
            models[name]["after"]["confident_mistakes"]["mean"],
        )
        for name in (BASELINE, CANDIDATE)
    }
    nll = {
        name: (models[name]["before"]["nll"]["mean"], models[name]["after"]["nll"]["mean"])
        for name in (BASELINE, CANDIDATE)
    }
    over = f"mean over {seeds}" if len(section["seeds"]) > 1 else f"seed {section['seeds'][0]}"
    text = (
        f"Fitted on the {section['validation_images']:,} validation images ({over}), the temperature "
        f"is T = {t[BASELINE]:.2f} for the MLP and {t[CANDIDATE]:.2f} for the CNN ({meaning}). On the "
        f"{section['test_images']:,} test images it "
        f"{moves(*ece[BASELINE], 'the expected calibration error of the MLP', digits=2)} and "
        f"{moves(*ece[CANDIDATE], 'that of the CNN', digits=2)}; it "
        f"{moves(*sure[BASELINE], 'the MLP’s mistakes made with at least 99% confidence', unit='')} "
        f"and {moves(*sure[CANDIDATE], 'the CNN’s', unit='')} per run; the test NLL goes from "
        f"{nll[BASELINE][0]:.4f} to {nll[BASELINE][1]:.4f} (MLP) and from {nll[CANDIDATE][0]:.4f} to "
        f"{nll[CANDIDATE][1]:.4f} "
        "(CNN). Accuracy is unchanged: dividing the logits by one positive number never changes the arg-max."
    )
    if len(section["seeds"]) > 1:
        text += (
            " After scaling, CNN − MLP paired by seed: ECE "
            f"{pp(paired(models[CANDIDATE]['after']['ece'], models[BASELINE]['after']['ece']))}, mistakes at "
            f"≥ 99% confidence "
            f"{_count(paired(candidate_mistakes, baseline_mistakes))}."
        )
    else:
        text += (
            f" After scaling, CNN − MLP: ECE {ece[CANDIDATE][1] - ece[BASELINE][1]:+.2f} pp, mistakes at ≥ "
            f"99% "
            f"confidence {sure[CANDIDATE][1] - sure[BASELINE][1]:+.0f} (one seed: no interval)."
        )
    return text


def _count(summary: dict) -> str:
    text = f"{summary['mean']:+.1f}"
    if summary.get("ci_low") is not None:
        text += f" [{summary['ci_low']:.1f}, {summary['ci_high']:.1f}]"
    return text


def temperature_scaling_markdown(results: dict) -> str:
    """Per model: the temperature, and the test ECE, confident mistakes, NLL and accuracy before and after."""
    section = results["research"]["temperature_scaling"]
    rows = []
    for name, title in ((BASELINE, "MLP"), (CANDIDATE, "CNN")):
        item = section["models"][name]
        before, after = item["before"], item["after"]
        rows.append(
            [
                title,
                format_mean_std(item["temperature"], digits=3),
                format_mean_std(before["ece"], percent=True),
                format_mean_std(after["ece"], percent=True),
                f"{before['confident_mistakes']['mean']:.1f}",
                f"{after['confident_mistakes']['mean']:.1f}",
                f"{before['nll']['mean']:.4f}",
                f"{after['nll']['mean']:.4f}",
                f"{100 * before['accuracy']['mean']:.2f} → {100 * after['accuracy']['mean']:.2f}",
            ]
        )
    header = [
        "Model",
        "T",
        "ECE before (%)",
        "ECE after (%)",
        "≥ 99% mistakes before",
        "after",
        "NLL before",
        "NLL after",
        "Test accuracy (%)",
    ]
    seeds = (
        f"mean ± std over {plural(len(section['seeds']), 'seed')}"
        if len(section["seeds"]) > 1
        else f"seed {section['seeds'][0]}"
    )
    return (
        caption(
            results,
            f"Temperature scaling after {section['epochs']} epochs: T fitted on the validation split "
            f"({seeds}), test set of {section['test_images']:,} ({section['bins']} confidence bins)",
        )
        + "\n\n"
        + markdown_table(header, rows)
        + "\n\n"
        + temperature_sentence(results)
    )
