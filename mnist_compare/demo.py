"""The drawing demo: one canvas, the MLP and the CNN side by side.

``build_demo(reader) -> gr.Blocks`` never launches anything; ``launch_demo`` does.
The models are loaded once from the saved ``.keras`` files (safe mode) and computed with
NumPy from their weights (no ``model.predict``, which costs ~50 ms a call).
"""

from __future__ import annotations

import functools
import os
import threading
import time
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from . import config, preprocessing, saliency
from .errors import MnistCompareError, first_line
from .preprocessing import CanvasError, METHOD_LABELS, METHODS

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

MODEL_NAMES = ("mlp", "cnn")
MODEL_TITLES = {"mlp": "MLP", "cnn": "CNN"}
API_NAME = "predict"
EMPTY_MESSAGE = "Draw a digit on the canvas: both models answer each time you lift the pen."
#: Crop + 20% padding + centre of mass: how MNIST itself was made, and the best reader of real
#: handwriting; the original report's crop + padding and the plain resize are one click away.
DEFAULT_METHOD = "bbox_com"
#: Pictures that shrink to a phone's width (the canvas has its own style, ``canvas.CANVAS_CSS``).
CSS = """
#steps img, #saliency img { max-width: 100%; height: auto; object-fit: contain; }
"""


def _mallopt():
    """glibc's ``mallopt(option, value)`` through ctypes, or ``None`` where the C library has none."""
    import ctypes
    import ctypes.util

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


#: The most pixels an uploaded image may have; larger ones are refused from their header, before
#: decoding (a 37 KB PNG can declare 13000x13000 pixels: 169 M, 0.7 GB once decoded as RGBA).
MAX_UPLOAD_PIXELS = 4096 * 4096
UNREADABLE_KEY = "unreadable"


def check_upload_header(source) -> None:
    """Check an uploaded image (path or bytes) from its header alone, without decoding its pixels.

    Raises ``InvalidCanvasError`` with a sentence for the user when it is not an image or has too
    many pixels.
    """
    from io import BytesIO

    from PIL import UnidentifiedImageError

    too_large = (f"the most this demo reads is {MAX_UPLOAD_PIXELS:,} pixels (for example 4096x4096). "
                 "Send a smaller picture of the drawing.")
    try:
        with warnings.catch_warnings():  # Pillow warns of big images; the size is checked just below
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(BytesIO(source) if isinstance(source, (bytes, bytearray, memoryview)) else source)
    except Image.DecompressionBombError:  # Pillow's own limit, twice its warning size
        raise preprocessing.InvalidCanvasError(f"The image has far too many pixels; {too_large}") from None
    except UnidentifiedImageError:
        raise preprocessing.InvalidCanvasError(
            "That upload is not an image Pillow can read; send a PNG or JPEG of the drawing.") from None
    except OSError as error:
        raise preprocessing.InvalidCanvasError(f"The upload could not be opened ({error.strerror or error}).") from None
    with image:
        width, height = image.size
    if width * height > MAX_UPLOAD_PIXELS:
        raise preprocessing.InvalidCanvasError(f"The image is {width}x{height} pixels; {too_large}")


def _payload_files(sketchpad, payload) -> list:
    """The uploaded images of a Sketchpad payload (``EditorData``): file records with a ``path``, or the
    bytes the page streamed to the component (kept in its ``blob_storage`` under the payload's ``id``)."""
    parts = payload
    if getattr(payload, "id", None) is not None:
        parts = getattr(sketchpad, "blob_storage", {}).get(payload.id) or payload
    files = [getattr(parts, "background", None), getattr(parts, "composite", None)]
    files += list(getattr(parts, "layers", None) or [])
    return [item for item in files if item is not None]


