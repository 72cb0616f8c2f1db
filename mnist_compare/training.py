"""Seeded, resumable training with snapshots.

One run = one (model, seed). It trains for ``max(snapshot_epochs)`` epochs and
saves the model after each snapshot epoch: with a constant learning rate the
epoch-5 snapshot of a 10-epoch run has exactly the weights of a 5-epoch run of
the same seed (``tests/test_training.py`` proves it), so the 5- and 10-epoch
models of the original report come from one run.

Every file is written atomically and ``run.json`` is written last, so a run
directory either has a complete, loadable run or is retrained from scratch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import config, metrics, storage

RUN_RECORD = "run.json"
#: Bump when the meaning of a run record changes; older records are retrained.
RECORD_VERSION = 2

#: Per-model compile settings (see ``python -m mnist_compare bench``).
COMPILE_OPTIONS = {
    "mlp": {"steps_per_execution": 100, "jit_compile": True},
    "cnn": {"steps_per_execution": 100, "jit_compile": False},
}
EVAL_BATCH_SIZE = 2000


@dataclass(frozen=True)
class RunSpec:
    """What defines a run; a saved run is reused only if its spec is the same."""

    model: str
    seed: int
    snapshot_epochs: tuple[int, ...]
    batch_size: int
    data_sha256: str | None
    train_size: int
    fast: bool

    @property
    def epochs(self) -> int:
        return max(self.snapshot_epochs)

    @property
    def run_id(self) -> str:
        return f"{self.model}_seed{self.seed}"

    def as_dict(self) -> dict:
        return {
            "model": self.model,
            "seed": self.seed,
            "snapshot_epochs": list(self.snapshot_epochs),
            "batch_size": self.batch_size,
            "data_sha256": self.data_sha256,
            "train_size": self.train_size,
            "fast": self.fast,
            "record_version": RECORD_VERSION,
        }


def snapshot_path(run_dir: Path, epoch: int) -> Path:
    return run_dir / f"epoch{epoch:02d}.keras"


def predictions_path(run_dir: Path, epoch: int) -> Path:
    return run_dir / f"epoch{epoch:02d}_test_probabilities.npz"


def load_finished_run(run_dir: Path, spec: RunSpec) -> dict | None:
    """The saved record if ``run_dir`` holds a complete run of ``spec``, else ``None``."""
    record_file = run_dir / RUN_RECORD
    if not record_file.is_file():
        return None
    try:
        record = storage.read_json(record_file)
    except (OSError, ValueError):
        return None
    if record.get("spec") != spec.as_dict():
        return None
    for epoch in spec.snapshot_epochs:
        if not snapshot_path(run_dir, epoch).is_file() or not predictions_path(run_dir, epoch).is_file():
            return None
    return record


def remove_stale_temporaries(run_dir: Path) -> None:
    """Delete half-written files left by a killed run (they are hidden ``.tmp`` files)."""
    if run_dir.is_dir():
        for leftover in run_dir.glob(".*.tmp*"):
            leftover.unlink(missing_ok=True)


def predict_probabilities(model, images: np.ndarray, batch_size: int = EVAL_BATCH_SIZE) -> np.ndarray:
    """Softmax outputs for ``images`` via a direct call per batch (no ``predict`` overhead)."""
    outputs = [
        np.asarray(model(images[start : start + batch_size], training=False))
        for start in range(0, len(images), batch_size)
    ]
    return np.concatenate(outputs, axis=0)


def evaluate_snapshot(model, splits) -> tuple[dict, np.ndarray]:
    """Accuracy/loss on train, validation and test, the gap, per-class scores."""
    result = {}
    test_probabilities = None
    for split in ("train", "val", "test"):
        images, labels = getattr(splits, f"x_{split}"), getattr(splits, f"y_{split}")
        probabilities = predict_probabilities(model, images)
        result[split] = metrics.accuracy_and_loss(labels, probabilities)
        if split == "test":
            test_probabilities = probabilities
    predicted = np.argmax(test_probabilities, axis=1)
    result["gap"] = metrics.overfitting_gap(result["train"], result["test"])
    result["confusion"] = metrics.confusion(splits.y_test, predicted).tolist()
    result["per_class"] = metrics.per_class_scores(splits.y_test, predicted)
    return result, test_probabilities


def training_dataset(images: np.ndarray, labels: np.ndarray, batch_size: int, seed: int):
    """Batches of the training set in a new seeded order every epoch.

    (Keras 3.15's own ``shuffle=True`` with a global seed replays the same order
    every epoch; here the indices are reshuffled at each pass, reproducibly.)
    """
    import tensorflow as tf

    images_t, labels_t = tf.convert_to_tensor(images), tf.convert_to_tensor(labels)
    order = tf.data.Dataset.range(len(labels)).shuffle(
        len(labels), seed=seed, reshuffle_each_iteration=True
    )
    batches = order.batch(batch_size).map(
        lambda index: (tf.gather(images_t, index), tf.gather(labels_t, index)),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True,
    )
    return batches.prefetch(tf.data.AUTOTUNE)


def _keras_callbacks(spec: RunSpec, run_dir: Path, snapshots: dict, epoch_seconds: list, progress):
    import keras

    class SnapshotAndTiming(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()
            if progress is not None:
                progress.set_description(f"{spec.model} seed {spec.seed} epoch {epoch + 1}/{spec.epochs}")

        def on_epoch_end(self, epoch, logs=None):
            epoch_seconds.append(time.perf_counter() - self._start)
            done = epoch + 1
            if done in spec.snapshot_epochs:
                storage.save_model(self.model, snapshot_path(run_dir, done))
                snapshots[done] = [np.array(w) for w in self.model.get_weights()]
            if progress is not None:
                progress.update(1)

    return [SnapshotAndTiming()]


def train_run(spec: RunSpec, splits, run_dir: Path, *, progress=None, compile_options=None) -> dict:
    """Train one (model, seed), or return its saved record if it is already complete."""
    import keras

    from .models import build_model, compile_model

    run_dir = Path(run_dir)
    finished = load_finished_run(run_dir, spec)
    if finished is not None:
        if progress is not None:
            progress.update(spec.epochs)
        finished["resumed"] = True
        return finished
    remove_stale_temporaries(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / RUN_RECORD).unlink(missing_ok=True)

    options = dict(COMPILE_OPTIONS.get(spec.model, {}))
    options.update(compile_options or {})
    keras.utils.set_random_seed(spec.seed)
    model = compile_model(build_model(spec.model), **options)
    snapshots: dict[int, list] = {}
    epoch_seconds: list[float] = []
    started = time.perf_counter()
    history = model.fit(
        training_dataset(splits.x_train, splits.y_train, spec.batch_size, spec.seed),
        epochs=spec.epochs,
        validation_data=(splits.x_val, splits.y_val),
        shuffle=False,  # the dataset reshuffles itself every epoch
        verbose=0,
        callbacks=_keras_callbacks(spec, run_dir, snapshots, epoch_seconds, progress),
    )
    train_seconds = time.perf_counter() - started

    evaluations = {}
    for epoch in spec.snapshot_epochs:
        model.set_weights(snapshots[epoch])
        evaluation, test_probabilities = evaluate_snapshot(model, splits)
        storage.save_npz(
            predictions_path(run_dir, epoch), probabilities=test_probabilities.astype(np.float32)
        )
        evaluations[str(epoch)] = evaluation

    record = {
        "spec": spec.as_dict(),
        "run_id": spec.run_id,
        "parameters": int(model.count_params()),
        "compile_options": dict(options),
        "history": {key: [float(v) for v in values] for key, values in history.history.items()},
        "epoch_seconds": [float(s) for s in epoch_seconds],
        "train_seconds": float(train_seconds),
        "wall_seconds": float(time.perf_counter() - started),
        "snapshots": evaluations,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    storage.write_json(run_dir / RUN_RECORD, record)
    record["resumed"] = False
    return record


def load_snapshot(run_dir: Path, epoch: int):
    """Load a saved snapshot (safe mode, no custom objects needed)."""
    import keras

    path = snapshot_path(Path(run_dir), epoch)
    if not path.is_file():
        raise FileNotFoundError(f"No saved model at {path}; run `python -m mnist_compare run` first.")
    return keras.models.load_model(path, safe_mode=True)
