"""Drive the running demo in a real Chromium: draw strokes, press the button, read the answer.

Used by the browser test and to take the demo screenshot for the README and report.
Needs Playwright (``pip install playwright``) and a Chromium; Debian's ``/usr/bin/chromium``
is used when it exists, so no browser download is needed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

#: Strokes as lists of (x, y) in canvas fractions.
DIGIT_STROKES = {
    1: [[(0.5, 0.2), (0.5, 0.8)]],
    7: [[(0.3, 0.22), (0.7, 0.22), (0.45, 0.8)]],
}


def chromium_path() -> str | None:
    for candidate in (shutil.which("chromium"), "/usr/bin/chromium", shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def draw_and_read(url: str, strokes, *, screenshot: str | Path | None = None, method_label: str | None = None,
                  timeout_ms: int = 30_000) -> str:
    """Open ``url``, draw ``strokes`` with the mouse, press Read digit; return the status text."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        executable = chromium_path()
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url, wait_until="networkidle")
            page.locator('#canvas button[aria-label="Brush"]').wait_for(state="visible", timeout=timeout_ms)
            page.wait_for_timeout(500)  # the page's own script picks the brush
            canvas = page.locator("#canvas canvas").first
            box = canvas.bounding_box()
            for stroke in strokes:
                points = [(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy) for fx, fy in stroke]
                page.mouse.move(*points[0])
                page.mouse.down()
                for (x0, y0), (x1, y1) in zip(points, points[1:]):
                    for step in range(1, 16):
                        page.mouse.move(x0 + (x1 - x0) * step / 15, y0 + (y1 - y0) * step / 15)
                page.mouse.up()
            if method_label:
                page.get_by_label(method_label).check()
            page.wait_for_timeout(300)
            page.locator("#read").click()
            page.wait_for_function(
                "() => (document.querySelector('#status')?.innerText || '').includes('reads')", timeout=timeout_ms)
            page.wait_for_timeout(500)
            if screenshot:
                page.screenshot(path=str(screenshot), full_page=True)
            return page.locator("#status").inner_text()
        finally:
            browser.close()
