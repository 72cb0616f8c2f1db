"""mnist-compare: an MLP and a CNN on MNIST, compared properly, plus a drawing demo."""

import os as _os
import sys as _sys

# TensorFlow's C++ logging reads this once, when TensorFlow is first imported: 3 hides the INFO,
# WARNING and ERROR lines (such as "failed call to cuInit" on a machine without a GPU) that would
# otherwise appear in every notebook and command. Every way into the package passes through here.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.1.0"


def import_tensorflow_quietly() -> None:
    """Import TensorFlow and Keras with their start-up chatter kept off the screen.

    A few lines (the CUDA probe's "Could not find cuda drivers", absl's "All log messages before
    absl::InitializeLog()") are written by C++ code while TensorFlow loads, before any log level
    applies; the standard error stream is pointed at the null device for the length of the import.
    The notebooks' ``setup()`` and the command line call this before anything else touches TensorFlow.
    """
    if "tensorflow" in _sys.modules:
        return
    saved = _os.dup(2)
    try:
        with open(_os.devnull, "w") as devnull:
            _os.dup2(devnull.fileno(), 2)
            import keras  # noqa: F401
            import tensorflow
    finally:
        _os.dup2(saved, 2)
        _os.close(saved)
    # TensorFlow's Python warnings ("5 out of the last 7 calls ... triggered tf.function retracing")
    # speak of its internals, not of anything a reader can act on.
    tensorflow.get_logger().setLevel("ERROR")
