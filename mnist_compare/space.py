"""The drawing demo as a Hugging Face Space: what ``app.py`` (the file a Space runs) calls.

A Gradio Space starts ``python app.py`` in the repository's root and sets ``GRADIO_SERVER_NAME=0.0.0.0``
and ``GRADIO_SERVER_PORT=7860``; the demo listens exactly there. Unset, the address is ``0.0.0.0``
(every interface, as a Space or a container needs) and the port 7860: on a laptop, use
``python -m mnist_compare demo`` instead, which listens on 127.0.0.1 only.

The demo is ``demo.build_demo()`` with the labelled drawings kept (``space_collection``) and the
shipped seed-0 models in ``models/`` (read with NumPy: TensorFlow is never imported), served by
``demo.launch_demo`` until the process is stopped.
The confidences it shows are temperature-scaled by each model's ``calibration.json`` when it is there and
was fitted for the shipped snapshot (``DigitReader.from_saved``); without it they are the models' own.
A Space stops it with SIGTERM, which closes the server and exits with code 0. An expected failure
(models missing or damaged, a bad port setting, the port taken) is one line on stderr and exit code 2.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Mapping

from . import demo
from .collection import ENV_DB, Collection, default_path
from .errors import MnistCompareError, SettingError, first_line
from .training import DamagedArtefactError

#: The variables Gradio reads for its address, and that a Space sets.
ENV_HOST = "GRADIO_SERVER_NAME"
ENV_PORT = "GRADIO_SERVER_PORT"
DEFAULT_HOST = "0.0.0.0"
DEFAULT_PORT = 7860
#: Added to a missing or damaged model's message: on a Space, the likely cause is an upload without them.
MODELS_HINT = (
    "A Space needs the repository's models/ folder uploaded with the real files "
    "(docs/demo.md, Deploying as a Space)."
)


def server_address(environ: Mapping[str, str] | None = None) -> tuple[str, int]:
    """``(host, port)`` from ``GRADIO_SERVER_NAME`` and ``GRADIO_SERVER_PORT`` (defaults: 0.0.0.0, 7860)."""
    environ = os.environ if environ is None else environ
    host = (environ.get(ENV_HOST) or "").strip() or DEFAULT_HOST
    text = (environ.get(ENV_PORT) or "").strip()
    if not text:
        return host, DEFAULT_PORT
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise SettingError(
            f"{ENV_PORT}={text!r} is not a port number; set it to one from 1 to 65535 "
            f"(a Space sets {DEFAULT_PORT})."
        )
    return host, port


#: Set to 0 (or false, no, off) to ask visitors nothing and keep no drawing, as ``demo --no-collect``.
ENV_COLLECT = "MNIST_COMPARE_COLLECT"


def space_collection(environ: Mapping[str, str] | None = None):
    """The labelled drawings' database (``collection.default_path``: ``$MNIST_COMPARE_DRAWINGS_DB``, else
    ``reports/drawings.sqlite``), or ``None`` when ``MNIST_COMPARE_COLLECT`` is off."""
    environ = os.environ if environ is None else environ
    if (environ.get(ENV_COLLECT) or "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    path = environ.get(ENV_DB)
    return Collection(path if path else default_path())


def _stop_on_sigterm() -> None:
    """SIGTERM (how a Space, a container or ``kill`` stops the app) ends it like Ctrl+C: the server is
    closed and the process exits with code 0, instead of dying mid-request."""

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


def launch_space(environ: Mapping[str, str] | None = None) -> int:
    """Build the demo from the shipped models and serve it at the Space's address until stopped.

    Returns the exit code: 0 when stopped (SIGTERM or Ctrl+C), 2 after an expected failure, which is
    printed as one line (``error: ...``) on stderr, never as a traceback.
    """
    _stop_on_sigterm()
    app = None
    try:
        host, port = server_address(environ)
        try:
            app = demo.build_demo(collection=space_collection(environ))
        except (demo.ModelsMissingError, DamagedArtefactError) as error:  # e.g. uploaded as Git LFS pointers
            raise MnistCompareError(f"{first_line(error).rstrip('.')}. {MODELS_HINT}") from None
        try:
            demo.launch_demo(app, host=host, port=port, block=True)
        except OSError as error:  # Gradio: "Cannot find empty port in range: 7860-7860. You can specify ..."
            reason = first_line(error).split(". ")[0]
            raise SettingError(
                f"Cannot serve the demo on {host}:{port} ({reason}); "
                f"the port is taken or the address is not this machine's: set {ENV_PORT} "
                f"or {ENV_HOST}."
            ) from None
    except KeyboardInterrupt:  # stopped before the server was up (launch_demo closes a running one itself)
        if app is not None:
            app.close()
    except (MnistCompareError, OSError) as error:
        message = " ".join(first_line(error).split())
        print(f"error: {message}", file=sys.stderr, flush=True)
        return 2
    print("Demo stopped.", flush=True)
    return 0
