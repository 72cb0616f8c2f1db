"""The Methods' settings table reads the settings the code runs with and the counts results.json records."""

import json

from mnist_compare import config, methods
from mnist_compare.augmentation import HANDWRITING
from mnist_compare.transforms import ROBUSTNESS_LEVELS


def committed_results():
    return json.loads((config.REPORTS_DIR / "results.json").read_text())


def test_the_settings_table_says_what_the_code_does():
    results = committed_results()
    rows = {(what, used): settings for what, used, settings in methods.settings_rows(results)}
    text = methods.settings_markdown(results)
    opening = f'<a id="{methods.SETTINGS_TABLE}"></a>\n**Every transformation'
    # A long table: print may split it between rows, its title kept with its first rows.
    assert text.startswith('<div class="split-table">\n\n' + opening) and text.endswith("</div>")
    robustness = next(s for (what, _), s in rows.items() if what == "Transformed test images")
    assert f"shift 0–{ROBUSTNESS_LEVELS['shift'][-1]} (step 1) px" in robustness
    assert f"rotation 0–{ROBUSTNESS_LEVELS['rotation'][-1]} (step 10)°" in robustness
    handwriting = next(s for (what, _), s in rows.items() if what == "Handwriting distortions")
    assert (
        f"±{HANDWRITING.rotation:g}°" in handwriting
        and f"σ = {HANDWRITING.elastic_sigma:g} px" in handwriting
    )
    shift = results["research"]["shift_augmentation"]
    assert any(f"from −{shift['pixels']} to {shift['pixels']}" in s for s in rows.values())
    # The improved CNN is a notebook-only study: its augmentation is not among the report's settings.
    assert not any("improved CNN" in used for _, used in rows)
    assert f"{results['research']['robustness']['images']:,} stratified test images" in text


def test_a_run_without_research_sections_gets_only_the_rows_it_has():
    rows = methods.settings_rows({"research": {}})
    assert [what for what, _, _ in rows] == [
        "Handwriting distortions",
        "Occlusion maps",
    ]
