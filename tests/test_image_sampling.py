"""The images' sampling error behind the verdicts' tests: measured from answers image by image, it is the
McNemar-count formula, it is tighter than the bound from error rates, and the verdicts' table uses it where
the results have it."""

import copy
import json
import math
from collections import Counter

import numpy as np
import pytest

from mnist_compare import config, findings, metrics
from mnist_compare.formatting import VERDICTS, bare_claim, join_words, number_word
from mnist_compare.sections import image_sampling, size_seeds, width_sweep

RESULTS = config.REPORTS_DIR / "results.json"


def test_the_measured_error_is_the_mcnemar_formula_and_within_the_error_rate_bound():
    rng = np.random.default_rng(0)
    n = 2_000
    first = (rng.random(n) < 0.97).astype(float)
    # The second model errs mostly where the first does: few discordant images, as trained models do.
    second = np.where(rng.random(n) < 0.9, first, (rng.random(n) < 0.95).astype(float))
    a_only = int(np.sum((first == 1) & (second == 0)))
    b_only = int(np.sum((first == 0) & (second == 1)))
    d, m = (a_only + b_only) / n, (a_only - b_only) / n
    assert image_sampling.image_se(first, second) == pytest.approx(math.sqrt((d - m * m) / n))
    bound = metrics.error_rate_se([first.mean()], [second.mean()], n)
    assert image_sampling.image_se(first, second) < bound
    # Scores between 0 and 1 (a curve's share of levels right) are allowed: the same deviation over √n.
    shares = rng.random(n)
    assert image_sampling.image_se(shares, 0 * shares) == pytest.approx(np.std(shares) / math.sqrt(n))


@pytest.mark.skipif(not RESULTS.exists(), reason="no committed results yet")
def test_the_tests_use_the_measured_error_where_the_results_have_it_and_the_bound_elsewhere():
    results = json.loads(RESULTS.read_text())
    assert image_sampling.measured(results)
    widened = image_sampling.widened_comparisons(results)
    bounded = size_seeds.comparisons_with_image_bound(results)
    pair = ("mlp_wide", "mlp")
    error = image_sampling.standard_error(results, f"test:{pair[0]}-{pair[1]}")
    assert widened[pair]["image_se"] == pytest.approx(error)
    assert error < bounded[pair]["image_se"], "the answers are tighter than the bound"
    tests = findings.with_test_images(results)
    shift = next(value for (_, name), value in tests.items() if name == "CNN − deep MLP, shift curve")
    assert shift["image_se"] == pytest.approx(
        image_sampling.standard_error(results, "curve:shift:cnn-mlp_deep")
    )
    # Without the section every test falls back on the bound, which is wider.
    without = copy.deepcopy(results)
    del without["research"][image_sampling.KEY]
    assert not image_sampling.measured(without)
    loose = findings.with_test_images(without)
    for key, value in tests.items():
        if "shuffled pixels" not in key[1] and "test accuracy" not in key[1]:
            assert loose[key]["image_se"] >= value["image_se"], key


def test_a_test_of_no_difference_counts_only_against_its_claim():
    rule = findings.verdict_from_bearings
    assert rule([("+", "for"), ("0", "none")]) == "supported", (
        "finding no size effect is not evidence either way"
    )
    assert rule([("+", "for"), ("0", "against")]) == "mixed", "a size effect goes against 'not its size'"
    assert rule([("0", "none")]) == "not shown"
    assert rule([("+", "none"), ("−", "against")]) == "contradicted"
    assert rule([("+", "for"), ("+", "none")]) == "partly supported"
    assert rule([("+", "for"), ("+", "against")]) == "mixed"


