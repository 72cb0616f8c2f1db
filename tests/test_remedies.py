"""Shift augmentation for both models and temperature scaling: known answers, the demo's calibrated
confidences, and both research sections run in fast mode on the shipped small subset."""

import json

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mnist_compare import config, data, metrics, plots, registry, sections, storage, training, transforms  # noqa: E402
from tests.conftest import SMALL_MNIST, fast_research_sections  # noqa: E402

SHIPPED = {name: config.PROJECT_ROOT / "models" / f"{name}_seed0" for name in registry.demo_models()}
EPOCH = 10


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# --- temperature scaling: known answers ---------------------------------------------------------------


@pytest.mark.parametrize("true_t", [0.5, 1.0, 2.5])
def test_the_fitted_temperature_recovers_the_one_that_made_the_probabilities(true_t):
    rng = np.random.default_rng(3)
    logits = rng.normal(0, 3, size=(40_000, 10))
    labels = np.array([rng.choice(10, p=p) for p in softmax(logits)])  # calibrated at T = 1
    given = softmax(logits * true_t)  # a model whose logits are true_t times too large (or small)
    fitted = metrics.fit_temperature(labels, given)
    assert fitted == pytest.approx(true_t, rel=0.03)
    assert metrics.temperature_nll(labels, given, fitted) <= metrics.temperature_nll(labels, given) + 1e-12


