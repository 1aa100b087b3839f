"""Commands generated from the family specs (:mod:`dnnsolve.family`).

Every family gets ``dnnsolve solve FAMILY INPUT [options]``, its options read from the
family's options dataclass (flag, help, default, parser); a family with an ``alias`` gets
the same command a second time under its group (``dnnsolve image denoise``,
``dnnsolve pde``, ``dnnsolve rrr sudoku``). The run is the same for all: options made and
checked once, the family solved through :meth:`Family.solve`, its files written, the result
JSON and the summary shown, the exit code read from ``Result.status``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import json
import sys
import tempfile
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, ClassVar

import click
import typer
from rich.table import Table
from typer.core import TyperGroup
from typer.main import get_command_from_info
from typer.models import CommandInfo

from ..core.errors import InputError
from ..core.result import Result, atomic_write_bytes, jsonable
from ..family import BoundOptions, Family, Options, families, flag_for, flag_of, get_family
from .common import (
    EXIT_CODES_HELP,
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_UNKNOWN,
    SAT_EXIT_CODES,
    THREADS_HELP,
    err,
    fmt_value,
    former_flag,
    guarded,
    out,
    result_table,
    set_threads,
    show,
)

P = inspect.Parameter

#: the options of :class:`BoundOptions`, shown only for a family with a bound
BOUND_FIELDS = frozenset(f.name for f in dataclasses.fields(BoundOptions)) - {
    f.name for f in dataclasses.fields(Options)
}


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


def _alias_parameters(f: dataclasses.Field, kind: Any) -> list[inspect.Parameter]:
    """Hidden parameters for an option's former names (``--iterations`` for ``--steps``)."""
    cli_kind = _optional(f.metadata.get("cli_type") or kind)
    params = []
    for alias in f.metadata.get("aliases", ()):
        flag = flag_for(alias)
        decls = [f"{flag}/--no-{flag[2:]}"] if bool in typing.get_args(cli_kind) else [flag]
        info = typer.Option(*decls, hidden=True)
        name = _alias_key(f, alias)
        params.append(P(name, P.KEYWORD_ONLY, default=None, annotation=Annotated[cli_kind, info]))
    return params


def _alias_key(f: dataclasses.Field, alias: str) -> str:
    return f"{f.name}__was_{alias}"


def _take_aliases(fields: list, kw: dict[str, Any]) -> None:
    """Move a former flag's value to its option, with a deprecation note."""
    for f, _ in fields:
        for alias in f.metadata.get("aliases", ()):
            former = kw.pop(_alias_key(f, alias))
            kw[f.name] = former_flag(kw[f.name], former, flag_for(alias), flag_of(f))


def _edge_parameters(family: Family) -> list[inspect.Parameter]:
    """INPUT, and the options of the command line itself (not of the family).

    A built-in name is checked by the command (``--list`` needs none)."""
    bundled = bundled_examples(family)
    required = family.input_kind == "file" and not bundled
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
        *([_example_parameter(bundled)] if bundled else []),
        *(_dimacs_parameters() if family.dimacs is not None else []),
    ]


def bundled_examples(family: Family) -> list[str]:
    """The bundled instances a file family can solve with ``--example NAME``: its own example
    and the examples filed under its name (``dnnsolve.data``)."""
    from ..data import EXAMPLES

    if family.input_kind != "file" or family.example is None or family.example[0] is None:
        return []
    own = [n for n, info in EXAMPLES.items() if info["problem"] == family.name]
    first = family.example[0]
    key = next((n for n, info in EXAMPLES.items() if info["file"] == first), first)
    return list(dict.fromkeys([key, *own]))


def _example_parameter(names: list[str]) -> inspect.Parameter:
    info = typer.Option(
        "--example",
        help=f"Solve a bundled instance instead of INPUT: {', '.join(names)}.",
        metavar="NAME",
    )
    return P("example_name", P.KEYWORD_ONLY, default=None, annotation=Annotated[str | None, info])


def _dimacs_parameters() -> list[inspect.Parameter]:
    """The SAT tools' conventions, for the families that have them."""
    return [
        P(
            "sat_exit_codes",
            P.KEYWORD_ONLY,
            default=False,
            annotation=Annotated[
                bool,
                typer.Option(
                    "--sat-exit-codes",
                    help="Exit as SAT solvers do: 10 satisfiable, 20 unsatisfiable, 30 optimum "
                    "found (MaxSAT), 0 unknown.",
                ),
            ],
        ),
        P(
            "dimacs_output",
            P.KEYWORD_ONLY,
            default=False,
            annotation=Annotated[
                bool,
                typer.Option(
                    "--dimacs-output",
                    help="Print the answer as the competitions' s / o / v lines on stdout "
                    "instead of the table.",
                ),
            ],
        ),
    ]


