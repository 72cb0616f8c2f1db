import copy
import json
import re

import numpy as np
import pytest

from mnist_compare import config, findings, formatting, metrics, references, sections
from mnist_compare.numbering import ref
from mnist_compare.tables import grid, original, readme

RESULTS = config.REPORTS_DIR / "results.json"


def fake_results():
    def s(mean, std):
        return {"n": 2, "mean": mean, "std": std, "ci_low": mean - std, "ci_high": mean + std}

    block = {
        key: s(0.9, 0.01)
        for key in (
            "train_accuracy",
            "test_accuracy",
            "val_accuracy",
            "train_loss",
            "test_loss",
            "val_loss",
            "accuracy_gap",
            "loss_gap",
        )
    }
    mlp, cnn = copy.deepcopy(block), copy.deepcopy(block)
    mlp["test_accuracy"], cnn["test_accuracy"] = s(0.9779, 0.0012), s(0.9871, 0.0005)
    diff = copy.deepcopy(block)
    diff["test_accuracy"] = s(-0.0092, 0.0011)
    return {
        "fast": False,
        "config": {"seeds": [0, 1], "snapshot_epochs": [5]},
        "summary": {"mlp": {"parameters": 101770, "5": mlp}, "cnn": {"parameters": 542230, "5": cnn}},
        "comparisons": [{"epochs": 5, "mlp_minus_cnn": diff}],
        "provenance": {
            "split_sizes": {"train": 54000, "validation": 6000, "test": 10000},
            "git": {"commit": "abcdef1234567"},
            "created": "2026-11-22T10:00:00",
        },
    }


def test_comparison_rows_render_means_and_spreads():
    rows = grid.comparison_rows(fake_results(), 5)
    test_row = next(row for row in rows if row[0] == "Test accuracy (%)")
    # Every difference in the report is CNN − MLP, with its sign.
    assert test_row == ["Test accuracy (%)", "97.79 ± 0.12", "98.71 ± 0.05", "+0.92 ± 0.11"]
    text = readme.results_markdown(fake_results())
    assert "over 2 seeds" in text and "101,770" in text and "`abcdef1234`" in text
    # The README's short table: test accuracy, test loss and the accuracy gap at each snapshot epoch.
    assert "| After | Metric | MLP | CNN | CNN − MLP |" in text
    assert "| 5 epochs | Test accuracy (%) | 97.79 ± 0.12 | 98.71 ± 0.05 | +0.92 ± 0.11 |" in text
    assert [line.split(" | ")[1] for line in text.splitlines() if line.startswith("| 5 epochs")] == list(
        readme.README_ROWS
    )


def test_update_readme_replaces_only_the_block(tmp_path):
    path = tmp_path / "README.md"
    path.write_text(f"intro\n{readme.README_START}\nold\n{readme.README_END}\noutro\n")
    assert readme.update_readme(fake_results(), path)
    text = path.read_text()
    assert text.startswith("intro\n") and text.endswith("outro\n") and "old" not in text
    assert "97.79 ± 0.12" in text


@pytest.mark.skipif(not RESULTS.exists(), reason="no committed results yet")
def test_committed_readme_table_matches_committed_results():
    results = json.loads(RESULTS.read_text())
    readme_text = (config.PROJECT_ROOT / "README.md").read_text()
    assert readme.results_markdown(results) in readme_text
    assert results["fast"] is False
    if "research" in results:
        verdicts = readme.for_readme(findings.verdicts_markdown(results))
        assert verdicts in readme_text
        assert not references.cited_numbers(verdicts), "the README lists no references to cite"
        assert not re.search(r"\b(Table|Figure) (lists|shows|gives)", verdicts), "a table's number is lost"
        assert "71% [44, 104]" in verdicts, "an interval of whole numbers is not a citation"
        research = results["research"]
        if all(
            key in research
            for key in ("architecture_controls", "data_efficiency", "calibration", "other_handwriting")
        ):
            abstract = readme.readme_findings()
            assert "percentage points more accurate" in abstract, (
                "the README's findings are the report's abstract"
            )
            assert abstract in readme_text


def test_benchmark_table_renders_the_measured_numbers():
    benchmark = {
        "created": "2026-11-22T10:00",
        "machine": {"cpu_count": 2},
        "training_speed": {
            "cnn": {
                "default_fit": {"median_s": 18.0, "epoch_s": [18.0, 17.5, 19.0]},
                "compiled": {"median_s": 4.5, "epoch_s": [4.5, 4.4, 4.6]},
                "speedup": 4.0,
            }
        },
        "demo_latency": {"model_call_both_models": {"median_ms": 0.66, "p95_ms": 0.92, "n": 200}},
    }
    benchmark["pipeline"] = {
        "wall_s": 600.0,
        "experiments_s": 500.0,
        "research_s": 200.0,
        "notebooks_and_export_s": 100.0,
        "seeds": [0, 1, 2, 3, 4],
        "training_epochs_s": 420.4,
        "runs_trained": 12,
        "grid_cnn_epoch_s": 3.71,
    }
    text = readme.benchmark_markdown(benchmark)
    assert "| CNN training, default `fit` (s/epoch) | 18.00 |" in text
    assert "4.50, 4.40, 4.60 (4.0x faster) | ≤ 3 s and ≥ 4x: **not met** |" in text
    assert (
        "| Model call, every reader of the demo (ms) | 0.66 | p95 0.92, n = 200 | median ≤ 1 ms: met |"
        in text
    )
    assert "| Whole report from scratch, 5 seeds (min) | 10.0 |" in text
    assert "none (the 8-minute target is retired)" in text and "≤ 8 min" not in text
    assert "the training epochs of its 12 runs alone 420 s, a CNN epoch 3.71 s" in text
    assert "research section added" not in text, "no row for sections that were not measured"
    benchmark["pipeline"]["research_sections_s"] = {
        "robustness": 88.0,
        "shift_augmentation": 72.8,
        "gap_noise": 95.0,
    }
    text = readme.benchmark_markdown(benchmark)
    assert (
        "| Each research section added for the paper, in that run (s) | 95.0 (the largest) | "
        "shift augmentation 72.8, gap noise 95.0 | ≤ 90 s each: **not met** |"
    ) in text


