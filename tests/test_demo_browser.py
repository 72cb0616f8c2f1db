"""The drawing demo in a real browser, with the models the repository ships (models/*_seed0, epoch 10):
twenty digits in a row on a desktop and on a phone, the phone layout, two visitors at once."""

import os

import numpy as np
import pytest

from mnist_compare import browser, demo, registry
from tests.conftest import CountingRead, needs_browser

pytestmark = pytest.mark.usefixtures("own_gradio_cache")


@pytest.fixture(scope="module")
def shipped_reader():
    try:
        return demo.DigitReader.from_saved(fast=False)
    except (demo.ModelsMissingError, FileNotFoundError) as error:
        if os.environ.get("REQUIRE_BROWSER_TEST"):
            raise
        pytest.skip(f"the shipped models are missing: {error}")


@pytest.fixture(scope="module")
def shipped_server(shipped_reader):
    counter = CountingRead()
    app = demo.build_demo(shipped_reader, read=counter)
    demo.launch_demo(app, port=None, block=False)
    app.counter = counter
    yield app
    app.close()


def _journey(drawings_per_digit=2):
    """Two of each digit, each in its own style, in a shuffled but fixed order."""
    order = np.random.default_rng(7).permutation(10 * drawings_per_digit)
    items = [(digit, style) for digit in range(10) for style in range(drawings_per_digit)]
    return [(items[i][0], browser.DIGIT_STYLES[items[i][0]][items[i][1]]) for i in order]


_answers = demo.answers_in


@pytest.mark.browser
@pytest.mark.slow
@needs_browser
@pytest.mark.parametrize("viewport_name", ["desktop", "phone"])
def test_twenty_digits_in_a_row_read_live_with_clear_between(
    shipped_server, chromium, viewport_name, tmp_path
):
    viewport = browser.DESKTOP if viewport_name == "desktop" else browser.PHONE
    drawings = _journey()
    calls_before = shipped_server.counter.calls
    screenshot = (
        tmp_path / f"demo_{viewport_name}.png"
    )  # the README's pictures: python -m mnist_compare demo --screenshot
    outcomes = browser.draw_session(
        shipped_server.local_url,
        drawings,
        viewport=viewport,
        chromium=chromium,
        screenshot=screenshot,
        screenshot_after=len(drawings) - 1,
    )
    strokes = sum(len(strokes) for _, strokes in drawings)
    assert shipped_server.counter.calls - calls_before == strokes, "one live reading per stroke end"
    correct = {name: 0 for name in demo.MODEL_NAMES}
    per_digit = {}
    for outcome in outcomes:
        answers = _answers(outcome["status"])
        assert set(answers) == set(demo.MODEL_NAMES), outcome["status"]
        assert "centre of mass" in outcome["status"], "the default preprocessing is named"
        assert outcome["ink"] > 0.005, "the brush drew (it is ready after every Clear)"
        assert outcome["ink_after_clear"] == 0, "Clear leaves an empty canvas"
        for name in correct:
            correct[name] += answers[name] == outcome["label"]
        per_digit.setdefault(outcome["label"], []).append(tuple(answers[name] for name in demo.MODEL_NAMES))
    latencies = sorted(o["latency_ms"] for o in outcomes)
    print(
        f"\n{viewport_name}: "
        + ", ".join(f"{demo.MODEL_TITLES[name]} {n}/20" for name, n in correct.items())
        + f"; per digit {tuple(demo.MODEL_NAMES)}: "
        f"{dict(sorted(per_digit.items()))}; live latency median {np.median(latencies):.0f} ms, "
        f"p95 {np.percentile(latencies, 95):.0f} ms over {len(latencies)} drawings"
    )
    assert correct["cnn"] >= 18 and correct["mlp"] >= 16, (correct, per_digit)
    for name in registry.reader_models():
        assert correct[name] >= 18, (correct, per_digit)
    assert screenshot.stat().st_size > 20_000


