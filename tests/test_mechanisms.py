"""Known-answer tests of the equivariance, disagreement and GAP-noise sections (``mechanisms``), and the three
sections run in fast mode on the shipped MNIST subset (their keys, tables and figures)."""

from __future__ import annotations

import json
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mnist_compare import metrics, plots, sections, transforms  # noqa: E402
from tests.conftest import fast_research_sections  # noqa: E402


def ink_images(count=6, seed=0, margin=5):
    """Random 'digits': ink only inside a margin, so a move of up to ``margin`` pixels loses none of it."""
    rng = np.random.default_rng(seed)
    images = np.zeros((count, 28, 28, 1), dtype=np.float32)
    images[:, margin : 28 - margin, margin : 28 - margin, 0] = (
        rng.random((count, 28 - 2 * margin, 28 - 2 * margin)) > 0.6
    )
    return images


# --- pure pieces ------------------------------------------------------------------------------------------


def test_an_exact_shift_moves_every_pixel_and_fills_with_zeros():
    image = np.zeros((1, 28, 28, 1), dtype=np.float32)
    image[0, 10, 12, 0] = 1.0
    image[0, 0, 27, 0] = 0.5  # leaves the frame when moved right
    moved = sections.equivariance.shift_exact(image, 2, 3)
    assert moved[0, 12, 15, 0] == 1.0 and moved.sum() == 1.0, (
        "moved 2 down, 3 right; the corner pixel is lost"
    )
    back = sections.equivariance.shift_exact(moved, -2, -3)
    assert back[0, 10, 12, 0] == 1.0 and back.sum() == 1.0
    np.testing.assert_array_equal(sections.equivariance.shift_exact(image, 0, 0), image)
    assert not sections.equivariance.shift_exact(image, 0, 28).any(), (
        "a move by the whole width leaves nothing"
    )


def test_cosine_of_known_vectors():
    a = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0], [0.0, 0.0], [3.0, 4.0]])
    b = np.array([[0.0, 2.0], [2.0, 2.0], [0.0, 0.0], [1.0, 0.0], [-3.0, -4.0]])
    np.testing.assert_allclose(sections.equivariance.cosine_rows(a, b), [0.0, 1.0, 1.0, 0.0, -1.0])


def _conv_model(bias: float):
    import keras

    model = keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Conv2D(4, 3, activation="relu", name="conv")]
    )
    kernel = np.random.default_rng(1).normal(size=(3, 3, 1, 4)).astype(np.float32)
    model.get_layer("conv").set_weights([kernel, np.full(4, bias, dtype=np.float32)])
    return model


def test_a_convolution_is_exactly_equivariant_and_a_dense_layer_is_not():
    images = ink_images()
    moved = sections.equivariance.shift_exact(images, 0, 3)
    conv = _conv_model(bias=0.0)
    maps, maps_moved = (sections.base.layer_outputs(conv, ["conv"], batch)[0] for batch in (images, moved))
    scores = sections.equivariance.equivariance_scores(maps, maps_moved, 0, 3)
    np.testing.assert_allclose(scores["overlap"], 1.0, atol=1e-6)
    np.testing.assert_allclose(
        scores["zero_filled"], 1.0, atol=1e-6
    )  # bias 0: the moved-in strip is 0 as well
    assert np.all(scores["unaligned"] < 0.9), "not undoing the move: the maps differ"
    # With a positive bias the moved-in strip holds ReLU(bias), not 0: exact on the overlap, lower on the
    # whole map.
    biased = _conv_model(bias=0.5)
    maps, maps_moved = (sections.base.layer_outputs(biased, ["conv"], batch)[0] for batch in (images, moved))
    scores = sections.equivariance.equivariance_scores(maps, maps_moved, 0, 3)
    np.testing.assert_allclose(scores["overlap"], 1.0, atol=1e-6)
    assert np.all(scores["zero_filled"] < 1 - 1e-4)
    # A dot moved farther than the 3x3 kernel reaches shares no position with the original: cosine 0
    # unaligned.
    dot = np.zeros((1, 28, 28, 1), dtype=np.float32)
    dot[0, 14, 10, 0] = 1.0
    dense_like = sections.equivariance.cosine_rows(dot, sections.equivariance.shift_exact(dot, 0, 3))
    assert dense_like[0] == 0.0


