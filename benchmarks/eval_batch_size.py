"""Inference batch size for evaluation: seconds to predict the 54,000 training images.

``python benchmarks/eval_batch_size.py`` predicts with each model of the grid and the research
(plain Keras layers in a TensorFlow graph, as ``training.predict_probabilities`` does) in batches
of 128, 256, 512 and 1,024, alternating the sizes round by round so that a slow spell of the
machine hits all of them, and prints the median seconds and each size's median ratio to 1,024.
"""

import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
SIZES, ROUNDS = (128, 256, 512, 1024), 5


def main() -> None:
    import keras

    from mnist_compare import data, models, training

    images = data.prepare_splits(os.environ.get("MNIST_NPZ"), fast=False).x_train
    print(f"{len(images)} images, {ROUNDS} rounds")
    for name in ("mlp", "cnn", "cnn_gap", "cnn_improved"):
        keras.utils.set_random_seed(0)
        model = models.build_model(name)
        seconds = {size: [] for size in SIZES}
        for size in SIZES:  # warm-up: one trace per batch shape
            training.predict_probabilities(model, images[: 2 * size], batch_size=size)
        for _ in range(ROUNDS):
            for size in SIZES:
                started = time.perf_counter()
                training.predict_probabilities(model, images, batch_size=size)
                seconds[size].append(time.perf_counter() - started)
        print(
            name,
            "  ".join(
                f"{size}: {statistics.median(seconds[size]):.2f} s "
                f"({statistics.median(s / b for s, b in zip(seconds[size], seconds[1024])):.2f}x)"
                for size in SIZES
            ),
        )


if __name__ == "__main__":
    main()
