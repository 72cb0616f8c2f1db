"""The demo's model call for one drawing: a TensorFlow function against the NumPy path it uses.

``python benchmarks/demo_model_call.py [--fast]`` loads the saved seed-0 MLP and CNN, and times
both models on one digit 200 times each way, back to back and after a 5 ms pause (as a server
meets a drawing, with TensorFlow's threads asleep). Prints median and p95 in milliseconds.
"""

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
CALLS, PAUSE = 200, 0.005


def main() -> None:
    import numpy as np
    import tensorflow as tf

    from mnist_compare import config, data, demo, training

    fast = True if "--fast" in sys.argv else None
    reader = demo.DigitReader.from_saved(fast=fast)  # read without Keras: NumPy functions, not Keras models
    paths = config.output_paths(fast)
    epochs = max(config.FAST_SNAPSHOT_EPOCHS if paths.fast else config.SNAPSHOT_EPOCHS)
    models = {
        name: training.load_snapshot(paths.models / f"{name}_seed{config.FIRST_SEED}", epochs)
        for name in demo.MODEL_NAMES
    }

    @tf.function(input_signature=[tf.TensorSpec(shape=(None, 28, 28, 1), dtype=tf.float32)])
    def tensorflow_call(batch):
        return [model(batch, training=False) for model in models.values()]

    (_, _), (x_test, _) = data.load_mnist()
    digits = [image[None, :, :, None].astype(np.float32) / 255.0 for image in x_test[:20]]
    ways = {
        "TensorFlow function": lambda x: [np.asarray(out) for out in tensorflow_call(x)],
        "NumPy (the demo's)": reader.predict,
    }
    for way in ways.values():
        way(digits[0])
    for pause in (0.0, PAUSE):
        for label, call in ways.items():
            times = []
            for i in range(CALLS):
                if pause:
                    time.sleep(pause)
                start = time.perf_counter()
                call(digits[i % len(digits)])
                times.append(time.perf_counter() - start)
            times.sort()
            print(
                f"{label:22s} {'after a 5 ms pause' if pause else 'back to back':20s} "
                f"median {statistics.median(times) * 1e3:.3f} ms, p95 "
                f"{times[int(0.95 * (CALLS - 1))] * 1e3:.3f} ms"
            )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