def test_same_class_partners_are_the_next_item_of_the_class():
    np.testing.assert_array_equal(
        sections.equivariance.same_class_partners(np.array([1, 0, 1, 0, 1])), [2, 3, 4, 1, 0]
    )


def test_disagreement_counts_of_synthetic_predictions():
    labels = np.array([0, 1, 2, 3, 4, 5, 6, 7])
    mlp = np.array([0, 9, 2, 9, 4, 9, 9, 7])  # wrong on 1, 3, 5, 6
    cnn = np.array([0, 1, 9, 3, 4, 5, 9, 9])  # wrong on 2, 6, 7
    masks = sections.disagreements.disagreement_masks(labels, mlp, cnn)
    assert np.flatnonzero(masks["cnn_only"]).tolist() == [1, 3, 5]
    assert np.flatnonzero(masks["mlp_only"]).tolist() == [2, 7]
    test = metrics.mcnemar_exact(
        labels, mlp, cnn
    )  # the counts results["comparisons"] holds (a = MLP, b = CNN)
    assert (test["b_only"], test["a_only"], test["both_wrong"]) == (3, 2, 1)
    confidence = np.array([0.1, 0.9, 0.2, 0.9, 0.3, 0.95, 0.0, 0.0])
    assert sections.disagreements.gallery_order(masks["cnn_only"], confidence, 2).tolist() == [5, 1], (
        "highest first, ties by index"
    )


def test_the_clipped_noise_mean_is_std_over_root_two_pi():
    for std in (0.1, 0.2, 0.3):
        draws = np.clip(np.random.default_rng(0).normal(0, std, 2_000_000), 0, 1)
        assert sections.gap_noise.clipped_noise_mean(std) == pytest.approx(draws.mean(), abs=3e-4)
    assert sections.gap_noise.clipped_noise_mean(0.2) == pytest.approx(0.2 / math.sqrt(2 * math.pi), rel=1e-4)
    assert sections.gap_noise.clipped_noise_mean(0) == 0.0


def test_each_noise_condition_changes_one_thing():
    images = ink_images(count=20)
    std = 0.2
    out = sections.gap_noise.noise_conditions(images, std)
    assert list(out) == list(sections.gap_noise.GAP_NOISE_CONDITIONS)
    np.testing.assert_array_equal(
        out["clipped"], transforms.noisy_images(images, std)
    )  # the robustness curve's noise
    ink, background = images > 0, images == 0
    mean = sections.gap_noise.clipped_noise_mean(std)
    assert out["unclipped"].min() < 0 and abs(float((out["unclipped"] - images).mean())) < 0.01, (
        "zero-mean noise"
    )
    assert abs(float(out["clipped"][background].mean()) - mean) < 0.005
    assert abs(float(out["clipped_centred"][background].mean())) < 0.005
    assert np.all(out["ink_only"][background] == 0) and not np.array_equal(out["ink_only"][ink], images[ink])
    np.testing.assert_array_equal(out["background_only"][ink], images[ink])
    np.testing.assert_allclose(out["constant_background"][background], mean)
    np.testing.assert_array_equal(out["constant_background"][ink], images[ink])
    far = (slice(None), slice(1, 3))  # rows of background far from any ink
    assert out["median"][far].mean() < 0.5 * out["clipped"][far].mean(), "the median filter removes specks"
    assert list(sections.gap_noise.noise_conditions(images, std, ["median", "clipped"])) == [
        "median",
        "clipped",
    ]
    with pytest.raises(ValueError, match="Unknown noise condition"):
        sections.gap_noise.noise_conditions(images, std, ["blur"])


def test_the_gap_cnns_receptive_field_is_what_one_pixel_reaches():
    from mnist_compare import models

    model = models.build_model("cnn_gap")
    size, stride = sections.gap_noise.receptive_field(model, "conv2")
    assert (size, stride) == (8, 2)
    # Changing one pixel changes exactly the conv2 positions whose 8x8 window (every 2 pixels) holds it.
    base = np.random.default_rng(2).random((1, 28, 28, 1)).astype(np.float32)
    poked = base.copy()
    poked[0, 13, 6, 0] += 5.0
    before, after = (sections.base.layer_outputs(model, ["conv2"], batch)[0] for batch in (base, poked))
    changed = np.any(np.abs(after - before) > 1e-6, axis=-1)[0]
    expected = ~sections.gap_noise.blank_positions(poked - base, size, stride)[0]
    assert changed.shape == expected.shape == (11, 11)
    assert not np.any(changed & ~expected), "nothing outside the receptive fields changes"
    assert changed.sum() >= 0.5 * expected.sum()


