"""The settings of every transformation, augmentation and drawing generator the report uses, as one table for
its Methods: each row reads the constants the code runs with (and the counts results.json records), so the
table cannot drift from what was done."""

from __future__ import annotations

from .augmentation import HANDWRITING
from .formatting import caption, markdown_table
from .references import cite
from .saliency import PATCH, STRIDE
from .strokes import DIGIT_STYLES, STROKE_VARIATION
from .transforms import ROBUSTNESS_LEVELS

#: The label of the settings table (``[the table](#settings-table)`` in a notebook).
SETTINGS_TABLE = "settings-table"


def _levels(values) -> str:
    """'0, 1, ..., 8' as '0-8 (step 1)'."""
    step = round(values[1] - values[0], 6)
    return f"{values[0]:g}–{values[-1]:g} (step {step:g})"


def settings_rows(results: dict) -> list[list[str]]:
    """[what, where it is used, its settings] for every transformation of the report."""
    research = results["research"]
    rows = []
    if "robustness" in research:
        levels = ROBUSTNESS_LEVELS
        rows.append(
            [
                "Transformed test images",
                f"robustness curves ({research['robustness']['images']:,} stratified test images)",
                f"shift {_levels(levels['shift'])} px in a random direction; "
                f"rotation {_levels(levels['rotation'])}° with a random sign; "
                f"zoom {_levels(levels['scale'])} about the centre; "
                f"Gaussian noise of std {_levels(levels['noise'])}, clipped to [0, 1], and the same "
                "noise not clipped; "
                "bilinear interpolation (a move by a fraction of a pixel also blurs the digit), "
                "zeros fill in; the same changed images for every model",
            ]
        )
    if "shift_augmentation" in research:
        shift = research["shift_augmentation"]
        rows.append(
            [
                "Shift augmentation",
                f"MLP and CNN trained on shifted digits ({shift['epochs']} epochs, "
                f"{len(shift['seeds'])} seeds)",
                "every epoch each training image moves by a random whole number of pixels "
                f"from −{shift['pixels']} to {shift['pixels']} in x and in y; zeros fill in",
            ]
        )
    h = HANDWRITING
    rows.append(
        [
            "Handwriting distortions",
            "the demo's CNN trained for drawings",
            f"{h.unchanged:.0%} of images unchanged; the others rotated up to ±{h.rotation:g}°, "
            f"sheared up to ±{h.shear:g}, each axis scaled by {h.scale[0]:g}–{h.scale[1]:g}, "
            f"shifted up to ±{h.shift:g} px, elastically distorted (a random displacement field "
            f"smoothed by a Gaussian of σ = {h.elastic_sigma:g} px and scaled by α up to "
            f"{h.elastic_alpha:g}, as Simard et al. {cite('simard2003')} do); "
            f"pen thinner for {h.thinner:.0%}, thicker for {h.thicker:.0%} (half of these much thicker); "
            "drawn afresh every epoch",
        ]
    )
    if "user_drawings" in research:
        drawn = research["user_drawings"]
        low, high = drawn["scale_range"]
        thin, thick = drawn["stroke_range"]
        rows.append(
            [
                "Synthetic drawings",
                f"{drawn['drawings']:,} MNIST test digits drawn on a canvas",
                f"black ink on a white {drawn['canvas_side']}-px square; the 28×28 digit enlarged (bilinear) "
                f"to a side of {low:.0%}–{high:.0%} of the canvas at a random place; "
                f"pen {-thin} px thinner (grey erosion) to {thick} px thicker (grey dilation)",
            ]
        )
    if "other_handwriting" in research:
        rows.append(
            [
                "Other writers' digits",
                f"{research['other_handwriting']['drawings']:,} digits of scikit-learn's set",
                "8×8 images smoothed to 32×32 (cubic), then drawn on a canvas like the synthetic drawings",
            ]
        )
    sizes = research.get("drawing_reader", {}).get("sizes", {})
    if "stroke_digits" in sizes:
        v = STROKE_VARIATION
        rows.append(
            [
                "Stroke digits",
                f"{sizes['stroke_digits']:,} digits drawn as pen strokes by a program",
                f"{sum(len(styles) for styles in DIGIT_STYLES.values())} templates "
                f"({len(DIGIT_STYLES[0])} ways of writing each digit), each rotated up to "
                f"±{v['rotation']:g}°, slanted up to ±{v['slant']:g}, "
                f"scaled {v['x_scale'][0]:g}–{v['x_scale'][1]:g} across and "
                f"{v['y_scale'][0]:g}–{v['y_scale'][1]:g} down, "
                f"{v['height'][0]:.0%}–{v['height'][1]:.0%} of the canvas high, its strokes bent by a smooth "
                f"wobble of up to {v['wobble']:.1%} of the canvas, "
                f"pen {v['width'][0]}–{v['width'][1]} px wide",
            ]
        )
    rows.append(
        [
            "Occlusion maps",
            "what the demo's models look at",
            f"a {PATCH}×{PATCH}-pixel square of the 28×28 input set to 0, moved in steps of {STRIDE} pixels; "
            "each pixel shows the mean drop of the answer's probability over the squares that cover it",
        ]
    )
    if "permuted_pixels" in research:
        rows.append(
            [
                "Permuted pixels",
                f"MLP and CNN trained and tested on permuted images ({research['permuted_pixels']['epochs']} "
                "epochs)",
                (
                    "a fixed random order of the 784 pixels for training, validation and test images, "
                    "a different one for each seed"
                    if research["permuted_pixels"].get("permutation_per_seed")
                    else "one fixed random order of the 784 pixels for training, validation and test images"
                ),
            ]
        )
    return rows


def settings_markdown(results: dict) -> str:
    """The table of every transformation's settings (``settings_rows``); a long table, print may split it
    between rows (at least three on each page), its title kept with its first rows."""
    return (
        '<div class="split-table">\n\n'
        + caption(
            results, "Every transformation, augmentation and drawing set, with its settings", SETTINGS_TABLE
        )
        + "\n\n"
        + markdown_table(["What", "Used for", "Settings"], settings_rows(results))
        + "\n\n</div>"
    )
