"""The saved MLP and CNN behind one thread-safe call: what the demo, the notebooks and the report's
drawings section read digits with.

``DigitReader.from_saved()`` reads the ``.keras`` files without Keras (``keras_archive.read_archive``)
and computes both models with NumPy, so a process that only reads drawings never imports TensorFlow.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading

import numpy as np

from . import config, import_tensorflow_quietly, registry
from .errors import MnistCompareError
from .keras_archive import NumpyModel, read_archive
from .metrics import temperature_scale
from .training import load_snapshot, read_temperature, shown_snapshot, snapshot_path, verify_snapshot

#: The models the demo reads (``in_demo`` in the registry) and the names it shows them by.
MODEL_NAMES = registry.demo_models()
MODEL_TITLES = {name: registry.label(name) for name in MODEL_NAMES}


def _mallopt():
    """glibc's ``mallopt(option, value)`` through ctypes, or ``None`` where the C library has none."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return None


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed blocks of up to 32 MB for reuse instead of returning them to the OS.

    Preprocessing a 400x400 canvas allocates about ten 1-3 MB float arrays; by default
    glibc unmaps each when it is freed, so the next drawing page-faults all of that memory
    in again, which costs more than the arithmetic (5-6 of the ~7 ms measured here).
    Returns whether the setting took effect (``False`` where the C library is not glibc).
    """
    mallopt = _mallopt()
    if mallopt is None:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(mallopt(m_mmap_threshold, 32 << 20)) and bool(mallopt(m_trim_threshold, 128 << 20))


class ModelsMissingError(MnistCompareError, FileNotFoundError):
    """The saved models the demo needs are not there yet."""


class DigitReader:
    """Both models behind one thread-safe call.

    The models are computed with NumPy from their saved weights (``models.numpy_inference``):
    for one drawing ``benchmarks/demo_model_call.py`` measured 0.14 ms against 1.1 ms for a
    TensorFlow function back to back, and 0.45 ms against 2.3 ms after a 5 ms pause, as a server
    meets a drawing (a TensorFlow call hands the work to threads that have gone to sleep). A model
    with layers the NumPy path does not cover is called through one TensorFlow function instead.

    ``models`` maps names to Keras models, or to ``keras_archive.NumpyModel``s read from the saved
    files without Keras (what ``from_saved`` does: the demo then never imports TensorFlow).

    ``temperatures`` (name -> T, 1.0 for a name not given) calibrates what ``predict`` returns: each model's
    probabilities ``p`` become ``softmax(log p / T)`` (``metrics.temperature_scale``), the same answer with
    the confidence the validation set supports (``sections.temperature_scaling.compute`` fits T;
    ``from_saved`` reads it from ``calibration.json`` beside each model).
    """

    def __init__(self, models: dict, temperatures: dict | None = None):
        self.names = tuple(models)
        self._models = models
        self.temperatures = {name: float((temperatures or {}).get(name, 1.0)) for name in self.names}
        keep_freed_memory()
        self._numpy = {}
        for name, model in models.items():
            if isinstance(model, NumpyModel):
                self._numpy[name] = model
            else:
                from .models import numpy_inference  # lazy: models imports Keras at module level

                self._numpy[name] = numpy_inference(model)
        self._forward = None
        if any(infer is None for infer in self._numpy.values()):
            import_tensorflow_quietly()
            import tensorflow as tf  # lazy: only for a layer the NumPy path does not cover

            signature = [tf.TensorSpec(shape=(None, 28, 28, 1), dtype=tf.float32)]

            @tf.function(input_signature=signature, reduce_retracing=True)
            def forward(batch):
                return [model(batch, training=False) for model in models.values()]

            self._forward = forward
        self._lock = threading.Lock()
        self.predict(np.zeros((1, 28, 28, 1), dtype=np.float32))  # trace once, now

    @property
    def uses_numpy(self) -> bool:
        return self._forward is None

    @classmethod
    def from_saved(
        cls, *, epochs: int | None = None, seed: int = config.FIRST_SEED, fast: bool | None = None
    ) -> "DigitReader":
        """Load ``models/<name>_seed<seed>/epochNN.keras`` for every demo model (sha256 checked first): the
        grid's models at ``epochs`` (the last snapshot by default), a reader the grid does not train at the
        epochs of its own run (``training.shown_snapshot``).

        The files are read without Keras (``keras_archive.read_archive``); only when one holds a layer
        that reader does not cover are both loaded with Keras (safe mode), TensorFlow imported then.
        Each model's temperature comes from its ``calibration.json`` when that was fitted for this very
        snapshot (``training.read_temperature``), else it is 1 (the probabilities as the model gives them).
        """
        paths = config.output_paths(fast)
        models, run_dirs, snapshots = {}, {}, {}
        for name in MODEL_NAMES:
            run_dir = run_dirs[name] = paths.models / f"{name}_seed{seed}"
            snapshots[name] = shown_snapshot(name, paths.fast, epochs)
            if not snapshot_path(run_dir, snapshots[name]).is_file():
                raise ModelsMissingError(
                    f"No saved {MODEL_TITLES[name]} at {snapshot_path(run_dir, snapshots[name])}. "
                    f"Train the models first: python -m mnist_compare run{' --fast' if paths.fast else ''}"
                )
            # checked against run.json's sha256
            models[name] = read_archive(verify_snapshot(run_dir, snapshots[name]))
        if any(model is None for model in models.values()):
            import_tensorflow_quietly()
            models = {name: load_snapshot(run_dir, snapshots[name]) for name, run_dir in run_dirs.items()}
        cls.limit_malloc_arenas()
        return cls(
            models, {name: read_temperature(run_dir, snapshots[name]) for name, run_dir in run_dirs.items()}
        )

    @staticmethod
    def limit_malloc_arenas(arenas: int = 2) -> bool:
        """Let glibc's malloc use at most ``arenas`` arenas (``M_ARENA_MAX``); for a server, set before its
        threads start.

        Every thread that runs a reading gets an arena of its own by default (up to 8 per core), and each
        keeps the freed blocks ``keep_freed_memory`` asks it to keep: a burst of 100 concurrent readings took
        the demo to 793-834 MB resident (3 runs), against 409-411 MB with 2 arenas set here (2 runs; 357 MB
        when set before anything is imported), ``benchmarks/demo_startup.py``. Returns whether the setting
        took effect (``False`` off glibc).
        """
        mallopt = _mallopt()
        if mallopt is None:
            return False
        m_arena_max = -8
        return bool(mallopt(m_arena_max, arenas))

    #: Images computed at once by the NumPy path: an occlusion batch (145 images) goes in a few slices, so a
    #: burst of concurrent readings does not hold every layer's activations for all of them at once.
    CHUNK = 32

    def predict(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        """Probabilities of every model for a (N, 28, 28, 1) float32 batch, scaled by its temperature."""
        batch = np.asarray(batch, dtype=np.float32)
        if self._forward is None:
            chunks = [batch[start : start + self.CHUNK] for start in range(0, max(1, len(batch)), self.CHUNK)]
            outputs = {
                name: infer(batch) if len(chunks) == 1 else np.concatenate([infer(chunk) for chunk in chunks])
                for name, infer in self._numpy.items()
            }
        else:
            with self._lock:
                raw = self._forward(batch)
            outputs = {name: np.asarray(output) for name, output in zip(self.names, raw)}
        return {name: self._calibrated(name, p) for name, p in outputs.items()}

    def _calibrated(self, name: str, probabilities: np.ndarray) -> np.ndarray:
        temperature = self.temperatures.get(name, 1.0)
        if temperature == 1.0:
            return probabilities
        return temperature_scale(probabilities, temperature)
