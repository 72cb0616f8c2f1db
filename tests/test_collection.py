"""The collection of labelled drawings: the database, its limits and faults, the export, and the demo's
label endpoints called as a forged client would; the server killed with SIGKILL during saves."""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from mnist_compare import browser, canvas, collection, config, demo

STROKES = {digit: styles[0] for digit, styles in browser.DIGIT_STYLES.items()}


def drawing(digit: int) -> dict:
    gray = browser.render_strokes(STROKES[digit])
    rgba = np.dstack([gray, gray, gray, np.full_like(gray, 255)])
    return {"background": None, "layers": [], "composite": rgba}


def save(store, digit, drawing_id="d1", session="s1", label="same"):
    return store.save(
        drawing_id=drawing_id,
        session=session,
        label=digit if label == "same" else label,
        value=drawing(digit),
        method="bbox_com",
        answers={"mlp": (digit, 0.9), "cnn": (digit, 0.99)},
    )


def test_a_label_is_one_row_a_second_click_replaces_it_and_undo_deletes_it(tmp_path):
    store = collection.Collection(tmp_path / "d.sqlite")
    assert save(store, 3, label=8).ok
    assert save(store, 3, label=8).ok  # a double click
    assert [r["label"] for r in collection.read_rows(store.path)] == [8]
    assert save(store, 3).ok  # the right digit
    assert [r["label"] for r in collection.read_rows(store.path)] == [3]
    assert not store.forget(drawing_id="d1", session="other").ok, "another session cannot undo it"
    assert store.forget(drawing_id="d1", session="s1").ok
    assert collection.read_rows(store.path) == []
    assert "no label to undo" in store.forget(drawing_id="d1", session="s1").message
    with sqlite3.connect(store.path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_database_made_before_a_method_or_a_model_was_added_gets_its_columns(tmp_path):
    """An older database lacks the columns of a preprocessing method or a demo model added since: they are
    added when it is opened, its rows keep NULL there, and new drawings are kept in full."""
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE drawings (drawing_id TEXT PRIMARY KEY, session TEXT NOT NULL, created TEXT NOT "
            "NULL, "
            "label INTEGER NOT NULL, method TEXT NOT NULL, drawing_png BLOB NOT NULL, mlp_digit INTEGER, "
            "mlp_confidence REAL, input_naive BLOB, input_bbox BLOB)"
        )
        connection.execute(
            "INSERT INTO drawings VALUES ('old', 's0', '2026-01-01', 7, 'bbox', ?, 7, 0.9, ?, ?)",
            (b"png", bytes(784), bytes(784)),
        )
    store = collection.Collection(path)
    assert save(store, 3).ok
    rows = {row["drawing_id"]: row for row in collection.read_rows(path)}
    assert rows["old"]["input_bbox_com"] is None and rows["old"]["cnn_digit"] is None
    assert rows["d1"]["input_bbox_com"] is not None and rows["d1"]["cnn_digit"] == 3
    arrays = collection.to_arrays([rows["d1"], {**rows["old"], "drawing_png": rows["d1"]["drawing_png"]}])
    assert arrays["x_bbox_com"][1].max() == 0, "a method the old row lacks reads as an empty input"


@pytest.mark.parametrize("label", [11, -1, "7; DROP TABLE drawings", None, 3.5, "x" * 10_000])
def test_labels_out_of_range_are_refused_with_a_message(tmp_path, label):
    store = collection.Collection(tmp_path / "d.sqlite")
    result = save(store, 3, label=label)
    assert not result.ok and "0-9" in result.message
    assert collection.read_rows(store.path) == []


def test_a_label_without_a_drawing_is_refused(tmp_path):
    store = collection.Collection(tmp_path / "d.sqlite")
    for value in (None, {"background": None, "layers": [], "composite": None}):
        result = store.save(drawing_id="d", session="s", label=3, value=value, method="bbox_com", answers={})
        assert not result.ok and "draw a digit first" in result.message.lower()


def test_a_flood_from_one_session_is_rate_limited_and_others_go_on(tmp_path):
    now = [0.0]
    store = collection.Collection(tmp_path / "d.sqlite", rate=(3, 60.0), clock=lambda: now[0])
    results = [save(store, 1, drawing_id=f"d{i}").ok for i in range(5)]
    assert results == [True, True, True, False, False]
    assert "a lot of labels" in save(store, 1, drawing_id="d9").message
    assert save(store, 2, drawing_id="e1", session="s2").ok, "another session is not limited"
    now[0] = 61.0
    assert save(store, 1, drawing_id="d10").ok, "the limit is per minute"
    assert len(collection.read_rows(store.path)) == 5


def test_the_size_cap_and_an_unwritable_place_are_messages_not_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(
        tmp_path
    )  # the read-only URI below is taken as a relative path: keep it out of the repo
    full = collection.Collection(tmp_path / "full.sqlite", cap_bytes=1)
    assert save(full, 1, drawing_id="a").ok  # the first row creates the file
    result = save(full, 1, drawing_id="b")
    assert not result.ok and "full" in result.message
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    nowhere = collection.Collection(blocker / "d.sqlite")
    result = save(nowhere, 1)
    assert not result.ok and "could not be kept" in result.message
    readonly = tmp_path / "readonly.sqlite"
    sqlite3.connect(readonly).close()
    store = collection.Collection(f"file:{readonly}?mode=ro")
    assert not save(store, 1).ok


def test_canvas_values_that_are_not_drawings_get_a_message():
    good = canvas.encode(drawing(4)["composite"])
    assert canvas.decode(good)["composite"].shape == (400, 400, 4)
    assert canvas.decode("") is None and canvas.decode(None) is None
    for value, words in [
        ("x" * (canvas.MAX_VALUE_CHARS + 1), "far too large"),
        ("data:text/html,<b>", "not a PNG"),
        (canvas.PNG_PREFIX + "!!!", "damaged"),
        (good[:200], "damaged"),
        (12, "not a drawing"),
        (canvas.PNG_PREFIX + "aGVsbG8=", "not an image"),
    ]:
        with pytest.raises(demo.CanvasError, match=words):
            canvas.decode(value)


def test_export_writes_mnist_format_and_the_cli_says_when_there_is_nothing(tmp_path, capsys):
    from mnist_compare.__main__ import main

    store = collection.Collection(tmp_path / "d.sqlite")
    for i, digit in enumerate((0, 7, 7)):
        assert save(store, digit, drawing_id=f"d{i}", session=f"s{i % 2}").ok
    out = tmp_path / "drawings.npz"
    assert main(["drawings", "export", "--db", str(store.path), "--out", str(out)]) == 0
    assert "Wrote 3 labelled drawings" in capsys.readouterr().out
    with np.load(out) as data:
        assert data["x_test"].shape == (3, 28, 28) and data["x_test"].dtype == np.uint8
        assert list(data["y_test"]) == [0, 7, 7] and data["x_train"].shape == (0, 28, 28)
        assert data["x_test"].max() == 255 and data["x_test"][:, 0, :].max() == 0, "white digit on black"
        assert set(data["session"]) == {"s0", "s1"}
    assert main(["drawings", "count", "--db", str(tmp_path / "none.sqlite")]) == 0
    assert "No drawings have been collected yet" in capsys.readouterr().out


def test_evaluate_counts_sessions_and_gives_intervals(tmp_path):
    store = collection.Collection(tmp_path / "d.sqlite")
    for i, digit in enumerate(range(10)):
        assert save(store, digit, drawing_id=f"d{i}", session=f"s{i % 3}").ok
    reader = demo.DigitReader.from_saved(fast=False)
    summary = collection.evaluate(collection.read_rows(store.path), reader)
    assert summary["drawings"] == 10 and summary["sessions"] == 3
    cnn = summary["methods"]["bbox_com"]["cnn"]
    assert cnn["correct"] >= 9 and cnn["low"] < cnn["accuracy"] <= cnn["high"]
    assert collection.evaluate([], reader) == {"drawings": 0, "sessions": 0, "methods": {}}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_server_killed_during_saves_keeps_every_acknowledged_row(tmp_path):
    """Eight clients (eight sessions) draw and label as fast as they can; the server is killed with
    SIGKILL mid-flood. The database opens, passes its integrity check and holds every row the clients were
    told was kept (at most one more per client: a save committed whose answer was lost)."""
    from gradio_client import Client

    db, port = tmp_path / "drawings.sqlite", _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mnist_compare", "demo", "--port", str(port), "--drawings-db", str(db)],
        cwd=config.PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"},
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stdout.read()
                time.sleep(0.3)
        url = f"http://127.0.0.1:{port}/"
        pictures = {d: canvas.encode(drawing(d)["composite"]) for d in range(10)}
        acked, stop = {}, threading.Event()

        def visitor(index):
            client = Client(url, verbose=False)
            key = collection.session_key(client.session_hash)
            acked[key] = 0
            for n in range(25):
                if stop.is_set():
                    return
                try:
                    client.predict("", "bbox_com", api_name="/read_canvas")  # clear: a new drawing
                    client.predict(pictures[(index + n) % 10], "bbox_com", api_name="/read_canvas")
                    note, _ = client.predict(str((index + n) % 10), api_name="/label")
                except Exception:  # the server is gone
                    return
                if note.startswith("Kept as"):
                    acked[key] += 1

        threads = [threading.Thread(target=visitor, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        while sum(acked.values()) < 40 and any(t.is_alive() for t in threads):
            time.sleep(0.05)
        server.send_signal(signal.SIGKILL)
        stop.set()
        server.wait(30)
        for thread in threads:
            thread.join(60)
    finally:
        if server.poll() is None:
            server.kill()
    assert sum(acked.values()) >= 40, acked
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = collection.read_rows(db)
    per_session = {key: sum(r["session"] == key for r in rows) for key in acked}
    for key, count in acked.items():
        assert count <= per_session[key] <= count + 1, (key, count, per_session[key])
    print(f"\n{sum(acked.values())} saves acknowledged before SIGKILL, {len(rows)} rows found after it")


def test_forged_api_calls_are_refused_and_the_reading_goes_on(tmp_path):
    """What a client can send that the page never does: a label out of range, a label with no drawing, a
    huge canvas value. Each is refused (a message or Gradio's refusal of a value outside the choices), no
    row is written, and the next reading is answered."""
    from gradio_client import Client

    store = collection.Collection(tmp_path / "d.sqlite")
    app = demo.build_demo(demo.DigitReader.from_saved(fast=False), collection=store)
    demo.launch_demo(app, port=None, block=False)
    try:
        client = Client(app.local_url, verbose=False)
        note, _ = client.predict("4", api_name="/label")
        assert "Draw a digit first" in note
        status = client.predict(
            "data:image/png;base64," + "A" * (canvas.MAX_VALUE_CHARS + 10),
            "bbox_com",
            api_name="/read_canvas",
        )[0]
        assert "far too large" in status
        picture = canvas.encode(drawing(4)["composite"])
        assert "CNN reads **4**" in client.predict(picture, "bbox_com", api_name="/read_canvas")[0]
        for forged in ("11", "-1", "4; DROP TABLE drawings"):
            try:
                note, _ = client.predict(forged, api_name="/label")
            except Exception as error:  # Gradio refuses a value outside the Radio's choices
                note = str(error)
            assert "Kept" not in note, forged
        assert collection.read_rows(store.path) == []
        note, _ = client.predict("4", api_name="/label")
        assert note.startswith("Kept as"), note
        assert "CNN reads **4**" in client.predict(picture, "bbox_com", api_name="/read_canvas")[0]
    finally:
        app.close()
    assert [row["label"] for row in collection.read_rows(store.path)] == [4]


def test_the_report_section_says_plainly_when_there_are_none_and_tabulates_when_there_are(tmp_path):
    assert collection.report_markdown(tmp_path / "none.sqlite").startswith("None have been collected yet")
    store = collection.Collection(tmp_path / "d.sqlite")
    for i, digit in enumerate((1, 4, 7, 7)):
        assert save(store, digit, drawing_id=f"d{i}", session=f"s{i % 2}").ok
    text = collection.report_markdown(store.path, demo.DigitReader.from_saved(fast=False))
    assert "on 4 drawings labelled by the demo's visitors (2 sessions" in text
    assert text.count("\n| MLP |") == 1 and text.count("\n| CNN |") == 1 and "[" in text
