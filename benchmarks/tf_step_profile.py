"""Where the compiled training step spends its time, operation by operation.

``python benchmarks/tf_step_profile.py [cnn|mlp|cnn_improved]`` trains one 200-batch epoch of
random images under TensorFlow's profiler with XLA's per-operation trace switched on, and prints
the milliseconds per step of each XLA operation (matrix products, fused loops), both threads added.
The names are XLA's instruction names; ``XLA_FLAGS=--xla_dump_to=DIR --xla_dump_hlo_as_text`` writes
the optimized program, where each one can be looked up (``MatMul.55`` is the dense layer's forward
product, ``convert_reduce_fusion`` counts the ties of the max pooling for its gradient, and so on).
"""

import collections
import glob
import os
import sys
import tempfile
from pathlib import Path

os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_enable_xprof_traceme=true").strip()
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
STEPS = 200
SKIPPED = (
    "ThunkExecutor",
    "Eager",
    "TFE_",
    "train_batches",
    "CpuExecutable",
    "BlockUntilReady",
    "SlinkyThreadPool",
)


def main() -> None:
    import tensorflow as tf
    from tensorflow.tsl.profiler.protobuf import xplane_pb2
    from tf_cnn_step import compiled_trainer  # beside this script

    name = sys.argv[1] if len(sys.argv) > 1 else "cnn"
    trainer, (images, labels, order) = compiled_trainer(name, STEPS)
    logdir = tempfile.mkdtemp(prefix="tf-step-profile-")
    tf.profiler.experimental.start(logdir)
    trainer.train_epoch(images, labels, order)
    tf.profiler.experimental.stop()
    space = xplane_pb2.XSpace()
    space.ParseFromString(
        Path(sorted(glob.glob(f"{logdir}/**/*.xplane.pb", recursive=True))[-1]).read_bytes()
    )
    per_op = collections.Counter()
    whole = 0.0
    for plane in space.planes:
        names = {key: meta.name for key, meta in plane.event_metadata.items()}
        for line in plane.lines:
            for event in line.events:
                op = names.get(event.metadata_id, "?")
                if op == "train_batches":
                    whole = max(whole, event.duration_ps / 1e9)
                elif line.name.startswith("tf_") and not op.startswith(SKIPPED):
                    per_op[op] += event.duration_ps / 1e9
    print(f"{name}: {whole / STEPS:.3f} ms per step while profiled; per operation (ms per step):")
    for op, milliseconds in per_op.most_common(20):
        print(f"  {milliseconds / STEPS:6.3f}  {op}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
