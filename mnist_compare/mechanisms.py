"""Three research sections that look inside the models (registered in ``research.SECTIONS``):

- ``equivariance``: translation equivariance measured directly. Test digits are moved by a whole
  number of pixels (zeros fill in, so the move is exact); the CNN's convolution maps of the moved
  digit are compared with the moved maps of the original, and the MLP's (and, for contrast, the
  CNN's) hidden activations of the two digits with each other, where there is no spatial shift to undo.
- ``disagreements``: the test digits only one model gets right, both ways, per seed (the counts of
  McNemar's test, ``metrics.mcnemar_exact``, checked against ``results["comparisons"]``), and a
  gallery of them for seed 0.
- ``gap_noise``: why the global-average-pooling CNN (``cnn_gap``) collapses under Gaussian noise:
  the same models and noisy images with the noise changed one factor at a time (unclipped, only on
  the ink, only on the background, no noise but a brighter background, a median filter), what they
  predict, and what the noise does to the pooled features the head reads.

Every similarity is the cosine similarity of one digit's activations (flattened), averaged over the
digits; every summary over seeds is ``research._summary``'s (mean, std, interval, values).
"""

from __future__ import annotations

import math

import numpy as np

from . import metrics

#: Test digits of the equivariance measurement (a stratified subset), and the move: rows down, columns right.
EQUIVARIANCE_IMAGES = 1000
EQUIVARIANCE_FAST_IMAGES = 200
EQUIVARIANCE_SEED = 31
EQUIVARIANCE_SHIFT = (0, 3)
#: Gallery items per direction (CNN right and MLP wrong; MLP right and CNN wrong), seed 0.
DISAGREEMENT_GALLERY = 8
#: Noise levels of the GAP study (standard deviations, as in ``research.ROBUSTNESS_LEVELS["noise"]``) and the
#: conditions, one factor changed at a time: every condition at ``GAP_NOISE_MAIN`` (where the GAP CNN is at
#: chance and the grid's CNN is not), the ``GAP_NOISE_CURVE`` ones at every level; the grid's seed-0 CNN and MLP
#: are measured at ``GAP_NOISE_MAIN`` for contrast. (Each condition is one pass of every model over the robustness
#: subset; measuring only the curve conditions at the other levels keeps the section inside its time budget.)
GAP_NOISE_LEVELS = (0.1, 0.2, 0.3)
GAP_NOISE_MAIN = 0.2
GAP_NOISE_CURVE = ("clipped", "unclipped", "constant_background", "median")
GAP_NOISE_CONTRAST = ("cnn", "mlp")
GAP_NOISE_CONDITIONS = {
    "clipped": "Gaussian noise added to every pixel, clipped to [0, 1] (the robustness curve's noise)",
    "unclipped": "the same noise, not clipped (zero mean; pixels may leave [0, 1])",
    "clipped_centred": "the clipped noise with its background mean m subtracted from every pixel",
    "ink_only": "the clipped noise only on ink pixels (> 0); the background stays 0",
    "background_only": "the clipped noise only on background pixels (= 0); the ink stays as it is",
    "constant_background": "no noise; every pixel raised to at least m, the clipped noise's background mean",
    "median": "the clipped noise, then a 3x3 median filter (a possible fix)",
}
#: The same conditions named in a table row or on a figure's axis.
GAP_NOISE_LABELS = {
    "clipped": "clipped noise (as in the robustness curve)",
    "unclipped": "zero-mean noise, not clipped",
    "clipped_centred": "clipped noise, background mean subtracted",
    "ink_only": "clipped noise on the ink only",
    "background_only": "clipped noise on the background only",
    "constant_background": "no noise, background raised to its mean",
    "median": "clipped noise, then a 3x3 median filter",
}


def _research():
    from . import research

    return research


# --- pure pieces --------------------------------------------------------------------------------------

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
    (keep_r, to_r), (keep_c, to_c) = _spans(original_maps.shape[1], rows), _spans(original_maps.shape[2], cols)
    return {"overlap": cosine_rows(original_maps[:, keep_r, keep_c], shifted_maps[:, to_r, to_c]),
            "zero_filled": cosine_rows(shift_exact(original_maps, rows, cols), shifted_maps),
            "unaligned": cosine_rows(original_maps, shifted_maps)}


