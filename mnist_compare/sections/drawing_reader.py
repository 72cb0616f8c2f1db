"""The demo's readers on handwriting that is not MNIST: the original report's two models (every seed; the
demo shows the first) beside a CNN trained for drawings (the registry's demo models the grid does not train),
which this section trains. Beyond the original report: the CNN for drawings is not part of the comparison.
"""

from __future__ import annotations

import numpy as np

from .. import registry, strokes
from ..formatting import caption, markdown_table
from ..metrics import format_mean_std
from ..preprocessing import DEFAULT_METHOD, preprocess
from ..training import load_snapshot, predict_probabilities, run_spec, train_run
from .base import Context, drawing_inputs, progress_bar, seed_summary
from .other_handwriting import other_writers_canvases
from .side_seeds import drawings as side_drawings
from .size_seeds import KEY as SIZE_KEY
from .size_seeds import more_seeds

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "drawing_reader"
VERSION = 2
REQUIRES = ()

#: The preprocessing the demo applies by default.
METHOD = DEFAULT_METHOD
#: The stroke digits made here (other writers' canvases are the ``other_handwriting`` section's).
STROKE_DIGITS, STROKE_SEED = 2000, 31

#: The anchor of the readers' table (the notebooks cite it as ``[words](#demo-readers-table)``).
READERS_TABLE = "demo-readers-table"

#: The sets every reader is measured on, as the table names them.
SETS = {
    "mnist_test": "MNIST test digits",
    "synthetic": "Synthetic drawings",
    "other_writers": "Other writers",
    "stroke_digits": "Stroke digits",
}


