"""What a worker does with one task: solve it and return a JSON-ready record, never raise.

A record is the ``Result`` dict that ``dnnsolve solve --output`` writes plus ``task_id``,
``input``, ``label``, ``config``, ``status`` (the task's: ``"ok"`` / ``"failed"``), ``error``,
``attempts``, ``worker`` (host:pid) and ``wall_s``; the result's own ``status`` (``optimal``,
``sat``, ``unknown``, ...; see :class:`~dnnsolve.core.result.Result`) is ``result_status``
(None in a failed record). A failed record also says whether trying again could help
(``retryable``: not for bad input, which fails the same way every time).
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from pathlib import Path
from typing import Any

from ..core.errors import InputError

__all__ = ["NON_RETRYABLE", "execute_task", "failed_record", "worker_name"]

#: exception type names that fail the same way on every attempt (bad input or options)
NON_RETRYABLE = frozenset(
    {"InputError", "ValueError", "TypeError", "KeyError", "FileNotFoundError", "UnicodeDecodeError"}
)


def worker_name() -> str:
    """``host:pid`` of this process (recorded so failures can be traced to a node)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _base(task: dict, attempt: int, t0: float) -> dict:
    return {
        "task_id": task["task_id"],
        "input": task["input"],
        "label": task.get("label", ""),
        "config": task.get("config", {}),
        "attempts": attempt,
        "worker": worker_name(),
        "wall_s": time.perf_counter() - t0,
    }


def failed_record(task: dict, attempt: int, error: str, retryable: bool, **extra: Any) -> dict:
    """A record for a task that did not produce a result (the schema of an ok record)."""
    cfg = task.get("config", {})
    return {
        "problem": task.get("problem"),
        "instance": Path(task["input"]).name,
        "method": cfg.get("method"),
        "objective": None,
        "feasible": False,
        "result_status": None,
        "seed": cfg.get("seed"),
        "task_id": task["task_id"],
        "input": task["input"],
        "label": task.get("label", ""),
        "config": cfg,
        "status": "failed",
        "error": error,
        "retryable": retryable,
        "attempts": attempt,
        "worker": extra.pop("worker", None),
        "wall_s": extra.pop("wall_s", None),
        **extra,
    }


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def execute_task(task: dict, attempt: int = 1, device: str = "cpu", history: bool = True) -> dict:
    """Run one task (a :meth:`Task.to_dict`) and return its record; exceptions become records.

    >>> from dnnsolve.batch.tasks import make_tasks
    >>> from dnnsolve.data import example_path
    >>> t = make_tasks("mis", [example_path("mis_example")], {"steps": 20, "restarts": 2})[0]
    >>> rec = execute_task(t.to_dict(), history=False)
    >>> rec["status"], rec["result_status"], rec["feasible"], rec["reference"]
    ('ok', 'feasible', True, 24)
    >>> bad = dict(t.to_dict(), input="/no/such/file.dimacs")
    >>> r = execute_task(bad)
    >>> r["status"], r["retryable"], r["error"].startswith("InputError")
    ('failed', False, True)
    """
    t0 = time.perf_counter()
    if task.get("kind", "solve") == "suite":
        from .suites import execute_suite_task

        return execute_suite_task(task, attempt, device)
    try:
        from ..family import solve

        cfg = dict(task.get("config", {}))
        if not cfg.get("hparams"):
            cfg.pop("hparams", None)
        path = Path(task["input"])
        if not path.is_file():
            raise InputError(f"no such file: {path}")
        # the family's options check every setting (an unknown one is an InputError)
        result = solve(task["problem"], path, device=device, **cfg)
        result.instance = path.name
        if result.stop_reason == "interrupted":  # Ctrl-C reached the worker: not a result
            raise KeyboardInterrupt
        record = result.to_dict(history=history)
        record["result_status"] = record.pop("status")  # "status" is the task's (ok / failed)
        record.update(_base(task, attempt, t0), status="ok", error=None)
        return record
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # a worker reports, it never dies of a task
        # every InputError subclass (an unavailable device too) fails the same way each time
        final = isinstance(exc, InputError) or type(exc).__name__ in NON_RETRYABLE
        return failed_record(
            task,
            attempt,
            _error_text(exc),
            retryable=not final,
            worker=worker_name(),
            wall_s=time.perf_counter() - t0,
            traceback=None if final else traceback.format_exc(limit=5),
        )
