"""How light the demo is to start: time to the first HTTP 200, and resident memory at rest and under load.

``python benchmarks/demo_startup.py [--runs 3] [--requests 100] [--checkout DIR ...] [--fast]`` launches
``python -m mnist_compare demo --port P`` from ``DIR`` (default: this checkout; another checkout, such as
``git worktree add /tmp/before <commit>``, measures that code with the same script; several ``--checkout``
take turns run by run) and, for each run:

* **start-up**: wall time from launching the process to the first HTTP 200 on ``/``, and the CPU time
  the process had used by then (less sensitive than the wall time to other load on the machine);
* **RSS at rest**: the server's resident memory (``VmRSS`` of ``/proc/<pid>/status``, its children
  included) 3 s after that first answer;
* **burst**: 100 readings of ``/predict`` sent at once (one ``gradio_client.Client`` per thread, each
  with a canvas PNG made by ``demo.sample_canvas``): the peak ``VmRSS`` sampled every 10 ms during the
  burst, the kernel's high-water mark ``VmHWM`` after it (the peak since launch), the burst's wall time,
  and the RSS 5 s later. The demo's queue refuses what it cannot hold ("Queue is full"); those readings
  are sent again 0.2 s later until answered, and counted.

Each run also starts a **bare Gradio app** (one image in, one text out, the same ``launch`` settings), run
by run beside the demo, and the medians give the demo's start-up as a multiple of the bare app's.

Prints every run and the medians as JSON. Each run is a fresh process; the machine's other load
shows in the times, so compare runs made side by side.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            pass
    return found


def tree_kb(pid: int, field: str = "VmRSS") -> int:
    """``field`` of ``pid`` and all its descendants, in kB."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += _status_kb(current, field)
        stack += _children(current)
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its waited-for children so far (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def wait_for_http(url: str, process: subprocess.Popen, timeout: float = 180.0) -> float:
    """Seconds until ``url`` answers 200 (from now), polling every 20 ms."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"the demo exited with code {process.returncode} before answering")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return time.perf_counter() - start
        except OSError:
            pass
        time.sleep(0.02)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def canvas_files(folder: Path, count: int = 10) -> list[str]:
    """PNG canvases of the first test digits of the shipped small MNIST file."""
    import numpy as np
    from PIL import Image

    sys.path.insert(0, str(ROOT))
    from mnist_compare import data, demo

    (_, _), (x_test, _) = data.load_mnist(ROOT / "tests" / "data" / "mnist_small.npz")
    paths = []
    for i in range(count):
        path = folder / f"digit{i}.png"
        Image.fromarray(np.asarray(demo.sample_canvas(x_test[i])["composite"])).save(path)
        paths.append(str(path))
    return paths


def burst(url: str, files: list[str], requests: int) -> tuple[float, int, int]:
    """``requests`` readings of /predict at once, one Client per thread; (seconds, answers that read a digit,
    times the queue refused a request)."""
    from gradio_client import Client, handle_file

    refused = [0]

    def ask(path):
        # A loaded machine answers slowly: generous timeouts. The demo's queue holds fewer requests than
        # a burst sends, and refuses the rest ("Queue is full"): those are sent again a moment later, so
        # every reading is made. Any other failure is counted, not raised.
        for attempt in range(600):
            try:
                client = Client(url, verbose=False, download_files=False, httpx_kwargs={"timeout": 300})
                try:
                    result = client.predict(
                        {"background": None, "layers": [], "composite": handle_file(path)},
                        "bbox",
                        api_name="/predict",
                    )
                finally:
                    client.close()
            except Exception as error:  # noqa: BLE001
                if "queue is full" in str(error).lower():
                    refused[0] += 1
                    time.sleep(0.2)
                    continue
                print(f"reading failed: {type(error).__name__}: {error}", file=sys.stderr)
                return False
            return "MLP reads" in str(result[0])
        return False

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=requests) as pool:
        answers = list(pool.map(ask, [files[i % len(files)] for i in range(requests)]))
    return time.perf_counter() - start, sum(answers), refused[0]


def one_run(checkout: Path, python: str, files: list[str], requests: int, fast: bool) -> dict:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    command = [python, "-m", "mnist_compare", "demo", "--port", str(port)] + (["--fast"] if fast else [])
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH",)}
    launched = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_for_http(url, process)
        startup = time.perf_counter() - launched
        startup_cpu = cpu_seconds(process.pid)
        time.sleep(3)
        rest = tree_kb(process.pid)
        peak, stop = [rest], threading.Event()

        def sample():
            while not stop.is_set():
                peak.append(tree_kb(process.pid))
                time.sleep(0.01)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            seconds, answered, refused = burst(url, files, requests)
        finally:
            stop.set()
            sampler.join()
        high_water = tree_kb(process.pid, "VmHWM")
        time.sleep(5)
        after = tree_kb(process.pid)
        tensorflow = "tensorflow" in Path(f"/proc/{process.pid}/maps").read_text()
    finally:
        process.terminate()
        try:
            _, stderr = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            _, stderr = process.communicate()
    return {
        "startup_s": round(startup, 2),
        "startup_cpu_s": round(startup_cpu, 2),
        "rss_rest_mb": round(rest / 1024, 1),
        "rss_peak_burst_mb": round(max(peak) / 1024, 1),
        "vm_hwm_mb": round(high_water / 1024, 1),
        "rss_after_burst_mb": round(after / 1024, 1),
        "burst_s": round(seconds, 2),
        "answered": f"{answered}/{requests}",
        "queue_full_retries": refused,
        "tensorflow_loaded": tensorflow,
        "load_average": round(os.getloadavg()[0], 1),
        "stderr_tail": stderr.decode(errors="replace").strip().splitlines()[-3:],
    }


BARE_APP = """
import sys, time
import gradio as gr
with gr.Blocks() as demo:
    image = gr.Image(type="numpy")
    text = gr.Textbox()
    image.change(lambda value: "read", inputs=image, outputs=text)
demo.queue().launch(server_name="127.0.0.1", server_port=int(sys.argv[1]), prevent_thread_lock=True,
                    quiet=True, ssr_mode=False)
while True:
    time.sleep(3600)
"""


def bare_run(python: str) -> dict:
    """Start-up and resident memory of the bare Gradio app (launch to the first HTTP 200, RSS 3 s later)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH",)}
    env.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    launched = time.perf_counter()
    process = subprocess.Popen(
        [python, "-c", BARE_APP, str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for_http(url, process)
        startup = time.perf_counter() - launched
        time.sleep(3)
        rest = tree_kb(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    return {"startup_s": round(startup, 2), "rss_rest_mb": round(rest / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument(
        "--checkout",
        action="append",
        default=None,
        help="the project folder to launch the demo from (default: this checkout); given more "
        "than once, the checkouts take turns, run by run, so they meet the same machine load",
    )
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--fast", action="store_true", help="the fast-mode models")
    args = parser.parse_args()
    checkouts = args.checkout or [str(ROOT)]
    runs = {checkout: [] for checkout in checkouts}
    bare = []
    with tempfile.TemporaryDirectory() as folder:
        files = canvas_files(Path(folder))
        for number in range(args.runs):
            bare.append(bare_run(args.python))
            print(json.dumps({"bare_gradio": True, "run": number + 1, **bare[-1]}), flush=True)
            for checkout in checkouts:
                runs[checkout].append(one_run(Path(checkout), args.python, files, args.requests, args.fast))
                print(json.dumps({"checkout": checkout, "run": number + 1, **runs[checkout][-1]}), flush=True)
    keys = [
        "startup_s",
        "startup_cpu_s",
        "rss_rest_mb",
        "rss_peak_burst_mb",
        "vm_hwm_mb",
        "rss_after_burst_mb",
        "burst_s",
    ]
    bare_startup = statistics.median(run["startup_s"] for run in bare)
    for checkout, done in runs.items():
        median = {key: statistics.median(run[key] for run in done) for key in keys}
        print(
            json.dumps(
                {
                    "checkout": checkout,
                    "runs": len(done),
                    "median": median,
                    "bare_gradio_startup_s": bare_startup,
                    "startup_vs_bare_gradio": round(median["startup_s"] / bare_startup, 2),
                }
            )
        )


if __name__ == "__main__":
    main()
