"""Benchmark suites through the batch path: a suite's instances × seeds (× methods) as tasks.

A task names the suite, the instance (by name), the methods and the run settings; the
worker rebuilds the suite's :class:`~dnnsolve.bench.harness.SuiteContext`, looks the
instance up by name, loads it and calls the suite's own ``rows`` function, so the rows are
exactly those ``dnnsolve bench`` would write. The JSONL file holds one record per task (with
its ``rows``); at the end the suite's ``summarize`` runs over all rows and a Markdown file in
the harness's format is written next to the JSONL. On a cluster, ``data`` must be a path the
workers can read (a shared file system).
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import InputError
from ..core.result import atomic_write_text
from .runner import BatchReport, run_batch
from .tasks import Task, task_id
from .worker import NON_RETRYABLE, execute_task, failed_record, worker_name

__all__ = ["SuiteBatchReport", "execute_suite_task", "run_suite_batched", "suite_tasks"]


@dataclass
class SuiteBatchReport:
    """The batch report plus the suite's rows, summary and Markdown (written to ``markdown_path``)."""

    batch: BatchReport
    rows: list[dict]
    summary: dict
    markdown: str
    markdown_path: Path


def _context(cfg: dict, device: str):
    from ..bench.harness import SuiteContext
    from ..core.device import resolve_device

    return SuiteContext(
        device=resolve_device(device),
        time_limit=float(cfg["time_limit"]),
        seed=int(cfg["seed"]),
        baselines=bool(cfg.get("baselines", True)),
        exact=cfg.get("exact"),
        max_n=cfg.get("max_n"),
        data=Path(cfg["data"]) if cfg.get("data") else None,
        options=cfg.get("options"),
    )


def suite_tasks(
    suite: str,
    *,
    data: str | os.PathLike | None = None,
    methods: list[str] | None = None,
    seeds: Sequence[int] = (0,),
    time_limit: float | None = None,
    limit: int | None = None,
    instances: str | None = None,
    baselines: bool = True,
    options: dict | None = None,
    max_n: int | None = None,
    exact: bool | None = None,
    per_method: bool = False,
    device: str = "cpu",
) -> list[Task]:
    """The tasks of a suite: one per (instance, seed), or per (instance, seed, method).

    With ``per_method`` each task runs one method, and the suite's baselines run in each
    task (the suites compute them per call); by default one task runs all chosen methods on
    an instance, as ``dnnsolve bench`` does.

    >>> ts = suite_tasks("clique", seeds=[0, 1], limit=1, time_limit=1)
    >>> [(t.input, t.label, t.kind) for t in ts]
    [('er-n100-p0.5', 'seed=0', 'suite'), ('er-n100-p0.5', 'seed=1', 'suite')]
    """
    from ..bench.harness import SUITES, resolve_methods, select_instances
    from ..data import default_data_dir

    if suite not in SUITES:
        raise InputError(f"unknown benchmark suite {suite!r}; choose from {', '.join(SUITES)}")
    if time_limit is not None and time_limit <= 0:
        raise InputError("time limit must be positive")
    if limit is not None and limit < 1:
        raise InputError("limit must be at least 1")
    if not seeds:
        raise InputError("no seeds")
    s = SUITES[suite]
    chosen, _notes = resolve_methods(s, methods)
    tl = float(time_limit) if time_limit is not None else s.default_time_limit
    if data is None and s.data_subdir is not None:
        found = default_data_dir()
        data = str(found) if found is not None else None
    cfg_base: dict[str, Any] = {
        "suite": suite,
        "time_limit": tl,
        "baselines": baselines,
        "options": options or None,
        "max_n": max_n,
        "exact": exact,
    }
    splits = [{p: [m]} for p, ms in chosen.items() for m in ms] if per_method else [dict(chosen)]
    tasks: list[Task] = []
    for seed in seeds:
        cfg_seed = {**cfg_base, "seed": int(seed), "data": str(data) if data else None}
        ctx = _context(cfg_seed, device)
        insts = s.instances(ctx)
        keep = set(select_instances([i.name for i in insts], instances))
        insts = [i for i in insts if i.name in keep][: limit or None]
        for inst in insts:
            for split in splits:
                cfg = {**cfg_seed, "methods": split}
                ident = {k: v for k, v in cfg.items() if k != "data"}  # data may move
                tid = task_id(suite, inst.name, ident, kind="suite")
                label = f"seed={seed}"
                if per_method:
                    label += " method=" + ",".join(m for ms in split.values() for m in ms)
                tasks.append(Task(tid, suite, inst.name, cfg, label, kind="suite"))
    return tasks


