import numpy as np
import pytest

from mnist_compare import data, storage, training
from tests.conftest import SMALL_MNIST


@pytest.fixture(scope="module")
def splits():
    return data.prepare_splits(SMALL_MNIST, fast=False, validation_size=200)


def spec(model, snapshot_epochs, seed=3, splits=None):
    return training.RunSpec(
        model=model,
        seed=seed,
        snapshot_epochs=tuple(snapshot_epochs),
        batch_size=32,
        data_sha256=splits.info["sha256"],
        train_size=len(splits.y_train),
        fast=False,
    )


def weights(path):
    return training.load_snapshot(path.parent, int(path.stem[5:7])).get_weights()


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_epoch_snapshot_equals_a_shorter_run_of_the_same_seed(model, splits, tmp_path):
    long_run = training.train_run(spec(model, (1, 2), splits=splits), splits, tmp_path / "long")
    short_run = training.train_run(spec(model, (1,), splits=splits), splits, tmp_path / "short")
    snapshot = training.load_snapshot(tmp_path / "long", 1).get_weights()
    separate = training.load_snapshot(tmp_path / "short", 1).get_weights()
    assert len(snapshot) == len(separate)
    for a, b in zip(snapshot, separate):
        np.testing.assert_array_equal(a, b)
    assert long_run["snapshots"]["1"]["test"] == short_run["snapshots"]["1"]["test"]
    # and the second epoch really changed the weights
    final = training.load_snapshot(tmp_path / "long", 2).get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(snapshot, final))


def test_a_run_without_validation_trains_the_same_weights(splits, tmp_path):
    checked = training.train_run(spec("cnn", (2,), splits=splits), splits, tmp_path / "validated")
    unchecked = training.train_run(
        spec("cnn", (2,), splits=splits), splits, tmp_path / "unvalidated", validate=False
    )
    for a, b in zip(
        weights(training.snapshot_path(tmp_path / "validated", 2)),
        weights(training.snapshot_path(tmp_path / "unvalidated", 2)),
    ):
        np.testing.assert_array_equal(a, b)
    assert unchecked["snapshots"] == checked["snapshots"]
    assert len(checked["history"]["val_accuracy"]) == 2 and unchecked["history"]["val_accuracy"] == []
    assert unchecked["history"]["loss"] == checked["history"]["loss"]


def test_finished_runs_are_reused_and_changed_specs_retrained(splits, tmp_path):
    run_spec = spec("mlp", (1,), splits=splits)
    first = training.train_run(run_spec, splits, tmp_path / "run")
    assert first["resumed"] is False
    again = training.train_run(run_spec, splits, tmp_path / "run")
    assert again["resumed"] is True and again["finished_at"] == first["finished_at"]
    other_seed = training.train_run(spec("mlp", (1,), seed=4, splits=splits), splits, tmp_path / "run")
    assert other_seed["resumed"] is False and other_seed["spec"]["seed"] == 4


def test_incomplete_run_is_retrained_and_stale_temporaries_removed(splits, tmp_path):
    run_dir = tmp_path / "run"
    run_spec = spec("mlp", (1,), splits=splits)
    training.train_run(run_spec, splits, run_dir)
    training.snapshot_path(run_dir, 1).unlink()  # as if killed before the snapshot was renamed
    (run_dir / ".epoch01.4194305.abc.tmp.keras").write_bytes(b"half a model")  # a pid no process has
    record = training.train_run(run_spec, splits, run_dir)
    assert record["resumed"] is False
    assert not list(run_dir.glob(".*.tmp*"))
    assert training.load_snapshot(run_dir, 1).count_params() == 101_770


def test_record_contents(splits, tmp_path):
    record = training.train_run(spec("mlp", (1,), splits=splits), splits, tmp_path / "run")
    snap = record["snapshots"]["1"]
    for part in ("train", "val", "test"):
        assert 0.0 <= snap[part]["accuracy"] <= 1.0 and snap[part]["loss"] > 0
    assert snap["gap"]["accuracy_gap"] == pytest.approx(snap["train"]["accuracy"] - snap["test"]["accuracy"])
    assert np.sum(snap["confusion"]) == len(splits.y_test)
    assert len(record["epoch_seconds"]) == 1 and record["parameters"] == 101_770
    probabilities = np.load(training.predictions_path(tmp_path / "run", 1))["probabilities"]
    assert probabilities.shape == (len(splits.y_test), 10)
    assert np.mean(np.argmax(probabilities, 1) == splits.y_test) == pytest.approx(snap["test"]["accuracy"])


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "results.json"
    storage.write_json(target, {"a": 1})
    with pytest.raises(RuntimeError):
        with storage.atomic_path(target) as tmp:
            tmp.write_text("{ half")
            raise RuntimeError("killed")
    assert storage.read_json(target) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_training_order_changes_every_epoch_and_is_reproducible():
    first = [training.epoch_order(12, seed=5, epoch=e).tolist() for e in (1, 2, 3)]
    assert all(sorted(order) == list(range(12)) for order in first)
    assert len({tuple(order) for order in first}) == 3
    assert [training.epoch_order(12, seed=5, epoch=e).tolist() for e in (1, 2, 3)] == first
    assert [training.epoch_order(12, seed=6, epoch=e).tolist() for e in (1, 2, 3)] != first