@pytest.mark.browser
@needs_browser
def test_phone_layout_keeps_the_answer_near_the_canvas(shipped_server, chromium):
    visitor = chromium.visitor(shipped_server.local_url, viewport=browser.PHONE)
    try:
        page = visitor.page
        width = page.evaluate("() => document.documentElement.scrollWidth")
        canvas = page.locator("#canvas").bounding_box()
        status = page.locator("#status").bounding_box()
        boxes = {name: page.locator(f"#{name}").bounding_box() for name in ("steps", "saliency", "mlp-label")}
        drawing_area = page.locator("#canvas canvas").bounding_box()
        tools = page.locator("#canvas .mc-tools").bounding_box()
        visitor.draw(browser.DIGIT_STYLES[1][0])
        page.wait_for_function("() => document.querySelector('#steps img')?.naturalWidth > 0")
        natural, shown = page.evaluate(
            "() => { const img = document.querySelector('#steps img'); return [img.naturalWidth, "
            "img.clientWidth]; }"
        )
    finally:
        visitor.close()
    assert width <= browser.PHONE["width"], "nothing sticks out sideways"
    assert canvas["x"] >= 0 and canvas["x"] + canvas["width"] <= browser.PHONE["width"]
    assert 0 <= status["y"] - (canvas["y"] + canvas["height"]) < 120, "the answer is right below the canvas"
    assert tools["y"] + tools["height"] <= drawing_area["y"], (
        "the tools sit above the drawing area, not on it"
    )
    assert drawing_area["width"] >= 0.85 * browser.PHONE["width"] - 40, (
        "the drawing area takes the phone's width"
    )
    # The steps strip is drawn with 15-px titles: on the phone it is shown at (nearly) its own size.
    assert shown >= 0.9 * natural, (
        f"the steps strip is shrunk to {shown / natural:.0%} of its size on a phone"
    )
    for name, box in boxes.items():
        assert box["x"] >= 0 and box["x"] + box["width"] <= browser.PHONE["width"] + 1, name


class PairingRead(CountingRead):
    """``read_drawing`` that, while ``pairing`` is on, holds each reading until a second one has arrived,
    so that two visitors' readings are in the server at the same time (``pairs`` counts them)."""

    def __init__(self, patience: float = 120.0):
        super().__init__()
        self.pairing, self.patience, self.pairs = False, patience, 0
        self._arrivals = 0
        self._arrived = __import__("threading").Condition(self.lock)

    def __call__(self, *args, **kwargs):
        if self.pairing and not kwargs.get("explain"):  # the answers, not the pictures that follow them
            with self._arrived:
                self._arrivals += 1
                if self._arrivals % 2 == 0:
                    self.pairs += 1
                    self._arrived.notify_all()
                elif not self._arrived.wait_for(
                    lambda target=self._arrivals + 1: self._arrivals >= target, timeout=self.patience
                ):
                    self._arrivals += (
                        1  # nobody came: this reading goes on alone (and the pair count says so)
                    )
        return super().__call__(*args, **kwargs)


@pytest.mark.browser
@needs_browser
def test_concurrent_visitors_see_only_their_own_answers(shipped_reader, chromium):
    """Two visitors (two browser contexts: two Gradio sessions) draw different digits; each digit's last
    stroke is released on both pages at once and both readings are held until they are in the server
    together. Each visitor gets the reading of their own drawing."""
    first = [(d, browser.DIGIT_STYLES[d][0]) for d in (0, 1, 2, 3, 4)]
    second = [(d, browser.DIGIT_STYLES[d][1]) for d in (7, 8, 9, 6, 5)]
    reads = PairingRead()
    app = demo.build_demo(shipped_reader, read=reads)
    demo.launch_demo(app, port=None, block=False)
    visitors = []
    try:
        visitors = [chromium.visitor(app.local_url) for _ in range(2)]
        runs = ([], [])
        for pair in zip(first, second):
            boxes = [visitor.canvas_box() for visitor in visitors]
            for visitor, box, (_, strokes) in zip(visitors, boxes, pair):
                for stroke in strokes[:-1]:  # the strokes before the last, one page at a time
                    visitor.wait_reading(visitor.stroke(stroke, box))
            done = [visitor.readings() for visitor in visitors]
            reads.pairing = True
            for visitor, box, (_, strokes) in zip(visitors, boxes, pair):
                browser._stroke(visitor.page, box, strokes[-1], release=False)
            for visitor in visitors:  # both pens lifted together
                visitor.page.mouse.up()
            latencies = [visitor.wait_reading(count) for visitor, count in zip(visitors, done)]
            reads.pairing = False
            for visitor, outcomes, (digit, _), latency in zip(visitors, runs, pair, latencies):
                outcomes.append(browser.read_and_clear(visitor, digit, latency))
    finally:
        for visitor in visitors:
            visitor.close()
        app.close()
    assert reads.pairs == len(first), "each pair of last strokes was read at the same time"
    assert reads.calls == sum(len(strokes) for _, strokes in first + second), "one reading per stroke end"
    for drawings, outcomes in zip((first, second), runs):
        for (digit, _), outcome in zip(drawings, outcomes):
            assert _answers(outcome["status"])["cnn"] == digit, (digit, outcome["status"])
            assert outcome["ink_after_clear"] == 0