@pytest.mark.skipif(not (config.REPORTS_DIR / "benchmark.json").exists(), reason="no committed benchmark yet")
def test_committed_speed_doc_benchmark_table_matches_benchmark_json():
    benchmark = json.loads((config.REPORTS_DIR / "benchmark.json").read_text())
    if "training_speed" in benchmark:
        assert readme.benchmark_markdown(benchmark) in readme.SPEED_DOC.read_text()


def test_update_readme_block_writes_the_file_it_is_given_and_skips_a_missing_one(tmp_path):
    doc = tmp_path / "speed.md"
    doc.write_text("notes\n<!-- benchmark-table:start -->\nold\n<!-- benchmark-table:end -->\nmore\n")
    assert readme.update_readme_block("benchmark-table", "new table", doc)
    assert (
        doc.read_text()
        == "notes\n<!-- benchmark-table:start -->\nnew table\n<!-- benchmark-table:end -->\nmore\n"
    )
    assert not readme.update_readme_block("benchmark-table", "new table", tmp_path / "missing.md")


def test_parity_counts_and_table_say_which_original_numbers_fall_inside_our_seeds():
    from mnist_compare.metrics import summarize

    # Two seeds per model: the MLP's bracket every original number, the CNN's both sit above them.
    # The original's numbers as compared: its 5-epoch MLP gap corrected from the tabled 1.31 to 1.21.
    assert original.original_value("5", "mlp", "accuracy_gap") == pytest.approx(0.0121)
    assert original.ORIGINAL["5"]["mlp"]["accuracy_gap"] == pytest.approx(0.0131)
    offsets = {("mlp", 0): -0.001, ("mlp", 1): 0.001, ("cnn", 0): 0.002, ("cnn", 1): 0.003}
    runs = [
        {
            "model": name,
            "seed": seed,
            "snapshots": {
                epochs: {
                    part: {
                        field: original.original_value(epochs, name, key) + offset
                        for key, (p, field) in original._FIELDS.items()
                        if p == part
                    }
                    for part in ("train", "test", "gap")
                }
                for epochs in ("5", "10")
            },
        }
        for (name, seed), offset in offsets.items()
    ]
    summary = {
        name: {
            epochs: {
                key: summarize([r["snapshots"][epochs][p][f] for r in runs if r["model"] == name])
                for key, (p, f) in original._FIELDS.items()
            }
            for epochs in ("5", "10")
        }
        for name in ("mlp", "cnn")
    }
    results = {"summary": summary, "runs": runs, "config": {"seeds": [0, 1]}, "fast": False}
    assert original.parity_counts(results) == (10, 20)
    table = original.parity_markdown(results)
    assert f'<a id="{original.PARITY_TABLE}"></a>' in table, "labelled, so the text can cite it"
    rows = [line for line in table.splitlines() if line.startswith("| 5 ") or line.startswith("| 10 ")]
    assert len(rows) == 10, "one row per metric and epoch count, both models side by side"
    cells = [row.strip(" |").split(" | ") for row in rows]
    assert all(row[2].endswith("(in)") and row[4].endswith("(out)") for row in cells)
    gap = next(row for row in cells if row[:2] == ["5", "Train − test gap (pp)"])
    assert gap[2] == "1.21* (in)", "the corrected value, marked, in the MLP's Original column"
    assert "±" not in table, "our means are the epoch tables'; this table gives the range only"
    # A bound that would print as the original's number without being it gets the decimals that tell them
    # apart: 1.12 is outside a range that starts at 1.1222.
    assert original._bound(0.011222, 0.0112, True, 2) == "1.122"
    assert original._bound(0.0112, 0.0112, True, 2) == "1.12"
    assert original._bound(0.0142, 0.0112, True, 2) == "1.42"


