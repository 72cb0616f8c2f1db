"""What the research sections share: the context a section computes in (results so far, data, output
folders, the grid's and the controls' models), summaries over seeds, the extra training runs a section
makes (resumable like the grid), the drawing inputs, the calibration summary, layer outputs, and how much
of the CNN's lead an MLP control closes."""

from __future__ import annotations

import hashlib

import numpy as np

from .. import drawings, metrics, registry
from ..data import stratified_subset
from ..formatting import plural
from ..metrics import summarize
from ..preprocessing import METHODS, ORIGINAL_METHODS, original_input, preprocess
from ..registry import BASELINE, CANDIDATE
from ..training import (
    EVAL_BATCH_SIZE,
    compiled_forward,
    load_snapshot,
    predict_probabilities,
    run_spec,
    train_run,
)
from ..transforms import ROBUSTNESS_SEED

RESEARCH_VERSION = 1


ROBUSTNESS_IMAGES = 3000


USER_DRAWINGS = 1000


USER_DRAWINGS_SEED = 11


CONTROL_MODEL = "mlp_wide"


#: The global-average-pooling CNN, for the shift contrast: two seeds, the first snapshot's epochs.
GAP_MODEL = "cnn_gap"


CALIBRATION_BINS = 15


def recorded_error(results: dict, section: str, key: str) -> float | None:
    """The mean over a section's seeds of the images' standard error it records under ``key`` (its
    ``standard_errors``), or None when the results do not have it."""
    values = results["research"].get(section, {}).get("standard_errors", {}).get(key)
    return float(np.mean(values)) if values else None


def seed_summary(values) -> dict:
    summary = metrics.summarize(values)
    summary["values"] = [float(v) for v in values]
    return summary


def accuracy_of(model, images, labels) -> float:

    return float(np.mean(np.argmax(predict_probabilities(model, images), axis=1) == labels))


def robustness_subset(splits) -> tuple[np.ndarray, np.ndarray]:
    """The fixed stratified test subset every transformed-input measurement reads (a sixth in fast mode)."""

    wanted = ROBUSTNESS_IMAGES // 6 if splits.info.get("fast") else ROBUSTNESS_IMAGES
    subset = stratified_subset(splits.y_test, min(wanted, len(splits.y_test)), ROBUSTNESS_SEED)
    return splits.x_test[subset], splits.y_test[subset]


_DRAWING_INPUTS: dict = {}


def method_batches(canvases) -> dict:
    """{method: the model inputs of ``canvases``} for each preprocessing method of the demo, and for the
    original report's own two pipelines (``ORIGINAL_METHODS``)."""
    batches = {
        method: np.concatenate([preprocess(canvas, method).batch() for canvas in canvases])
        for method in METHODS
    }
    for method in ORIGINAL_METHODS:
        batches[method] = np.concatenate([original_input(canvas, method) for canvas in canvases])
    return batches