def execute_suite_task(task: dict, attempt: int = 1, device: str = "cpu") -> dict:
    """Run one suite task in a worker: the suite's rows for one instance (never raises)."""
    t0 = time.perf_counter()
    cfg = task["config"]
    methods = cfg.get("methods", {})
    try:
        from ..bench.harness import SUITES

        s = SUITES[cfg["suite"]]
        ctx = _context(cfg, device)
        by_name = {i.name: i for i in s.instances(ctx)}
        if task["input"] not in by_name:
            raise InputError(f"suite {s.name!r} has no instance {task['input']!r} here")
        inst = by_name[task["input"]]
        loaded = inst.load()
        rows = s.rows(inst, loaded, methods, ctx)
        for r in rows:  # "seed" may already be the instance generator's seed
            r["run_seed"] = ctx.seed
        return {
            "task_id": task["task_id"],
            "kind": "suite",
            "suite": s.name,
            "problem": s.name,
            "instance": inst.name,
            "method": ",".join(m for ms in methods.values() for m in ms),
            "input": task["input"],
            "label": task.get("label", ""),
            "config": cfg,
            "seed": ctx.seed,
            "rows": rows,
            "status": "ok",
            "error": None,
            "attempts": attempt,
            "worker": worker_name(),
            "wall_s": time.perf_counter() - t0,
        }
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # reported as a failed record
        name = type(exc).__name__
        rec = failed_record(
            task,
            attempt,
            f"{name}: {exc}",
            retryable=name not in NON_RETRYABLE,
            worker=worker_name(),
            wall_s=time.perf_counter() - t0,
        )
        rec.update(kind="suite", suite=cfg.get("suite"), instance=task["input"])
        rec["method"] = ",".join(m for ms in methods.values() for m in ms)
        return rec


def _suite_rows(suite, records: list[dict], order: dict[str, int]) -> list[dict]:
    """All rows, in the suite's instance order then seed; failed tasks as error rows."""
    recs = sorted(
        (r for r in records if r.get("kind") == "suite" and r.get("suite") == suite.name),
        key=lambda r: (order.get(str(r.get("input")), 1 << 30), r.get("seed") or 0),
    )
    rows: list[dict] = []
    for r in recs:
        if r.get("status") == "ok":
            rows += r.get("rows") or []
        else:
            rows.append(
                {
                    suite.key: r.get("input"),
                    "method": r.get("method"),
                    "run_seed": (r.get("config") or {}).get("seed"),
                    "error": r.get("error"),
                }
            )
    return rows


def run_suite_batched(
    suite: str,
    *,
    out: str | os.PathLike,
    data: str | os.PathLike | None = None,
    methods: list[str] | None = None,
    seeds: Sequence[int] = (0,),
    time_limit: float | None = None,
    limit: int | None = None,
    instances: str | None = None,
    baselines: bool = True,
    options: dict | None = None,
    max_n: int | None = None,
    exact: bool | None = None,
    per_method: bool = False,
    backend: str = "auto",
    workers: int | None = None,
    ray_address: str | None = None,
    cpus_per_task: float = 1.0,
    gpus_per_task: float = 0.0,
    device: str | None = None,
    max_retries: int = 2,
    resume: bool = False,
    retry_failed: bool = False,
    progress: bool = True,
    console=None,
    execute: Callable[..., dict] = execute_task,
) -> SuiteBatchReport:
    """Run a benchmark suite through :func:`run_batch`; write ``out`` (JSONL) and ``out.md``.

    The Markdown is the harness's report (rows, the suite's summary, hardware) with a
    ``run_seed`` column (the run's seed); it is rewritten at the end, also after a resumed run.

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "hg.jsonl"
    >>> rep = run_suite_batched("clique", out=out, limit=1, time_limit=1, workers=0,
    ...                         progress=False)  # doctest: +SKIP
    >>> rep.rows[0]["instance"], rep.rows[0]["run_seed"]  # doctest: +SKIP
    ('er-n100-p0.5', 0)
    """
    from ..bench.harness import SUITES, hardware_info, markdown_report
    from ..core.device import resolve_device

    dev = device or ("cuda" if gpus_per_task > 0 else "cpu")
    tasks = suite_tasks(
        suite,
        data=data,
        methods=methods,
        seeds=seeds,
        time_limit=time_limit,
        limit=limit,
        instances=instances,
        baselines=baselines,
        options=options,
        max_n=max_n,
        exact=exact,
        per_method=per_method,
        device=dev,
    )
    if not tasks:
        raise InputError(f"suite {suite!r}: no instance selected")
    report = run_batch(
        tasks,
        out,
        backend=backend,
        workers=workers,
        ray_address=ray_address,
        cpus_per_task=cpus_per_task,
        gpus_per_task=gpus_per_task,
        device=dev,
        max_retries=max_retries,
        resume=resume,
        retry_failed=retry_failed,
        history=False,
        progress=progress,
        console=console,
        execute=execute,
    )
    s = SUITES[suite]
    order = {}
    for t in tasks:
        order.setdefault(t.input, len(order))
    rows = _suite_rows(s, report.records, order)
    summary = s.summarize([r for r in rows if "time_s" in r])
    summary.setdefault("errors", sum(1 for r in rows if r.get("error")))
    first = tasks[0].config
    settings = {
        "methods": first["methods"] if not per_method else "per task",
        "time_limit_s": first["time_limit"],
        "seeds": list(seeds),
        "instances": len({t.input for t in tasks}),
        "baselines": baselines,
        "tasks": len(tasks),
        "backend": f"{report.backend} ({report.workers} slots)",
        "wall_s": round(report.elapsed_s, 1),
    }
    if options:
        settings["options"] = json.dumps(options)
    hw = hardware_info(resolve_device(dev), None)
    shown = dataclasses.replace(s, columns=(*s.columns, "run_seed"))
    md = markdown_report(shown, rows, summary, hw, settings)
    md_path = Path(out).with_suffix(".md")
    atomic_write_text(md_path, md)
    return SuiteBatchReport(report, rows, summary, md, md_path)
