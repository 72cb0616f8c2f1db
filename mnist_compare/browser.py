"""Drive the running demo in a real Chromium: draw strokes with the mouse, read the live answers, clear.

Used by the browser test and to take the demo screenshot for the README and report.
Needs Playwright (``pip install playwright``) and a Chromium; Debian's ``/usr/bin/chromium``
is used when it exists, so no browser download is needed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from . import registry
from .strokes import DIGIT_STROKES, DIGIT_STYLES, render_strokes

__all__ = ["DIGIT_STROKES", "DIGIT_STYLES", "render_strokes"]  # the strokes the browser tests draw

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    for candidate in (shutil.which("chromium"), "/usr/bin/chromium", shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


#: The two viewports of the journey: a phone (390 px wide, as an iPhone 12-15) and a desktop.
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 1000}
#: The report's picture of the demo: a window narrow enough that, printed across the page (186 mm), the
#: page's 14-px text is about 8 pt; the picture is cropped to the canvas, the answers and the steps.
REPORT = {"width": 860, "height": 1000}
#: What the report's picture of the demo holds: the canvas, the answers and what the readers look at (the
#: preprocessing steps have a figure of their own in the report).
REPORT_PARTS = ("#canvas", "#status", "#saliency") + tuple(
    f"#{name}-label" for name in registry.demo_models()
)


def crop_box(page, selectors=REPORT_PARTS, margin: float = 8.0) -> dict:
    """The smallest page rectangle holding every element of ``selectors`` (for a cropped screenshot)."""
    boxes = [page.locator(selector).first.bounding_box() for selector in selectors]
    boxes = [box for box in boxes if box]
    left = min(box["x"] for box in boxes) - margin
    top = min(box["y"] for box in boxes) - margin
    right = max(box["x"] + box["width"] for box in boxes) + margin
    bottom = max(box["y"] + box["height"] for box in boxes) + margin
    return {
        "x": max(0.0, left),
        "y": max(0.0, top),
        "width": right - max(0.0, left),
        "height": bottom - max(0.0, top),
    }


#: The switches for drawing on the demo's canvas: the same as everywhere. Measured on this 2-core machine
#: (Chromium CPU seconds for the same three drawings): as they are 36.2; with --disable-gpu-rasterization,
#: --disable-gpu-compositing and --force-device-scale-factor=1 37.3; each of the first two alone 37.6
#: and 38.5. None helped, so none is added.
DRAWING_ARGS = list(CHROMIUM_ARGS)

#: Installed in every page before the demo's own scripts: counts what the drawing waits for, so that
#: nothing waits a fixed time. A reading is done when the page has counted its answer on the canvas
#: (``data-answered``, set after the outputs are shown) and the status's progress tracker shows no
#: pending event; the canvas is ready when its script has run and the brush is the selected tool.
PAGE_PROBE_JS = """
(() => {
  const state = window.__mnistProbe = {readings: 0, brushPicks: 0, pending: false, brush: false,
                                       lastUp: 0, lastDone: 0};
  const brushReady = () => Boolean(document.querySelector(
    '#canvas .mc-canvas[data-ready="1"] button[data-action="brush"][aria-pressed="true"]'));
  const pending = () => {
    const tracker = document.querySelector('#status [data-testid="status-tracker"]');
    return Boolean(tracker && (tracker.classList.contains('translucent') || tracker.querySelector('.progress-text')));
  };
  const check = () => {
    state.pending = pending();
    const root = document.querySelector('#canvas .mc-canvas');
    const answered = root ? Number(root.dataset.answered || 0) : 0;
    if (answered > state.readings) { state.readings = answered; state.lastDone = Number(root.dataset.answeredAt); }
    const nowBrush = brushReady();
    if (nowBrush && !state.brush) state.brushPicks += 1;
    state.brush = nowBrush;
  };
  document.addEventListener('pointerup', () => { state.lastUp = performance.now(); }, true);
  const start = () => {
    new MutationObserver(check).observe(document.documentElement,
      {subtree: true, childList: true, attributes: true, attributeFilter: ['class', 'data-answered'],
       characterData: true});
    check();
  };
  if (document.documentElement) start(); else document.addEventListener('DOMContentLoaded', start);
})();
"""


#: How many drawings the page's canvas has sent (its ``data-sent``, one per change of the drawing).
SENT_JS = "Number(document.querySelector('#canvas .mc-canvas').dataset.sent)"


class Chromium:
    """One headless Chromium (and its Playwright) for any number of pages: ``with Chromium() as chromium:``.

    Playwright's synchronous API belongs to the thread that started it: use one from one thread only.
    """

    def __init__(self, args=None):
        self.args = list(DRAWING_ARGS if args is None else args)
        self._playwright = self._manager = self.browser = None

    def __enter__(self) -> "Chromium":
        from playwright.sync_api import sync_playwright

        self._manager = sync_playwright()
        self._playwright = self._manager.__enter__()
        try:
            self.browser = self._playwright.chromium.launch(
                executable_path=chromium_path(), headless=True, args=self.args
            )
        except BaseException:
            self._manager.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info):
        try:
            self.browser.close()
        finally:
            self._manager.__exit__(*exc_info)

    def visitor(self, url: str, *, viewport: dict | None = None, timeout_ms: int = 180_000) -> "Visitor":
        """A new visitor (its own browser context: cookies, Gradio session) with the demo open."""
        # The report's picture at twice the pixels per CSS pixel, so that it prints sharp at its width.
        scale = 2 if viewport == REPORT else 1
        context = self.browser.new_context(viewport=viewport or DESKTOP, device_scale_factor=scale)
        context.add_init_script(PAGE_PROBE_JS)
        visitor = Visitor(context.new_page(), timeout_ms)
        visitor.open(url)
        return visitor


class Visitor:
    """One page with the demo: draw strokes, read the live answer, clear; every wait is for an event."""

    def __init__(self, page, timeout_ms: int = 180_000):
        self.page, self.timeout_ms = page, timeout_ms

    def close(self) -> None:
        self.page.context.close()

    def _probe(self, key: str):
        return self.page.evaluate(f"() => window.__mnistProbe.{key}")

    def readings(self) -> int:
        """How many readings this page has shown so far (for ``wait_reading``)."""
        return self._probe("readings")

    def open(self, url: str) -> None:
        self.page.goto(url, wait_until="domcontentloaded", timeout=self.timeout_ms)
        # the canvas's script has run and the brush is picked
        self.page.wait_for_function(
            "() => window.__mnistProbe.brush && !window.__mnistProbe.pending", timeout=self.timeout_ms
        )
        self.wait_for_layout()

    def wait_for_layout(self, settle_ms: int = 500) -> None:
        """Wait until the page's fonts are in and the canvas has stayed in one place for ``settle_ms``: on a
        busy machine the page is still laid out after its scripts ran, and a stroke aimed at where the canvas
        was would miss it."""
        self.page.evaluate("() => document.fonts.ready.then(() => true)")
        self.page.wait_for_function(
            """(settle) => {
              const box = document.querySelector('#canvas canvas')?.getBoundingClientRect();
              if (!box) return false;
              const now = performance.now(), key = [box.x, box.y, box.width, box.height].join();
              const last = window.__mnistLayout;
              if (!last || last.key !== key) { window.__mnistLayout = {key, since: now}; return false; }
              return now - last.since >= settle;
            }""",
            arg=settle_ms,
            polling=50,
            timeout=self.timeout_ms,
        )

    def canvas_box(self) -> dict:
        return self.page.locator("#canvas canvas").first.bounding_box()

    def stroke(self, stroke, box: dict | None = None) -> int:
        """Draw one stroke; returns the number of readings done before it (for ``wait_reading``).

        The stroke's end sends one reading: this returns once the page has sent it. A stroke that never
        reached the canvas (on a busy machine the page can still move after it looked settled) is drawn once
        more where the canvas is then, and said so."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        done = self.readings()
        sent = int(self.page.evaluate(f"() => {SENT_JS}"))
        _stroke(self.page, box or self.canvas_box(), stroke)
        try:
            self.page.wait_for_function(f"(n) => {SENT_JS} > n", arg=sent, timeout=5_000)
        except PlaywrightTimeout:
            print(
                "A stroke missed the canvas (the page moved under it); drawn again where the canvas is now."
            )
            self.wait_for_layout()
            _stroke(self.page, self.canvas_box(), stroke)
            self.page.wait_for_function(f"(n) => {SENT_JS} > n", arg=sent, timeout=self.timeout_ms)
        return done

    def wait_reading(self, done_before: int) -> float:
        """Wait for the answer to the reading sent after ``done_before`` readings; returns the milliseconds
        from the stroke's end (pointer released) to the answer on the page, as the page timed them."""
        self.page.wait_for_function(
            "(n) => window.__mnistProbe.readings > n && !window.__mnistProbe.pending",
            arg=done_before,
            timeout=self.timeout_ms,
        )
        return self.page.evaluate("() => window.__mnistProbe.lastDone - window.__mnistProbe.lastUp")

    def wait_pictures(self) -> None:
        """Wait until the pictures of every answer on the page are there too (they follow the answers)."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        counts = "const r = document.querySelector('#canvas .mc-canvas');"
        try:
            self.page.wait_for_function(
                f"() => {{ {counts} return Number(r.dataset.pictured || 0) >= Number(r.dataset.answered || 0); }}",
                timeout=self.timeout_ms,
            )
        except PlaywrightTimeout:
            answered, pictured = self.page.evaluate(
                f"() => {{ {counts} return [r.dataset.answered, r.dataset.pictured]; }}"
            )
            raise AssertionError(
                f"{answered} answers on the page but pictures for {pictured} of them"
            ) from None

    def status(self) -> str:
        return self.page.locator("#status").inner_text().strip()

    def clear(self) -> None:
        """Press Clear and wait until the answer is gone (Clear is read like any change of the drawing)."""
        done = self.readings()
        self.page.locator("#clear").click()
        self.page.wait_for_function(
            "(n) => { const p = window.__mnistProbe; const t = document.querySelector('#status')?.innerText "
            "|| '';"
            " return p.readings > n && p.brush && !p.pending && !t.includes('reads'); }",
            arg=done,
            timeout=self.timeout_ms,
        )

    def press(self, action: str) -> int:
        """Press a tool of the canvas (``brush``, ``eraser``, ``undo``, ``redo``, ``clear``); returns the
        readings done before it (for ``wait_reading`` after undo, redo and clear)."""
        done = self.readings()
        self.page.locator(f'#canvas button[data-action="{action}"]').click()
        return done

    def draw(self, strokes) -> float:
        """Draw ``strokes`` one after the other, each once the answer to the previous one is on the page
        (the page reads at every stroke's end); returns the latency of the last answer in milliseconds."""
        box = self.canvas_box()
        latency = None
        for stroke in strokes:
            latency = self.wait_reading(self.stroke(stroke, box))
        return latency


def _stroke(page, box, stroke, spacing: float = 24.0, *, release: bool = True) -> None:
    """Press, move through the points (a mouse event every ``spacing`` pixels or so), release (unless
    ``release`` is false: the caller lifts the pen with ``page.mouse.up()``)."""
    import math

    points = [(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy) for fx, fy in stroke]
    page.mouse.move(*points[0])
    page.mouse.down()
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        steps = max(1, math.ceil(math.hypot(x1 - x0, y1 - y0) / spacing))
        page.mouse.move(x1, y1, steps=steps)
    if release:
        page.mouse.up()


def ink_share(page) -> float:
    """The share of black (ink) pixels on the canvas as the page shows it (0 when it is empty), from a
    screenshot of its drawing area (the toolbars at its edges are left out)."""
    import io

    import numpy as np
    from PIL import Image

    box = page.locator("#canvas canvas").first.bounding_box()
    clip = {
        "x": box["x"] + 0.15 * box["width"],
        "y": box["y"] + 0.1 * box["height"],
        "width": 0.7 * box["width"],
        "height": 0.85 * box["height"],
    }
    pixels = np.asarray(Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("L"))
    return float((pixels < 80).mean())


def read_and_clear(
    visitor: Visitor, label, latency_ms: float, *, screenshot: str | Path | None = None
) -> dict:
    """Note the answer on ``visitor``'s page (status, ink; a full-page screenshot if asked), press Clear
    and note the ink left: one outcome of ``draw_session``."""
    status = visitor.status()
    ink = ink_share(visitor.page)
    if screenshot:
        visitor.wait_pictures()
        if visitor.page.viewport_size == REPORT:
            visitor.page.screenshot(path=str(screenshot), clip=crop_box(visitor.page), full_page=True)
        else:
            visitor.page.screenshot(path=str(screenshot), full_page=True)
    visitor.clear()
    return {
        "label": label,
        "status": status,
        "ink": ink,
        "ink_after_clear": ink_share(visitor.page),
        "latency_ms": latency_ms,
    }


def draw_session(
    url: str,
    drawings,
    *,
    viewport: dict | None = None,
    screenshot: str | Path | None = None,
    screenshot_after: int | None = None,
    timeout_ms: int = 180_000,
    chromium: Chromium | None = None,
) -> list[dict]:
    """One visitor: open the page once, then for each ``(label, strokes)`` of ``drawings`` draw it with the
    mouse, let the live reading answer (no button), note the answer, and press Clear (never reloading).

    Returns one dict per drawing: the status text, the ink share before and after Clear, and the
    milliseconds from the last stroke's end to the answer on the page. ``screenshot_after`` (an index)
    saves the page with that drawing's answer to ``screenshot``. ``chromium`` (a running ``Chromium``)
    is used instead of starting one.
    """
    if chromium is None:
        with Chromium() as own:
            return draw_session(
                url,
                drawings,
                viewport=viewport,
                screenshot=screenshot,
                screenshot_after=screenshot_after,
                timeout_ms=timeout_ms,
                chromium=own,
            )
    visitor = chromium.visitor(url, viewport=viewport, timeout_ms=timeout_ms)
    try:
        outcomes = []
        for index, (label, strokes) in enumerate(drawings):
            latency = visitor.draw(strokes)
            outcomes.append(
                read_and_clear(
                    visitor, label, latency, screenshot=screenshot if screenshot_after == index else None
                )
            )
        return outcomes
    finally:
        visitor.close()
