"""The drawing demo: one canvas, the MLP and the CNN side by side.

``build_demo(reader) -> gr.Blocks`` never launches anything; ``launch_demo`` does.
The models are loaded once from the saved ``.keras`` files (safe mode) and computed with
NumPy from their weights (no ``model.predict``, which costs ~50 ms a call): ``reader.DigitReader``.
The page's event handlers are module-level functions (``respond_canvas``, ``respond_upload``,
``save_label``, ``forget_label``), bound to the reader and the collection by ``build_demo``.
Gradio is imported only where an app is built or shared, so reading drawings does not load it.
"""

from __future__ import annotations

import functools
import hmac
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from . import canvas as drawing_canvas
from . import preprocessing, saliency
from .collection import KEPT_NOTE, session_key
from .errors import first_line
from .preprocessing import METHOD_LABELS, METHODS, CanvasError

# Also re-exported (``demo.DigitReader``, ``demo.check_upload_header``, ...), where they were before.
from .reader import MODEL_NAMES as MODEL_NAMES
from .reader import MODEL_TITLES, DigitReader
from .reader import ModelsMissingError as ModelsMissingError
from .reader import keep_freed_memory as keep_freed_memory
from .uploads import MAX_UPLOAD_PIXELS as MAX_UPLOAD_PIXELS
from .uploads import UNREADABLE_KEY as UNREADABLE_KEY
from .uploads import check_upload_header as check_upload_header
from .uploads import guard_uploads

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

API_NAME = "predict"
#: What the API page says of the canvas's endpoint (``/read_canvas``); ``/predict`` has no description.
CANVAS_API_DESCRIPTION = (
    "One reading of the page's canvas; ``state`` is this visitor's current drawing (for the label)."
)
EMPTY_MESSAGE = "Draw a digit on the canvas: both models answer each time you lift the pen."
#: The preprocessing's default (crop + 20% padding + centre of mass); the original report's crop + padding
#: and the plain resize are one click away.
DEFAULT_METHOD = preprocessing.DEFAULT_METHOD
#: Pictures that shrink to a phone's width (the canvas has its own style, ``canvas.CANVAS_CSS``).
CSS = """
#steps img, #saliency img { max-width: 100%; height: auto; object-fit: contain; }
"""


