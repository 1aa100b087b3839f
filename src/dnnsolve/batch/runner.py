"""Run a list of tasks on a backend, streaming each record to a JSONL file as it finishes.

Retries are bounded: a task whose worker raised an error that may be transient, or whose
worker process died, runs again up to ``max_retries`` times; then it is recorded with
``status: "failed"`` and the error, never dropped. Bad input (``InputError``) fails at once.
Ctrl-C cancels what is pending, keeps every finished record, and the report says
``interrupted``; ``resume=True`` later runs only the tasks the file does not hold.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import InputError
from .backends import Backend, Outcome, make_backend
from .sink import JsonlSink
from .tasks import Task
from .worker import execute_task, failed_record

__all__ = ["BatchReport", "run_batch"]

STATUSES = ("ok", "failed", "retried", "skipped")


@dataclass
class BatchReport:
    """What :func:`run_batch` did: the file's records of this batch's tasks, and counts.

    ``other_records`` counts records in the file that belong to no task of this batch (a
    resumed file written with other settings); they are kept in the file but not reported.

    ``counts`` has ``ok`` / ``failed`` (records written by this run), ``retried`` (attempts
    that were run again) and ``skipped`` (tasks already in the file when resuming).
    """

    out: Path
    records: list[dict]
    counts: dict[str, int]
    total: int
    interrupted: bool = False
    elapsed_s: float = 0.0
    backend: str = ""
    workers: int = 0
    repaired_bytes: int = 0
    new_records: list[dict] = field(default_factory=list)
    other_records: int = 0

    @property
    def throughput_per_min(self) -> float | None:
        """Records written by this run per minute of wall time (start-up included)."""
        n = len(self.new_records)
        return 60.0 * n / self.elapsed_s if self.elapsed_s > 0 and n else None


def _counts_text(counts: dict[str, int]) -> str:
    colours = {"ok": "green", "failed": "red", "retried": "yellow", "skipped": "cyan"}
    return "  ".join(f"[{colours[k]}]{k} {counts[k]}[/]" for k in STATUSES)


@contextlib.contextmanager
def _ctrl_c_flag() -> Iterator[threading.Event]:
    """An event set by the first Ctrl-C (SIGINT) while the block runs (main thread only)."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def on_sigint(signum, frame) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