def family_command(family: Family) -> Callable[..., None]:
    """The command solving one instance of ``family``, with a signature Typer reads."""
    fields = cli_fields(family.options)
    if family.bound is None:  # the family's options may take them; without a bound, no flags
        fields = [(f, k) for f, k in fields if f.name not in BOUND_FIELDS]

    def command(**kw: Any) -> None:
        # an error ends in its one line and exit code here too, where the command runs in an
        # app other than dnnsolve's (a test's Typer app): ``--debug`` is read from the root
        debug = bool(kw["ctx"].find_root().params.get("debug"))  # Typer's own click context
        guarded(lambda: solve_command(**kw), debug)

    def solve_command(**kw: Any) -> None:
        set_threads(kw.pop("threads"))
        input_, output, quiet = kw.pop("input", None), kw.pop("output"), kw.pop("quiet")
        sat_style = {"exit_codes": kw.pop("sat_exit_codes", False)}
        sat_style["lines"] = kw.pop("dimacs_output", False)
        where = kw.pop("ctx").command_path
        _take_aliases(fields, kw)
        if family.catalog is not None and (kw.pop("list_") or input_ == "list"):
            show(_catalog(family, f"{where}: built-in problems"))
            return
        if input_ is None and family.input_kind == "name":
            raise InputError(f"give a PROBLEM (see {where} --list)")
        input_ = _example_input(family, input_, kw.pop("example_name", None))
        values = _option_values(fields, kw)
        with stdin_file(input_) as path:
            run_family(family, path, values, output=output, quiet=quiet, sat_style=sat_style)

    input_param, *edge = _edge_parameters(family)
    inputs = [] if family.input_kind == "none" else [input_param]
    aliases = [p for f, k in fields for p in _alias_parameters(f, k)]
    params = [*inputs, *(_parameter(f, k, family) for f, k in fields), *edge, *aliases]
    params.append(P("ctx", P.KEYWORD_ONLY, annotation=typer.Context))
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__doc__ = family.summary
    command.__name__ = family.name.replace("-", "_")
    return command


def _option_values(fields: list, kw: dict[str, Any]) -> dict[str, Any]:
    """The family's option values from the command line's (required ones checked, text
    parsed); unset options are left out, so that they keep the family's defaults."""
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
    return values


def _example_input(family: Family, input_: Any, name: str | None) -> Any:
    """INPUT, or the bundled instance ``--example NAME`` names (one of them is required)."""
    from ..data import example_path

    if name is None:
        if input_ is None and family.input_kind == "file":
            raise InputError("give an INPUT file or --example NAME")
        return input_
    if input_ is not None:
        raise InputError("give either INPUT or --example, not both")
    names = bundled_examples(family)
    if name not in names and not any(example_path(n).name == name for n in names):
        raise InputError(
            f"unknown example {name!r} for {family.name}; choose from {', '.join(names)}"
        )
    return example_path(name)


@contextlib.contextmanager
def stdin_file(input_: Any) -> Iterator[Any]:
    """INPUT ``-``: standard input, kept in a temporary file named ``stdin`` for the readers
    (which guess a format from the content where the name says nothing)."""
    if not (isinstance(input_, Path) and str(input_) == "-"):
        yield input_
        return
    data = sys.stdin.buffer.read()
    if not data.strip():
        raise InputError("INPUT is - but standard input is empty")
    with tempfile.TemporaryDirectory(prefix="dnnsolve-") as tmp:
        path = Path(tmp) / "stdin"
        path.write_bytes(data)
        yield path


