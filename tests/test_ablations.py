"""The two ablations. The CNN with average pooling is the CNN with one layer swapped (same parameters and
multiply-adds), its NumPy reading matches Keras, and its section measures every robustness curve and pairs
its differences by seed. The parameter-matched MLP with dropout differs from the parameter-matched MLP by one
layer that has no weights, and its section lets validation choose the rate. Both sections run in fast mode on
the shipped MNIST subset."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mnist_compare import models, sections
from mnist_compare.registry import BASELINE, CANDIDATE
from tests.conftest import fast_research_sections

POOLING = sections.pooling.POOLING_MODEL


def test_average_pooling_changes_one_layer_and_nothing_it_counts():
    import keras

    keras.utils.set_random_seed(0)
    cnn, average = models.build_model(CANDIDATE), models.build_model(POOLING)
    assert [type(layer).__name__ for layer in average.layers] == [
        "Conv2D",
        "AveragePooling2D",
        "Flatten",
        "Dense",
        "Dense",
    ]
    assert [type(layer).__name__ for layer in cnn.layers][1] == "MaxPooling2D"
    assert average.count_params() == cnn.count_params()
    assert models.forward_macs(average) == models.forward_macs(cnn)
    # Without pooling: a stride-2 convolution to the same 13x13 map, the same parameters.
    strided = models.build_model(sections.pooling.NO_POOLING_MODEL)
    assert [type(layer).__name__ for layer in strided.layers] == ["Conv2D", "Flatten", "Dense", "Dense"]
    assert strided.layers[0].output.shape[1:] == cnn.layers[1].output.shape[1:] == (13, 13, 32)
    assert strided.count_params() == cnn.count_params()
    with pytest.raises(ValueError, match="Unknown pooling 'median'"):
        models.build_cnn(pooling="median")


def test_the_numpy_reading_of_average_pooling_is_keras_s():
    import keras

    keras.utils.set_random_seed(1)
    model = models.build_model(POOLING)
    batch = np.random.default_rng(0).random((16, 28, 28, 1), dtype=np.float32)
    reading = models.numpy_inference(model)
    assert reading is not None
    np.testing.assert_allclose(reading(batch), model(batch, training=False).numpy(), rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def pooling_results(tmp_path_factory):
    def prepare(ctx, splits, paths):
        # The MLP's and the CNN's curves, as the robustness section measures them (its other models are not
        # needed here).
        grid = ctx.grid_models()
        curves = sections.robustness.robustness({n: grid[n] for n in (BASELINE, CANDIDATE)}, splits)
        return {"robustness": curves, "seeds": ctx.seeds}

    return fast_research_sections(tmp_path_factory.mktemp("pooling"), ("pooling",), prepare=prepare)


def test_the_pooling_section_measures_every_curve_paired_by_seed(pooling_results):
    results, paths, _ = pooling_results
    section = results["research"]["pooling"]
    assert section["models"] == list(sections.pooling.POOLING_MODELS)
    assert section["seeds"] == results["config"]["seeds"]
    assert set(section["curves"]) == set(results["research"]["robustness"]["curves"])
    for name in section["models"]:
        for run in section["seeds"]:
            assert (paths.models / "research" / f"pooling_{name}_seed{run}").is_dir()
    json.dumps(section, allow_nan=False)

    comparison = sections.pooling.pooling_comparison(results)
    assert list(comparison) == ["test", *section["curves"]]
    for item in comparison.values():
        for name, short in ((POOLING, "average"), (sections.pooling.NO_POOLING_MODEL, "none")):
            difference = item[f"{short} − max"]
            assert difference["n"] == len(section["seeds"])
            assert difference["mean"] == pytest.approx(item[name]["mean"] - item[CANDIDATE]["mean"], abs=1e-9)
    test = comparison["test"]
    assert test[POOLING]["mean"] == pytest.approx(
        section["summary"][POOLING][str(section["epochs"])]["test_accuracy"]["mean"]
    )

    table = sections.pooling.pooling_markdown(results)
    assert table.count("\n|") == 2 + len(comparison)  # header, rule, one row per measure
    assert "test set" in table and "unclipped noise" in table

    # The pooling claim's tests: the CNN's max pooling minus each ablated CNN (the table's differences
    # negated), with the images' error bounded level by level from the same accuracies.
    for transform in section["curves"]:
        against = sections.pooling.max_against(results, transform)
        assert list(against) == list(sections.pooling.MAX_AGAINST.values())
        for name, short in ((POOLING, "average"), (sections.pooling.NO_POOLING_MODEL, "none")):
            difference = against[sections.pooling.MAX_AGAINST[name]]
            assert difference["mean"] == pytest.approx(
                -comparison[transform][f"{short} − max"]["mean"], abs=1e-12
            )
            assert difference["n"] == len(section["seeds"])
            levels = sections.robustness.changed_levels(transform, section["curves"][transform]["levels"])
            cnn = results["research"]["robustness"]["curves"][transform][CANDIDATE]
            ours = section["curves"][transform][name]
            images = results["research"]["robustness"]["images"]
            expected = np.mean(
                [
                    np.mean(
                        [
                            np.sqrt(max(min(2 - a - b, 1.0) - (a - b) ** 2, 0.0) / images)
                            for a, b in zip(cnn[index]["values"], ours[index]["values"])
                        ]
                    )
                    for index in levels
                ]
            )
            assert sections.pooling.image_error(results, transform, name) == pytest.approx(expected)


def test_dropout_adds_a_layer_without_weights_and_refuses_a_rate_outside_0_1():
    import keras

    keras.utils.set_random_seed(0)
    wide = models.build_model("mlp_wide")
    for name in sections.dropout_control.DROPOUT_MODELS:
        model = models.build_model(name)
        assert [type(layer).__name__ for layer in model.layers] == ["Flatten", "Dense", "Dropout", "Dense"]
        assert model.count_params() == wide.count_params()
        batch = np.random.default_rng(0).random((8, 28, 28, 1), dtype=np.float32)
        # At inference dropout does nothing: the NumPy reading (which skips it) gives Keras's outputs.
        np.testing.assert_allclose(
            models.numpy_inference(model)(batch), model(batch, training=False).numpy(), rtol=1e-5, atol=1e-6
        )
    for rate in (-0.1, 1.0):
        with pytest.raises(ValueError, match="dropout rate must be in"):
            models.build_mlp(dropout=rate)


@pytest.fixture(scope="module")
def dropout_results(tmp_path_factory):
    return fast_research_sections(tmp_path_factory.mktemp("dropout"), ("dropout_control",))


def test_validation_chooses_the_dropout_rate_and_the_test_set_only_scores_it(dropout_results):
    results, _, _ = dropout_results
    section = results["research"]["dropout_control"]
    names = sections.dropout_control.DROPOUT_MODELS
    assert set(section["models"]) == set(names) and section["seeds"] == results["config"]["seeds"]
    validation = {name: section["models"][name]["val_accuracy"]["mean"] for name in names}
    assert section["chosen"] == max(validation, key=validation.get)
    json.dumps(section, allow_nan=False)

    comparison = sections.dropout_control.dropout_comparison(results)
    epochs = str(section["epochs"])
    for name, item in comparison.items():
        assert item["dropout"] == section["models"][name]["dropout"]
        # The grid has the MLP and the CNN; the parameter-matched MLP is the size comparison's, which this run
        # lacks.
        assert item["minus wide"] is None
        mlp = [r["snapshots"][epochs]["test"]["accuracy"] for r in results["runs"] if r["model"] == BASELINE]
        assert item["minus mlp"]["mean"] == pytest.approx(
            item["test"]["mean"] - sum(mlp) / len(mlp), abs=1e-9
        )
    table = sections.dropout_control.dropout_markdown(results)
    assert table.count("(chosen)") == 1 and table.count("\n|") == 2 + len(names)


def test_the_share_of_the_lead_dropout_recovers_splits_the_lead_at_the_chosen_rate(monkeypatch):
    """Known answers: the chosen rate's gain over the MLP against the CNN's lead over it, which add up to the
    CNN's lead over the MLP; the rate not chosen plays no part, and a missing difference gives None."""
    results = {"research": {"dropout_control": {"chosen": "chosen"}}}
    comparison = {
        "chosen": {"minus mlp": {"mean": 0.001}, "cnn minus": {"mean": 0.003}},
        "other": {"minus mlp": {"mean": 0.009}, "cnn minus": {"mean": 0.0}},
    }
    monkeypatch.setattr(sections.dropout_control, "dropout_comparison", lambda _: comparison)
    assert sections.dropout_control.share_of_lead(results) == pytest.approx(0.25)
    comparison["chosen"]["minus mlp"]["mean"] = 0.003
    assert sections.dropout_control.share_of_lead(results) == pytest.approx(0.5)
    comparison["chosen"]["cnn minus"] = None
    assert sections.dropout_control.share_of_lead(results) is None