@pytest.mark.skipif(not RESULTS.exists(), reason="no committed results yet")
def test_the_verdicts_note_says_what_the_images_sampling_changes():
    results = json.loads(RESULTS.read_text())
    changes = findings.image_sampling_changes(results)
    text = findings.image_sampling_text(results)
    for name in changes["lost"]:
        assert findings._without_seeds(name) in text
    for claim, (_, new) in changes["verdicts"].items():
        assert f"would be {new}" in text and claim.split(" (")[0] in text
    # With every image-sampling error set to zero the widened intervals are the seeds' own: nothing changes.
    flat = copy.deepcopy(results)
    errors = flat["research"][image_sampling.KEY]["standard_errors"]
    for key in errors:
        errors[key] = [0.0] * len(errors[key])
    zeroed = findings.with_test_images(flat)
    # The tuned runs kept no answers image by image: their tests have only the bound from error rates.
    # Nor did the pooling study: the CNN's max pooling against the ablated CNNs has the bound too.
    bounded = (
        {test["name"] for test in width_sweep.efficiency_tests(results) if test["key"] is None}
        | set(findings.tuned_architecture_tests(results))
        | {name for claim, name in zeroed if claim == findings.POOLING_CLAIM}
    )
    assert all(
        value["image_se"] == 0.0
        for (_, name), value in zeroed.items()
        if "test accuracy" not in name and "shuffled" not in name and name not in bounded
    )
    assert bounded and all(value["image_se"] > 0 for (_, name), value in zeroed.items() if name in bounded)


@pytest.mark.skipif(not RESULTS.exists(), reason="no committed results yet")
def test_each_verdict_is_given_again_under_other_rules_of_testing():
    results = json.loads(RESULTS.read_text())
    found = {claim: (verdict, others) for claim, verdict, others in findings.verdict_sensitivity(results)}
    _, tests = findings._verdicts(results)
    counts = Counter(claim for claim, *_ in tests["rows"])
    assert set(found) == {row[0] for row in findings.verdicts_rows(results)}, "every claim of Table 1"
    for claim, (verdict, others) in found.items():
        if not counts[claim]:
            # A claim without tests of its own: none under any rule but the one that counts every measure.
            assert set(others) <= {"added"}, claim
        elif counts[claim] == 1:
            assert others["within"] == others["alone"], "Holm's correction over one test changes nothing"
    # The efficiency claim's tests: the small CNN beats the MLP whatever the rule; its leads over the larger
    # MLPs exclude 0 over seeds alone, but with the images' sampling error the best width's p is 0.018 alone,
    # 0.165 over all the tests, and the tuned leads' are above 0.4.
    verdict, others = next(
        v for c, v in found.items() if c.startswith("The CNN uses its parameters more efficiently")
    )
    assert (
        verdict == "partly supported"
        and others["alone"] == "partly supported"
        and others["fixed"] == "supported"
    )
    assert "with the test images held fixed, the efficiency claim would be supported" in (
        findings.rule_sensitivity_sentence(findings.verdict_sensitivity(results))
    )
    # The claims with measures that cannot decide (bounded by accuracy or loss) or that were added or chosen
    # while the results were examined: overfitting and stability (not shown), noise (the unclipped noise,
    # against the claim) and drawings (the crops no demo that compares the models uses, for it). Counting
    # every measure changes each of their verdicts, and no other verdict.
    every = findings._corrected(findings._raw_verdicts_rows(results, added=True))["rows"]
    added = {claim for claim, name, *_ in every if name in findings.ADDED_AFTER_RESULTS}
    assert {claim.split(" (")[0] for claim in added} == {
        "The CNN overfits less",
        "The CNN trains more stably",
        "The CNN is more robust to noisy digits",
        "The CNN is more accurate on user drawings",
    }
    assert not any(name in findings.ADDED_AFTER_RESULTS for _, name, *_ in tests["rows"])
    for claim, (verdict, others) in found.items():
        if claim in added:
            assert others["added"] != verdict, claim
        elif others:
            assert others["added"] == verdict, claim
    noise = next(
        others for claim, (_, others) in found.items() if claim.startswith("The CNN is more robust to noisy")
    )
    assert noise["added"] == "mixed", "the unclipped noise is significant against the claim"


