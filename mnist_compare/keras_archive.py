"""Models as NumPy functions: from a Keras model's layers, or straight from a saved ``.keras`` file.

A ``.keras`` file is a zip archive holding ``config.json`` (the architecture) and ``model.weights.h5``
(the weights, one HDF5 group per layer). ``read_archive(path)`` reads both with ``zipfile``, ``json``
and ``h5py`` alone, so the demo starts without importing TensorFlow or Keras (which take most of
its start-up time and memory), and reads a file the same way whatever Keras is installed.

Both ways build the model from ``(kind, config, weights)`` triples through ``layer_step``:
``models.numpy_inference(model)`` takes them from a Keras model's layers, ``read_archive`` from the
file. They cover Flatten, Dense, valid stride-1 Conv2D and non-overlapping valid MaxPooling2D
(channels last) with ReLU, softmax or no activation, Activation, Dropout (nothing at inference) and
BatchNormalization over the channels, which is what the report's MLP and CNN and the demo's CNN trained
for drawings are made of. A BatchNormalization right after a Dense or Conv2D without activation is folded
into that layer's kernel and bias (one matrix product instead of two passes). Anything else gives
``None``, and the caller loads the model with Keras instead.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from .errors import MnistCompareError, first_line

#: The layers whose maths ``layer_step`` knows.
COVERED = (
    "Flatten",
    "Dense",
    "Conv2D",
    "MaxPooling2D",
    "AveragePooling2D",
    "BatchNormalization",
    "Activation",
    "Dropout",
)
#: The layers of a ``.keras`` file's config that compute nothing and hold no weights.
SKIPPED = ("InputLayer",)


class ArchiveError(MnistCompareError, ValueError):
    """A ``.keras`` file that cannot be read: not a zip archive, or its parts missing or inconsistent."""


def activation_function(name) -> Callable | None:
    """ReLU, softmax or linear as a NumPy function of a float32 array; ``None`` for anything else."""
    if name == "relu":
        return lambda x: np.maximum(x, np.float32(0))
    if name == "softmax":

        def softmax(x):
            exp = np.exp(x - x.max(axis=-1, keepdims=True))
            return exp / exp.sum(axis=-1, keepdims=True)

        return softmax
    if name in ("linear", None):
        return lambda x: x
    return None


def _channels_last(config: dict) -> bool:
    return config.get("data_format", "channels_last") == "channels_last"


def weight_count(kind: str, config: dict) -> int | None:
    """How many weight arrays a covered layer holds (kernel, then bias if it has one); ``None`` if not
    covered."""
    if kind in ("Flatten", "MaxPooling2D", "AveragePooling2D", "Activation", "Dropout"):
        return 0
    if kind in ("Dense", "Conv2D"):
        return 2 if config.get("use_bias", True) else 1
    if kind == "BatchNormalization":
        return int(bool(config.get("scale", True))) + int(bool(config.get("center", True))) + 2
    return None


def batch_norm_affine(config: dict, weights) -> tuple[np.ndarray, np.ndarray] | None:
    """A BatchNormalization at inference as ``x * scale + shift`` per channel (the last axis), from its
    arrays in Keras's order (gamma if ``scale``, beta if ``center``, moving mean, moving variance); ``None``
    for a normalisation over another axis."""
    axis = config.get("axis", -1)
    if axis not in (-1, [-1], 3, [3]) or config.get("renorm"):
        return None
    arrays = [np.asarray(w, dtype=np.float64) for w in weights]
    gamma = arrays.pop(0) if config.get("scale", True) else 1.0
    beta = arrays.pop(0) if config.get("center", True) else 0.0
    mean, variance = arrays
    scale = gamma / np.sqrt(variance + float(config.get("epsilon", 1e-3)))
    return scale, beta - mean * scale


def fold_batch_norm(kind: str, config: dict, weights: list, norm_config: dict, norm_weights) -> list | None:
    """The kernel and bias of a Dense or Conv2D without activation followed by a BatchNormalization, as one
    layer computing both (``None`` when they cannot be folded)."""
    affine = batch_norm_affine(norm_config, norm_weights)
    if affine is None or kind not in ("Dense", "Conv2D"):
        return None
    if config.get("activation", "linear") not in ("linear", None):
        return None
    scale, shift = affine
    kernel = np.asarray(weights[0], dtype=np.float64)
    bias = np.asarray(weights[1], dtype=np.float64) if len(weights) > 1 else np.zeros(kernel.shape[-1])
    return [(kernel * scale).astype(np.float32), (bias * scale + shift).astype(np.float32)]


def layer_step(kind: str, config: dict, weights) -> Callable | None:
    """One layer as a NumPy function of a (N, ...) float32 batch, or ``None`` when it is not covered.

    ``kind`` is the layer's class name, ``config`` its Keras config, ``weights`` its arrays in Keras's
    order (kernel, then bias when ``use_bias``).
    """
    if kind == "Flatten" and _channels_last(config):
        return lambda x: x.reshape(len(x), -1)
    if kind == "Dropout":
        return lambda x: x
    activation = activation_function(config.get("activation", "linear"))
    if kind == "Activation":
        return activation
    if activation is None or config.get("lora_rank") or config.get("quantization_config"):
        return None
    dtype = config.get("dtype")
    if isinstance(
        dtype, dict
    ):  # a DTypePolicy: only plain float32 is covered (no mixed precision, no quantization)
        dtype = (dtype.get("config") or {}).get("name")
    if dtype not in (None, "float32"):
        return None
    if kind in ("Dense", "Conv2D"):
        expected = weight_count(kind, config)
        weights = [np.asarray(w, dtype=np.float32) for w in weights]
        if len(weights) != expected:
            return None
        kernel = weights[0]
        bias = weights[1] if len(weights) > 1 else np.zeros(kernel.shape[-1], np.float32)
    if kind == "BatchNormalization":
        affine = batch_norm_affine(config, weights)
        if affine is None:
            return None
        scale, shift = (a.astype(np.float32) if isinstance(a, np.ndarray) else np.float32(a) for a in affine)
        return lambda x, s=scale, t=shift: x * s + t
    if kind == "Dense":
        return lambda x, k=kernel, b=bias, f=activation: f(x @ k + b)
    if (
        kind == "Conv2D"
        and config.get("padding") == "valid"
        and tuple(config.get("strides", ())) == (1, 1)
        and tuple(config.get("dilation_rate", ())) == (1, 1)
        and config.get("groups", 1) == 1
        and _channels_last(config)
        and kernel.ndim == 4
    ):

        def convolve(x, k=kernel, b=bias, f=activation):
            kernel_h, kernel_w, channels, filters = k.shape
            out_h, out_w = x.shape[1] - kernel_h + 1, x.shape[2] - kernel_w + 1
            patches = np.concatenate(
                [x[:, i : i + out_h, j : j + out_w, :] for i in range(kernel_h) for j in range(kernel_w)],
                axis=-1,
            )
            product = patches.reshape(-1, kernel_h * kernel_w * channels) @ k.reshape(-1, filters)
            return f(product.reshape(len(x), out_h, out_w, filters) + b)

        return convolve
    if (
        kind in ("MaxPooling2D", "AveragePooling2D")
        and config.get("padding") == "valid"
        and _channels_last(config)
        and config.get("strides") is not None
        and tuple(config["strides"]) == tuple(config["pool_size"])
    ):

        def pool(x, size=tuple(config["pool_size"]), reduce=np.max if kind == "MaxPooling2D" else np.mean):
            out_h, out_w = x.shape[1] // size[0], x.shape[2] // size[1]
            used = x[:, : out_h * size[0], : out_w * size[1], :]
            blocks = used.reshape(len(x), out_h, size[0], out_w, size[1], x.shape[3])
            return reduce(blocks, axis=(2, 4)).astype(x.dtype, copy=False)

        return pool
    return None


class NumpyModel:
    """A model as a chain of NumPy layer functions: ``model(batch)`` -> outputs, for a (N, H, W, C) batch."""

    def __init__(self, name: str, steps: list[Callable]):
        self.name = name
        self._steps = steps

    def __len__(self) -> int:
        """The number of steps (a BatchNormalization folded into the layer before it is not one)."""
        return len(self._steps)

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        x = np.asarray(batch, dtype=np.float32)
        for step in self._steps:
            x = step(x)
        return x

    def __repr__(self) -> str:
        return f"NumpyModel({self.name!r}, {len(self._steps)} layers)"


def build_inference(layers: Iterable[tuple[str, dict, Callable]], name: str = "model") -> NumpyModel | None:
    """A ``NumpyModel`` from ``(kind, config, weights)`` per layer, or ``None`` if one is not covered.

    ``weights`` is a function returning the layer's arrays, called only for covered layers.
    """
    resolved: list[tuple[str, dict, list]] = []
    for kind, config, weights in layers:
        if kind not in COVERED:
            return None
        arrays = weights() if weight_count(kind, config) else []
        if kind == "BatchNormalization" and resolved:
            previous_kind, previous_config, previous_arrays = resolved[-1]
            folded = fold_batch_norm(previous_kind, previous_config, previous_arrays, config, arrays)
            if folded is not None:
                resolved[-1] = (previous_kind, {**previous_config, "use_bias": True}, folded)
                continue
        resolved.append((kind, config, arrays))
    steps = []
    for kind, config, arrays in resolved:
        step = layer_step(kind, config, arrays)
        if step is None:
            return None
        steps.append(step)
    return NumpyModel(name, steps)


def to_snake_case(name: str) -> str:
    """A class name as Keras names its weights' group in ``model.weights.h5`` (``MaxPooling2D`` ->
    ``max_pooling2d``)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _layer_groups(layer_configs: list[dict]) -> list[str]:
    """Each layer's group in the weights file: ``layers/<snake_case class>`` then ``_1``, ``_2``... for the
    next of the same class, in the order of the model's layers (Keras's own saving rule)."""
    used: dict[str, int] = {}
    groups = []
    for layer in layer_configs:
        name = to_snake_case(layer["class_name"])
        if name in used:
            used[name] += 1
            name = f"{name}_{used[name]}"
        else:
            used[name] = 0
        groups.append(f"layers/{name}")
    return groups


