"""User-like drawings: MNIST test digits drawn on a canvas the way a visitor draws, read through each
preprocessing method."""

from __future__ import annotations

from ..formatting import caption, markdown_table, paired, pp
from ..metrics import format_mean_std, summarize, widened
from ..preprocessing import DEFAULT_METHOD, METHOD_LABELS, METHODS, ORIGINAL_COUNTERPARTS
from ..registry import BASELINE, CANDIDATE
from .base import Context, drawing_accuracies
from .image_sampling import standard_error

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "user_drawings"
VERSION = 5
REQUIRES = ("capacity_control", "architecture_controls")


def compute(ctx: Context, research: dict) -> dict:
    ctx.log("Research: user-like drawings through each preprocessing method")
    return drawing_accuracies(ctx.all_models(research), ctx.splits)


def set_accuracy(results: dict, section: str) -> dict:
    """{model: {method: accuracy}} of the MLP and the CNN on the drawings of ``section`` (``user_drawings``:
    synthetic, ``other_handwriting``: other writers): over the size comparison's seeds when the side studies
    measured them there, else over the section's own."""
    many = results["research"].get("side_seeds", {}).get("drawings", {}).get(DRAWING_SETS[section])
    return many or results["research"][section]["accuracy"]


def drawings_difference(results: dict, section: str, method: str) -> dict:
    """CNN − MLP accuracy on the drawings of ``section`` through ``method``, paired by seed (over the seeds
    of ``set_accuracy``)."""
    accuracy = set_accuracy(results, section)
    return paired(accuracy[CANDIDATE][method], accuracy[BASELINE][method])


def leads_within_image_error(results: dict, section: str, methods) -> list[str]:
    """The ``methods`` through which the CNN's lead on the drawings of ``section`` (``drawings_difference``)
    has an interval including 0 once the drawings' own sampling error, measured by ``image_sampling``, is
    added to its interval over seeds; a method without a measured error is left out."""
    found = []
    for method in methods:
        error = standard_error(results, f"drawings:{DRAWING_SETS[section]}:{method}")
        if error and widened(drawings_difference(results, section, method), error)["ci_low"] <= 0:
            found.append(method)
    return found


#: How the drawings table names the original report's own code for its two methods.
ORIGINAL_LABELS = {"original_naive": "the original's plain resize", "original_bbox": "the original's crop"}

#: How the drawings table's caption names each set.
SET_WORDS = {"user_drawings": "synthetic drawings", "other_handwriting": "other writers' digits"}

#: The two drawing sets of the table, by their section's key.
DRAWING_SETS = {"user_drawings": "synthetic", "other_handwriting": "other writers"}


def _many_seeds_cells(side: dict, differences: dict, key: str) -> list[str] | None:
    """The demo's default preprocessing on the drawings of ``key`` over the side-seeds section's seeds
    (``side``; the verdicts use them): the MLP's and the CNN's mean and their CNN − MLP from
    ``side_seeds.differences``, or None when the results do not have them."""
    measure = f"drawings:{DRAWING_SETS[key]}"
    if measure not in differences:
        return None
    values = side["measures"][measure]
    return [
        f"{100 * summarize(values[BASELINE])['mean']:.2f}",
        f"{100 * summarize(values[CANDIDATE])['mean']:.2f}",
        pp(differences[measure][1]),
    ]