def same_class_partners(labels: np.ndarray) -> np.ndarray:
    """For each item, the next item of the same class (cyclically, in index order): another writer's
    digit of the same kind, for reference similarities."""
    labels = np.asarray(labels)
    partners = np.arange(len(labels))
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        partners[members] = np.roll(members, -1)
    return partners


def disagreement_masks(labels: np.ndarray, mlp_predicted: np.ndarray, cnn_predicted: np.ndarray) -> dict:
    """Boolean masks of the items only the CNN gets right (``cnn_only``) and only the MLP (``mlp_only``)."""
    labels = np.asarray(labels)
    mlp_right, cnn_right = np.asarray(mlp_predicted) == labels, np.asarray(cnn_predicted) == labels
    return {"cnn_only": cnn_right & ~mlp_right, "mlp_only": mlp_right & ~cnn_right}


def gallery_order(mask: np.ndarray, wrong_confidence: np.ndarray, count: int) -> np.ndarray:
    """The first ``count`` items of ``mask`` by the wrong model's confidence, highest first (ties: lower index)."""
    chosen = np.flatnonzero(mask)
    order = np.lexsort((chosen, -np.asarray(wrong_confidence)[chosen]))
    return chosen[order][:count]


def clipped_noise_mean(std: float) -> float:
    """E[clip(X, 0, 1)] for X ~ N(0, std²): the brightness clipped noise gives a blank pixel on average,
    std/√(2π) · (1 − exp(−1/(2 std²))) + P(X > 1), i.e. about std/√(2π) when std is well below 1."""
    if std <= 0:
        return 0.0
    tail = 0.5 * math.erfc(1 / (std * math.sqrt(2)))
    return float(std / math.sqrt(2 * math.pi) * (1 - math.exp(-1 / (2 * std * std))) + tail)


def median_filter3(images: np.ndarray) -> np.ndarray:
    """A 3x3 median filter over each image (N, H, W, C); zeros beyond the border."""
    from scipy import ndimage

    return ndimage.median_filter(np.asarray(images), size=(1, 3, 3, 1), mode="constant", cval=0.0)


def noise_conditions(images: np.ndarray, std: float, names=None, seed: int | None = None) -> dict[str, np.ndarray]:
    """The images under each of ``names`` (default: every one of ``GAP_NOISE_CONDITIONS``) at noise ``std``; the
    noise is the robustness curve's (same seed, same draw), so ``clipped`` is ``research.noisy_images(images, std)``."""
    research = _research()
    seed = research.ROBUSTNESS_SEED if seed is None else seed
    names = list(GAP_NOISE_CONDITIONS if names is None else names)
    unknown = sorted(set(names) - set(GAP_NOISE_CONDITIONS))
    if unknown:
        raise ValueError(f"Unknown noise condition(s) {unknown}; choose from {list(GAP_NOISE_CONDITIONS)}.")
    noise = research._rng(seed).normal(0, std, images.shape).astype(np.float32)
    ink = images > 0
    clipped = np.clip(images + noise, 0, 1)
    mean = np.float32(clipped_noise_mean(std))
    make = {"clipped": lambda: clipped, "unclipped": lambda: images + noise,
            "clipped_centred": lambda: clipped - mean, "ink_only": lambda: np.where(ink, clipped, images),
            "background_only": lambda: np.where(ink, images, clipped),
            "constant_background": lambda: np.maximum(images, mean), "median": lambda: median_filter3(clipped)}
    return {name: make[name]().astype(np.float32) for name in names}


def receptive_field(model, layer_name: str) -> tuple[int, int]:
    """(size, stride) in input pixels of one position of ``layer_name``'s output: the layers up to it are
    'valid' convolutions and poolings, so position (i, j) sees rows i·stride .. i·stride + size − 1."""
    size, stride = 1, 1
    for layer in model.layers:
        kind = {cls.__name__ for cls in type(layer).__mro__}
        if "Conv2D" in kind:
            kernel, step = layer.kernel_size[0], layer.strides[0]
        elif "MaxPooling2D" in kind or "AveragePooling2D" in kind:
            kernel, step = layer.pool_size[0], layer.strides[0]
        else:
            kernel, step = 1, 1
        size += (kernel - 1) * stride
        stride *= step
        if layer.name == layer_name:
            return size, stride
    raise ValueError(f"{model.name} has no layer {layer_name!r}.")