def evaluation_sets(splits, *, fast: bool) -> dict:
    """Each set's model inputs (through the demo's default preprocessing) and labels."""
    labels, inputs = drawing_inputs(splits)
    sets = {"synthetic": (inputs[METHOD], labels)}
    canvases, other_labels = other_writers_canvases(fast=fast)
    sets["other_writers"] = (np.concatenate([preprocess(c, METHOD).batch() for c in canvases]), other_labels)
    pen, pen_labels = strokes.stroke_digits(STROKE_DIGITS // 10 if fast else STROKE_DIGITS, seed=STROKE_SEED)
    sets["stroke_digits"] = (np.concatenate([preprocess(c, METHOD).batch() for c in pen]), pen_labels)
    return sets


def compute(ctx: Context, research: dict) -> dict:
    names = registry.reader_models()
    ctx.log(f"Research: the demo's readers on handwriting that is not MNIST ({', '.join(names)} trained)")
    models, trained = {}, {}
    total = sum(registry.reader_epochs(name, ctx.fast) for name in names)
    with progress_bar(total, ctx.show_progress) as progress:
        for name in names:
            epochs = registry.reader_epochs(name, ctx.fast)
            run_dir = ctx.run_dir(name, 0)
            record = train_run(
                run_spec(name, 0, ctx.splits, fast=ctx.fast, snapshot_epochs=(epochs,)),
                ctx.splits,
                run_dir,
                progress=progress,
                log=ctx.log,
            )
            models[name] = load_snapshot(run_dir, epochs)
            trained[name] = {
                "epochs": epochs,
                "parameters": record["parameters"],
                "seconds_per_epoch": float(np.median(record["epoch_seconds"])),
                "test_accuracy": record["snapshots"][str(epochs)]["test"]["accuracy"],
            }
    sets = evaluation_sets(ctx.splits, fast=ctx.fast)

    def scores(model) -> dict:
        return {
            key: float(np.mean(np.argmax(predict_probabilities(model, inputs), 1) == labels))
            for key, (inputs, labels) in sets.items()
        }

    accuracy, seeds = {}, {}
    # The grid's models the demo shows, every seed (the demo shows the first): means, with the seeds' values.
    for name in (n for n in registry.demo_models() if n not in models):
        rows = []
        for seed in ctx.seeds:
            run = next(r for r in ctx.results["runs"] if r["model"] == name and r["seed"] == seed)
            rows.append(
                {
                    "mnist_test": run["snapshots"][str(ctx.last)]["test"]["accuracy"],
                    **scores(load_snapshot(ctx.run_dir(name, seed), ctx.last)),
                }
            )
        seeds[name] = {key: seed_summary([row[key] for row in rows]) for key in rows[0]}
        accuracy[name] = {key: summary["mean"] for key, summary in seeds[name].items()}
    for name, model in models.items():
        accuracy[name] = {"mnist_test": trained[name]["test_accuracy"], **scores(model)}
    return {
        "method": METHOD,
        "readers": list(accuracy),
        "seeds": seeds,
        "trained": trained,
        "sizes": {key: int(len(labels)) for key, (_, labels) in sets.items()},
        "accuracy": accuracy,
    }


def _many_seeds(results: dict) -> dict:
    """{model: {set: summary}} of the MLP and the CNN over the size comparison's seeds, for the sets the other
    sections measured on them (MNIST's test digits, and both drawing sets through the demo's preprocessing
    when the side studies have them); empty otherwise."""
    research = results["research"]
    models = research.get(SIZE_KEY, {}).get("models", {})
    if not more_seeds(results):
        return {}
    drawings = side_drawings(results)
    out: dict = {}
    for name in (n for n in (registry.BASELINE, registry.CANDIDATE) if n in models):
        out[name] = {"mnist_test": models[name]["test_accuracy"]}
        for key, source in (("synthetic", "synthetic"), ("other_writers", "other writers")):
            found = drawings.get(source, {}).get(name, {}).get(METHOD)
            if found:
                out[name][key] = found
    return out


def reader_accuracy(results: dict) -> dict:
    """{model: {set: mean accuracy}} of the demo's readers, as the readers' table gives them (the MLP and the
    CNN over the size comparison's seeds where the other sections measured them there)."""
    many = _many_seeds(results)
    return {
        name: {**values, **{key: summary["mean"] for key, summary in many.get(name, {}).items()}}
        for name, values in results["research"][KEY]["accuracy"].items()
    }


def readers_markdown(results: dict) -> str:
    """The demo's readers, one row each, on MNIST and on the three sets of handwriting that is not MNIST: the
    MLP and the CNN over the size comparison's seeds where the other sections measured them there (the other
    tables of those sets use them), over this section's seeds elsewhere."""
    study = results["research"].get(KEY)
    if not study:
        return "The demo's models have not been measured yet (run `python -m mnist_compare run`)."
    many = _many_seeds(results)
    # Each seeded reader's spread per set, over the size comparison's seeds where it has them.
    spreads = {name: {**spread, **many.get(name, {})} for name, spread in study.get("seeds", {}).items()}
    rows = []
    for name in study["readers"]:
        spread = spreads.get(name)
        rows.append(
            [registry.table_label(name)]
            + [
                format_mean_std(spread[key], percent=True, digits=1)
                if spread
                else f"{100 * study['accuracy'][name][key]:.1f}"
                for key in SETS
            ]
        )
    sizes = study["sizes"]
    headers = ["Model"] + [
        f"{label} (%, {sizes[key]:,})" if key in sizes else f"{label} (%)" for key, label in SETS.items()
    ]
    # The seeds of each set's column (the same for both models): said once when one count, else per set.
    columns = {key: {spread[key].get("n") for spread in spreads.values()} for key in SETS}
    counts = [next(iter(found)) for found in columns.values() if len(found) == 1 and None not in found]
    main = max(set(counts), key=counts.count) if len(counts) == len(SETS) else None
    over = f"their {main} seeds" if main else "their seeds"
    if main and len(set(counts)) > 1:
        over += (
            " ("
            + "; ".join(
                f"{count} for the {SETS[key].lower()}" for key, count in zip(SETS, counts) if count != main
            )
            + ")"
        )
    return (
        caption(
            results,
            "Accuracy of the demo's three models on MNIST and on handwriting other than MNIST: MLP and CNN "
            f"mean ± std over {over}, CNN trained for drawings one run",
            label=READERS_TABLE,
        )
        + "\n\n"
        + markdown_table(headers, rows)
    )
