"""Benchmarks that anyone can rerun: ``python -m mnist_compare bench``.

This version measures the demo's prediction latency (the model call alone and a
whole request through the running app on loopback, preprocessing included).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from . import config, storage


def _summary(seconds: list[float]) -> dict:
    ms = sorted(s * 1000 for s in seconds)
    return {"n": len(ms), "median_ms": statistics.median(ms),
            "p95_ms": ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))], "min_ms": ms[0]}


def demo_latency(reader, digit_images, *, requests: int = 200) -> dict:
    """Median and p95 of: one model call (both models), one read_drawing, one HTTP request."""
    from gradio_client import Client, handle_file
    from PIL import Image

    from . import demo

    batch = np.zeros((1, 28, 28, 1), dtype=np.float32)
    for _ in range(20):
        reader.predict(batch)
    model_call = []
    for i in range(requests):
        batch = digit_images[i % len(digit_images)][None, :, :, None].astype(np.float32) / 255.0
        start = time.perf_counter()
        reader.predict(batch)
        model_call.append(time.perf_counter() - start)

    canvases = [demo.sample_canvas(image) for image in digit_images[:20]]
    in_process = []
    for i in range(requests):
        start = time.perf_counter()
        demo.read_drawing(reader, canvases[i % len(canvases)])
        in_process.append(time.perf_counter() - start)

    app = demo.build_demo(reader)
    demo.launch_demo(app, block=False)
    try:
        with tempfile.TemporaryDirectory() as folder:
            files = []
            for i, canvas in enumerate(canvases):
                path = Path(folder) / f"digit{i}.png"
                Image.fromarray(canvas["composite"]).save(path)
                files.append(str(path))
            client = Client(app.local_url, verbose=False)
            http = []
            for i in range(requests // 2 + 10):
                value = {"background": None, "layers": [], "composite": handle_file(files[i % len(files)])}
                start = time.perf_counter()
                client.predict(value, "bbox", api_name="/predict")
                if i >= 10:
                    http.append(time.perf_counter() - start)
    finally:
        app.close()
    return {
        "model_call_both_models": _summary(model_call),
        "read_drawing_in_process": _summary(in_process),
        "http_request_gradio_client": _summary(http),
        "note": "400x400 RGBA canvas; HTTP through gradio_client on 127.0.0.1, file upload included",
    }


def run_benchmarks(*, fast: bool | None = None) -> dict:
    from .data import load_mnist
    from .demo import DigitReader
    from .experiments import machine_info

    reader = DigitReader.from_saved(fast=fast)
    (_, _), (x_test, _) = load_mnist()
    results = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_info(),
        "demo_latency": demo_latency(reader, x_test[:50]),
    }
    path = config.output_paths(fast).benchmark
    storage.write_json(path, results)
    return results | {"path": str(path)}
