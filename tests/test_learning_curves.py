"""The learning curves over many seeds: best epochs with known answers, and the figure drawn over the
section's seeds rather than the grid's."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from mnist_compare import plots
from mnist_compare.sections import SECTIONS, learning_curves


def _results(val_losses: dict[str, list[list[float]]]) -> dict:
    """Results whose learning-curves section holds the given validation losses (seeds × epochs) per model, and
    a grid of one run per model with flat curves."""
    models = {}
    for name, losses in val_losses.items():
        shape = np.shape(losses)
        models[name] = {
            "accuracy": np.full(shape, 0.9).tolist(),
            "loss": np.full(shape, 0.3).tolist(),
            "val_accuracy": np.full(shape, 0.95).tolist(),
            "val_loss": losses,
        }
    seeds, epochs = np.shape(next(iter(val_losses.values())))
    flat = {key: [0.5] * epochs for key in learning_curves.CURVES}
    return {
        "fast": False,
        "config": {"seeds": [0], "snapshot_epochs": [epochs]},
        "runs": [{"model": name, "seed": 0, "history": flat} for name in val_losses],
        "research": {learning_curves.KEY: {"seeds": list(range(seeds)), "models": models}},
    }


def test_best_epochs_are_the_lowest_validation_loss_counted_from_one():
    results = _results(
        {
            "mlp": [[0.5, 0.3, 0.2, 0.25], [0.4, 0.35, 0.36, 0.4], [0.6, 0.5, 0.45, 0.44]],
            "cnn": [[0.2, 0.1, 0.15, 0.2], [0.3, 0.2, 0.1, 0.3], [0.1, 0.2, 0.3, 0.4]],
        }
    )
    mlp = learning_curves.best_epochs(results, "mlp")
    assert mlp["epochs"] == [3, 2, 4]
    assert (mlp["median"], mlp["low"], mlp["high"], mlp["n"]) == (3.0, 2, 4, 3)
    # The rise from each seed's minimum to its last epoch: 0.05, 0.05 and 0.
    assert mlp["rise"] == pytest.approx((0.05 + 0.05 + 0.0) / 3)
    cnn = learning_curves.best_epochs(results, "cnn")
    assert cnn["epochs"] == [2, 3, 1] and cnn["median"] == 2.0
    assert cnn["rise"] == pytest.approx((0.1 + 0.2 + 0.3) / 3)
    # CNN − MLP of each seed's rise from its own minimum, paired by seed: 0.05, 0.15 and 0.3.
    rise = learning_curves.rise_difference(results)
    assert rise["n"] == 3 and rise["mean"] == pytest.approx((0.05 + 0.15 + 0.3) / 3)
    assert rise["ci_low"] < rise["mean"] < rise["ci_high"]


def test_without_the_section_there_are_no_curves():
    results = {"research": {}}
    assert learning_curves.best_epochs(results, "mlp") is None
    assert learning_curves.rise_difference(results) is None
    assert learning_curves.all_curves(results) == {}
    assert learning_curves.seed_count(results) == 0


def test_the_figure_is_drawn_over_the_sections_seeds():
    results = _results(
        {"mlp": [[0.5, 0.4], [0.4, 0.3], [0.3, 0.2]], "cnn": [[0.2, 0.1], [0.3, 0.2], [0.1, 0.1]]}
    )
    figure = plots.plot_learning_curves(results, curves=learning_curves.all_curves(results))
    assert "mean over 3 seeds" in figure.get_suptitle()
    loss_axis = figure.axes[1]
    # The MLP's validation loss line is the mean over the section's three seeds, not the grid's flat run.
    dashed = [line for line in loss_axis.get_lines() if line.get_linestyle() == "--"]
    assert np.allclose(dashed[0].get_ydata(), [0.4, 0.3])
    grid_only = plots.plot_learning_curves(results)
    assert "mean over 1 seed" in grid_only.get_suptitle()


def test_the_section_is_registered_after_the_seeds_it_shares():
    keys = [section.KEY for section in SECTIONS]
    assert keys.index(learning_curves.KEY) == keys.index("size_seeds") + 1