def user_drawings_markdown(results: dict) -> str:
    """The MLP and the CNN on the synthetic drawings (MNIST test digits re-rendered on a canvas) and on other
    writers' digits, through each preprocessing method (a row each; the original report's code for a
    method on the row below ours), with the CNN − MLP difference paired by seed: the two sets side by side."""
    from .side_seeds import KEY as SIDE_SEEDS  # lazy: side_seeds reads this section's results
    from .side_seeds import differences as side_differences

    research = results["research"]
    side, differences = research.get(SIDE_SEEDS, {}), side_differences(results)
    sets = [key for key in DRAWING_SETS if key in research]
    accuracy = {key: set_accuracy(results, key) for key in sets}
    # The demo's methods, each followed by the original report's own code for the same method (its plain
    # resize and its crop, through which the drawings claim is tested) where every set has it.
    originals = {
        ours: original
        for original, ours in ORIGINAL_COUNTERPARTS.items()
        if all(original in accuracy[key][BASELINE] for key in sets)
    }
    methods = [m for method in METHODS for m in (method, originals.get(method)) if m]
    # One block of rows a set, the set named on its first row.
    rows = []
    for key in sets:
        for index, method in enumerate(methods):
            rows.append(
                [
                    f"{DRAWING_SETS[key].capitalize()} ({research[key]['drawings']:,})" if index == 0 else "",
                    # Three methods, the original report's code for two of them on the row below ours.
                    "" if method in ORIGINAL_LABELS else METHOD_LABELS[method],
                    "original report's" if method in ORIGINAL_LABELS else "this report's",
                    f"{100 * accuracy[key][BASELINE][method]['mean']:.2f}",
                    f"{100 * accuracy[key][CANDIDATE][method]['mean']:.2f}",
                    pp(drawings_difference(results, key, method)),
                ]
            )
        # A run whose drawings have fewer seeds than the side studies': the demo's default over all of those.
        extra = (
            _many_seeds_cells(side, differences, key) if accuracy[key] is research[key]["accuracy"] else None
        )
        if extra:
            many_seeds = f"{METHOD_LABELS[DEFAULT_METHOD]}, all {len(side['seeds'])} seeds"
            rows.append(["", many_seeds, "this report's", *extra])
    many = side.get("seeds", [])
    first = len(results["config"]["seeds"])
    counts = {len(accuracy[key][BASELINE][DEFAULT_METHOD]["values"]) for key in sets}
    seeds_text = (
        f"{counts.pop()} seeds"
        if len(counts) == 1 and len(rows) == len(methods) * len(sets)
        else f"the first {first} seeds (all {len(many)} where the row says so)"
        if len(many) > first
        else f"{first} seeds"
    )
    sizes = " and ".join(f"{research[key]['drawings']:,} {SET_WORDS[key]}" for key in sets)
    header = ["Drawings (number)", "Preprocessing", "Whose code", "MLP", "CNN", "CNN − MLP"]
    return (
        caption(
            results,
            f"Accuracy (%) through each preprocessing, mean over {seeds_text}, and CNN − MLP paired by "
            f"seed, on {sizes}",
            label="drawings-table",
        )
        + "\n\n"
        + markdown_table(header, rows)
    )


#: The label of the table of the drawings read through the original report's own code.
ORIGINAL_CODE_TABLE = "original-code-table"


def original_code_markdown(results: dict) -> str:
    """Both drawing sets through the original report's own code for its plain resize and its crop, each row
    beside our version of the same method: the MLP's and the CNN's accuracy through each. "" when
    the results do not have the original's code."""
    research = results["research"]
    rows = []
    for key, name in DRAWING_SETS.items():
        accuracy = set_accuracy(results, key) if key in research else {}
        for method, ours in ORIGINAL_COUNTERPARTS.items():
            if method not in accuracy.get(BASELINE, {}):
                continue
            rows.append(
                [
                    name,
                    METHOD_LABELS[ours],
                    format_mean_std(accuracy[BASELINE][method], percent=True),
                    format_mean_std(accuracy[BASELINE][ours], percent=True),
                    format_mean_std(accuracy[CANDIDATE][method], percent=True),
                    format_mean_std(accuracy[CANDIDATE][ours], percent=True),
                ]
            )
    if not rows:
        return ""
    return (
        caption(
            results,
            "Accuracy (%) on both drawing sets: the original report's preprocessing code beside ours "
            f"(section [3.5](#preprocessing-a-drawing)); mean ± std over "
            f"{len(next(iter(set_accuracy(results, 'user_drawings')[BASELINE].values()))['values'])} seeds",
            label=ORIGINAL_CODE_TABLE,
        )
        + "\n\n"
        + markdown_table(
            [
                "Drawings",
                "Method",
                "MLP, the original's code",
                "MLP, ours",
                "CNN, the original's code",
                "CNN, ours",
            ],
            rows,
        )
    )
