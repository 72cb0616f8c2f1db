"""The demo's models read from their ``.keras`` files without Keras (``mnist_compare.keras_archive``)."""

import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from mnist_compare import config, data, keras_archive, registry, storage, training
from tests.conftest import SMALL_MNIST

SHIPPED = {name: config.PROJECT_ROOT / "models" / f"{name}_seed0" for name in registry.demo_models()}
EPOCH = 10


def shipped_epoch(name: str) -> int:
    """The snapshot the demo reads of ``name`` (a reader the grid does not train has its own)."""
    return training.shown_snapshot(name, False, EPOCH)


@pytest.fixture(scope="module")
def digits():
    (_, _), (x_test, _) = data.load_mnist(SMALL_MNIST)
    return x_test[:64, :, :, None].astype(np.float32) / 255.0


@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_the_archive_reader_gives_the_keras_outputs_of_the_shipped_models(name, digits):
    from mnist_compare import models

    path = training.verify_snapshot(SHIPPED[name], EPOCH)
    infer = keras_archive.read_archive(path)
    assert isinstance(infer, keras_archive.NumpyModel)
    model = training.load_snapshot(SHIPPED[name], EPOCH)
    expected = model(digits, training=False).numpy()
    predicted = infer(digits)
    np.testing.assert_allclose(predicted, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(np.argmax(predicted, 1), np.argmax(expected, 1))
    # the same maths as numpy_inference builds from the Keras model: the same numbers, bit for bit
    np.testing.assert_array_equal(models.numpy_inference(model)(digits), predicted)


def save(model, path):
    model.save(path)
    return path


def test_a_model_with_an_uncovered_layer_gives_none(tmp_path):
    import keras

    from mnist_compare import models

    keras.utils.set_random_seed(0)
    # GlobalAveragePooling2D is not covered
    assert keras_archive.read_archive(save(models.build_model("cnn_gap"), tmp_path / "gap.keras")) is None
    # a registered subclass of Conv2D may compute something else: not covered either
    assert (
        keras_archive.read_archive(save(models.build_model("cnn", fast_ops=True), tmp_path / "fast.keras"))
        is None
    )
    # a covered layer with a setting the NumPy maths do not do (padding="same")
    same = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(4, 3, padding="same"),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    assert keras_archive.read_archive(save(same, tmp_path / "same.keras")) is None
    # and the covered ones still read, two layers of a kind included (dense, dense_1, dense_2)
    deep = models.build_model("mlp_deep")
    infer = keras_archive.read_archive(save(deep, tmp_path / "deep.keras"))
    batch = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32)
    np.testing.assert_allclose(infer(batch), deep(batch, training=False).numpy(), rtol=1e-5, atol=1e-6)


