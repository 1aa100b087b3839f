"""Batch solving: many instances (files, globs, manifests, parameter grids) as tasks, run
locally (a process pool) or on a Ray cluster, with results streamed to a JSONL file.

>>> import tempfile
>>> from pathlib import Path
>>> from dnnsolve.batch import make_tasks, run_batch
>>> from dnnsolve.data import example_path
>>> tasks = make_tasks("mis", [example_path("mis_example")], {"steps": 20, "restarts": 4})
>>> rep = run_batch(tasks, Path(tempfile.mkdtemp()) / "r.jsonl", workers=0, progress=False)
>>> rep.records[0]["status"], rep.records[0]["feasible"]
('ok', True)
"""

from __future__ import annotations

from .backends import Backend, InlineBackend, LocalPool, Outcome, RayBackend, make_backend
from .runner import BatchReport, run_batch
from .sink import JsonlSink, read_records
from .summary import summarize, summary_table
from .tasks import Task, expand_grid, expand_inputs, make_tasks, parse_grid
from .worker import execute_task

__all__ = [
    "Backend",
    "BatchReport",
    "InlineBackend",
    "JsonlSink",
    "LocalPool",
    "Outcome",
    "RayBackend",
    "Task",
    "execute_task",
    "expand_grid",
    "expand_inputs",
    "make_backend",
    "make_tasks",
    "parse_grid",
    "read_records",
    "run_batch",
    "summarize",
    "summary_table",
]
