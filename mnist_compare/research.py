"""The research experiments behind each claim of the original report, and beyond it.

All of them use the grid's saved models (every seed, last snapshot) or train a
few extra runs through ``training.train_run`` (resumable like the grid):

- capacity control: an MLP widened to the CNN's parameter count (``mlp_wide``);
- architecture controls: a deeper regularised MLP, a compute-matched MLP, and a CNN with a
  global-average-pooling head (the shift contrast);
- permuted pixels: both models trained and tested on images whose pixels are
  shuffled by one fixed permutation (the MLP cannot tell; the CNN loses its prior);
- data efficiency: test accuracy against training-set size (MLP, wide MLP, CNN);
- an improved CNN (the appendix);
- robustness: whole accuracy curves under shifts, rotations, scaling and Gaussian noise;
- user-like drawings and other writers' digits (scikit-learn's 8x8 digits) through the
  plain resize, the bounding-box crop with 20% padding, and crop + centre of mass;
- calibration: reliability, expected calibration error, confident mistakes;
- errors: the test digits both models get most confidently wrong;
- cost: parameters, training FLOPs per image, seconds per epoch, milliseconds per prediction;
- equivariance, disagreements, GAP under noise (``mechanisms``): translation equivariance measured
  in the CNN's maps and both models' hidden layers, the digits only one model gets right, and why the
  global-average-pooling CNN collapses under Gaussian noise;
- shift augmentation: the MLP and the CNN trained with the same random shifts (does augmentation, not
  convolution, close the gap under shifts?);
- temperature scaling: one temperature per model and seed fitted on the validation split, the test
  calibration before and after, and the seed-0 temperatures the demo applies.

``run_research(results, splits, paths, previous=...)`` returns the ``research`` section of
results.json; each section (``SECTIONS``) has a version and is reused from ``previous`` while
its version is current.
"""

from __future__ import annotations

import hashlib
import time

import numpy as np
from scipy import ndimage

from . import config, metrics

RESEARCH_VERSION = 1
ROBUSTNESS_IMAGES = 3000
ROBUSTNESS_SEED = 2024
#: Whole curves, from no change to where the models fail: every pixel of shift up to 8 (a digit
#: is about 20 pixels wide), every 10 degrees up to 60, zoom 0.5-1.5, noise up to half the ink's value.
ROBUSTNESS_LEVELS = {
    "shift": [0, 1, 2, 3, 4, 5, 6, 7, 8],   # pixels, in a random direction per image
    "rotation": [0, 10, 20, 30, 40, 50, 60],  # degrees, random sign per image
    "scale": [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5],  # zoom about the image centre
    "noise": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5],  # standard deviation of added Gaussian noise
}
ROBUSTNESS_UNITS = {"shift": "pixels", "rotation": "degrees", "scale": "zoom factor", "noise": "noise std"}
USER_DRAWINGS = 1000
USER_DRAWINGS_SEED = 11
PERMUTATION_SEED = 4321
CONTROL_MODEL = "mlp_wide"
IMPROVED_MODEL = "cnn_improved"
IMPROVED_SEEDS = 1
PERMUTED_SEEDS = 3
#: The deeper regularised MLP and the compute-matched MLP: the grid's epochs, three seeds.
ARCHITECTURE_MODELS = ("mlp_deep", "mlp_compute")
ARCHITECTURE_SEEDS = 3
#: The global-average-pooling CNN, for the shift contrast: two seeds, the first snapshot's epochs.
GAP_MODEL = "cnn_gap"
GAP_SEEDS = 2
DATA_EFFICIENCY_MODELS = ("mlp", CONTROL_MODEL, "cnn")
DATA_EFFICIENCY_SIZES = (500, 2000, 8000)
DATA_EFFICIENCY_FAST_SIZES = (300, 1000)
DATA_EFFICIENCY_SEEDS = 3
DATA_EFFICIENCY_SEED = 700
#: Small training sets get more epochs: at least this many image presentations in all.
DATA_EFFICIENCY_MIN_IMAGES = 20_000
OTHER_HANDWRITING_SEED = 17
OTHER_HANDWRITING_FAST = 300
CALIBRATION_BINS = 15
#: Shift augmentation for the MLP and the CNN alike (``training.shift_augment``, drawn anew every epoch):
#: up to 3 whole pixels in x and in y. That box holds every 3-pixel shift of the test curve in any
#: direction (where the plain MLP has lost ~40 points) and keeps a digit's 20x20 box inside the 28x28
#: frame (4 pixels of margin); the appendix CNN uses 2. The grid's first snapshot's epochs, one seed: the
#: section costs about 8 plain CNN epochs (85-91 s measured where one took 10.4-11.4 s; ~30 s at the grid's
#: 3.6 s), two thirds of it the augmented CNN's five epochs; a second seed would add about 6 more.
SHIFT_AUGMENT_PIXELS = 3
SHIFT_AUGMENT_SEEDS = 1
SHIFT_AUGMENT_MODELS = ("mlp", "cnn")
#: Temperature scaling: one temperature per model and seed, fitted on the validation split, in these bounds;
#: the seed-0 temperatures are written beside the shipped models (``training.write_calibration``), where
#: the demo reads them.
TEMPERATURE_BOUNDS = (0.05, 20.0)


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def shift_images(images: np.ndarray, pixels: float, seed: int = ROBUSTNESS_SEED) -> np.ndarray:
    """Move every digit ``pixels`` away in a random direction (zeros fill in)."""
    if pixels == 0:
        return images.copy()
    angles = _rng(seed).uniform(0, 2 * np.pi, len(images))
    out = np.empty_like(images)
    for i, (image, angle) in enumerate(zip(images, angles)):
        out[i] = ndimage.shift(image, (pixels * np.sin(angle), pixels * np.cos(angle), 0), order=1, cval=0.0)
    return out