def read_archive(path) -> NumpyModel | None:
    """The model of a ``.keras`` file as a ``NumpyModel``, read without Keras, or ``None`` when the file
    holds something ``layer_step`` does not cover (not a plain Sequential model of covered Keras layers).

    Raises ``ArchiveError`` with one sentence when the file is not a readable ``.keras`` archive.
    """
    import h5py

    path = Path(path)
    retrain = "run `python -m mnist_compare run` to train it again"
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            missing = [part for part in ("config.json", "model.weights.h5") if part not in names]
            if missing:
                raise ArchiveError(
                    f"{path} is not a complete .keras file ({' and '.join(missing)} missing); {retrain}."
                )
            config = json.loads(archive.read("config.json"))
            weights_bytes = archive.read("model.weights.h5")
    except ArchiveError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, UnicodeDecodeError) as error:
        raise ArchiveError(
            f"{path} is not a readable .keras file ({first_line(error, 160)}); {retrain}."
        ) from None

    if (
        not isinstance(config, dict)
        or config.get("class_name") != "Sequential"
        or config.get("module") not in ("keras", "keras.models", None)
    ):
        return None
    layer_configs = (config.get("config") or {}).get("layers")
    if not isinstance(layer_configs, list) or not all(isinstance(layer, dict) for layer in layer_configs):
        raise ArchiveError(f"{path} has no list of layers in its config.json; {retrain}.")
    layer_configs = [layer for layer in layer_configs if layer.get("class_name") not in SKIPPED]
    # Only Keras's own layers: a registered (custom) layer may share a name and compute something else.
    if any(
        layer.get("class_name") not in COVERED
        or layer.get("registered_name") not in (None, layer.get("class_name"))
        or layer.get("module", "keras.layers") != "keras.layers"
        for layer in layer_configs
    ):
        return None

    try:
        with h5py.File(io.BytesIO(weights_bytes), "r") as weights_file:
            if layer_configs and "layers" not in weights_file:
                return (
                    None  # a layout of the weights this reader does not know (not Keras 3's): Keras decides
                )

            def arrays(group: str, count: int, layer_config: dict):
                def read():
                    found = []
                    for index in range(count):
                        key = f"{group}/vars/{index}"
                        if key not in weights_file:
                            raise ArchiveError(
                                f"{path} lacks the weights {key} in model.weights.h5; {retrain}."
                            )
                        found.append(np.asarray(weights_file[key][()], dtype=np.float32))
                    extra = f"{group}/vars/{count}"
                    if extra in weights_file:
                        raise ArchiveError(
                            f"{path} has more weights than its config.json says ({extra}); {retrain}."
                        )
                    expected = _kernel_shape(layer_config)
                    if (
                        found
                        and expected is not None
                        and (
                            found[0].ndim != len(expected)
                            or any(
                                want is not None and want != got
                                for want, got in zip(expected, found[0].shape)
                            )
                        )
                    ):
                        raise ArchiveError(
                            f"{path} holds a {found[0].shape} kernel for {group}, whose config "
                            f"asks for {tuple(expected)}; {retrain}."
                        )
                    return found

                return read

            layers = [
                (
                    layer["class_name"],
                    layer.get("config") or {},
                    arrays(
                        group,
                        weight_count(layer["class_name"], layer.get("config") or {}) or 0,
                        {"kind": layer["class_name"], **(layer.get("config") or {})},
                    ),
                )
                for layer, group in zip(layer_configs, _layer_groups(layer_configs))
            ]
            model = build_inference(layers, name=str((config.get("config") or {}).get("name", path.stem)))
    except ArchiveError:
        raise
    except (
        OSError,
        KeyError,
        ValueError,
        TypeError,
    ) as error:  # h5py's "file signature not found", bad shapes
        raise ArchiveError(f"{path} has unreadable weights ({first_line(error, 160)}); {retrain}.") from None
    if model is not None:
        _check_shapes(model, config, path, retrain)
    return model


def _kernel_shape(config: dict) -> list | None:
    """The kernel shape a Dense or Conv2D config asks for (``None`` for a side it leaves open)."""
    try:
        if config["kind"] == "Dense":
            return [None, int(config["units"])]
        if config["kind"] == "Conv2D":
            return [int(side) for side in config["kernel_size"]] + [None, int(config["filters"])]
    except (KeyError, TypeError, ValueError):
        return None
    return None


def _check_shapes(model: NumpyModel, config: dict, path: Path, retrain: str) -> None:
    """Run one blank input through the model: weights whose shapes do not fit are one sentence, not a
    traceback."""
    shape = (config.get("config") or {}).get("build_input_shape") or (config.get("build_config") or {}).get(
        "input_shape"
    )
    if not isinstance(shape, list) or len(shape) < 2 or any(not isinstance(side, int) for side in shape[1:]):
        return
    try:
        with np.errstate(all="ignore"):
            model(np.zeros([1] + shape[1:], dtype=np.float32))
    except (ValueError, IndexError) as error:
        raise ArchiveError(
            f"{path} holds weights whose shapes do not fit its layers ({first_line(error, 160)}); {retrain}."
        ) from None