def test_temperature_scaling_is_softmax_of_the_logits_over_t_and_keeps_the_answer():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 4, size=(200, 10))
    probabilities = softmax(logits).astype(np.float32)
    for t in (0.3, 1.0, 1.7, 20.0):
        scaled = metrics.temperature_scale(probabilities, t)
        assert scaled.dtype == np.float32
        np.testing.assert_allclose(scaled, softmax(logits / t), rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(
            scaled, softmax(np.log(probabilities.astype(np.float64)) / t), rtol=1e-5, atol=1e-7
        )
        np.testing.assert_array_equal(np.argmax(scaled, 1), np.argmax(probabilities, 1))
    # an output that underflowed to 0 stays finite and tiny
    hard = np.array([[1.0, 0.0] + [0.0] * 8], dtype=np.float32)
    scaled = metrics.temperature_scale(hard, 2.0)
    assert np.all(np.isfinite(scaled)) and scaled[0, 0] > 0.999 and scaled.sum() == pytest.approx(1.0)
    with pytest.raises(ValueError):
        metrics.temperature_scale(probabilities, 0.0)


def test_the_fit_stays_in_its_bounds():
    labels = np.zeros(100, dtype=int)
    right = np.tile([0.6, 0.4], (100, 1))  # always right: the NLL falls as T falls, down to the bound
    assert metrics.fit_temperature(labels, right, (0.5, 4.0)) == pytest.approx(0.5, rel=1e-3)


# --- the calibration file and the demo --------------------------------------------------------------


def shipped_output(root):
    """An output folder with the shipped seed-0 models (run.json recording the sha256 of what is there)."""
    for name, source in SHIPPED.items():
        run_dir = root / "models" / source.name
        run_dir.mkdir(parents=True)
        path = run_dir / f"epoch{training.shown_snapshot(name, False, EPOCH):02d}.keras"
        path.write_bytes((source / path.name).read_bytes())
        storage.write_json(run_dir / training.RUN_RECORD, {"artefacts": {path.name: storage.sha256(path)}})
    return root


def test_the_temperature_file_is_read_only_for_the_snapshot_it_was_fitted_for(tmp_path):
    run_dir = shipped_output(tmp_path) / "models" / "mlp_seed0"
    assert training.read_temperature(run_dir, EPOCH) == 1.0, "no file: no scaling"
    training.write_calibration(run_dir, EPOCH, 1.8, fitted_on="validation")
    info = json.loads((run_dir / training.CALIBRATION_FILE).read_text())
    assert (
        info["temperature"] == 1.8
        and info["fitted_on"] == "validation"
        and info["snapshot"] == "epoch10.keras"
    )
    assert training.read_temperature(run_dir, EPOCH) == 1.8
    assert training.read_temperature(run_dir, 5) == 1.0, "another snapshot"
    storage.write_json(run_dir / training.RUN_RECORD, {"artefacts": {"epoch10.keras": "0" * 64}})
    assert training.read_temperature(run_dir, EPOCH) == 1.0, "the snapshot was trained again since"
    for bad in (
        "not json",
        json.dumps({"temperature": -1}),
        json.dumps({"temperature": "hot"}),
        json.dumps([1]),
    ):
        (run_dir / training.CALIBRATION_FILE).write_text(bad)
        assert training.read_temperature(run_dir, EPOCH) == 1.0


def test_the_demo_shows_the_probabilities_scaled_by_the_temperature_file(tmp_path, monkeypatch):
    from mnist_compare import demo

    root = shipped_output(tmp_path / "output")
    monkeypatch.setenv(config.ENV_OUTPUT, str(root))
    (_, _), (x_test, _) = data.load_mnist(SMALL_MNIST)
    batch = x_test[:32, :, :, None].astype(np.float32) / 255.0
    canvas = demo.sample_canvas(x_test[0])

    plain = demo.DigitReader.from_saved(fast=False)
    assert plain.temperatures == dict.fromkeys(registry.demo_models(), 1.0) and plain.uses_numpy
    raw = plain.predict(batch)
    shown_raw = demo.read_drawing(plain, canvas).probabilities

    temperatures = {"mlp": 2.5, "cnn": 0.7}
    for name, t in temperatures.items():
        training.write_calibration(root / "models" / f"{name}_seed0", EPOCH, t, fitted_on="validation")
    calibrated = demo.DigitReader.from_saved(fast=False)
    assert calibrated.temperatures == {**dict.fromkeys(registry.demo_models(), 1.0), **temperatures}
    scaled = calibrated.predict(batch)
    reading = demo.read_drawing(calibrated, canvas)
    assert reading.ok
    for name, t in temperatures.items():
        expected = softmax(np.log(raw[name].astype(np.float64)) / t)
        np.testing.assert_allclose(scaled[name], expected, rtol=1e-5, atol=1e-7)
        assert not np.allclose(scaled[name], raw[name], atol=1e-4), "the shown probabilities change"
        np.testing.assert_array_equal(np.argmax(scaled[name], 1), np.argmax(raw[name], 1))
        np.testing.assert_allclose(
            reading.probabilities[name],
            softmax(np.log(shown_raw[name].astype(np.float64)) / t),
            rtol=1e-5,
            atol=1e-7,
        )
    assert calibrated.predict(batch)["mlp"].max(1).mean() < raw["mlp"].max(1).mean(), "T > 1 softens"


# --- the sentences: known answers ----------------------------------------------------------------------


def _summary(values):
    return sections.base.seed_summary(values)


def shift_section(mlp_plain, mlp_aug, cnn_plain, cnn_aug, seeds=(0,), unshifted=(0.98, 0.98)):
    """A shift_augmentation section whose 3-pixel accuracies are the given ones (1 seed); every model has
    ``unshifted`` accuracies (MLP, CNN) at 0 pixels and 0.5 at the other shifts."""
    levels = [0, 1, 2, 3, 4, 5, 6, 7, 8]
    at = {
        "mlp": {"plain": mlp_plain, "augmented": mlp_aug},
        "cnn": {"plain": cnn_plain, "augmented": cnn_aug},
    }

    def curve(value, unshifted):
        return [_summary([unshifted if level == 0 else value if level == 3 else 0.5]) for level in levels]

    models = {
        name: {
            v: {"test_accuracy": _summary([0.98]), "shift": curve(value, unshifted[name == "cnn"])}
            for v, value in item.items()
        }
        for name, item in at.items()
    }
    gap = {
        v: {
            "test_accuracy": _summary([0.0]),
            "shift": [
                _summary([c["values"][0] - m["values"][0]])
                for c, m in zip(models["cnn"][v]["shift"], models["mlp"][v]["shift"])
            ],
        }
        for v in ("plain", "augmented")
    }
    return {
        "research": {
            "shift_augmentation": {
                "pixels": 3,
                "epochs": 5,
                "seeds": list(seeds),
                "images": 3000,
                "test_images": 10000,
                "levels": levels,
                "models": models,
                "gap": gap,
            }
        }
    }


def test_the_shift_table_gives_every_model_and_both_gaps_at_every_shift():
    markdown = sections.shift_augmentation.shift_augmentation_markdown(shift_section(0.57, 0.80, 0.87, 0.85))
    assert markdown.startswith('<a id="shift-augmentation-table"></a>') and "5 epochs, 1 seed" in markdown
    # One column per shift, 0 px (the same images unshifted) first; no second unshifted column.
    assert "| MLP, shift-augmented | 98.0 | 50.0 | 50.0 | 80.0 | 50.0 | 50.0 | 50.0 |" in markdown
    assert "| CNN − MLP, plain (pp) | +0.0 | +0.0 | +0.0 | +30.0 |" in markdown
    assert "| CNN − MLP, shift-augmented (pp) | +0.0 | +0.0 | +0.0 | +5.0 |" in markdown


# --- both sections in fast mode on the shipped subset -----------------------------------------------


@pytest.fixture(scope="module")
def fast_sections(tmp_path_factory):
    return fast_research_sections(
        tmp_path_factory.mktemp("remedies"), ("shift_augmentation", "temperature_scaling")
    )


def test_the_shift_augmentation_section_has_the_four_models_and_their_gaps(fast_sections):
    results, paths, _ = fast_sections
    section = results["research"]["shift_augmentation"]
    assert (
        section["pixels"] == sections.shift_augmentation.SHIFT_AUGMENT_PIXELS
        and section["epochs"] == 1
        and section["seeds"] == [0]
    )
    assert section["levels"] == transforms.ROBUSTNESS_LEVELS["shift"]
    assert section["augment_shift"] == {"mlp": [3], "cnn": [3]}, "the runs were trained with the augmentation"
    for name in ("mlp", "cnn"):
        plain_run = next(r for r in results["runs"] if r["model"] == name and r["seed"] == 0)
        assert section["models"][name]["plain"]["test_accuracy"]["values"] == [
            plain_run["snapshots"]["1"]["test"]["accuracy"]
        ], "plain = the grid's snapshot of the same epochs"
        for variant in ("plain", "augmented"):
            item = section["models"][name][variant]
            assert len(item["shift"]) == len(section["levels"])
            assert item["shift"][0]["n"] == 1 and item["shift"][0]["ci_low"] is None
        assert (paths.models / "research" / f"shift3_{name}_seed0" / "run.json").is_file()
    gap = section["gap"]["augmented"]["shift"][3]["values"][0]
    assert gap == pytest.approx(
        section["models"]["cnn"]["augmented"]["shift"][3]["values"][0]
        - section["models"]["mlp"]["augmented"]["shift"][3]["values"][0]
    )
    json.dumps(section, allow_nan=False)
    table = sections.shift_augmentation.shift_augmentation_markdown(results)
    assert "| CNN − MLP, shift-augmented (pp) |" in table


def test_the_temperature_section_fits_on_validation_and_writes_the_demo_file(fast_sections):
    results, paths, splits = fast_sections
    section = results["research"]["temperature_scaling"]
    assert section["fitted_on"] == "validation" and section["validation_images"] == len(splits.y_val)
    for name in ("mlp", "cnn"):
        item = section["models"][name]
        t = item["temperature"]["values"][0]
        assert (
            sections.temperature_scaling.TEMPERATURE_BOUNDS[0]
            <= t
            <= sections.temperature_scaling.TEMPERATURE_BOUNDS[1]
        )
        assert item["after"]["accuracy"]["values"] == item["before"]["accuracy"]["values"], (
            "accuracy unchanged"
        )
        assert item["validation_nll"]["after"]["mean"] <= item["validation_nll"]["before"]["mean"] + 1e-12
        for key in ("ece", "confident_mistakes", "nll", "mean_confidence", "reliability"):
            assert key in item["before"] and key in item["after"]
        run_dir = paths.models / f"{name}_seed0"
        assert training.read_temperature(run_dir, 1) == pytest.approx(t)
        assert section["files"][name] == f"{name}_seed0/calibration.json"
    json.dumps(section, allow_nan=False)
    table = sections.temperature_scaling.temperature_scaling_markdown(results)
    assert f'<a id="{sections.temperature_scaling.TEMPERATURE_TABLE}"></a>' in table
    t = section["models"]["cnn"]["temperature"]["values"][0]
    assert f"| CNN | {t:.3f} |" in table, "one seed: its temperature, without a spread"


def test_the_shift_augmentation_figure_prints_at_7_points_or_more(fast_sections):
    from tests.test_figures_print import drawn_texts

    results, _, _ = fast_sections
    with plt.rc_context(plots.RC_PARAMS):
        fig = sections.shift_augmentation.plot_shift_augmentation(results)
        try:
            with drawn_texts() as texts:
                fig.canvas.draw()
            scale = plots.printed_scale(fig)
        finally:
            plt.close(fig)
    assert texts
    small = [
        (t.get_text(), t.get_fontsize() * scale)
        for t in texts
        if t.get_fontsize() * scale < plots.MIN_PRINTED_POINTS - 1e-9
    ]
    assert not small, small