def damaged_copies(folder):
    """(path, what the message must say) for archives damaged in different ways."""
    source = SHIPPED["mlp"] / f"epoch{EPOCH:02d}.keras"
    raw = source.read_bytes()
    cases = []
    truncated = folder / "truncated.keras"
    truncated.write_bytes(raw[: len(raw) // 2])
    cases.append((truncated, "not a readable .keras file"))
    not_zip = folder / "text.keras"
    not_zip.write_text("not a model")
    cases.append((not_zip, "not a readable .keras file"))
    with zipfile.ZipFile(source) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    no_weights = folder / "no_weights.keras"
    with zipfile.ZipFile(no_weights, "w") as archive:
        archive.writestr("config.json", parts["config.json"])
    cases.append((no_weights, "model.weights.h5 missing"))
    bad_weights = folder / "bad_weights.keras"
    with zipfile.ZipFile(bad_weights, "w") as archive:
        archive.writestr("config.json", parts["config.json"])
        archive.writestr("model.weights.h5", parts["model.weights.h5"][:4000])
    cases.append((bad_weights, "unreadable weights"))
    bad_json = folder / "bad_json.keras"
    with zipfile.ZipFile(bad_json, "w") as archive:
        archive.writestr("config.json", parts["config.json"][:100])
        archive.writestr("model.weights.h5", parts["model.weights.h5"])
    cases.append((bad_json, "not a readable .keras file"))
    # a config that no longer matches its weights (128 hidden units said to be 64)
    narrowed = folder / "narrowed.keras"
    with zipfile.ZipFile(narrowed, "w") as archive:
        archive.writestr("config.json", parts["config.json"].replace(b'"units": 128', b'"units": 64'))
        archive.writestr("model.weights.h5", parts["model.weights.h5"])
    cases.append((narrowed, "kernel for layers/dense"))
    # the CNN's architecture with the MLP's weights: groups missing or shapes that do not fit
    wrong = folder / "wrong_weights.keras"
    with zipfile.ZipFile(SHIPPED["cnn"] / f"epoch{EPOCH:02d}.keras") as archive:
        cnn_config = archive.read("config.json")
    with zipfile.ZipFile(wrong, "w") as archive:
        archive.writestr("config.json", cnn_config)
        archive.writestr("model.weights.h5", parts["model.weights.h5"])
    cases.append((wrong, "weights"))
    return cases


def test_a_damaged_archive_is_one_clear_sentence(tmp_path):
    for path, said in damaged_copies(tmp_path):
        with pytest.raises(keras_archive.ArchiveError) as caught:
            keras_archive.read_archive(path)
        message = str(caught.value)
        assert str(path) in message and said in message and "train it again" in message, message
        assert "\n" not in message and "Traceback" not in message


def fake_output(root, damaged: bytes | None = None):
    """An output folder holding the shipped models (run.json with the sha256 of what is there)."""
    for name, source in SHIPPED.items():
        run_dir = root / "models" / source.name
        run_dir.mkdir(parents=True)
        path = run_dir / f"epoch{shipped_epoch(name):02d}.keras"
        path.write_bytes(
            damaged if damaged is not None and name == "cnn" else (source / path.name).read_bytes()
        )
        storage.write_json(run_dir / training.RUN_RECORD, {"artefacts": {path.name: storage.sha256(path)}})
    return root


def run_python(code: str, **env):
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=config.PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, **env},
    )


def test_the_demo_reads_its_models_and_builds_its_app_without_tensorflow():
    code = """
import json, sys
from mnist_compare import demo
reader = demo.DigitReader.from_saved(fast=False)
after_reader = sorted(m for m in ("tensorflow", "keras") if m in sys.modules)
demo.build_demo(reader)
after_app = sorted(m for m in ("tensorflow", "keras", "torch", "jax") if m in sys.modules)
print(json.dumps({"reader": after_reader, "app": after_app, "numpy": reader.uses_numpy}))
"""
    done = run_python(code)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"reader": [], "app": [], "numpy": True}


def test_the_demo_command_says_what_is_wrong_with_a_damaged_archive(tmp_path):
    """A file that matches its run.json (so not damaged on disk since) but is no .keras archive: one line."""
    root = fake_output(tmp_path / "output", damaged=b"PK\x03\x04 not really a zip")
    done = subprocess.run(
        [sys.executable, "-m", "mnist_compare", "demo"],
        cwd=config.PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, config.ENV_OUTPUT: str(root)},
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in done.stderr, done.stderr
    assert "epoch10.keras is not a readable .keras file" in lines[0] and "train it again" in lines[0]


def test_a_model_the_reader_does_not_cover_is_loaded_with_keras(tmp_path, digits, monkeypatch):
    import keras

    from mnist_compare import demo, models

    keras.utils.set_random_seed(0)
    root = tmp_path / "output"
    fake_output(root)
    improved = models.build_model("cnn_gap")  # global average pooling: not covered by the NumPy reader
    path = root / "models" / "cnn_seed0" / f"epoch{EPOCH:02d}.keras"
    improved.save(path)
    storage.write_json(path.parent / training.RUN_RECORD, {"artefacts": {path.name: storage.sha256(path)}})
    monkeypatch.setenv(config.ENV_OUTPUT, str(root))
    reader = demo.DigitReader.from_saved(fast=False)
    assert not reader.uses_numpy
    predicted = reader.predict(digits[:8])
    np.testing.assert_allclose(
        predicted["cnn"], improved(digits[:8], training=False).numpy(), rtol=1e-5, atol=1e-6
    )