@pytest.mark.skipif(not RESULTS.exists(), reason="no committed results yet")
def test_the_verdicts_judge_each_accuracy_test_with_the_images_sampling_error():
    """A test of accuracies on a set of images takes its p-value from its interval widened by the images'
    sampling error; any other test (a loss, the F test, a curve reading) from its seeds alone."""
    results = json.loads(RESULTS.read_text())
    _, found = findings._verdicts(results)
    sampled = findings.with_test_images(results)
    assert len(sampled) > 20
    for (claim, name, *_, p, _), fixed in zip(found["rows"], found["fixed"]):
        if (claim, name) in sampled:
            assert p == pytest.approx(findings._widened_p(sampled[(claim, name)]))
            # Wider than the seeds' own interval: a larger p wherever the seeds' p is not already tiny (the
            # normal tail of the widened p falls below Student's t tail far out).
            assert p > fixed or fixed < 1e-6, name
        else:
            assert p == fixed, name
    # The drawings claim's test through the original's crop: significant over seeds alone (p = 0.020), not
    # with the images' sampling error (its widened interval includes 0).
    test = findings.verdict_test(results, findings.ORIGINAL_DRAWINGS_TEST)
    assert test["summary"]["ci_low"] > 0 and test["sampled"]["ci_low"] < 0 < test["p"] - 0.05
    assert test["verdict"] == "not shown"


@pytest.mark.skipif(not RESULTS.exists(), reason="no committed results yet")
def test_the_efficiency_claim_has_tests_of_its_own_in_the_corrected_family():
    """The small CNN against the best MLP width and against the tuned MLPs of the CNN's size: the claim's own
    tests, counted in Holm's family and widened by the images' sampling error like every other."""
    results = json.loads(RESULTS.read_text())
    own = width_sweep.efficiency_tests(results)
    best = width_sweep.width_findings(results)["best"]
    assert [test["name"] for test in own] == [
        "small CNN − compute-matched MLP",
        "small CNN with cosine decay − tuned parameter-matched MLP",
        "small CNN with cosine decay − tuned compute-matched MLP",
    ]
    # The best width is a model of the size comparison: its test is over that comparison's seeds, whose
    # answers image by image the image-sampling section kept.
    assert own[0]["difference"] == size_seeds.comparisons(results)[("cnn_small", best)]
    assert image_sampling.standard_error(results, own[0]["key"]) is not None
    assert [test["tuned"] for test in own] == [False, True, True]
    # The tuned leads are within the images' sampling error, the best width's is not.
    covered = {
        name
        for (_, name), found in findings.with_test_images(results).items()
        if found["ci_low"] <= 0 <= found["ci_high"]
    }
    assert [test["name"] in covered for test in own] == [False, True, True]
    _, tests = findings._verdicts(results)
    counted = [name for claim, name, *_ in tests["rows"] if claim.startswith("The CNN uses its parameters")]
    # With the small CNN against the MLP, the architecture row's test: one test of two claims, counted once.
    assert counted == ["small CNN − MLP (20 seeds)"] + [test["name"] for test in own]
    shared = [row for row in tests["rows"] if row[1] == "small CNN − MLP (20 seeds)"]
    assert len(shared) == 2 and shared[0][-1] == shared[1][-1]
    assert tests["tests"] == len(tests["rows"]) - 1
    widened = {name: found for (_, name), found in findings.with_test_images(results).items()}
    for test in own:
        seeds_only = test["difference"]["ci_high"] - test["difference"]["ci_low"]
        assert widened[test["name"]]["ci_high"] - widened[test["name"]]["ci_low"] > seeds_only
        assert widened[test["name"]]["mean"] == pytest.approx(test["difference"]["mean"])


