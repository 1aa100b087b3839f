"""An append-only JSONL results file that a crash never leaves with a half line.

Each record is written with one ``write()`` of the complete line on a file opened with
``O_APPEND``, then flushed and fsynced, so a reader (or a resumed run) sees whole records.
If the machine dies during a write, the file can end in a partial line; :class:`JsonlSink`
cuts it off when it opens the file again, keeping every complete record. An exclusive
``flock`` stops two batches from appending to the same file at once.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from ..core.errors import InputError
from ..core.result import atomic_write_bytes, jsonable

__all__ = ["JsonlSink", "read_records"]


def read_records(path: str | os.PathLike) -> tuple[list[dict], int]:
    """The complete JSON records of a JSONL file and the byte length they occupy.

    A trailing line without its newline (an interrupted write) and lines that are not JSON
    objects are skipped; the length is where the last complete line ends.

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "r.jsonl"
    >>> _ = p.write_text('{"task_id": "a"}\\n{"task_id": "b"}\\n{"task_')
    >>> recs, end = read_records(p)
    >>> [r["task_id"] for r in recs], end
    (['a', 'b'], 34)
    """
    data = Path(path).read_bytes()
    end = data.rfind(b"\n") + 1  # 0 when no complete line
    records = []
    for line in data[:end].splitlines():
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict):
            records.append(obj)
    return records, end


class JsonlSink:
    """Append records (dicts) to ``path``, one JSON line each, durable before returning.

    ``resume=False`` refuses an existing non-empty file (so a typo never appends a second
    run to an old one); ``resume=True`` loads its records (``self.records``) after
    repairing a trailing partial line. ``drop_failed`` (resume only) rewrites the file without
    its ``status == "failed"`` records, so those tasks run again without duplicates.

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "out.jsonl"
    >>> with JsonlSink(p) as sink:
    ...     sink.write({"task_id": "x", "status": "ok", "objective": 3.0})
    >>> with JsonlSink(p, resume=True) as sink:
    ...     sorted(sink.done_ids())
    ['x']
    """

    def __init__(self, path: str | os.PathLike, resume: bool = False, drop_failed: bool = False):
        self.path = Path(path)
        self.records: list[dict] = []
        self.repaired_bytes = 0
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        exists = self.path.exists() and self.path.stat().st_size > 0
        if exists and not resume:
            raise InputError(
                f"{self.path} already holds results; pass --resume to continue it "
                "or choose another --output"
            )
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            self._lock_file()
            if exists:
                self._load(drop_failed)
        except BaseException:
            os.close(self._fd)
            raise

    def _lock_file(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no cross-process guard
            return
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(f"{self.path} is in use by another batch run") from None
        except OSError:  # a file system without flock (some network mounts): no guard
            pass

    def _load(self, drop_failed: bool) -> None:
        records, end = read_records(self.path)
        size = self.path.stat().st_size
        if end < size:  # a partial last line from a crash: cut it off
            os.truncate(self.path, end)
            self.repaired_bytes = size - end
        if drop_failed and any(r.get("status") == "failed" for r in records):
            records = [r for r in records if r.get("status") != "failed"]
            text = "".join(json.dumps(r) + "\n" for r in records)
            # the flock is on the old inode: take it again on the replacement
            atomic_write_bytes(self.path, text.encode("utf-8"))
            os.close(self._fd)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
            self._lock_file()
        self.records = records

    def done_ids(self) -> set[str]:
        """Task ids already recorded (finished or finally failed)."""
        return {str(r["task_id"]) for r in self.records if "task_id" in r}

    def write(self, record: dict[str, Any]) -> None:
        """Append one record as a single line; returns once it is on disk."""
        line = (json.dumps(jsonable(record)) + "\n").encode("utf-8")
        with self._lock:
            view = memoryview(line)
            while view:  # one write() for regular files; loop only on a short write
                n = os.write(self._fd, view)
                view = view[n:]
            os.fsync(self._fd)
            self.records.append(record)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> JsonlSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