def test_over_confidence_is_mean_confidence_above_accuracy_and_bins_under_the_diagonal_are_counted():
    """Mean confidence against test accuracy decides over-confidence, in notebook 7 and in the abstract alike;
    the reliability bins below the top one are counted where their accuracy is under their confidence."""

    results = fake_results()  # test accuracy: MLP 97.79%, CNN 98.71% after 5 epochs

    def summary(value):
        return {"mean": value, "values": [value, value]}

    def calibrated(confidence):
        return {
            "mean_confidence": summary(confidence),
            "confident_mistakes": summary(3.0),
            "ece": summary(0.01),
            "reliability": {
                "confidence": [0.3, 0.5, 0.7, 0.8, 0.99],
                "accuracy": [0.0, 0.4, 0.75, 0.0, 0.99],
                "count": [3, 30, 20, 0, 100],
            },
        }

    for mlp, cnn, expected in (
        (0.99, 0.995, {"mlp": True, "cnn": True}),
        (0.99, 0.98, {"mlp": True, "cnn": False}),
        (0.97, 0.98, {"mlp": False, "cnn": False}),
    ):
        results["research"] = {"calibration": {"models": {"mlp": calibrated(mlp), "cnn": calibrated(cnn)}}}
        assert sections.calibration.over_confident(results) == expected
    # The empty bin and the bin of 3 answers (under MIN_BIN_ANSWERS) are left out, and the top bin is not
    # counted: 1 of the 2 others is under the diagonal.
    assert sections.calibration.bins_under_diagonal(results) == {"mlp": (1, 2), "cnn": (1, 2)}


def test_seed_counts_are_singular_or_plural():
    assert formatting.plural(1, "seed") == "1 seed" and formatting.plural(5, "seed") == "5 seeds"
    results = fake_results()
    results["config"]["seeds"] = [0]
    assert formatting.seeds_phrase(results) == "1 seed"
    assert (
        "| 5 | 2 | 97.79 [97.67, 97.91] | 98.71 [98.66, 98.76] | +0.92 [0.81, 1.03] |"
        in grid.intervals_markdown(results)
    ), "CNN − MLP, with the sign that follows"


def test_provenance_line_says_when_the_tree_had_uncommitted_changes():
    results = fake_results()
    assert formatting.provenance_line(results) == "commit abcdef1234 (uncommitted changes not recorded)"
    results["provenance"]["git"]["dirty"] = True
    assert formatting.provenance_line(results) == "commit abcdef1234 with uncommitted changes"
    assert "(commit `abcdef1234` with uncommitted changes, 2026-11-22)" in readme.results_markdown(results)
    results["provenance"]["git"]["dirty"] = False
    assert formatting.provenance_line(results) == "commit abcdef1234"
    results["provenance"]["git"] = {"commit": None, "dirty": None}
    assert formatting.provenance_line(results) == "an unrecorded commit"


def _per_class_results(worst_mlp, worst_cnn):
    def run(name, worst):
        f1 = [0.99] * 10
        f1[worst] = 0.9
        return {
            "model": name,
            "seed": 0,
            "snapshots": {
                "5": {
                    "per_class": {
                        "precision": f1,
                        "recall": f1,
                        "f1": f1 if name == "mlp" else [x + 0.001 for x in f1],
                    }
                }
            },
        }

    results = fake_results()
    results["runs"] = [run("mlp", worst_mlp), run("cnn", worst_cnn)]
    return results


def test_the_hardest_digit_is_the_lowest_f1_of_each_model():
    assert grid.hardest_digits(_per_class_results(8, 8)) == {"mlp": [8], "cnn": [8]}
    assert grid.hardest_digits(_per_class_results(8, 5)) == {"mlp": [8], "cnn": [5]}
    assert grid.digits_cnn_higher(_per_class_results(8, 8)) == 10, (
        "the CNN's F1 is 0.1 points higher everywhere"
    )
    assert grid.digits_cnn_higher(_per_class_results(8, 5)) == 9, "all but the CNN's weak digit"
    table = grid.per_class_markdown(_per_class_results(8, 5))
    assert (
        table.startswith('<a id="per-class-table"></a>\n**Per-class')
        and "| 8 | 90.0 | 90.0 | 90.0 |" in table
    )


def test_a_tie_for_the_hardest_digit_names_every_tied_digit():
    results = _per_class_results(8, 8)
    cnn = next(run for run in results["runs"] if run["model"] == "cnn")
    cnn["snapshots"]["5"]["per_class"]["f1"][9] = cnn["snapshots"]["5"]["per_class"]["f1"][
        8
    ]  # 90.1% for both
    assert grid.hardest_digits(results) == {"mlp": [8], "cnn": [8, 9]}


def test_the_epoch_times_are_the_median_over_seeds_and_their_range():
    # One slow seed (6.40 s) moves the mean to 4.16 ± 1.25 s; the median stays at the typical epoch.
    summary = {"n": 5, "mean": 4.16, "std": 1.25, "values": [6.40, 3.68, 3.59, 3.54, 3.60]}
    assert sections.cost.epoch_seconds_text(summary) == "3.60 (3.54–6.40)"
    assert sections.cost.epoch_seconds_text({"n": 1, "mean": 2.0, "values": [2.0]}) == "2.00"


def _runs(name, accuracies, epochs="10", val_losses=None):
    return [
        {
            "model": name,
            "seed": seed,
            "snapshots": {epochs: {"test": {"accuracy": accuracy}}},
            "history": {
                "val_loss": (val_losses or [[0.3, 0.2, 0.25]])[seed % len(val_losses or [0])],
                "val_accuracy": [0.9, 0.91, 0.95],
            },
        }
        for seed, accuracy in enumerate(accuracies)
    ]


