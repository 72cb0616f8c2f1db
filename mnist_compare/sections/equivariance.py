"""Translation equivariance measured: the CNN's convolution maps and both models' hidden layers when a
digit moves by whole pixels."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..data import stratified_subset
from ..formatting import caption, markdown_table, pct, plural
from ..metrics import format_mean_std
from ..plots import PAGE_WIDTH, figure_title
from ..registry import BASELINE, CANDIDATE
from .base import layer_outputs, seed_summary, seeds_text

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "equivariance"
VERSION = 1
REQUIRES = ()


#: Test digits of the equivariance measurement (a stratified subset), and the move: rows down, columns right.
EQUIVARIANCE_IMAGES = 1000


EQUIVARIANCE_FAST_IMAGES = 200


EQUIVARIANCE_SEED = 31


EQUIVARIANCE_SHIFT = (0, 3)


def shift_exact(images: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Move every image (N, H, W, ...) by whole pixels, ``rows`` down and ``cols`` right; zeros fill in,
    what leaves the frame is lost. No interpolation: each pixel keeps its value."""
    images = np.asarray(images)
    out = np.zeros_like(images)
    height, width = images.shape[1:3]
    if abs(rows) >= height or abs(cols) >= width:
        return out
    source_rows, target_rows = _spans(height, rows)
    source_cols, target_cols = _spans(width, cols)
    out[:, target_rows, target_cols] = images[:, source_rows, source_cols]
    return out


def move_text(rows: int, cols: int, *, short: bool = False) -> str:
    """'3 pixels right', '2 px down and 1 px left' (``short``), 'not moved'."""

    def part(count: int, positive: str, negative: str) -> str:
        unit = "px" if short else f"pixel{'s' * (abs(count) != 1)}"
        return f"{abs(count)} {unit} {positive if count > 0 else negative}" if count else ""

    parts = [text for text in (part(cols, "right", "left"), part(rows, "down", "up")) if text]
    return " and ".join(parts) or "not moved"


