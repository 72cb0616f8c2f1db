"""Atomic writes, checksums, stale-file cleanup and the output folder's lock.

A file is either the old one or the complete new one, never half. Files are written with
the permissions the user's umask gives (``0666 & ~umask``), like any other program's.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

#: Temporary files are named ``.<stem>.<pid>.<random>.tmp<suffix>``: the pid tells a live
#: writer's file from one a killed process left behind.
TEMPORARY_GLOB = ".*.tmp*"
_TEMPORARY_PID = re.compile(r"^\..*?\.(\d+)\.[^.]+\.tmp")
LOCK_NAME = ".mnist_compare.lock"

from .errors import MnistCompareError  # noqa: E402


class OutputBusyError(MnistCompareError):
    """Another process is writing the same output folder."""


def _read_umask() -> int:
    try:  # Linux reports it without changing it
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode a new file gets from the current umask (``open()`` would give the same)."""
    return 0o666 & ~_read_umask()


def sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success rename it onto ``path``.

    The temporary file keeps ``path``'s suffix (Keras insists on ``.keras``).
    If the body raises or the process dies, ``path`` is untouched and the
    temporary file is removed (or, after a kill, left as a hidden ``.tmp`` file
    that ``remove_stale_temporaries`` deletes on the next start).
    """
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp_name = tempfile.mkstemp(
            prefix=f".{path.stem}.{os.getpid()}.", suffix=".tmp" + (suffix or path.suffix), dir=path.parent
        )
        os.close(handle)
        tmp = Path(tmp_name)
        yield tmp
        os.chmod(tmp, file_mode())
        with open(tmp, "rb") as written:
            os.fsync(written.fileno())
        os.replace(tmp, path)
    except OSError as error:
        named = Path(error.filename) if error.filename else None
        if (
            named is not None
            and named != path.parent
            and not (named.parent == path.parent and named.name.startswith(f".{path.stem}."))
        ):
            raise
        # name the file being written, not its temporary twin
        raise type(error)(error.errno, error.strerror, str(path)) from error
    finally:
        if tmp is not None and tmp.exists():
            tmp.unlink()


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_stale_temporaries(*folders: str | os.PathLike) -> list[Path]:
    """Delete the half-written files that killed processes left in ``folders``; return them.

    A temporary file whose writer is still running is kept; one without a pid in its name
    (an older format) is removed when it is more than an hour old.
    """
    removed = []
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            continue
        for leftover in folder.rglob(TEMPORARY_GLOB):
            match = _TEMPORARY_PID.match(leftover.name)
            try:
                if match:
                    stale = not _pid_alive(int(match.group(1)))
                else:
                    stale = time.time() - leftover.stat().st_mtime > 3600
                if stale and leftover.is_file():
                    leftover.unlink()
                    removed.append(leftover)
            except FileNotFoundError:
                continue
    return removed


_HELD_LOCKS: dict[Path, list] = {}


@contextmanager
def output_lock(root: str | os.PathLike, *, what: str = "run") -> Iterator[None]:
    """Hold ``root/.mnist_compare.lock`` (an exclusive ``flock``) while training into ``root``.

    A second process that wants the same folder gets ``OutputBusyError`` at once; the same
    process may take it again (nested calls). The kernel drops the lock when a process dies,
    so a kill never leaves the folder locked.
    """
    import fcntl

    root = Path(root).resolve()
    held = _HELD_LOCKS.get(root)
    if held is not None:
        held[1] += 1
        try:
            yield
        finally:
            held[1] -= 1
        return
    root.mkdir(parents=True, exist_ok=True)
    lock_path = root / LOCK_NAME
    handle = open(lock_path, "a+")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            handle.seek(0)
            owner = handle.read().strip() or "another process"
            raise OutputBusyError(
                f"{root} is in use by {owner}; wait for it to finish, or set MNIST_COMPARE_OUTPUT "
                "to another folder to work side by side."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"`{what}` (pid {os.getpid()})\n")
        handle.flush()
        _HELD_LOCKS[root] = [handle, 1]
        try:
            yield
        finally:
            del _HELD_LOCKS[root]
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()


def write_text(path: str | os.PathLike, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json(path: str | os.PathLike, data: Any) -> Path:
    return write_text(path, json.dumps(data, indent=2, sort_keys=False, allow_nan=False) + "\n")


def read_json(path: str | os.PathLike) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def save_model(model, path: str | os.PathLike) -> Path:
    """Save a Keras model as ``.keras`` atomically."""
    with atomic_path(path) as tmp:
        model.save(tmp)
    return Path(path)


def save_npz(path: str | os.PathLike, **arrays) -> Path:
    import numpy as np

    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, **arrays)
    return Path(path)


def set_aside(path: str | os.PathLike, reason: str) -> Path:
    """Rename a damaged file to ``<name>.<reason>-<time>`` (never delete it) and return the new path."""
    path = Path(path)
    target = path.with_name(f"{path.name}.{reason}-{time.strftime('%Y%m%d-%H%M%S')}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.{reason}-{time.strftime('%Y%m%d-%H%M%S')}-{counter}")
    os.replace(path, target)
    return target
