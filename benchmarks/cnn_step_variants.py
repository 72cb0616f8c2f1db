"""Other ways to write the CNN's training step, timed against the one the project uses.

``python benchmarks/cnn_step_variants.py`` builds one compiled trainer per variant (same
architecture, same initial weights) and alternates them epoch by epoch on 200 batches of random
images, so that a slow spell of the machine hits all of them; it prints the median milliseconds
per step and each variant's median ratio to the current step. Every variant computes the same
function as Conv2D(32, 3x3, ReLU) -> MaxPooling2D(2); they differ in how XLA is asked to do it.
"""

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
STEPS, BATCH, ROUNDS = 200, 32, 9


def variants():
    import keras
    from keras import layers, ops

    from mnist_compare import models

    class SlicePooling(layers.MaxPooling2D):
        """2x2 max pooling as pairwise maxima of strided slices (the gradient goes to the first
        maximum, as MaxPooling2D's, with no tie count)."""

        def call(self, x):
            top = ops.maximum(x[:, 0::2, 0::2], x[:, 0::2, 1::2])
            bottom = ops.maximum(x[:, 1::2, 0::2], x[:, 1::2, 1::2])
            return ops.maximum(top, bottom)

    class BiasReLU(layers.Layer):
        def build(self, input_shape):
            self.bias = self.add_weight(shape=(input_shape[-1],), initializer="zeros")

        def call(self, x):
            return ops.relu(x + self.bias)

    class InterleavedPatchConv2D(models.PatchConv2D):
        """im2col with the nine shifted images interleaved as channels (the previous form)."""

        def convolution_op(self, inputs, kernel):
            kernel_h, kernel_w, channels, filters = kernel.shape
            out_h, out_w = inputs.shape[1] - kernel_h + 1, inputs.shape[2] - kernel_w + 1
            patches = ops.concatenate(
                [
                    inputs[:, i : i + out_h, j : j + out_w, :]
                    for i in range(kernel_h)
                    for j in range(kernel_w)
                ],
                axis=-1,
            )
            flat = ops.reshape(patches, (-1, kernel_h * kernel_w * channels))
            product = ops.matmul(flat, ops.reshape(kernel, (kernel_h * kernel_w * channels, filters)))
            return ops.reshape(product, (-1, out_h, out_w, filters))

    class ReduceMaxPooling(layers.MaxPooling2D):
        """A reshape and a max with TensorFlow's own gradient (it counts tied maxima and splits;
        the previous form)."""

        def call(self, x):
            height, width, channels = x.shape[1:]
            return ops.max(ops.reshape(x, (-1, height // 2, 2, width // 2, 2, channels)), axis=(2, 4))

    class BroadcastConv2D(models.PatchConv2D):
        """The convolution as nine broadcast multiply-adds of shifted images."""

        def convolution_op(self, inputs, kernel):
            kernel_h, kernel_w = kernel.shape[:2]
            out_h, out_w = inputs.shape[1] - kernel_h + 1, inputs.shape[2] - kernel_w + 1
            terms = [
                inputs[:, i : i + out_h, j : j + out_w, :] * kernel[i, j, 0]
                for i in range(kernel_h)
                for j in range(kernel_w)
            ]
            return sum(terms[1:], terms[0])

    def cnn(front):
        return keras.Sequential(
            [
                keras.Input((28, 28, 1)),
                *front,
                layers.Flatten(),
                layers.Dense(100, activation="relu"),
                layers.Dense(10, activation="softmax"),
            ]
        )

    return {
        "current (PatchConv2D, ReshapeMaxPooling2D)": lambda: models.build_model("cnn", fast_ops=True),
        "previous: interleaved im2col, reduce-max gradient": lambda: cnn(
            [InterleavedPatchConv2D(32, 3, activation="relu"), ReduceMaxPooling(2)]
        ),
        "pooling by strided-slice maxima": lambda: cnn(
            [models.PatchConv2D(32, 3, activation="relu"), SlicePooling(2)]
        ),
        "pooling before bias and ReLU": lambda: cnn(
            [models.PatchConv2D(32, 3, use_bias=False), SlicePooling(2), BiasReLU()]
        ),
        "convolution as broadcast multiply-adds": lambda: cnn(
            [BroadcastConv2D(32, 3, activation="relu"), models.ReshapeMaxPooling2D(2)]
        ),
    }


def main() -> None:
    import keras
    import numpy as np

    from mnist_compare import training

    rng = np.random.default_rng(0)
    images = rng.random((STEPS * BATCH, 28, 28, 1), dtype=np.float32)
    labels = rng.integers(0, 10, STEPS * BATCH)
    order = np.arange(len(labels))
    trainers = {}
    for label, build in variants().items():
        keras.utils.set_random_seed(0)
        trainers[label] = training.CompiledTrainer(build(), batch_size=BATCH, jit_compile=True)
        trainers[label].train_epoch(images, labels, order)  # compile
    seconds = {label: [] for label in trainers}
    for _ in range(ROUNDS):
        for label, trainer in trainers.items():
            start = time.perf_counter()
            trainer.train_epoch(images, labels, order)
            seconds[label].append(time.perf_counter() - start)
    first = next(iter(seconds.values()))
    for label, values in seconds.items():
        ratio = statistics.median(v / f for v, f in zip(values, first))
        print(
            f"{label:45s} {statistics.median(values) / STEPS * 1e3:6.3f} ms/step   x{ratio:.2f} of the "
            f"current step"
        )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
