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
    assert test_row == ["Test accuracy (%)", "97.79 ± 0.12", "98.71 ± 0.05", "-0.92 ± 0.11"]
    text = tables.results_markdown(fake_results())
    assert "over 2 seeds" in text and "101,770" in text and "`abcdef1234`" in text
    # The README's short table: test accuracy, test loss and the accuracy gap at each snapshot epoch.
    assert "| 5 epochs | Test accuracy (%) | 97.79 ± 0.12 | 98.71 ± 0.05 | -0.92 ± 0.11 |" in text
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
    offsets = {("mlp", 0): -0.001, ("mlp", 1): 0.001, ("cnn", 0): 0.002, ("cnn", 1): 0.003}
    runs = [{"model": name, "seed": seed, "snapshots": {
        epochs: {part: {field: original.ORIGINAL[epochs][name][key] + offset
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
