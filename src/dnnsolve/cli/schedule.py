"""``dnnsolve solve schedule FILE --stages D``: schedule a DAG, write JSON and a Gantt PNG.

Register with ``solve_app.command("schedule")(schedule_command)`` *after*
``_register_solve_commands()`` in cli.py so it replaces the generic command.
Exit codes: 0 legal schedule found, 2 bad input (one line on stderr) or no legal
schedule, 130 interrupted.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..core.errors import DnnsolveError, InputError
from .common import DEVICE_HELP, EXIT_INPUT, EXIT_INTERRUPTED, err, out


def schedule_command(
    file: Annotated[Path, typer.Argument(help="DAG file: GML, GraphML or edge list.")],
    stages: Annotated[
        int | None, typer.Option("--stages", "-D", help="Number of stages D (default: depth).")
    ] = None,
    method: Annotated[
        str,
        typer.Option(help="gumbel (default), softmax, list, topo, topo-dp, cpsat or highs."),
    ] = "gumbel",
    objective: Annotated[
        str, typer.Option(help="balance (comm + w·peak memory) or latency (needs --capacity).")
    ] = "balance",
    memory_weight: Annotated[
        float, typer.Option("--memory-weight", help="w: weight of the peak per-stage memory.")
    ] = 1.0,
    capacity: Annotated[
        float | None, typer.Option(help="Per-stage resource capacity (a hard constraint).")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Successors run in a later stage (s_u < s_v).")
    ] = False,
    restarts: Annotated[int | None, typer.Option(help="Candidate schedules B.")] = None,
    steps: Annotated[int | None, typer.Option(help="Gradient steps.")] = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Wall-clock budget in seconds.")
    ] = None,
    lr: Annotated[float | None, typer.Option(help="Learning rate.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    device: Annotated[str, typer.Option(help=DEVICE_HELP)] = "auto",
    fmt: Annotated[
        str | None, typer.Option("--format", help="Force a reader: gml, graphml, el.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Result JSON (- for stdout).")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write a Gantt-style PNG here.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or table.")] = False,
) -> None:
    """Schedule a task graph into stages (differentiable constrained Gumbel-softmax)."""
    try:
        _schedule(**locals())
    except DnnsolveError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_INPUT) from None


def _schedule(
    file, stages, method, objective, memory_weight, capacity, strict, restarts, steps,
    time_limit, lr, seed, device, fmt, output, report, quiet,
) -> None:  # fmt: skip
    from ..core.callbacks import RichProgress
    from ..methods import get_method, solve
    from ..schedule.baselines import BASELINES
    from ..schedule.graph import read_task_graph
    from ..schedule.report import write_schedule_figure

    m = get_method("schedule", method)
    if restarts is not None and restarts < 1:
        raise InputError("--restarts must be at least 1")
    if steps is not None and steps < 0:
        raise InputError("--steps must be non-negative")
    if time_limit is not None and time_limit <= 0:
        raise InputError("--time-limit must be positive")
    if lr is not None and not lr > 0:
        raise InputError("--lr must be positive")
    graph = read_task_graph(file, fmt)
    options = {
        "stages": stages,
        "objective": objective,
        "memory_weight": memory_weight,
        "capacity": capacity,
        "strict": strict,
    }
    config = {"restarts": restarts, "steps": steps, "time_limit": time_limit, "lr": lr}
    callbacks = (
        [] if quiet or m.name in BASELINES else [RichProgress(f"schedule/{m.name}", console=err)]
    )
    result = solve(
        "schedule",
        graph,
        m.name,
        device=device,
        seed=seed,
        callbacks=callbacks,
        options={k: v for k, v in options.items() if v is not None},
        **{k: v for k, v in config.items() if v is not None},
    )
    result.instance = file.name
    if output is not None:
        if str(output) == "-":
            sys.stdout.write(result.to_json() + "\n")
        else:
            result.save(output)
    sol = result.solution
    if report is not None and result.solution_array is not None:
        write_schedule_figure(
            report,
            graph,
            result.solution_array,
            num_stages=sol["num_stages"],
            capacity=capacity,
            title=file.name,
        )
    if not quiet and str(output) != "-":
        parts = sol["parts"]
        table = Table(title=f"schedule {file.name}")
        for col in ("method", "stages", "objective", "comm", "peak memory", "legal", "time s"):
            table.add_column(col, justify="left" if col == "method" else "right")
        obj = "–" if result.objective is None else f"{result.objective:g}"
        table.add_row(
            result.method,
            str(sol["num_stages"]),
            obj,
            f"{parts['communication']:g}",
            f"{parts['peak_memory']:g}",
            "yes" if sol["legal"] else "no",
            f"{result.time_s:.2f}",
        )
        out.print(table)
    if result.stop_reason == "interrupted":
        raise typer.Exit(EXIT_INTERRUPTED)
    if not result.feasible:
        reason = result.extra.get("infeasible_reason") or "no legal schedule found"
        raise InputError(f"{file.name}: {reason}")
