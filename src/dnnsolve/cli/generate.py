"""Commands generated from the family specs (:mod:`dnnsolve.family`).

Every family gets ``dnnsolve solve FAMILY INPUT [options]``, its options read from the
family's options dataclass (flag, help, default, parser); a family with an ``alias`` gets
the same command a second time under its group (``dnnsolve image denoise``,
``dnnsolve pde``, ``dnnsolve rrr sudoku``). The run is the same for all: options made and
checked once, the family solved through :meth:`Family.solve`, its files written, the result
JSON and the summary shown, the exit code read from ``Result.status``.
"""

from __future__ import annotations

import dataclasses
import inspect
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..core.errors import DnnsolveError, InputError
from ..core.result import Result
from ..family import Family, flag_of
from .common import (
    EXIT_INTERRUPTED,
    EXIT_UNKNOWN,
    THREADS_HELP,
    err,
    fmt_value,
    guarded,
    out,
    result_table,
    set_threads,
)

P = inspect.Parameter


def cli_fields(options: type) -> list[tuple[dataclasses.Field, Any]]:
    """The options fields shown on the command line, with their resolved types."""
    hints = typing.get_type_hints(options)
    return [(f, hints[f.name]) for f in dataclasses.fields(options) if f.metadata.get("cli", True)]


def _optional(kind: Any) -> Any:
    return kind if type(None) in typing.get_args(kind) else kind | None


def _parameter(f: dataclasses.Field, kind: Any, family: Family) -> inspect.Parameter:
    meta = f.metadata
    flag = flag_of(f)
    cli_kind = meta.get("cli_type") or kind
    default = meta.get("cli_default", dataclasses.MISSING)
    if default is dataclasses.MISSING:
        default = f.default if f.default is not dataclasses.MISSING else None
    help_text = meta.get("help", "")
    if meta.get("cli_required"):
        # checked by the command after INPUT, in one line (and ``--list`` needs none)
        default = None
        help_text += " Required."
    if f.name == "method":
        names = ", ".join(sorted(family.methods()))
        help_text = f"Method: {names} (default {family.default_method()})."
    if f.name == "format" and family.formats:
        help_text = f"Force a reader: {family.formats}."
    tri_state = set(typing.get_args(cli_kind)) == {bool, type(None)}  # unset: the default's
    if cli_kind is bool or tri_state:  # a flag may name its pair: "--fourier-first/--sign-first"
        pair = flag if "/" in flag else f"{flag}/--no-{flag[2:]}"
        decls = [pair if default or tri_state else flag]
    else:
        decls = [flag]
        if default is None:
            cli_kind = _optional(cli_kind)
    show = default is not None
    if meta.get("short"):
        decls.append(meta["short"])
    info = typer.Option(*decls, help=help_text, metavar=meta.get("metavar"), show_default=show)
    return P(f.name, P.KEYWORD_ONLY, default=default, annotation=Annotated[cli_kind, info])


def _edge_parameters(family: Family) -> list[inspect.Parameter]:
    """INPUT, and the options of the command line itself (not of the family).

    A built-in name is checked by the command (``--list`` needs none)."""
    required = family.input_kind == "file"
    input_kind = str if family.input_kind == "name" else Path
    metavar = "PROBLEM" if family.input_kind == "name" else "INPUT"
    listing = [
        P(
            "list_",
            P.KEYWORD_ONLY,
            default=False,
            annotation=Annotated[
                bool, typer.Option("--list", help="List the built-in problems and exit.")
            ],
        )
    ]
    return [
        P(
            "input",
            P.KEYWORD_ONLY,
            default=... if required else None,
            annotation=Annotated[
                input_kind if required else input_kind | None,
                typer.Argument(help=family.input_help, show_default=False, metavar=metavar),
            ],
        ),
        P(
            "output",
            P.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[
                Path | None,
                typer.Option(
                    "--output",
                    "-o",
                    help="Write the result JSON here (- for stdout).",
                    metavar="RESULT.json",
                ),
            ],
        ),
        P(
            "threads",
            P.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[int | None, typer.Option(help=THREADS_HELP)],
        ),
        P(
            "quiet",
            P.KEYWORD_ONLY,
            default=False,
            annotation=Annotated[
                bool, typer.Option("--quiet", "-q", help="No progress bar or table.")
            ],
        ),
        *(listing if family.catalog is not None else []),
    ]