def _with_controls(wide, deep=None):
    from mnist_compare.metrics import summarize

    results = fake_results()
    results["config"] = {"seeds": [0, 1], "snapshot_epochs": [10]}
    results["runs"] = _runs("mlp", [0.970, 0.972]) + _runs("cnn", [0.980, 0.982])
    research = {
        "seeds": [0, 1],
        "epochs": 10,
        "capacity_control": {
            "mlp_wide": {
                "parameters": 540_610,
                "seeds": [0, 1],
                "10": {"test_accuracy": {**summarize(wide), "values": wide}},
            }
        },
    }
    if deep:
        research["architecture_controls"] = {
            "models": {
                "mlp_deep": {
                    "parameters": 235_146,
                    "seeds": [0],
                    "epochs": 10,
                    "10": {"test_accuracy": {**summarize(deep), "values": deep, "mean": deep[0]}},
                }
            }
        }
    results["research"] = research
    return results


def test_the_share_of_the_gap_a_control_closes():
    # MLP 97.1%, CNN 98.1%, parameter-matched MLP 97.35%: a quarter of the 1-point gap.
    results = _with_controls([0.9735, 0.9735])
    closed = sections.base.gap_closed(results)
    assert closed["share"] == pytest.approx(0.25)
    assert closed["lead"]["mean"] == pytest.approx(0.01)
    # Two seeds whose gains over the MLP are 0.35 and 0.15 points: the interval of the gain includes 0.
    assert closed["gain"]["ci_low"] < 0 < closed["gain"]["ci_high"]
    assert not sections.base.gain_detected(closed)
    # The same gain (0.33 points) on both seeds: its interval lies above 0.
    steady = sections.base.gap_closed(_with_controls([0.9733, 0.9753]))
    assert sections.base.gain_detected(steady)
    assert steady["gain"]["mean"] == pytest.approx(0.0033)
    # The deep control has one seed (0): MLP 97.0%, CNN 98.0% on that seed; it is below the MLP.
    results = _with_controls([0.9735, 0.9735], deep=[0.969])
    deep = sections.base.gap_closed(results, "mlp_deep")
    assert deep["share"] == pytest.approx(-0.1)
    assert sections.base.share_closed_text(deep) == "none (0.10 pp below the MLP)"


def test_the_best_epoch_is_the_lowest_validation_loss_everywhere():
    results = fake_results()
    results["config"] = {"seeds": [0, 1], "snapshot_epochs": [10]}
    results["summary"]["mlp"]["10"] = results["summary"]["mlp"]["5"]
    results["runs"] = _runs("mlp", [0.97, 0.97], val_losses=[[0.3, 0.2, 0.25], [0.3, 0.35, 0.4]])
    # Validation accuracy is highest at epoch 3, validation loss lowest at epochs 2 and 1.
    assert [item["best_epoch"] for item in grid.best_epochs(results, "mlp")] == [2, 1]
    best = grid.best_epoch_numbers(results, "mlp")
    assert best["epochs"] == [2, 1]
    assert best["rise"] == pytest.approx(((0.25 - 0.2) + (0.4 - 0.3)) / 2), (
        "from the lowest to the last epoch"
    )


def _robustness_results():
    def s(mean, n=2):
        return {"mean": mean, "n": n}

    levels = {"shift": [0, 4], "rotation": [0, 30], "scale": [1.0, 0.6], "noise": [0.0, 0.2, 0.3]}
    at = {
        "mlp": {"shift": 0.3, "rotation": 0.7, "scale": 0.4, "noise": 0.65},
        "cnn_gap": {"shift": 0.5, "rotation": 0.5, "scale": 0.4, "noise": 0.097},
    }
    curves = {}
    for transform, lvls in levels.items():
        curves[transform] = {"levels": lvls}
        for name in at:
            values = [s(0.95)] + [s(at[name][transform])] * (len(lvls) - 1)
            if transform == "noise" and name == "cnn_gap":
                values = [s(0.9), s(0.117), s(0.097)]
            curves[transform][name] = values
    return {"research": {"robustness": {"curves": curves, "units": {"noise": "noise std"}}}}


def test_the_first_noise_level_near_chance_is_found():
    results = _robustness_results()
    # The GAP CNN falls below chance + 5 points first at noise 0.2; the MLP never does.
    assert sections.robustness.near_chance(results) == {"cnn_gap": 0.2}


def test_cite_gives_the_number_of_each_reference_in_the_list():
    listed = [line for line in references.references_markdown().splitlines() if line[:1].isdigit()]
    assert references.references_markdown().startswith('<div class="report-references">')
    assert len(listed) == len(references.REFERENCE_ENTRIES) == len(references.REFERENCES)
    for key, text in references.REFERENCE_ENTRIES.items():
        number = references.cite(key)[1:-1]
        assert listed[int(number) - 1] == f"{number}. {text}"
    assert references.cite("original") == "[1]", "the report cites the original report first"
    keys = list(references.REFERENCE_ENTRIES)
    assert references.cite("mcnemar1947", "goodfellow2013") == (
        f"[{keys.index('mcnemar1947') + 1}, {keys.index('goodfellow2013') + 1}]"
    )
    with pytest.raises(KeyError):
        references.cite("no-such-key")
    text = references.references_markdown()
    for expected in (
        "*ICDAR 2003*, 958-963",
        "*Psychometrika*, 12(2), 153-157",
        "arXiv:1312.6211",
        "Visualizing and understanding convolutional networks",
        "Adam: a method for stochastic optimization",
        "On calibration of modern neural networks",
        "(translated). Unpublished course report in Korean",
    ):
        assert expected in text


