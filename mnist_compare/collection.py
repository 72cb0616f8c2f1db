"""Drawings by the demo's visitors, with what they say they drew: an embedded SQLite database (WAL mode).

A visitor draws, both models answer, and one click on "I drew a ..." keeps one row: the drawing (its
composite, downsized to 112x112 gray), the 28x28 input of every preprocessing, the label, both models'
answers and confidences, the preprocessing shown and the time. The session is kept only as a short
hash, to count sessions; nothing else about the visitor is kept.

- One row per drawing (until Clear): a second click replaces the label, "Undo my label" deletes the row.
- Saving is its own event: a reading never waits for it. A save that cannot be made (a read-only or
  full disk, the size cap reached, too many saves from one session in a minute) is refused with a
  message; the demo goes on reading.
- Each save is one transaction, committed before the page is told "kept": in WAL mode with
  ``synchronous=NORMAL`` a committed row survives the server being killed (not a power cut).

``python -m mnist_compare drawings export`` writes the rows as an npz in MNIST's format, and the
report's drawings section evaluates both models on them (``evaluate``).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

import numpy as np
from PIL import Image

from . import config, preprocessing, registry
from .errors import MnistCompareError, first_line
from .metrics import binomial_interval
from .preprocessing import METHOD_LABELS, METHODS, CanvasError
from .reader import DigitReader
from .storage import save_npz

ENV_DB = "MNIST_COMPARE_DRAWINGS_DB"
DB_NAME = "drawings.sqlite"
THUMBNAIL_SIDE = 112
#: The database stops growing at this size (the file and its WAL); readings go on.
DEFAULT_CAP_BYTES = 512 * 1024 * 1024
#: At most this many saves per session per minute (a flood from one page or one forged client).
DEFAULT_RATE = (30, 60.0)
#: The columns a row has beside its key, session, time, label and drawing: each demo model's answer and
#: confidence, and each preprocessing method's 28x28 input. A database made before a model or a method was
#: added gets its columns when it is opened (``_connect``); its older rows hold NULL there.
ANSWER_COLUMNS = {
    f"{name}_{field}": kind
    for name in registry.demo_models()
    for field, kind in (("digit", "INTEGER"), ("confidence", "REAL"))
}
INPUT_COLUMNS = {f"input_{method}": "BLOB" for method in preprocessing.METHODS}
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS drawings (drawing_id TEXT PRIMARY KEY, session TEXT NOT NULL, "
    "created TEXT NOT NULL, label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9), method TEXT NOT NULL, "
    "drawing_png BLOB NOT NULL, "
    + ", ".join(f"{column} {kind}" for column, kind in {**ANSWER_COLUMNS, **INPUT_COLUMNS}.items())
    + ");"
)
#: What a second save of the same drawing (a new label) replaces, within the visitor's own session.
UPDATED_COLUMNS = ("label", "created", "method", "drawing_png", *ANSWER_COLUMNS, *INPUT_COLUMNS)
KEPT_NOTE = (
    "Say what you drew with one click: the drawing, your label and both answers are kept "
    "(no name, no address) to test the models on real handwriting."
)


class CollectionError(MnistCompareError):
    """The collected drawings cannot be read."""


def default_path(fast: bool | None = None) -> Path:
    """``$MNIST_COMPARE_DRAWINGS_DB``, else ``reports/drawings.sqlite`` beside the run's outputs."""
    override = os.environ.get(ENV_DB)
    if override:
        return Path(override).expanduser()
    return config.output_paths(fast).reports / DB_NAME


def session_key(session_hash: str | None) -> str:
    """A short one-way key for a Gradio session (sessions are counted, never identified)."""
    return hashlib.sha256(str(session_hash or "anonymous").encode()).hexdigest()[:16]


def _connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    else:
        connection = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.executescript(SCHEMA)
        present = {row[1] for row in connection.execute("PRAGMA table_info(drawings)")}
        for column, kind in {**ANSWER_COLUMNS, **INPUT_COLUMNS}.items():
            if column not in present:  # a model or a method added since the database was made
                connection.execute(f"ALTER TABLE drawings ADD COLUMN {column} {kind}")
    return connection


