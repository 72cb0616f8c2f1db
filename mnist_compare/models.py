"""The two architectures of the original report, plus the control models.

``build_mlp()`` and ``build_cnn()`` with their defaults are exactly the
original report's models (101,770 and 542,230 parameters). Both take a
``(28, 28, 1)`` image in [0, 1] and return softmax probabilities over 0-9.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from . import config, registry
from .keras_archive import build_inference

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10


def build_mlp(*, hidden_units: int = 128, dropout: float = 0.0, name: str = "mlp") -> keras.Model:
    """Flatten(28x28) -> Dense(hidden_units, relu) -> Dense(10, softmax); with ``dropout`` > 0, a Dropout
    layer of that rate between the hidden layer and the output (active in training only)."""
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"The dropout rate must be in [0, 1), not {dropout!r}.")
    hidden = [layers.Dense(hidden_units, activation="relu", name="hidden")]
    if dropout:
        hidden.append(layers.Dropout(dropout, name="dropout"))
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE, name="image"),
            layers.Flatten(name="flatten"),
            *hidden,
            layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities"),
        ],
        name=name,
    )


@keras.saving.register_keras_serializable(package="mnist_compare")
class PatchConv2D(layers.Conv2D):
    """``Conv2D`` computed as one matrix product over shifted slices of the input (im2col).

    Same weights, same output, same gradients as ``Conv2D`` up to float rounding;
    under XLA on a CPU it is several times faster than the native convolution for
    this small 3x3 kernel. Equal strides along both axes take every stride-th slice. Other
    settings fall back to Conv2D.
    """

    def convolution_op(self, inputs, kernel):
        stride = self.strides[0]
        simple = (
            self.strides[1] == stride
            and self.padding == "valid"
            and self.groups == 1
            and tuple(self.dilation_rate) == (1, 1)
            and self.data_format == "channels_last"
        )
        if not simple:
            return super().convolution_op(inputs, kernel)
        kernel_h, kernel_w, channels, filters = kernel.shape
        out_h = (inputs.shape[1] - kernel_h) // stride + 1
        out_w = (inputs.shape[2] - kernel_w) // stride + 1
        taps = kernel_h * kernel_w * channels
        shifted = [
            inputs[:, i : i + stride * (out_h - 1) + 1 : stride, j : j + stride * (out_w - 1) + 1 : stride, :]
            for i in range(kernel_h)
            for j in range(kernel_w)
        ]
        if channels == 1:
            # One channel: the shifted images stacked on a leading axis are contiguous copies
            # (interleaving them as 9 channels was about 5% slower for the whole training step).
            flat = ops.transpose(
                ops.reshape(ops.stack([image[..., 0] for image in shifted], axis=0), (taps, -1))
            )
        else:
            flat = ops.reshape(ops.concatenate(shifted, axis=-1), (-1, taps))
        product = ops.matmul(flat, ops.reshape(kernel, (taps, filters)))
        return ops.reshape(product, (-1, out_h, out_w, filters))


def _first_max_pool(inputs, pool_h: int, pool_w: int):
    """Non-overlapping max pooling whose gradient goes to the first maximum of each window
    (row by row), exactly as TensorFlow's MaxPoolGrad, without its slow CPU kernel.

    (The gradient of a plain reshape-and-max would split among tied maxima, and counting the
    ties took a whole extra pass over the feature map.)
    """
    import tensorflow as tf

    height, width, channels = inputs.shape[1], inputs.shape[2], inputs.shape[3]
    out_h, out_w = height // pool_h, width // pool_w

    @tf.custom_gradient
    def pool(x):
        used = x[:, : out_h * pool_h, : out_w * pool_w, :]
        pooled = tf.reduce_max(tf.reshape(used, (-1, out_h, pool_h, out_w, pool_w, channels)), axis=(2, 4))

        def gradient(upstream):
            taken = None
            rows = []
            for i in range(pool_h):
                row = []
                for j in range(pool_w):
                    hit = tf.equal(used[:, i::pool_h, j::pool_w, :], pooled)
                    first = hit if taken is None else tf.logical_and(hit, tf.logical_not(taken))
                    taken = first if taken is None else tf.logical_or(taken, first)
                    row.append(tf.where(first, upstream, tf.zeros_like(upstream)))
                rows.append(tf.stack(row, axis=3))  # (N, out_h, out_w, pool_w, C)
            blocks = tf.stack(rows, axis=2)  # (N, out_h, pool_h, out_w, pool_w, C)
            grad = tf.reshape(blocks, (-1, out_h * pool_h, out_w * pool_w, channels))
            if (out_h * pool_h, out_w * pool_w) != (height, width):  # the dropped edge gets nothing
                grad = tf.pad(
                    grad, [[0, 0], [0, height - out_h * pool_h], [0, width - out_w * pool_w], [0, 0]]
                )
            return grad

        return pooled, gradient

    return pool(inputs)


@keras.saving.register_keras_serializable(package="mnist_compare")
class ReshapeMaxPooling2D(layers.MaxPooling2D):
    """``MaxPooling2D`` for non-overlapping windows ("valid" padding), fast under XLA on a CPU.

    The same values as MaxPooling2D: like it, the rows and columns left over when a side is
    not a multiple of the window are dropped (11x11 pools to 5x5 from its first 10x10). With
    TensorFlow its gradient is MaxPooling2D's too (the first maximum of each window takes it);
    other backends get the gradient of a reshape and a max (split among tied maxima).
    """

    def call(self, inputs):
        pool_h, pool_w = self.pool_size
        height, width, channels = inputs.shape[1], inputs.shape[2], inputs.shape[3]
        tiles = (
            tuple(self.strides) == (pool_h, pool_w)
            and self.padding == "valid"
            and self.data_format == "channels_last"
            and None not in (height, width, channels)
        )
        if not tiles:
            return super().call(inputs)
        if keras.backend.backend() == "tensorflow":
            return _first_max_pool(inputs, pool_h, pool_w)
        out_h, out_w = height // pool_h, width // pool_w
        if (out_h * pool_h, out_w * pool_w) != (height, width):
            inputs = inputs[:, : out_h * pool_h, : out_w * pool_w, :]
        blocks = ops.reshape(inputs, (-1, out_h, pool_h, out_w, pool_w, channels))
        return ops.max(blocks, axis=(2, 4))


def build_cnn(
    *,
    conv_filters: int = 32,
    kernel_size: int = 3,
    dense_units: int = 100,
    pooling: str = "max",
    name: str = "cnn",
    fast_ops: bool = False,
) -> keras.Model:
    """Conv2D(conv_filters, 3x3, relu) -> MaxPooling2D(2) -> Flatten -> Dense(dense_units, relu)
    -> Dense(10, softmax); ``pooling="average"`` puts AveragePooling2D(2) in the max pooling's place, and
    ``pooling="none"`` drops it for a convolution with stride 2 (the same 13x13 map, no pooling).

    ``fast_ops=True`` computes the convolution and the max pooling with the equivalent
    ``PatchConv2D`` and ``ReshapeMaxPooling2D`` (used for training; saved models use
    the plain Keras layers, see ``plain_copy``).
    """
    if pooling not in ("max", "average", "none"):
        raise ValueError(f"Unknown pooling {pooling!r}; choose 'max', 'average' or 'none'.")
    conv = PatchConv2D if fast_ops else layers.Conv2D
    if pooling == "none":
        # No pooling: the convolution itself moves by 2 pixels, to the same 13x13 map the pooling gives.
        reduce = [conv(conv_filters, kernel_size, strides=2, activation="relu", name="conv")]
    else:
        pool = {
            "average": layers.AveragePooling2D,
            "max": ReshapeMaxPooling2D if fast_ops else layers.MaxPooling2D,
        }
        reduce = [
            conv(conv_filters, kernel_size, activation="relu", name="conv"),
            pool[pooling](2, name="pool"),
        ]
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE, name="image"),
            *reduce,
            layers.Flatten(name="flatten"),
            layers.Dense(dense_units, activation="relu", name="hidden"),
            layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities"),
        ],
        name=name,
    )


def build_cnn_improved(
    *, name: str = "cnn_improved", fast_ops: bool = False, filters=(32, 64), units: int = 128
) -> keras.Model:
    """The appendix's stronger CNN: two convolution blocks with BatchNorm, then a dense layer with dropout.

    Conv(32) -> BN -> ReLU -> MaxPool -> Conv(64) -> BN -> ReLU -> MaxPool -> Dense(128) -> Dropout(0.3)
    -> softmax (``filters`` and ``units`` set the widths).
    """
    conv = PatchConv2D if fast_ops else layers.Conv2D
    pool = ReshapeMaxPooling2D if fast_ops else layers.MaxPooling2D
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE, name="image"),
            conv(filters[0], 3, use_bias=False, name="conv1"),
            layers.BatchNormalization(name="bn1"),
            layers.Activation("relu", name="relu1"),
            pool(2, name="pool1"),
            conv(filters[1], 3, use_bias=False, name="conv2"),
            layers.BatchNormalization(name="bn2"),
            layers.Activation("relu", name="relu2"),
            pool(2, name="pool2"),  # 11x11 -> 5x5: the last row and column are dropped, as in MaxPooling2D
            layers.Flatten(name="flatten"),
            layers.Dense(units, activation="relu", name="hidden"),
            layers.Dropout(0.3, name="dropout"),
            layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities"),
        ],
        name=name,
    )


def build_mlp_deep(*, hidden_units=(256, 128), l2: float = 1e-4, name: str = "mlp_deep") -> keras.Model:
    """A deeper, regularised MLP: Flatten -> Dense(256, relu) -> Dense(128, relu) -> Dense(10, softmax),
    every weight matrix with an L2 penalty of ``l2`` (weight decay)."""
    stack = [keras.Input(shape=INPUT_SHAPE, name="image"), layers.Flatten(name="flatten")]
    for number, units in enumerate(hidden_units, start=1):
        stack.append(
            layers.Dense(
                units, activation="relu", kernel_regularizer=keras.regularizers.L2(l2), name=f"hidden{number}"
            )
        )
    stack.append(
        layers.Dense(
            NUM_CLASSES,
            activation="softmax",
            kernel_regularizer=keras.regularizers.L2(l2),
            name="probabilities",
        )
    )
    return keras.Sequential(stack, name=name)


def build_cnn_gap(*, conv_filters=(16, 32), name: str = "cnn_gap", fast_ops: bool = False) -> keras.Model:
    """A CNN whose head is shift-invariant: Conv(16) -> MaxPool -> Conv(32) -> GlobalAveragePooling ->
    Dense(10).

    The dense head of ``build_cnn`` reads each feature at a fixed place; averaging every
    feature map over the whole image first makes the answer depend on what is there,
    not where.
    """
    conv = PatchConv2D if fast_ops else layers.Conv2D
    pool = ReshapeMaxPooling2D if fast_ops else layers.MaxPooling2D
    first, second = conv_filters
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE, name="image"),
            conv(first, 3, activation="relu", name="conv1"),
            pool(2, name="pool"),
            conv(second, 3, activation="relu", name="conv2"),
            layers.GlobalAveragePooling2D(name="average"),
            layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities"),
        ],
        name=name,
    )


#: The builders the registry names (``ModelEntry.builder``).
BUILDERS = {
    builder.__name__: builder
    for builder in (build_mlp, build_cnn, build_cnn_improved, build_mlp_deep, build_cnn_gap)
}


def build_model(name: str, *, fast_ops: bool = False) -> keras.Model:
    """Build a model by its name in the registry (``registry.MODELS``).

    ``fast_ops`` swaps in layers that compute the same function faster on a CPU
    (only the CNN has such layers); the weights are the same.
    """
    item = registry.entry(name)
    builder = BUILDERS[item.builder]
    kwargs = dict(item.builder_args)
    if fast_ops and item.convolutional:
        kwargs["fast_ops"] = True
    return builder(name=name, **kwargs)


def plain_copy(model: keras.Model, name: str) -> keras.Model:
    """The same weights in the plain Keras layers, so saved files load anywhere without this package."""
    plain = build_model(name)
    plain.set_weights(model.get_weights())
    return plain


def compile_model(
    model: keras.Model,
    *,
    learning_rate: float = config.LEARNING_RATE,
    steps_per_execution: int = 1,
    jit_compile: bool | str = "auto",
) -> keras.Model:
    """Adam + sparse categorical cross-entropy + accuracy, as in the original report.

    (The report used one-hot labels with ``categorical_crossentropy`` for the
    CNN; the sparse form computes the same loss and gradients from integer labels.)
    """
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution,
        jit_compile=jit_compile,
    )
    return model


def layer_rows(model: keras.Model) -> list[list[str]]:
    """[layer, type, output shape, parameters] for every layer (a stable, printable summary)."""
    rows = []
    for layer in model.layers:
        shape = tuple(layer.output.shape)
        kind = next(cls.__name__ for cls in type(layer).__mro__ if cls.__module__.startswith("keras"))
        rows.append([layer.name, kind, str((None,) + shape[1:]), f"{layer.count_params():,}"])
    return rows


def summary_text(model: keras.Model) -> str:
    """A plain-text layer table with the parameter total; the same on every machine."""
    rows = [["Layer", "Type", "Output shape", "Parameters"]] + layer_rows(model)
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(
            cell.ljust(width) if i < 3 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths))
        )
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines.append(f"Total parameters of {model.name}: {model.count_params():,}")
    return "\n".join(lines)


def parameter_counts(names=registry.COMPARED) -> dict[str, int]:
    """Parameters of each named architecture (built, not trained)."""
    return {name: build_model(name).count_params() for name in names}


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


def numpy_inference(model: keras.Model):
    """``model``'s inference as a NumPy function of a (N, H, W, C) float32 batch, or ``None``
    when the model has a layer it does not cover.

    Covers what the report's models and the demo's CNN for drawings are made of (``keras_archive``'s
    ``COVERED`` layers, BatchNormalization folded into the layer before it).
    For one drawing it answers in a fraction of the time of a TensorFlow call, which hands the
    work to TensorFlow's threads (``tests/test_demo.py`` checks that it gives Keras's outputs).
    The layer maths are ``keras_archive.layer_step``'s, which also reads a saved ``.keras`` file
    without Keras (``keras_archive.read_archive``).
    """

    return build_inference(
        ((type(layer).__name__, layer.get_config(), layer.get_weights) for layer in model.layers),
        name=model.name,
    )