def _robustness_claim_results(noise_cnn, noise_mlp):
    def s(values):
        return {"n": len(values), "mean": sum(values) / len(values), "values": values}

    levels = {"shift": [0, 4], "rotation": [0, 30], "scale": [1.0, 0.6], "noise": [0.0, 0.3]}
    curves = {
        t: {
            "levels": lv,
            "mlp": [s([0.97, 0.98]), s([0.30, 0.32])],
            "cnn": [s([0.98, 0.99]), s([0.50, 0.53])],
        }
        for t, lv in levels.items()
    }
    curves["noise"]["cnn"][1], curves["noise"]["mlp"][1] = s(noise_cnn), s(noise_mlp)
    return {"research": {"robustness": {"curves": curves, "units": {t: "" for t in levels}}}}


def test_the_robustness_verdict_is_partly_supported_when_the_curves_show_exceptions():

    verdict, measured, exceptions = sections.robustness.robustness_claim(
        _robustness_claim_results([0.8, 0.82], [0.6, 0.61])
    )
    assert (verdict, exceptions) == ("supported", [])
    assert measured.startswith("shift curve, mean: +")
    # Under noise the CNN is ahead by the means, but its paired interval includes 0.
    verdict, measured, exceptions = sections.robustness.robustness_claim(
        _robustness_claim_results([0.8, 0.5], [0.6, 0.61])
    )
    assert verdict == "partly supported" and "noise curve, mean: +4.50 [-192.45, 201.45] pp" in measured
    # Every point on the claimed side, the CNN not significantly ahead of an MLP control: partly supported.
    results = _robustness_claim_results([0.8, 0.82], [0.6, 0.61])
    for transform, curve in results["research"]["robustness"]["curves"].items():
        at = [0.85, 0.86] if transform == "noise" else [0.2, 0.21]
        curve["mlp_wide"] = [{"mean": 0.9, "values": [0.9, 0.9]}, {"mean": sum(at) / 2, "values": at}]
    verdict, _, exceptions = sections.robustness.robustness_claim(results)
    assert verdict == "partly supported"
    assert exceptions == ["not significantly ahead of any MLP control under noise (2 seeds)"]


@pytest.mark.skipif(not RESULTS.exists(), reason="no committed results yet")
def test_the_corrected_original_tables_leave_the_claims_to_the_verdicts_table():
    results = json.loads(RESULTS.read_text())
    corrected = findings.original_tables_markdown(results)
    assert f'<a id="{findings.DESCRIPTIONS_TABLE}"></a>' in corrected
    # The original's claims (fewer parameters, less overfitting, more robustness) are the verdicts table's
    # rows, not repeated here with their numbers.
    for claim in ("Fewer parameters", "Resistance to overfitting", "Robustness to transformed input"):
        assert claim not in corrected
    assert not any(row[1] in corrected for row in findings.verdicts_rows(results))
    params = results["summary"]["cnn"]["parameters"]
    assert f"{params - 1_010 - 320:,} of the CNN's {params:,} parameters" in corrected
    # The MLP's speed is the measured ratio of the median epoch times, not "several times".
    import numpy as np

    cost = results["research"]["cost"]
    ratio = float(np.median(cost["cnn"]["seconds_per_epoch"]["values"])) / float(
        np.median(cost["mlp"]["seconds_per_epoch"]["values"])
    )
    assert (
        f"a CNN epoch takes {ratio:.1f} times as long as an MLP epoch" in corrected
        and "several times" not in corrected
    )


def test_the_training_ceiling_caps_the_gap_at_100_percent_minus_test_accuracy():
    results = fake_results()
    assert grid.ceiling_caveat(results, "5") == {}, "train accuracy 90%: no ceiling"
    results["summary"]["mlp"]["5"]["train_accuracy"]["mean"] = 0.9963
    results["summary"]["cnn"]["5"]["train_accuracy"]["mean"] = 0.9987
    ceiling = grid.ceiling_caveat(results, "5")
    assert ceiling["train"] == {"mlp": 0.9963, "cnn": 0.9987}
    assert {name: round(100 * room, 2) for name, room in ceiling["room"].items()} == {
        "mlp": 2.21,
        "cnn": 1.29,
    }
    assert ceiling["test_diff"]["mean"] == pytest.approx(0.0092), "CNN − MLP, with the sign that follows"


def test_the_two_kinds_of_uncertainty_are_both_standard_deviations():
    results = fake_results()
    results["runs"] = [
        {"model": name, "seed": seed, "snapshots": {"5": {"test": {"accuracy": accuracy}}}}
        for name, accuracies in (("mlp", [0.977, 0.979]), ("cnn", [0.986, 0.988]))
        for seed, accuracy in enumerate(accuracies)
    ]
    text = grid.uncertainty_markdown(results, 5)
    sampling = 100 * ((0.977 * 0.023 / 10000) ** 0.5 + (0.979 * 0.021 / 10000) ** 0.5) / 2
    seeds = results["summary"]["mlp"]["5"]["test_accuracy"].get("n", "")
    assert (
        f"| MLP | {seeds} | 97.79 | 0.12 | {sampling:.2f} |" in text
    )  # std over seeds: 0.0012 in fake_results
    assert 100 * grid.sampling_std(results, "mlp", 5) == pytest.approx(sampling)
    assert "half-width" not in text and "Wilson score 95% interval" in text