def test_a_common_feature_offset_is_found_and_removed():
    rng = np.random.default_rng(3)
    labels = np.repeat(np.arange(3), 20)
    weights = np.eye(3)
    clean = np.eye(3)[labels] * 2 + rng.normal(0, 0.1, (60, 3))
    shift = np.array([0.0, 0.0, 5.0])
    out = sections.gap_noise.feature_offset(
        clean,
        clean + shift,
        weights,
        np.zeros(3),
        labels,
        clean_part=np.zeros_like(clean),
        changed_part=np.tile(shift / 4, (60, 1)),
    )
    assert out["constant_share"] == pytest.approx(1.0) and out["norm"] == pytest.approx(5.0)
    assert out["toward"] == 2 and out["accuracy_removed"] == 1.0
    assert out["part_share"] == pytest.approx(0.25)
    assert np.mean(np.argmax(clean + shift, 1) == labels) < 0.4, "uncorrected, the offset wins"


# --- the three sections in fast mode on the shipped subset --------------------------------------------------


def _gap_cnn(ctx, splits, paths) -> dict:
    """Only the GAP CNN of the architecture controls is read: train it alone, as architecture_controls
    does."""
    with sections.base.progress_bar(1, False) as progress:
        sections.base.extra_runs(
            "architecture", [sections.base.GAP_MODEL], [0], splits, (1,), paths, progress
        )
    return {"architecture_controls": {"models": {sections.base.GAP_MODEL: {"seeds": [0], "epochs": 1}}}}


@pytest.fixture(scope="module")
def fast_sections(tmp_path_factory):
    return fast_research_sections(
        tmp_path_factory.mktemp("mechanisms"),
        ("equivariance", "disagreements", "gap_noise"),
        prepare=_gap_cnn,
    )


def test_the_equivariance_section_measures_every_representation(fast_sections):
    results, _, splits = fast_sections
    section = results["research"]["equivariance"]
    assert section["images"] == min(sections.equivariance.EQUIVARIANCE_FAST_IMAGES, len(splits.y_test))
    assert section["seeds"] == [0] and section["shapes"] == {
        "cnn_conv": [26, 26, 32],
        "cnn_hidden": 100,
        "mlp_hidden": 128,
    }
    assert section["cnn_conv"]["overlap"]["mean"] == pytest.approx(1.0, abs=1e-5)
    assert section["cnn_conv"]["overlap_min"]["values"][0] > 0.9999
    assert section["cnn_conv"]["unaligned"]["mean"] < 0.9
    for key in ("cnn_hidden", "mlp_hidden"):
        assert set(section[key]) == {"shifted", "same_class"} and section[key]["shifted"]["n"] == 1
    assert set(section["same_prediction"]) == {"mlp", "cnn"}
    json.dumps(section, allow_nan=False)
    text = sections.equivariance.equivariance_markdown(results)
    assert text.startswith('<a id="equivariance-table"></a>') and "| CNN hidden layer (100 units) |" in text
    answers = sections.equivariance.equivariance_answers_markdown(results)
    assert answers.startswith('<a id="equivariance-answers-table"></a>') and "| CNN |" in answers


