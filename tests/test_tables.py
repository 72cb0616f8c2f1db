import copy
import json

import pytest

from mnist_compare import config, tables

RESULTS = config.REPORTS_DIR / "results.json"


def fake_results():
    def s(mean, std):
        return {"n": 2, "mean": mean, "std": std, "ci_low": mean - std, "ci_high": mean + std}

    block = {key: s(0.9, 0.01) for key in ("train_accuracy", "test_accuracy", "val_accuracy", "train_loss",
                                            "test_loss", "val_loss", "accuracy_gap", "loss_gap")}
    mlp, cnn = copy.deepcopy(block), copy.deepcopy(block)
    mlp["test_accuracy"], cnn["test_accuracy"] = s(0.9779, 0.0012), s(0.9871, 0.0005)
    diff = copy.deepcopy(block)
    diff["test_accuracy"] = s(-0.0092, 0.0011)
    return {
        "fast": False,
        "config": {"seeds": [0, 1], "snapshot_epochs": [5]},
        "summary": {"mlp": {"parameters": 101770, "5": mlp}, "cnn": {"parameters": 542230, "5": cnn}},
        "comparisons": [{"epochs": 5, "mlp_minus_cnn": diff}],
        "provenance": {"split_sizes": {"train": 54000, "validation": 6000, "test": 10000},
                       "git": {"commit": "abcdef1234567"}, "created": "2026-11-22T10:00:00"},
    }


def test_comparison_rows_render_means_and_spreads():
    rows = tables.comparison_rows(fake_results(), 5)
    test_row = next(row for row in rows if row[0] == "Test accuracy (%)")
    # Every difference in the report is CNN − MLP, with its sign.
    assert test_row == ["Test accuracy (%)", "97.79 ± 0.12", "98.71 ± 0.05", "+0.92 ± 0.11"]
    text = tables.results_markdown(fake_results())
    assert "over 2 seeds" in text and "101,770" in text and "`abcdef1234`" in text
    # The README's short table: test accuracy, test loss and the accuracy gap at each snapshot epoch.
    assert "| After | Metric | MLP | CNN | CNN − MLP |" in text
    assert "| 5 epochs | Test accuracy (%) | 97.79 ± 0.12 | 98.71 ± 0.05 | +0.92 ± 0.11 |" in text
    assert [line.split(" | ")[1] for line in text.splitlines() if line.startswith("| 5 epochs")] == list(
        tables.readme.README_ROWS)


