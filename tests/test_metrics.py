import numpy as np
import pytest

from mnist_compare import metrics


def test_accuracy_and_cross_entropy_known_answers():
    labels = np.array([0, 1, 2, 1])
    probabilities = np.array(
        [
            [0.7, 0.2, 0.1],
            [0.1, 0.8, 0.1],
            [0.3, 0.3, 0.4],
            [0.6, 0.3, 0.1],  # wrong
        ]
    )
    assert metrics.accuracy(labels, probabilities) == 0.75
    expected = -np.mean(np.log([0.7, 0.8, 0.4, 0.3]))
    assert metrics.cross_entropy(labels, probabilities) == pytest.approx(expected)


def test_cross_entropy_matches_keras():
    import keras

    rng = np.random.default_rng(1)
    logits = rng.normal(size=(50, 10))
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = rng.integers(0, 10, 50)
    reference = float(keras.losses.SparseCategoricalCrossentropy()(labels, probabilities.astype(np.float32)))
    assert metrics.cross_entropy(labels, probabilities) == pytest.approx(reference, rel=1e-5)


def test_overfitting_gap_of_a_synthetic_run():
    # the original report's 5-epoch MLP: 0.9891 train, 0.9770 test -> gap 0.0121
    gap = metrics.overfitting_gap({"accuracy": 0.9891, "loss": 0.0385}, {"accuracy": 0.9770, "loss": 0.0804})
    assert gap["accuracy_gap"] == pytest.approx(0.0121)
    assert gap["loss_gap"] == pytest.approx(0.0419)


def test_summarize_known_interval():
    summary = metrics.summarize([1.0, 3.0])
    # mean 2, sample std sqrt(2), t(0.975, 1) = 12.7062 -> half width 12.7062 * sqrt(2) / sqrt(2)
    assert summary["mean"] == 2.0 and summary["std"] == pytest.approx(np.sqrt(2))
    assert summary["ci_low"] == pytest.approx(2 - 12.7062, abs=1e-3)
    assert summary["ci_high"] == pytest.approx(2 + 12.7062, abs=1e-3)
    single = metrics.summarize([0.5])
    assert single["std"] is None and single["ci_low"] is None
    with pytest.raises(ValueError):
        metrics.summarize([])


def test_mcnemar_exact_known_p_value():
    labels = np.zeros(20, dtype=int)
    a = np.zeros(20, dtype=int)
    b = np.zeros(20, dtype=int)
    a[:2] = 1  # A wrong on 2 items B gets right
    b[2:12] = 1  # B wrong on 10 items A gets right
    result = metrics.mcnemar_exact(labels, a, b)
    assert (result["a_only"], result["b_only"], result["both_right"], result["both_wrong"]) == (10, 2, 8, 0)
    # two-sided exact binomial: P(X <= 2 or X >= 10 | n=12, p=1/2) = 2 * 79 / 4096
    assert result["p_value"] == pytest.approx(2 * 79 / 4096)
    assert metrics.mcnemar_exact(labels, a, a)["p_value"] == 1.0


def test_confusion_per_class_and_most_confused():
    labels = np.array([0, 0, 1, 1, 1, 2])
    predicted = np.array([0, 1, 1, 1, 2, 2])
    matrix = metrics.confusion(labels, predicted, num_classes=3)
    np.testing.assert_array_equal(matrix, [[1, 1, 0], [0, 2, 1], [0, 0, 1]])
    scores = metrics.per_class_scores(labels, predicted, num_classes=3)
    assert scores["precision"] == pytest.approx([1.0, 2 / 3, 0.5])
    assert scores["recall"] == pytest.approx([0.5, 2 / 3, 1.0])
    assert scores["support"] == [2, 3, 1]
    pairs = metrics.most_confused_pairs(matrix, top=5)
    assert {(p["true"], p["predicted"]) for p in pairs} == {(0, 1), (1, 2)}


def test_format_mean_std():
    assert metrics.format_mean_std({"mean": 0.97791, "std": 0.0008}, percent=True) == "97.79 ± 0.08"
    assert metrics.format_mean_std({"mean": 0.5, "std": None}, digits=3) == "0.500"