def run_family(
    family: Family,
    input_: Any,
    values: dict[str, Any],
    *,
    output: Path | None = None,
    quiet: bool = False,
    sat_style: dict[str, bool] | None = None,
) -> Result:
    """Solve, write, show, and leave with the exit code of the result's status.

    Shown: the summary table with the answer itself when it is small (``-q``: one line;
    ``--dimacs-output``: the s / v lines), the notes and the files written, on stdout unless
    ``-o -`` puts the result JSON there."""
    from ..core.callbacks import RichProgress

    sat_style = sat_style or {}
    if output is not None and Path(output).is_dir():
        raise InputError("--output must be a file path, not a folder", path=str(output))
    opts = family.make_options(**values)
    method = family.check_method(opts.method)
    callbacks = [] if quiet else [RichProgress(f"{family.name}/{method}", console=err)]
    result = family.solve(input_, opts, callbacks)
    if isinstance(input_, Path):
        result.instance = input_.name
    written = family.write(result, opts) if family.write is not None else []
    certificate_file = getattr(opts, "certificate", None)
    if certificate_file is not None and result.certificate is not None:
        written.append(write_certificate(result, Path(certificate_file), output))
    to_stdout = output is not None and str(output) == "-"
    if to_stdout:
        sys.stdout.write(result.to_json() + "\n")
    elif output is not None:
        result.save(output)
        written.append(str(output))
    for note in result.extra.get("notes") or ():  # -q: no progress bar or table; notes stay
        err.print(f"note: {note}", highlight=False)
    if sat_style.get("lines") and family.dimacs is not None and not to_stdout:
        sys.stdout.write("".join(line + "\n" for line in family.dimacs(result)))
    elif quiet and not to_stdout:
        out.print(answer_line(result), highlight=False, soft_wrap=True)
    elif not to_stdout:
        show(_summary(family, result))
        answer = answer_text(result)
        if answer:
            out.print(answer, highlight=False, soft_wrap=True)
    if written:
        err.print(f"wrote {', '.join(map(str, written))}", highlight=False, soft_wrap=True)
    _leave(family, result, output, sat_style.get("exit_codes", False))
    return result


def write_certificate(result: Result, path: Path, output: Path | None) -> str:
    """Move the bound's certificate out of ``result`` into the JSON file ``path`` (atomically);
    the result names it, relative to the result file's folder when it has one, with its
    SHA-256 so that ``dnnsolve verify`` knows it is the same file."""
    import hashlib
    import os

    data = (json.dumps(jsonable(result.certificate)) + "\n").encode()
    atomic_write_bytes(path, data)
    folder = Path(output).resolve().parent if output is not None and str(output) != "-" else None
    name = os.path.relpath(path.resolve(), folder) if folder is not None else str(path.resolve())
    result.certificate = {"file": name, "sha256": hashlib.sha256(data).hexdigest()}
    return str(path)


def answer_line(result: Result) -> str:
    """The answer in one line (``-q``): instance, status, objective, time."""
    obj = "–" if result.objective is None else fmt_value(result.objective)
    return (
        f"{result.instance}: {result.status}, objective {obj} "
        f"({result.method}, {result.time_s:.2f} s)"
    )


#: the most items of an answer printed under the table
_ANSWER_ITEMS = 200


def answer_text(result: Result) -> str | None:
    """The answer itself when it is small: a vertex set, a model, a colouring, a vector."""
    sol = result.solution
    if isinstance(sol, dict) and isinstance(sol.get("coloring"), dict):
        pairs = sol["coloring"]
        if len(pairs) <= _ANSWER_ITEMS:
            return "coloring (vertex:colour): " + " ".join(f"{k}:{v}" for k, v in pairs.items())
        return None
    if isinstance(sol, list) and 0 < len(sol) <= _ANSWER_ITEMS:
        flat = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in sol)
        if flat:
            label = {"sat": "model", "maxsat": "model"}.get(result.problem, "solution")
            return f"{label}: " + " ".join(fmt_value(v) for v in sol)
    return None


def summary_row(result: Result) -> dict[str, Any]:
    """The columns of the one-row summary of a result."""
    row = {
        "instance": result.instance,
        "method": result.method,
        "status": result.status,
        "objective": result.objective,
        "feasible": result.feasible,
    }
    if result.bound is not None:  # the proven gap: how far from optimal the answer can be
        row["bound"] = result.bound
        row["gap %"] = None if result.gap is None else 100 * result.gap
    if result.reference is not None:
        row["reference"] = result.reference
        gap = result.reference_gap
        row["ref. gap %"] = None if gap is None else 100 * gap
    return {**row, "found by": result.found_by, "time s": result.time_s}


