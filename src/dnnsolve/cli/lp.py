"""``dnnsolve solve lp FILE`` and ``dnnsolve solve qp FILE``: LP / convex QP solvers.

FILE is an MPS or QPS file (free or fixed format, optionally ``.gz``; read by HiGHS) or an
``.npz`` with arrays ``c``, ``A``, ``row_lower``/``row_upper``, ``col_lower``/``col_upper``,
``Q``, ``offset`` (see :func:`dnnsolve.lp.read_npz`). ``--output`` writes the JSON result
atomically: objective, ``x``, the dual ``y`` (when the method has one), the recomputed relative
primal residual, dual residual and duality gap, ``status`` (``optimal``, ``feasible``,
``infeasible`` or ``unknown``; see :func:`dnnsolve.lp.result_status`), the solver's own word in
``extra.solver_status`` (optimal / infeasible / unbounded / max_iter / time_limit /
interrupted) and, with ``--reference``, HiGHS's objective, time and the relative gap to it.

Exit codes: 0 solved to the tolerance (status ``optimal``); 1 no optimal point: the problem was
found infeasible or unbounded, a limit (``--max-iter``, ``--time-limit``) stopped the method
first, or the point misses ``--feas-tol`` (one line on stderr says which; the JSON is still
written); 2 bad input (one line on stderr); 130 Ctrl-C (the best point so far is still written).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..core.errors import InputError
from .common import DEVICE_HELP, EXIT_INTERRUPTED, EXIT_UNKNOWN, err, out

__all__ = ["lp_command", "qp_command"]


def _fmt(v: Any, spec: str = ".3e") -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return format(v, spec)


def _run(kind: str, file: Path, method: str, options: dict[str, Any], **o: Any) -> None:
    from ..lp import LP_METHODS, QP_METHODS, read_lp, solve_lp

    methods = QP_METHODS if kind == "qp" else LP_METHODS
    if method not in methods:
        raise InputError(f"--method must be one of {', '.join(methods)}, got {method!r}")
    if o["tol"] <= 0 or not math.isfinite(o["tol"]):
        raise InputError(f"--tol must be a positive number, got {o['tol']}")
    output: Path | None = o.pop("output")
    quiet: bool = o.pop("quiet")
    lp = read_lp(file)
    if kind == "lp" and lp.is_qp:
        err.print("note: the file has a quadratic objective; solving it as a QP", highlight=False)
    progress = None
    callback = None
    if not quiet:
        progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        )
        task = progress.add_task(f"{method} {lp.name}", info="", total=None)

        def callback(row: dict) -> None:
            info = (
                f"iter {row['step']}  primal {_fmt(row.get('primal_residual'), '.1e')}  "
                f"dual {_fmt(row.get('dual_residual'), '.1e')}  gap {_fmt(row.get('gap'), '.1e')}"
            )
            progress.update(task, info=info)

    if progress is not None:
        progress.start()
    try:
        result = solve_lp(lp, method=method, options=options, callback=callback, **o)
    finally:
        if progress is not None:
            progress.stop()
    to_stdout = str(output) == "-"
    if to_stdout:
        sys.stdout.write(result.to_json() + "\n")
    elif output is not None:
        if output.is_dir():
            raise InputError("--output must be a file path, not a folder", path=str(output))
        result.save(output)
    ex = result.extra
    if not quiet and not to_stdout:
        table = Table(title=f"dnnsolve solve {kind} {lp.name}", show_header=False)
        table.add_column("", style="bold")
        table.add_column("")
        rows = [
            ("method", method),
            ("size", f"{ex['n']} columns, {ex['m']} rows, {ex['nnz']} nonzeros"),
            ("status", _status_text(result.status, ex["solver_status"])),
            ("objective", _fmt(result.objective, ".10g")),
            ("primal residual (rel.)", _fmt(ex["primal_residual"])),
            ("max violation", _fmt(ex["primal_violation"])),
            ("dual residual (rel.)", _fmt(ex.get("dual_residual"))),
            ("duality gap (rel.)", _fmt(ex.get("duality_gap"))),
            ("iterations", str(result.steps)),
            ("time", f"{result.time_s:.3f} s ({result.device})"),
        ]
        if result.reference is not None:
            rows.append(("HiGHS objective", _fmt(result.reference, ".10g")))
            rows.append(("gap to HiGHS (rel.)", _fmt(ex.get("gap_to_reference"))))
            if "reference_time_s" in ex:
                rows.append(("HiGHS time", f"{ex['reference_time_s']:.3f} s"))
        elif "reference_status" in ex:
            rows.append(("HiGHS", ex["reference_status"]))
        if output is not None:
            rows.append(("output", str(output)))
        for a, b in rows:
            table.add_row(a, b)
        out.print(table)
    solver_status = ex["solver_status"]
    if solver_status == "interrupted":
        err.print(
            "interrupted: the best point so far was kept" + (f" in {output}" if output else "")
        )
        raise typer.Exit(EXIT_INTERRUPTED)
    if result.status != "optimal":
        where = f" (result written to {output})" if output is not None and not to_stdout else ""
        why = {
            "infeasible": "the problem is infeasible (certificate found)",
            "unbounded": "the problem is unbounded (certificate found)",
            "optimal": (
                f"the tolerance was met but the primal residual {_fmt(ex['primal_residual'])} "
                f"exceeds --feas-tol {o['feas_tol']:g}"
            ),
        }.get(solver_status, f"stopped by a limit ({solver_status}) before reaching the tolerance")
        err.print(f"{lp.name}: {why}{where}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_UNKNOWN)


def _status_text(status: str, solver_status: str) -> str:
    """``optimal``, or ``unknown (max_iter)`` when the solver's word says more.

    >>> _status_text("optimal", "optimal"), _status_text("unknown", "max_iter")
    ('optimal', 'unknown (max_iter)')
    """
    return status if solver_status == status else f"{status} ({solver_status})"


_METHOD_HELP_LP = "pdhg (restarted PDHG), energy (penalty network), projection, highs."
_METHOD_HELP_QP = "pdhg, projection (Xia–Wang network), energy, osqp, highs."


def _options(pairs: list[str] | None) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    for p in pairs or []:
        key, sep, val = p.partition("=")
        if not sep or not key:
            raise InputError(f"--option expects key=value, got {p!r}")
        try:
            opts[key] = float(val) if any(ch in val for ch in ".e") else int(val)
        except ValueError:
            opts[key] = val
    return opts


def lp_command(
    file: Annotated[Path, typer.Argument(help="MPS file (free/fixed, .gz ok) or .npz arrays.")],
    method: Annotated[str, typer.Option(help=_METHOD_HELP_LP)] = "pdhg",
    tol: Annotated[
        float, typer.Option(help="Relative KKT tolerance (first-order methods).")
    ] = 1e-7,
    max_iter: Annotated[int | None, typer.Option("--max-iter", help="Iteration limit.")] = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Wall-clock limit in seconds.")
    ] = None,
    device: Annotated[str, typer.Option(help=DEVICE_HELP)] = "auto",
    seed: Annotated[int, typer.Option(help="Random seed (energy network restarts).")] = 0,
    reference: Annotated[
        bool,
        typer.Option("--reference/--no-reference", help="Also solve with HiGHS; report the gap."),
    ] = False,
    feas_tol: Annotated[
        float, typer.Option("--feas-tol", help="Relative primal residual counted as feasible.")
    ] = 1e-6,
    option: Annotated[
        list[str] | None, typer.Option("--option", "-O", help="Method setting key=value.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the JSON result here.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or table.")] = False,
) -> None:
    """Solve a linear program from an MPS file (HiGHS reads it) and report its residuals."""
    _run(
        "lp", file, method, _options(option), tol=tol, max_iter=max_iter, time_limit=time_limit,
        device=device, seed=seed, reference=reference, feas_tol=feas_tol, output=output,
        quiet=quiet,
    )  # fmt: skip


def qp_command(
    file: Annotated[Path, typer.Argument(help="QPS/MPS file with a quadratic section, or .npz.")],
    method: Annotated[str, typer.Option(help=_METHOD_HELP_QP)] = "pdhg",
    tol: Annotated[
        float, typer.Option(help="Relative KKT tolerance (first-order methods).")
    ] = 1e-7,
    max_iter: Annotated[int | None, typer.Option("--max-iter", help="Iteration limit.")] = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Wall-clock limit in seconds.")
    ] = None,
    device: Annotated[str, typer.Option(help=DEVICE_HELP)] = "auto",
    seed: Annotated[int, typer.Option(help="Random seed (energy network restarts).")] = 0,
    reference: Annotated[
        bool,
        typer.Option("--reference/--no-reference", help="Also solve with HiGHS; report the gap."),
    ] = False,
    feas_tol: Annotated[
        float, typer.Option("--feas-tol", help="Relative primal residual counted as feasible.")
    ] = 1e-6,
    option: Annotated[
        list[str] | None, typer.Option("--option", "-O", help="Method setting key=value.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the JSON result here.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or table.")] = False,
) -> None:
    """Solve a convex quadratic program (QPS via HiGHS, or .npz arrays)."""
    _run(
        "qp", file, method, _options(option), tol=tol, max_iter=max_iter, time_limit=time_limit,
        device=device, seed=seed, reference=reference, feas_tol=feas_tol, output=output,
        quiet=quiet,
    )  # fmt: skip
