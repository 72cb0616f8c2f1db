"""Temperature scaling: one temperature per model and seed fitted on the validation split, the test
calibration before and after, and the first seed's temperatures the demo applies."""

from __future__ import annotations

import numpy as np

from .. import config, metrics
from ..formatting import caption, markdown_table, plural
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


#: The anchor of the temperature-scaling table (the notebooks cite it as ``[Table](#temperature-table)``).
TEMPERATURE_TABLE = "temperature-table"


def temperature_scaling_markdown(results: dict) -> str:
    """Per model: the temperature, and the test ECE and confident mistakes after scaling (the calibration
    table has them before), and the test NLL before and after."""
    section = results["research"]["temperature_scaling"]
    rows = []
    for name, title in ((BASELINE, "MLP"), (CANDIDATE, "CNN")):
        item = section["models"][name]
        before, after = item["before"], item["after"]
        rows.append(
            [
                title,
                format_mean_std(item["temperature"], digits=3),
                format_mean_std(after["ece"], percent=True),
                format_mean_std(after["confident_mistakes"], digits=1),
                f"{before['nll']['mean']:.4f}",
                f"{after['nll']['mean']:.4f}",
            ]
        )
    header = ["Model", "T", "ECE after (%)", "≥ 99% mistakes after", "Test NLL before", "Test NLL after"]
    seeds = (
        f"mean ± std over {plural(len(section['seeds']), 'seed')}"
        if len(section["seeds"]) > 1
        else f"seed {section['seeds'][0]}"
    )
    return (
        caption(
            results,
            f"Temperature scaling after {section['epochs']} epochs: T fitted on the "
            f"{section['validation_images']:,} validation images ({seeds}), judged on the "
            f"{section['test_images']:,} test images",
            label=TEMPERATURE_TABLE,
        )
        + "\n\n"
        + markdown_table(header, rows)
    )