def test_reliability_and_expected_calibration_error_known_answers():
    labels = np.array([0, 0, 1, 1])
    # Two answers at 0.95 confidence (one right), two at 0.55 (both right).
    probabilities = np.array([[0.95, 0.05], [0.05, 0.95], [0.45, 0.55], [0.45, 0.55]])
    table = metrics.reliability(labels, probabilities, bins=10)
    assert table["count"][5] == 2 and table["count"][9] == 2 and table["count"].sum() == 4
    assert table["accuracy"][9] == pytest.approx(0.5) and table["confidence"][9] == pytest.approx(0.95)
    assert table["accuracy"][5] == pytest.approx(1.0) and table["confidence"][5] == pytest.approx(0.55)
    # ECE = 2/4 * |0.5 - 0.95| + 2/4 * |1.0 - 0.55| = 0.45
    assert metrics.expected_calibration_error(table) == pytest.approx(0.45)
    perfect = metrics.reliability(np.array([0, 1]), np.array([[1.0, 0.0], [0.0, 1.0]]))
    assert metrics.expected_calibration_error(perfect) == pytest.approx(0.0)


def test_binomial_interval_is_wilson():
    low, high = metrics.binomial_interval(50, 100)
    assert (round(low, 4), round(high, 4)) == (0.4038, 0.5962)
    low, high = metrics.binomial_interval(9776, 10_000)
    assert low < 0.9776 < high and 0.0025 < (high - low) / 2 < 0.0035, (
        "about ±0.3 pp at 97.8% on 10,000 images"
    )
    with pytest.raises(ValueError):
        metrics.binomial_interval(0, 0)


def test_best_epoch_is_the_first_lowest_loss():
    assert metrics.best_epoch([0.3, 0.2, 0.1, 0.1, 0.2]) == 3
    assert metrics.best_epoch([0.90, 0.95, 0.94], lower_is_better=False) == 2


def test_image_sampling_widens_a_paired_interval_by_the_discordant_images():
    from mnist_compare.metrics import summarize, with_image_sampling

    counts = {"a_only": 140, "b_only": 43, "both_right": 9738, "both_wrong": 79}
    # Known answer: d = 0.0183, m = 0.0097 over 10,000 images; no spread over seeds: only the images count.
    still = {**summarize([0.0097] * 5), "std": 0.0}
    wider = with_image_sampling(still, [counts, counts])
    expected = ((0.0183 - 0.0097**2) / 10_000) ** 0.5
    assert wider["image_se"] == pytest.approx(expected)
    assert wider["ci_high"] - wider["mean"] == pytest.approx(1.959964 * expected, rel=1e-5)
    # No discordant image: the interval over seeds is left as it was.
    seeds = summarize([0.009, 0.010, 0.011, 0.0095, 0.0105])
    same = with_image_sampling(seeds, [{"a_only": 0, "b_only": 0, "both_right": 9_900, "both_wrong": 100}])
    assert (same["ci_low"], same["ci_high"]) == pytest.approx((seeds["ci_low"], seeds["ci_high"]))
    # Both parts: wider than either alone.
    both = with_image_sampling(seeds, [counts])
    assert both["ci_high"] - both["mean"] > max(seeds["ci_high"] - seeds["mean"], 1.959964 * expected)


def test_the_error_rate_bound_is_the_image_sampling_of_models_whose_errors_never_overlap():
    from mnist_compare.metrics import summarize, with_error_rate_bound, with_image_sampling

    # Accuracies 98.57% and 97.74% on 10,000 images: 143 and 226 errors. If no image is wrong for both,
    # the discordant images are all 369 errors, and the bound is McNemar's image sampling for those counts.
    disjoint = {"a_only": 226, "b_only": 143, "both_right": 9_631, "both_wrong": 0}
    seeds = summarize([0.0080, 0.0085, 0.0083, 0.0079, 0.0088])
    bound = with_error_rate_bound(seeds, [0.9857] * 5, [0.9774] * 5, 10_000)
    exact = with_image_sampling(seeds, [disjoint])
    assert bound["image_se"] == pytest.approx(exact["image_se"])
    # Errors that overlap (79 images wrong for both) leave fewer discordant images: a narrower interval than
    # the bound, which is therefore conservative.
    overlap = {"a_only": 147, "b_only": 64, "both_right": 9_710, "both_wrong": 79}
    overlapping = with_image_sampling(seeds, [overlap])
    assert overlapping["ci_high"] - overlapping["ci_low"] < bound["ci_high"] - bound["ci_low"]
