"""The project's compiled training step for one model, timed per batch under different settings.

``python benchmarks/tf_cnn_step.py [cnn|mlp|cnn_improved]`` times ``CompiledTrainer`` on 400
batches of 32 random images (median of 5 after a compile run), once per setting, each in a fresh
process: the default, one intra-op thread, and several XLA CPU flags. Compare with
``benchmarks/jax_cnn_step.py``, the same CNN step written directly in JAX.
"""

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

SETTINGS = {
    "default": {},
    "one thread (TF_NUM_INTRAOP_THREADS=1)": {"TF_NUM_INTRAOP_THREADS": "1"},
    "XLA: XNNPACK": {"XLA_FLAGS": "--xla_cpu_use_xnnpack=true"},
    "XLA: greedy XNN graph fusion": {
        "XLA_FLAGS": "--xla_cpu_experimental_xnn_graph_fusion_mode=XNN_GRAPH_FUSION_MODE_GREEDY"
    },
    "XLA: no thunk runtime": {"XLA_FLAGS": "--xla_cpu_use_thunk_runtime=false"},
    "XLA: single-threaded Eigen": {"XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false"},
    "XLA: fast math": {"XLA_FLAGS": "--xla_cpu_enable_fast_math=true"},
}
STEPS, BATCH, EPOCH_STEPS = 400, 32, 1688


def compiled_trainer(name: str, steps: int = STEPS):
    """The project's compiled trainer for model ``name`` on ``steps`` batches of random images,
    compiled by one epoch; returns the trainer and the epoch's (images, labels, order)."""
    import keras
    import numpy as np

    from mnist_compare import models, registry, training

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    images = rng.random((steps * BATCH, 28, 28, 1), dtype=np.float32)
    labels = rng.integers(0, 10, steps * BATCH)
    options = registry.entry(name).training
    trainer = training.CompiledTrainer(
        models.build_model(name, fast_ops=options["fast_ops"]),
        batch_size=BATCH,
        jit_compile=options["jit_compile"],
    )
    order = np.arange(len(labels))
    trainer.train_epoch(images, labels, order)
    return trainer, (images, labels, order)


def measure(name: str) -> float:
    """Seconds per batch of the compiled trainer for model ``name`` in this process."""
    trainer, (images, labels, order) = compiled_trainer(name)
    seconds = []
    for _ in range(5):
        start = time.perf_counter()
        trainer.train_epoch(images, labels, order)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds) / STEPS


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[2] == "--one":
        print(measure(sys.argv[1]))
        return
    name = sys.argv[1] if len(sys.argv) > 1 else "cnn"
    root = Path(__file__).resolve().parents[1]
    for label, extra in SETTINGS.items():
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **extra}
        done = subprocess.run(
            [sys.executable, __file__, name, "--one"], env=env, cwd=root, capture_output=True, text=True
        )
        if done.returncode != 0:
            print(f"{label:40s} failed: {done.stderr.strip().splitlines()[-1][:100]}")
            continue
        per_step = float(done.stdout.strip().splitlines()[-1])
        print(
            f"{label:40s} {per_step * 1e3:6.2f} ms/step  ({per_step * EPOCH_STEPS:5.2f} s per 54,000-image "
            f"epoch)"
        )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
