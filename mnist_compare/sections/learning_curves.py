"""Learning curves over the size comparison's seeds: the MLP's and the CNN's training and validation accuracy
and loss after every epoch, so that the curves and the best epochs rest on as many seeds as the verdicts (the
grid's first five seeds favour the CNN)."""

from __future__ import annotations

import numpy as np

from ..metrics import summarize
from ..plots import HISTORY_CURVES
from ..registry import BASELINE, CANDIDATE
from .base import Context, extra_runs, progress_bar
from .size_seeds import SIZE_MODELS, SIZE_SEEDS

#: The section's key in results.json, its version (a new version recomputes it) and the sections it reads.
KEY = "learning_curves"
VERSION = 1
REQUIRES = ()

#: The curves kept per run and epoch: every curve of a run's history (as the learning-curves figure reads it).
CURVES = HISTORY_CURVES


def compute(ctx: Context, research: dict) -> dict:
    """Every curve of ``CURVES`` per seed for the MLP and the CNN, over the size comparison's seeds (the
    grid's seeds in a fast run). A seed the grid has is its grid run; the others are the size comparison's
    runs of the same seed (one folder, so each is trained once and read by both sections)."""
    seeds = list(ctx.seeds) if ctx.fast else list(range(SIZE_SEEDS))
    ctx.log(f"Research: learning curves ({len(seeds)} seeds)")
    grid = {(run["model"], run["seed"]): run for run in ctx.results["runs"]}
    out = {"seeds": seeds, "models": {}}
    names = (BASELINE, CANDIDATE)
    missing = {name: [seed for seed in seeds if (name, seed) not in grid] for name in names}
    with progress_bar(sum(map(len, missing.values())) * ctx.last, ctx.show_progress) as progress:
        for name in names:
            records = {
                record["spec"]["seed"]: record
                for record in extra_runs(
                    SIZE_MODELS[name],
                    [name],
                    missing[name],
                    ctx.splits,
                    ctx.snapshot_epochs,
                    ctx.paths,
                    progress,
                )
            }
            histories = [(grid.get((name, seed)) or records[seed])["history"] for seed in seeds]
            out["models"][name] = {curve: [list(history[curve]) for history in histories] for curve in CURVES}
    return out


def curves(results: dict, name: str) -> dict[str, np.ndarray] | None:
    """{curve: seeds × epochs array} for ``name``; None when the section has not run."""
    section = results.get("research", {}).get(KEY)
    if not section or name not in section["models"]:
        return None
    return {curve: np.asarray(values, dtype=float) for curve, values in section["models"][name].items()}


def all_curves(results: dict) -> dict:
    """{model: ``curves``} for every model the section has ({} when it has not run): what the learning-curves
    figure draws."""
    section = results.get("research", {}).get(KEY, {})
    return {name: curves(results, name) for name in section.get("models", {})}


def seed_count(results: dict) -> int:
    """How many seeds the curves are over (0 when the section has not run)."""
    return len(results.get("research", {}).get(KEY, {}).get("seeds", []))


def best_epochs(results: dict, name: str) -> dict | None:
    """``name``'s best epoch per seed (lowest validation loss, counted from 1), their median and range, and
    how far the validation loss rose from its minimum to the last epoch, on average over seeds; None without
    the section."""
    found = curves(results, name)
    if found is None:
        return None
    loss = found["val_loss"]
    best = loss.argmin(axis=1) + 1
    return {
        "epochs": [int(epoch) for epoch in best],
        "median": float(np.median(best)),
        "low": int(best.min()),
        "high": int(best.max()),
        "rise": float(np.mean(loss[:, -1] - loss.min(axis=1))),
        "n": len(best),
    }


def rise_difference(results: dict) -> dict | None:
    """CNN − MLP, paired by seed, of how far the validation loss rose from each run's own minimum to the last
    epoch: the rise measured from each model's best epoch, so that the CNN's earlier best epoch is not what it
    counts. None without the section."""
    found = {name: curves(results, name) for name in (BASELINE, CANDIDATE)}
    if any(value is None for value in found.values()):
        return None
    rise = {name: value["val_loss"][:, -1] - value["val_loss"].min(axis=1) for name, value in found.items()}
    return summarize(list(rise[CANDIDATE] - rise[BASELINE]))


def epoch_to_epoch(
    results: dict, key: str = "val_loss", start: int = 1, relative: bool = False, until_best: bool = False
) -> dict:
    """How much ``key`` of the training history moves from one epoch to the next, from epoch ``start`` on:
    per run the mean absolute change (``relative``: of its logarithm, a change relative to its level, so that
    a model with a lower loss is not steadier for that alone), summarized over seeds for the MLP and the CNN,
    and CNN − MLP paired by seed (``difference``). ``until_best`` stops each run at its best epoch (its lowest
    validation loss), so that the loss rising after it is not counted. Over the learning-curves section's
    seeds when it has run (the grid's first seeds otherwise)."""
    many = all_curves(results)
    per_seed = {}
    for name in (BASELINE, CANDIDATE):
        if name in many:
            seeds = results["research"][KEY]["seeds"]
            histories = dict(zip(seeds, many[name][key]))
            losses = dict(zip(seeds, many[name]["val_loss"]))
        else:
            runs = [r for r in results["runs"] if r["model"] == name]
            histories = {r["seed"]: r["history"][key] for r in runs}
            losses = {r["seed"]: r["history"]["val_loss"] for r in runs}
        per_seed[name] = {}
        for seed, history in sorted(histories.items()):
            end = int(np.argmin(losses[seed])) + 1 if until_best else len(history)
            values = np.asarray(history[start - 1 : max(end, start + 1)], dtype=float)
            per_seed[name][seed] = float(np.mean(np.abs(np.diff(np.log(values) if relative else values))))
    seeds = sorted(set(per_seed[BASELINE]) & set(per_seed[CANDIDATE]))
    values = {name: [per_seed[name][seed] for seed in seeds] for name in per_seed}
    return {
        **{name: summarize(values[name]) for name in values},
        "difference": summarize([c - m for c, m in zip(values[CANDIDATE], values[BASELINE])]),
    }
