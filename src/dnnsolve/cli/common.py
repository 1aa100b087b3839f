"""What every command of the CLI shares, defined once: exit codes, the consoles, thread
set-up, tables and the handling of errors at the entry point (option parsers live with the
options, in :mod:`dnnsolve.family`).

Exit codes: 0 an answer; 1 ``unknown`` (an incomplete method found no answer, or a batch
with failed tasks); 2 bad input, or no feasible answer; 3 an internal error (one line naming
the cause; the traceback with ``dnnsolve --debug``); 130 interrupted.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table

from ..core.errors import DnnsolveError, InputError

EXIT_OK = 0
EXIT_UNKNOWN = 1  # an incomplete method found no answer (e.g. SAT status unknown)
EXIT_INPUT = 2  # bad input (file, option, device) or no feasible answer
EXIT_INTERNAL = 3  # a bug or a failure of the machine (RuntimeError, CUDA errors)
EXIT_INTERRUPTED = 130  # the shell convention for Ctrl-C

#: the epilog of every command's --help
EXIT_CODES_HELP = (
    "Exit codes: 0 an answer; 1 unknown (an incomplete method found none, or an answer short "
    "of optimal); 2 bad input, or no feasible answer; 3 internal error (--debug for the "
    "traceback); 130 interrupted (the best answer so far is kept)."
)

out = Console()
err = Console(stderr=True)


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
    "CPU threads for torch (default: torch's choice). 1 is often fastest on a busy or "
    "small machine: the solvers issue many tiny kernels."
)


def set_threads(threads: int | None) -> None:
    if threads is None:
        return
    if threads < 1:
        raise InputError("--threads must be at least 1")
    import torch

    torch.set_num_threads(threads)


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
