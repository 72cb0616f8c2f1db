"""The demo's drawing canvas: a plain HTML canvas in a ``gr.HTML`` component (Gradio 6's public API for
custom components), and the decoding of what it sends.

Why not ``gr.Sketchpad``: to read a drawing the Sketchpad exports its layers as PNG files through
PixiJS and uploads them, which took 750-800 ms per reading in headless Chromium here before the request
even left the page (``docs/speed.md``). This canvas draws with the 2-D canvas API, keeps its own stroke
history (undo, redo, eraser, clear), and on every pen lift, undo, redo and clear sends one PNG of the
drawing as a ``data:`` URL (a few KB) with the component's ``submit`` event. The event's
``trigger_mode="always_last"`` queues a reading asked while one is pending as "the latest" and never
drops it, so the answer on the page is always the answer to the drawing on the canvas.
"""

from __future__ import annotations

import base64
import binascii
from io import BytesIO

import numpy as np
from PIL import Image

from .preprocessing import InvalidCanvasError
from .uploads import check_upload_header

CANVAS_SIDE = 400
INK_WIDTH = 22
ERASER_WIDTH = 44
#: The longest value accepted from the page: a 400x400 PNG of a drawing is 5-30 KB; anything far larger
#: is refused before it is decoded (a forged request).
MAX_VALUE_CHARS = 2_000_000
PNG_PREFIX = "data:image/png;base64,"

CANVAS_HTML = f"""
<div class="mc-canvas" data-ready="0" data-sent="0" data-answered="0">
  <div class="mc-tools" role="toolbar" aria-label="Drawing tools">
    <button type="button" data-action="brush" aria-pressed="true" title="Brush">Brush</button>
    <button type="button" data-action="eraser" aria-pressed="false" title="Eraser">Eraser</button>
    <button type="button" data-action="undo" disabled title="Undo">Undo</button>
    <button type="button" data-action="redo" disabled title="Redo">Redo</button>
    <button type="button" data-action="clear" id="clear" title="Clear the canvas">Clear</button>
  </div>
  <canvas width="{CANVAS_SIDE}" height="{CANVAS_SIDE}" aria-label="Drawing canvas: draw one digit"></canvas>
</div>
"""

CANVAS_CSS = """
.mc-canvas { display: flex; flex-direction: column; gap: 6px; width: 100%; max-width: 420px; }
.mc-tools { display: flex; flex-wrap: wrap; gap: 4px; }
.mc-tools button { flex: 1 1 auto; min-height: 36px; padding: 4px 8px; border: 1px solid #9ca3af;
  border-radius: 6px; background: #f9fafb; color: #111827; font-size: 14px; cursor: pointer; }
.mc-tools button[aria-pressed="true"] { background: #1f2937; color: #ffffff; }
.mc-tools button:disabled { opacity: 0.45; cursor: default; }
.mc-canvas canvas { width: 100%; height: auto; aspect-ratio: 1 / 1; touch-action: none; background: #ffffff;
  border: 2px solid #9ca3af; border-radius: 8px; box-sizing: border-box; cursor: crosshair; }
"""