def guard_uploads(sketchpad):
    """Make ``sketchpad`` (a ``gr.Sketchpad``) check its uploads before Gradio decodes them.

    Its public ``preprocess(payload)`` is wrapped on the instance: every image of the payload is checked
    from its header first (``check_upload_header``: not an image, or too many pixels), then Gradio's own
    decoding runs, and its failures (a truncated or corrupt file) become a message too. An unreadable or
    oversized image reaches the demo's function as a message (a value with the key ``unreadable``), not as
    an HTTP 500. Only the component's public method is used, whose signature is the same in every Gradio
    6 release (a subclass of a Gradio component would make Gradio write a ``.pyi`` file beside this module).
    """
    preprocess = sketchpad.preprocess

    def checked_preprocess(payload):
        try:
            for item in _payload_files(sketchpad, payload):
                check_upload_header(item if isinstance(item, (bytes, bytearray, memoryview)) else item.path)
            try:
                return preprocess(payload)  # decodes the pixels once
            except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:  # truncated, corrupt
                detail = first_line(error, 80)
                if "truncated" in detail.lower():  # Pillow: "image file is truncated (N bytes not processed)"
                    detail = "the file ends before the image does"
                raise preprocessing.InvalidCanvasError(
                    f"The image could not be decoded ({detail}). Draw or upload it again.") from None
        except preprocessing.CanvasError as error:
            return {UNREADABLE_KEY: str(error)}

    sketchpad.preprocess = checked_preprocess
    return sketchpad


