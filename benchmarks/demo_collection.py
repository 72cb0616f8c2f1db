"""What keeping the visitors' drawings costs: a reading with collection on and off, a save, the database's
size.

``python benchmarks/demo_collection.py [--readings 200] [--drawings 1000]``

* **reading, collection on and off**: two demos with the shipped models in this process, one with a
  ``Collection`` and one without; ``/read_canvas`` (what the page's canvas sends at each pen lift) is
  called ``--readings`` times on each through ``gradio_client``, alternating, and the median and p95 round
  trips are printed (the same drawings, the same client code, so the difference is what collection adds);
* **save**: the median time of ``Collection.save`` (preprocessing the drawing three ways, the thumbnail,
  one committed transaction);
* **size**: ``--drawings`` labelled drawings (the browser tests' strokes of the ten digits, jittered) saved
  to a fresh database, its size after a WAL checkpoint, per thousand drawings.

Prints JSON. Compare the two readings of one run; the machine's other load moves both.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mnist_compare import browser, canvas, collection, demo  # noqa: E402


def drawing(digit: int, rng) -> np.ndarray:
    strokes = [
        [(x + rng.normal(0, 0.01), y + rng.normal(0, 0.01)) for x, y in stroke]
        for stroke in browser.DIGIT_STYLES[digit][int(rng.integers(2))]
    ]
    gray = browser.render_strokes(strokes)
    return np.dstack([gray, gray, gray, np.full_like(gray, 255)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=200)
    parser.add_argument("--drawings", type=int, default=1000)
    args = parser.parse_args()
    from gradio_client import Client

    rng = np.random.default_rng(0)
    pictures = [canvas.encode(drawing(d % 10, rng)) for d in range(20)]
    reader = demo.DigitReader.from_saved(fast=False)
    folder = Path(tempfile.mkdtemp())
    store = collection.Collection(folder / "on.sqlite")
    apps = {"off": demo.build_demo(reader), "on": demo.build_demo(reader, collection=store)}
    clients = {}
    for name, app in apps.items():
        demo.launch_demo(app, port=None, block=False)
        clients[name] = Client(app.local_url, verbose=False)
    times = {"on": [], "off": []}
    try:
        for i in range(args.readings):
            for name in ("on", "off") if i % 2 else ("off", "on"):
                start = time.perf_counter()
                clients[name].predict(pictures[i % len(pictures)], "bbox_com", api_name="/read_canvas")
                times[name].append(1000 * (time.perf_counter() - start))
        note, _ = clients["on"].predict("3", api_name="/label")
        assert note.startswith("Kept as"), note
    finally:
        for app in apps.values():
            app.close()

    sizes = collection.Collection(folder / "size.sqlite", rate=(10**9, 60.0))
    saves = []
    for i in range(args.drawings):
        digit = i % 10
        start = time.perf_counter()
        result = sizes.save(
            drawing_id=f"d{i}",
            session=f"s{i // 20}",
            label=digit,
            value={"background": None, "layers": [], "composite": drawing(digit, rng)},
            method="bbox_com",
            answers={"mlp": (digit, 0.9), "cnn": (digit, 0.99)},
        )
        saves.append(1000 * (time.perf_counter() - start))
        assert result.ok, result.message
    sizes.close()
    with sqlite3.connect(sizes.path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = sizes.path.stat().st_size
    report = {
        "reading_ms": {
            name: {
                "median": round(statistics.median(v), 1),
                "p95": round(float(np.percentile(v, 95)), 1),
                "n": len(v),
            }
            for name, v in times.items()
        },
        "save_ms_median": round(statistics.median(saves), 1),
        "database_mb_per_1000_drawings": round(size / 1e6 * 1000 / args.drawings, 2),
        "drawings": args.drawings,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