#: The canvas's script (``js_on_load``: ``element``, ``props`` and ``trigger`` are given by Gradio).
#: Each stroke is kept as its points; undo, redo and clear redraw from that history. Every change of
#: the drawing sets the component's value (a PNG ``data:`` URL, or "" when there is no stroke) and
#: triggers ``submit`` once; ``data-sent`` counts them (the browser tests read it). A backslash at the end
#: of a line joins it to the next (long lines of the script, kept as they are sent).
CANVAS_JS = """
const root = element.querySelector('.mc-canvas');
const canvas = root.querySelector('canvas');
const ctx = canvas.getContext('2d');
const SIDE = canvas.width, INK = %(ink)d, ERASER = %(eraser)d;
const buttons = {};
root.querySelectorAll('button[data-action]').forEach((button) => { \
buttons[button.dataset.action] = button; });
let strokes = [], undone = [], current = null, tool = 'brush';

const widthOf = (stroke) => (stroke.erase ? ERASER : INK);
const paintSegment = (stroke, from, to) => {
  ctx.strokeStyle = ctx.fillStyle = stroke.erase ? '#ffffff' : '#000000';
  ctx.lineWidth = widthOf(stroke);
  ctx.lineCap = 'round'; ctx.lineJoin = 'round';
  ctx.beginPath();
  if (!to) { ctx.arc(from[0], from[1], widthOf(stroke) / 2, 0, 2 * Math.PI); ctx.fill(); return; }
  ctx.moveTo(from[0], from[1]); ctx.lineTo(to[0], to[1]); ctx.stroke();
};
// A stroke is repainted as it was first drawn, dot then segment by segment, so the pixels after undo and
// redo are the ones the pen left (one path would blend its antialiased edges differently).
const paint = (stroke) => {
  const p = stroke.points;
  paintSegment(stroke, p[0]);
  for (let i = 1; i < p.length; i++) paintSegment(stroke, p[i - 1], p[i]);
};
const redraw = () => { ctx.fillStyle = '#ffffff'; ctx.fillRect(0, 0, SIDE, SIDE); strokes.forEach(paint); };
const send = () => {
  buttons.undo.disabled = strokes.length === 0;
  buttons.redo.disabled = undone.length === 0;
  props.value = strokes.length ? canvas.toDataURL('image/png') : '';
  root.dataset.sent = String(Number(root.dataset.sent) + 1);
  trigger('submit');
};
const setTool = (name) => {
  tool = name;
  buttons.brush.setAttribute('aria-pressed', String(name === 'brush'));
  buttons.eraser.setAttribute('aria-pressed', String(name === 'eraser'));
};
const at = (event) => {
  const box = canvas.getBoundingClientRect();
  return [(event.clientX - box.left) * SIDE / box.width, (event.clientY - box.top) * SIDE / box.height];
};
canvas.addEventListener('pointerdown', (event) => {
  if (event.button > 0 || current) return;
  event.preventDefault();
  try { canvas.setPointerCapture(event.pointerId); } \
catch (error) { /* released already: the stroke still ends */ }
  current = {erase: tool === 'eraser', points: [at(event)], pointer: event.pointerId};
  paintSegment(current, current.points[0]);
});
canvas.addEventListener('pointermove', (event) => {
  if (!current || event.pointerId !== current.pointer) return;
  const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
  for (const each of (events.length ? events : [event])) {
    const point = at(each), last = current.points[current.points.length - 1];
    current.points.push(point);
    paintSegment(current, last, point);
  }
});
const finish = (event) => {
  if (!current || event.pointerId !== current.pointer) return;
  strokes.push({erase: current.erase, points: current.points});
  current = null;
  undone = [];
  send();
};
canvas.addEventListener('pointerup', finish);
canvas.addEventListener('pointercancel', finish);
buttons.brush.addEventListener('click', () => setTool('brush'));
buttons.eraser.addEventListener('click', () => setTool('eraser'));
buttons.undo.addEventListener('click', () => {
  if (!strokes.length) return;
  undone.push(strokes.pop()); redraw(); send();
});
buttons.redo.addEventListener('click', () => {
  if (!undone.length) return;
  strokes.push(undone.pop()); redraw(); send();
});
buttons.clear.addEventListener('click', () => {
  strokes = []; undone = []; current = null; redraw(); setTool('brush'); send();
});
redraw();
root.dataset.ready = '1';
""" % {"ink": INK_WIDTH, "eraser": ERASER_WIDTH}


#: Run in the page after each answer is shown: counts it on the canvas (``data-answered``) and notes when.
ANSWERED_JS = """
() => {
  const root = document.querySelector('#canvas .mc-canvas');
  if (!root) return;
  root.dataset.answered = String(Number(root.dataset.answered || 0) + 1);
  root.dataset.answeredAt = String(performance.now());
}
"""

#: Counts the pictures shown (``data-pictured``), after the answers: for the tests and screenshots that
#: need them.
PICTURED_JS = """
() => {
  const root = document.querySelector('#canvas .mc-canvas');
  if (root) root.dataset.pictured = String(Number(root.dataset.pictured || 0) + 1);
}
"""


def decode(value) -> dict | None:
    """The canvas's value (a PNG ``data:`` URL, "" or ``None`` when empty) -> a Sketchpad-like dict
    ``{"background": None, "layers": [], "composite": (H, W, 4) uint8}``, or ``None`` when empty.

    Raises ``InvalidCanvasError`` (a message for the person drawing) for anything else: another kind of
    value, a value far too long, base64 that does not decode, or bytes that are not a sane PNG.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidCanvasError("The canvas sent something that is not a drawing; clear it and draw again.")
    if len(value) > MAX_VALUE_CHARS:
        raise InvalidCanvasError(
            f"The drawing is far too large ({len(value) / 1e6:.1f} MB; the canvas sends "
            f"at most {MAX_VALUE_CHARS / 1e6:.0f} MB). Clear it and draw again."
        )
    if not value.startswith(PNG_PREFIX):
        raise InvalidCanvasError(
            "The canvas sent something that is not a PNG drawing; clear it and draw again."
        )
    try:
        raw = base64.b64decode(value[len(PNG_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidCanvasError("The drawing arrived damaged (not valid base64); draw it again.") from None
    check_upload_header(raw)
    try:
        with Image.open(BytesIO(raw)) as image:
            if image.format != "PNG":
                raise InvalidCanvasError("The canvas sent something that is not a PNG drawing; draw again.")
            rgba = np.asarray(image.convert("RGBA"))
    except OSError:
        raise InvalidCanvasError("The drawing arrived cut short; draw it again.") from None
    return {"background": None, "layers": [], "composite": rgba}


def encode(rgba: np.ndarray) -> str:
    """An image array -> the ``data:`` URL the canvas sends (for tests and the API)."""
    buffer = BytesIO()
    Image.fromarray(np.asarray(rgba, dtype=np.uint8)).save(buffer, format="PNG")
    return PNG_PREFIX + base64.b64encode(buffer.getvalue()).decode("ascii")