def test_the_fast_strided_convolution_is_keras_s():
    import keras

    keras.utils.set_random_seed(2)
    fast = models.build_model(sections.pooling.NO_POOLING_MODEL, fast_ops=True)
    plain = models.build_model(sections.pooling.NO_POOLING_MODEL)
    plain.set_weights(fast.get_weights())
    batch = np.random.default_rng(1).random((16, 28, 28, 1), dtype=np.float32)
    np.testing.assert_allclose(fast(batch).numpy(), plain(batch).numpy(), rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def width_results(tmp_path_factory):
    return fast_research_sections(tmp_path_factory.mktemp("width"), ("architectures", "width_sweep"))


def test_the_width_sweep_trains_every_width_and_sets_the_best_against_the_cnn(width_results):
    results, _, _ = width_results
    sweep = sections.width_sweep
    section = results["research"][sweep.KEY]
    assert set(section["models"]) == set(sweep.SWEEP_MODELS) and len(sweep.SWEEP_MODELS) == 5
    assert section["seeds"] == results["config"]["seeds"][: sweep.SWEEP_SEEDS]
    json.dumps(section, allow_nan=False)
    points = sweep.width_points(results)
    # The grid's MLP and CNN join the sweep; the size comparison's controls, which this run lacks, do not.
    assert BASELINE in points and CANDIDATE in points and "mlp_wide" not in points
    mlps = [p for p in points.values() if p["units"] is not None]
    assert [p["units"] for p in mlps] == [128, 256, 512, 1024, 2048, 4096]
    assert [p["parameters"] for p in mlps] == [
        (784 + 1) * u + (u + 1) * 10 for u in (128, 256, 512, 1024, 2048, 4096)
    ]
    found = sweep.width_findings(results)
    best = points[found["best"]]["test"]
    assert best["mean"] == max(p["test"]["mean"] for p in mlps)
    assert found["cnn_minus_best"]["mean"] == pytest.approx(
        points[CANDIDATE]["test"]["mean"] - best["mean"], abs=1e-9
    )
    assert found["small_minus_best"] is None and found["widest_units"] == 4096
    figure = sweep.plot_width_sweep(results)
    assert len(figure.axes) == 1 and figure.axes[0].get_xscale() == "log"
    assert found["small_tuned_minus"] == {}, "without the recipes section's tuned scores, no tuned comparison"


def test_the_tuned_small_cnn_is_paired_with_the_tuned_mlps_on_the_seeds_both_were_scored_on():
    from mnist_compare.sections.base import seed_summary

    sweep = sections.width_sweep
    small = seed_summary([0.985, 0.986, 0.984])
    results = {
        "research": {
            sweep.KEY: {"small_tuned": {"seeds": [0, 1, 2], "test_accuracy": small}},
            "recipes": {
                "scored_seeds": [0, 1, 2],
                "tuned": {
                    "mlp_wide": seed_summary([0.984, 0.984, 0.983]),
                    "mlp_compute": seed_summary([0.985, 0.984, 0.984]),
                },
            },
        }
    }
    found = sweep.small_tuned_against(results)
    assert set(found) == {"mlp_wide", "mlp_compute"}
    assert found["mlp_wide"]["mean"] == pytest.approx(0.0013333, abs=1e-6)
    assert found["mlp_compute"]["mean"] == pytest.approx(0.002 / 3, abs=1e-9)
    assert found["mlp_compute"]["n"] == 3
    # Scored on other seeds than the tuned MLPs: nothing to pair.
    results["research"]["recipes"]["scored_seeds"] = [0, 1, 3]
    assert sweep.small_tuned_against(results) == {}


def test_the_split_at_the_mlps_size_is_the_share_of_the_lead_the_small_cnn_gains():
    from mnist_compare.sections.base import seed_summary

    sweep = sections.width_sweep
    rng = np.random.default_rng(0)
    mlp = 0.977 + 0.001 * rng.standard_normal(8)
    cnn, small = mlp + 0.008, mlp + 0.006 + 0.0002 * rng.standard_normal(8)
    models = {"mlp": mlp, "cnn": cnn, "cnn_small": small}
    results = {
        "research": {
            "size_seeds": {"models": {n: {"test_accuracy": seed_summary(v)} for n, v in models.items()}},
            sweep.KEY: {},
        }
    }
    split = sweep.share_at_mlp_size(results)
    assert set(split) == {"original"}, "no tuned split without the tuned runs"
    share = (small.mean() - mlp.mean()) / (cnn.mean() - mlp.mean())
    assert split["original"]["share"] == pytest.approx(share, abs=1e-9)
    assert split["original"]["ci_low"] < share < split["original"]["ci_high"]