def _spans(size: int, move: int) -> tuple[slice, slice]:
    """(where the kept part comes from, where it goes) along one axis of ``size`` moved by ``move``."""
    if move >= 0:
        return slice(0, size - move), slice(move, size)
    return slice(-move, size), slice(0, size + move)


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of each item of ``a`` with the same item of ``b`` (everything after the first axis
    flattened). Two all-zero items count as identical (1), an all-zero item and another as unrelated (0)."""
    a = np.asarray(a).reshape(len(a), -1)
    b = np.asarray(b).reshape(len(b), -1)
    dot = lambda x, y: np.einsum("ij,ij->i", x, y, dtype=np.float64)  # noqa: E731  (sums in float64, no copies)
    norm_a, norm_b = np.sqrt(dot(a, a)), np.sqrt(dot(b, b))
    norms = norm_a * norm_b
    both_zero = (norm_a == 0) & (norm_b == 0)
    return np.where(norms > 0, dot(a, b) / np.where(norms > 0, norms, 1.0), np.where(both_zero, 1.0, 0.0))


def equivariance_scores(original_maps: np.ndarray, shifted_maps: np.ndarray, rows: int, cols: int) -> dict:
    """How far the feature maps (N, H, W, C) of moved inputs are the moved maps of the originals, per item.

    For a stride-1 layer a move of the input by (rows, cols) is the same move of its maps:

    - ``overlap``: on the part of the map both cover (the shifted map's positions whose inputs were all
      in the original frame), the shifted digit's maps against the original's maps moved; exactly 1 for a
      'valid' convolution, up to float rounding.
    - ``zero_filled``: the whole map against the original's maps moved with zeros filling in: lower only
      by the strip that moved in (there a blank input gives the layer's response to zeros, ReLU(bias)).
    - ``unaligned``: the whole maps compared where they are, the move not undone (what a layer without
      the structure to undo it would face).
    """
    (keep_r, to_r), (keep_c, to_c) = (
        _spans(original_maps.shape[1], rows),
        _spans(original_maps.shape[2], cols),
    )
    return {
        "overlap": cosine_rows(original_maps[:, keep_r, keep_c], shifted_maps[:, to_r, to_c]),
        "zero_filled": cosine_rows(shift_exact(original_maps, rows, cols), shifted_maps),
        "unaligned": cosine_rows(original_maps, shifted_maps),
    }


def same_class_partners(labels: np.ndarray) -> np.ndarray:
    """For each item, the next item of the same class (cyclically, in index order): another writer's
    digit of the same kind, for reference similarities."""
    labels = np.asarray(labels)
    partners = np.arange(len(labels))
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        partners[members] = np.roll(members, -1)
    return partners


def _conv_name(model) -> str:
    """The model's first convolution layer."""
    return next(layer.name for layer in model.layers if "Conv2D" in {c.__name__ for c in type(layer).__mro__})


def _mean_summary(values) -> dict:
    return seed_summary([float(np.mean(v)) for v in values])


def compute(ctx, research: dict) -> dict:
    """Translation equivariance of every grid seed's last snapshot, on ``EQUIVARIANCE_IMAGES`` test digits
    moved by ``EQUIVARIANCE_SHIFT`` (whole pixels, zeros fill in)."""

    rows, cols = EQUIVARIANCE_SHIFT
    count = min(EQUIVARIANCE_FAST_IMAGES if ctx.fast else EQUIVARIANCE_IMAGES, len(ctx.splits.y_test))
    ctx.log(
        f"Research: translation equivariance ({count:,} test digits moved {move_text(rows, cols)}, "
        f"{seeds_text(ctx.seeds)})"
    )
    subset = stratified_subset(ctx.splits.y_test, count, EQUIVARIANCE_SEED)
    images, labels = ctx.splits.x_test[subset], ctx.splits.y_test[subset]
    shifted = shift_exact(images, rows, cols)
    partners = same_class_partners(labels)
    models = ctx.grid_models()
    per_seed: dict = {
        key: []
        for key in (
            "conv_overlap",
            "conv_overlap_min",
            "conv_zero_filled",
            "conv_unaligned",
            "conv_same_class",
            "cnn_hidden",
            "cnn_hidden_same_class",
            "mlp_hidden",
            "mlp_hidden_same_class",
        )
    }
    predictions: dict = {name: {"same": [], "original": [], "shifted": []} for name in (BASELINE, CANDIDATE)}
    shapes = {}
    for cnn, mlp in zip(models[CANDIDATE], models[BASELINE]):
        conv = _conv_name(cnn)
        maps, hidden, probs = layer_outputs(cnn, [conv, "hidden", "output"], images)
        maps_s, hidden_s, probs_s = layer_outputs(cnn, [conv, "hidden", "output"], shifted)
        scores = equivariance_scores(maps, maps_s, rows, cols)
        per_seed["conv_overlap"].append(scores["overlap"])
        per_seed["conv_overlap_min"].append(float(scores["overlap"].min()))
        per_seed["conv_zero_filled"].append(scores["zero_filled"])
        per_seed["conv_unaligned"].append(scores["unaligned"])
        per_seed["conv_same_class"].append(cosine_rows(maps, maps[partners]))
        per_seed["cnn_hidden"].append(cosine_rows(hidden, hidden_s))
        per_seed["cnn_hidden_same_class"].append(cosine_rows(hidden, hidden[partners]))
        m_hidden, m_probs = layer_outputs(mlp, ["hidden", "output"], images)
        m_hidden_s, m_probs_s = layer_outputs(mlp, ["hidden", "output"], shifted)
        per_seed["mlp_hidden"].append(cosine_rows(m_hidden, m_hidden_s))
        per_seed["mlp_hidden_same_class"].append(cosine_rows(m_hidden, m_hidden[partners]))
        for name, before, after in ((CANDIDATE, probs, probs_s), (BASELINE, m_probs, m_probs_s)):
            predictions[name]["same"].append(np.argmax(before, 1) == np.argmax(after, 1))
            predictions[name]["original"].append(np.argmax(before, 1) == labels)
            predictions[name]["shifted"].append(np.argmax(after, 1) == labels)
        shapes = {
            "cnn_conv": list(maps.shape[1:]),
            "cnn_hidden": int(hidden.shape[1]),
            "mlp_hidden": int(m_hidden.shape[1]),
        }
    ink = images.reshape(count, -1).sum(1)
    return {
        "images": int(count),
        "subset_seed": EQUIVARIANCE_SEED,
        "shift": {"rows": rows, "columns": cols},
        "seeds": list(ctx.seeds),
        "epochs": ctx.last,
        "shapes": shapes,
        "similarity": (
            "cosine similarity of one digit's activations (flattened) in the two cases, averaged over "
            "the digits; summaries are over seeds"
        ),
        "ink_kept": float(np.mean(shifted.reshape(count, -1).sum(1) / np.maximum(ink, 1e-9))),
        "pixels": {
            "shifted": float(np.mean(cosine_rows(images, shifted))),
            "same_class": float(np.mean(cosine_rows(images, images[partners]))),
        },
        "cnn_conv": {
            "overlap": _mean_summary(per_seed["conv_overlap"]),
            "overlap_min": seed_summary(per_seed["conv_overlap_min"]),
            "zero_filled": _mean_summary(per_seed["conv_zero_filled"]),
            "unaligned": _mean_summary(per_seed["conv_unaligned"]),
            "same_class": _mean_summary(per_seed["conv_same_class"]),
        },
        "cnn_hidden": {
            "shifted": _mean_summary(per_seed["cnn_hidden"]),
            "same_class": _mean_summary(per_seed["cnn_hidden_same_class"]),
        },
        "mlp_hidden": {
            "shifted": _mean_summary(per_seed["mlp_hidden"]),
            "same_class": _mean_summary(per_seed["mlp_hidden_same_class"]),
        },
        "same_prediction": {name: _mean_summary(p["same"]) for name, p in predictions.items()},
        "accuracy": {
            name: {"original": _mean_summary(p["original"]), "shifted": _mean_summary(p["shifted"])}
            for name, p in predictions.items()
        },
    }


def _as_image(image) -> np.ndarray:
    """A digit as (28, 28) floats in [0, 1] (uint8 0-255 scaled)."""
    image = np.squeeze(np.asarray(image, dtype=np.float32))
    return image / 255.0 if image.max() > 1 else image


def plot_equivariance(
    models: dict, image, *, results: dict | None = None, shift=None, filters: int = 4
) -> plt.Figure:
    """One digit and its copy moved by whole pixels (``EQUIVARIANCE_SHIFT``): the CNN's strongest
    ``filters`` feature maps of each (they move with the digit) and the MLP's hidden units as a grid (they
    change,
    they do not move). ``models`` holds Keras models ``"cnn"`` and ``"mlp"``; with ``results`` the titles add
    the means of the ``equivariance`` section."""

    section = (results or {}).get("research", {}).get("equivariance")
    rows_moved, cols_moved = (
        shift
        if shift is not None
        else (section["shift"]["rows"], section["shift"]["columns"])
        if section
        else EQUIVARIANCE_SHIFT
    )
    original = _as_image(image)[None, ..., None]
    moved = shift_exact(original, rows_moved, cols_moved)
    both = np.concatenate([original, moved])
    conv = _conv_name(models[CANDIDATE])
    maps = layer_outputs(models[CANDIDATE], [conv], both)[0]
    hidden = layer_outputs(models[BASELINE], ["hidden"], both)[0]
    strongest = np.argsort(-maps[0].mean(axis=(0, 1)), kind="stable")[:filters]
    overlap = equivariance_scores(maps[:1], maps[1:], rows_moved, cols_moved)["overlap"][0]
    mlp_similarity = cosine_rows(hidden[:1], hidden[1:])[0]
    units = hidden.shape[1]
    grid_cols = 16 if units % 16 == 0 else int(np.ceil(np.sqrt(units)))
    grid_rows = -(-units // grid_cols)
    grids = np.full((2, grid_rows * grid_cols), np.nan)
    grids[:, :units] = hidden
    shift_words = move_text(rows_moved, cols_moved, short=True)

    columns = 1 + filters
    fig = plt.figure(figsize=(PAGE_WIDTH, 6.3), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[2.5, 1.5])
    axes = top.subplots(2, columns)
    _, centre = np.nonzero(original[0, ..., 0] > 0.5)
    centre = float(np.mean(centre)) if len(centre) else 13.5
    limit = float(maps[:, :, :, strongest].max()) or 1.0
    for row, (name, digit) in enumerate((("original", original), (f"moved {shift_words}", moved))):
        ax = axes[row, 0]
        ax.imshow(digit[0, ..., 0], cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(name, fontsize=9)
        ax.axvline(centre, color="tab:blue", linewidth=0.8, linestyle="--")
        for k, index in enumerate(strongest):
            ax = axes[row, 1 + k]
            shown = ax.imshow(maps[row, ..., index], cmap="magma", vmin=0, vmax=limit)
            ax.axvline(centre - 1, color="tab:cyan", linewidth=0.8, linestyle="--")  # a 3x3 map is 1 px in
            ax.set_title(f"filter {index}", fontsize=9)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    bar = top.colorbar(shown, ax=axes[:, 1:], shrink=0.9, pad=0.01, aspect=20)
    bar.set_label("activation (after ReLU)", fontsize=8)
    bar.ax.tick_params(labelsize=8)
    mean_text = (
        f", mean of {section['images']:,} test digits {section['cnn_conv']['overlap']['mean']:.3f}"
        if section
        else ""
    )
    top.suptitle(
        "CNN convolution maps move with the digit (dashed: where the original's ink is centred)\n"
        f"maps of the moved digit vs the original's maps moved: cosine {overlap:.3f} for this digit"
        + mean_text,
        fontsize=9,
    )
    grid_axes = bottom.subplots(1, 2)
    vmax = float(np.nanmax(grids)) or 1.0
    for ax, values, name in zip(grid_axes, grids, ("original", f"moved {shift_words}")):
        shown = ax.imshow(values.reshape(grid_rows, grid_cols), cmap="magma", vmin=0, vmax=vmax)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{name}: {units} units ({grid_rows}x{grid_cols})", fontsize=9)
    bar = bottom.colorbar(shown, ax=grid_axes, shrink=0.9, pad=0.01, aspect=12)
    bar.set_label("activation", fontsize=8)
    bar.ax.tick_params(labelsize=8)
    mlp_mean = (
        f"; mean of {section['images']:,} digits over {len(section['seeds'])} seeds "
        f"{section['mlp_hidden']['shifted']['mean']:.3f}"
        if section
        else ""
    )
    bottom.suptitle(
        f"MLP hidden layer (both panels on one colour scale): the units change, they do not move\n"
        f"cosine of the two {mlp_similarity:.3f} for this digit{mlp_mean}",
        fontsize=9,
    )
    fig.suptitle(figure_title("Translation equivariance of one test digit", results), fontsize=10)
    return fig


def _similarity(summary: dict) -> str:
    """'0.728 ± 0.010' over seeds (three decimals), or the value alone for one seed."""
    return format_mean_std(summary, digits=3)


def _shift_text(section: dict) -> str:
    return move_text(section["shift"]["rows"], section["shift"]["columns"])


def equivariance_markdown(results: dict) -> str:
    """The similarity of each representation of a moved digit to that of the original, beside the similarity
    of another test digit of the same class (the reference)."""
    section = results["research"]["equivariance"]
    shapes = section["shapes"]
    conv = section["cnn_conv"]
    h, w, c = shapes["cnn_conv"]
    rows = [
        [
            "Pixels (input, 28×28)",
            "not undone",
            f"{section['pixels']['shifted']:.3f}",
            f"{section['pixels']['same_class']:.3f}",
        ],
        [
            f"CNN convolution maps ({h}×{w}×{c})",
            "undone, on the part both maps cover",
            _similarity(conv["overlap"]),
            _similarity(conv["same_class"]),
        ],
        [
            f"CNN convolution maps ({h}×{w}×{c})",
            "undone, whole map, zeros moved in",
            _similarity(conv["zero_filled"]),
            _similarity(conv["same_class"]),
        ],
        [
            f"CNN convolution maps ({h}×{w}×{c})",
            "not undone",
            _similarity(conv["unaligned"]),
            _similarity(conv["same_class"]),
        ],
        *[
            [
                f"{name.upper()} hidden layer ({shapes[f'{name}_hidden']} units)",
                "nothing to undo",
                _similarity(section[f"{name}_hidden"]["shifted"]),
                _similarity(section[f"{name}_hidden"]["same_class"]),
            ]
            for name in (CANDIDATE, BASELINE)
        ],
    ]
    title = (
        f"Translation equivariance: {section['images']:,} test digits moved {_shift_text(section)} (whole "
        f"pixels, zeros fill in; {pct(section['ink_kept'])} of the ink stays in the frame), cosine "
        f"similarity of one digit's activations in the two cases, averaged over the digits; "
        f"{plural(len(section['seeds']), 'seed')}, {section['epochs']} epochs"
    )
    return (
        caption(results, title, label="equivariance-table")
        + "\n\n"
        + markdown_table(
            [
                "Representation",
                "The move",
                "Moved digit vs original",
                "Another digit of the same class vs original",
            ],
            rows,
        )
    )


def equivariance_answers_markdown(results: dict) -> str:
    """Both models' accuracy on the original and on the moved digits, and how often they give the same
    answer for both."""
    section = results["research"]["equivariance"]
    rows = [
        [
            name.upper(),
            format_mean_std(section["accuracy"][name]["original"], percent=True, digits=1),
            format_mean_std(section["accuracy"][name]["shifted"], percent=True, digits=1),
            format_mean_std(section["same_prediction"][name], percent=True, digits=1),
        ]
        for name in (BASELINE, CANDIDATE)
    ]
    title = (
        f"What the models answer for the {section['images']:,} test digits moved {_shift_text(section)} "
        f"({plural(len(section['seeds']), 'seed')}, {section['epochs']} epochs)"
    )
    return (
        caption(results, title, label="equivariance-answers-table")
        + "\n\n"
        + markdown_table(
            ["Model", "Accuracy, original (%)", "Accuracy, moved (%)", "Same answer for both (%)"], rows
        )
    )
