"""Benchmarks that anyone can rerun: ``python -m mnist_compare bench``.

Training speed: seconds per epoch (54,000 images, batch size 32) of Keras's default
``model.fit`` and of the compiled trainer the experiments use, measured in the same
run, median of several epochs after a warm-up epoch. Prediction latency: the model
call alone, ``read_drawing`` in process, and a whole request through the running app
on loopback, preprocessing included.
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
            raw = _raw_http_latency(app.local_url, files, requests // 2 + 10)
    finally:
        app.close()
    return {
        "http_request_raw": _summary(raw),
        "model_call_both_models": _summary(model_call),
        "read_drawing_in_process": _summary(in_process),
        "http_request_gradio_client": _summary(http),
        "note": "400x400 RGBA canvas on 127.0.0.1, file upload included: gradio_client (upload, queue, "
                "server-sent events) and plain HTTP with httpx (upload, then one POST to /gradio_api/run/predict)",
    }


def _epoch_seconds(train_one_epoch, epochs: int) -> list[float]:
    seconds = []
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        train_one_epoch(epoch)
        seconds.append(time.perf_counter() - start)
    return seconds


def training_speed(splits, *, epochs: int = 4, models=("mlp", "cnn")) -> dict:
    """Seconds per epoch: default ``fit`` vs the compiled trainer, the first (warm-up) epoch excluded."""
    import keras

    from .models import build_model, compile_model
    from .training import TRAINING_OPTIONS, CompiledTrainer, epoch_order

    x, y = splits.x_train, splits.y_train
    report = {"train_images": int(len(y)), "batch_size": config.BATCH_SIZE, "epochs_timed": epochs - 1}
    for name in models:
        keras.utils.set_random_seed(0)
        baseline = compile_model(build_model(name))
        default = _epoch_seconds(lambda _: baseline.fit(x, y, batch_size=config.BATCH_SIZE, epochs=1,
                                                        shuffle=True, verbose=0), epochs)
        keras.utils.set_random_seed(0)
        options = TRAINING_OPTIONS[name]
        trainer = CompiledTrainer(build_model(name, fast_ops=options["fast_ops"]), batch_size=config.BATCH_SIZE,
                                  jit_compile=options["jit_compile"])
        compiled = _epoch_seconds(lambda epoch: trainer.train_epoch(x, y, epoch_order(len(y), 0, epoch)), epochs)
        default_median = statistics.median(default[1:])
        compiled_median = statistics.median(compiled[1:])
        report[name] = {
            "default_fit": {"first_epoch_s": default[0], "epoch_s": default[1:], "median_s": default_median},
            "compiled": {"first_epoch_s": compiled[0], "epoch_s": compiled[1:], "median_s": compiled_median,
                         "options": dict(options)},
            "speedup": default_median / compiled_median,
        }
    return report


def _raw_http_latency(url: str, files: list[str], count: int, warmup: int = 10) -> list[float]:
    """A whole request with plain HTTP: upload the PNG, then POST the prediction and read the answer."""
    import httpx

    payloads = [Path(path).read_bytes() for path in files]
    seconds = []
    with httpx.Client(base_url=url.rstrip("/"), timeout=30) as http:
        for i in range(count):
            start = time.perf_counter()
            uploaded = http.post("/gradio_api/upload", files=[("files", ("digit.png", payloads[i % len(payloads)],
                                                                          "image/png"))])
            uploaded.raise_for_status()
            file_data = {"path": uploaded.json()[0], "meta": {"_type": "gradio.FileData"}}
            answer = http.post("/gradio_api/run/predict",
                               json={"data": [{"background": None, "layers": [], "composite": file_data}, "bbox"]})
            answer.raise_for_status()
            if "reads" not in answer.json()["data"][0]:
                raise RuntimeError(f"Unexpected answer from the demo: {answer.json()['data'][0]!r}")
            if i >= warmup:
                seconds.append(time.perf_counter() - start)
    return seconds


def run_benchmarks(*, fast: bool | None = None, training: bool = True) -> dict:
    from .data import load_mnist
    from .demo import DigitReader
    from .experiments import machine_info

    from .data import prepare_splits
    from .experiments import package_versions

    reader = DigitReader.from_saved(fast=fast)
    (_, _), (x_test, _) = load_mnist()
    results = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_info(),
        "versions": package_versions(),
        "demo_latency": demo_latency(reader, x_test[:50]),
    }
    if training:
        results["training_speed"] = training_speed(prepare_splits(fast=fast))
    path = config.output_paths(fast).benchmark
    storage.write_json(path, results)
    return results | {"path": str(path)}
