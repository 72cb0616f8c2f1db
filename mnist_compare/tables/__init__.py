"""Tables and sentences rendered from results.json, so that no number is typed by hand.

One module per job: ``common`` (Markdown tables, intervals), ``grid`` (the 5/10-epoch grid),
``claims`` (the original report's claims tested), ``deeper`` (uncertainty, calibration, what the
models learned, data efficiency), ``original`` (the original report beside this one) and
``readme`` (the README's blocks), ``remedies`` (shift augmentation for both models, temperature
scaling), ``mechanisms`` (translation equivariance, the digits only one model gets right, the GAP CNN
under noise). Everything is re-exported here: ``tables.comparison_markdown``.
"""

from __future__ import annotations

from .common import (  # noqa: F401
    COMPARISON_ROWS,
    comparison_rows,
    markdown_table,
    plural,
    seeds_phrase,
    TEXT_NAMES,
    text_name,
    provenance_line,
    gap_closed,
    gap_closed_sentence,
    calibration_contrast,
    device_sentence,
    caption,
    mlp_controls,
)
from .grid import (  # noqa: F401
    model_markdown,
    gap_per_seed_markdown,
    comparison_markdown,
    intervals_markdown,
    mcnemar_markdown,
    epoch_change,
    confused_pairs_markdown,
    conclusions_markdown,
    model_conclusions_markdown,
    splits_markdown,
)
from .claims import (  # noqa: F401
    epoch_seconds_text,
    cost_markdown,
    ROBUSTNESS_POINTS,
    hardest_transforms,
    robustness_markdown,
    user_drawings_markdown,
    control_markdown,
    permuted_markdown,
    VERDICTS,
    verdicts_rows,
    verdicts_markdown,
    improved_markdown,
)
from .deeper import (  # noqa: F401
    MODEL_LABELS,
    uncertainty_markdown,
    best_epochs,
    best_epoch_markdown,
    leads_sentence,
    per_class_markdown,
    calibration_markdown,
    data_efficiency_markdown,
    architecture_controls_markdown,
    other_handwriting_markdown,
    shift_markdown,
    confidence_sentence,
    inside_conclusions_markdown,
)
from .original import (  # noqa: F401
    ORIGINAL,
    ORIGINAL_PRINTED_MLP_GAP,
    CORRECTED,
    original_value,
    preprocessing_ratio,
    ORIGINAL_VAL_LOSS_10,
    ORIGINAL_STEPS,
    PARITY_ROWS,
    parity_counts,
    parity_markdown,
    original_errors_markdown,
    original_tables_markdown,
    abstract_markdown,
    REFERENCES,
    REFERENCE_ENTRIES,
    cite,
    references_markdown,
    overall_conclusion_markdown,
)
from .readme import (  # noqa: F401
    README_START,
    README_END,
    results_markdown,
    update_readme_block,
    update_readme,
    benchmark_markdown,
)
from .remedies import (  # noqa: F401
    shift_augmentation_sentence,
    shift_augmentation_markdown,
    temperature_sentence,
    temperature_scaling_markdown,
)
from .mechanisms import (  # noqa: F401
    equivariance_markdown,
    equivariance_sentence,
    disagreements_markdown,
    disagreements_sentence,
    GAP_CONDITION_LABELS,
    gap_noise_markdown,
    gap_noise_explanation,
)