def test_update_readme_replaces_only_the_block(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{tables.README_START}\nold\n{tables.README_END}\noutro\n")
    assert tables.update_readme(fake_results(), readme)
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith("outro\n") and "old" not in text
    assert "97.79 ± 0.12" in text


@pytest.mark.skipif(not RESULTS.exists(), reason="no committed results yet")
def test_committed_readme_table_matches_committed_results():
    results = json.loads(RESULTS.read_text())
    readme = (config.PROJECT_ROOT / "README.md").read_text()
    assert tables.results_markdown(results) in readme
    assert results["fast"] is False
    if "research" in results:
        assert tables.verdicts_markdown(results) in readme
        research = results["research"]
        if all(key in research for key in ("architecture_controls", "data_efficiency", "calibration",
                                           "other_handwriting")):
            assert tables.overall_conclusion_markdown(results) in readme


def test_benchmark_table_renders_the_measured_numbers():
    benchmark = {"created": "2026-11-22T10:00", "machine": {"cpu_count": 2},
                 "training_speed": {"cnn": {"default_fit": {"median_s": 18.0, "epoch_s": [18.0, 17.5, 19.0]},
                                            "compiled": {"median_s": 4.5, "epoch_s": [4.5, 4.4, 4.6]},
                                            "speedup": 4.0}},
                 "demo_latency": {"model_call_both_models": {"median_ms": 0.66, "p95_ms": 0.92, "n": 200}}}
    benchmark["pipeline"] = {"wall_s": 600.0, "experiments_s": 500.0, "research_s": 200.0,
                             "notebooks_and_export_s": 100.0, "seeds": [0, 1, 2, 3, 4],
                             "training_epochs_s": 420.4, "runs_trained": 12, "grid_cnn_epoch_s": 3.71}
    text = tables.benchmark_markdown(benchmark)
    assert "| CNN training, default `fit` (s/epoch) | 18.00 |" in text
    assert "4.50, 4.40, 4.60 (4.0x faster) | ≤ 3 s and ≥ 4x: **not met** |" in text
    assert "| Model call, both models (ms) | 0.66 | p95 0.92, n = 200 | median ≤ 1 ms: met |" in text
    assert "| Whole report from scratch, 5 seeds (min) | 10.0 |" in text
    assert "≤ 8 min: **not met**" in text
    assert "the training epochs of its 12 runs alone 420 s, a CNN epoch 3.71 s" in text


@pytest.mark.skipif(not (config.REPORTS_DIR / "benchmark.json").exists(), reason="no committed benchmark yet")
def test_committed_speed_doc_benchmark_table_matches_benchmark_json():
    benchmark = json.loads((config.REPORTS_DIR / "benchmark.json").read_text())
    if "training_speed" in benchmark:
        assert tables.benchmark_markdown(benchmark) in tables.readme.SPEED_DOC.read_text()


def test_update_readme_block_writes_the_file_it_is_given_and_skips_a_missing_one(tmp_path):
    doc = tmp_path / "speed.md"
    doc.write_text("notes\n<!-- benchmark-table:start -->\nold\n<!-- benchmark-table:end -->\nmore\n")
    assert tables.update_readme_block("benchmark-table", "new table", doc)
    assert doc.read_text() == "notes\n<!-- benchmark-table:start -->\nnew table\n<!-- benchmark-table:end -->\nmore\n"
    assert not tables.update_readme_block("benchmark-table", "new table", tmp_path / "missing.md")


def test_parity_counts_and_table_say_which_original_numbers_fall_inside_our_seeds():
    from mnist_compare.metrics import summarize
    from mnist_compare.tables import original

    # Two seeds per model: the MLP's bracket every original number, the CNN's both sit above them.
    # The original's numbers as compared: its 5-epoch MLP gap corrected from the tabled 1.31 to 1.21.
    assert original.original_value("5", "mlp", "accuracy_gap") == pytest.approx(0.0121)
    assert original.ORIGINAL["5"]["mlp"]["accuracy_gap"] == pytest.approx(0.0131)
    offsets = {("mlp", 0): -0.001, ("mlp", 1): 0.001, ("cnn", 0): 0.002, ("cnn", 1): 0.003}
    runs = [{"model": name, "seed": seed, "snapshots": {
        epochs: {part: {field: original.original_value(epochs, name, key) + offset
                        for key, (p, field) in original._FIELDS.items() if p == part}
                 for part in ("train", "test", "gap")} for epochs in ("5", "10")}}
        for (name, seed), offset in offsets.items()]
    summary = {name: {epochs: {key: summarize([r["snapshots"][epochs][p][f] for r in runs if r["model"] == name])
                               for key, (p, f) in original._FIELDS.items()} for epochs in ("5", "10")}
               for name in ("mlp", "cnn")}
    results = {"summary": summary, "runs": runs, "config": {"seeds": [0, 1]}, "fast": False}
    assert original.parity_counts(results) == (10, 20)
    rows = [line for line in original.parity_markdown(results).splitlines()
            if line.startswith("| 5 ") or line.startswith("| 10 ")]
    assert len(rows) == 20
    assert all(row.rstrip(" |").endswith("yes") == ("| MLP |" in row) for row in rows)
    gap = next(row for row in rows if row.startswith("| 5 | Train − test gap (pp) | MLP |"))
    assert gap.split(" | ")[3] == "1.21*", "the corrected value, marked, in the Original column"
    assert "the original's table prints 1.31, a typing error; its own numbers give 1.21" in \
        original.parity_markdown(results)


def test_the_confidence_sentence_says_over_confident_only_when_confidence_is_above_accuracy():
    """Mean confidence against test accuracy decides the wording, in notebook 7 and in the abstract alike."""
    from mnist_compare.tables import common

    results = fake_results()  # test accuracy: MLP 97.79%, CNN 98.71% after 5 epochs

    def summary(value):
        return {"mean": value, "values": [value, value]}

    def calibrated(confidence):
        return {"mean_confidence": summary(confidence), "confident_mistakes": summary(3.0), "ece": summary(0.01),
                "reliability": {"confidence": [0.5, 0.99], "accuracy": [0.4, 0.99], "count": [10, 100]}}

    for mlp, cnn, expected, opening in ((0.99, 0.995, {"mlp": True, "cnn": True}, "Both models are over-confident"),
                                        (0.99, 0.98, {"mlp": True, "cnn": False}, "Only the MLP is over-confident"),
                                        (0.97, 0.98, {"mlp": False, "cnn": False}, "Neither model is over-confident")):
        results["research"] = {"calibration": {"models": {"mlp": calibrated(mlp), "cnn": calibrated(cnn)}}}
        assert common.over_confident(results) == expected
        sentence = tables.confidence_sentence(results)
        assert sentence.startswith(opening + ": the MLP's mean confidence is")
        assert f"{100 * mlp:.2f}% against a test accuracy of 97.79%" in sentence


def test_seed_counts_are_singular_or_plural():
    assert tables.plural(1, "seed") == "1 seed" and tables.plural(5, "seed") == "5 seeds"
    results = fake_results()
    results["config"]["seeds"] = [0]
    assert tables.seeds_phrase(results) == "1 seed"
    results["comparisons"][0]["mcnemar"] = [{"seed": 0, "p_value": 0.01}]
    text = tables.conclusions_markdown(results, {"mlp": 101770, "cnn": 542230})
    assert "for 1 of 1 seed." in text and "seed(s)" not in text
    assert "(95% interval of CNN − MLP: [0.81, 1.03] pp)" in text, "CNN − MLP, with the sign that follows"


def test_provenance_line_says_when_the_tree_had_uncommitted_changes():
    results = fake_results()
    assert tables.provenance_line(results) == "commit abcdef1234 (uncommitted changes not recorded)"
    results["provenance"]["git"]["dirty"] = True
    assert tables.provenance_line(results) == "commit abcdef1234 with uncommitted changes"
    assert "(commit `abcdef1234` with uncommitted changes, 2026-11-22)" in tables.results_markdown(results)
    results["provenance"]["git"]["dirty"] = False
    assert tables.provenance_line(results) == "commit abcdef1234"
    results["provenance"]["git"] = {"commit": None, "dirty": None}
    assert tables.provenance_line(results) == "an unrecorded commit"


def _per_class_results(worst_mlp, worst_cnn):
    def run(name, worst):
        f1 = [0.99] * 10
        f1[worst] = 0.9
        return {"model": name, "seed": 0, "snapshots": {"5": {"per_class": {
            "precision": f1, "recall": f1, "f1": f1 if name == "mlp" else [x + 0.001 for x in f1]}}}}

    results = fake_results()
    results["runs"] = [run("mlp", worst_mlp), run("cnn", worst_cnn)]
    return results


def test_the_hardest_digit_is_named_once_when_both_models_agree():
    assert "The hardest digit by F1 is 8 for both models." in tables.per_class_markdown(_per_class_results(8, 8))
    assert "is 8 for the MLP and 5 for the CNN." in tables.per_class_markdown(_per_class_results(8, 5))


def test_the_epoch_times_are_the_median_over_seeds_and_their_range():
    # One slow seed (6.40 s) moves the mean to 4.16 ± 1.25 s; the median stays at the typical epoch.
    summary = {"n": 5, "mean": 4.16, "std": 1.25, "values": [6.40, 3.68, 3.59, 3.54, 3.60]}
    assert tables.epoch_seconds_text(summary) == "3.60 (3.54-6.40)"
    assert tables.epoch_seconds_text({"n": 1, "mean": 2.0, "values": [2.0]}) == "2.00"


def _runs(name, accuracies, epochs="10", val_losses=None):
    return [{"model": name, "seed": seed, "snapshots": {epochs: {"test": {"accuracy": accuracy}}},
             "history": {"val_loss": (val_losses or [[0.3, 0.2, 0.25]])[seed % len(val_losses or [0])],
                         "val_accuracy": [0.9, 0.91, 0.95]}}
            for seed, accuracy in enumerate(accuracies)]


def _with_controls(wide, deep=None):
    from mnist_compare.metrics import summarize

    results = fake_results()
    results["config"] = {"seeds": [0, 1], "snapshot_epochs": [10]}
    results["runs"] = _runs("mlp", [0.970, 0.972]) + _runs("cnn", [0.980, 0.982])
    research = {"seeds": [0, 1], "epochs": 10,
                "capacity_control": {"mlp_wide": {"parameters": 540_610, "seeds": [0, 1],
                                                  "10": {"test_accuracy": {**summarize(wide), "values": wide}}}}}
    if deep:
        research["architecture_controls"] = {"models": {"mlp_deep": {
            "parameters": 235_146, "seeds": [0], "epochs": 10,
            "10": {"test_accuracy": {**summarize(deep), "values": deep, "mean": deep[0]}}}}}
    results["research"] = research
    return results


def test_the_share_of_the_gap_a_control_closes():
    # MLP 97.1%, CNN 98.1%, wide MLP 97.35%: a quarter of the 1-point gap.
    results = _with_controls([0.9735, 0.9735])
    closed = tables.gap_closed(results)
    assert closed["share"] == pytest.approx(0.25)
    assert tables.gap_closed_sentence(results) == (
        "The wide MLP (784-680-10) closes 25% of the gap between the MLP and the CNN (97.10% → 97.35%, against "
        "the CNN's 98.10%; +0.25 of +1.00 pp, mean over 2 seeds): size explains part of it, architecture the rest.")
    # The deep control has one seed (0): MLP 97.0%, CNN 98.0% on that seed; it is below the MLP.
    results = _with_controls([0.9735, 0.9735], deep=[0.969])
    assert tables.gap_closed(results, "mlp_deep")["share"] == pytest.approx(-0.1)
    assert tables.gap_closed_sentence(results, "mlp_deep").startswith(
        "The deep MLP (784-256-128-10, L2) does not close the gap between the MLP and the CNN (97.00% → 96.90%")
    assert "size explains none of it." in tables.gap_closed_sentence(results, "mlp_deep")


def test_the_best_epoch_is_the_lowest_validation_loss_everywhere():
    results = fake_results()
    results["config"] = {"seeds": [0, 1], "snapshot_epochs": [10]}
    results["summary"]["mlp"]["10"] = results["summary"]["mlp"]["5"]
    results["runs"] = _runs("mlp", [0.97, 0.97], val_losses=[[0.3, 0.2, 0.25], [0.3, 0.35, 0.4]])
    # Validation accuracy is highest at epoch 3, validation loss lowest at epochs 2 and 1.
    text = tables.model_conclusions_markdown(results, "mlp")
    assert "The best epoch (the one with the lowest validation loss, early stopping's usual choice) was, seed by " \
           "seed: 2, 1." in text
    assert [item["best_epoch"] for item in tables.best_epochs(results, "mlp")] == [2, 1]


def test_the_calibration_contrast_names_the_lower_error_and_the_confident_mistakes():
    from mnist_compare.metrics import summarize

    def summary(values):
        return {**summarize(values), "values": values}

    results = fake_results()
    results["research"] = {"calibration": {"models": {
        "mlp": {"ece": summary([0.010, 0.011]), "confident_mistakes": summary([29.0, 29.0])},
        "cnn": {"ece": summary([0.008, 0.009]), "confident_mistakes": summary([33.0, 34.0])}}}}
    assert tables.calibration_contrast(results) == (
        "The CNN has the lower expected calibration error (0.85% against 1.05%) but more confident mistakes "
        "(33.5 against 29.0 test digits per run wrong with at least 99% confidence, mean over 2 seeds; CNN − MLP "
        "+4.5, 95% interval [-1.9, 10.9], which includes 0).")
    results["research"]["calibration"]["models"]["cnn"]["confident_mistakes"] = summary([20.0, 21.0])
    assert tables.calibration_contrast(results, with_ece=False).startswith(
        "The CNN has both the lower expected calibration error and fewer confident mistakes (20.5 against 29.0")


def test_the_data_efficiency_leads_are_all_given_with_the_epochs_that_differ():
    def s(mean):
        return {"mean": mean}

    section = {"sizes": [500, 2000, 8000, 54000], "epochs": {"500": 40, "2000": 10, "8000": 10, "54000": 10},
               "models": {"mlp": [s(0.87), s(0.91), s(0.95), s(0.977)],
                          "cnn": [s(0.89), s(0.941), s(0.973), s(0.986)]}}
    assert tables.leads_sentence(section) == (
        "The CNN's lead over the MLP is 0.9, 2.3, 3.1 and 2.0 points with 54,000, 8,000, 2,000 and 500 training "
        "images: largest with 2,000 and smaller again with 500; the runs on 500 images trained for 40 epochs "
        "instead of 10, so the sizes differ in more than the data.")
    section["models"]["cnn"][0] = s(0.91)
    section["epochs"]["500"] = 10
    assert tables.leads_sentence(section).endswith(": it grows as the training set shrinks.")


def test_the_preprocessing_against_the_model_is_a_ratio_range():
    low, high = tables.preprocessing_ratio([69.1, 76.3], [1.9, 9.1])
    assert low == pytest.approx(69.1 / 9.1) and high == pytest.approx(76.3 / 1.9)


def _robustness_results():
    def s(mean, n=2):
        return {"mean": mean, "n": n}

    levels = {"shift": [0, 4], "rotation": [0, 30], "scale": [1.0, 0.6], "noise": [0.0, 0.2, 0.3]}
    at = {"mlp": {"shift": 0.3, "rotation": 0.7, "scale": 0.4, "noise": 0.65},
          "cnn_gap": {"shift": 0.5, "rotation": 0.5, "scale": 0.4, "noise": 0.097}}
    curves = {}
    for transform, lvls in levels.items():
        curves[transform] = {"levels": lvls}
        for name in at:
            values = [s(0.95)] + [s(at[name][transform])] * (len(lvls) - 1)
            if transform == "noise" and name == "cnn_gap":
                values = [s(0.9), s(0.117), s(0.097)]
            curves[transform][name] = values
    return {"research": {"robustness": {"curves": curves, "units": {"noise": "noise std"}}}}


def test_the_transformation_that_hurts_each_model_most_is_computed():
    results = _robustness_results()
    hardest = tables.hardest_transforms(results)
    assert hardest["mlp"][0] == "shift" and hardest["cnn_gap"][0] == "noise"
    from mnist_compare.tables import claims

    text = claims._robustness_text(results)
    assert "shift hurts the MLP most (30.0% left); noise hurts the GAP CNN most (9.7% left)." in text
    assert ("The GAP CNN (2 seeds) falls to 11.7% (chance is 10%) already at noise level 0.2 (noise std), where "
            "the other models still read 65.0-65.0%.") in text