def blank_positions(images: np.ndarray, size: int, stride: int) -> np.ndarray:
    """(N, out, out) True where a position's receptive field (``size`` pixels, every ``stride``) holds no ink."""
    ink = np.asarray(images)[..., 0] > 0
    windows = np.lib.stride_tricks.sliding_window_view(ink, (size, size), axis=(1, 2))[:, ::stride, ::stride]
    return ~windows.any(axis=(-2, -1))


def feature_offset(clean: np.ndarray, changed: np.ndarray, weights: np.ndarray, bias: np.ndarray,
                   labels: np.ndarray, clean_part: np.ndarray | None = None,
                   changed_part: np.ndarray | None = None) -> dict:
    """What a change of the input did to the pooled features (N, F) a linear softmax head reads.

    ``constant_share``: the share of the change's energy that is one offset common to every image
    (|mean change|² / mean |change|²); ``norm``: that offset's length; ``toward``: the class the offset
    alone pushes the head to (arg-max of offset · weights); ``accuracy_removed``: the head's accuracy once
    the offset is subtracted, the offset estimated on the other half of the images (even / odd positions,
    two-fold), so no image corrects itself. With ``clean_part`` and ``changed_part`` (the part of the pooled
    features some positions contribute), ``part_share``: their share of the offset (its projection on it).
    """
    change = np.asarray(changed, dtype=np.float64) - np.asarray(clean, dtype=np.float64)
    offset = change.mean(axis=0)
    energy = float(np.mean(np.sum(change ** 2, axis=1)))
    halves = np.arange(len(change)) % 2 == 0
    corrected = np.array(changed, dtype=np.float64)
    for half in (halves, ~halves):
        other = change[~half].mean(axis=0) if np.any(~half) else offset
        corrected[half] -= other
    predicted = np.argmax(corrected @ weights + bias, axis=1)
    out = {"constant_share": float(np.sum(offset ** 2) / energy) if energy > 0 else 1.0,
           "norm": float(np.linalg.norm(offset)), "toward": int(np.argmax(offset @ weights)),
           "accuracy_removed": float(np.mean(predicted == labels))}
    if clean_part is not None and changed_part is not None:
        part = (np.asarray(changed_part, dtype=np.float64) - np.asarray(clean_part, dtype=np.float64)).mean(axis=0)
        squared = float(np.sum(offset ** 2))
        out["part_share"] = float(part @ offset / squared) if squared > 0 else 0.0
    return out


# --- running models -----------------------------------------------------------------------------------

def layer_outputs(model, names, images: np.ndarray, batch_size: int | None = None) -> list[np.ndarray]:
    """The outputs of the layers ``names`` of ``model`` (``"output"``: the model's own) for ``images``,
    batch by batch, through one graph function per probe."""
    import keras

    from .training import EVAL_BATCH_SIZE, _compiled_forward

    batch_size = batch_size or EVAL_BATCH_SIZE
    key = tuple(names)
    probes = model.__dict__.setdefault("_mnist_compare_probes", {})
    if key not in probes:
        outputs = [model.outputs[0] if name == "output" else model.get_layer(name).output for name in names]
        probes[key] = keras.Model(model.inputs[0], outputs)
    forward = _compiled_forward(probes[key])
    parts = [[] for _ in names]
    for start in range(0, len(images), batch_size):
        out = forward(np.asarray(images[start:start + batch_size], dtype=np.float32))
        out = out if isinstance(out, (list, tuple)) else [out]
        for part, value in zip(parts, out):
            part.append(np.asarray(value))
    return [np.concatenate(part, axis=0) for part in parts]


def _conv_name(model) -> str:
    """The model's first convolution layer."""
    return next(layer.name for layer in model.layers if "Conv2D" in {c.__name__ for c in type(layer).__mro__})


def _gap_parts(model) -> tuple[str, np.ndarray, np.ndarray]:
    """(the layer the global average pooling reads, the head's weights, its bias) of a GAP model."""
    names = [layer.name for layer in model.layers]
    pool = next(i for i, layer in enumerate(model.layers) if type(layer).__name__ == "GlobalAveragePooling2D")
    weights, bias = model.layers[-1].get_weights()
    return names[pool - 1], weights, bias


# --- the sections ---------------------------------------------------------------------------------------

def _seeds(seeds) -> str:
    return f"{len(seeds)} seed{'s' * (len(seeds) != 1)}"


def _mean_summary(values) -> dict:
    return _research()._summary([float(np.mean(v)) for v in values])