def test_the_disagreements_agree_with_the_mcnemar_counts(fast_sections):
    results, _, splits = fast_sections
    section = results["research"]["disagreements"]
    test = next(c for c in results["comparisons"] if c["epochs"] == 1)["mcnemar"][0]
    assert section["counts"]["cnn_only"]["values"] == [test["b_only"]]
    assert section["counts"]["mlp_only"]["values"] == [test["a_only"]]
    assert section["checked_against_comparisons"] == [0]
    assert sum(section["by_label"]["cnn_only"]) == test["b_only"]
    gallery = section["gallery"]
    for key, right, wrong in (("cnn_only", "cnn", "mlp"), ("mlp_only", "mlp", "cnn")):
        items = gallery[key]
        assert len(items) == min(
            sections.disagreements.DISAGREEMENT_GALLERY, section["counts"][key]["values"][0]
        )
        for item in items:
            assert item[right]["predicted"] == item["label"] == int(splits.y_test[item["index"]])
            assert item[wrong]["predicted"] != item["label"]
        confidences = [item[wrong]["confidence"] for item in items]
        assert confidences == sorted(confidences, reverse=True)
    json.dumps(section, allow_nan=False)
    tables = sections.disagreements.disagreements_markdown(results)
    assert "McNemar" in tables and '<a id="disagreements-digits-table"></a>' in tables
    assert f"| CNN right, MLP wrong | {test['b_only']} | {test['b_only']} |" in tables
    assert sections.disagreements.count_text(section["counts"]["cnn_only"]) == str(test["b_only"])


def test_a_disagreement_count_that_contradicts_the_comparisons_is_refused(fast_sections):
    import copy

    results, paths, splits = fast_sections
    wrong = copy.deepcopy(results)
    next(c for c in wrong["comparisons"] if c["epochs"] == 1)["mcnemar"][0]["b_only"] += 1
    ctx = sections.base.Context(wrong, splits, paths, False, lambda *_: None)
    with pytest.raises(ValueError, match="run the grid again"):
        sections.disagreements.compute(ctx, {})


def test_the_gap_noise_section_has_every_condition_and_an_explanation(fast_sections):
    results, _, _ = fast_sections
    section = results["research"]["gap_noise"]
    main = section["noise"][str(section["main_level"])]
    assert list(main) == list(sections.gap_noise.GAP_NOISE_CONDITIONS)
    assert [str(level) for level in section["levels"]] == list(section["noise"])
    for level, conditions in section["noise"].items():
        expected = (
            sections.gap_noise.GAP_NOISE_CONDITIONS
            if float(level) == section["main_level"]
            else sections.gap_noise.GAP_NOISE_CURVE
        )
        assert list(conditions) == list(expected)
    for item in main.values():
        assert len(item["predicted"]) == 1 and sum(item["predicted"][0]) == section["images"]
        assert set(item["offset"]) == {"constant_share", "norm", "toward", "accuracy_removed", "blank_share"}
    assert section["receptive_field"]["size"] == 8 and section["receptive_field"]["positions"] == 121
    assert set(section["contrast"]["accuracy"]) == {
        "clean",
        "median_clean",
        *sections.gap_noise.GAP_NOISE_CONDITIONS,
    }
    json.dumps(section, allow_nan=False)
    text = sections.gap_noise.gap_noise_markdown(results)
    assert "median filter" in text and "| clean |" in text and f"{section['epochs']} epochs" in text
    levels = sections.gap_noise.gap_noise_levels_markdown(results)
    assert [f"noise std {level}" in levels for level in section["levels"]] == [True] * len(section["levels"])
    answer, share = sections.gap_noise.modal_answer(main["clipped"]["predicted"])
    assert main["clipped"]["predicted"][0][answer] == max(main["clipped"]["predicted"][0]) and 0 < share <= 1


def _check_print(fig):
    from tests.test_figures_print import drawn_texts

    with drawn_texts() as texts:
        fig.canvas.draw()
    scale = plots.printed_scale(fig)
    small = [
        (t.get_text(), t.get_fontsize() * scale)
        for t in texts
        if t.get_fontsize() * scale < plots.MIN_PRINTED_POINTS - 1e-9
    ]
    assert texts and not small, small


def test_the_three_figures_print_at_7_points_or_more(fast_sections):
    from mnist_compare.training import load_snapshot

    results, paths, splits = fast_sections
    models = {name: load_snapshot(paths.models / f"{name}_seed0", 1) for name in ("mlp", "cnn")}
    makers = (
        lambda: sections.equivariance.plot_equivariance(models, splits.x_test[0], results=results),
        lambda: sections.disagreements.plot_disagreements(results, splits.x_test),
        lambda: sections.gap_noise.plot_gap_noise(results),
    )
    for make in makers:
        with plt.rc_context(plots.RC_PARAMS):
            fig = make()
            try:
                _check_print(fig)
            finally:
                plt.close(fig)