def rotate_images(images: np.ndarray, degrees: float, seed: int = ROBUSTNESS_SEED) -> np.ndarray:
    """Rotate every digit by ``degrees`` clockwise or anticlockwise (random per image) about its centre."""
    if degrees == 0:
        return images.copy()
    signs = _rng(seed).choice([-1.0, 1.0], len(images))
    out = np.empty_like(images)
    for i, (image, sign) in enumerate(zip(images, signs)):
        out[i, ..., 0] = ndimage.rotate(image[..., 0], sign * degrees, reshape=False, order=1, cval=0.0)
    return np.clip(out, 0, 1)


def scale_images(images: np.ndarray, factor: float) -> np.ndarray:
    """Zoom every digit by ``factor`` about the image centre (the canvas stays 28x28)."""
    if factor == 1.0:
        return images.copy()
    centre = (np.array(images.shape[1:3]) - 1) / 2
    matrix = np.eye(2) / factor
    offset = centre - matrix @ centre
    out = np.empty_like(images)
    for i, image in enumerate(images):
        out[i, ..., 0] = ndimage.affine_transform(image[..., 0], matrix, offset=offset, order=1, cval=0.0)
    return np.clip(out, 0, 1)


def noisy_images(images: np.ndarray, std: float, seed: int = ROBUSTNESS_SEED) -> np.ndarray:
    if std == 0:
        return images.copy()
    return np.clip(images + _rng(seed).normal(0, std, images.shape).astype(np.float32), 0, 1)


TRANSFORMS = {"shift": shift_images, "rotation": rotate_images, "scale": scale_images, "noise": noisy_images}


def permute_pixels(images: np.ndarray, seed: int = PERMUTATION_SEED) -> np.ndarray:
    """The same fixed shuffle of the 784 pixel positions for every image."""
    order = _rng(seed).permutation(28 * 28)
    flat = images.reshape(len(images), -1)[:, order]
    return flat.reshape(images.shape)


def forward_macs(model) -> int:
    """Multiply-accumulates of one forward pass (dense and convolution layers)."""
    total = 0
    for layer in model.layers:
        kind = type(layer).__mro__
        names = {cls.__name__ for cls in kind}
        if "Dense" in names:
            total += int(np.prod(layer.kernel.shape))
        elif "Conv2D" in names:
            out_h, out_w = layer.output.shape[1:3]
            total += int(np.prod(layer.kernel.shape)) * int(out_h) * int(out_w)
    return total


def prediction_latency_ms(model, image: np.ndarray, repeats: int = 200) -> float:
    """Median milliseconds of one compiled call on one image."""
    from .training import _compiled_forward

    forward = _compiled_forward(model)
    batch = image[None].astype(np.float32)
    for _ in range(20):
        forward(batch)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        np.asarray(forward(batch))
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1000)


def _summary(values) -> dict:
    summary = metrics.summarize(values)
    summary["values"] = [float(v) for v in values]
    return summary


def _accuracy(model, images, labels) -> float:
    from .training import predict_probabilities

    return float(np.mean(np.argmax(predict_probabilities(model, images), axis=1) == labels))


def robustness_subset(splits) -> tuple[np.ndarray, np.ndarray]:
    """The fixed stratified test subset every transformed-input measurement reads (a sixth in fast mode)."""
    from .data import stratified_subset

    wanted = ROBUSTNESS_IMAGES // 6 if splits.info.get("fast") else ROBUSTNESS_IMAGES
    subset = stratified_subset(splits.y_test, min(wanted, len(splits.y_test)), ROBUSTNESS_SEED)
    return splits.x_test[subset], splits.y_test[subset]


