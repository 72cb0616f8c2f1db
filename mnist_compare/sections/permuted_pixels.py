"""Permuted pixels: both models trained and tested on images whose pixels are shuffled by a fixed
permutation, a different one for each seed (the MLP cannot tell; the CNN loses its prior of neighbouring
pixels), for as many epochs as the main runs."""

from __future__ import annotations

import numpy as np

from ..formatting import caption, markdown_table, plural, pp
from ..metrics import format_mean_std, summarize
from ..references import cite
from ..registry import BASELINE, CANDIDATE
from ..transforms import rng
from .base import Context, extra_runs, extra_summary, grid_accuracies, progress_bar
from .size_seeds import SIZE_SEEDS

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "permuted_pixels"
VERSION = 5
REQUIRES = ("size_seeds",)


#: The first seed's permutation; seed ``s`` shuffles with ``PERMUTATION_SEED + s``, so that the interval over
#: seeds covers the choice of the permutation as well as the training's randomness.
PERMUTATION_SEED = 4321


#: As many seeds as the size comparison, whose 10-epoch test accuracies give the original pixel order for the
#: seeds the grid does not have (its first seeds are the grid's).
PERMUTED_SEEDS = SIZE_SEEDS


def permute_pixels(images: np.ndarray, seed: int = PERMUTATION_SEED) -> np.ndarray:
    """The same fixed shuffle of the 784 pixel positions for every image."""
    order = rng(seed).permutation(28 * 28)
    flat = images.reshape(len(images), -1)[:, order]
    return flat.reshape(images.shape)


def compute(ctx: Context, research: dict) -> dict:
    from dataclasses import replace

    seeds = list(ctx.seeds) if ctx.fast else list(range(PERMUTED_SEEDS))
    epochs = tuple(ctx.snapshot_epochs)
    ctx.log(
        f"Research: permuted pixels (MLP and CNN, {len(seeds)} seeds, one permutation each, "
        f"{max(epochs)} epochs)"
    )
    records = []
    with progress_bar(2 * len(seeds) * max(epochs), ctx.show_progress) as progress:
        for seed in seeds:
            order = PERMUTATION_SEED + seed
            splits = replace(
                ctx.splits,
                x_train=permute_pixels(ctx.splits.x_train, order),
                x_val=permute_pixels(ctx.splits.x_val, order),
                x_test=permute_pixels(ctx.splits.x_test, order),
            )
            # A folder of their own: the runs of one shared permutation must not be reused for these.
            records += extra_runs(
                "permuted-each", [BASELINE, CANDIDATE], [seed], splits, epochs, ctx.paths, progress
            )
    return {
        "epochs": max(epochs),
        "permutation_seed": PERMUTATION_SEED,
        "permutation_per_seed": True,
        "models": extra_summary(records, epochs),
    }


def normal_accuracies(results: dict, name: str, seeds, epochs: str) -> list[float] | None:
    """Test accuracies of ``name`` with the original pixel order for ``seeds`` (in that order): the grid's
    runs, else the size comparison's (the same runs for the grid's seeds); None if a seed has neither."""
    grid = grid_accuracies(results, name, seeds, epochs)
    if grid is not None:
        return grid
    many = results["research"].get("size_seeds", {})
    if str(many.get("epochs")) != epochs or name not in many.get("models", {}):
        return None
    by_seed = dict(zip(many["seeds"], many["models"][name]["test_accuracy"]["values"]))
    return [by_seed[seed] for seed in seeds] if all(seed in by_seed for seed in seeds) else None


def permuted_changes(results: dict, name: str) -> list[float]:
    """Per seed: test accuracy with permuted pixels minus the same seed's accuracy with the original order."""
    permuted = results["research"]["permuted_pixels"]
    epochs = str(permuted["epochs"])
    entry = permuted["models"][name]
    normal = normal_accuracies(results, name, entry["seeds"], epochs)
    return [p - n for p, n in zip(entry[epochs]["test_accuracy"]["values"], normal)]


def permuted_markdown(results: dict) -> str:
    """Test accuracy with the original and with permuted pixels, and the change paired by seed."""
    permuted = results["research"]["permuted_pixels"]
    epochs = str(permuted["epochs"])
    rows = []
    for name in (BASELINE, CANDIDATE):
        entry = permuted["models"][name][epochs]["test_accuracy"]
        normal = normal_accuracies(results, name, permuted["models"][name]["seeds"], epochs)
        if normal is None:
            rows.append([name.upper(), "n/a", format_mean_std(entry, percent=True), "n/a"])
            continue
        rows.append(
            [
                name.upper(),
                format_mean_std(summarize(normal), percent=True),
                format_mean_std(entry, percent=True),
                pp(summarize(permuted_changes(results, name))),
            ]
        )
    seeds = len(permuted["models"][BASELINE]["seeds"])
    title = (
        f"Test accuracy (%) after {epochs} epochs with the pixels in a fixed random order"
        + (", a different one for each seed" if permuted.get("permutation_per_seed") else "")
        + f" (as in permuted MNIST {cite('goodfellow2013')}; {plural(seeds, 'seed')})"
    )
    return (
        caption(results, title, label="permuted-table")
        + "\n\n"
        + markdown_table(
            ["Model", "original pixel order (same seeds)", "shuffled pixels", "change (paired by seed)"], rows
        )
    )


def cnn_share_kept(results: dict) -> float | None:
    """The CNN's mean accuracy on permuted pixels as a share of its mean with the original order (same seeds),
    or None when the original-order runs are missing."""
    permuted = results["research"]["permuted_pixels"]
    epochs = str(permuted["epochs"])
    normal = normal_accuracies(results, CANDIDATE, permuted["models"][CANDIDATE]["seeds"], epochs)
    if normal is None:
        return None
    return permuted["models"][CANDIDATE][epochs]["test_accuracy"]["mean"] / (sum(normal) / len(normal))


#: The spatial-layout claim is only partly supported when the CNN on permuted pixels keeps at least this
#: share of its accuracy with the original pixel order (it then does not depend on the layout).
LAYOUT_KEPT = 0.9


def layout_phrase(cnn_change: dict, kept: float) -> str:
    """': it uses the layout but does not depend on it', from the CNN's paired change on permuted pixels
    and the share of its accuracy it keeps."""
    uses = cnn_change.get("ci_high") is not None and cnn_change["ci_high"] < 0
    if uses and kept >= LAYOUT_KEPT:
        return ": it uses the layout but does not depend on it"
    if uses:
        return ": it uses the layout"
    return ": its drop is not distinguishable from 0 with these seeds"