def _png(gray: np.ndarray) -> bytes:
    buffer = BytesIO()
    Image.fromarray(gray).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def drawing_record(value) -> dict:
    """What a row keeps of a canvas value: a 112x112 gray PNG and each preprocessing's 28x28 uint8 input.

    Raises ``preprocessing.CanvasError`` when the value is no drawing."""
    inputs = {}
    for method in preprocessing.METHODS:
        result = preprocessing.preprocess(value, method)
        inputs[method] = np.round(result.model_input * 255).astype(np.uint8)
    drawing = (np.clip(preprocessing.to_gray(result.steps["drawing"]), 0, 1) * 255).astype(np.uint8)
    thumbnail = np.asarray(
        Image.fromarray(drawing).resize((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    )
    return {
        "drawing_png": _png(thumbnail),
        **{f"input_{m}": inputs[m].tobytes() for m in preprocessing.METHODS},
    }


@dataclass
class SaveResult:
    ok: bool
    message: str


class Collection:
    """The database of labelled drawings, shared by every session of one demo (thread-safe)."""

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        cap_bytes: int = DEFAULT_CAP_BYTES,
        rate: tuple[int, float] = DEFAULT_RATE,
        clock=time.monotonic,
    ):
        self.path = Path(path)
        self.cap_bytes, self.rate, self._clock = cap_bytes, rate, clock
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._recent: dict[str, deque] = {}

    # -- the connection -------------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._connection = _connect(self.path)
        return self._connection

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())

    # -- saving ---------------------------------------------------------------------------------
    def _rate_limited(self, session: str) -> bool:
        limit, window = self.rate
        now = self._clock()
        recent = self._recent.setdefault(session, deque())
        while recent and now - recent[0] > window:
            recent.popleft()
        if len(recent) >= limit:
            return True
        recent.append(now)
        if len(self._recent) > 10_000:  # forget idle sessions
            for key in [k for k, q in self._recent.items() if not q or now - q[-1] > window]:
                del self._recent[key]
        return False

    def save(self, *, drawing_id: str, session: str, label, value, method: str, answers: dict) -> SaveResult:
        """Keep (or relabel) one drawing. Never raises for a user's input or the disk: returns a message."""
        text = label.strip() if isinstance(label, str) else label
        if isinstance(text, str) and len(text) == 1 and text in "0123456789":
            label = int(text)
        elif not (isinstance(label, (int, np.integer)) and not isinstance(label, bool) and 0 <= label <= 9):
            return SaveResult(False, "Pick the digit you drew (0-9).")
        if not drawing_id or value is None:
            return SaveResult(False, "Draw a digit first, then say which one it is.")
        try:
            record = drawing_record(value)  # outside the lock: ~20 ms of NumPy per drawing
        except CanvasError:
            return SaveResult(False, "There is no drawing to keep: draw a digit first.")
        row = {
            "drawing_id": str(drawing_id)[:64],
            "session": session,
            "label": label,
            "method": method,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **record,
        }
        for name in registry.demo_models():
            digit, confidence = answers.get(name, (None, None))
            row[f"{name}_digit"], row[f"{name}_confidence"] = digit, confidence
        with self._lock:
            if self._rate_limited(session):
                return SaveResult(
                    False,
                    "That is a lot of labels in a minute: this one was not kept. "
                    "Wait a moment and try again.",
                )
            try:
                if self.size_bytes() >= self.cap_bytes:
                    return SaveResult(
                        False,
                        "The collection is full, so drawings are no longer kept; the models go on reading.",
                    )
                connection = self._open()
                columns = ", ".join(row)
                connection.execute(
                    f"INSERT INTO drawings ({columns}) VALUES ({', '.join('?' * len(row))}) "
                    "ON CONFLICT(drawing_id) DO UPDATE SET "
                    + ", ".join(f"{column} = excluded.{column}" for column in UPDATED_COLUMNS)
                    + " WHERE drawings.session = excluded.session",
                    tuple(row.values()),
                )
            except (sqlite3.Error, OSError) as error:
                self._reset_after(error)
                return SaveResult(
                    False,
                    f"This drawing could not be kept ({first_line(error, 80)}); the models go on reading.",
                )
        return SaveResult(
            True, f"Kept as a **{label}**. Thank you! (A wrong digit? Click the right one, or Undo my label.)"
        )

    def forget(self, *, drawing_id: str, session: str) -> SaveResult:
        """Delete this session's row for ``drawing_id`` (the "Undo my label" button)."""
        if not drawing_id:
            return SaveResult(False, "There is no label to undo.")
        with self._lock:
            try:
                if not self.path.exists():
                    return SaveResult(False, "There is no label to undo.")
                deleted = (
                    self._open()
                    .execute(
                        "DELETE FROM drawings WHERE drawing_id = ? AND session = ?",
                        (str(drawing_id)[:64], session),
                    )
                    .rowcount
                )
            except (sqlite3.Error, OSError) as error:
                self._reset_after(error)
                return SaveResult(False, f"The label could not be undone ({first_line(error, 80)}).")
        return SaveResult(
            bool(deleted),
            "Label undone: this drawing is not kept." if deleted else "There is no label to undo.",
        )

    def _reset_after(self, error) -> None:
        """After a failed write the connection is closed, so the next save starts clean."""
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None


# -- reading the collection back ------------------------------------------------------------------
def read_rows(path: str | os.PathLike) -> list[dict]:
    """Every row of the database at ``path`` (read-only), oldest first; ``[]`` when there is none."""
    path = Path(path)
    if not path.exists():
        return []
    try:
        connection = _connect(path, readonly=True)
        try:
            connection.row_factory = sqlite3.Row
            rows = connection.execute("SELECT * FROM drawings ORDER BY created, rowid").fetchall()
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise CollectionError(
            f"The collected drawings at {path} cannot be read ({first_line(error, 100)})."
        ) from None
    return [dict(row) for row in rows]


