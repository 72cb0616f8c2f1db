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

from . import config, metrics, registry, storage
from .errors import MnistCompareError, first_line

RUN_RECORD = "run.json"
#: Bump when the meaning of a run record changes; older records are retrained.
RECORD_VERSION = 5


#: The vector instruction sets XLA compiles a CPU training step for, widest first: the same seed rounds
#: differently, and so trains a different run, on processors with different ones.
INSTRUCTION_SETS = ("avx512f", "avx2", "avx", "sse4_2")


def processor(cpuinfo: str | None = None) -> dict:
    """The processor runs are trained on: its model name and the widest of ``INSTRUCTION_SETS`` it has, read
    from ``cpuinfo`` (the text of Linux's /proc/cpuinfo, read when not given); None for what is not known
    (another system)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
        except OSError:
            cpuinfo = ""
    fields = {}
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    flags = set(fields.get("flags", "").split())
    return {
        "model": fields.get("model name") or None,
        "instruction_set": next((name for name in INSTRUCTION_SETS if name in flags), None),
    }


def training_device() -> str:
    """``"GPU"`` when TensorFlow sees a GPU (a Colab GPU runtime, for instance), else ``"CPU"``."""
    import tensorflow as tf

    return "GPU" if tf.config.list_physical_devices("GPU") else "CPU"


def training_options(name: str, device: str | None = None, *, fast: bool = False) -> dict:
    """The options ``name`` is trained with on ``device`` (the one TensorFlow sees by default), in a fast
    run or not: its registry entry's ``training`` (``python -m mnist_compare bench`` measures them).

    On a CPU the CNNs use the im2col convolution and reshape pooling of ``models.py``; on a GPU
    they keep the plain Keras layers, whose cuDNN kernels are the fast ones there. The weights,
    and so the saved models, are the same either way. A fast run's few hundred images train in well
    under a second a model, while compiling an epoch with XLA takes seconds for each architecture and
    recipe: a fast run skips XLA (a plain TensorFlow graph gives the same updates up to rounding).
    """
    device = (device or training_device()).upper()
    if device not in ("CPU", "GPU"):
        raise ValueError(f"Unknown training device {device!r}; expected 'CPU' or 'GPU'.")
    options = dict(registry.entry(name).training)
    if device == "GPU":
        options["fast_ops"] = False
    if fast:
        options["jit_compile"] = False
    options["device"] = device
    return options


#: Evaluation runs the plain Keras layers in a TensorFlow graph (oneDNN kernels, no XLA): for
#: inference on this CPU that was 2x faster than the XLA-compiled training layers. Batches of 256
#: keep a CNN's activations in cache: 0.64x the time of batches of 1,024 for the CNN, 0.75x for the
#: appendix CNN (``benchmarks/eval_batch_size.py``); the MLP is fast either way.
EVAL_BATCH_SIZE = 256


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


#: The temperature fitted for a run's snapshot (``sections.temperature_scaling.compute``), beside its
#: ``run.json``.
CALIBRATION_FILE = "calibration.json"


def recorded_sha256(run_dir: Path, name: str) -> str | None:
    """The sha256 the run's ``run.json`` records for its file ``name`` (``None`` when it records none)."""
    return (storage.read_json(Path(run_dir) / RUN_RECORD).get("artefacts") or {}).get(name)


def write_calibration(run_dir: Path, epoch: int, temperature: float, **details) -> Path:
    """Write ``calibration.json`` (atomically) for the snapshot of ``epoch``: its temperature, the snapshot's
    file name and sha256 (from ``run.json``: a retrained snapshot no longer matches), and ``details``."""
    run_dir = Path(run_dir)
    snapshot = snapshot_path(run_dir, epoch)
    recorded = recorded_sha256(run_dir, snapshot.name)
    return storage.write_json(
        run_dir / CALIBRATION_FILE,
        {
            "temperature": float(temperature),
            "snapshot": snapshot.name,
            "snapshot_sha256": recorded,
            **details,
        },
    )


