"""What every command of the CLI shares, defined once: exit codes, the consoles, thread
set-up, tables and the handling of errors at the entry point (option parsers live with the
options, in :mod:`dnnsolve.family`).

Exit codes: 0 an answer; 1 ``unknown`` (an incomplete method found no answer within the
budget, an answer short of what the family promises, or a batch with failed tasks); 2 bad
input, or proven infeasible / unsatisfiable, or no feasible answer; 3 an internal error (one
line naming the cause; the traceback with ``dnnsolve --debug``); 130 interrupted. The SAT
families take ``--sat-exit-codes`` (10 satisfiable, 20 unsatisfiable, 30 optimum found, 0
unknown).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table

from ..core.errors import DnnsolveError, InputError, first_line

EXIT_OK = 0
EXIT_UNKNOWN = 1  # an incomplete method found no answer (e.g. SAT status unknown)
EXIT_INPUT = 2  # bad input (file, option, device), proven infeasible / unsat, no feasible answer
EXIT_INTERNAL = 3  # a bug or a failure of the machine (RuntimeError, CUDA errors)
EXIT_INTERRUPTED = 130  # the shell convention for Ctrl-C

#: ``--sat-exit-codes``: the SAT / MaxSAT solvers' convention, by result status
SAT_EXIT_CODES = {"sat": 10, "feasible": 10, "unsat": 20, "optimal": 30}

#: the epilog of every command's --help
EXIT_CODES_HELP = (
    "Exit codes: 0 an answer; 1 unknown (no answer within the budget, or an answer short of "
    "what the family promises); 2 bad input, or proven infeasible / unsatisfiable, or no "
    "feasible answer; 3 internal error (--debug for the traceback); 130 interrupted (the best "
    "answer so far is kept)."
)

out = Console()
err = Console(stderr=True)

#: the width tables may take when stdout is not a terminal (a pipe, a file): not cut to 80
_PIPE_WIDTH = 240


def former_flag(value: Any, former: Any, old: str, new: str) -> Any:
    """The value of an option given under its former flag ``old`` (with a one-line deprecation
    note naming ``new``), else ``value``."""
    if former is None:
        return value
    from ..family import deprecation_note

    err.print(f"note: {deprecation_note(old, new)}", highlight=False)
    return former


def show(renderable: Any) -> None:
    """Print a table on stdout, at full width when stdout is a pipe or a file."""
    if not out.is_terminal and out.width < _PIPE_WIDTH:
        out.width = _PIPE_WIDTH  # rich caps a print's width at the console's
    out.print(renderable)


def error_line(exc: BaseException) -> None:
    """Print ``error: …`` for a user error, on one line."""
    err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)


def exit_code_of(exc: BaseException, debug: bool = False) -> int:
    """Report an exception that ended a command and return its exit code."""
    if isinstance(exc, KeyboardInterrupt):
        err.print("interrupted")
        return EXIT_INTERRUPTED
    if debug:
        err.print(traceback.format_exc(), highlight=False, soft_wrap=True)
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(exc, torch.cuda.OutOfMemoryError):
        # outside a run's own retry (reading, building the instance on the device)
        err.print(
            f"[bold red]error:[/] out of device memory ({first_line(exc)}); "
            "use a smaller instance or --device cpu",
            highlight=False,
            soft_wrap=True,
        )
        return EXIT_INPUT
    if isinstance(exc, (DnnsolveError, ValueError, TypeError, OSError, MemoryError)):
        # user errors, invalid values that reached the library, unreadable files, inputs too big
        error_line(exc)
        return EXIT_INPUT
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" (at {where.filename.rsplit('/', 1)[-1]}:{where.lineno})" if where else ""
    err.print(
        f"[bold red]internal error:[/] {type(exc).__name__}: {exc}{at}"
        + ("" if debug else "; run with dnnsolve --debug … for the traceback"),
        highlight=False,
        soft_wrap=True,
    )
    return EXIT_INTERNAL


def guarded(fn: Callable[[], Any], debug: bool = False) -> Any:
    """Run ``fn``; an error becomes its one line and exit code (for commands called directly,
    outside :func:`dnnsolve.cli.main`, e.g. in a test's own Typer app)."""
    import click
    import typer

    try:
        return fn()
    except (typer.Exit, typer.Abort, click.exceptions.Exit, SystemExit):
        raise
    except BaseException as exc:
        raise typer.Exit(exit_code_of(exc, debug)) from None


THREADS_HELP = (
    "CPU threads for torch (default: $DNNSOLVE_THREADS, else 1 on a machine with up to 4 "
    "cores, else a quarter of the cores, at most 8). More threads pay on an idle machine for "
    "the image networks; on a busy one they slow every solver down."
)

#: the environment variable that sets the default of ``--threads``
THREADS_ENV = "DNNSOLVE_THREADS"
# read by torch (its OpenMP and MKL pools) when it loads
_TORCH_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")


def default_threads(cores: int | None = None) -> int:
    """Threads for torch when none are asked for: 1 on up to 4 cores, else a quarter of the
    cores, at most 8. Measured on a 2-core machine (BENCHMARKS.md): with the other core busy,
    1 thread was 1.3-1.6x faster than 2 (PINN, Deep Image Prior), and 34x faster for a PINN
    when the machine was oversubscribed; with the machine idle, 2 threads were 1.6x faster for
    the Deep Image Prior and no faster for the graph, LP and RRR families. One thread also
    keeps seeded results independent of the machine's load. Larger machines: not measured.

    >>> default_threads(2), default_threads(4), default_threads(16), default_threads(128)
    (1, 1, 4, 8)
    """
    if cores is None:
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            cores = os.cpu_count() or 1
    return 1 if cores <= 4 else min(8, cores // 4)


def set_threads(threads: int | None) -> None:
    """Set the CPU threads once, where a command starts: ``threads``, else
    ``$DNNSOLVE_THREADS``, else :func:`default_threads`. Torch, when already loaded, is told
    directly; otherwise through the OpenMP / MKL variables it reads when it loads, so that a
    command that runs no network (an LP through HiGHS, a file check) starts without torch."""
    count = threads_wanted(threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(count)
    else:
        for var in _TORCH_THREAD_VARIABLES:
            os.environ[var] = str(count)


def threads_wanted(threads: int | None) -> int:
    """The CPU threads for torch: ``threads``, else ``$DNNSOLVE_THREADS``, else
    :func:`default_threads` (InputError naming the flag or variable for a bad number)."""
    where = "--threads"
    if threads is None and os.environ.get(THREADS_ENV, "").strip():
        where, text = THREADS_ENV, os.environ[THREADS_ENV].strip()
        try:
            threads = int(text)
        except ValueError:
            raise InputError(f"{THREADS_ENV} must be a whole number, got {text!r}") from None
    if threads is None:
        threads = default_threads()
    if threads < 1:
        raise InputError(f"{where} must be at least 1")
    return threads


def result_table(rows: list[dict], title: str | None = None) -> Table:
    table = Table(title=title)
    cols = list(dict.fromkeys(k for row in rows for k in row))  # union, first-seen order
    for col in cols:
        left = col in ("instance", "method", "problem", "status", "found by")
        table.add_column(col, justify="left" if left else "right")
    for row in rows:
        table.add_row(*[fmt_value(row.get(c)) for c in cols])
    return table


def fmt_value(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1e4 else f"{v:.0f}"
    return str(v)
