"""Would training two runs side by side, one core each, beat one run on both cores?

``python benchmarks/side_by_side.py [model ...]`` (default: cnn mlp_wide) times, for each model,
compiled-trainer epochs over the 54,000 training images:

- one process with TensorFlow's default threads (both cores);
- two processes at once, each held to one thread.

and prints the seconds per epoch and the throughput of the pair relative to the one process
(above 1.0, side by side would be faster). The first (compiling) epoch is left out.
"""

import os
import statistics
import subprocess
import sys
import time

EPOCHS = 3


def child(name: str, threads: int) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    import keras

    from mnist_compare import config, data, models, training

    splits = data.prepare_splits(os.environ.get("MNIST_NPZ"), fast=False)
    options = training.training_options(name)
    keras.utils.set_random_seed(0)
    trainer = training.CompiledTrainer(
        models.build_model(name, fast_ops=options["fast_ops"]),
        batch_size=config.BATCH_SIZE,
        jit_compile=options["jit_compile"],
    )
    seconds = []
    for epoch in range(EPOCHS + 1):
        started = time.perf_counter()
        trainer.train_epoch(
            splits.x_train, splits.y_train, training.epoch_order(len(splits.y_train), 0, epoch)
        )
        seconds.append(time.perf_counter() - started)
    print("EPOCH_SECONDS", statistics.median(seconds[1:]), flush=True)


def timed(name: str, threads: int, copies: int) -> list[float]:
    processes = [
        subprocess.Popen(
            [sys.executable, __file__, "--child", name, str(threads)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for _ in range(copies)
    ]
    outputs = [process.communicate()[0] for process in processes]
    return [
        float(line.split()[1])
        for output in outputs
        for line in output.splitlines()
        if line.startswith("EPOCH_SECONDS")
    ]


def main(names: list[str]) -> None:
    for name in names:
        alone = timed(name, 0, 1)[0]
        pair = timed(name, 1, 2)
        # one process: 1/alone epochs a second; the pair: sum of 1/s over its two processes
        ratio = sum(1 / s for s in pair) * alone
        print(
            f"{name}: one process, both cores {alone:.2f} s/epoch; two processes, one thread each "
            f"{' and '.join(f'{s:.2f}' for s in pair)} s/epoch; throughput of the pair {ratio:.2f}x"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], int(sys.argv[3]))
    else:
        main(sys.argv[1:] or ["cnn", "mlp_wide"])