def test_the_two_kinds_of_uncertainty_come_from_the_most_seeds():
    """With more seeds in the size comparison at the same epochs, the spread and the sampling error are read
    from them: one estimate of each, not a five-seed one beside a twenty-seed one."""
    results = fake_results()
    values = {"mlp": [0.97, 0.98, 0.975, 0.972], "cnn": [0.985, 0.986, 0.987, 0.984]}
    results.setdefault("research", {})["size_seeds"] = {
        "epochs": 5,
        "seeds": [0, 1, 2, 3],
        "models": {
            name: {"test_accuracy": {**metrics.summarize(v), "values": v}} for name, v in values.items()
        },
    }
    test, sampling = grid.uncertainty(results, "mlp", 5)
    assert test["n"] == 4 and test["std"] == pytest.approx(np.std(values["mlp"], ddof=1))
    assert sampling == pytest.approx(np.mean([(a * (1 - a) / 10000) ** 0.5 for a in values["mlp"]]))
    text = grid.uncertainty_markdown(results, 5, per_run=False)
    assert (
        f"| MLP | 4 | {100 * np.mean(values['mlp']):.2f} | {100 * test['std']:.2f} | {100 * sampling:.2f} |"
        in text
    )
    results["research"]["size_seeds"]["epochs"] = 10
    results["runs"] = [{"model": "mlp", "seed": 0, "snapshots": {"5": {"test": {"accuracy": 0.98}}}}]
    other, _ = grid.uncertainty(results, "mlp", 5)
    assert other is results["summary"]["mlp"]["5"]["test_accuracy"], "other epochs keep the main runs' seeds"


@pytest.mark.skipif(not RESULTS.exists(), reason="no committed results yet")
def test_report_text_names_no_notebook_and_no_results_file():
    results = json.loads(RESULTS.read_text())
    texts = [
        findings.verdicts_markdown(results),
        original.original_errors_markdown(results),
        findings.original_tables_markdown(results),
        sections.improved_cnn.improved_markdown(results),
        sections.robustness.shift_markdown(results),
        sections.calibration.calibration_markdown(results),
        sections.temperature_scaling.temperature_scaling_markdown(results),
        original.parity_markdown(results),
        sections.data_efficiency.data_efficiency_markdown(results),
        grid.uncertainty_markdown(results),
        grid.per_class_markdown(results),
    ]
    for text in texts:
        for phrase in (
            "notebook",
            "results.json",
            "next cell",
            "rendered from",
            "several times",
            "same setup.",
        ):
            assert phrase not in text.lower(), (phrase, text[:200])
    improved = sections.improved_cnn.improved_markdown(results)
    assert improved.startswith('<a id="improved-cnn-table"></a>\n**An improved CNN')
    assert "| 225,322 |" in improved
    ours, theirs = sections.improved_cnn.epoch_seconds(results)
    assert ours > theirs > 0, "the improved CNN's epochs are the slower"
    shift = sections.robustness.shift_markdown(results)
    images = results["research"]["robustness"]["images"]
    assert f"same {images:,}-image stratified subset" in shift
    assert "0 px is the accuracy on this subset" in shift
    if "cnn_gap" in results["research"]["robustness"]["curves"]["shift"]:
        gap_epochs = results["research"]["architecture_controls"]["models"]["cnn_gap"]["epochs"]
        assert f"| CNN with global average pooling | {gap_epochs} |" in shift, "each model's epochs are shown"


@pytest.mark.skipif(not RESULTS.exists(), reason="no committed results yet")
def test_the_report_can_leave_out_the_per_run_tables():
    """The report gives the two kinds of uncertainty and the best epochs without a row per run (the best
    epochs as numbers for a sentence); the full tables stay available."""
    results = json.loads(RESULTS.read_text())
    compact, full = grid.uncertainty_markdown(results, per_run=False), grid.uncertainty_markdown(results)
    assert "Test accuracy per run" in full and "Test accuracy per run" not in compact
    assert compact.startswith('<a id="uncertainty-table"></a>\n**The two kinds of uncertainty side by side')
    epochs = [item["best_epoch"] for item in grid.best_epochs(results, "mlp")]
    assert grid.best_epoch_numbers(results, "mlp")["epochs"] == epochs
    table = grid.best_epoch_markdown(results)
    assert table.count("\n| MLP |") == len(results["config"]["seeds"])
    assert f"\n| MLP | {results['config']['seeds'][0]} | {epochs[0]} |" in table


#: The original report, beside the repository where the project's own checks keep it (no user has it).
ORIGINAL_REPORT = config.PROJECT_ROOT.parent / "shared" / "reference" / "original-report-ko.md"