def family_command(family: Family) -> Callable[..., None]:
    """The command solving one instance of ``family``, with a signature Typer reads."""
    fields = cli_fields(family.options)

    def command(**kw: Any) -> None:
        # an error ends in its one line and exit code here too, where the command runs in an
        # app other than dnnsolve's (a test's Typer app): ``--debug`` is read from the root
        debug = bool(kw["ctx"].find_root().params.get("debug"))  # Typer's own click context
        guarded(lambda: solve_command(**kw), debug)

    def solve_command(**kw: Any) -> None:
        set_threads(kw.pop("threads"))
        input_, output, quiet = kw.pop("input", None), kw.pop("output"), kw.pop("quiet")
        where = kw.pop("ctx").command_path
        if family.catalog is not None and (kw.pop("list_") or input_ == "list"):
            out.print(_catalog(family, f"{where}: built-in problems"))
            return
        if input_ is None and family.input_kind == "name":
            raise InputError(f"give a PROBLEM (see {where} --list)")
        for f, _ in fields:
            if f.metadata.get("cli_required") and kw[f.name] is None:
                what = f" {f.metadata['metavar']}" if f.metadata.get("metavar") else ""
                raise InputError(f"{flag_of(f)}{what} is required: {f.metadata['help']}")
        values = {}
        for f, _ in fields:
            value = kw.pop(f.name)
            parse = f.metadata.get("parse")
            if value is not None and parse is not None:
                value = parse(value)
            if value is not None or f.default is not dataclasses.MISSING:
                values[f.name] = value
        run_family(family, input_, values, output=output, quiet=quiet)

    input_param, *edge = _edge_parameters(family)
    inputs = [] if family.input_kind == "none" else [input_param]
    params = [*inputs, *(_parameter(f, k, family) for f, k in fields), *edge]
    params.append(P("ctx", P.KEYWORD_ONLY, annotation=typer.Context))
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__doc__ = family.summary
    command.__name__ = family.name.replace("-", "_")
    return command


def run_family(
    family: Family,
    input_: Any,
    values: dict[str, Any],
    *,
    output: Path | None = None,
    quiet: bool = False,
) -> Result:
    """Solve, write, show, and leave with the exit code of the result's status."""
    from ..core.callbacks import RichProgress

    if output is not None and Path(output).is_dir():
        raise InputError("--output must be a file path, not a folder", path=str(output))
    opts = family.make_options(**values)
    method = family.check_method(opts.method)
    callbacks = [] if quiet else [RichProgress(f"{family.name}/{method}", console=err)]
    result = family.solve(input_, opts, callbacks)
    if isinstance(input_, Path):
        result.instance = input_.name
    written = family.write(result, opts) if family.write is not None else []
    to_stdout = output is not None and str(output) == "-"
    if to_stdout:
        sys.stdout.write(result.to_json() + "\n")
    elif output is not None:
        result.save(output)
        written.append(str(output))
    for note in result.extra.get("notes") or ():  # -q: no progress bar or table; notes stay
        err.print(f"note: {note}", highlight=False)
    if not quiet and not to_stdout:
        out.print(_summary(family, result))
    if written and not quiet:
        err.print(f"wrote {', '.join(map(str, written))}", highlight=False)
    _leave(family, result, output)
    return result


def summary_row(result: Result) -> dict[str, Any]:
    """The columns of the one-row summary of a result."""
    return {
        "instance": result.instance,
        "method": result.method,
        "status": result.status,
        "objective": result.objective,
        "feasible": result.feasible,
        "reference": result.reference,
        "gap %": None if result.gap is None else 100 * result.gap,
        "found by": result.found_by,
        "time s": result.time_s,
    }


def _catalog(family: Family, title: str) -> Table:
    """The built-in inputs of a ``"name"`` family (``--list``)."""
    assert family.catalog is not None
    rows = family.catalog()
    table = Table(title=title)
    for k, col in enumerate(dict.fromkeys(c for row in rows for c in row)):
        table.add_column(col, style="bold" if k == 0 else None, no_wrap=k < 2)
    for row in rows:
        table.add_row(*row.values())
    return table


def _summary(family: Family, result: Result) -> Table:
    if family.rows is None:
        return result_table([summary_row(result)])
    table = Table(title=f"{family.name} · {result.method}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    for label, value in family.rows(result):
        table.add_row(label, fmt_value(value) if not isinstance(value, str) else value)
    return table


def _leave(family: Family, result: Result, output: Path | None) -> None:
    """The exit code of a result: 130 interrupted, 1 unknown or short of the family's
    promise, 2 no feasible answer."""
    if result.stop_reason == "interrupted":
        where = f" (written to {output})" if output is not None else ""
        err.print(f"interrupted: the result is the best verified solution so far{where}")
        raise typer.Exit(EXIT_INTERRUPTED)
    short = family.shortfall(result) if family.shortfall is not None else None
    if short is not None:
        where = f" (result written to {output})" if output is not None else ""
        err.print(f"{result.instance}: {short}{where}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_UNKNOWN)
    status = result.status
    if status == "unknown":
        err.print(
            f"status unknown: no solution found for {result.instance} within the budget "
            "(the method is incomplete; see --exact where the family has it)"
        )
        raise typer.Exit(EXIT_UNKNOWN)
    if not result.feasible and status != "unsat" and family.infeasible_is_error:
        why = result.extra.get("infeasible_reason") or "no feasible solution found"
        raise DnnsolveError(f"{result.instance}: {why}")