def test_a_test_two_claims_share_is_counted_once_by_holms_correction():
    """The same test under two claims (the same name and measurement) is one test of Holm's family: both get
    the adjusted p-value of a family without the repeat."""
    grouped = findings.holm_grouped([0.01, 0.02, 0.01, 0.04], ["a", "b", "a", "c"])
    alone = findings.holm_adjusted([0.01, 0.02, 0.04])
    assert grouped == [alone[0], alone[1], alone[0], alone[2]]
    assert grouped != findings.holm_adjusted([0.01, 0.02, 0.01, 0.04]), "the repeat would raise the others"


@pytest.mark.skipif(not RESULTS.exists(), reason="no committed results yet")
def test_the_tuned_tests_use_the_tuned_models_answers_and_fall_back_on_the_bound_without_them():
    from mnist_compare.sections import recipes, tuned_sampling

    results = json.loads(RESULTS.read_text())
    section = results["research"][tuned_sampling.KEY]
    assert len(section["seeds"]) == tuned_sampling.SAMPLING_SEEDS
    # The runs trained again are the recipes section's runs up to run-to-run non-determinism: each model's
    # mean over those seeds is within 0.1 pp of the recorded one.
    tuned = results["research"][recipes.KEY]["tuned"]
    for name in ("mlp", "cnn", "mlp_wide", "mlp_compute"):
        recorded = tuned[name]["values"][: len(section["seeds"])]
        assert abs(np.mean(section["accuracies"][name]) - np.mean(recorded)) < 0.001, name
    tests = findings.with_test_images(results)
    names = [
        *findings.tuned_architecture_tests(results),
        "small CNN with cosine decay − tuned parameter-matched MLP",
    ]
    pairs = [("cnn", "mlp_wide"), ("cnn", "mlp_compute"), ("cnn_small", "mlp_wide")]
    without = copy.deepcopy(results)
    del without["research"][tuned_sampling.KEY]
    loose = findings.with_test_images(without)
    for name, pair in zip(names, pairs, strict=True):
        key = next(key for key in tests if key[1] == name)
        error = tuned_sampling.standard_error(results, *pair)
        assert tests[key]["image_se"] == pytest.approx(error), name
        assert error < loose[key]["image_se"], f"{name}: the answers are tighter than the bound"
    assert tuned_sampling.standard_error(without, "cnn", "mlp_wide") is None


def test_the_tuned_section_trains_nothing_without_tuned_runs_or_in_a_fast_run():
    from types import SimpleNamespace

    from mnist_compare.sections import tuned_sampling

    def never(*args, **kwargs):
        raise AssertionError("nothing may be logged or trained here")

    best = {name: {"recipe": "cosine", "epochs": 10} for name in ("mlp", "cnn", "mlp_wide", "mlp_compute")}
    fast = SimpleNamespace(fast=True, log=never)
    out = tuned_sampling.compute(fast, {"recipes": {"seeds": [0, 1], "best": best}})
    assert out == {"seeds": [0, 1], "standard_errors": {}, "accuracies": {}}
    # A full run whose recipes section has not chosen every model's recipe: nothing to measure either.
    full = SimpleNamespace(fast=False, log=never)
    partial = {"recipes": {"seeds": [0, 1], "best": {"cnn": best["cnn"]}}}
    assert tuned_sampling.compute(full, partial)["standard_errors"] == {}
    assert tuned_sampling.standard_error({"research": {}}, "cnn", "mlp") is None