def _baseline_rows(result: Result) -> list[dict[str, Any]]:
    """The classical heuristic's answer, run inside the same budget, as a row beside the
    result (where the family runs one)."""
    base = result.extra.get("baseline")
    if not isinstance(base, dict) or base.get("objective") is None:
        return []
    return [
        {
            "instance": "",
            "method": f"baseline: {base.get('name', 'heuristic')}",
            "objective": base["objective"],
            "time s": base.get("time_s"),
        }
    ]


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
        return result_table([summary_row(result), *_baseline_rows(result)])
    table = Table(title=f"{family.name} · {result.method}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    for label, value in family.rows(result):
        table.add_row(label, fmt_value(value) if not isinstance(value, str) else value)
    return table


def _leave(family: Family, result: Result, output: Path | None, sat_codes: bool = False) -> None:
    """The exit code of a result: 130 interrupted, 2 proven infeasible / unsat or no feasible
    answer, 1 unknown or short of the family's promise, 0 an answer (with ``sat_codes`` the
    SAT solvers' 10 / 20 / 30 / 0)."""
    if result.stop_reason == "interrupted":
        where = f" (written to {output})" if output is not None else ""
        err.print(f"interrupted: the result is the best verified solution so far{where}")
        raise typer.Exit(EXIT_INTERRUPTED)
    status = result.status
    if sat_codes:
        raise typer.Exit(SAT_EXIT_CODES.get(status, 0))
    where = f" (result written to {output})" if output is not None else ""
    if status == "unsat" or (status == "infeasible" and family.infeasible_is_error):
        why = result.extra.get("infeasible_reason") or {
            "unsat": "proven unsatisfiable: no assignment satisfies every hard clause",
        }.get(status, "no feasible solution found")
        if status == "infeasible" and result.extra.get("solver_status") == "infeasible":
            why = "proven infeasible (certificate found)"
        err.print(f"{result.instance}: {status}: {why}{where}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_INPUT)
    short = family.shortfall(result) if family.shortfall is not None else None
    if short is not None:
        err.print(f"{result.instance}: {short}{where}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_UNKNOWN)
    if status == "unknown":
        why = result.extra.get("infeasible_reason") or (
            "no solution found within the budget (the method is incomplete; see --exact where "
            "the family has it)"
        )
        err.print(
            f"{result.instance}: status unknown: {why}{where}", highlight=False, soft_wrap=True
        )
        raise typer.Exit(EXIT_UNKNOWN)


# --------------------------------------------------------------------------- command groups

#: the second command of each family that has one (``dnnsolve GROUP ALIAS``; group ``""`` is the
#: root: ``dnnsolve pde``) → the family, so that a group names its commands without loading the
#: families (tests/test_startup.py checks the table against the specs)
FAMILY_ALIASES: dict[str, dict[str, str]] = {
    "": {"pde": "pde"},
    "image": {n: n for n in ("ct", "deblur", "denoise", "fit", "inpaint", "mri", "superres")},
    "rrr": {
        "autoencode": "autoencode",
        "bits": "bit-retrieval",
        "classify": "classify",
        "color": "rrr-color",
        "nmf": "nmf",
        "sudoku": "sudoku",
    },
}


class FamilyGroup(TyperGroup):
    """A command group that builds a family's command when the command line names it:
    ``dnnsolve solve lp …`` imports the LP family's modules alone, not every family's solvers.
    Listing the group (its ``--help``) builds each of its family commands.

    ``group`` is ``"solve"`` (every family, by name), ``"image"`` or ``"rrr"`` (the aliases in
    :data:`FAMILY_ALIASES`) or ``""`` (the root's aliases); see :func:`family_group`.
    """

    group: ClassVar[str] = "solve"

    def list_commands(self, ctx: click.Context) -> list[str]:
        built = super().list_commands(ctx)
        return [*built, *(n for n in self._family_commands() if n not in built)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            family = self._family_of(cmd_name)
            if family is not None:
                self.add_command(self._build(cmd_name, family), cmd_name)
            else:  # a typo: every command built, for the error to suggest the nearest
                for name in self._family_commands():
                    self.get_command(ctx, name)
        return super().get_command(ctx, cmd_name)

    def _family_commands(self) -> list[str]:
        if self.group == "solve":
            return list(families())
        return list(FAMILY_ALIASES[self.group])

    def _family_of(self, cmd_name: str) -> Family | None:
        if self.group == "solve":
            with contextlib.suppress(InputError):
                return get_family(cmd_name)
            return None
        name = FAMILY_ALIASES[self.group].get(cmd_name)
        if name is not None:
            return get_family(name)
        # not in the table (or not an alias): looked for among every family, slower but right
        aliased = {f.alias: f for f in families().values() if (f.group or "") == self.group}
        return aliased.get(cmd_name)

    def _build(self, cmd_name: str, family: Family) -> click.Command:
        info = CommandInfo(name=cmd_name, callback=family_command(family), epilog=EXIT_CODES_HELP)
        return get_command_from_info(
            info, pretty_exceptions_short=True, rich_markup_mode=self.rich_markup_mode
        )


def family_group(group: str) -> type[FamilyGroup]:
    """The :class:`FamilyGroup` of ``group``, as a class: what ``typer.Typer(cls=...)`` takes."""
    return type(f"FamilyGroup_{group or 'root'}", (FamilyGroup,), {"group": group})
