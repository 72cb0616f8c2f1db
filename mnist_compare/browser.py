"""Drive the running demo in a real Chromium: draw strokes with the mouse, read the live answers, clear.

Used by the browser test and to take the demo screenshot for the README and report.
Needs Playwright (``pip install playwright``) and a Chromium; Debian's ``/usr/bin/chromium``
is used when it exists, so no browser download is needed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

def _arc(cx, cy, rx, ry, start, end, points=24):
    """Points of an elliptical arc (angles in degrees, 0 = right, 90 = down, as on a screen)."""
    import math

    return [(cx + rx * math.cos(math.radians(start + (end - start) * i / points)),
             cy + ry * math.sin(math.radians(start + (end - start) * i / points))) for i in range(points + 1)]


#: Strokes as lists of (x, y) in canvas fractions: one list of strokes per way of writing a digit
#: (the browser test draws two of each digit, each in its own style).
DIGIT_STYLES = {
    0: [[_arc(0.5, 0.5, 0.2, 0.3, -90, 275)],
        [_arc(0.5, 0.5, 0.14, 0.28, -100, 262)]],
    1: [[[(0.5, 0.2), (0.5, 0.8)]],
        [[(0.38, 0.3), (0.53, 0.18), (0.53, 0.8)]]],  # with a flag
    2: [[_arc(0.5, 0.35, 0.17, 0.15, 190, 390) + [(0.3, 0.8), (0.72, 0.8)]],
        [_arc(0.48, 0.33, 0.16, 0.13, 200, 380) + [(0.34, 0.78), (0.3, 0.8), (0.7, 0.79)]]],
    3: [[_arc(0.48, 0.34, 0.16, 0.14, 200, 450) + _arc(0.48, 0.63, 0.18, 0.17, 270, 500)[1:]],
        [[(0.32, 0.2), (0.66, 0.2), (0.48, 0.42)] + _arc(0.48, 0.6, 0.18, 0.18, 280, 500)[1:]]],  # flat top
    4: [[[(0.4, 0.18), (0.3, 0.58), (0.72, 0.58)], [(0.6, 0.3), (0.6, 0.84)]],
        [[(0.62, 0.84), (0.62, 0.18), (0.28, 0.6), (0.74, 0.6)]]],  # closed
    5: [[[(0.68, 0.2), (0.37, 0.2), (0.34, 0.46)] + _arc(0.48, 0.62, 0.18, 0.18, 225, 500)[1:]],
        [[(0.36, 0.2), (0.33, 0.46)] + _arc(0.48, 0.62, 0.18, 0.18, 225, 500)[1:], [(0.36, 0.2), (0.7, 0.2)]]],
    6: [[[(0.62, 0.18), (0.45, 0.35), (0.33, 0.62)] + _arc(0.5, 0.65, 0.17, 0.16, 180, 540)[1:]],
        [_arc(0.56, 0.42, 0.24, 0.26, 270, 180) + _arc(0.5, 0.66, 0.16, 0.15, 180, 520)[1:]]],
    7: [[[(0.3, 0.22), (0.7, 0.22), (0.45, 0.8)]],
        [[(0.3, 0.22), (0.7, 0.22), (0.45, 0.8)], [(0.42, 0.5), (0.66, 0.5)]]],  # crossed
    8: [[_arc(0.5, 0.33, 0.14, 0.14, 90, 450) + _arc(0.5, 0.64, 0.17, 0.17, -90, 270)[1:]],
        [_arc(0.5, 0.34, 0.15, 0.15, 0, 360), _arc(0.5, 0.65, 0.17, 0.16, -90, 270)]],
    9: [[_arc(0.5, 0.35, 0.17, 0.15, 0, 370) + [(0.67, 0.35), (0.63, 0.82)]],
        [_arc(0.5, 0.36, 0.16, 0.14, 0, 370) + [(0.66, 0.4), (0.58, 0.65), (0.45, 0.82)]]],  # curved tail
}
DIGIT_STROKES = {digit: styles[0] for digit, styles in DIGIT_STYLES.items()}


def render_strokes(strokes, *, size: int = 400, width: int = 22):
    """The strokes drawn with a round black brush on a white ``size`` x ``size`` canvas (uint8 gray):
    what the Sketchpad sends for them, without a browser."""
    import numpy as np
    from PIL import Image, ImageDraw

    image = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        points = [(x * size, y * size) for x, y in stroke]
        draw.line(points, fill=0, width=width, joint="curve")
        for x, y in (points[0], points[-1]):
            draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=0)
    return np.asarray(image)


def chromium_path() -> str | None:
    for candidate in (shutil.which("chromium"), "/usr/bin/chromium", shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


#: The two viewports of the journey: a phone (390 px wide, as an iPhone 12-15) and a desktop.
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 1000}
def _open(page, url: str, timeout_ms: int):
    page.goto(url, wait_until="networkidle")
    page.locator('#canvas button[aria-label="Brush"]').wait_for(state="visible", timeout=timeout_ms)
    page.wait_for_timeout(500)  # the page's own script picks the brush


def _stroke(page, box, stroke, spacing: float = 24.0) -> None:
    """Press, move through the points (a mouse event every ``spacing`` pixels or so), release."""
    import math

    points = [(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy) for fx, fy in stroke]
    page.mouse.move(*points[0])
    page.mouse.down()
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        steps = max(1, math.ceil(math.hypot(x1 - x0, y1 - y0) / spacing))
        page.mouse.move(x1, y1, steps=steps)
    page.mouse.up()


def _settled_status(page, timeout_ms: int) -> str:
    """The status once it holds a reading and has stopped changing."""
    page.wait_for_function(
        "() => (document.querySelector('#status')?.innerText || '').includes('reads')", timeout=timeout_ms)
    previous, waited = None, 0
    while waited < timeout_ms:
        text = page.locator("#status").inner_text()
        if text == previous:
            return text
        previous = text
        page.wait_for_timeout(200)
        waited += 200
    return previous


def ink_share(page) -> float:
    """The share of black (ink) pixels on the canvas as the page shows it (0 when it is empty), from a
    screenshot of its drawing area (the toolbars at its edges are left out)."""
    import io

    import numpy as np
    from PIL import Image

    box = page.locator("#canvas canvas").first.bounding_box()
    clip = {"x": box["x"] + 0.15 * box["width"], "y": box["y"] + 0.1 * box["height"],
            "width": 0.7 * box["width"], "height": 0.85 * box["height"]}
    pixels = np.asarray(Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("L"))
    return float((pixels < 80).mean())


def draw_session(url: str, drawings, *, viewport: dict | None = None, screenshot: str | Path | None = None,
                 screenshot_after: int | None = None, timeout_ms: int = 30_000, stroke_pause_ms: int = 300) -> list[dict]:
    """One visitor: open the page once, then for each ``(label, strokes)`` of ``drawings`` draw it with the
    mouse, let the live reading answer (no button), note the answer, and press Clear (never reloading).

    Returns one dict per drawing: the status text, the ink share before and after Clear, whether the
    status was reset, and the milliseconds from the last stroke's end to the answer on the page.
    ``screenshot_after`` (an index) saves the page with that drawing's answer to ``screenshot``.
    """
    import time

    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=viewport or DESKTOP)
            _open(page, url, timeout_ms)
            outcomes = []
            for index, (label, strokes) in enumerate(drawings):
                box = page.locator("#canvas canvas").first.bounding_box()
                for number, stroke in enumerate(strokes):
                    before = page.locator("#status").inner_text()
                    with page.expect_request(lambda request: "queue/join" in request.url, timeout=4 * timeout_ms):
                        _stroke(page, box, stroke)
                    ended = time.perf_counter()
                    if number < len(strokes) - 1:
                        page.wait_for_timeout(stroke_pause_ms)
                try:
                    page.wait_for_function(
                        "(before) => { const t = document.querySelector('#status')?.innerText || '';"
                        " return t.includes('reads') && t !== before; }", arg=before, timeout=min(timeout_ms, 5000))
                    latency_ms = (time.perf_counter() - ended) * 1000
                except PlaywrightTimeout:  # the last stroke left the answer word for word as it was
                    latency_ms = None
                status = _settled_status(page, timeout_ms)
                ink = ink_share(page)
                if screenshot and screenshot_after == index:
                    page.screenshot(path=str(screenshot), full_page=True)
                page.locator("#clear").click()
                page.wait_for_function(
                    "() => !(document.querySelector('#status')?.innerText || '').includes('reads')",
                    timeout=timeout_ms)
                page.wait_for_timeout(250)
                outcomes.append({"label": label, "status": status, "ink": ink, "ink_after_clear": ink_share(page),
                                 "latency_ms": latency_ms})
            return outcomes
        finally:
            browser.close()