def run_batch(
    tasks: Sequence[Task],
    out: str | os.PathLike,
    *,
    backend: str | Backend = "auto",
    workers: int | None = None,
    ray_address: str | None = None,
    cpus_per_task: float = 1.0,
    gpus_per_task: float = 0.0,
    device: str | None = None,
    max_retries: int = 2,
    resume: bool = False,
    retry_failed: bool = False,
    history: bool = True,
    progress: bool = True,
    console=None,
    execute: Callable[..., dict] = execute_task,
    on_record: Callable[[dict], None] | None = None,
) -> BatchReport:
    """Run ``tasks`` and append one JSON line per task to ``out`` as each one finishes.

    ``backend``: ``"auto"`` (Ray when ``ray_address`` is given, else a local process pool
    of ``workers`` processes; ``workers=0`` runs in this process), ``"local"``,
    ``"inline"``, ``"ray"`` (a local Ray instance unless ``ray_address``), or a
    :class:`Backend`. ``device`` defaults to ``cuda`` when ``gpus_per_task > 0``, else
    ``cpu``. ``execute(task, attempt, device, history)`` is what workers run (default
    :func:`~dnnsolve.batch.worker.execute_task`; tests swap in one that fails on purpose).
    ``on_record`` sees each written record in the driver.

    >>> import tempfile
    >>> from dnnsolve.batch import make_tasks
    >>> from dnnsolve.data import example_path
    >>> tasks = make_tasks("maxcut", [example_path("maxcut_example")], {"steps": 30},
    ...                    grid={"seed": [0, 1]})
    >>> out = Path(tempfile.mkdtemp()) / "res.jsonl"
    >>> rep = run_batch(tasks, out, workers=0, progress=False, history=False)
    >>> rep.counts["ok"], [r["seed"] for r in rep.records]
    (2, [0, 1])
    >>> run_batch(tasks, out, workers=0, resume=True, progress=False).counts["skipped"]
    2
    """
    if max_retries < 0:
        raise InputError("--max-retries must be at least 0")
    ids = [t.task_id for t in tasks]
    if len(set(ids)) != len(ids):
        raise InputError("duplicate task ids in the batch")
    t_start = time.perf_counter()
    device = device or ("cuda" if gpus_per_task > 0 else "cpu")
    sink = JsonlSink(out, resume=resume, drop_failed=retry_failed)
    counts = dict.fromkeys(STATUSES, 0)
    new: list[dict] = []
    interrupted = False
    be: Backend | None = None
    try:
        done = sink.done_ids()
        todo = [t for t in tasks if t.task_id not in done]
        counts["skipped"] = len(tasks) - len(todo)
        errors: dict[str, list[str]] = {}

        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
            disable=not progress,
        )

        def finish(rec: dict) -> None:
            prev = errors.pop(rec["task_id"], None)
            if prev:
                rec["previous_errors"] = prev
            sink.write(rec)
            new.append(rec)
            counts["ok" if rec.get("status") == "ok" else "failed"] += 1
            if on_record is not None:
                on_record(rec)

        def handle(o: Outcome) -> None:
            rec = o.record
            if rec is not None and rec.get("status") == "ok":
                finish(rec)
                return
            error = rec.get("error") if rec is not None else o.crash
            retryable = rec.get("retryable", True) if rec is not None else True
            if retryable and o.attempt <= max_retries:
                errors.setdefault(o.task["task_id"], []).append(str(error))
                counts["retried"] += 1
                assert be is not None
                be.submit(o.task, o.attempt + 1)
                return
            if rec is None:
                rec = failed_record(o.task, o.attempt, str(error), retryable=True)
            finish(rec)

        with bar:
            ptask = bar.add_task(
                "batch", total=len(tasks), completed=counts["skipped"], counts=_counts_text(counts)
            )
            if todo:
                try:
                    be = (
                        backend
                        if isinstance(backend, Backend)
                        else make_backend(
                            backend,
                            workers=workers,
                            ray_address=ray_address,
                            cpus_per_task=cpus_per_task,
                            gpus_per_task=gpus_per_task,
                            execute=execute,
                            device=device,
                            history=history,
                            n_tasks=len(todo),
                        )
                    )
                    bar.update(ptask, description=f"batch ({be.name})")
                    for t in todo:
                        be.submit(t.to_dict(), 1)
                    # Ctrl-C sets a flag checked between waits, so it never lands inside the
                    # backend's own code (Ray's client); a second Ctrl-C interrupts at once
                    with _ctrl_c_flag() as stop:
                        while be.pending() and not stop.is_set():
                            for o in be.wait(timeout=0.5):
                                handle(o)
                            bar.update(
                                ptask,
                                completed=counts["skipped"] + counts["ok"] + counts["failed"],
                                counts=_counts_text(counts),
                            )
                    interrupted = stop.is_set()
                except KeyboardInterrupt:
                    interrupted = True
                if not interrupted:
                    be.shutdown()
    finally:
        sink.close()
        if be is not None:  # after an error or Ctrl-C: stop what still runs (no-op otherwise)
            try:
                be.shutdown(cancel=True)
            except Exception as exc:  # the finished records are safe; say why workers linger
                Console(stderr=True).print(f"note: stopping the workers failed: {exc}")
    wanted = set(ids)
    return BatchReport(
        out=Path(out),
        records=[r for r in sink.records if r.get("task_id") in wanted],
        other_records=sum(1 for r in sink.records if r.get("task_id") not in wanted),
        counts=counts,
        total=len(tasks),
        interrupted=interrupted,
        elapsed_s=time.perf_counter() - t_start,
        backend=be.name if be is not None else "none",
        workers=be.capacity if be is not None else 0,
        repaired_bytes=sink.repaired_bytes,
        new_records=new,
    )