def drawing_inputs(splits) -> tuple[np.ndarray, dict]:
    """The labels and, per preprocessing method, the model inputs of the user-like drawings
    (made once per data set and reused by the appendix)."""

    count = min(USER_DRAWINGS // 5 if splits.info.get("fast") else USER_DRAWINGS, len(splits.y_test))
    key = hashlib.sha256(splits.x_test[:count].tobytes() + splits.y_test[:count].tobytes()).hexdigest()
    if key not in _DRAWING_INPUTS:
        digits = (splits.x_test[:count, ..., 0] * 255).astype(np.uint8)
        canvases = drawings.user_like_canvases(digits, seed=USER_DRAWINGS_SEED)
        inputs = method_batches(canvases)
        _DRAWING_INPUTS.clear()
        _DRAWING_INPUTS[key] = (splits.y_test[:count].copy(), inputs)
    return _DRAWING_INPUTS[key]


def drawing_accuracies(models: dict, splits) -> dict:
    """Accuracy on MNIST test digits drawn like a user draws, through each preprocessing method."""

    labels, inputs = drawing_inputs(splits)
    out = {
        "drawings": int(len(labels)),
        "canvas_side": drawings.CANVAS_SIDE,
        "scale_range": list(drawings.SCALE_RANGE),
        "stroke_range": list(drawings.STROKE_RANGE),
        "accuracy": {},
    }
    for name, seed_models in models.items():
        out["accuracy"][name] = {}
        for method, batch in inputs.items():
            values = [
                float(np.mean(np.argmax(predict_probabilities(model, batch), 1) == labels))
                for model in seed_models
            ]
            out["accuracy"][name][method] = seed_summary(values)
    return out


def calibration_summary(labels: np.ndarray, probabilities: list, bins: int = CALIBRATION_BINS) -> dict:
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
    diagram = {
        "count": counts.astype(int).tolist(),
        "confidence": (np.sum([np.array(t["confidence"]) * t["count"] for t in pooled], 0) / weight).tolist(),
        "accuracy": (np.sum([np.array(t["accuracy"]) * t["count"] for t in pooled], 0) / weight).tolist(),
        "edges": pooled[0]["edges"],
    }
    return {
        "ece": seed_summary(ece),
        "confident_mistakes": seed_summary(mistakes),
        "reliability": diagram,
        "mean_confidence": seed_summary([float(p.max(1).mean()) for p in probabilities]),
        "test_images": int(len(labels)),
    }


def median_epoch_seconds(record: dict) -> float:
    """Median seconds of one training epoch of a run, its first (compiling) epoch left out."""
    return float(np.median(record["epoch_seconds"][1:] or record["epoch_seconds"]))


def extra_run_dir(paths, variant: str, name: str, seed: int):
    return paths.models / "research" / f"{variant}_{name}_seed{seed}"


def extra_runs(
    variant: str, model_names, seeds, splits, snapshot_epochs, paths, progress, *, validate: bool = True
) -> list[dict]:

    fast = bool(splits.info.get("fast"))
    return [
        train_run(
            run_spec(name, seed, splits, fast=fast, snapshot_epochs=snapshot_epochs),
            splits,
            extra_run_dir(paths, variant, name, seed),
            progress=progress,
            validate=validate,
        )
        for name in model_names
        for seed in seeds
    ]


def extra_models(paths, variant: str, name: str, seeds, epochs: int) -> list:

    return [load_snapshot(extra_run_dir(paths, variant, name, seed), epochs) for seed in seeds]


def extra_summary(records, epochs_list) -> dict:
    out = {}
    for name in dict.fromkeys(r["spec"]["model"] for r in records):
        runs = [r for r in records if r["spec"]["model"] == name]
        out[name] = {
            "parameters": runs[0]["parameters"],
            "seeds": [r["spec"]["seed"] for r in runs],
            "seconds_per_epoch": seed_summary([median_epoch_seconds(r) for r in runs]),
        }
        for epochs in epochs_list:
            out[name][str(epochs)] = {
                key: seed_summary([r["snapshots"][str(epochs)][part][field] for r in runs])
                for key, (part, field) in (
                    ("test_accuracy", ("test", "accuracy")),
                    ("train_accuracy", ("train", "accuracy")),
                    ("accuracy_gap", ("gap", "accuracy_gap")),
                )
            }
    return out


def progress_bar(total: int, show: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="epoch", disable=not show, dynamic_ncols=True)


class Context:
    """What every research section needs: the results so far, the data, the output folder."""

    def __init__(self, results: dict, splits, paths, show_progress: bool, log):
        self.results, self.splits, self.paths, self.show_progress, self.log = (
            results,
            splits,
            paths,
            show_progress,
            log,
        )
        self.seeds = results["config"]["seeds"]
        self.last = max(results["config"]["snapshot_epochs"])
        self.snapshot_epochs = tuple(results["config"]["snapshot_epochs"])
        self.fast = bool(splits.info.get("fast"))
        self._models: dict = {}

    def run_dir(self, name: str, seed: int):
        """The folder of the grid's run of ``name`` with ``seed``."""
        return self.paths.models / f"{name}_seed{seed}"

    def grid_models(self) -> dict:
        """Every seed's last snapshot of every model the grid trained (the registry's ``in_grid`` models)."""

        if "grid" not in self._models:
            self._models["grid"] = {
                name: [load_snapshot(self.run_dir(name, seed), self.last) for seed in self.seeds]
                for name in registry.grid_models()
                if any(run["model"] == name for run in self.results["runs"])
            }
        return self._models["grid"]

    def all_models(self, research: dict) -> dict:
        """The grid's models and every control that has runs: the wide, deep, compute-matched MLPs and the
        GAP CNN."""
        if "all" not in self._models:
            models = dict(self.grid_models())
            models[CONTROL_MODEL] = extra_models(self.paths, "control", CONTROL_MODEL, self.seeds, self.last)
            controls = research["architecture_controls"]
            for name, info in controls["models"].items():
                models[name] = extra_models(self.paths, "architecture", name, info["seeds"], info["epochs"])
            self._models["all"] = models
        return self._models["all"]


def seeds_text(seeds) -> str:
    """'1 seed', '5 seeds'."""
    return plural(len(seeds), "seed")


def layer_outputs(model, names, images: np.ndarray, batch_size: int | None = None) -> list[np.ndarray]:
    """The outputs of the layers ``names`` of ``model`` (``"output"``: the model's own) for ``images``,
    batch by batch, through one graph function per probe."""
    import keras

    batch_size = batch_size or EVAL_BATCH_SIZE
    key = tuple(names)
    probes = model.__dict__.setdefault("_mnist_compare_probes", {})
    if key not in probes:
        outputs = [model.outputs[0] if name == "output" else model.get_layer(name).output for name in names]
        probes[key] = keras.Model(model.inputs[0], outputs)
    forward = compiled_forward(probes[key])
    parts = [[] for _ in names]
    for start in range(0, len(images), batch_size):
        out = forward(np.asarray(images[start : start + batch_size], dtype=np.float32))
        out = out if isinstance(out, (list, tuple)) else [out]
        for part, value in zip(parts, out):
            part.append(np.asarray(value))
    return [np.concatenate(part, axis=0) for part in parts]


def controls(results: dict) -> dict:
    """Every control trained for as many epochs as the grid, by name: the capacity control (``mlp_wide``)
    first, then the architecture controls (the small CNN among them)."""
    research = results["research"]
    last = str(research["epochs"])
    found = dict(research["capacity_control"])
    found.update(research.get("architecture_controls", {}).get("models", {}))
    return {
        name: control
        for name, control in found.items()
        if name in registry.MODELS and str(control.get("epochs", last)) == last
    }


def grid_accuracies(results: dict, name: str, seeds, epochs: str) -> list[float] | None:
    """Test accuracies of the grid's runs of ``name`` for ``seeds`` (in that order), or None if one is
    missing."""
    by_seed = {
        r["seed"]: r["snapshots"][epochs]["test"]["accuracy"]
        for r in results["runs"]
        if r["model"] == name and epochs in r["snapshots"]
    }
    if not all(seed in by_seed for seed in seeds):
        return None
    return [by_seed[seed] for seed in seeds]


def gap_closed(results: dict, name: str = "mlp_wide") -> dict | None:
    """How much of the CNN − MLP test-accuracy gap the control ``name`` closes (for the small CNN: how much of
    the CNN's lead it keeps), on the control's seeds
    and at the grid's last epoch: the means of the MLP, the control and the CNN, and the share
    (control − MLP) / (CNN − MLP). None when the control or the runs are missing."""
    research = results.get("research", {})
    last = str(research.get("epochs", max(results["config"]["snapshot_epochs"])))
    control = controls(results).get(name) if "capacity_control" in research else None
    if not control or last not in control:
        return None
    seeds = control.get("seeds", research.get("seeds", results["config"]["seeds"]))
    mlp, cnn = (grid_accuracies(results, model, seeds, last) for model in (BASELINE, CANDIDATE))
    if mlp is None or cnn is None:
        return None

    values = control[last]["test_accuracy"].get("values") or [control[last]["test_accuracy"]["mean"]]
    means = {
        BASELINE: sum(mlp) / len(mlp),
        CANDIDATE: sum(cnn) / len(cnn),
        "control": sum(values) / len(values),
    }
    gap = means[CANDIDATE] - means[BASELINE]
    # Paired by seed: the control's gain over the MLP and the CNN's lead, each with its 95% interval.
    gain = summarize([c - m for c, m in zip(values, mlp)]) if len(values) == len(mlp) else None
    return {
        **means,
        "seeds": len(seeds),
        "share": (means["control"] - means[BASELINE]) / gap if gap else None,
        "gain": gain,
        "lead": summarize([c - m for c, m in zip(cnn, mlp)]),
        # The CNN against the control, paired by seed: the part of its lead the control does not close.
        "behind": summarize([c - x for c, x in zip(cnn, values)]) if len(values) == len(cnn) else None,
    }


def share_closed_text(closed: dict) -> str:
    """'26%' of the gap, or 'none (0.07 pp below the MLP)' when the control is worse than the MLP."""
    if closed["share"] is None:
        return "n/a"
    if closed["share"] < 0:
        return f"none ({100 * (closed[BASELINE] - closed['control']):.2f} pp below the MLP)"
    return f"{100 * closed['share']:.0f}%"


def gain_detected(closed: dict) -> bool:
    """Whether the control's gain over the MLP (paired by seed) has a 95% interval above 0; True when there
    is no interval to say otherwise (one seed), so the wording then rests on the means."""
    gain = closed.get("gain") or {}
    return gain.get("ci_low") is None or gain["ci_low"] > 0
