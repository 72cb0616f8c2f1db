"""Benchmarks that anyone can rerun: ``python -m mnist_compare bench``.

Training speed: seconds per epoch (54,000 images, batch size 32) of Keras's default
``model.fit`` and of the compiled trainer the experiments use, measured in the same
run, median of several epochs after a warm-up epoch. Prediction latency: the model
call alone, ``read_drawing`` in process, and a whole request through the running app
on loopback, preprocessing included.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from . import config, storage
from .data import load_mnist, prepare_splits
from .experiments import machine_info, package_versions
from .registry import BASELINE, CANDIDATE
from .training import CompiledTrainer, epoch_order, training_options


def _summary(seconds: list[float]) -> dict:
    ms = sorted(s * 1000 for s in seconds)
    return {
        "n": len(ms),
        "median_ms": statistics.median(ms),
        "p95_ms": ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))],
        "min_ms": ms[0],
    }


IDLE_SECONDS = 0.005


def _rounds_summary(rounds: list[list[float]]) -> dict:
    """The median over all rounds, and as the p95 the median of the rounds' own p95s."""
    summary = _summary([value for part in rounds for value in part])
    round_p95 = [_summary(part)["p95_ms"] for part in rounds]
    summary.update(p95_ms=statistics.median(round_p95), p95_rounds_ms=round_p95)
    return summary


