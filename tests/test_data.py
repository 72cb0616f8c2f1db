import numpy as np
import pytest

from mnist_compare import config, data


def good_arrays(n_train=20, n_test=10):
    rng = np.random.default_rng(0)
    return dict(
        x_train=rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        y_train=np.arange(n_train, dtype=np.uint8) % 10,
        x_test=rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        y_test=np.arange(n_test, dtype=np.uint8) % 10,
    )


def test_small_subset_loads_like_keras(small_mnist_path):
    (x_train, y_train), (x_test, y_test) = data.load_mnist(small_mnist_path)
    assert x_train.shape == (1200, 28, 28) and x_test.shape == (300, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert set(np.unique(y_train)) == set(range(10))
    assert sum(np.bincount(y_train)) == 1200 and min(np.bincount(y_train)) > 90


def test_env_variable_selects_the_file(small_mnist_path, monkeypatch):
    monkeypatch.setenv(config.ENV_MNIST_NPZ, str(small_mnist_path))
    (x_train, _), _ = data.load_mnist()
    assert len(x_train) == 1200


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda a: a.pop("y_test"), "missing the arrays"),
        (lambda a: a.update(x_train=a["x_train"].reshape(20, 784)), "expected (N, 28, 28)"),
        (lambda a: a.update(x_test=a["x_test"].astype(np.float32)), "expected uint8"),
        (lambda a: a.update(y_train=a["y_train"] + 5), "expected 0-9"),
        (lambda a: a.update(y_test=a["y_test"][:3]), "one label per image"),
        (lambda a: a.update(y_train=a["y_train"].astype(np.float32)), "integer labels"),
    ],
)
def test_bad_files_are_rejected_with_a_clear_message(write_npz, change, message):
    arrays = good_arrays()
    change(arrays)
    path = write_npz(**arrays)
    with pytest.raises(data.InvalidDatasetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        data.load_mnist(path)


def test_pickled_arrays_are_refused(write_npz):
    arrays = good_arrays()
    arrays["y_train"] = np.array([object()] * 20, dtype=object)
    path = write_npz(**arrays)
    with pytest.raises(data.InvalidDatasetError, match="not a readable npz"):
        data.load_mnist(path)


def test_not_an_npz_file(tmp_path):
    path = tmp_path / "mnist.npz"
    path.write_text("hello")
    with pytest.raises(data.InvalidDatasetError):
        data.load_mnist(path)


def test_missing_file_says_how_to_fix(tmp_path):
    with pytest.raises(data.DataUnavailableError, match="MNIST_NPZ"):
        data.load_mnist(tmp_path / "nope.npz")


def test_offline_keras_download_gives_a_clear_message(monkeypatch):
    import keras

    def offline():
        raise Exception("URL fetch failure on https://example.invalid/mnist.npz: None -- [Errno -3]")

    monkeypatch.delenv(config.ENV_MNIST_NPZ, raising=False)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(data.DataUnavailableError) as info:
        data.load_mnist()
    text = str(info.value)
    assert "URL fetch failure" in text and 'os.environ["MNIST_NPZ"] = "/path/to/mnist.npz"' in text
    assert "upload" in text and "Keras's download works" in text
    assert "shared" not in text and "Traceback" not in text
    # In a notebook IPython shows the exception as these lines, without a traceback: one short paragraph.
    lines = info.value._render_traceback_()
    assert lines == text.splitlines() and len(lines) <= 3


def test_mnist_npz_in_the_working_folder_is_used_when_nothing_is_set(monkeypatch, tmp_path, small_mnist_path):
    import shutil

    monkeypatch.delenv(config.ENV_MNIST_NPZ, raising=False)
    monkeypatch.chdir(tmp_path)
    assert data.resolve_source() is None  # nothing there: Keras's download
    shutil.copy2(small_mnist_path, tmp_path / "mnist.npz")  # as Colab's upload leaves it in /content
    assert data.resolve_source() == tmp_path / "mnist.npz"
    (x_train, _), _ = data.load_mnist()
    assert x_train.shape[1:] == (28, 28)
    monkeypatch.setenv(config.ENV_MNIST_NPZ, str(small_mnist_path))  # the setting wins
    assert data.resolve_source() == small_mnist_path


def test_validation_split_is_seeded_stratified_and_disjoint(small_mnist_path):
    first = data.prepare_splits(small_mnist_path, fast=False, validation_size=200)
    again = data.prepare_splits(small_mnist_path, fast=False, validation_size=200)
    assert first.sizes() == {"train": 1000, "validation": 200, "test": 300}
    np.testing.assert_array_equal(first.x_val, again.x_val)
    # stratified: each class has its share of the 1,200 images, within one image
    (_, all_labels), _ = data.load_mnist(small_mnist_path)
    expected = np.bincount(all_labels) * 200 / len(all_labels)
    assert np.all(np.abs(np.bincount(first.y_val) - expected) <= 1)
    # No validation image is also a training image.
    train_rows = {row.tobytes() for row in first.x_train}
    assert not any(row.tobytes() in train_rows for row in first.x_val)
    # The test set is untouched and scaled to [0, 1] with a channel axis.
    (_, _), (x_test, y_test) = data.load_mnist(small_mnist_path)
    np.testing.assert_allclose(first.x_test[..., 0], x_test / 255.0, atol=1e-7)
    np.testing.assert_array_equal(first.y_test, y_test)
    assert first.x_train.dtype == np.float32 and first.x_train.shape[1:] == (28, 28, 1)
    assert first.info["sha256"] == data.file_sha256(small_mnist_path)


def test_validation_size_must_fit(small_mnist_path):
    with pytest.raises(ValueError, match="validation set"):
        data.prepare_splits(small_mnist_path, fast=False, validation_size=5000)