class LoginGuard:
    """Gradio's ``auth`` callable: one user and password, and at most ``max_failures`` wrong tries in
    ``window_seconds``; after that every try (right or wrong) is refused until the window has passed.

    Gradio does not tell an ``auth`` function who is asking, so the limit is for the whole app: it
    stops guessing at the price of locking the owner out for a minute during an attack.
    """

    def __init__(
        self,
        user: str,
        password: str,
        *,
        max_failures: int = 5,
        window_seconds: float = 60.0,
        clock=time.monotonic,
    ):
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
        if self.locked():
            self.refused += 1
            return False
        right = hmac.compare_digest(str(user).encode(), self._user) & hmac.compare_digest(
            str(password).encode(), self._password
        )
        if not right:
            with self._lock:
                self._failures.append(self._clock())
                if len(self._failures) == self.max_failures:
                    print(
                        f"{self.max_failures} wrong logins in {self.window_seconds:.0f} s: "
                        f"logins refused for {self.window_seconds:.0f} s."
                    )
        return bool(right)


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
    pil.thumbnail(
        (side, side), Image.Resampling.NEAREST if max(array.shape[:2]) <= 56 else Image.Resampling.BILINEAR
    )
    if max(pil.size) < side:  # small images are enlarged with visible pixels
        scale = side / max(pil.size)
        pil = pil.resize(
            (max(1, round(pil.size[0] * scale)), max(1, round(pil.size[1] * scale))), Image.Resampling.NEAREST
        )
    canvas = _titled_blank(title, side).copy()
    canvas.paste(pil, (5 + (side - pil.size[0]) // 2, 23 + (side - pil.size[1]) // 2))
    return canvas


@functools.lru_cache(maxsize=4)
def title_font(size: int = 15):
    """A TrueType font for panel titles: DejaVu Sans when installed, else Pillow's own scalable font."""
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
            (side, side), Image.Resampling.NEAREST
        )
        # The heading above the strip says what the pictures are; a panel is titled by its model alone.
        panel = _titled_blank(MODEL_TITLES.get(name, name), side, "RGB").copy()
        panel.paste(picture, (5, 23))
        panels.append(panel)
    strip = Image.new("RGB", (sum(p.size[0] for p in panels), panels[0].size[1]), "white")
    x = 0
    for panel in panels:
        strip.paste(panel, (x, 0))
        x += panel.size[0]
    return np.asarray(strip)


def read_drawing(
    reader: DigitReader,
    value,
    method: str = DEFAULT_METHOD,
    *,
    explain: bool = False,
    polarity: str = "auto",
    pictures: bool = True,
) -> Reading:
    """Preprocess and classify one drawing; bad input becomes a message, never an exception.

    ``explain`` adds the occlusion maps ("what the models look at"), computed in the same batch;
    ``pictures=False`` leaves out the preprocessing strip too (the page's answers come first, its pictures
    in a second step).
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
    batch = saliency.occluded_batch(result.model_input) if explain and pictures else result.batch()
    outputs = reader.predict(batch)
    probabilities = {name: p[0] for name, p in outputs.items()}
    if not all(np.all(np.isfinite(p)) for p in probabilities.values()):
        return Reading("The models could not read this drawing; try drawing it again.", {}, ok=False)
    parts = [
        f"{MODEL_TITLES[name]} reads **{int(np.argmax(p))}** ({100 * float(np.max(p)):.1f}%)"
        for name, p in probabilities.items()
    ]
    message = " · ".join(parts) + f" — preprocessing: {METHOD_LABELS[method]}"
    reading = Reading(message, probabilities, steps_strip(result) if pictures else None)
    if explain and pictures:
        reading.saliency_image = saliency_strip(result.model_input, saliency.occlusion_maps(outputs))
    return reading


def answers_in(status: str) -> dict[str, int]:
    """The digit each model reads in a status line ("MLP reads **3** (97.1%) · CNN reads **3** ..."), by
    model name; the browser tests and the benchmark read the page with it."""
    titles = sorted(MODEL_TITLES.items(), key=lambda item: -len(item[1]))  # "CNN for drawings" before "CNN"
    by_title = {title: name for name, title in titles}
    pattern = "|".join(re.escape(title) for _, title in titles)
    return {
        by_title[title]: int(digit)
        for title, digit in re.findall(rf"({pattern}) reads \*{{0,2}}(\d)", status)
    }


def _label_value(probabilities) -> dict | None:
    if probabilities is None:
        return None
    return {str(digit): float(p) for digit, p in enumerate(probabilities)}


# -- the page's event handlers: plain functions of their inputs, bound by ``build_demo`` -------------
def empty_outputs(names) -> list:
    """What the page shows without a drawing: the invitation, no pictures, no answer in any model's Label."""
    return [EMPTY_MESSAGE, None, None] + [None] * len(names)


def shown(reading: Reading, names) -> list:
    """What the page shows for one reading: the status, the two pictures and one Label per model."""
    if not reading.ok:
        return [reading.message, None, None] + [None] * len(names)
    return [reading.message, reading.saliency_image, reading.steps_image] + [
        _label_value(reading.probabilities[name]) for name in names
    ]


def respond_canvas(reader: DigitReader, read, text, method, state) -> list:
    """One reading of the page's canvas (its ``submit``, and a change of the preprocessing): the answers
    only, at once (``respond_pictures`` adds the pictures next).

    ``text`` is the canvas's value (a PNG ``data:`` URL; "" or ``None`` once cleared) and ``state`` this
    visitor's current drawing (``None`` before the first stroke and after Clear). Returns the page's outputs
    (``shown``), then the new state, the "I drew a ..." choice and its note: emptied for a new drawing,
    left as they are (``gr.skip()``) for a changed one.
    """
    import gradio as gr  # lazy: Gradio is loaded only where an app is built (by now it is)

    try:
        value = drawing_canvas.decode(text)
    except CanvasError as error:
        value = {UNREADABLE_KEY: str(error)}
    if value is None:  # cleared: the next stroke starts a new drawing, with no label yet
        return empty_outputs(reader.names) + [None, None, ""]
    reading = read(reader, value, method, pictures=False, polarity="dark_on_light")
    new = not state
    state = {
        "drawing": state["drawing"] if state else uuid.uuid4().hex,
        "canvas": text,
        "method": method,
        "answers": {
            name: (int(np.argmax(p)), float(np.max(p)))
            for name, p in (reading.probabilities if reading.ok else {}).items()
        },
    }
    page = shown(reading, reader.names)
    if (
        reading.ok
    ):  # the pictures follow in a second step (``respond_pictures``); the last ones stay till then
        page[1:3] = [gr.skip(), gr.skip()]
    return page + [state, None if new else gr.skip(), "" if new else gr.skip()]


def respond_pictures(reader: DigitReader, read, state) -> list:
    """The pictures of the visitor's current drawing (``state``), once its answers are on the page: "what the
    models look at" and the preprocessing steps. Nothing changes when there is no drawing or it could not be
    read (the answers step has emptied them)."""
    import gradio as gr  # lazy: Gradio is loaded only where an app is built (by now it is)

    if not state or not state.get("answers"):
        return [gr.skip(), gr.skip()]
    try:
        value = drawing_canvas.decode(state.get("canvas"))
    except CanvasError:
        return [gr.skip(), gr.skip()]
    if value is None:
        return [gr.skip(), gr.skip()]
    reading = read(reader, value, state.get("method", DEFAULT_METHOD), explain=True, polarity="dark_on_light")
    if not reading.ok:
        return [gr.skip(), gr.skip()]
    return [reading.saliency_image, reading.steps_image]


def respond_upload(reader: DigitReader, read, value, method) -> list:
    """One reading of an image sent to the ``/predict`` API (a Sketchpad value, checked by
    ``guard_uploads``); an empty one gets the invitation to draw."""
    if value is None or (
        isinstance(value, dict)
        and UNREADABLE_KEY not in value
        and value.get("composite") is None
        and not value.get("layers")
        and value.get("background") is None
    ):
        return empty_outputs(reader.names)
    return shown(read(reader, value, method, explain=True), reader.names)


def save_label(collection, digit, state, session_hash) -> tuple[str, str | None]:
    """Keep the visitor's current drawing (``state``) with the digit they said; returns the note and the
    choice to show (``None`` when nothing was kept). ``collection`` is a ``collection.Collection`` or
    ``None`` (nothing is kept); ``session_hash`` is Gradio's name for the visitor's session."""
    if collection is None:
        return "Drawings are not kept by this demo.", None
    if not state:
        return "Draw a digit first, then say which one it is.", None
    try:
        value = drawing_canvas.decode(state.get("canvas"))
    except CanvasError:
        value = None
    result = collection.save(
        drawing_id=state.get("drawing"),
        session=session_key(session_hash),
        label=digit,
        value=value,
        method=state.get("method", DEFAULT_METHOD),
        answers=state.get("answers") or {},
    )
    return result.message, (digit if result.ok else None)


def forget_label(collection, state, session_hash) -> tuple[str, None]:
    """Delete the label of the visitor's current drawing ("Undo my label"); returns the note and no choice."""
    if collection is None or not state:
        return "There is no label to undo.", None
    result = collection.forget(drawing_id=state.get("drawing"), session=session_key(session_hash))
    return result.message, None


class LabelEvents:
    """The module's ``save_label`` and ``forget_label`` for one collection, as Gradio calls them: with the
    event's request, whose ``session_hash`` names the visitor's session.

    Gradio passes the request to the parameter annotated ``gr.Request``, found from the annotation object
    itself; the annotations here are strings (``from __future__ import annotations``) and Gradio is not
    imported yet, so ``build_demo`` sets them (``accept_requests``).
    """

    def __init__(self, collection=None):
        self.collection = collection

    def save_label(self, digit, state, request):
        return save_label(self.collection, digit, state, request.session_hash)

    def forget_label(self, state, request):
        return forget_label(self.collection, state, request.session_hash)

    @staticmethod
    def accept_requests(request_type) -> None:
        """Annotate the ``request`` parameter of both handlers with ``request_type`` (``gr.Request``)."""
        for handler in (LabelEvents.save_label, LabelEvents.forget_label):
            handler.__annotations__["request"] = request_type


def bind(handler, *args, description: str = "") -> functools.partial:
    """``handler`` with its first arguments given (the reader, the ``read`` function), as Gradio shows it:
    under the handler's name (in Gradio's warnings), with ``description`` as its docstring (Gradio's API
    page shows a function's docstring: without one it would show ``functools.partial``'s)."""
    bound = functools.partial(handler, *args)
    bound.__name__, bound.__doc__ = handler.__name__, description
    return bound


# -- the page ------------------------------------------------------------------------------------
def _method_choices() -> list[tuple[str, str]]:
    """The preprocessing radio's (label, value) pairs, the default marked. The original report's method is
    not marked: the report keeps the original's own code as a separate method, which a mark would suggest."""
    notes = {DEFAULT_METHOD: " (default: how MNIST was made)"}
    return [(METHOD_LABELS[m] + notes.get(m, ""), m) for m in METHODS]


def _drawing_column(collect: bool) -> dict:
    """The left column: the canvas, the answer under it, the "I drew a ..." row (shown when ``collect``),
    the preprocessing, and the hidden upload and button of the ``/predict`` API. Returns them by name."""
    import gradio as gr  # lazy: Gradio is loaded only where an app is built

    parts = {
        "sketch": gr.HTML(
            value="",
            html_template=drawing_canvas.CANVAS_HTML,
            css_template=drawing_canvas.CANVAS_CSS,
            js_on_load=drawing_canvas.CANVAS_JS,
            elem_id="canvas",
            apply_default_css=False,
            padding=False,
        )
    }
    # The answer sits right under the canvas, so on a phone it is in view while drawing.
    parts["status"] = gr.Markdown(EMPTY_MESSAGE, elem_id="status")
    parts["current"] = gr.State(None)
    with gr.Group(visible=collect, elem_id="collect"):
        parts["said"] = gr.Radio(
            choices=[str(d) for d in range(10)], value=None, label="I drew a ...", elem_id="said"
        )
        with gr.Row():
            parts["said_note"] = gr.Markdown("", elem_id="said-note")
            parts["undo_label"] = gr.Button("Undo my label", size="sm", elem_id="undo-label", min_width=100)
        gr.Markdown(f"<small>{KEPT_NOTE}</small>")
    parts["method"] = gr.Radio(
        choices=_method_choices(), value=DEFAULT_METHOD, label="Preprocessing", elem_id="method"
    )
    # The /predict API: an image (a Sketchpad value, an upload) instead of the page's canvas.
    parts["upload"] = guard_uploads(
        gr.Sketchpad(
            label="Image",
            type="numpy",
            image_mode="RGBA",
            canvas_size=(400, 400),
            layers=False,
            visible=False,
            elem_id="upload",
        )
    )
    parts["read_button"] = gr.Button("Read digit", visible=False, elem_id="read")
    return parts


def _answer_column(names) -> dict:
    """The right column: one Label per model, "what the models look at" and the preprocessing steps."""
    import gradio as gr  # lazy: Gradio is loaded only where an app is built

    # One Label per model: the predicted digit on top, then bars for its three most likely
    # digits (short enough for a phone; a plot per model cost about 3 ms of every request).
    labels = []
    with gr.Row():
        for name in names:
            labels.append(
                gr.Label(
                    num_top_classes=3,
                    label=f"{MODEL_TITLES[name]} reads",
                    elem_id=f"{name}-label",
                    min_width=150,
                )
            )
    # The pictures carry their own titles; a label drawn over them would hide the first.
    gr.Markdown(
        "**What the models look at**: blanking the bright parts of the 28x28 input lowers "
        "the probability of the model's answer most."
    )
    explanation = gr.Image(
        show_label=False, type="numpy", interactive=False, format="png", elem_id="saliency", buttons=[]
    )
    gr.Markdown("**Preprocessing steps**")
    # PNG: lossless for the titles, and for a gray strip about 5x faster to encode than WebP.
    steps = gr.Image(
        show_label=False, type="numpy", interactive=False, format="png", elem_id="steps", buttons=[]
    )
    return {"labels": labels, "explanation": explanation, "steps": steps}


def _wire_events(parts: dict, reader: DigitReader, read, label_events: LabelEvents) -> None:
    """Every event of the page, with its handler bound to ``reader``, ``read`` and the collection."""
    canvas_handler = bind(respond_canvas, reader, read, description=CANVAS_API_DESCRIPTION)
    outputs = [parts["status"], parts["explanation"], parts["steps"]] + parts["labels"]
    # always_last: a drawing changed while its previous reading is pending is read once that one is
    # done, with the canvas as it is then; nothing is dropped and the last answer is the canvas's.
    canvas_inputs = [parts["sketch"], parts["method"], parts["current"]]
    canvas_outputs = outputs + [parts["current"], parts["said"], parts["said_note"]]
    # Each answer on the page is counted in the canvas's data-answered (and timed in data-answered-at),
    # in the page itself, after the outputs are shown: the browser tests wait for it.
    pictures_handler = bind(
        respond_pictures, reader, read, description="The pictures of the current drawing."
    )
    for trigger, api_name in ((parts["sketch"].submit, "read_canvas"), (parts["method"].change, False)):
        answered = trigger(
            canvas_handler,
            inputs=canvas_inputs,
            outputs=canvas_outputs,
            api_name=api_name,
            trigger_mode="always_last",
            concurrency_limit=4,
            concurrency_id="reading",
            show_progress="hidden",
        ).then(None, js=drawing_canvas.ANSWERED_JS)
        # The answers are on the page (and counted); the pictures follow as a second step. "multiple": every
        # step asked for runs, each with the drawing as it is then (Gradio's default, "once", drops one asked
        # for while another is pending, and "always_last" all but the last of several), so every answer on the
        # page is followed by its pictures.
        answered.then(
            pictures_handler,
            inputs=[parts["current"]],
            outputs=[parts["explanation"], parts["steps"]],
            api_name=False,
            trigger_mode="multiple",
            concurrency_limit=2,
            concurrency_id="pictures",
            show_progress="hidden",
        ).then(None, js=drawing_canvas.PICTURED_JS)
    # Saving a label is its own event, with its own workers: a reading never waits for a save.
    parts["said"].input(
        label_events.save_label,
        inputs=[parts["said"], parts["current"]],
        outputs=[parts["said_note"], parts["said"]],
        api_name="label",
        concurrency_limit=2,
        concurrency_id="collect",
        show_progress="hidden",
    )
    parts["undo_label"].click(
        label_events.forget_label,
        inputs=[parts["current"]],
        outputs=[parts["said_note"], parts["said"]],
        api_name="forget_label",
        concurrency_limit=2,
        concurrency_id="collect",
        show_progress="hidden",
    )
    parts["read_button"].click(
        bind(respond_upload, reader, read),
        inputs=[parts["upload"], parts["method"]],
        outputs=outputs,
        api_name=API_NAME,
        concurrency_limit=4,
        show_progress="hidden",
    )


def build_demo(
    reader: DigitReader | None = None,
    *,
    title: str = "MNIST: MLP vs CNN, draw a digit",
    read=read_drawing,
    collection=None,
):
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
    import gradio as gr  # lazy: Gradio is loaded only where an app is built

    reader = reader or DigitReader.from_saved()
    LabelEvents.accept_requests(gr.Request)
    # Every reading writes its images to Gradio's cache: files older than an hour are deleted
    # every hour, so a demo shared for days does not fill the disk.
    with gr.Blocks(title=title, delete_cache=(3600, 3600)) as demo:
        gr.Markdown(
            f"## {title}\nDraw one digit (0-9) large in the middle of the canvas. Both models read "
            "the same 28x28 input each time you lift the pen, undo, redo or erase."
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=320):
                parts = _drawing_column(collection is not None)
            with gr.Column(scale=2, min_width=320):
                parts.update(_answer_column(reader.names))
        _wire_events(parts, reader, read, LabelEvents(collection))
    demo.queue(default_concurrency_limit=4, max_size=64)
    return demo


def open_share_link(demo) -> str | None:
    """Open Gradio's share tunnel for a running demo; one line and ``None`` if it cannot."""
    from gradio import networking  # lazy: Gradio is loaded only where an app is built or shared

    try:
        url = networking.setup_tunnel(
            local_host=demo.server_name,
            local_port=demo.server_port,
            share_token=demo.share_token,
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


def launch_demo(
    demo,
    *,
    share: bool = False,
    port: int | None = None,
    auth=None,
    host: str = "127.0.0.1",
    block: bool = True,
):
    """Serve ``demo`` locally (and through a share link if asked and possible).

    ``auth`` is ``(user, password)``: logins go through a ``LoginGuard`` (5 wrong tries a minute)."""
    if isinstance(auth, tuple):
        auth = LoginGuard(*auth)
    demo.launch(
        server_name=host,
        server_port=port,
        share=False,
        auth=auth,
        show_error=False,
        css=CSS,
        max_file_size="5mb",
        prevent_thread_lock=True,
        quiet=True,
        ssr_mode=False,
    )
    print(f"Demo running at {demo.local_url}")
    if share:
        url = open_share_link(demo)
        if url:
            print(
                f"Share link: {url}"
                + ("" if auth else " (anyone with the link can use it; consider --auth user:password)")
            )
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
    big = np.asarray(
        Image.fromarray((ink * 255).astype(np.uint8)).resize((side, side), Image.Resampling.BILINEAR)
    )
    canvas = np.full((size, size, 4), 255, dtype=np.uint8)
    top = (size - side) // 2
    gray = 255 - big
    canvas[top : top + side, top : top + side, :3] = gray[..., None]
    return {"background": None, "layers": [], "composite": canvas}