def demo_latency(reader, digit_images, *, requests: int = 200, rounds: int = 3) -> dict:
    """Median and p95 of: one model call (both models), one read_drawing, one HTTP request
    (``rounds`` rounds of ``requests // 2`` requests for the plain HTTP measures)."""
    from gradio_client import Client, handle_file
    from PIL import Image

    # lazy: Gradio takes seconds to import; only the demo timing needs it
    from . import demo

    batch = np.zeros((1, 28, 28, 1), dtype=np.float32)
    for _ in range(20):
        reader.predict(batch)
    batches = [image[None, :, :, None].astype(np.float32) / 255.0 for image in digit_images]
    model_call = []
    for i in range(requests):
        start = time.perf_counter()
        reader.predict(batches[i % len(batches)])
        model_call.append(time.perf_counter() - start)

    canvases = [demo.sample_canvas(image) for image in digit_images[:20]]
    # What the app's function receives: the Sketchpad hands over the drawing already flattened
    # onto white and converted to gray by Pillow (its image_mode="L").
    received = [
        {**canvas, "composite": np.asarray(Image.fromarray(canvas["composite"]).convert("L"))}
        for canvas in canvases
    ]
    in_process = []
    for i in range(requests):
        start = time.perf_counter()
        demo.read_drawing(reader, received[i % len(received)])
        in_process.append(time.perf_counter() - start)
    # The same after a pause, as a server meets a drawing: threads asleep, caches cold.
    model_call_idle, in_process_idle = [], []
    for i in range(requests // 2):
        time.sleep(IDLE_SECONDS)
        start = time.perf_counter()
        reader.predict(batches[i % len(batches)])
        model_call_idle.append(time.perf_counter() - start)
        time.sleep(IDLE_SECONDS)
        start = time.perf_counter()
        demo.read_drawing(reader, received[i % len(received)])
        in_process_idle.append(time.perf_counter() - start)

    with tempfile.TemporaryDirectory() as folder:
        files = []
        for i, canvas in enumerate(canvases):
            path = Path(folder) / f"digit{i}.png"
            Image.fromarray(canvas["composite"]).save(path)
            files.append(str(path))
        count = requests // 2 + 10
        app = demo.build_demo(reader)
        demo.launch_demo(app, block=False)
        # The same app answering every request with one precomputed reading: what Gradio itself
        # costs per request (upload, routing, decoding the canvas, encoding the outputs).
        fixed = demo.read_drawing(reader, canvases[0])
        floor_app = demo.build_demo(reader, read=lambda *_, **__: fixed)
        demo.launch_demo(floor_app, block=False)
        bare_app = _bare_gradio_app()
        try:
            client = Client(app.local_url, verbose=False)
            http = []
            for i in range(count):
                value = {"background": None, "layers": [], "composite": handle_file(files[i % len(files)])}
                start = time.perf_counter()
                client.predict(value, "bbox", api_name="/predict")
                if i >= 10:
                    http.append(time.perf_counter() - start)
            # Plain HTTP in rounds, the three apps in turn, so that a slow spell of the machine
            # hits all of them; a p95 is taken per round and the median of those is reported.
            raw, floor, bare = [], [], []
            for _ in range(rounds):
                raw.append(_raw_http_latency(app.local_url, files, count))
                floor.append(_raw_http_latency(floor_app.local_url, files, count))
                bare.append(_bare_gradio_latency(bare_app.local_url, files, count))
        finally:
            for running in (app, floor_app, bare_app):
                running.close()
    return {
        "http_request_raw": _rounds_summary([[upload + answer for upload, answer in part] for part in raw]),
        "http_upload_raw": _rounds_summary([[upload for upload, _ in part] for part in raw]),
        "http_predict_raw": _rounds_summary([[answer for _, answer in part] for part in raw]),
        "http_request_raw_fixed_answer": _rounds_summary(
            [[upload + answer for upload, answer in part] for part in floor]
        ),
        "http_request_bare_gradio": _rounds_summary(bare),
        "model_call_both_models": _summary(model_call),
        "model_call_after_idle": _summary(model_call_idle),
        "read_drawing_in_process": _summary(in_process),
        "read_drawing_after_idle": _summary(in_process_idle),
        "http_request_gradio_client": _summary(http),
        "note": "after_idle: the call follows a 5 ms pause. Plain HTTP: rounds of requests to the three apps "
        "in "
        "turn; p95_ms is the median of the rounds' p95s. 400x400 RGBA canvas on 127.0.0.1, file upload "
        "included: gradio_client (upload, queue, server-sent events) and plain HTTP with httpx (upload, "
        "then one POST to /gradio_api/run/predict). fixed_answer: the same app and request, with the "
        "preprocessing and the models replaced by a precomputed answer, i.e. Gradio's own cost per "
        "request. bare_gradio: the least a Gradio app can do with the same upload: one gr.Image in, its "
        "shape as text out.",
    }


def page_latency(reader, *, rounds: int = 2, viewport: dict | None = None) -> dict | None:
    """Pen lift to answer on the demo's page in Chromium: ``rounds`` visitors each draw the 20 digits of the
    browser test (two ways of writing each digit, stroke by stroke) and the page times each answer from the
    pointer's release to the answers shown (``browser.draw_session``). ``None`` without a Chromium."""
    from . import browser, demo  # lazy: Gradio and Playwright, only for this measurement

    if browser.chromium_path() is None:
        return None
    drawings = [
        (digit, styles[i]) for i in range(2) for digit, styles in sorted(browser.DIGIT_STYLES.items())
    ]
    app = demo.build_demo(reader)
    demo.launch_demo(app, port=None, block=False)
    latencies = []
    try:
        with browser.Chromium() as chromium:
            browser.draw_session(app.local_url, drawings[:4], viewport=viewport, chromium=chromium)  # warm-up
            for _ in range(rounds):
                outcomes = browser.draw_session(app.local_url, drawings, viewport=viewport, chromium=chromium)
                latencies.append([o["latency_ms"] / 1000 for o in outcomes])
    finally:
        app.close()
    return _rounds_summary(latencies) | {"drawings_per_round": len(drawings), "readers": list(reader.names)}


def training_speed(splits, *, epochs: int = 4, models=(BASELINE, CANDIDATE)) -> dict:
    """Seconds per epoch: default ``fit`` vs the compiled trainer, the first (warm-up) epoch excluded.

    The two alternate epoch by epoch, so that a slow spell of this shared machine hits both;
    the speed-up is the median of the per-pair ratios.
    """
    import keras

    # lazy: Keras (TensorFlow) is imported when a benchmark trains
    from .models import build_model, compile_model

    x, y = splits.x_train, splits.y_train
    report = {"train_images": int(len(y)), "batch_size": config.BATCH_SIZE, "epochs_timed": epochs - 1}
    for name in models:
        keras.utils.set_random_seed(0)
        baseline = compile_model(build_model(name))
        keras.utils.set_random_seed(0)
        options = training_options(name)
        trainer = CompiledTrainer(
            build_model(name, fast_ops=options["fast_ops"]),
            batch_size=config.BATCH_SIZE,
            jit_compile=options["jit_compile"],
        )
        default, compiled = [], []
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            baseline.fit(x, y, batch_size=config.BATCH_SIZE, epochs=1, shuffle=True, verbose=0)
            default.append(time.perf_counter() - start)
            start = time.perf_counter()
            trainer.train_epoch(x, y, epoch_order(len(y), 0, epoch))
            compiled.append(time.perf_counter() - start)
        report[name] = {
            "default_fit": {
                "first_epoch_s": default[0],
                "epoch_s": default[1:],
                "median_s": statistics.median(default[1:]),
            },
            "compiled": {
                "first_epoch_s": compiled[0],
                "epoch_s": compiled[1:],
                "median_s": statistics.median(compiled[1:]),
                "options": dict(options),
            },
            "speedup": statistics.median(d / c for d, c in zip(default[1:], compiled[1:])),
        }
    return report


def _upload_and_call(
    url: str, files: list[str], count: int, *, endpoint: str, arguments, expected, app: str, warmup: int = 10
) -> list[tuple[float, float]]:
    """Plain HTTP to a running Gradio app: upload a PNG, then POST ``/gradio_api/run/<endpoint>`` with
    ``arguments(file_data)`` and check the first output with ``expected``.

    Returns (upload seconds, call seconds) per request after the warm-up.
    """
    import httpx

    payloads = [Path(path).read_bytes() for path in files]
    seconds = []
    with httpx.Client(base_url=url.rstrip("/"), timeout=30) as http:
        for i in range(count):
            start = time.perf_counter()
            uploaded = http.post(
                "/gradio_api/upload",
                files=[("files", ("digit.png", payloads[i % len(payloads)], "image/png"))],
            )
            uploaded.raise_for_status()
            middle = time.perf_counter()
            file_data = {"path": uploaded.json()[0], "meta": {"_type": "gradio.FileData"}}
            answer = http.post(f"/gradio_api/run/{endpoint}", json={"data": arguments(file_data)})
            answer.raise_for_status()
            end = time.perf_counter()
            if not expected(answer.json()["data"][0]):
                raise RuntimeError(f"Unexpected answer from the {app}: {answer.json()['data'][0]!r}")
            if i >= warmup:
                seconds.append((middle - start, end - middle))
    return seconds


def _raw_http_latency(url: str, files: list[str], count: int, warmup: int = 10) -> list[tuple[float, float]]:
    """A whole request to the demo with plain HTTP: upload the PNG, then POST the prediction and read
    the answer. Returns (upload seconds, prediction seconds) per request after the warm-up."""
    return _upload_and_call(
        url,
        files,
        count,
        endpoint="predict",
        app="demo",
        warmup=warmup,
        arguments=lambda file: [{"background": None, "layers": [], "composite": file}, "bbox"],
        expected=lambda message: "reads" in message,
    )


def pipeline_time(*, keep: bool = False, log=print) -> dict:
    """The whole report from scratch, timed: ``build_report()`` in a fresh clone of the committed
    code with ``reports/results.json`` deleted (5 seeds, both models, research, notebooks, HTML, PDF).

    Uses this interpreter and its installed packages (a warm install) and the same MNIST file.
    """
    root = config.PROJECT_ROOT
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()
    folder = Path(tempfile.mkdtemp(prefix="mnist-compare-pipeline-"))
    subprocess.run(["git", "clone", "--quiet", str(root), str(folder)], check=True)
    (folder / "reports" / "results.json").unlink(missing_ok=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in (config.ENV_OUTPUT, config.ENV_FAST, config.ENV_SEEDS)
    }
    code = (
        "import json; from mnist_compare.report import build_report; outcome = build_report(); "
        "print('PIPELINE_JSON ' + json.dumps(outcome, default=str))"
    )
    log(f"Pipeline: the whole report from scratch in {folder} (commit {commit[:7]}); this takes a while")
    started, started_at = time.perf_counter(), time.time()
    process = subprocess.run(
        [sys.executable, "-c", code], cwd=folder, env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    if process.returncode != 0:
        tail = "\n".join(process.stderr.strip().splitlines()[-5:])
        raise RuntimeError(f"The pipeline failed (exit {process.returncode}); kept {folder}:\n{tail}")
    line = next(line for line in reversed(process.stdout.splitlines()) if line.startswith("PIPELINE_JSON "))
    outcome = json.loads(line.removeprefix("PIPELINE_JSON "))
    results = json.loads((folder / "reports" / "results.json").read_text())
    research = results.get("research", {})
    notebooks = [{"name": item["name"], "seconds": item["seconds"]} for item in outcome["notebooks"]]
    # The training epochs themselves, summed over every run the pipeline trained (the floor no
    # evaluation, notebook or export work can lower; the shipped seed-0 runs are reused, not
    # trained), and the grid CNN's epoch: the machine's speed during the run.
    trained = {
        path: json.loads(path.read_text())
        for path in sorted((folder / "models").rglob("run.json"))
        if path.stat().st_mtime >= started_at
    }
    records = list(trained.values())
    cnn_epochs = [
        seconds
        for path, record in trained.items()
        if path.parent.parent == folder / "models" and path.parent.name.startswith("cnn_seed")
        for seconds in record["epoch_seconds"][1:]
    ]
    report = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "commit": commit,
        "wall_s": wall,
        "experiments_s": outcome["experiments_seconds"],
        "research_s": research.get("seconds"),
        "research_sections_s": research.get("section_seconds"),
        "notebooks": notebooks,
        "notebooks_and_export_s": outcome["seconds"] - outcome["experiments_seconds"],
        "pages": outcome.get("pages"),
        "training_epochs_s": sum(sum(r["epoch_seconds"]) for r in records),
        "runs_trained": len(records),
        "grid_cnn_epoch_s": statistics.median(cnn_epochs) if cnn_epochs else None,
        "seeds": results["config"]["seeds"],
    }
    if keep:
        report["folder"] = str(folder)
    else:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    return report


def _bare_gradio_app():
    """A minimal running Gradio app: one RGBA gr.Image in, its shape as text out."""
    import gradio as gr

    with gr.Blocks() as app:
        image, shape = gr.Image(type="numpy", image_mode="RGBA"), gr.Textbox()
        gr.Button().click(lambda array: str(array.shape), image, shape, api_name="shape")
    app.queue()
    app.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True, ssr_mode=False)
    return app