def equivariance(ctx, research: dict) -> dict:
    """Translation equivariance of every grid seed's last snapshot, on ``EQUIVARIANCE_IMAGES`` test digits
    moved by ``EQUIVARIANCE_SHIFT`` (whole pixels, zeros fill in)."""
    from .data import stratified_subset

    rows, cols = EQUIVARIANCE_SHIFT
    count = min(EQUIVARIANCE_FAST_IMAGES if ctx.fast else EQUIVARIANCE_IMAGES, len(ctx.splits.y_test))
    ctx.log(f"Research: translation equivariance ({count:,} test digits moved {move_text(rows, cols)}, "
            f"{_seeds(ctx.seeds)})")
    subset = stratified_subset(ctx.splits.y_test, count, EQUIVARIANCE_SEED)
    images, labels = ctx.splits.x_test[subset], ctx.splits.y_test[subset]
    shifted = shift_exact(images, rows, cols)
    partners = same_class_partners(labels)
    models = ctx.grid_models()
    per_seed: dict = {key: [] for key in ("conv_overlap", "conv_overlap_min", "conv_zero_filled", "conv_unaligned",
                                          "conv_same_class", "cnn_hidden", "cnn_hidden_same_class", "mlp_hidden",
                                          "mlp_hidden_same_class")}
    predictions: dict = {name: {"same": [], "original": [], "shifted": []} for name in ("mlp", "cnn")}
    shapes = {}
    for cnn, mlp in zip(models["cnn"], models["mlp"]):
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
        for name, before, after in (("cnn", probs, probs_s), ("mlp", m_probs, m_probs_s)):
            predictions[name]["same"].append(np.argmax(before, 1) == np.argmax(after, 1))
            predictions[name]["original"].append(np.argmax(before, 1) == labels)
            predictions[name]["shifted"].append(np.argmax(after, 1) == labels)
        shapes = {"cnn_conv": list(maps.shape[1:]), "cnn_hidden": int(hidden.shape[1]),
                  "mlp_hidden": int(m_hidden.shape[1])}
    summary = _research()._summary
    ink = images.reshape(count, -1).sum(1)
    return {
        "images": int(count), "subset_seed": EQUIVARIANCE_SEED, "shift": {"rows": rows, "columns": cols},
        "seeds": list(ctx.seeds), "epochs": ctx.last, "shapes": shapes,
        "similarity": ("cosine similarity of one digit's activations (flattened) in the two cases, averaged over "
                       "the digits; summaries are over seeds"),
        "ink_kept": float(np.mean(shifted.reshape(count, -1).sum(1) / np.maximum(ink, 1e-9))),
        "pixels": {"shifted": float(np.mean(cosine_rows(images, shifted))),
                   "same_class": float(np.mean(cosine_rows(images, images[partners])))},
        "cnn_conv": {"overlap": _mean_summary(per_seed["conv_overlap"]),
                     "overlap_min": summary(per_seed["conv_overlap_min"]),
                     "zero_filled": _mean_summary(per_seed["conv_zero_filled"]),
                     "unaligned": _mean_summary(per_seed["conv_unaligned"]),
                     "same_class": _mean_summary(per_seed["conv_same_class"])},
        "cnn_hidden": {"shifted": _mean_summary(per_seed["cnn_hidden"]),
                       "same_class": _mean_summary(per_seed["cnn_hidden_same_class"])},
        "mlp_hidden": {"shifted": _mean_summary(per_seed["mlp_hidden"]),
                       "same_class": _mean_summary(per_seed["mlp_hidden_same_class"])},
        "same_prediction": {name: _mean_summary(p["same"]) for name, p in predictions.items()},
        "accuracy": {name: {"original": _mean_summary(p["original"]), "shifted": _mean_summary(p["shifted"])}
                     for name, p in predictions.items()},
    }


def _recorded_counts(results: dict, epochs: int) -> dict:
    """McNemar's counts per seed that ``results["comparisons"]`` holds for ``epochs`` ({} if none)."""
    for comparison in results.get("comparisons", []):
        if int(comparison["epochs"]) == int(epochs) and (comparison.get("a"), comparison.get("b")) == ("mlp", "cnn"):
            return {int(test["seed"]): test for test in comparison["mcnemar"]}
    return {}


