"""The research experiments behind each claim of the original report.

All of them use the grid's saved models (every seed, last snapshot) or train a
few extra runs through ``training.train_run`` (resumable like the grid):

- robustness: test accuracy under shifts, rotations, scaling and Gaussian noise;
- user-like drawings: accuracy through the plain resize, the bounding-box crop
  with 20% padding, and crop + centre of mass (``drawings.py``);
- capacity control: an MLP widened to the CNN's parameter count (``mlp_wide``);
- permuted pixels: both models trained and tested on images whose pixels are
  shuffled by one fixed permutation (the MLP cannot tell; the CNN loses its prior);
- errors: the test digits both models get most confidently wrong;
- cost: parameters, training FLOPs per image, seconds per epoch, milliseconds per prediction.

``run_research(results, splits)`` returns the ``research`` section of results.json.
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
ROBUSTNESS_LEVELS = {
    "shift": [0, 2, 4, 6, 8],          # pixels, in a random direction per image
    "rotation": [0, 15, 30, 45],       # degrees, random sign per image
    "scale": [0.6, 0.8, 1.0, 1.2, 1.4],  # zoom about the image centre
    "noise": [0.0, 0.1, 0.2, 0.3, 0.4],  # standard deviation of added Gaussian noise
}
ROBUSTNESS_UNITS = {"shift": "pixels", "rotation": "degrees", "scale": "zoom factor", "noise": "noise std"}
USER_DRAWINGS = 1000
USER_DRAWINGS_SEED = 11
PERMUTATION_SEED = 4321
#: Extra runs: (variant, model, seeds, snapshot epochs).
CONTROL_MODEL = "mlp_wide"
IMPROVED_MODEL = "cnn_improved"
IMPROVED_SEEDS = 1


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


def robustness(models: dict, splits) -> dict:
    """Accuracy per transform and level, for every model and seed, on a fixed test subset."""
    from .data import stratified_subset

    wanted = ROBUSTNESS_IMAGES // 6 if splits.info.get("fast") else ROBUSTNESS_IMAGES
    subset = stratified_subset(splits.y_test, min(wanted, len(splits.y_test)), ROBUSTNESS_SEED)
    images, labels = splits.x_test[subset], splits.y_test[subset]
    out = {"images": int(len(labels)), "units": ROBUSTNESS_UNITS, "curves": {}}
    for transform, levels in ROBUSTNESS_LEVELS.items():
        curve = {"levels": levels}
        transformed = [TRANSFORMS[transform](images, level) for level in levels]
        for name, seed_models in models.items():
            per_level = [[_accuracy(model, batch, labels) for model in seed_models] for batch in transformed]
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
        epoch_seconds = [float(np.median(run["epoch_seconds"][1:] or run["epoch_seconds"])) for run in runs]
        out[name] = {
            "parameters": int(seed_models[0].count_params()),
            "forward_macs_per_image": macs,
            "training_flops_per_image": 6 * macs,  # forward 2 FLOPs per MAC, backward about twice the forward
            "seconds_per_epoch": _summary(epoch_seconds),
            "milliseconds_per_prediction": prediction_latency_ms(seed_models[0], sample),
        }
    return out


def _extra_run_dir(paths, variant: str, name: str, seed: int):
    return paths.models / "research" / f"{variant}_{name}_seed{seed}"


def _extra_runs(variant: str, model_names, seeds, splits, snapshot_epochs, paths, progress) -> list[dict]:
    from .experiments import run_spec
    from .training import train_run

    fast = bool(splits.info.get("fast"))
    return [train_run(run_spec(name, seed, splits, fast=fast, snapshot_epochs=snapshot_epochs), splits,
                      _extra_run_dir(paths, variant, name, seed), progress=progress)
            for name in model_names for seed in seeds]


def _extra_summary(records, epochs_list) -> dict:
    out = {}
    for name in dict.fromkeys(r["spec"]["model"] for r in records):
        runs = [r for r in records if r["spec"]["model"] == name]
        out[name] = {"parameters": runs[0]["parameters"], "seeds": [r["spec"]["seed"] for r in runs]}
        for epochs in epochs_list:
            out[name][str(epochs)] = {
                key: _summary([r["snapshots"][str(epochs)][part][field] for r in runs])
                for key, (part, field) in (("test_accuracy", ("test", "accuracy")),
                                           ("train_accuracy", ("train", "accuracy")),
                                           ("accuracy_gap", ("gap", "accuracy_gap")))
            }
    return out


def improved_cnn(results: dict, splits, paths, *, show_progress: bool = True, log=print) -> dict:
    """The appendix: a stronger CNN (BatchNorm, dropout, shift augmentation), its test accuracy and drawings."""
    from tqdm.auto import tqdm

    from .training import load_snapshot

    seeds = results["config"]["seeds"][:IMPROVED_SEEDS]
    epochs = max(results["config"]["snapshot_epochs"])
    log(f"Research: improved CNN ({len(seeds)} seed, {epochs} epochs, shift augmentation)")
    with tqdm(total=len(seeds) * epochs, unit="epoch", disable=not show_progress, dynamic_ncols=True) as progress:
        records = _extra_runs("appendix", [IMPROVED_MODEL], seeds, splits, (epochs,), paths, progress)
    summary = _extra_summary(records, (epochs,))[IMPROVED_MODEL]
    models = [load_snapshot(_extra_run_dir(paths, "appendix", IMPROVED_MODEL, seed), epochs) for seed in seeds]
    drawings = user_drawings({IMPROVED_MODEL: models}, splits)
    return {"epochs": epochs, "seeds": seeds, "summary": summary,
            "user_drawings": drawings["accuracy"][IMPROVED_MODEL],
            "seconds_per_epoch": [float(np.median(r["epoch_seconds"][1:] or r["epoch_seconds"])) for r in records]}


def run_research(results: dict, splits, paths, *, show_progress: bool = True, log=print) -> dict:
    """Every research experiment; extra training runs are reused when already on disk."""
    from dataclasses import replace

    from tqdm.auto import tqdm

    from .training import load_snapshot

    started = time.perf_counter()
    seeds = results["config"]["seeds"]
    last = max(results["config"]["snapshot_epochs"])
    snapshot_epochs = tuple(results["config"]["snapshot_epochs"])
    models = {name: [load_snapshot(paths.models / f"{name}_seed{seed}", last) for seed in seeds]
              for name in ("mlp", "cnn")}
    research = {"version": RESEARCH_VERSION, "epochs": last, "seeds": seeds}
    sections = {}  # seconds each part took, for the benchmark's breakdown of the whole report
    mark = time.perf_counter()

    def lap(name):
        nonlocal mark
        now = time.perf_counter()
        sections[name] = now - mark
        mark = now

    log("Research: robustness to shifts, rotations, scaling and noise")
    research["robustness"] = robustness(models, splits)
    lap("robustness")
    log("Research: user-like drawings through each preprocessing method")
    research["user_drawings"] = user_drawings(models, splits)
    lap("user_drawings")
    research["errors"] = error_gallery({name: paths.models / f"{name}_seed{seeds[0]}" for name in models}, splits, last)
    research["cost"] = cost(models, results)
    lap("errors_and_cost")

    permuted_seeds = seeds[:3]
    permuted_epochs = (min(snapshot_epochs),)
    total = len(seeds) * max(snapshot_epochs) + 2 * len(permuted_seeds) * max(permuted_epochs)
    with tqdm(total=total, unit="epoch", disable=not show_progress, dynamic_ncols=True) as progress:
        log(f"Research: capacity control ({CONTROL_MODEL}, {len(seeds)} seeds)")
        control = _extra_runs("control", [CONTROL_MODEL], seeds, splits, snapshot_epochs, paths, progress)
        lap("capacity_control")
        permuted_splits = replace(splits, x_train=permute_pixels(splits.x_train), x_val=permute_pixels(splits.x_val),
                                  x_test=permute_pixels(splits.x_test))
        log(f"Research: permuted pixels (MLP and CNN, {len(permuted_seeds)} seeds, {permuted_epochs[0]} epochs)")
        permuted = _extra_runs("permuted", ["mlp", "cnn"], permuted_seeds, permuted_splits, permuted_epochs, paths,
                               progress)
        lap("permuted_pixels")
    research["capacity_control"] = _extra_summary(control, snapshot_epochs)
    research["permuted_pixels"] = {"epochs": permuted_epochs[0], "permutation_seed": PERMUTATION_SEED,
                                   "models": _extra_summary(permuted, permuted_epochs)}
    research["improved_cnn"] = improved_cnn(results, splits, paths, show_progress=show_progress, log=log)
    lap("improved_cnn")
    research["section_seconds"] = sections
    research["seconds"] = time.perf_counter() - started
    return research