def _bare_gradio_latency(url: str, files: list[str], count: int, warmup: int = 10) -> list[float]:
    """Upload + POST to the minimal app: the least a Gradio app can do with the same upload."""
    timings = _upload_and_call(
        url,
        files,
        count,
        endpoint="shape",
        app="bare app",
        warmup=warmup,
        arguments=lambda file: [file],
        expected=lambda shape: shape == "(400, 400, 4)",
    )
    return [upload + call for upload, call in timings]


def run_benchmarks(
    *,
    fast: bool | None = None,
    training: bool = True,
    latency: bool = True,
    pipeline: bool = False,
    keep_pipeline: bool = False,
) -> dict:
    """Run the chosen measurements; parts not measured this time keep their last measurement."""
    # lazy: Gradio takes seconds to import; only the latency benchmark needs it
    from .demo import DigitReader

    path = config.output_paths(fast).benchmark
    previous = json.loads(path.read_text()) if path.is_file() else {}
    results = {
        key: previous[key] for key in ("demo_latency", "training_speed", "pipeline") if key in previous
    }
    results.update(
        {
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "machine": machine_info(),
            "versions": package_versions(),
        }
    )
    if latency:
        reader = DigitReader.from_saved(fast=fast)
        (_, _), (x_test, _) = load_mnist()
        results["demo_latency"] = demo_latency(reader, x_test[:50]) | {
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")
        }
        page = page_latency(reader)
        if page is None:
            print("No Chromium found: the page's pen-lift-to-answer time is not measured.")
        else:
            results["demo_latency"]["page_pen_lift_to_answer"] = page
    if training:
        results["training_speed"] = training_speed(prepare_splits(fast=fast)) | {
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")
        }
    if pipeline:
        results["pipeline"] = pipeline_time(keep=keep_pipeline)
    storage.write_json(path, results)
    return results | {"path": str(path)}
