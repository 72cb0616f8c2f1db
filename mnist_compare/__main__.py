"""Command line: ``python -m mnist_compare run | report | demo | drawings | bench | colab-links |
renumber``."""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys
from pathlib import Path

from . import registry


def save_run_figures(results: dict) -> list:
    """The learning curves and confusion matrices of a run, as PNG files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # lazy: each command imports what it needs, so the CLI starts fast
    from . import plots

    fast = results["fast"]
    written = []
    if not results["comparisons"]:
        return written
    figure = plots.plot_learning_curves(results)
    written.append(plots.save_figure(figure, "04_learning_curves", fast=fast))
    plt.close(figure)
    last = max(results["config"]["snapshot_epochs"])
    figure = plots.plot_confusion_matrices(results, last)
    written.append(plots.save_figure(figure, f"04_confusion_matrices_epoch{last:02d}", fast=fast))
    plt.close(figure)
    return written


def _command_run(args) -> int:
    # lazy: each command imports what it needs, so the CLI starts fast
    from . import config

    # lazy: each command imports what it needs, so the CLI starts fast
    from .experiments import run_grid

    # lazy: each command imports what it needs, so the CLI starts fast
    from .tables import readme

    models = tuple(name.strip() for name in args.models.split(",") if name.strip())
    results = run_grid(
        seed_count=args.seeds,
        fast=args.fast or None,
        data_path=args.data,
        model_names=models,
        show_progress=not args.no_progress,
        research=not args.no_research,
    )
    path = config.output_paths(results["fast"]).results
    print(f"Wrote {path}")
    print(readme.results_markdown(results))
    for path in save_run_figures(results):
        print(f"Wrote {path}")
    if not results["fast"] and not args.no_readme and readme.update_readme(results):
        print("Updated the results table in README.md")
    return 0


def _report_sync(changed: list, *, check: bool, stale: str, current: str, done: str) -> int:
    """What a command that rewrites files says: with ``check``, whether they are current (exit 1 if not)."""
    # lazy: each command imports what it needs, so the CLI starts fast
    from . import config

    names = ", ".join(str(path.relative_to(config.PROJECT_ROOT)) for path in changed)
    if check:
        print(f"{stale}: {names}" if changed else current)
        return 1 if changed else 0
    print(done.replace("{names}", names) if changed else "Nothing to change.")
    return 0


def _command_colab_links(args) -> int:
    # lazy: each command imports what it needs, so the CLI starts fast
    from . import colab, config

    url = config.REPOSITORY_URL
    return _report_sync(
        colab.sync(write=not args.check),
        check=args.check,
        stale=f"Out of date with {url}",
        current=f"Setup cells and badges match {url}.",
        done="Rewrote {names} for " + url,
    )


def _command_renumber(args) -> int:
    # lazy: each command imports what it needs, so the CLI starts fast
    from . import numbering

    return _report_sync(
        numbering.renumber_notebooks(write=not args.check),
        check=args.check,
        stale="Numbers out of date in",
        current="Every heading and reference is numbered in order.",
        done="Renumbered {names}",
    )


def check_port(host: str, port: int | None) -> None:
    """Refuse a port that cannot work before the models are loaded (which takes seconds)."""
    # lazy: each command imports what it needs, so the CLI starts fast
    from .errors import SettingError

    if port is None:
        return
    if not 1 <= port <= 65535:
        raise SettingError(
            f"--port {port} is not a port number; choose one from 1 to 65535 "
            "(or leave --port out to take the first free one from 7860)."
        )
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise SettingError(
                    f"Port {port} on {host} is already in use; choose another with --port, "
                    "or leave --port out to take the first free one from 7860."
                ) from None
            raise SettingError(
                f"Cannot listen on {host}:{port} ({error.strerror}); choose another --host or --port."
            ) from None


def _command_demo(args) -> int:
    # lazy: each command imports what it needs, so the CLI starts fast
    from . import demo

    auth = demo.parse_auth(args.auth or os.environ.get("MNIST_COMPARE_AUTH"))
    check_port(args.host, args.port)
    reader = demo.DigitReader.from_saved(epochs=args.epochs, seed=args.seed, fast=args.fast or None)
    collection = None
    if not (args.no_collect or args.screenshot):
        # lazy: each command imports what it needs, so the CLI starts fast
        from .collection import Collection, default_path

        path = Path(args.drawings_db) if args.drawings_db else default_path(args.fast or None)
        collection = Collection(path, cap_bytes=int(args.collect_cap_mb * 1024 * 1024))
        print(f"Labelled drawings are kept in {path} (--no-collect turns this off)")
    app = demo.build_demo(reader, collection=collection)
    if args.screenshot:
        # lazy: each command imports what it needs, so the CLI starts fast
        from . import browser

        demo.launch_demo(app, port=args.port, host=args.host, block=False)
        try:
            viewport = {"phone": browser.PHONE, "report": browser.REPORT}.get(args.viewport, browser.DESKTOP)
            drawings = [(7, browser.DIGIT_STYLES[7][1])]  # a crossed 7
            (outcome,) = browser.draw_session(
                app.local_url, drawings, viewport=viewport, screenshot=args.screenshot, screenshot_after=0
            )
        finally:
            app.close()
        print(
            f"Drew a crossed 7 in Chromium ({args.viewport}): {outcome['status']}\nScreenshot: "
            f"{args.screenshot}"
        )
        return 0
    demo.launch_demo(app, share=args.share, port=args.port, auth=auth, host=args.host)
    return 0


def _command_drawings(args) -> int:
    # lazy: each command imports what it needs, so the CLI starts fast
    from .collection import default_path, export, read_rows

    path = Path(args.db) if args.db else default_path(args.fast or None)
    if not path.exists():
        print(
            f"No drawings have been collected yet ({path} does not exist): the demo keeps the drawings its "
            'visitors label with "I drew a ...".'
        )
        return 0
    if args.action == "export":
        out, count = export(path, args.out)
        print(
            f"Wrote {count} labelled drawing{'s' * (count != 1)} to {out} (x_test/y_test in MNIST's format: "
            "28x28 uint8, white digit on black; x_naive, x_bbox, x_bbox_com per preprocessing)."
        )
    else:
        rows = read_rows(path)
        print(f"{len(rows)} labelled drawings from {len({r['session'] for r in rows})} sessions in {path}.")
    return 0


def _command_bench(args) -> int:
    # lazy: each command imports what it needs, so the CLI starts fast
    from .bench import run_benchmarks
    from .tables import readme

    results = run_benchmarks(
        fast=args.fast or None,
        training=not args.no_training,
        latency=not args.no_latency,
        pipeline=args.pipeline,
        keep_pipeline=args.keep_clone,
    )
    print(readme.benchmark_markdown(results))
    if not (args.fast or results.get("fast")) and readme.update_readme_block(
        "benchmark-table", readme.benchmark_markdown(results), readme.SPEED_DOC
    ):
        print("Updated the benchmark table in docs/speed.md")
    print(f"Wrote {results['path']}")
    return 0


def _command_report(args) -> int:
    # lazy: each command imports what it needs, so the CLI starts fast
    from .report import build_report
    from .tables import readme

    outcome = build_report(
        fast=args.fast or None,
        include_code=not args.no_code,
        execute=not args.no_execute,
        seed_count=args.seeds,
        pdf=not args.no_pdf,
        timeout=args.timeout,
    )
    for item in outcome["notebooks"]:
        print(f"  {item['name']}: {item['seconds']:.1f} s")
    # lazy: each command imports what it needs, so the CLI starts fast
    from .experiments import load_results

    results = load_results(args.fast or None)
    if not results["fast"] and readme.update_readme(results):
        print("README.md's results table matches reports/results.json")
    print(
        f"Report done in {outcome['seconds']:.0f} s: {outcome['html']}"
        + (f" and {outcome['pdf']} ({outcome['pages']} pages)" if "pdf" in outcome else "")
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mnist_compare",
        description="MLP vs CNN on MNIST: experiments, report, drawing demo, benchmark.",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show the full traceback of a failure instead of a one-line message",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="train and evaluate the experiment grid -> reports/results.json")
    run.add_argument(
        "--seeds",
        type=int,
        default=None,
        metavar="N",
        help="seeds per (model, epochs) setting (default: 5; 1 in fast mode)",
    )
    run.add_argument(
        "--fast",
        action="store_true",
        help="small subset and 1 epoch, outputs marked FAST (also MNIST_COMPARE_FAST=1)",
    )
    run.add_argument(
        "--data",
        default=None,
        metavar="NPZ",
        help="MNIST npz in Keras's format (default: $MNIST_NPZ, else Keras download)",
    )
    run.add_argument(
        "--models",
        default=",".join(registry.grid_models()),
        metavar="NAMES",
        help="comma-separated models to run (default: the registry's grid models, %(default)s)",
    )
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument(
        "--no-research",
        action="store_true",
        help="skip the research experiments (robustness, drawings, controls); faster",
    )
    run.add_argument("--no-readme", action="store_true", help="do not update README.md's results table")
    run.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show the full traceback of a failure"
    )
    run.set_defaults(handler=_command_run)

    demo = commands.add_parser("demo", help="launch the drawing demo (both models side by side)")
    demo.add_argument("--share", action="store_true", help="also open a public Gradio share link")
    demo.add_argument("--port", type=int, default=None, help="local port (default: first free from 7860)")
    demo.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    demo.add_argument(
        "--auth",
        default=None,
        metavar="USER:PASSWORD",
        help="protect the app with a login (also MNIST_COMPARE_AUTH)",
    )
    demo.add_argument("--epochs", type=int, default=None, help="which snapshot to load (default: the last)")
    demo.add_argument("--seed", type=int, default=0, help="which seed's models to load (default: 0)")
    demo.add_argument("--fast", action="store_true", help="use the fast-mode models")
    demo.add_argument(
        "--screenshot",
        default=None,
        metavar="PNG",
        help="draw a crossed 7 in headless Chromium, save a screenshot and exit",
    )
    demo.add_argument(
        "--viewport",
        choices=["desktop", "phone", "report"],
        default="desktop",
        help="the browser window of --screenshot: desktop (1400x1000), phone (390x844), or report "
        "(860 px wide, cropped to the canvas, the answers and the steps: the report's picture)",
    )
    demo.add_argument(
        "--no-collect", action="store_true", help="do not ask visitors what they drew and keep no drawing"
    )
    demo.add_argument(
        "--drawings-db",
        default=None,
        metavar="PATH",
        help="where labelled drawings are kept (default: $MNIST_COMPARE_DRAWINGS_DB, "
        "else reports/drawings.sqlite)",
    )
    demo.add_argument(
        "--collect-cap-mb",
        type=float,
        default=512,
        metavar="MB",
        help="stop keeping drawings when the database reaches this size (default: 512)",
    )
    demo.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show the full traceback of a failure"
    )
    demo.set_defaults(handler=_command_demo)

    drawings = commands.add_parser(
        "drawings", help="the drawings visitors labelled in the demo: count or export"
    )
    drawings.add_argument(
        "action",
        choices=["export", "count"],
        help="export: write them as an npz in MNIST's format; count: how many, from how many sessions",
    )
    drawings.add_argument(
        "--db",
        default=None,
        metavar="PATH",
        help="the database (default: $MNIST_COMPARE_DRAWINGS_DB, else reports/drawings.sqlite)",
    )
    drawings.add_argument(
        "--out",
        default="drawings.npz",
        metavar="NPZ",
        help="export: the file to write (default: drawings.npz)",
    )
    drawings.add_argument("--fast", action="store_true", help="the fast-mode outputs' database")
    drawings.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show the full traceback of a failure"
    )
    drawings.set_defaults(handler=_command_drawings)

    bench = commands.add_parser(
        "bench",
        help="measure training speed and prediction latency -> "
        "reports/benchmark.json and the table in docs/speed.md",
    )
    bench.add_argument("--fast", action="store_true", help="use the fast-mode models and data subset")
    bench.add_argument("--no-training", action="store_true", help="do not measure the training speed")
    bench.add_argument("--no-latency", action="store_true", help="do not measure the prediction latency")
    bench.add_argument(
        "--pipeline",
        action="store_true",
        help="also time the whole report from scratch in a fresh clone (15-35 minutes on 2 cores, "
        "depending on the machine's speed)",
    )
    bench.add_argument("--keep-clone", action="store_true", help="keep the clone --pipeline made")
    bench.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show the full traceback of a failure"
    )
    bench.set_defaults(handler=_command_bench)

    report = commands.add_parser(
        "report",
        help="run missing experiments, execute the notebooks, export reports/mnist_mlp_vs_cnn.html and .pdf",
    )
    report.add_argument("--fast", action="store_true", help="fast mode (subset, 1 epoch, labelled FAST)")
    report.add_argument(
        "--no-code",
        action="store_true",
        help="leave the code cells out (writes mnist_mlp_vs_cnn_no_code.html/.pdf)",
    )
    report.add_argument(
        "--seeds",
        type=int,
        default=None,
        metavar="N",
        help="seeds per setting, training any that are missing (default: $MNIST_COMPARE_SEEDS, "
        "else the seeds already in results.json, else 5; 1 in fast mode)",
    )
    report.add_argument(
        "--no-execute",
        action="store_true",
        help="export the notebooks as last executed, without running them again",
    )
    report.add_argument("--no-pdf", action="store_true", help="write only the HTML")
    report.add_argument(
        "--timeout",
        type=int,
        default=1800,
        metavar="S",
        help="seconds one notebook cell may take (default: 1800)",
    )
    report.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show the full traceback of a failure"
    )
    report.set_defaults(handler=_command_report)

    links = commands.add_parser(
        "colab-links",
        help="rewrite the notebooks' Setup cells and the Colab badges "
        "(README and notebooks) from config.REPOSITORY_URL",
    )
    links.add_argument(
        "--check", action="store_true", help="only say whether they are up to date (exit 1 if not)"
    )
    links.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show the full traceback of a failure"
    )
    links.set_defaults(handler=_command_colab_links)

    renumber = commands.add_parser(
        "renumber",
        help="number the notebooks' headings and the references to them in order "
        "(after a section is added, moved or removed)",
    )
    renumber.add_argument(
        "--check", action="store_true", help="only say whether they are numbered in order (exit 1 if not)"
    )
    renumber.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show the full traceback of a failure"
    )
    renumber.set_defaults(handler=_command_renumber)
    return parser


def describe_os_error(error: OSError) -> str:
    """One line for a failed file or network operation: what, where, and how to fix it."""
    # lazy: each command imports what it needs, so the CLI starts fast
    from . import config

    where = error.filename or (
        config.output_paths().root if os.environ.get(config.ENV_OUTPUT) else "the output folders"
    )
    reason = error.strerror or str(error) or type(error).__name__
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"No space left on the device while writing {where}: free some space and run the same "
            "command again (finished runs are kept)."
        )
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return (
            f"Cannot write {where} ({reason}): make it writable, or set MNIST_COMPARE_OUTPUT to a folder "
            "you can write to."
        )
    if error.errno in (errno.ENOTDIR, errno.EISDIR, errno.EEXIST):
        return f"{where}: {reason}; a file stands where a folder is needed (or the other way round)."
    if error.errno == errno.EADDRINUSE:
        return f"The port is already in use ({reason}); choose another with --port."
    return f"{reason}: {where}." if error.filename else f"{reason}."


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(argv=None) -> int:
    """Run one command; every expected failure is one line on stderr and exit code 2 (``--debug``:
    traceback)."""
    # lazy: each command imports what it needs, so the CLI starts fast
    from .errors import MnistCompareError

    args = build_parser().parse_args(argv)
    try:
        # The demo reads its models without TensorFlow (DigitReader.from_saved imports it, quietly, only
        # for a model its NumPy reader does not cover).
        if args.command in ("run", "report", "bench"):
            # lazy: each command imports what it needs, so the CLI starts fast
            from . import import_tensorflow_quietly

            import_tensorflow_quietly()
        return args.handler(args)
    except (MnistCompareError, ValueError, FileNotFoundError, OSError) as error:
        if args.debug:
            raise
        if isinstance(error, OSError) and not isinstance(error, MnistCompareError):
            message = describe_os_error(error)
        else:
            message = str(error)
        print(f"error: {_one_line(message)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrupted. Finished runs are saved; run the same command again to resume.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