def disagreements(ctx, research: dict) -> dict:
    """Per seed (the grid's last snapshot): the test digits only the CNN gets right and only the MLP gets right;
    for seed 0 the ``DISAGREEMENT_GALLERY`` of each with the wrong model most confident."""
    from .training import predictions_path

    ctx.log(f"Research: the test digits only one model gets right ({_seeds(ctx.seeds)})")
    labels = ctx.splits.y_test
    recorded = _recorded_counts(ctx.results, ctx.last)
    counts: dict = {"cnn_only": [], "mlp_only": [], "both_wrong": []}
    by_label = {"cnn_only": np.zeros(10, int), "mlp_only": np.zeros(10, int)}
    gallery = None
    for seed in ctx.seeds:
        probs = {name: np.load(predictions_path(ctx.run_dir(name, seed), ctx.last))["probabilities"]
                 for name in ("mlp", "cnn")}
        predicted = {name: np.argmax(p, 1) for name, p in probs.items()}
        test = metrics.mcnemar_exact(labels, predicted["mlp"], predicted["cnn"])  # a = MLP, b = CNN
        if seed in recorded and (recorded[seed]["a_only"], recorded[seed]["b_only"]) != (test["a_only"],
                                                                                           test["b_only"]):
            raise ValueError(f"Seed {seed}'s saved test predictions give {test['b_only']} CNN-only and "
                             f"{test['a_only']} MLP-only digits, results.json's comparisons "
                             f"{recorded[seed]['b_only']} and {recorded[seed]['a_only']}: run the grid again.")
        counts["cnn_only"].append(test["b_only"])
        counts["mlp_only"].append(test["a_only"])
        counts["both_wrong"].append(test["both_wrong"])
        masks = disagreement_masks(labels, predicted["mlp"], predicted["cnn"])
        for key, mask in masks.items():
            by_label[key] += np.bincount(labels[mask], minlength=10)
        if seed == ctx.seeds[0]:
            gallery = {"seed": seed, "per_direction": DISAGREEMENT_GALLERY,
                       "order": "the wrong model's confidence, highest first (ties: lower index)"}
            for key, wrong in (("cnn_only", "mlp"), ("mlp_only", "cnn")):
                chosen = gallery_order(masks[key], probs[wrong].max(1), DISAGREEMENT_GALLERY)
                gallery[key] = [{"index": int(i), "label": int(labels[i]),
                                 **{name: {"predicted": int(predicted[name][i]),
                                           "confidence": float(probs[name][i].max())} for name in ("mlp", "cnn")}}
                                for i in chosen]
    summary = _research()._summary
    net = metrics.paired_differences(counts["cnn_only"], counts["mlp_only"])
    return {"epochs": ctx.last, "seeds": list(ctx.seeds), "test_images": int(len(labels)),
            "directions": {"cnn_only": "CNN right, MLP wrong", "mlp_only": "MLP right, CNN wrong"},
            "counts": {**{key: summary(values) for key, values in counts.items()}, "net": summary(net)},
            "checked_against_comparisons": sorted(seed for seed in ctx.seeds if seed in recorded),
            "by_label": {key: values.astype(int).tolist() for key, values in by_label.items()},
            "gallery": gallery}


def _first_seed_models(ctx, names) -> dict:
    """The grid's first-seed, last-snapshot model of each of ``names`` (from the context's cache when loaded)."""
    from .training import load_snapshot

    loaded = ctx._models.get("grid", {})
    return {name: loaded[name][0] if name in loaded else load_snapshot(ctx.run_dir(name, ctx.seeds[0]), ctx.last)
            for name in names}


def _gap_models(ctx, research: dict) -> tuple[list, list[int], int]:
    info = research["architecture_controls"]["models"][_research().GAP_MODEL]
    seeds, epochs = list(info["seeds"]), int(info["epochs"])
    return _research()._extra_models(ctx.paths, "architecture", _research().GAP_MODEL, seeds, epochs), seeds, epochs