def read_temperature(run_dir: Path, epoch: int) -> float:
    """The temperature ``calibration.json`` gives the snapshot of ``epoch``, or 1.0 (no scaling) when there
    is no
    such file, it is unreadable, its temperature is not a positive number, or it was fitted for another
    snapshot (another epoch, or a file whose sha256 is not the one ``run.json`` records now)."""
    import math

    run_dir = Path(run_dir)
    try:
        info = storage.read_json(run_dir / CALIBRATION_FILE)
        recorded = recorded_sha256(run_dir, snapshot_path(run_dir, epoch).name)
        temperature = float(info["temperature"])
        same = (
            info.get("snapshot") == snapshot_path(run_dir, epoch).name
            and info.get("snapshot_sha256") == recorded
        )
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return 1.0
    return temperature if same and math.isfinite(temperature) and temperature > 0 else 1.0


class DamagedArtefactError(MnistCompareError):
    """A saved file does not match the sha256 its run recorded; the message names it."""


def artefact_names(spec: RunSpec) -> list[str]:
    """The files a finished run of ``spec`` keeps beside its record."""
    return [
        path.name
        for epoch in spec.snapshot_epochs
        for path in (snapshot_path(Path("."), epoch), predictions_path(Path("."), epoch))
    ]


def recipe(name: str) -> dict:
    """What, besides the run's spec, decides a model's weights: its augmentation and learning-rate schedule
    (with the handwriting augmentation's ranges). A saved run made with another recipe is trained again."""
    options = registry.entry(name).training
    out = {key: options[key] for key in ("augment", "augment_shift", "cosine_decay") if options.get(key)}
    if out.get("augment") == "handwriting":
        from dataclasses import asdict

        from .augmentation import HANDWRITING  # lazy: SciPy's image filters, only for this recipe

        out["handwriting"] = {
            key: list(v) if isinstance(v, tuple) else v for key, v in asdict(HANDWRITING).items()
        }
    return out


def check_run(run_dir: Path, spec: RunSpec) -> tuple[dict | None, str]:
    """``(record, "")`` if ``run_dir`` holds a complete, undamaged run of ``spec``; else ``(None, why)``.

    Every snapshot and prediction file must match the sha256 in ``run.json``, so a truncated
    or altered file is never trusted.
    """
    record_file = run_dir / RUN_RECORD
    if not record_file.is_file():
        return None, "not trained yet"
    try:
        record = storage.read_json(record_file)
    except (OSError, ValueError):
        return None, f"{record_file} is unreadable"
    if not isinstance(record, dict) or record.get("spec") != spec.as_dict():
        return None, "trained with other settings"
    if "recipe" in record and record["recipe"] != recipe(spec.model):
        return None, "trained with another recipe (augmentation or learning rate)"
    recorded = record.get("artefacts") or {}
    for name in artefact_names(spec):
        path = run_dir / name
        if not path.is_file():
            return None, f"{path} is missing"
        if name not in recorded:
            return None, f"{path} has no recorded sha256"
        if storage.sha256(path) != recorded[name]:
            return None, f"{path} is damaged (its sha256 does not match {RUN_RECORD})"
    return record, ""


def compiled_forward(model):
    """The model's inference call as one TensorFlow graph function (cached on the model)."""
    forward = getattr(model, "_mnist_compare_forward", None)
    if forward is None:
        import tensorflow as tf

        forward = tf.function(
            lambda batch: model(batch, training=False), jit_compile=False, reduce_retracing=True
        )
        model._mnist_compare_forward = forward
    return forward