class LoginGuard:
    """Gradio's ``auth`` callable: one user and password, and at most ``max_failures`` wrong tries in
    ``window_seconds``; after that every try (right or wrong) is refused until the window has passed.

    Gradio does not tell an ``auth`` function who is asking, so the limit is for the whole app: it
    stops guessing at the price of locking the owner out for a minute during an attack.
    """

    def __init__(self, user: str, password: str, *, max_failures: int = 5, window_seconds: float = 60.0,
                 clock=time.monotonic):
        self._user, self._password = user.encode(), password.encode()
        self.max_failures, self.window_seconds, self._clock = max_failures, window_seconds, clock
        self._failures: list[float] = []
        self._lock = threading.Lock()
        self.refused = 0

    def locked(self) -> bool:
        with self._lock:
            now = self._clock()
            self._failures = [t for t in self._failures if now - t < self.window_seconds]
            return len(self._failures) >= self.max_failures

    def __call__(self, user: str, password: str) -> bool:
        import hmac

        if self.locked():
            self.refused += 1
            return False
        right = (hmac.compare_digest(str(user).encode(), self._user)
                 & hmac.compare_digest(str(password).encode(), self._password))
        if not right:
            with self._lock:
                self._failures.append(self._clock())
                if len(self._failures) == self.max_failures:
                    print(f"{self.max_failures} wrong logins in {self.window_seconds:.0f} s: logins refused for "
                          f"{self.window_seconds:.0f} s.")
        return bool(right)


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
    the confidence the validation set supports (``research.temperature_scaling`` fits T; ``from_saved``
    reads it from ``calibration.json`` beside each model).
    """

    def __init__(self, models: dict, temperatures: dict | None = None):
        from .keras_archive import NumpyModel

        self.names = tuple(models)
        self._models = models
        self.temperatures = {name: float((temperatures or {}).get(name, 1.0)) for name in self.names}
        keep_freed_memory()
        self._numpy = {}
        for name, model in models.items():
            if isinstance(model, NumpyModel):
                self._numpy[name] = model
            else:
                from .models import numpy_inference

                self._numpy[name] = numpy_inference(model)
        self._forward = None
        if any(infer is None for infer in self._numpy.values()):
            from . import import_tensorflow_quietly

            import_tensorflow_quietly()
            import tensorflow as tf

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
    def from_saved(cls, *, epochs: int | None = None, seed: int = config.FIRST_SEED,
                   fast: bool | None = None) -> "DigitReader":
        """Load ``models/<name>_seed<seed>/epochNN.keras`` for both models (sha256 checked first).

        The files are read without Keras (``keras_archive.read_archive``); only when one holds a layer
        that reader does not cover are both loaded with Keras (safe mode), TensorFlow imported then.
        Each model's temperature comes from its ``calibration.json`` when that was fitted for this very
        snapshot (``training.read_temperature``), else it is 1 (the probabilities as the model gives them).
        """
        from .keras_archive import read_archive
        from .training import load_snapshot, read_temperature, snapshot_path, verify_snapshot

        paths = config.output_paths(fast)
        if epochs is None:
            epochs = max(config.FAST_SNAPSHOT_EPOCHS if paths.fast else config.SNAPSHOT_EPOCHS)
        models, run_dirs = {}, {}
        for name in MODEL_NAMES:
            run_dir = run_dirs[name] = paths.models / f"{name}_seed{seed}"
            if not snapshot_path(run_dir, epochs).is_file():
                raise ModelsMissingError(
                    f"No saved {MODEL_TITLES[name]} at {snapshot_path(run_dir, epochs)}. Train the models first: "
                    f"python -m mnist_compare run{' --fast' if paths.fast else ''}"
                )
            models[name] = read_archive(verify_snapshot(run_dir, epochs))  # checked against run.json's sha256
        if any(model is None for model in models.values()):
            from . import import_tensorflow_quietly

            import_tensorflow_quietly()
            models = {name: load_snapshot(run_dir, epochs) for name, run_dir in run_dirs.items()}
        cls.limit_malloc_arenas()
        return cls(models, {name: read_temperature(run_dir, epochs) for name, run_dir in run_dirs.items()})

    @staticmethod
    def limit_malloc_arenas(arenas: int = 2) -> bool:
        """Let glibc's malloc use at most ``arenas`` arenas (``M_ARENA_MAX``); for a server, set before its threads start.

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

    def predict(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        """Probabilities of every model for a (N, 28, 28, 1) float32 batch, scaled by its temperature."""
        batch = np.asarray(batch, dtype=np.float32)
        if self._forward is None:
            outputs = {name: infer(batch) for name, infer in self._numpy.items()}
        else:
            with self._lock:
                raw = self._forward(batch)
            outputs = {name: np.asarray(output) for name, output in zip(self.names, raw)}
        return {name: self._calibrated(name, p) for name, p in outputs.items()}

    def _calibrated(self, name: str, probabilities: np.ndarray) -> np.ndarray:
        temperature = self.temperatures.get(name, 1.0)
        if temperature == 1.0:
            return probabilities
        from .metrics import temperature_scale

        return temperature_scale(probabilities, temperature)


@dataclass
class Reading:
    """What the interface shows for one drawing."""

    message: str
    probabilities: dict  # name -> (10,) array; empty when nothing could be read
    steps_image: np.ndarray | None = None
    ok: bool = True
    saliency_image: np.ndarray | None = None  # "what the models look at", when asked for


def _panel(image: np.ndarray, title: str, side: int = 140) -> Image.Image:
    """One titled square gray panel for the steps strip."""
    array = np.asarray(image, dtype=np.float32)
    step = max(1, max(array.shape[:2]) // side)  # a cheap pre-shrink of big canvases; the thumbnail smooths
    array = array[::step, ::step]
    if array.ndim == 3:
        array = preprocessing.to_gray(array)
    pil = Image.fromarray((np.clip(array, 0, 1) * 255).astype(np.uint8), mode="L")
    pil.thumbnail((side, side), Image.Resampling.NEAREST if max(array.shape[:2]) <= 56
                  else Image.Resampling.BILINEAR)
    if max(pil.size) < side:  # small images are enlarged with visible pixels
        scale = side / max(pil.size)
        pil = pil.resize((max(1, round(pil.size[0] * scale)), max(1, round(pil.size[1] * scale))),
                         Image.Resampling.NEAREST)
    canvas = _titled_blank(title, side).copy()
    canvas.paste(pil, (5 + (side - pil.size[0]) // 2, 23 + (side - pil.size[1]) // 2))
    return canvas


@functools.lru_cache(maxsize=4)
def title_font(size: int = 15):
    """A TrueType font for panel titles: DejaVu Sans when installed, else Pillow's own scalable font."""
    from PIL import ImageFont

    for name in ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


@functools.lru_cache(maxsize=32)
def _titled_blank(title: str, side: int, mode: str = "L") -> Image.Image:
    """A white panel with its title drawn once (rendering text costs more than the rest of the strip)."""
    canvas = Image.new(mode, (side + 10, side + 28), "white")
    ImageDraw.Draw(canvas).text((5, 4), title, fill="black", font=title_font())
    return canvas


def steps_strip(result: preprocessing.PreprocessResult) -> np.ndarray:
    """drawing -> inverted gray -> cropped + 20% padding -> 28x28 input, as one gray (H, W) uint8 image
    (two panels a row, in reading order)."""
    wanted = [("drawing", "drawing"), ("inverted", "inverted gray")]
    if "padded" in result.steps:
        wanted.append(("padded", "crop + 20% pad"))
    wanted.append(("input", "28x28 input"))
    panels = [_panel(result.steps[key], title) for key, title in wanted]
    # Two panels a row (300 px wide): on a 390-px phone it is shown at full size, so its titles stay
    # readable (a row of four was shrunk to about 58%, its 15-px titles to 9 px).
    width, height = panels[0].size
    rows = (len(panels) + 1) // 2
    strip = Image.new("L", (2 * width, rows * height), 255)
    for index, panel in enumerate(panels):
        strip.paste(panel, ((index % 2) * width, (index // 2) * height))
    return np.asarray(strip)


def saliency_strip(model_input: np.ndarray, maps: dict, side: int = 140) -> np.ndarray:
    """One titled panel per model: its 28x28 input with the occlusion map on top (RGB uint8)."""
    panels = []
    for name, heat in maps.items():
        picture = Image.fromarray(saliency.overlay(model_input, heat), mode="RGB").resize(
            (side, side), Image.Resampling.NEAREST)
        panel = _titled_blank(f"{MODEL_TITLES.get(name, name)} looks at", side, "RGB").copy()
        panel.paste(picture, (5, 23))
        panels.append(panel)
    strip = Image.new("RGB", (sum(p.size[0] for p in panels), panels[0].size[1]), "white")
    x = 0
    for panel in panels:
        strip.paste(panel, (x, 0))
        x += panel.size[0]
    return np.asarray(strip)


def read_drawing(reader: DigitReader, value, method: str = DEFAULT_METHOD, *, explain: bool = False,
                 polarity: str = "auto") -> Reading:
    """Preprocess and classify one drawing; bad input becomes a message, never an exception.

    ``explain`` adds the occlusion maps ("what the models look at"), computed in the same batch.
    ``polarity`` is the preprocessing's (``"dark_on_light"`` for the page's canvas: black ink on white,
    so a canvas covered in ink is told so; ``"auto"`` for an upload, which may be white on black).
    """
    if isinstance(value, dict) and UNREADABLE_KEY in value:
        return Reading(str(value[UNREADABLE_KEY]), {}, ok=False)
    if method not in METHODS:
        return Reading(f"Unknown preprocessing {method!r}; choose one of {', '.join(METHODS)}.", {}, ok=False)
    try:
        result = preprocessing.check_enough_ink(preprocessing.preprocess(value, method, polarity=polarity))
    except CanvasError as error:
        return Reading(str(error), {}, ok=False)
    batch = saliency.occluded_batch(result.model_input) if explain else result.batch()
    outputs = reader.predict(batch)
    probabilities = {name: p[0] for name, p in outputs.items()}
    if not all(np.all(np.isfinite(p)) for p in probabilities.values()):
        return Reading("The models could not read this drawing; try drawing it again.", {}, ok=False)
    parts = [f"{MODEL_TITLES[name]} reads **{int(np.argmax(p))}** ({100 * float(np.max(p)):.1f}%)"
             for name, p in probabilities.items()]
    message = " · ".join(parts) + f" — preprocessing: {METHOD_LABELS[method]}"
    reading = Reading(message, probabilities, steps_strip(result))
    if explain:
        reading.saliency_image = saliency_strip(result.model_input, saliency.occlusion_maps(outputs))
    return reading


def _label_value(probabilities) -> dict | None:
    if probabilities is None:
        return None
    return {str(digit): float(p) for digit, p in enumerate(probabilities)}


def build_demo(reader: DigitReader | None = None, *, title: str = "MNIST: MLP vs CNN, draw a digit",
               read=read_drawing, collection=None):
    """The Gradio app (not launched). ``reader`` defaults to the saved models.

    Both models answer every change of the drawing: each pen lift, undo, redo, eraser stroke and clear
    (the canvas, ``canvas.CANVAS_JS``, sends one ``submit`` each, queued as "the latest" while a reading
    is pending), and every change of the preprocessing. The ``/predict`` API takes a Sketchpad-style
    image (an upload) and answers the same way. ``read(reader, value, method, explain=...) -> Reading``
    does the work of one request (the benchmark swaps in a fixed answer to measure what Gradio itself
    costs; the tests count the calls).

    ``collection`` (a ``collection.Collection``) adds the "I drew a ..." row: one click keeps the drawing
    with its label (``None``: nothing is asked and nothing is kept).
    """
    import uuid

    import gradio as gr

    from . import canvas as drawing_canvas
    from .collection import KEPT_NOTE, session_key

    reader = reader or DigitReader.from_saved()
    empty = [EMPTY_MESSAGE, None, None] + [None] * len(reader.names)

    def shown(reading: Reading) -> list:
        """What the page shows for one reading: the status, the two pictures and one Label per model."""
        if not reading.ok:
            return [reading.message, None, None] + [None] * len(reader.names)
        return [reading.message, reading.saliency_image, reading.steps_image] + [
            _label_value(reading.probabilities[name]) for name in reader.names]

    def respond_canvas(text, method, state):
        """One reading of the page's canvas; ``state`` is this visitor's current drawing (for the label)."""
        try:
            value = drawing_canvas.decode(text)
        except CanvasError as error:
            value = {UNREADABLE_KEY: str(error)}
        if value is None:  # cleared: the next stroke starts a new drawing, with no label yet
            return empty + [None, None, ""]
        reading = read(reader, value, method, explain=True, polarity="dark_on_light")
        new = not state
        state = {"drawing": state["drawing"] if state else uuid.uuid4().hex, "canvas": text, "method": method,
                 "answers": {name: (int(np.argmax(p)), float(np.max(p)))
                             for name, p in (reading.probabilities if reading.ok else {}).items()}}
        return shown(reading) + [state, None if new else gr.skip(), "" if new else gr.skip()]

    def save_label(digit, state, request: gr.Request):
        if collection is None:
            return "Drawings are not kept by this demo.", None
        if not state:
            return "Draw a digit first, then say which one it is.", None
        try:
            value = drawing_canvas.decode(state.get("canvas"))
        except CanvasError:
            value = None
        result = collection.save(drawing_id=state.get("drawing"), session=session_key(request.session_hash),
                                 label=digit, value=value, method=state.get("method", DEFAULT_METHOD),
                                 answers=state.get("answers") or {})
        return result.message, (digit if result.ok else None)

    def forget_label(state, request: gr.Request):
        if collection is None or not state:
            return "There is no label to undo.", None
        result = collection.forget(drawing_id=state.get("drawing"), session=session_key(request.session_hash))
        return result.message, None

    # The annotations are strings here (``from __future__ import annotations``): Gradio finds the request
    # parameter from the annotation object itself.
    save_label.__annotations__["request"] = forget_label.__annotations__["request"] = gr.Request

    def respond_upload(value, method):
        if value is None or (isinstance(value, dict) and UNREADABLE_KEY not in value
                             and value.get("composite") is None and not value.get("layers")
                             and value.get("background") is None):
            return empty
        return shown(read(reader, value, method, explain=True))

    # Every reading writes its images to Gradio's cache: files older than an hour are deleted
    # every hour, so a demo shared for days does not fill the disk.
    with gr.Blocks(title=title, delete_cache=(3600, 3600)) as demo:
        gr.Markdown(f"## {title}\nDraw one digit (0-9) large in the middle of the canvas. Both models read "
                    "the same 28x28 input each time you lift the pen, undo, redo or erase.")
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=320):
                sketch = gr.HTML(value="", html_template=drawing_canvas.CANVAS_HTML,
                                 css_template=drawing_canvas.CANVAS_CSS, js_on_load=drawing_canvas.CANVAS_JS,
                                 elem_id="canvas", apply_default_css=False, padding=False)
                # The answer sits right under the canvas, so on a phone it is in view while drawing.
                status = gr.Markdown(EMPTY_MESSAGE, elem_id="status")
                current = gr.State(None)
                with gr.Group(visible=collection is not None, elem_id="collect"):
                    said = gr.Radio(choices=[str(d) for d in range(10)], value=None, label="I drew a ...",
                                    elem_id="said")
                    with gr.Row():
                        said_note = gr.Markdown("", elem_id="said-note")
                        undo_label = gr.Button("Undo my label", size="sm", elem_id="undo-label", min_width=100)
                    gr.Markdown(f"<small>{KEPT_NOTE}</small>")
                method = gr.Radio(
                    choices=[(METHOD_LABELS[m] + (" (default: how MNIST was made)" if m == DEFAULT_METHOD
                                                  else " (original report)" if m == "bbox" else ""), m)
                             for m in METHODS],
                    value=DEFAULT_METHOD, label="Preprocessing", elem_id="method",
                )
                # The /predict API: an image (a Sketchpad value, an upload) instead of the page's canvas.
                upload = guard_uploads(gr.Sketchpad(
                    label="Image", type="numpy", image_mode="RGBA", canvas_size=(400, 400), layers=False,
                    visible=False, elem_id="upload"))
                read_button = gr.Button("Read digit", visible=False, elem_id="read")
            with gr.Column(scale=2, min_width=320):
                # One Label per model: the predicted digit on top, then bars for its three most likely
                # digits (short enough for a phone; a plot per model cost about 3 ms of every request).
                labels = []
                with gr.Row():
                    for name in reader.names:
                        labels.append(gr.Label(num_top_classes=3, label=f"{MODEL_TITLES[name]} reads",
                                               elem_id=f"{name}-label", min_width=150))
                # The pictures carry their own titles; a label drawn over them would hide the first.
                gr.Markdown("**What the models look at**: blanking the bright parts of the 28x28 input lowers "
                            "the probability of the model's answer most.")
                explanation = gr.Image(show_label=False, type="numpy", interactive=False, format="png",
                                       elem_id="saliency", buttons=[])
                gr.Markdown("**Preprocessing steps**")
                # PNG: lossless for the titles, and for a gray strip about 5x faster to encode than WebP.
                steps = gr.Image(show_label=False, type="numpy", interactive=False, format="png", elem_id="steps",
                                 buttons=[])
        outputs = [status, explanation, steps] + labels
        # always_last: a drawing changed while its previous reading is pending is read once that one is
        # done, with the canvas as it is then; nothing is dropped and the last answer is the canvas's.
        canvas_outputs = outputs + [current, said, said_note]
        # Each answer on the page is counted in the canvas's data-answered (and timed in data-answered-at),
        # in the page itself, after the outputs are shown: the browser tests wait for it.
        sketch.submit(respond_canvas, inputs=[sketch, method, current], outputs=canvas_outputs,
                      api_name="read_canvas", trigger_mode="always_last", concurrency_limit=4, concurrency_id="reading",
                      show_progress="hidden").then(None, js=drawing_canvas.ANSWERED_JS)
        method.change(respond_canvas, inputs=[sketch, method, current], outputs=canvas_outputs, api_name=False,
                      trigger_mode="always_last", concurrency_limit=4, concurrency_id="reading",
                      show_progress="hidden").then(None, js=drawing_canvas.ANSWERED_JS)
        # Saving a label is its own event, with its own workers: a reading never waits for a save.
        said.input(save_label, inputs=[said, current], outputs=[said_note, said], api_name="label",
                   concurrency_limit=2, concurrency_id="collect", show_progress="hidden")
        undo_label.click(forget_label, inputs=[current], outputs=[said_note, said], api_name="forget_label",
                         concurrency_limit=2, concurrency_id="collect", show_progress="hidden")
        read_button.click(respond_upload, inputs=[upload, method], outputs=outputs, api_name=API_NAME,
                          concurrency_limit=4, show_progress="hidden")
    demo.queue(default_concurrency_limit=4, max_size=64)
    return demo


def open_share_link(demo) -> str | None:
    """Open Gradio's share tunnel for a running demo; one line and ``None`` if it cannot."""
    from gradio import networking

    try:
        url = networking.setup_tunnel(
            local_host=demo.server_name, local_port=demo.server_port, share_token=demo.share_token,
            share_server_address=demo.share_server_address,
            share_server_tls_certificate=getattr(demo, "share_server_tls_certificate", None),
        )
    except Exception as error:  # offline: DNS, download of the tunnel binary, timeouts
        reason = first_line(error)
        print(f"Share link unavailable ({reason[:120]}); serving locally only.")
        return None
    demo.share_url = url
    demo.share = True
    return url


def parse_auth(text: str | None) -> tuple[str, str] | None:
    """'user:password' -> ('user', 'password'); ``None`` stays ``None``."""
    if not text:
        return None
    user, sep, password = text.partition(":")
    if not sep or not user or not password:
        raise ValueError("--auth must look like user:password (both parts non-empty).")
    return user, password


def launch_demo(demo, *, share: bool = False, port: int | None = None, auth=None,
                host: str = "127.0.0.1", block: bool = True):
    """Serve ``demo`` locally (and through a share link if asked and possible).

    ``auth`` is ``(user, password)``: logins go through a ``LoginGuard`` (5 wrong tries a minute)."""
    if isinstance(auth, tuple):
        auth = LoginGuard(*auth)
    demo.launch(
        server_name=host, server_port=port, share=False, auth=auth, show_error=False, css=CSS,
        max_file_size="5mb", prevent_thread_lock=True, quiet=True, ssr_mode=False,
    )
    print(f"Demo running at {demo.local_url}")
    if share:
        url = open_share_link(demo)
        if url:
            print(f"Share link: {url}" + ("" if auth else " (anyone with the link can use it; "
                                                         "consider --auth user:password)"))
    if block:
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            demo.close()
    return demo


def sample_canvas(digit_image: np.ndarray, *, size: int = 400, scale: float = 0.6) -> dict:
    """A Sketchpad-like value (black ink on white) made from an MNIST-style 28x28 image."""
    ink = np.asarray(digit_image, dtype=np.float32)
    ink = ink / 255.0 if ink.max() > 1 else ink
    side = int(size * scale)
    big = np.asarray(Image.fromarray((ink * 255).astype(np.uint8)).resize((side, side), Image.Resampling.BILINEAR))
    canvas = np.full((size, size, 4), 255, dtype=np.uint8)
    top = (size - side) // 2
    gray = 255 - big
    canvas[top:top + side, top:top + side, :3] = gray[..., None]
    return {"background": None, "layers": [], "composite": canvas}