def gap_noise(ctx, research: dict) -> dict:
    """The GAP CNN (every seed of ``architecture_controls``) under ``GAP_NOISE_CONDITIONS`` at
    ``GAP_NOISE_LEVELS`` on the robustness test subset, with its predicted classes and what each condition
    does to its pooled features; the grid's seed-0 CNN and MLP under the same conditions at ``GAP_NOISE_MAIN``."""
    from .training import predict_probabilities

    rs = _research()
    models, seeds, epochs = _gap_models(ctx, research)
    images, labels = rs.robustness_subset(ctx.splits)
    ctx.log(f"Research: why the GAP CNN fails under noise ({_seeds(seeds)}, {len(labels):,} test images, "
            f"{len(GAP_NOISE_CONDITIONS)} conditions at noise {GAP_NOISE_MAIN}, {len(GAP_NOISE_CURVE)} at "
            f"{len(GAP_NOISE_LEVELS)} levels)")
    layer, _, _ = _gap_parts(models[0])
    size, stride = receptive_field(models[0], layer)
    blank = blank_positions(images, size, stride)
    parts = [_gap_parts(model) for model in models]

    def read(batch):
        """Per seed: (pooled features, predicted classes, the part of the pooled features from blank positions)."""
        out = []
        for model, (name, weights, bias) in zip(models, parts):
            maps = layer_outputs(model, [name], batch)[0]
            pooled = maps.mean(axis=(1, 2))
            from_blank = (maps * blank[..., None]).sum(axis=(1, 2)) / (maps.shape[1] * maps.shape[2])
            out.append((pooled, np.argmax(pooled @ weights + bias, 1), from_blank))
        return out

    def described(reading, clean_reading) -> dict:
        item = {"accuracy": rs._summary([float(np.mean(p == labels)) for _, p, _ in reading]),
                "predicted": [np.bincount(p, minlength=10).astype(int).tolist() for _, p, _ in reading]}
        offsets = [feature_offset(base[0], pooled, weights, bias, labels, base[2], from_blank)
                   for (pooled, _, from_blank), base, (_, weights, bias) in zip(reading, clean_reading, parts)]
        item["offset"] = {"constant_share": rs._summary([o["constant_share"] for o in offsets]),
                          "norm": rs._summary([o["norm"] for o in offsets]),
                          "toward": [o["toward"] for o in offsets],
                          "accuracy_removed": rs._summary([o["accuracy_removed"] for o in offsets]),
                          "blank_share": rs._summary([o["part_share"] for o in offsets])}
        return item

    clean = read(images)
    median_clean = read(median_filter3(images))
    contrast_models = _first_seed_models(ctx, GAP_NOISE_CONTRAST)

    def contrast_accuracy(batch) -> dict:
        return {name: float(np.mean(np.argmax(predict_probabilities(model, batch), 1) == labels))
                for name, model in contrast_models.items()}

    contrast = {"clean": contrast_accuracy(images), "median_clean": contrast_accuracy(median_filter3(images))}
    noise = {}
    for level in GAP_NOISE_LEVELS:
        batches = noise_conditions(images, level, None if level == GAP_NOISE_MAIN else GAP_NOISE_CURVE)
        noise[str(level)] = {name: described(read(batch), clean) for name, batch in batches.items()}
        if level == GAP_NOISE_MAIN:
            contrast.update({name: contrast_accuracy(batch) for name, batch in batches.items()})
    spread = [float(np.sqrt(np.sum(np.var(pooled, axis=0)))) for pooled, _, _ in clean]
    return {
        "model": rs.GAP_MODEL, "seeds": seeds, "epochs": epochs, "images": int(len(labels)),
        "noise_seed": rs.ROBUSTNESS_SEED, "levels": list(GAP_NOISE_LEVELS), "main_level": GAP_NOISE_MAIN,
        "conditions": GAP_NOISE_CONDITIONS, "curve_conditions": list(GAP_NOISE_CURVE),
        "background_mean": {str(level): clipped_noise_mean(level) for level in GAP_NOISE_LEVELS},
        "receptive_field": {"layer": layer, "size": size, "stride": stride, "positions": int(blank[0].size),
                            "blank_positions": float(blank.sum(axis=(1, 2)).mean()),
                            "blank": "positions whose receptive field holds no ink of the clean digit"},
        "clean": {"accuracy": rs._summary([float(np.mean(p == labels)) for _, p, _ in clean]),
                  "predicted": [np.bincount(p, minlength=10).astype(int).tolist() for _, p, _ in clean],
                  "feature_spread": rs._summary(spread)},
        "median_clean": {"accuracy": rs._summary([float(np.mean(p == labels)) for _, p, _ in median_clean])},
        "noise": noise,
        "contrast": {"seed": ctx.seeds[0], "epochs": ctx.last, "level": GAP_NOISE_MAIN, "accuracy": contrast},
    }