def test_compiled_trainer_makes_the_same_updates_as_keras_fit(splits):
    """Same seed, same batch order: the compiled epoch equals Keras's own fit (last partial batch
    included)."""
    import keras

    from mnist_compare import models

    images, labels = splits.x_train[:200], splits.y_train[:200]  # 6 full batches of 32 and one of 8
    order = training.epoch_order(len(labels), seed=1, epoch=1)
    keras.utils.set_random_seed(1)
    reference = models.compile_model(models.build_model("mlp"))
    keras.utils.set_random_seed(1)
    compiled = models.build_model("mlp")
    reference.fit(images[order], labels[order], batch_size=32, epochs=1, shuffle=False, verbose=0)
    logs = training.CompiledTrainer(compiled, batch_size=32, jit_compile=False).train_epoch(
        images, labels, order
    )
    for a, b in zip(reference.get_weights(), compiled.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    assert 0 < logs["loss"] and 0 <= logs["accuracy"] <= 1


def test_fast_cnn_layers_compute_the_plain_cnn(splits):
    """PatchConv2D and ReshapeMaxPooling2D give the plain Conv2D/MaxPooling2D outputs and gradients."""
    import keras
    import tensorflow as tf

    from mnist_compare import models

    keras.utils.set_random_seed(2)
    fast = models.build_model("cnn", fast_ops=True)
    plain = models.plain_copy(fast, "cnn")
    assert [type(layer).__name__ for layer in plain.layers][:2] == ["Conv2D", "MaxPooling2D"]
    assert [type(layer).__name__ for layer in fast.layers][:2] == ["PatchConv2D", "ReshapeMaxPooling2D"]
    x = tf.constant(splits.x_test[:16])
    np.testing.assert_allclose(fast(x).numpy(), plain(x).numpy(), rtol=1e-5, atol=1e-6)
    gradients = []
    for model in (fast, plain):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(splits.y_test[:16], model(x)))
        gradients.append(tape.gradient(loss, model.trainable_variables))
    for a, b in zip(*gradients):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("model", ["mlp", "cnn_improved"])
def test_a_reused_trainer_trains_exactly_like_a_new_one(model, splits, tmp_path):
    """Runs of one architecture share one compiled trainer; a run after another seed's run gives the
    weights a new trainer gives, bit for bit (the improved CNN also has dropout's seed state)."""
    training._TRAINERS.clear()
    fresh = training.train_run(spec(model, (1,), seed=5, splits=splits), splits, tmp_path / "fresh")
    (trainer,) = training._TRAINERS.values()
    training.train_run(spec(model, (1,), seed=6, splits=splits), splits, tmp_path / "other")
    reused = training.train_run(spec(model, (1,), seed=5, splits=splits), splits, tmp_path / "reused")
    assert list(training._TRAINERS.values()) == [trainer], "the second and third runs reuse the first trainer"
    for a, b in zip(
        weights(tmp_path / "fresh" / "epoch01.keras"), weights(tmp_path / "reused" / "epoch01.keras")
    ):
        np.testing.assert_array_equal(a, b)
    other = weights(tmp_path / "other" / "epoch01.keras")
    assert any(not np.array_equal(a, b) for a, b in zip(other, weights(tmp_path / "fresh" / "epoch01.keras")))
    assert fresh["history"] == reused["history"]
    assert fresh["snapshots"]["1"]["test"] == reused["snapshots"]["1"]["test"]


def test_device_selection_uses_the_fast_cpu_layers_only_on_a_cpu(monkeypatch):
    """No GPU here: TensorFlow's device list is replaced to play a GPU runtime."""
    import tensorflow as tf

    from mnist_compare import training
    from mnist_compare.models import PatchConv2D, ReshapeMaxPooling2D, build_model

    monkeypatch.setattr(
        tf.config,
        "list_physical_devices",
        lambda kind=None: ["/physical_device:GPU:0"] if kind == "GPU" else [],
    )
    assert training.training_device() == "GPU"
    for name in ("mlp", "cnn", "cnn_improved"):
        options = training.training_options(name)
        assert options["device"] == "GPU" and options["fast_ops"] is False
    gpu_cnn = build_model("cnn", fast_ops=training.training_options("cnn")["fast_ops"])
    assert not any(isinstance(layer, (PatchConv2D, ReshapeMaxPooling2D)) for layer in gpu_cnn.layers)
    assert training.training_options("cnn_improved")["augment_shift"] == 2, "the rest of the options are kept"

    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [])
    assert training.training_device() == "CPU"
    assert training.training_options("cnn") == {"jit_compile": True, "fast_ops": True, "device": "CPU"}
    assert training.training_options("mlp")["fast_ops"] is False
    cpu_cnn = build_model("cnn", fast_ops=training.training_options("cnn")["fast_ops"])
    assert isinstance(cpu_cnn.get_layer("conv"), PatchConv2D)
    assert training.training_options("cnn", "gpu")["fast_ops"] is False, "an explicit device wins"
    assert training.training_options("cnn", fast=True)["jit_compile"] is False, "a fast run compiles no XLA"
    with pytest.raises(ValueError, match="TPU"):
        training.training_options("cnn", "TPU")


