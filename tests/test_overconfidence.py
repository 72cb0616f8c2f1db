"""The over-confidence section: the test loss split by whether the answer is right, and its table."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_compare.metrics import summarize
from mnist_compare.sections import overconfidence


def _probabilities(labels: np.ndarray, confidence: float, wrong: int) -> np.ndarray:
    """Probabilities that give ``labels`` ``confidence`` except on the first ``wrong`` images, which put it
    on the next class; the rest is spread evenly over the other classes."""
    rest = (1 - confidence) / 9
    probabilities = np.full((len(labels), 10), rest)
    answers = labels.copy()
    answers[:wrong] = (labels[:wrong] + 1) % 10
    probabilities[np.arange(len(labels)), answers] = confidence
    return probabilities.astype(np.float32)


def test_the_loss_splits_into_its_right_and_wrong_parts():
    labels = np.arange(100) % 10
    probabilities = _probabilities(labels, 0.9, wrong=20)
    found = overconfidence.loss_split(labels, probabilities)
    expected = -np.log(np.clip(probabilities[np.arange(100), labels].astype(np.float64), 1e-7, 1 - 1e-7))
    assert found["loss"] == pytest.approx(expected.mean())
    assert found["loss_right"] + found["loss_wrong"] == pytest.approx(found["loss"])
    # 80 right answers with p = 0.9 on the label, 20 wrong ones with p = 0.1 / 9 on it.
    assert found["loss_right"] == pytest.approx(80 * -np.log(0.9) / 100, rel=1e-5)
    assert found["loss_wrong"] == pytest.approx(20 * -np.log(0.1 / 9) / 100, rel=1e-5)
    assert found["accuracy"] == pytest.approx(0.8)
    assert found["confidence_right"] == pytest.approx(0.9) and found["confidence_wrong"] == pytest.approx(0.9)
    # Every answer is 90% sure and 80% right: the calibration error is the 10-point gap.
    assert found["ece"] == pytest.approx(0.1, abs=1e-6)


def test_a_certain_wrong_answer_costs_what_keras_clips_it_to():
    labels = np.array([0, 1])
    probabilities = np.zeros((2, 10), dtype=np.float32)
    probabilities[0, 0], probabilities[1, 2] = 1.0, 1.0  # one certain right answer, one certain mistake
    found = overconfidence.loss_split(labels, probabilities)
    assert found["loss_wrong"] == pytest.approx(-np.log(1e-7) / 2)
    assert found["loss_right"] == pytest.approx(-np.log(1 - 1e-7) / 2)


def _section(seeds: int = 3) -> dict:
    """A section whose models grow more confident in their mistakes from epoch 5 to epoch 10."""
    labels = np.arange(200) % 10
    models = {}
    for name, (early, late) in {"mlp": ((0.8, 10), (0.9, 8)), "cnn": ((0.85, 6), (0.95, 6))}.items():
        models[name] = {}
        for epoch, (confidence, wrong) in (("5", early), ("10", late)):
            runs = [
                overconfidence.loss_split(labels, _probabilities(labels, confidence + 0.01 * seed, wrong))
                for seed in range(seeds)
            ]
            models[name][epoch] = {
                key: {**summarize([run[key] for run in runs]), "values": [run[key] for run in runs]}
                for key in overconfidence.MEASURES
            }
    return {"seeds": list(range(seeds)), "epochs": [5, 10], "bins": 15, "models": models}


def test_the_change_is_paired_by_seed_and_the_table_shows_both_snapshots():
    results = {"research": {overconfidence.KEY: _section()}, "fast": False}
    change = overconfidence.change(results, "cnn", "confidence_wrong")
    assert change["n"] == 3 and change["mean"] == pytest.approx(0.10)
    # The same step for every seed: no spread, so the interval is the point.
    assert change["ci_low"] == pytest.approx(0.10, abs=1e-5)
    assert change["ci_high"] == pytest.approx(0.10, abs=1e-5)
    loss = overconfidence.change(results, "cnn", "loss_wrong")
    assert loss["mean"] > 0, "surer mistakes cost more"
    table = overconfidence.table_markdown(results)
    assert "after epochs 5 and 10" in table and "over 3 seeds" in table
    rows = [line for line in table.splitlines() if line.startswith("| ")][1:]
    assert len(rows) == 2 * len(overconfidence.TABLE_MEASURES)
    assert rows[0].startswith("| MLP | Test loss |") and rows[len(overconfidence.TABLE_MEASURES)].startswith(
        "| CNN |"
    )
    confident = next(row for row in rows[len(overconfidence.TABLE_MEASURES) :] if "wrong answers (%)" in row)
    assert "| 86.00 | 96.00 | +10.00 [10.00, 10.00] |" in confident, confident
    falls = next(row for row in rows[len(overconfidence.TABLE_MEASURES) :] if "from correct answers" in row)
    assert "| −0." in falls and "-" not in falls, "a minus sign, not a hyphen"


def test_one_seed_shows_no_interval():
    results = {"research": {overconfidence.KEY: _section(seeds=1)}, "fast": True}
    assert "[n/a, n/a]" in overconfidence.table_markdown(results)


def test_the_detectable_spread_ratio_has_the_power_it_claims():
    from scipy import stats

    from mnist_compare.findings import detectable_spread_ratio, variance_ratio_p

    for n in (5, 20):
        ratio = detectable_spread_ratio(n, n)
        low, high = stats.f.ppf(0.025, n - 1, n - 1), stats.f.ppf(0.975, n - 1, n - 1)
        # With the larger spread ``ratio`` times the other, the statistic is ratio² × F(n − 1, n − 1).
        power = stats.f.sf(high / ratio**2, n - 1, n - 1) + stats.f.cdf(low / ratio**2, n - 1, n - 1)
        assert power == pytest.approx(0.8, abs=0.005)
        # Both functions use the same test: spreads just past the critical ratio are significant.
        sd = (high**0.5) * 1.0001
        assert variance_ratio_p({"std": sd, "n": n}, {"std": 1.0, "n": n}) < 0.05
    assert detectable_spread_ratio(5, 5) > detectable_spread_ratio(20, 20) > 1


@pytest.fixture(scope="module")
def committed_results():
    import json

    from mnist_compare import config

    path = config.REPORTS_DIR / "results.json"
    if not path.exists():
        pytest.skip("no committed results")
    return json.loads(path.read_text())


def test_the_leads_change_is_the_difference_of_the_two_leads_paired_by_seed(committed_results):
    from mnist_compare.sections import size_seeds

    results = committed_results
    change = size_seeds.lead_change(results)
    first, last = (size_seeds.lead_at(results, e) for e in (5, 10))
    assert change["n"] == first["n"] == last["n"]
    assert change["mean"] == pytest.approx(last["mean"] - first["mean"])
    # Paired by seed: its spread is that of the per-seed changes, not of either lead.
    assert change["std"] not in (pytest.approx(first["std"]), pytest.approx(last["std"]))


def test_the_mean_accuracies_differ_by_the_lead(committed_results):
    from mnist_compare.sections import size_seeds

    results = committed_results
    accuracy = size_seeds.mean_test_accuracy(results)
    assert set(accuracy) == {"mlp", "cnn"}
    assert accuracy["cnn"] - accuracy["mlp"] == pytest.approx(size_seeds.lead(results)["mean"])
    # A run without more seeds than the grid has no such means.
    few = {
        **results,
        "research": {**results["research"], "size_seeds": {"seeds": results["config"]["seeds"]}},
    }
    assert size_seeds.mean_test_accuracy(few) == {}


def test_the_error_reduction_is_the_mean_of_each_seeds_share_of_fewer_errors():
    """Known answer: errors of 2% (MLP) and 1% (CNN) on one seed, 4% and 3% on another: the CNN makes 50% and
    25% fewer errors, 37.5% on average, with the t-interval over the two seeds; no answer without more seeds
    than the grid."""
    from mnist_compare.sections import size_seeds

    models = {
        "mlp": {"test_accuracy": {"values": [0.98, 0.96]}},
        "cnn": {"test_accuracy": {"values": [0.99, 0.97]}},
    }
    results = {"config": {"seeds": [0]}, "research": {"size_seeds": {"seeds": [0, 1], "models": models}}}
    found = size_seeds.error_reduction(results)
    assert found["n"] == 2 and found["mean"] == pytest.approx(0.375)
    assert found["ci_low"] < 0.25 and found["ci_high"] > 0.5
    results["config"]["seeds"] = [0, 1]
    assert size_seeds.error_reduction(results) is None


def test_a_seed_trained_twice_is_compared_with_its_first_training_and_so_are_the_fresh_runs():
    """Known answers: seed 0 trained twice differs by 0.2 pp (MLP) and 0.4 pp (CNN), seed 1 matches; the
    lead over the section's four seeds would move by (0.4 − 0.2) / 4 = 0.05 pp with the second training;
    the fresh runs match the first training in 3 of 4 runs and differ by 0.1 pp in the other; no answer
    without a second training, and no fresh-run comparison when the fresh runs trained other seeds."""
    from mnist_compare.sections import size_seeds

    def snapshot(accuracy):
        return {"10": {"test": {"accuracy": accuracy}}}

    runs = [
        {"model": "mlp", "seed": 0, "snapshots": snapshot(0.970)},
        {"model": "mlp", "seed": 1, "snapshots": snapshot(0.975)},
        {"model": "cnn", "seed": 0, "snapshots": snapshot(0.980)},
        {"model": "cnn", "seed": 1, "snapshots": snapshot(0.985)},
    ]
    models = {
        "mlp": {
            "test_accuracy": {"values": [0.970, 0.975, 0.971, 0.972], "std": 0.002},
            "retrained": {"0": 0.972, "1": 0.975},
        },
        "cnn": {
            "test_accuracy": {"values": [0.980, 0.985, 0.981, 0.982], "std": 0.003},
            "retrained": {"0": 0.984, "1": 0.985},
        },
    }
    fresh = {
        "seeds": [0, 1],
        "models": {
            "mlp": {"10": {"accuracy": {"values": [0.970, 0.975]}}},
            "cnn": {"10": {"accuracy": {"values": [0.980, 0.986]}}},
        },
    }
    results = {
        "runs": runs,
        "research": {
            "epochs": 10,
            "size_seeds": {"seeds": [0, 1, 2, 3], "models": models},
            "overconfidence": fresh,
        },
    }
    found = size_seeds.repeats(results)
    assert found["twice"] == 4
    assert found["differ"] == pytest.approx({("mlp", 0): 0.002, ("cnn", 0): 0.004})
    assert found["spread"] == {"mlp": 0.002, "cnn": 0.003}
    assert found["lead_shift"] == pytest.approx(0.0005)
    assert found["fresh_runs"] == 4
    assert found["fresh_matches"] == [("mlp", 0), ("mlp", 1), ("cnn", 0)]
    assert found["fresh_largest"] == pytest.approx(0.001)
    fresh["seeds"] = [5, 6]
    assert size_seeds.repeats(results)["fresh_largest"] is None
    del models["cnn"]["retrained"]
    assert size_seeds.repeats(results) is None


def test_single_run_pairings_pair_every_mlp_run_with_every_cnn_run():
    """Known answer: two MLP runs and three CNN runs give six one-run comparisons, each MLP run against each
    CNN run. The CNN leads in all six, by 0.005 to 0.015, and its train − test gap (train − test accuracy)
    is smaller in four; a CNN run below one MLP run leaves it ahead in five."""
    from mnist_compare.sections import size_seeds

    def snapshot(train, test):
        return {"10": {"train_accuracy": {"values": train}, "test_accuracy": {"values": test}}}

    results = {
        "config": {"seeds": [0]},
        "research": {
            "size_seeds": {
                "seeds": [0, 1, 2],
                "models": {
                    # Gaps 0.020 and 0.010.
                    "mlp": {"snapshots": snapshot([0.990, 0.985], [0.970, 0.975])},
                    # Gaps 0.005, 0.015 and 0.010.
                    "cnn": {"snapshots": snapshot([0.985, 0.995, 0.995], [0.980, 0.980, 0.985])},
                },
            }
        },
    }
    found = size_seeds.single_run_pairings(results, 10)
    assert found["pairings"] == 6
    # Leads over the 0.970 run: 0.010, 0.010, 0.015; over the 0.975 run: 0.005, 0.005, 0.010.
    assert found["ahead"] == pytest.approx(1.0)
    assert found["low"] == pytest.approx(0.005) and found["high"] == pytest.approx(0.015)
    # Smaller than the 0.020 gap: all three CNN runs; smaller than the 0.010 gap: only the 0.005 one.
    assert found["gap_smaller"] == pytest.approx(4 / 6)
    cnn = results["research"]["size_seeds"]["models"]["cnn"]
    cnn["snapshots"]["10"]["test_accuracy"]["values"][2] = 0.972
    assert size_seeds.single_run_pairings(results, 10)["ahead"] == pytest.approx(5 / 6)
    assert size_seeds.single_run_pairings(results, 5) is None, "no snapshot after 5 epochs"