def robustness(models: dict, splits) -> dict:
    """Accuracy per transform and level, for every model and seed, on a fixed test subset."""
    images, labels = robustness_subset(splits)
    out = {"images": int(len(labels)), "units": ROBUSTNESS_UNITS, "curves": {}}
    # Every curve starts at the unchanged images: their accuracies are computed once, not once per curve.
    unchanged = {name: [_accuracy(model, images, labels) for model in seed_models]
                 for name, seed_models in models.items()}
    for transform, levels in ROBUSTNESS_LEVELS.items():
        curve = {"levels": levels}
        transformed = [TRANSFORMS[transform](images, level) for level in levels]
        same = [np.array_equal(batch, images) for batch in transformed]
        for name, seed_models in models.items():
            per_level = [unchanged[name] if is_same else [_accuracy(model, batch, labels) for model in seed_models]
                         for batch, is_same in zip(transformed, same)]
            curve[name] = [_summary(values) for values in per_level]
        out["curves"][transform] = curve
    return out


_DRAWING_INPUTS: dict = {}


def _drawing_inputs(splits) -> tuple[np.ndarray, dict]:
    """The labels and, per preprocessing method, the model inputs of the user-like drawings
    (made once per data set and reused by the appendix)."""
    from . import drawings
    from .preprocessing import METHODS, preprocess

    count = min(USER_DRAWINGS // 5 if splits.info.get("fast") else USER_DRAWINGS, len(splits.y_test))
    key = hashlib.sha256(splits.x_test[:count].tobytes() + splits.y_test[:count].tobytes()).hexdigest()
    if key not in _DRAWING_INPUTS:
        digits = (splits.x_test[:count, ..., 0] * 255).astype(np.uint8)
        canvases = drawings.user_like_canvases(digits, seed=USER_DRAWINGS_SEED)
        inputs = {method: np.concatenate([preprocess(canvas, method).batch() for canvas in canvases])
                  for method in METHODS}
        _DRAWING_INPUTS.clear()
        _DRAWING_INPUTS[key] = (splits.y_test[:count].copy(), inputs)
    return _DRAWING_INPUTS[key]


def user_drawings(models: dict, splits) -> dict:
    """Accuracy on MNIST test digits drawn like a user draws, through each preprocessing method."""
    from . import drawings
    from .training import predict_probabilities

    labels, inputs = _drawing_inputs(splits)
    out = {"drawings": int(len(labels)), "canvas_side": drawings.CANVAS_SIDE, "scale_range": list(drawings.SCALE_RANGE),
           "stroke_range": list(drawings.STROKE_RANGE), "accuracy": {}}
    for name, seed_models in models.items():
        out["accuracy"][name] = {}
        for method, batch in inputs.items():
            values = [float(np.mean(np.argmax(predict_probabilities(model, batch), 1) == labels))
                      for model in seed_models]
            out["accuracy"][name][method] = _summary(values)
    return out


def other_handwriting(models: dict, *, fast: bool) -> dict:
    """Accuracy on scikit-learn's 8x8 digits (other writers, other scanner) drawn like user drawings
    on a canvas, through each preprocessing method."""
    from . import drawings
    from .preprocessing import METHODS, preprocess
    from .training import predict_probabilities

    images, labels = drawings.other_handwriting(OTHER_HANDWRITING_FAST if fast else None)
    canvases = drawings.user_like_canvases(images, seed=OTHER_HANDWRITING_SEED)
    inputs = {method: np.concatenate([preprocess(canvas, method).batch() for canvas in canvases]) for method in METHODS}
    out = {"drawings": int(len(labels)), "source": "scikit-learn load_digits (UCI optical digits, 8x8)",
           "accuracy": {}}
    for name, seed_models in models.items():
        out["accuracy"][name] = {
            method: _summary([float(np.mean(np.argmax(predict_probabilities(model, batch), 1) == labels))
                              for model in seed_models])
            for method, batch in inputs.items()}
    return out


def calibration(labels: np.ndarray, probabilities: list, bins: int = CALIBRATION_BINS) -> dict:
    """Expected calibration error per seed, the reliability diagram pooled over seeds, and the
    confident mistakes (wrong with at least 99% confidence) per seed."""
    ece, mistakes, pooled = [], [], []
    for probs in probabilities:
        table = metrics.reliability(labels, probs, bins)
        ece.append(metrics.expected_calibration_error(table))
        confidence = probs.max(1)
        wrong = np.argmax(probs, 1) != labels
        mistakes.append(int(np.sum(wrong & (confidence >= 0.99))))
        pooled.append(table)
    counts = np.sum([t["count"] for t in pooled], axis=0)
    weight = np.maximum(counts, 1)
    diagram = {"count": counts.astype(int).tolist(),
               "confidence": (np.sum([np.array(t["confidence"]) * t["count"] for t in pooled], 0) / weight).tolist(),
               "accuracy": (np.sum([np.array(t["accuracy"]) * t["count"] for t in pooled], 0) / weight).tolist(),
               "edges": pooled[0]["edges"]}
    return {"ece": _summary(ece), "confident_mistakes": _summary(mistakes), "reliability": diagram,
            "mean_confidence": _summary([float(p.max(1).mean()) for p in probabilities]),
            "test_images": int(len(labels))}


def error_gallery(run_dirs: dict, splits, epochs: int, top: int = 12) -> dict:
    """The test digits that either model (seed 0) gets wrong with the highest confidence."""
    from .training import predictions_path

    probabilities = {name: np.load(predictions_path(run_dir, epochs))["probabilities"]
                     for name, run_dir in run_dirs.items()}
    labels = splits.y_test
    worst = {}
    for name, probs in probabilities.items():
        predicted = np.argmax(probs, 1)
        wrong = np.flatnonzero(predicted != labels)
        for index in wrong[np.argsort(-probs[wrong].max(1))][:top // len(probabilities)]:
            worst[int(index)] = None
    items = []
    for index in worst:
        item = {"index": index, "label": int(labels[index])}
        for name, probs in probabilities.items():
            item[name] = {"predicted": int(np.argmax(probs[index])), "confidence": float(np.max(probs[index])),
                          "probabilities": [round(float(p), 4) for p in probs[index]]}
        items.append(item)
    both_wrong = int(np.sum(np.all([np.argmax(p, 1) != labels for p in probabilities.values()], axis=0)))
    return {"epochs": epochs, "seed": config.FIRST_SEED, "items": items, "both_wrong": both_wrong,
            "test_images": int(len(labels))}


def cost(models: dict, results: dict) -> dict:
    """Size and speed of each model: parameters, FLOPs, seconds per epoch, ms per prediction."""
    from .models import build_model

    out = {}
    sample = np.zeros((28, 28, 1), dtype=np.float32)
    for name, seed_models in models.items():
        macs = forward_macs(build_model(name))
        runs = [run for run in results["runs"] if run["model"] == name]
        epoch_seconds = [_epoch_seconds(run) for run in runs]
        out[name] = {
            "parameters": int(seed_models[0].count_params()),
            "forward_macs_per_image": macs,
            "training_flops_per_image": 6 * macs,  # forward 2 FLOPs per MAC, backward about twice the forward
            "seconds_per_epoch": _summary(epoch_seconds),
            "milliseconds_per_prediction": prediction_latency_ms(seed_models[0], sample),
        }
    return out


def _epoch_seconds(record: dict) -> float:
    """Median seconds of one training epoch of a run, its first (compiling) epoch left out."""
    return float(np.median(record["epoch_seconds"][1:] or record["epoch_seconds"]))


def _extra_run_dir(paths, variant: str, name: str, seed: int):
    return paths.models / "research" / f"{variant}_{name}_seed{seed}"


def _extra_runs(variant: str, model_names, seeds, splits, snapshot_epochs, paths, progress, *,
                validate: bool = True) -> list[dict]:
    from .training import run_spec, train_run

    fast = bool(splits.info.get("fast"))
    return [train_run(run_spec(name, seed, splits, fast=fast, snapshot_epochs=snapshot_epochs), splits,
                      _extra_run_dir(paths, variant, name, seed), progress=progress, validate=validate)
            for name in model_names for seed in seeds]


def _extra_models(paths, variant: str, name: str, seeds, epochs: int) -> list:
    from .training import load_snapshot

    return [load_snapshot(_extra_run_dir(paths, variant, name, seed), epochs) for seed in seeds]


def _extra_summary(records, epochs_list) -> dict:
    out = {}
    for name in dict.fromkeys(r["spec"]["model"] for r in records):
        runs = [r for r in records if r["spec"]["model"] == name]
        out[name] = {"parameters": runs[0]["parameters"], "seeds": [r["spec"]["seed"] for r in runs],
                     "seconds_per_epoch": _summary([_epoch_seconds(r) for r in runs])}
        for epochs in epochs_list:
            out[name][str(epochs)] = {
                key: _summary([r["snapshots"][str(epochs)][part][field] for r in runs])
                for key, (part, field) in (("test_accuracy", ("test", "accuracy")),
                                           ("train_accuracy", ("train", "accuracy")),
                                           ("accuracy_gap", ("gap", "accuracy_gap")))
            }
    return out


def _progress(total: int, show: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="epoch", disable=not show, dynamic_ncols=True)


class _Context:
    """What every research section needs: the results so far, the data, the output folder."""

    def __init__(self, results: dict, splits, paths, show_progress: bool, log):
        self.results, self.splits, self.paths, self.show_progress, self.log = results, splits, paths, show_progress, log
        self.seeds = results["config"]["seeds"]
        self.last = max(results["config"]["snapshot_epochs"])
        self.snapshot_epochs = tuple(results["config"]["snapshot_epochs"])
        self.fast = bool(splits.info.get("fast"))
        self._models: dict = {}

    def run_dir(self, name: str, seed: int):
        """The folder of the grid's run of ``name`` with ``seed``."""
        return self.paths.models / f"{name}_seed{seed}"

    def grid_models(self) -> dict:
        from .training import load_snapshot

        if "grid" not in self._models:
            self._models["grid"] = {name: [load_snapshot(self.run_dir(name, seed), self.last) for seed in self.seeds]
                                    for name in ("mlp", "cnn")}
        return self._models["grid"]

    def all_models(self, research: dict) -> dict:
        """The grid's models and every control that has runs: the wide, deep, compute-matched MLPs and the GAP CNN."""
        if "all" not in self._models:
            models = dict(self.grid_models())
            models[CONTROL_MODEL] = _extra_models(self.paths, "control", CONTROL_MODEL, self.seeds, self.last)
            controls = research["architecture_controls"]
            for name, info in controls["models"].items():
                models[name] = _extra_models(self.paths, "architecture", name, info["seeds"], info["epochs"])
            self._models["all"] = models
        return self._models["all"]


def capacity_control(ctx: _Context, research: dict) -> dict:
    ctx.log(f"Research: capacity control ({CONTROL_MODEL}, {len(ctx.seeds)} seeds)")
    with _progress(len(ctx.seeds) * ctx.last, ctx.show_progress) as progress:
        control = _extra_runs("control", [CONTROL_MODEL], ctx.seeds, ctx.splits, ctx.snapshot_epochs, ctx.paths,
                              progress)
    return _extra_summary(control, ctx.snapshot_epochs)


def architecture_controls(ctx: _Context, research: dict) -> dict:
    """A deeper regularised MLP and a compute-matched MLP (the grid's epochs, fewer seeds), and a CNN
    with a global-average-pooling head (the shift contrast)."""
    plan = {name: (ctx.seeds[:ARCHITECTURE_SEEDS], ctx.snapshot_epochs) for name in ARCHITECTURE_MODELS}
    plan[GAP_MODEL] = (ctx.seeds[:GAP_SEEDS], (min(ctx.snapshot_epochs),))
    ctx.log("Research: architecture controls (" + ", ".join(f"{name} x{len(seeds)} seeds, {max(epochs)} epochs"
                                                            for name, (seeds, epochs) in plan.items()) + ")")
    out = {"models": {}}
    with _progress(sum(len(s) * max(e) for s, e in plan.values()), ctx.show_progress) as progress:
        for name, (seeds, epochs) in plan.items():
            records = _extra_runs("architecture", [name], seeds, ctx.splits, epochs, ctx.paths, progress)
            summary = _extra_summary(records, epochs)[name]
            summary.update(seeds=list(seeds), epochs=max(epochs))
            out["models"][name] = summary
    return out


def permuted_pixels(ctx: _Context, research: dict) -> dict:
    from dataclasses import replace

    seeds = ctx.seeds[:PERMUTED_SEEDS]
    epochs = (min(ctx.snapshot_epochs),)
    splits = replace(ctx.splits, x_train=permute_pixels(ctx.splits.x_train), x_val=permute_pixels(ctx.splits.x_val),
                     x_test=permute_pixels(ctx.splits.x_test))
    ctx.log(f"Research: permuted pixels (MLP and CNN, {len(seeds)} seeds, {epochs[0]} epochs)")
    with _progress(2 * len(seeds) * epochs[0], ctx.show_progress) as progress:
        permuted = _extra_runs("permuted", ["mlp", "cnn"], seeds, splits, epochs, ctx.paths, progress)
    return {"epochs": epochs[0], "permutation_seed": PERMUTATION_SEED, "models": _extra_summary(permuted, epochs)}


def data_efficiency_epochs(size: int, *, fast: bool) -> int:
    """Epochs for a training set of ``size`` images: the grid's 10, or enough for about
    ``DATA_EFFICIENCY_MIN_IMAGES`` image presentations on the smallest sets."""
    if fast:
        return config.FAST_EPOCHS
    return max(max(config.SNAPSHOT_EPOCHS), int(np.ceil(DATA_EFFICIENCY_MIN_IMAGES / size)))


def data_efficiency(ctx: _Context, research: dict) -> dict:
    """Test accuracy against training-set size for the MLP, the wide MLP and the CNN, with seed bands.

    Each seed draws its own stratified subset (the same one for the three models); the
    full training set reuses the grid's and the capacity control's runs. Only the last epoch is
    read, so these runs skip the validation pass after every epoch (on 500 images for 40 epochs,
    it cost several times the training).
    """
    from dataclasses import replace

    from .data import stratified_subset

    seeds = ctx.seeds[:DATA_EFFICIENCY_SEEDS]
    full = len(ctx.splits.y_train)
    sizes = [size for size in (DATA_EFFICIENCY_FAST_SIZES if ctx.fast else DATA_EFFICIENCY_SIZES) if size < full]
    total = sum(len(DATA_EFFICIENCY_MODELS) * len(seeds) * data_efficiency_epochs(s, fast=ctx.fast) for s in sizes)
    ctx.log(f"Research: data efficiency ({', '.join(f'{s:,}' for s in sizes)} images; {len(seeds)} seeds)")
    out = {"sizes": sizes + [full], "seeds": seeds, "epochs": {}, "models": {n: [] for n in DATA_EFFICIENCY_MODELS}}
    with _progress(total, ctx.show_progress) as progress:
        for size in sizes:
            epochs = data_efficiency_epochs(size, fast=ctx.fast)
            out["epochs"][str(size)] = epochs
            per_model: dict = {name: [] for name in DATA_EFFICIENCY_MODELS}
            for seed in seeds:
                chosen = stratified_subset(ctx.splits.y_train, size, DATA_EFFICIENCY_SEED + seed)
                subset = replace(ctx.splits, x_train=ctx.splits.x_train[chosen], y_train=ctx.splits.y_train[chosen])
                for name in DATA_EFFICIENCY_MODELS:
                    record = _extra_runs(f"data{size}", [name], [seed], subset, (epochs,), ctx.paths, progress,
                                         validate=False)[0]
                    per_model[name].append(record["snapshots"][str(epochs)]["test"]["accuracy"])
            for name, values in per_model.items():
                out["models"][name].append(_summary(values))
    out["epochs"][str(full)] = ctx.last
    for name in DATA_EFFICIENCY_MODELS:
        if name == CONTROL_MODEL:
            values = [research["capacity_control"][name][str(ctx.last)]["test_accuracy"]["values"][ctx.seeds.index(s)]
                      for s in seeds]
        else:
            values = [next(run["snapshots"][str(ctx.last)]["test"]["accuracy"] for run in ctx.results["runs"]
                           if run["model"] == name and run["seed"] == s) for s in seeds]
        out["models"][name].append(_summary(values))
    return out


def improved_cnn_section(ctx: _Context, research: dict) -> dict:
    return improved_cnn(ctx.results, ctx.splits, ctx.paths, show_progress=ctx.show_progress, log=ctx.log)


def robustness_section(ctx: _Context, research: dict) -> dict:
    ctx.log("Research: robustness to shifts, rotations, scaling and noise")
    return robustness(ctx.all_models(research), ctx.splits)


def user_drawings_section(ctx: _Context, research: dict) -> dict:
    ctx.log("Research: user-like drawings through each preprocessing method")
    return user_drawings(ctx.all_models(research), ctx.splits)


def other_handwriting_section(ctx: _Context, research: dict) -> dict:
    ctx.log("Research: handwriting that is not MNIST (scikit-learn's 8x8 digits drawn on a canvas)")
    return other_handwriting(ctx.all_models(research), fast=ctx.fast)


def calibration_section(ctx: _Context, research: dict) -> dict:
    from .training import predictions_path

    out = {"bins": CALIBRATION_BINS, "epochs": ctx.last, "models": {}}
    sources = {name: [ctx.run_dir(name, seed) for seed in ctx.seeds] for name in ("mlp", "cnn")}
    sources[CONTROL_MODEL] = [_extra_run_dir(ctx.paths, "control", CONTROL_MODEL, seed) for seed in ctx.seeds]
    labels = ctx.splits.y_test
    for name, run_dirs in sources.items():
        probabilities = [np.load(predictions_path(run_dir, ctx.last))["probabilities"] for run_dir in run_dirs]
        out["models"][name] = calibration(labels, probabilities)
    return out


def errors_section(ctx: _Context, research: dict) -> dict:
    return error_gallery({name: ctx.run_dir(name, ctx.seeds[0]) for name in ("mlp", "cnn")},
                         ctx.splits, ctx.last)


def cost_section(ctx: _Context, research: dict) -> dict:
    return cost(ctx.grid_models(), ctx.results)


def improved_cnn(results: dict, splits, paths, *, show_progress: bool = True, log=print) -> dict:
    """The appendix: a stronger CNN (BatchNorm, dropout, shift augmentation), its test accuracy and drawings."""
    seeds = results["config"]["seeds"][:IMPROVED_SEEDS]
    epochs = max(results["config"]["snapshot_epochs"])
    log(f"Research: improved CNN ({len(seeds)} seed, {epochs} epochs, shift augmentation)")
    with _progress(len(seeds) * epochs, show_progress) as progress:
        records = _extra_runs("appendix", [IMPROVED_MODEL], seeds, splits, (epochs,), paths, progress)
    summary = _extra_summary(records, (epochs,))[IMPROVED_MODEL]
    models = _extra_models(paths, "appendix", IMPROVED_MODEL, seeds, epochs)
    drawings = user_drawings({IMPROVED_MODEL: models}, splits)
    return {"epochs": epochs, "seeds": seeds, "summary": summary,
            "user_drawings": drawings["accuracy"][IMPROVED_MODEL],
            "seconds_per_epoch": [_epoch_seconds(r) for r in records]}


def shift_curves(models: dict, splits, levels=None) -> dict:
    """Accuracy of every model and seed at every shift of ``levels`` (``ROBUSTNESS_LEVELS["shift"]``), on the
    test subset ``robustness`` uses (the same images, the same random directions):
    ``{"images": n, "levels": [...], "accuracy": {name: [[seed accuracies] per level]}}``."""
    images, labels = robustness_subset(splits)
    levels = list(ROBUSTNESS_LEVELS["shift"] if levels is None else levels)
    accuracy = {name: [] for name in models}
    for level in levels:
        batch = shift_images(images, level)
        for name, seed_models in models.items():
            accuracy[name].append([_accuracy(model, batch, labels) for model in seed_models])
    return {"images": int(len(labels)), "levels": levels, "accuracy": accuracy}


def shift_augmentation(ctx: _Context, research: dict) -> dict:
    """The MLP and the CNN trained with the same random-shift augmentation (``SHIFT_AUGMENT_PIXELS``) for the
    grid's first snapshot's epochs, against the grid's snapshots of those epochs and seeds (no augmentation):
    clean test accuracy (all test images) and the shift curve (the robustness subset) of the four models.

    ``models[name][variant]`` (variant ``plain`` or ``augmented``), ``gap[variant]`` (CNN − MLP, paired by
    seed) and ``gain[name]`` (augmented − plain, paired by seed) each hold ``test_accuracy`` and ``shift`` (one
    summary per level).
    """
    from .training import load_snapshot, run_spec, train_run

    seeds = list(ctx.seeds[:SHIFT_AUGMENT_SEEDS])
    epochs = min(ctx.snapshot_epochs)
    pixels = SHIFT_AUGMENT_PIXELS
    variant = f"shift{pixels}"
    ctx.log(f"Research: shift augmentation (MLP and CNN, up to {pixels} pixels, {_seeds_text(seeds)}, "
            f"{epochs} epochs)")
    records = {}
    with _progress(len(SHIFT_AUGMENT_MODELS) * len(seeds) * epochs, ctx.show_progress) as progress:
        for name in SHIFT_AUGMENT_MODELS:
            # validate=False: only the snapshot is read (it is still evaluated on every split)
            records[name] = [train_run(run_spec(name, seed, ctx.splits, fast=ctx.fast, snapshot_epochs=(epochs,)),
                                       ctx.splits, _extra_run_dir(ctx.paths, variant, name, seed), progress=progress,
                                       overrides={"augment_shift": pixels}, validate=False)
                             for seed in seeds]
    plain_runs = {(run["model"], run["seed"]): run for run in ctx.results["runs"]}
    test_accuracy = {(name, "plain"): [plain_runs[(name, seed)]["snapshots"][str(epochs)]["test"]["accuracy"]
                                       for seed in seeds] for name in SHIFT_AUGMENT_MODELS}
    test_accuracy.update({(name, "augmented"): [r["snapshots"][str(epochs)]["test"]["accuracy"] for r in records[name]]
                          for name in SHIFT_AUGMENT_MODELS})
    models = {}
    for name in SHIFT_AUGMENT_MODELS:
        models[(name, "plain")] = [load_snapshot(ctx.run_dir(name, seed), epochs) for seed in seeds]
        models[(name, "augmented")] = _extra_models(ctx.paths, variant, name, seeds, epochs)
    curves = shift_curves(models, ctx.splits)
    accuracy = curves["accuracy"]
    variants = ("plain", "augmented")

    def paired(a, b) -> dict:
        return {"test_accuracy": _summary(metrics.paired_differences(test_accuracy[a], test_accuracy[b])),
                "shift": [_summary(metrics.paired_differences(x, y)) for x, y in zip(accuracy[a], accuracy[b])]}

    return {
        "pixels": pixels, "epochs": epochs, "seeds": seeds, "images": curves["images"], "levels": curves["levels"],
        "units": ROBUSTNESS_UNITS["shift"], "test_images": int(len(ctx.splits.y_test)),
        "augmentation": (f"every epoch, each training image moved by a random whole number of pixels from -{pixels} "
                         f"to {pixels} in x and in y (zeros fill in)"),
        "baseline": f"the grid's {epochs}-epoch snapshots of the same seeds, trained without augmentation",
        "augment_shift": {name: [r["training_options"].get("augment_shift") for r in records[name]]
                          for name in SHIFT_AUGMENT_MODELS},
        "models": {name: {v: {"test_accuracy": _summary(test_accuracy[(name, v)]),
                              "shift": [_summary(values) for values in accuracy[(name, v)]]} for v in variants}
                   for name in SHIFT_AUGMENT_MODELS},
        "gap": {v: paired(("cnn", v), ("mlp", v)) for v in variants},
        "gain": {name: paired((name, "augmented"), (name, "plain")) for name in SHIFT_AUGMENT_MODELS},
        "seconds_per_epoch": {name: _summary([_epoch_seconds(r) for r in records[name]])
                              for name in SHIFT_AUGMENT_MODELS},
    }


def _seeds_text(seeds) -> str:
    return f"{len(seeds)} seed{'s' * (len(seeds) != 1)}"


def temperature_scaling(ctx: _Context, research: dict) -> dict:
    """One temperature per model and seed (the grid's last snapshot), fitted on the validation split
    (``metrics.fit_temperature``), and the test set's calibration before and after it: expected calibration
    error, mistakes made with at least 99% confidence, NLL, mean confidence, accuracy (unchanged: the
    arg-max never moves). The seed-0 temperatures are written beside the models (``calibration.json``)."""
    from .training import predict_probabilities, predictions_path, write_calibration

    ctx.log(f"Research: temperature scaling (MLP and CNN, {_seeds_text(ctx.seeds)}, fitted on the validation split)")
    val_labels, test_labels = ctx.splits.y_val, ctx.splits.y_test
    out = {"bins": CALIBRATION_BINS, "epochs": ctx.last, "seeds": list(ctx.seeds), "fitted_on": "validation",
           "validation_images": int(len(val_labels)), "test_images": int(len(test_labels)),
           "bounds": list(TEMPERATURE_BOUNDS), "models": {}, "files": {}}
    for name, seed_models in ctx.grid_models().items():
        temperatures, before, after, val_nll = [], [], [], {"before": [], "after": []}
        for seed, model in zip(ctx.seeds, seed_models):
            validation = predict_probabilities(model, ctx.splits.x_val)
            temperature = metrics.fit_temperature(val_labels, validation, TEMPERATURE_BOUNDS)
            temperatures.append(temperature)
            val_nll["before"].append(metrics.temperature_nll(val_labels, validation))
            val_nll["after"].append(metrics.temperature_nll(val_labels, validation, temperature))
            test = np.load(predictions_path(ctx.run_dir(name, seed), ctx.last))["probabilities"]
            before.append(test)
            after.append(metrics.temperature_scale(test, temperature))
            if seed == config.FIRST_SEED:
                path = write_calibration(
                    ctx.run_dir(name, seed), ctx.last, temperature, fitted_on="validation",
                    validation_images=int(len(val_labels)),
                    validation_nll_before=val_nll["before"][-1], validation_nll_after=val_nll["after"][-1],
                    method="probabilities softmax(log p / T), T minimising the validation NLL "
                           "(research.temperature_scaling)")
                out["files"][name] = f"{path.parent.name}/{path.name}"
        item = {"temperature": _summary(temperatures),
                "validation_nll": {key: _summary(values) for key, values in val_nll.items()}}
        for key, probabilities in (("before", before), ("after", after)):
            table = calibration(test_labels, probabilities)
            item[key] = {"ece": table["ece"], "confident_mistakes": table["confident_mistakes"],
                         "mean_confidence": table["mean_confidence"],
                         "nll": _summary([metrics.temperature_nll(test_labels, p) for p in probabilities]),
                         "accuracy": _summary([metrics.accuracy(test_labels, p) for p in probabilities]),
                         "reliability": table["reliability"]}
        out["models"][name] = item
    return out


def equivariance_section(ctx: _Context, research: dict) -> dict:
    from .mechanisms import equivariance

    return equivariance(ctx, research)


def disagreements_section(ctx: _Context, research: dict) -> dict:
    from .mechanisms import disagreements

    return disagreements(ctx, research)


def gap_noise_section(ctx: _Context, research: dict) -> dict:
    from .mechanisms import gap_noise

    return gap_noise(ctx, research)


#: The research sections in the order they run (later ones read earlier ones) and their versions:
#: a section is computed again when its version changes, the others are reused from results.json.
SECTIONS = {
    "capacity_control": (2, capacity_control),
    "architecture_controls": (1, architecture_controls),
    "permuted_pixels": (2, permuted_pixels),
    "data_efficiency": (1, data_efficiency),
    "improved_cnn": (1, improved_cnn_section),
    "robustness": (2, robustness_section),
    "user_drawings": (2, user_drawings_section),
    "other_handwriting": (1, other_handwriting_section),
    "calibration": (1, calibration_section),
    "errors": (1, errors_section),
    "cost": (1, cost_section),
    "shift_augmentation": (1, shift_augmentation),
    "temperature_scaling": (1, temperature_scaling),
    "equivariance": (1, equivariance_section),
    "disagreements": (1, disagreements_section),
    "gap_noise": (1, gap_noise_section),
}


def run_research(results: dict, splits, paths, *, previous: dict | None = None, show_progress: bool = True,
                 log=print) -> dict:
    """Every research section; a section of ``previous`` (the research of the last results.json,
    on the same runs) is reused when its version is current. Extra training runs are reused
    from disk as well."""
    previous = previous or {}
    old_versions = previous.get("section_versions", {})
    research = {"version": RESEARCH_VERSION, "epochs": max(results["config"]["snapshot_epochs"]),
                "seeds": results["config"]["seeds"], "section_versions": {}}
    old_seconds = previous.get("section_seconds", {})
    sections = {}  # seconds each section took when it was last computed, for the benchmark
    ctx = _Context(results, splits, paths, show_progress, log)
    for name, (version, compute) in SECTIONS.items():
        if name in previous and old_versions.get(name) == version:
            research[name] = previous[name]
            if name in old_seconds:
                sections[name] = old_seconds[name]
        else:
            mark = time.perf_counter()
            research[name] = compute(ctx, research)
            sections[name] = time.perf_counter() - mark
        research["section_versions"][name] = version
    research["section_seconds"] = sections
    research["seconds"] = sum(sections.values())
    return research
