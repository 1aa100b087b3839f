"""What every command of the CLI shares, defined once: exit codes, the consoles, option
parsers, thread set-up and the handling of errors at the entry point.

Exit codes: 0 an answer; 1 ``unknown`` (an incomplete method found no answer, or a batch
with failed tasks); 2 bad input, or no feasible answer; 3 an internal error (one line naming
the cause; the traceback with ``dnnsolve --debug``); 130 interrupted.
"""

from __future__ import annotations

import math
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

out = Console()
err = Console(stderr=True)

#: the help text of every --device option
DEVICE_HELP = "cpu, cuda, cuda:N, mps or auto."


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


def guarded(fn: Callable[[], Any]) -> Any:
    """Run ``fn``; an error becomes its one line and exit code (for commands called directly,
    outside :func:`dnnsolve.cli.main`)."""
    import typer

    try:
        return fn()
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except BaseException as exc:
        raise typer.Exit(exit_code_of(exc)) from None


def parse_floats(text: str | None, what: str) -> float | list[float] | None:
    """``"0.1"`` → 0.1, ``"0.1,0.2"`` → population [0.1, 0.2]."""
    if text is None:
        return None
    try:
        vals = [float(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise InputError(
            f"{what} must be a number or a comma-separated list, got {text!r}"
        ) from exc
    if not vals:
        raise InputError(f"{what} is empty")
    return vals[0] if len(vals) == 1 else vals


def parse_pairs(pairs: list[str] | None, what: str, numeric: bool = False) -> dict[str, Any]:
    """``["gamma=900", "conv=sage"]`` → {"gamma": 900.0, "conv": "sage"}.

    With ``numeric`` every value must be a number or a comma-separated list of them.
    """
    result: dict[str, Any] = {}
    for item in pairs or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InputError(f"{what} must look like key=value, got {item!r}")
        try:
            parsed: Any = parse_floats(value, f"{what} {key}")
        except InputError:
            if numeric:
                raise
            parsed = value
        if (
            isinstance(parsed, float)
            and parsed.is_integer()
            and "." not in value
            and "e" not in value
        ):
            parsed = int(parsed)
        result[key.strip()] = parsed
    return result


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


def _scalar(text: str) -> Any:
    """``"16"`` → 16, ``"0.5"`` → 0.5, ``"true"`` → True, anything else stays a string."""
    t = text.strip()
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    try:
        return int(t)
    except ValueError:
        pass
    try:
        return float(t)
    except ValueError:
        return t


def parse_net_options(pairs: list[str] | None) -> dict[str, Any]:
    """``--net-option key=value`` items → network keyword arguments.

    Values are ints, floats, booleans or strings; a comma makes a list.

    >>> parse_net_options(["channels=16", "depth=3", "channels_down=16,32", "pad=zero"])
    {'channels': 16, 'depth': 3, 'channels_down': [16, 32], 'pad': 'zero'}
    >>> parse_net_options(["hidden_omega_0=30.0", "need_sigmoid=false"])
    {'hidden_omega_0': 30.0, 'need_sigmoid': False}
    """
    options: dict[str, Any] = {}
    for item in pairs or []:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key or not value.strip():
            raise InputError(f"--net-option must look like key=value, got {item!r}")
        if "," in value:
            options[key] = [_scalar(v) for v in value.split(",") if v.strip()]
        else:
            options[key] = _scalar(value)
    return options


def parse_lr(text: str | None) -> float | list[float] | None:
    if text is None:
        return None
    try:
        vals = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise InputError(f"--lr must be a number or a comma-separated list, got {text!r}") from None
    if not vals or not all(math.isfinite(v) and v > 0 for v in vals):
        raise InputError(f"--lr must be positive, got {text!r}")
    return vals[0] if len(vals) == 1 else vals