def test_every_claim_of_the_verdicts_table_has_its_words_in_the_original():
    results = json.loads(RESULTS.read_text())
    claims = [row[0] for row in findings.verdicts_rows(results)]
    sources = {original.claim_source(claim) for claim in claims}  # raises for a claim without its source
    assert len(sources) == len(original.CLAIM_SOURCES), "every source is a claim's"
    table = findings.original_claims_markdown(results)
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line][1:]
    # Claims read from the same words share a row, which gives each claim and how it is read, in order.
    quoted = {(section, english) for section, _, english, _ in sources}
    assert len(rows) == len(quoted) < len(sources)
    for _, _, english, reading in sources:
        assert table.count(f"“{english}”") == 1 and reading in table
    (pooling,) = [row for row in rows if "max pooling reduces noise" in row]
    merged = "| The CNN is more robust to noisy digits; the CNN's max pooling reduces noise |"
    assert pooling.startswith(merged), pooling
    assert "| inferred: a description of pooling, with no comparison; stated of pooling, tested on" in pooling
    with pytest.raises(KeyError, match="CLAIM_SOURCES"):
        original.claim_source("The CNN draws better pictures")


@pytest.mark.skipif(not ORIGINAL_REPORT.exists(), reason="the original report is not beside the repository")
def test_each_quotation_of_the_original_is_in_it():
    text = re.sub(r"\s+", " ", ORIGINAL_REPORT.read_text(encoding="utf-8"))
    for claim, (_, korean, _, _) in original.CLAIM_SOURCES.items():
        # A table row is quoted as its cells: each run of Korean words is in the original as it stands.
        for run in re.findall(r"[가-힣][가-힣0-9 .,]*[가-힣]", korean):
            assert run.strip() in text, (claim, run)


def test_citations_are_told_from_intervals_and_ranges():
    text = (
        "MNIST [3, 4] and the report's [1]: 71% [64, 79], scaled to [0, 1], [2] and (see [2]); "
        "Simard et al. [4]"
    )
    assert references.cited_numbers(text) == [3, 4, 1, 2, 4]
    assert references.without_citations(text) == (
        "MNIST and the report's: 71% [64, 79], scaled to [0, 1], [2] and (see); Simard et al."
    )
    too_far = f"see [{len(references.REFERENCES) + 1}]"
    assert references.cited_numbers(too_far) == [] and references.without_citations(too_far) == too_far


@pytest.mark.skipif(not (config.REPORTS_DIR / "results.json").exists(), reason="no committed results yet")
def test_the_models_table_says_a_column_of_one_value_in_its_title():
    """Epochs and seeds the same for every compared model: the title says them and the table drops their
    columns; one model with other seeds brings the seeds column back, and the title no longer says them."""

    from mnist_compare.sections import architectures

    results = json.loads((config.REPORTS_DIR / "results.json").read_text())
    text = architectures.models_markdown(results)
    title, table = text.split("\n\n", 1)
    assert "all are trained for 10 epochs with 20 seeds each" in title
    assert table.splitlines()[0] == "| Model | Layers | Parameters | Multiply-adds per image |"
    fewer = copy.deepcopy(results)
    del fewer["research"]["size_seeds"]["models"]["mlp_deep"]  # its own section's seeds only
    title, table = architectures.models_markdown(fewer).split("\n\n", 1)
    assert "the most seeds any comparison uses" in title and "seeds each" not in title
    assert table.splitlines()[0].endswith("| Seeds |") and "all are trained for 10 epochs" in title


@pytest.mark.skipif(not (config.REPORTS_DIR / "results.json").exists(), reason="no committed results yet")
def test_the_lead_with_the_test_images_sampling_error_is_wider_and_none_without_many_seeds():
    results = json.loads((config.REPORTS_DIR / "results.json").read_text())
    lead = sections.size_seeds.lead(results)
    wider = sections.size_seeds.lead_with_image_sampling(results)
    assert wider["mean"] == pytest.approx(lead["mean"])
    assert wider["ci_low"] < lead["ci_low"] < lead["ci_high"] < wider["ci_high"]
    fewer = copy.deepcopy(results)
    fewer["research"].pop("size_seeds")
    assert sections.size_seeds.lead_with_image_sampling(fewer) is None


def test_a_list_whose_items_hold_commas_is_parted_by_semicolons():
    from mnist_compare.formatting import join_words

    assert join_words(["shift", "rotation", "scale"]) == "shift, rotation and scale"
    assert join_words(["a"]) == "a"
    # Test names with commas in them: a comma between them would make four items read as six.
    names = [
        "CNN − MLP, other writers",
        "small CNN − best-width MLP",
        "CNN − parameter-matched MLP, scale curve",
    ]
    assert join_words(names) == (
        "CNN − MLP, other writers; small CNN − best-width MLP; and CNN − parameter-matched MLP, scale curve"
    )
    assert join_words(names[:2]) == "CNN − MLP, other writers and small CNN − best-width MLP"


def test_a_column_of_numbers_is_set_flush_right_and_a_column_of_words_is_not():
    """Markdown's alignment row: a column whose every cell (dashes aside) is a number, a bound, a count or an
    interval is right-aligned; the first column, and a column with a cell of words, stay left."""
    table = formatting.markdown_table(
        ["Model", "Tests", "Found", "Difference", "p", "Original"],
        [
            [
                "1",
                "1 of 1",
                "91.05%, 6.41 pp below the MLP",
                "+0.35 [0.31, 0.38] pp",
                "< 0.001",
                "1.21* (out)",
            ],
            ["2", "–", "98.76", "−1.46 [−1.58, −1.35] pp", "0.077", "0.0385 (in)"],
        ],
    )
    assert table.splitlines()[1] == "|---|---:|---|---:|---:|---:|"


