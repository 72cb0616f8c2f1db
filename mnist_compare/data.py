"""Loading MNIST, checking it, splitting off a validation set, scaling.

MNIST (LeCun, Cortes & Burges) is distributed under CC BY-SA 3.0.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import config, storage
from .errors import MnistCompareError, first_line

NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
IMAGE_SHAPE = (28, 28)
NUM_CLASSES = 10


class DataUnavailableError(MnistCompareError):
    """MNIST could not be loaded; the message says how to fix it."""


class InvalidDatasetError(MnistCompareError, ValueError):
    """A dataset file does not look like Keras's MNIST npz."""


#: The file name looked for in the working folder when ``MNIST_NPZ`` is not set (Colab's upload puts files
#: there).
LOCAL_NPZ = "mnist.npz"
#: What to do when the data cannot be had, in words that work in a terminal, in Jupyter and in Colab.
WAYS_OUT = (
    "Two ways out: point MNIST_NPZ at a copy of mnist.npz in Keras's format (in a notebook, run "
    '`os.environ["MNIST_NPZ"] = "/path/to/mnist.npz"` in a cell above, after `import os`; in a shell, '
    "`export MNIST_NPZ=/path/to/mnist.npz`), or put mnist.npz in the working folder (in Colab, upload it "
    "with the Files panel's upload button), then run again. Where Keras's download works, nothing is needed."
)


file_sha256 = storage.sha256

#: How files start: an npz is a zip archive; a lone array is an .npy file.
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_NPY_MAGIC = b"\x93NUMPY"


def _check_file_kind(path: Path) -> None:
    """Refuse what is not a zip archive before NumPy guesses (it calls a text file "pickled data")."""
    with open(path, "rb") as handle:
        head = handle.read(6)
    if not head:
        raise InvalidDatasetError(f"{path} is empty (0 bytes); download mnist.npz again.")
    if head.startswith(_NPY_MAGIC):
        raise InvalidDatasetError(
            f"{path} is a single .npy array, not an npz archive of {', '.join(NPZ_KEYS)}."
        )
    if not head.startswith(_ZIP_MAGIC):
        raise InvalidDatasetError(
            f"{path} is not an npz file (it does not start like a zip archive; "
            "a text file or an error page saved under that name?); download mnist.npz again."
        )


def _check_arrays(arrays: dict[str, np.ndarray], source: str) -> None:
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or x.shape[1:] != IMAGE_SHAPE:
            raise InvalidDatasetError(
                f"{source}: x_{split} has shape {x.shape}; expected (N, 28, 28) images."
            )
        if x.dtype != np.uint8:
            raise InvalidDatasetError(f"{source}: x_{split} is {x.dtype}; expected uint8 pixels 0-255.")
        if y.ndim != 1 or len(y) != len(x):
            raise InvalidDatasetError(
                f"{source}: y_{split} has shape {y.shape}; expected one label per image ({len(x)})."
            )
        if not np.issubdtype(y.dtype, np.integer):
            raise InvalidDatasetError(f"{source}: y_{split} is {y.dtype}; expected integer labels.")
        if len(y) and (y.min() < 0 or y.max() >= NUM_CLASSES):
            raise InvalidDatasetError(
                f"{source}: y_{split} has labels from {y.min()} to {y.max()}; expected 0-9."
            )
        if len(x) == 0:
            raise InvalidDatasetError(f"{source}: x_{split} is empty.")


