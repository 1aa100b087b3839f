"""``dnnsolve batch FAMILY INPUTS...``: solve many instances, locally or on a Ray cluster.

Each instance (× each ``--grid`` point) is a task; each finished task appends one JSON line
to ``--output`` (the ``solve --output`` schema plus ``task_id``, ``status``, ``error``,
``attempts``, ``worker``, ``wall_s``; the task's ``status`` is ``ok`` / ``failed``, the
result's own status is ``result_status``). ``--resume`` continues a file, skipping the tasks it
holds. ``dnnsolve bench-batch SUITE`` runs a benchmark suite through the same path.

Exit codes: 0 every task succeeded; 1 some tasks failed (their records say why); 2 bad input
(one line on stderr); 130 interrupted by Ctrl-C (finished records are kept).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ..core.errors import InputError
from ..family import parse_numbers, parse_pairs
from .common import EXIT_INTERRUPTED, EXIT_UNKNOWN, err, former_flag, out, set_threads, show

__all__ = ["batch_command", "batch_suite_command"]


def _finish(report, title: str, quiet: bool) -> None:
    """Print the summary table and a one-line account; exit 1 / 130 as the docstring says."""
    from ..batch.summary import summarize, summary_table

    rows = summarize(report.records)
    if not quiet and rows:
        show(summary_table(rows, title=title))
    c = report.counts
    rate = report.throughput_per_min
    err.print(
        f"{report.out}: {c['ok']} ok, {c['failed']} failed, {c['retried']} retried, "
        f"{c['skipped']} skipped (already present) of {report.total}; "
        f"{report.elapsed_s:.1f} s on {report.backend} ({report.workers} worker slot(s))"
        + (f", {rate:.1f} instances/min" if rate else "")
    )
    if report.other_records:
        err.print(
            f"note: {report.out} also holds {report.other_records} record(s) of other settings "
            "(not in this summary)"
        )
    if report.repaired_bytes:
        err.print(f"repaired {report.out}: cut a partial last line ({report.repaired_bytes} bytes)")
    if report.interrupted:
        done = report.total - c["skipped"] - c["ok"] - c["failed"]
        err.print(f"interrupted: {done} task(s) not run; continue with --resume")
        raise typer.Exit(EXIT_INTERRUPTED)
    if c["failed"]:
        raise typer.Exit(EXIT_UNKNOWN)


_BACKEND_HELP = (
    "auto (Ray when --ray-address is given, else a local process pool), local, inline "
    "(this process, no isolation), or ray (a local Ray instance unless --ray-address)."
)


def _output(output: Path | None, former_out: Path | None) -> Path:
    """``--output`` (or its former spelling ``--out``, with a note); required."""
    output = former_flag(output, former_out, "--out", "--output")
    if output is None:
        raise InputError("--output RESULTS.jsonl is required: the results file")
    return output


def batch_command(
    problem: Annotated[
        str, typer.Argument(help="Family (any of `dnnsolve solve --help`).", metavar="FAMILY")
    ],
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Instance files, globs ('gset/G*.txt') or manifests (@list.txt, *.jsonl).",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Results file (JSON lines, one result per task, appended as tasks end). Required.",
            metavar="RESULTS.jsonl",
        ),
    ] = None,
    method: Annotated[str | None, typer.Option(help="Method (default: the problem's).")] = None,
    grid: Annotated[
        list[str] | None,
        typer.Option(
            "--grid",
            help="Sweep key=v1,v2 (repeatable; keys: seed, steps, lr, restarts, time_limit, ..., "
            "method, hparam.NAME, option.NAME). Tasks = instances × grid points.",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Local worker processes (default: CPU count; 0 = this process)."),
    ] = None,
    cpus_per_task: Annotated[
        float, typer.Option("--cpus-per-task", help="CPU threads / Ray CPUs per task.")
    ] = 1.0,
    gpus_per_task: Annotated[
        float, typer.Option("--gpus-per-task", help="GPUs per task (Ray may use fractions).")
    ] = 0.0,
    ray_address: Annotated[
        str | None,
        typer.Option("--ray-address", help="Submit to this Ray cluster (host:port, ray://, auto)."),
    ] = None,
    backend: Annotated[str, typer.Option(help=_BACKEND_HELP)] = "auto",
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue --output, skipping the tasks it holds.")
    ] = False,
    retry_failed: Annotated[
        bool,
        typer.Option("--retry-failed", help="With --resume: run the recorded failures again."),
    ] = False,
    max_retries: Annotated[
        int, typer.Option("--max-retries", help="Retries of a task whose worker failed or died.")
    ] = 2,
    seed: Annotated[int, typer.Option(help="Random seed (unless swept by --grid).")] = 0,
    steps: Annotated[int | None, typer.Option(help="Gradient steps per restart.")] = None,
    restarts: Annotated[int | None, typer.Option(help="Batched restarts B.")] = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Seconds per task.")
    ] = None,
    lr: Annotated[str | None, typer.Option(help="Learning rate (comma list = population).")] = None,
    hparam: Annotated[
        list[str] | None, typer.Option("--hparam", help="Loss hyper-parameter key=value.")
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option("--option", help="Method option key=value (e.g. conv=sage, colors=8)."),
    ] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="Force an input reader.")] = None,
    settings: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Any option of the family as key=value (repeatable), e.g. crop=64 for "
            "denoise, tol=1e-8 for lp; see `dnnsolve solve FAMILY --help`.",
        ),
    ] = None,
    device: Annotated[
        str | None, typer.Option(help="Device per task (default: cuda with GPUs, else cpu).")
    ] = None,
    no_history: Annotated[
        bool, typer.Option("--no-history", help="Leave the per-step history out of records.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table.")] = False,
    former_out: Annotated[Path | None, typer.Option("--out", hidden=True)] = None,
) -> None:
    """Solve many instances as tasks, locally or on a Ray cluster; results stream to --output."""
    from ..batch import make_tasks, parse_grid, run_batch
    from ..family import get_family

    set_threads(None)  # the inline backend solves in this process
    out_path = _output(output, former_out)
    if retry_failed and not resume:
        raise InputError("--retry-failed needs --resume")
    family = get_family(problem)
    points = parse_grid(grid)
    for m in points.get("method", [method]):
        family.check_method(m)  # unknown family / method: one line, before any work
    base: dict[str, Any] = {
        "method": method,
        "seed": seed,
        "steps": steps,
        "restarts": restarts,
        "time_limit": time_limit,
        "lr": parse_numbers(lr, "--lr"),
        "hparams": parse_pairs(hparam, "--hparam", numeric=True),
        "options": parse_pairs(option, "--option", lists=False),
        "format": fmt,
        **parse_pairs(settings, "--set", lists=False),
    }
    base = {k: v for k, v in base.items() if v is not None and v != {}}
    family.make_options(**base)  # every setting checked once, before any work
    tasks = make_tasks(problem, inputs, base, points)
    report = run_batch(
        tasks,
        out_path,
        backend=backend,
        workers=workers,
        ray_address=ray_address,
        cpus_per_task=cpus_per_task,
        gpus_per_task=gpus_per_task,
        device=device,
        max_retries=max_retries,
        resume=resume,
        retry_failed=retry_failed,
        history=not no_history,
        progress=not quiet,
        console=err,
    )
    _finish(report, f"dnnsolve batch {problem}: {len(tasks)} task(s)", quiet)


def batch_suite_command(
    suite: Annotated[str, typer.Argument(help="Benchmark suite (see `dnnsolve bench --help`).")],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Results file (JSON lines; a .md summary beside it). Required.",
            metavar="RESULTS.jsonl",
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(help="Datasets folder (default ../shared/datasets or $DNNSOLVE_DATA)."),
    ] = None,
    methods: Annotated[str | None, typer.Option(help="Comma-separated methods.")] = None,
    seeds: Annotated[str, typer.Option(help="Comma-separated seeds (one task each).")] = "0",
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Seconds per instance and method.")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Run at most this many instances.")] = None,
    instances: Annotated[
        str | None, typer.Option(help="Subset of instances, e.g. G14,G15 or G1-G10.")
    ] = None,
    per_method: Annotated[
        bool, typer.Option("--per-method", help="One task per method (baselines repeat).")
    ] = False,
    no_baselines: Annotated[
        bool, typer.Option("--no-baselines", help="Skip classical baselines.")
    ] = False,
    option: Annotated[
        list[str] | None, typer.Option("--option", help="Suite / method option key=value.")
    ] = None,
    max_n: Annotated[int | None, typer.Option("--max-n", help="regular suite: largest n.")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Local worker processes (0 = this process).")
    ] = None,
    cpus_per_task: Annotated[
        float, typer.Option("--cpus-per-task", help="CPU threads / Ray CPUs per task.")
    ] = 1.0,
    gpus_per_task: Annotated[
        float, typer.Option("--gpus-per-task", help="GPUs per task (Ray may use fractions).")
    ] = 0.0,
    ray_address: Annotated[
        str | None,
        typer.Option("--ray-address", help="Submit to this Ray cluster (host:port, ray://, auto)."),
    ] = None,
    backend: Annotated[str, typer.Option(help=_BACKEND_HELP)] = "auto",
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue --output, skipping the tasks it holds.")
    ] = False,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="With --resume: run the recorded failures again.")
    ] = False,
    max_retries: Annotated[
        int, typer.Option("--max-retries", help="Retries of a task whose worker failed or died.")
    ] = 2,
    device: Annotated[
        str | None, typer.Option(help="Device per task (default: cuda with GPUs, else cpu).")
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar or summary table.")
    ] = False,
    former_out: Annotated[Path | None, typer.Option("--out", hidden=True)] = None,
) -> None:
    """Run a benchmark suite as batch tasks (instances × seeds [× methods]), locally or on Ray."""
    from ..batch.suites import run_suite_batched

    set_threads(None)  # the inline backend solves in this process
    out_path = _output(output, former_out)
    values = parse_numbers(seeds, "--seeds")
    seed_list = [int(v) for v in (values if isinstance(values, list) else [values])]
    if retry_failed and not resume:
        raise InputError("--retry-failed needs --resume")
    rep = run_suite_batched(
        suite,
        out=out_path,
        data=data,
        methods=[m.strip() for m in methods.split(",")] if methods else None,
        seeds=seed_list,
        time_limit=time_limit,
        limit=limit,
        instances=instances,
        baselines=not no_baselines,
        options=parse_pairs(option, "--option", lists=False) or None,
        max_n=max_n,
        per_method=per_method,
        backend=backend,
        workers=workers,
        ray_address=ray_address,
        cpus_per_task=cpus_per_task,
        gpus_per_task=gpus_per_task,
        device=device,
        max_retries=max_retries,
        resume=resume,
        retry_failed=retry_failed,
        progress=not quiet,
        console=err,
    )
    if not quiet:
        out.print(rep.markdown)
    err.print(f"wrote {rep.batch.out} and {rep.markdown_path}")
    _finish(rep.batch, f"dnnsolve bench-batch {suite}", quiet=True)