def test_the_verdicts_legend_says_which_test_counts_for_two_claims():
    """A test that two claims share (one group of the correction: one name, one measurement) counts once in
    the correction and for both claims in Table 1; two claims' tests of one name on different measurements
    (two groups) are two tests."""
    rows = [
        ("5 epochs", "CNN − MLP, test accuracy", "+", "+", 1e-9, 1e-8),
        ("10 epochs", "CNN − MLP, test accuracy", "+", "+", 2e-9, 2e-8),
        ("architecture", "small CNN − MLP", "+", "+", 3e-6, 3e-5),
        ("efficiency", "small CNN − MLP", "+", "+", 3e-6, 3e-5),
    ]
    # The correction's groups (``_test_key``): the shared test's two rows are one group.
    groups = [("accuracy", 5), ("accuracy", 10), ("small", 0), ("small", 0)]
    sentence = findings.holm_sentence({"rows": rows, "tests": 3, "groups": groups})
    assert "over all 3 tests" in sentence
    assert " One test, small CNN − MLP, serves two claims." in sentence
    assert "CNN − MLP, test accuracy" not in sentence and " serve two claims" not in sentence
    assert "two claims" not in findings.holm_sentence({"rows": rows[:3], "tests": 3, "groups": groups[:3]})


def test_the_sentences_on_the_rule_of_testing_name_each_verdict_another_rule_changes():
    """Known answers: ``verdict_sensitivity`` rows (claim, verdict, {rule: verdict}) in, the sentence of
    Appendix E.2 and the brief one under Table 1 out. A verdict that every less strict rule changes is said
    once for all three; one that only some change names them; counting the later measures groups the claims
    by the verdict they would get; a claim the sentence has no short name for is quoted; and when no rule
    changes anything, the sentence says so."""
    every = {"alone": "supported", "within": "supported", "fixed": "supported", "added": "partly supported"}
    found = [
        (findings.ARCHITECTURE_CLAIM, "partly supported", every),
        (
            "The CNN uses its parameters more efficiently (read as ...)",
            "partly supported",
            {"alone": "partly supported", "within": "partly supported", "fixed": "supported"},
        ),
        ("The CNN overfits less (10 epochs)", "not shown", {"added": "mixed"}),
        ("The CNN sleeps less", "not shown", {"added": "mixed"}),
        ("The CNN is more accurate on the test set (5 epochs)", "supported", {"alone": "supported"}),
    ]
    sentence = findings.rule_sensitivity_sentence(found)
    assert sentence == (
        "Another rule of testing would change four verdicts. Under any less strict rule (without a "
        "correction, with Holm's correction within each claim or with the test images held fixed), the "
        "architecture claim would be supported; with the test images held fixed, the efficiency claim would "
        "be supported. "
        "Counting every measure as a test (the train − test gaps, the validation curves' changes from epoch "
        "to epoch, the drawings' other preprocessings and the measures added after seeing the results; "
        f"Appendix {ref('post-hoc-choices')}) would make the overfitting and “The CNN sleeps less” claims "
        "mixed."
    )
    assert (
        findings.rule_sensitivity_sentence(found[-1:])
        == "Every other rule of testing gives every verdict as it is."
    )
    # Two less strict rules that change one verdict to two different verdicts are said apart.
    split = [
        (
            "The CNN overfits less",
            "not shown",
            {"alone": "supported", "within": "not shown", "fixed": "mixed"},
        )
    ]
    assert findings.rule_sensitivity_sentence(split) == (
        "Another rule of testing would change one verdict. Without a correction, the overfitting claim would "
        "be supported; with the test images held fixed, the overfitting claim would be mixed."
    )
    # Without the appendix's name, for the appendix itself.
    assert "Appendix" not in findings.rule_sensitivity_sentence(found, where=False)
    # The glance page's brief sentence: how many verdicts the rule decides and which way, by topic: those a
    # less strict rule changes (to one verdict, said; to two, not), then those only counting every measure
    # changes (a claim without a topic is quoted), pointing once to the appendix.
    assert findings.rule_sensitivity_brief(found) == (
        "Four verdicts depend on the rule of testing. A less strict rule would make those on architecture "
        "and efficiency supported; counting every measure as a test would make those on overfitting and “The "
        f"CNN sleeps less” mixed (Appendix {ref('post-hoc-choices')})."
    )
    assert findings.rule_sensitivity_brief(split) == (
        "One verdict depends on the rule of testing. A less strict rule would change that on overfitting "
        f"(Appendix {ref('post-hoc-choices')})."
    )
    # Counting every measure, by the verdict each claim would get.
    apart = [
        ("The CNN overfits less (10 epochs)", "not shown", {"added": "mixed"}),
        ("The CNN trains more stably (read as ...)", "not shown", {"added": "partly supported"}),
    ]
    assert findings.rule_sensitivity_brief(apart) == (
        "Two verdicts depend on the rule of testing. Counting every measure as a test would make that on "
        f"overfitting mixed, and that on stability partly supported (Appendix {ref('post-hoc-choices')})."
    )
    nothing = findings.rule_sensitivity_brief(found[-1:])
    assert nothing == "Every other rule of testing gives every verdict as it is."