def test_a_gpu_run_records_its_device_and_trains_the_plain_layers(monkeypatch, tmp_path, splits):
    """train_run on a (pretend) GPU: plain Keras layers, and run.json says GPU."""
    import tensorflow as tf

    from mnist_compare import storage, training

    monkeypatch.setattr(
        tf.config,
        "list_physical_devices",
        lambda kind=None: ["/physical_device:GPU:0"] if kind == "GPU" else [],
    )
    monkeypatch.setattr(training, "_TRAINERS", {})
    run = spec("cnn", (1,), splits=splits)
    record = training.train_run(run, splits, tmp_path / "cnn_seed3")
    (trainer,) = training._TRAINERS.values()
    assert type(trainer.model.get_layer("conv")).__name__ == "Conv2D", "trained with Keras's own convolution"
    assert type(trainer.model.get_layer("pool")).__name__ == "MaxPooling2D"
    assert record["training_options"]["device"] == "GPU"
    assert record["training_options"]["fast_ops"] is False
    assert storage.read_json(tmp_path / "cnn_seed3" / "run.json")["training_options"]["device"] == "GPU"


def test_a_model_file_from_a_newer_keras_loads_its_weights_into_the_architecture(
    monkeypatch, tmp_path, splits
):
    """Keras 3.13 (Colab's) refuses the initializer settings Keras 3.15 writes: the weights are read alone."""
    import keras

    record_dir = tmp_path / "mlp_seed3"
    training.train_run(spec("mlp", (1,), splits=splits), splits, record_dir)
    expected = training.load_snapshot(record_dir, 1).get_weights()

    def newer_file(*args, **kwargs):
        raise TypeError("GlorotUniform.__init__() got an unexpected keyword argument 'input_axes'")

    monkeypatch.setattr(keras.models, "load_model", newer_file)
    loaded = training.load_snapshot(record_dir, 1)
    assert loaded.name == "mlp"
    for a, b in zip(loaded.get_weights(), expected, strict=True):
        np.testing.assert_array_equal(a, b)
    unknown = tmp_path / "rnn_seed0"
    unknown.mkdir()
    (unknown / "epoch01.keras").write_bytes((record_dir / "epoch01.keras").read_bytes())
    with pytest.raises(training.DamagedArtefactError, match="cannot be loaded by Keras"):
        training.load_model_file(unknown / "epoch01.keras")


def test_a_snapshot_trained_after_results_json_gets_a_notice(tmp_path, splits):
    run_dir = tmp_path / "mlp_seed3"
    training.train_run(spec("mlp", (1,), splits=splits), splits, run_dir)
    recorded = storage.read_json(run_dir / "run.json")["artefacts"]
    same = {"runs": [{"run_id": "mlp_seed3", "artefacts": dict(recorded)}]}
    assert training.results_disagreement(run_dir, 1, same) is None
    assert training.results_disagreement(run_dir, 1, None) is None
    other = {"runs": [{"run_id": "mlp_seed3", "artefacts": {**recorded, "epoch01.keras": "0" * 64}}]}
    notice = training.results_disagreement(run_dir, 1, other)
    assert notice.startswith("Note: ") and "epoch01.keras was trained after results.json" in notice


def test_the_processor_is_read_with_its_widest_instruction_set():
    """Known answers: the model name and the widest vector instruction set of Linux's /proc/cpuinfo (XLA
    compiles the training step for it, so the same seed trains another run on another one), and None for
    what a system does not say."""
    cpuinfo = (
        "processor\t: 0\nmodel name\t: Example Xeon\nflags\t\t: fpu sse4_2 avx avx2 avx512f\n\n"
        "processor\t: 1\nmodel name\t: Example Xeon\nflags\t\t: fpu sse4_2 avx avx2 avx512f\n"
    )
    assert training.processor(cpuinfo) == {"model": "Example Xeon", "instruction_set": "avx512f"}
    assert training.processor("model name : Example EPYC\nflags : fpu avx avx2\n") == {
        "model": "Example EPYC",
        "instruction_set": "avx2",
    }
    assert training.processor("") == {"model": None, "instruction_set": None}