def to_arrays(rows: list[dict]) -> dict[str, np.ndarray]:
    """Rows -> MNIST-format arrays: ``x_test`` (N, 28, 28) uint8 (white digit on black, the default
    preprocessing), ``y_test`` uint8, one ``x_<method>`` per preprocessing, the 112x112 drawings, both
    models' answers, the session keys and the times; ``x_train``/``y_train`` are empty, so the file loads
    wherever ``mnist.npz`` does."""
    n = len(rows)
    arrays = {f"x_{m}": np.zeros((n, 28, 28), np.uint8) for m in preprocessing.METHODS}
    drawings = np.zeros((n, THUMBNAIL_SIDE, THUMBNAIL_SIDE), np.uint8)
    for i, row in enumerate(rows):
        for m in preprocessing.METHODS:
            if row.get(f"input_{m}") is not None:  # NULL: a method added after the row was kept
                arrays[f"x_{m}"][i] = np.frombuffer(row[f"input_{m}"], np.uint8).reshape(28, 28)
        with Image.open(BytesIO(row["drawing_png"])) as image:
            drawings[i] = np.asarray(image.convert("L"))
    labels = np.array([row["label"] for row in rows], np.uint8)
    return {
        "x_train": np.zeros((0, 28, 28), np.uint8),
        "y_train": np.zeros((0,), np.uint8),
        "x_test": arrays["x_bbox_com"].copy(),  # crop + padding + centre of mass, the demo's default
        "y_test": labels,
        **arrays,
        "drawings": drawings,
        **{
            f"{name}_digit": np.array(
                [-1 if r.get(f"{name}_digit") is None else r[f"{name}_digit"] for r in rows], np.int8
            )
            for name in registry.demo_models()
        },
        "session": np.array([r["session"] for r in rows], dtype="U16"),
        "created": np.array([r["created"] for r in rows], dtype="U32"),
    }


def export(path: str | os.PathLike, out: str | os.PathLike) -> tuple[Path, int]:
    """Write the collection at ``path`` as an npz at ``out`` (atomically); returns (out, rows)."""
    rows = read_rows(path)
    return save_npz(out, **to_arrays(rows)), len(rows)


def evaluate(rows: list[dict], reader) -> dict:
    """Both models under every preprocessing on the collected drawings: counts, sessions, accuracy with
    95% intervals (``metrics.binomial_interval``). ``reader`` is a ``reader.DigitReader`` (the saved
    models)."""
    summary = {"drawings": len(rows), "sessions": len({r["session"] for r in rows}), "methods": {}}
    if not rows:
        return summary
    arrays = to_arrays(rows)
    labels = arrays["y_test"].astype(int)
    summary["per_digit"] = {str(d): int((labels == d).sum()) for d in range(10)}
    for method in preprocessing.METHODS:
        kept = np.array([row.get(f"input_{method}") is not None for row in rows])  # not a method added since
        if not kept.any():
            continue
        batch = arrays[f"x_{method}"][kept].astype(np.float32)[..., None] / 255.0
        outputs = reader.predict(batch)
        summary["methods"][method] = {}
        for name, probabilities in outputs.items():
            correct = int((np.argmax(probabilities, axis=1) == labels[kept]).sum())
            low, high = binomial_interval(correct, int(kept.sum()))
            summary["methods"][method][name] = {
                "correct": correct,
                "accuracy": correct / int(kept.sum()),
                "low": low,
                "high": high,
            }
    return summary


def report_markdown(path: str | os.PathLike | None = None, reader=None) -> str:
    """The report's paragraph on the visitors' drawings: both models under every preprocessing on the
    collected drawings (how many, from how many sessions, accuracy with 95% intervals), or a plain
    sentence that there are none yet. Nothing is invented to fill it."""
    path = Path(path) if path else default_path()
    rows = read_rows(path)
    if not rows:
        return (
            "None have been collected yet, so there is no result here: nothing is shown until visitors "
            "have labelled drawings."
        )
    if reader is None:
        reader = DigitReader.from_saved()
    summary = evaluate(rows, reader)
    methods = [m for m in METHODS if m in summary["methods"]]  # a method added since: not on older rows
    lines = [
        f"**Accuracy (%) on {summary['drawings']:,} drawings labelled by the demo's visitors "
        f"({summary['sessions']:,} sessions; the first seed's models, 95% intervals)**",
        "",
        "| Model | " + " | ".join(METHOD_LABELS[m] for m in methods) + " |",
        "|---|" + "---|" * len(methods),
    ]
    for name, title in ((name, registry.label(name)) for name in summary["methods"][methods[0]]):
        cells = [summary["methods"][m][name] for m in methods]
        lines.append(
            f"| {title} | "
            + " | ".join(
                f"{100 * c['accuracy']:.1f} [{100 * c['low']:.1f}, {100 * c['high']:.1f}]" for c in cells
            )
            + " |"
        )
    return "\n".join(lines)