@pytest.mark.skipif(not RESULTS.exists(), reason="no committed results yet")
def test_table_1_counts_the_verdicts_another_rule_changes():
    results = json.loads(RESULTS.read_text())
    table = findings.verdicts_brief_markdown(results)
    cells = {
        line.split(" | ")[0].lstrip("| "): line.split(" | ")[1]
        for line in table.splitlines()
        if line.startswith("| The ") or line.startswith("| Cropping")
    }
    changed, looser, added = set(), set(), set()
    for claim, verdict, others in findings.verdict_sensitivity(results):
        # The table prints the verdict alone; the note under it says which verdicts another rule changes: a
        # less strict one (no correction, Holm within the claim, the test images held fixed) or counting the
        # measures added while the results were examined.
        assert cells[claim] == f"**{verdict}**", (claim, cells[claim])
        by_looser = any(others.get(rule, verdict) != verdict for rule in ("alone", "within", "fixed"))
        by_added = others.get("added", verdict) != verdict
        changed |= {claim} if by_looser or by_added else set()
        looser |= {claim} if by_looser else set()
        added |= {claim} if by_added else set()
    # The architecture claim, partly supported with all the tests corrected as one family (the rule fixed
    # before the results), is supported with each claim's tests corrected as a family of their own.
    assert findings.ARCHITECTURE_CLAIM in changed
    (architecture,) = [
        found for found in findings.verdict_sensitivity(results) if found[0] == findings.ARCHITECTURE_CLAIM
    ]
    assert architecture[1] == "partly supported" and architecture[2]["within"] == "supported"
    # Some verdicts stand under every rule, both kinds of change occur, and the note counts them once and
    # names each changed claim with the verdict it would get.
    assert 0 < len(changed) < len(cells)
    assert looser and added and looser != added
    # The table gives the brief sentence (Appendix E.2 the full one), which names every changed claim.
    assert table.count(findings.rule_sensitivity_brief(findings.verdict_sensitivity(results))) == 1, table
    # The sentence counts them and names each by its topic, in the table's order: first those a less strict
    # rule changes, then those only counting every measure changes.
    assert f"{number_word(len(changed)).capitalize()} verdicts depend on the rule of testing" in table
    by_looser = join_words([findings.claim_topic(claim) for claim in cells if claim in looser])
    assert f". A less strict rule would make those on {by_looser} supported; counting every measure" in table
    # Each claim only counting every measure changes, with the verdict it would get.
    sensitivity = {claim: others for claim, _, others in findings.verdict_sensitivity(results)}
    sentence = table.split("counting every measure as a test would make ")[1].split(" (Appendix")[0]
    for claim in added - looser:
        group = next(part for part in sentence.split(", and ") if findings.claim_topic(claim) in part)
        assert group.endswith(f" {sensitivity[claim]['added']}"), (claim, group)
    sentence = findings.rule_sensitivity_sentence(findings.verdict_sensitivity(results))
    assert sentence.startswith(f"Another rule of testing would change {number_word(len(changed))} verdicts. ")
    assert "Under any less strict rule" in sentence
    assert "the architecture claim would be supported" in sentence
    assert all(findings.CLAIM_TOPICS[bare_claim(claim)] in sentence for claim in changed)
    assert "Another rule of testing" not in table
    # The words the table uses, defined from the most support for a claim to the least, every verdict once.
    terms = findings.verdict_terms(results)
    assert set(findings.STRENGTH) == set(VERDICTS)
    places = [
        terms.index(f"*{word.capitalize()}*:")
        for word in findings.STRENGTH
        if f"*{word.capitalize()}*:" in terms
    ]
    assert places == sorted(places) and len(places) >= 4, terms
    assert "only against the MLP" not in table
    assert "†" not in table and "‡" not in table


def test_the_efficiency_tests_set_the_small_cnn_against_mlps_5_5_and_7_5_times_its_size():
    # Known answer: the size comparison's parameter counts (MLPs of the CNN's parameters and multiply-adds).
    results = {
        "research": {
            "size_seeds": {
                "models": {
                    "cnn_small": {"parameters": 98226},
                    "mlp_compute": {"parameters": 737770},
                    "mlp_wide": {"parameters": 540610},
                }
            }
        }
    }
    ratios = width_sweep.control_size_ratios(results)
    assert [f"{ratio:.1f}" for ratio in ratios] == ["5.5", "7.5"]