def predict_probabilities(model, images: np.ndarray, batch_size: int = EVAL_BATCH_SIZE) -> np.ndarray:
    """Softmax outputs for ``images``, batch by batch, through a graph function (no ``predict`` overhead)."""
    forward = compiled_forward(model)
    outputs = [
        np.asarray(forward(images[start : start + batch_size])) for start in range(0, len(images), batch_size)
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


def epoch_order(size: int, seed: int, epoch: int) -> np.ndarray:
    """The order of the training images in one epoch: a new permutation every epoch, fixed by the seed.

    (Keras 3.15's ``fit(shuffle=True)`` with a global seed replays the same order every epoch.)
    """
    return np.random.default_rng([seed, epoch]).permutation(size)


def shift_augment(images: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Move each image by a random whole number of pixels (up to ``max_shift``) in x and y; zeros fill in."""
    out = np.zeros_like(images)
    shifts = rng.integers(-max_shift, max_shift + 1, size=(len(images), 2))
    height, width = images.shape[1:3]
    for dy in range(-max_shift, max_shift + 1):
        for dx in range(-max_shift, max_shift + 1):
            chosen = np.flatnonzero((shifts[:, 0] == dy) & (shifts[:, 1] == dx))
            if len(chosen) == 0:
                continue
            source = images[chosen, max(0, -dy) : height - max(0, dy), max(0, -dx) : width - max(0, dx)]
            out[
                chosen, max(0, dy) : max(0, dy) + source.shape[1], max(0, dx) : max(0, dx) + source.shape[2]
            ] = source
    return out


class CompiledTrainer:
    """Adam with sparse cross-entropy, batch by batch, one compiled TensorFlow call per epoch.

    The same updates ``model.fit`` makes (same optimizer, loss, batch size, last partial
    batch included), without its per-step overhead: the steps of an epoch run inside
    one ``tf.function`` (XLA-compiled when ``jit_compile``). The training images become a
    TensorFlow tensor once; each epoch passes only its order, and every step gathers its
    batch inside the compiled loop (copying 54,000 shuffled images each epoch cost up to half
    of an MLP epoch).
    """

    def __init__(
        self,
        model,
        *,
        batch_size: int,
        learning_rate=config.LEARNING_RATE,
        jit_compile: bool = True,
    ):
        import keras
        import tensorflow as tf

        self.model = model
        self.batch_size = batch_size
        self.optimizer = keras.optimizers.Adam(learning_rate=learning_rate)
        self.optimizer.build(model.trainable_variables)
        optimizer = self.optimizer
        # Step 0, the learning rate, zero moments: what ``start_from`` puts back for the next run.
        self._initial_optimizer_state = [np.array(variable) for variable in optimizer.variables]
        # (Keras computes the cross-entropy of a softmax output from its logits.)
        loss_fn = keras.losses.SparseCategoricalCrossentropy()

        @tf.function(jit_compile=jit_compile, reduce_retracing=True)
        def train_batches(images, labels, batches):
            """images: (N, 28, 28, 1), labels: (N,), batches: (steps, batch) indices into them;
            returns the summed loss and the correct count."""
            variables = model.trainable_variables
            loss_sum = tf.constant(0.0)
            correct = tf.constant(0.0)
            for step in tf.range(tf.shape(batches)[0]):
                x, y = tf.gather(images, batches[step]), tf.gather(labels, batches[step])
                with tf.GradientTape() as tape:
                    outputs = model(x, training=True)
                    loss = loss_fn(y, outputs)
                    penalty = model.losses  # weight penalties (only the regularised control has any)
                    objective = loss + tf.add_n(penalty) if penalty else loss
                optimizer.apply(tape.gradient(objective, variables), variables)
                count = tf.cast(tf.shape(y)[0], tf.float32)
                loss_sum += loss * count
                predicted = tf.cast(tf.argmax(outputs, axis=-1), y.dtype)
                correct += tf.reduce_sum(tf.cast(tf.equal(predicted, y), tf.float32))
            return loss_sum, correct

        self._train_batches = train_batches
        self._data = None  # (images, labels, their tensors): converted once per data set

    def start_from(self, model) -> None:
        """Start a new run from ``model``'s variables (a freshly built, seeded model of the same
        architecture) with a fresh optimizer, reusing the compiled function (no new compilation).

        Every variable is copied, the dropout seed state included, so the run is the one a new
        trainer for ``model`` would make, bit for bit (``tests/test_training.py``).
        """
        source, target = model.variables, self.model.variables
        if [tuple(v.shape) for v in source] != [tuple(v.shape) for v in target]:
            raise ValueError(
                f"Model {model.name!r} does not have the architecture this trainer was built for."
            )
        for variable, value in zip(target, source):
            variable.assign(value)
        for variable, value in zip(self.optimizer.variables, self._initial_optimizer_state):
            variable.assign(value)

    def release_data(self) -> None:
        """Drop the training images' tensor (it is made again on the next epoch)."""
        self._data = None

    def _tensors(self, images: np.ndarray, labels: np.ndarray):
        import tensorflow as tf

        if self._data is None or self._data[0] is not images or self._data[1] is not labels:
            self._data = (images, labels, tf.convert_to_tensor(images), tf.convert_to_tensor(labels))
        return self._data[2], self._data[3]

    def train_epoch(self, images: np.ndarray, labels: np.ndarray, order: np.ndarray) -> dict:
        """One pass over ``images[order]`` in batches; returns the epoch's mean loss and accuracy."""
        image_tensor, label_tensor = self._tensors(images, labels)
        full = (len(order) // self.batch_size) * self.batch_size
        loss_sum = correct = 0.0
        for part in (order[:full], order[full:]):
            if len(part) == 0:
                continue
            size = self.batch_size if len(part) == full else len(part)
            batch_loss, batch_correct = self._train_batches(
                image_tensor, label_tensor, part.reshape((-1, size)).astype(np.int32)
            )
            loss_sum += float(batch_loss)
            correct += float(batch_correct)
        return {"loss": loss_sum / len(order), "accuracy": correct / len(order)}


_TRAINERS: dict = {}


def learning_rate(options: dict, batch_size: int):
    """Adam's learning rate for a run: the configured constant (or the run's ``learning_rate``), or, with
    ``cosine_decay`` (the run's epochs and training-set size), Keras's cosine decay from it to a twentieth of
    it over the whole run."""
    rate = options.get("learning_rate", config.LEARNING_RATE)
    decay = options.get("cosine_decay")
    if not decay:
        return rate
    import keras  # lazy: only a run that trains imports Keras

    steps = decay["epochs"] * -(-decay["train_size"] // batch_size)
    return keras.optimizers.schedules.CosineDecay(rate, decay_steps=steps, alpha=0.05)


def augmented_images(images: np.ndarray, options: dict, seed: int, epoch: int) -> np.ndarray:
    """The training images of one epoch: as they are, shifted (``augment_shift`` pixels) or distorted like
    handwriting (``augment="handwriting"``, ``augmentation.handwriting_augment``); seeded by run and epoch."""
    if options.get("augment_shift"):
        images = shift_augment(images, options["augment_shift"], np.random.default_rng([seed, epoch, 1]))
    if options.get("augment") == "handwriting":
        from .augmentation import handwriting_augment  # lazy: SciPy's image filters, only when training

        images = handwriting_augment(images, np.random.default_rng([seed, epoch, 2]))
    return images


def trainer_for(name: str, model, *, batch_size: int, options: dict) -> CompiledTrainer:
    """A trainer starting from ``model``'s variables: the one already compiled for this architecture
    in this process (so the seeds of a grid compile once), else a new one."""
    # The learning rate and its schedule are part of the key: a compiled trainer keeps its optimizer's.
    key = (
        name,
        batch_size,
        bool(options["jit_compile"]),
        bool(options.get("fast_ops")),
        options.get("learning_rate"),
        str(options.get("cosine_decay")),
    )
    trainer = _TRAINERS.get(key)
    if trainer is None:
        trainer = _TRAINERS[key] = CompiledTrainer(
            model,
            batch_size=batch_size,
            jit_compile=options["jit_compile"],
            learning_rate=learning_rate(options, batch_size),
        )
    else:
        trainer.start_from(model)
    return trainer


def _fit(
    model, spec: RunSpec, splits, run_dir: Path, options: dict, progress, *, validate: bool = True
) -> tuple[dict, list, dict, object]:
    """Train ``spec.epochs`` epochs; save and keep the weights at each snapshot epoch.

    Returns the history, the seconds of each epoch, the weights of each snapshot and the copy
    of the model in the plain Keras layers that validation, snapshots and evaluation use.
    With ``validate=False`` the history has no validation curve (validation never changes
    the training: the weights are the same either way).
    """
    # lazy: models imports Keras (TensorFlow) when a run is trained
    from .models import plain_copy

    trainer = trainer_for(spec.model, model, batch_size=spec.batch_size, options=options)
    model = trainer.model
    plain = plain_copy(model, spec.model)
    history: dict[str, list] = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
    epoch_seconds, snapshots = [], {}
    for epoch in range(1, spec.epochs + 1):
        if progress is not None:
            progress.set_description(f"{spec.model} seed {spec.seed} epoch {epoch}/{spec.epochs}")
        started = time.perf_counter()
        images = augmented_images(splits.x_train, options, spec.seed, epoch)
        logs = trainer.train_epoch(images, splits.y_train, epoch_order(len(splits.y_train), spec.seed, epoch))
        epoch_seconds.append(time.perf_counter() - started)
        history["loss"].append(float(logs["loss"]))
        history["accuracy"].append(float(logs["accuracy"]))
        if validate or epoch in spec.snapshot_epochs:
            plain.set_weights(model.get_weights())
        if validate:
            validation = metrics.accuracy_and_loss(splits.y_val, predict_probabilities(plain, splits.x_val))
            history["val_loss"].append(float(validation["loss"]))
            history["val_accuracy"].append(float(validation["accuracy"]))
        if epoch in spec.snapshot_epochs:
            storage.save_model(plain, snapshot_path(run_dir, epoch))
            snapshots[epoch] = [np.array(w) for w in plain.get_weights()]
        if progress is not None:
            progress.update(1)
    trainer.release_data()
    return history, epoch_seconds, snapshots, plain


def train_run(
    spec: RunSpec, splits, run_dir: Path, *, progress=None, overrides=None, log=None, validate: bool = True
) -> dict:
    """Train one (model, seed), or return its saved record if it is already complete and undamaged.

    ``validate=False`` skips the validation pass after every epoch (the snapshots are still
    evaluated on every split): for runs whose learning curve nobody reads.
    """
    import keras

    # lazy: models imports Keras (TensorFlow) when a run is trained
    from .models import build_model

    run_dir = Path(run_dir)
    finished, why = check_run(run_dir, spec)
    if finished is not None:
        if progress is not None:
            progress.update(spec.epochs)
        finished["resumed"] = True
        return finished
    if "damaged" in why or "unreadable" in why:
        (log or print)(f"{why}; training {spec.run_id} again.")
    storage.remove_stale_temporaries(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / RUN_RECORD).unlink(missing_ok=True)

    options = training_options(spec.model, fast=spec.fast)
    options.update(overrides or {})
    if options.get("cosine_decay") is True:
        options["cosine_decay"] = {"epochs": spec.epochs, "train_size": spec.train_size}
    keras.utils.set_random_seed(spec.seed)
    model = build_model(spec.model, fast_ops=options["fast_ops"])
    started = time.perf_counter()
    history, epoch_seconds, snapshots, model = _fit(
        model, spec, splits, run_dir, options, progress, validate=validate
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
        "training_options": dict(options),
        "processor": processor(),
        "recipe": recipe(spec.model),
        "history": history,
        "epoch_seconds": [float(s) for s in epoch_seconds],
        "train_seconds": float(train_seconds),
        "wall_seconds": float(time.perf_counter() - started),
        "snapshots": evaluations,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "artefacts": {name: storage.sha256(run_dir / name) for name in artefact_names(spec)},
    }
    storage.write_json(run_dir / RUN_RECORD, record)
    record["resumed"] = False
    return record


def verify_snapshot(run_dir: Path, epoch: int) -> Path:
    """The snapshot's path, after checking it against the sha256 its ``run.json`` recorded."""
    run_dir = Path(run_dir)
    path = snapshot_path(run_dir, epoch)
    if not path.is_file():
        raise FileNotFoundError(f"No saved model at {path}; run `python -m mnist_compare run` first.")
    try:
        expected = recorded_sha256(run_dir, path.name)
    except (OSError, ValueError, AttributeError):
        expected = None
    if expected is None:
        raise DamagedArtefactError(
            f"{path} has no finished run record ({run_dir / RUN_RECORD}); "
            "run `python -m mnist_compare run` to train it again."
        )
    if storage.sha256(path) != expected:
        raise DamagedArtefactError(
            f"{path} is damaged (its sha256 does not match {RUN_RECORD}); "
            "run `python -m mnist_compare run` to train it again."
        )
    return path


def results_disagreement(run_dir: Path, epoch: int, results: dict | None) -> str | None:
    """A one-line notice when the saved snapshot (already checked against its ``run.json``) is not the
    one whose numbers ``results`` holds (it was trained again after results.json was written), else
    ``None``."""
    if not results:
        return None
    run_dir = Path(run_dir)
    path = snapshot_path(run_dir, epoch)
    record = next((run for run in results.get("runs", []) if run.get("run_id") == run_dir.name), None)
    expected = ((record or {}).get("artefacts") or {}).get(path.name)
    # the file matches run.json's sha256 (verify_snapshot or train_run saw to it): compare the records
    recorded = recorded_sha256(run_dir, path.name)
    if expected is None or recorded == expected:
        return None
    return (
        f"Note: {path} was trained after results.json was written, so this notebook's pictures come from "
        "a retrained model while its tables come from results.json; `python -m mnist_compare run` "
        "makes them agree."
    )


def load_model_file(path: Path):
    """Load a ``.keras`` file in safe mode (no custom objects); ``load_snapshot`` checks it first.

    A file saved by a newer Keras may hold settings an older one does not know (Keras 3.15 writes
    ``input_axes`` into every initializer, which Keras 3.13, Colab's, refuses). Then the architecture
    is built here, from the run's model name (``<name>_seed<N>``), and only the weights are read.
    """
    import keras

    from .models import build_model  # lazy: models imports Keras

    path = Path(path)
    try:
        return keras.models.load_model(path, safe_mode=True)
    except (TypeError, ValueError) as error:
        name = path.parent.name.rsplit("_seed", 1)[0]
        if name not in registry.MODELS:
            raise DamagedArtefactError(
                f"{path} cannot be loaded by Keras {keras.__version__} ({first_line(error, 160)})."
            ) from None
        model = build_model(name)
        model.load_weights(path)
        return model


def load_snapshot(run_dir: Path, epoch: int):
    """Load a saved snapshot, checked against its recorded sha256 (safe mode, no custom objects)."""
    return load_model_file(verify_snapshot(run_dir, epoch))


def model_snapshots(name: str, fast: bool) -> tuple[int, ...]:
    """The snapshot epochs of ``name``'s runs: the grid's, or the one of a reader the grid does not train
    (``registry.reader_epochs``)."""
    item = registry.entry(name)
    if item.in_grid or item.epochs is None:
        return tuple(config.FAST_SNAPSHOT_EPOCHS if fast else config.SNAPSHOT_EPOCHS)
    return (registry.reader_epochs(name, fast),)


def shown_snapshot(name: str, fast: bool, epochs: int | None = None) -> int:
    """The snapshot the demo and the notebooks read of ``name``: ``epochs`` (the grid's last by default) for
    a grid model, a reader's own last epoch otherwise."""
    snapshots = model_snapshots(name, fast)
    if epochs is not None and epochs in snapshots:
        return epochs
    return max(snapshots)


def run_spec(name: str, seed: int, splits, *, fast: bool, snapshot_epochs=None) -> RunSpec:
    """The specification of one run (same data, same settings, one seed); the model's own snapshots
    (``model_snapshots``: the grid's for all but a reader) by default."""
    if snapshot_epochs is None:
        snapshot_epochs = model_snapshots(name, fast)
    return RunSpec(
        model=name,
        seed=seed,
        snapshot_epochs=tuple(snapshot_epochs),
        batch_size=config.BATCH_SIZE,
        data_sha256=splits.info.get("arrays_sha256"),
        train_size=len(splits.y_train),
        fast=fast,
    )