def load_npz(path: str | os.PathLike):
    """Load an MNIST npz in Keras's format; reject anything else with a clear message."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataUnavailableError(
            f"MNIST file not found: {path}.\n{WAYS_OUT}\nOr unset {config.ENV_MNIST_NPZ} to let Keras "
            f"download the data."
        )
    try:
        _check_file_kind(path)
        with np.load(path, allow_pickle=False) as npz:
            missing = [key for key in NPZ_KEYS if key not in npz.files]
            if missing:
                raise InvalidDatasetError(
                    f"{path} is missing the arrays {missing}; an MNIST npz has {list(NPZ_KEYS)} "
                    f"(it has {sorted(npz.files)})."
                )
            arrays = {key: npz[key] for key in NPZ_KEYS}
    except InvalidDatasetError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        detail = first_line(error)
        raise InvalidDatasetError(
            f"{path} is not a readable npz file ({detail[:160]}); it may be truncated: "
            "download mnist.npz again."
        ) from None
    _check_arrays(arrays, str(path))
    y = {key: arrays[key].astype(np.uint8) for key in ("y_train", "y_test")}
    return (arrays["x_train"], y["y_train"]), (arrays["x_test"], y["y_test"])


def _load_from_keras():
    try:
        import keras

        return keras.datasets.mnist.load_data()
    except Exception as error:  # the download fails in many ways: URLError, HTTP, hash
        detail = first_line(error, 160, empty="no detail")
        raise DataUnavailableError(
            f"Could not download MNIST with Keras ({type(error).__name__}: {detail}).\n{WAYS_OUT}"
        ) from None


def resolve_source(path: str | os.PathLike | None = None) -> Path | None:
    """The npz file to read: ``path``, else ``$MNIST_NPZ``, else ``mnist.npz`` in the working folder if
    there is one, else ``None`` (Keras download)."""
    if path is not None:
        return Path(path).expanduser()
    env = os.environ.get(config.ENV_MNIST_NPZ)
    if not env and Path(LOCAL_NPZ).is_file():  # uploaded beside the notebook (Colab: /content)
        return Path(LOCAL_NPZ).resolve()
    if env:
        candidate = Path(env).expanduser()
        if not candidate.is_absolute():
            # Relative paths are taken from the working directory, then from the project root.
            if not candidate.exists() and (config.PROJECT_ROOT / candidate).exists():
                candidate = config.PROJECT_ROOT / candidate
        return candidate
    return None


def load_mnist(path: str | os.PathLike | None = None):
    """Return ``(x_train, y_train), (x_test, y_test)`` as uint8 arrays.

    Exactly like ``keras.datasets.mnist.load_data()``, which is the default
    source; with ``path`` or ``$MNIST_NPZ`` set, that npz file is read instead.
    """
    source = resolve_source(path)
    if source is not None:
        return load_npz(source)
    data = _load_from_keras()
    (x_train, y_train), (x_test, y_test) = data
    _check_arrays({"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}, "Keras MNIST")
    return data


def arrays_sha256(x_train, y_train, x_test, y_test) -> str:
    """The sha256 of the four arrays' names, shapes, types and bytes: the data's identity.

    Unlike the file's sha256 it is the same for Keras's download and for another zip of the same
    arrays (such as a copy of ``mnist.npz`` given through ``MNIST_NPZ``), so runs trained from one are reused
    with the other.
    """
    import hashlib

    digest = hashlib.sha256()
    for name, array in (("x_train", x_train), ("y_train", y_train), ("x_test", x_test), ("y_test", y_test)):
        array = np.ascontiguousarray(array)
        digest.update(f"{name}:{array.dtype.str}:{array.shape};".encode())
        digest.update(memoryview(array).cast("B"))
    return digest.hexdigest()


def data_fingerprint(path: str | os.PathLike | None = None) -> dict:
    """Where the data came from and its file's sha256, for results.json."""
    source = resolve_source(path)
    if source is None:
        cached = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets" / "mnist.npz"
        return {
            "source": "keras.datasets.mnist",
            "path": str(cached),
            "sha256": file_sha256(cached) if cached.is_file() else None,
        }
    return {"source": "npz", "path": str(source), "sha256": file_sha256(source)}


def scale_images(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 28, 28, 1) in [0, 1]."""
    return (np.asarray(images, dtype=np.float32) / 255.0)[..., np.newaxis]


def stratified_subset(labels: np.ndarray, size: int, seed: int) -> np.ndarray:
    """Indices of a seeded, class-stratified subset of ``size`` items (sorted)."""
    from sklearn.model_selection import train_test_split

    indices = np.arange(len(labels))
    if size >= len(labels):
        return indices
    chosen, _ = train_test_split(indices, train_size=size, stratify=labels, random_state=seed)
    return np.sort(chosen)


@dataclass
class MnistSplits:
    """Train / validation / test arrays, scaled for the models, plus provenance."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    info: dict = field(default_factory=dict)

    def sizes(self) -> dict:
        return {"train": len(self.y_train), "validation": len(self.y_val), "test": len(self.y_test)}


def prepare_splits(
    path: str | os.PathLike | None = None,
    *,
    fast: bool | None = None,
    validation_size: int | None = None,
    validation_seed: int = config.VALIDATION_SEED,
) -> MnistSplits:
    """Load MNIST, hold out a seeded stratified validation set from the 60,000
    training images, and scale everything. The test set is untouched; it is
    used only for final evaluation. In fast mode a small subset is used."""
    fast = config.fast_mode(fast)
    (x_train, y_train), (x_test, y_test) = load_mnist(path)
    arrays = (x_train, y_train, x_test, y_test)
    if validation_size is None:
        validation_size = config.FAST_VALIDATION_SIZE if fast else config.VALIDATION_SIZE
    if fast:
        keep = stratified_subset(y_train, config.FAST_TRAIN_SIZE + validation_size, validation_seed)
        x_train, y_train = x_train[keep], y_train[keep]
        keep = stratified_subset(y_test, config.FAST_TEST_SIZE, validation_seed)
        x_test, y_test = x_test[keep], y_test[keep]
    if not 0 < validation_size < len(y_train):
        raise ValueError(
            f"The validation set must have between 1 and {len(y_train) - 1} images, not {validation_size}."
        )
    val_idx = stratified_subset(y_train, validation_size, validation_seed)
    train_mask = np.ones(len(y_train), dtype=bool)
    train_mask[val_idx] = False
    info = data_fingerprint(path)
    info.update(
        arrays_sha256=arrays_sha256(*arrays),
        fast=fast,
        validation_seed=validation_seed,
        original_sizes={"train": int(len(train_mask)), "test": int(len(y_test))},
    )
    return MnistSplits(
        x_train=scale_images(x_train[train_mask]),
        y_train=y_train[train_mask].astype(np.int32),
        x_val=scale_images(x_train[val_idx]),
        y_val=y_train[val_idx].astype(np.int32),
        x_test=scale_images(x_test),
        y_test=y_test.astype(np.int32),
        info=info,
    )
