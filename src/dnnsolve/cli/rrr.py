"""``dnnsolve rrr {color,sudoku,bits}``: constraint problems solved with RRR projections.

Each command builds the two constraint sets of the problem (see :mod:`dnnsolve.rrr.constraints`),
runs ``--restarts`` random starts of the relaxed-reflect-reflect iteration as one batch on
``--device``, decodes ``P_A(x)`` and re-checks it independently.  ``--output FILE`` writes the
core result as JSON (atomically; also after Ctrl-C).

Exit codes: 0 a verified solution was found, 2 bad input or no solution within the limits (one
line on stderr; the JSON is still written), 130 interrupted by Ctrl-C (partial result written).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.table import Table

from ..core.errors import DnnsolveError, InputError
from ..core.result import Result
from .common import DEVICE_HELP, EXIT_INPUT, EXIT_INTERRUPTED, err, out

__all__ = ["rrr_app"]


rrr_app = typer.Typer(
    help="Solve constraint problems with the RRR (relaxed-reflect-reflect) projection method.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


Restarts = Annotated[int, typer.Option("--restarts", "-r", help="Random starts run as one batch.")]
Beta = Annotated[
    float | None,
    typer.Option(
        help="RRR step beta in (0, 2]; 1 = Douglas-Rachford. Default: 0.8 color/sudoku, 0.3 bits."
    ),
]
Gamma = Annotated[
    float | None, typer.Option(help="Generalized (difference-map) gamma; unset = standard RRR.")
]
MaxIter = Annotated[int, typer.Option("--max-iter", help="Iteration limit per restart.")]
Tol = Annotated[float, typer.Option(help="Stop a restart when its gap falls below this.")]
TimeLimit = Annotated[float | None, typer.Option("--time-limit", help="Wall-clock limit (s).")]
Seed = Annotated[int, typer.Option(help="Seed of the random starts.")]
Device = Annotated[str, typer.Option(help=DEVICE_HELP)]
Output = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write the result as JSON to this file.")
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary table.")]


def _progress_callback(label: str, max_iter: int, quiet: bool):
    """A Rich progress bar fed by the engine's per-iteration callback (updated every 25 steps)."""
    if quiet:
        return None, None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    task = progress.add_task(label, total=max_iter)

    def callback(step: int, x) -> bool:
        if step % 25 == 0:
            progress.update(task, completed=step)
        return False

    return progress, callback


def _run(label: str, problem, opts: dict) -> None:
    """Solve, save, summarize, exit with the right code."""
    from ..rrr.constraints import solve

    progress, callback = _progress_callback(label, opts["max_iter"], opts["quiet"])
    try:
        if progress is not None:
            progress.start()
        try:
            result = solve(
                problem,
                restarts=opts["restarts"],
                beta=opts["beta"],
                gamma=opts["gamma"],
                max_iter=opts["max_iter"],
                tol=opts["tol"],
                time_limit=opts["time_limit"],
                seed=opts["seed"],
                device=opts["device"],
                callback=callback,
            )
        finally:
            if progress is not None:
                progress.stop()
    except DnnsolveError as exc:
        _fail(str(exc))
    except (ValueError, TypeError) as exc:
        _fail(str(exc))
    result.extra["cli"] = {
        k: (str(v) if isinstance(v, Path) else v) for k, v in opts.items() if k != "quiet"
    }
    to_stdout = str(opts["output"]) == "-"
    if to_stdout:
        sys.stdout.write(result.to_json() + "\n")
    elif opts["output"] is not None:
        try:
            result.save(opts["output"])
        except OSError as exc:
            _fail(f"cannot write {opts['output']}: {exc}")
    if not opts["quiet"] and not to_stdout:
        out.print(_summary(result, label, problem))
    if result.stop_reason == "interrupted":
        err.print(f"interrupted after {result.steps} iterations")
        raise typer.Exit(EXIT_INTERRUPTED)
    if not result.feasible:
        _fail(
            f"no solution found ({result.stop_reason} after {result.steps} iterations, "
            f"{result.restarts} restarts); try more --restarts, --max-iter or another --beta"
        )


def _fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_INPUT)


def _summary(result: Result, label: str, problem) -> Table:
    table = Table(title=label, show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    rows = [
        ("instance", result.instance),
        ("solved", "yes (verified)" if result.feasible else "no"),
        ("objective", "–" if result.objective is None else f"{result.objective:g}"),
        ("stop reason", result.stop_reason),
        ("iterations", str(result.steps)),
        ("solved restarts", f"{result.extra['solved_restarts']} / {result.restarts}"),
        ("time", f"{result.time_s:.2f} s ({result.device})"),
    ]
    grid = getattr(result, "solution_array", None)
    if result.problem in ("sudoku", "latin") and grid is not None:
        rows.append(("grid", _format_grid(np.asarray(grid))))
    elif result.problem == "bit_retrieval" and grid is not None:
        rows.append(("bits", "".join("+" if b > 0 else "-" for b in np.asarray(grid))))
    for k, v in rows:
        table.add_row(k, v)
    return table


def _format_grid(grid: np.ndarray) -> str:
    w = len(str(grid.shape[0]))
    return "\n".join(" ".join(str(int(v)).rjust(w) for v in row) for row in grid)


def _opts(**kw) -> dict:
    """Check the shared options and collect them."""
    for name in ("restarts", "max_iter"):
        if kw[name] < 1:
            _fail(f"--{name.replace('_', '-')} must be >= 1")
    if kw["beta"] is not None and not 0 < kw["beta"] <= 2:
        _fail("--beta must be in (0, 2]")
    if kw["time_limit"] is not None and kw["time_limit"] <= 0:
        _fail("--time-limit must be > 0")
    if kw["tol"] < 0:
        _fail("--tol must be >= 0")
    return kw


@rrr_app.command("color")
def color_command(
    graph: Annotated[Path, typer.Argument(help="Graph file (DIMACS .col, edge list, Gset).")],
    colors: Annotated[int, typer.Option("--colors", "-k", help="Number of colours K.")],
    restarts: Restarts = 16,
    beta: Beta = None,
    gamma: Gamma = None,
    max_iter: MaxIter = 10000,
    tol: Tol = 1e-9,
    time_limit: TimeLimit = None,
    seed: Seed = 0,
    device: Device = "cpu",
    output: Output = None,
    quiet: Quiet = False,
) -> None:
    """K-colour a graph: edge-end replicas with distinct one-hot colours, vertex consensus."""
    from ..io.graphs import read_graph
    from ..rrr.constraints import ColoringRRR

    o = _opts(
        restarts=restarts,
        beta=beta,
        gamma=gamma,
        max_iter=max_iter,
        tol=tol,
        time_limit=time_limit,
        seed=seed,
        device=device,
        output=output,
        quiet=quiet,
    )
    try:
        g = read_graph(graph)
        problem = ColoringRRR(g, colors)
    except DnnsolveError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot read {graph}: {exc.strerror or exc}")
    o.update(graph=str(graph), colors=colors, output=output)
    _run(f"rrr color {g.name} (K={colors})", problem, o)


@rrr_app.command("sudoku")
def sudoku_command(
    puzzle: Annotated[
        str,
        typer.Argument(
            help="Puzzle file (81 characters with 0/. blanks, or N rows of N numbers), "
            "'-' for stdin, or the 81-character string itself."
        ),
    ],
    latin: Annotated[
        bool, typer.Option("--latin", help="Latin-square completion: no box constraints.")
    ] = False,
    box: Annotated[
        str | None, typer.Option(help="Box shape RxC (default: sqrt(N) x sqrt(N)).")
    ] = None,
    restarts: Restarts = 16,
    beta: Beta = None,
    gamma: Gamma = None,
    max_iter: MaxIter = 10000,
    tol: Tol = 1e-9,
    time_limit: TimeLimit = None,
    seed: Seed = 0,
    device: Device = "cpu",
    output: Output = None,
    quiet: Quiet = False,
) -> None:
    """Complete a Sudoku (or, with --latin, a Latin square) with one-hot replicas + consensus."""
    from ..rrr.constraints import LatinRRR, parse_grid

    o = _opts(
        restarts=restarts,
        beta=beta,
        gamma=gamma,
        max_iter=max_iter,
        tol=tol,
        time_limit=time_limit,
        seed=seed,
        device=device,
        output=output,
        quiet=quiet,
    )
    try:
        if puzzle == "-":
            text, source = sys.stdin.read(), "stdin"
        elif Path(puzzle).is_file():
            text, source = Path(puzzle).read_text(), puzzle
        elif len(puzzle.strip()) >= 4 and set(puzzle.strip()) <= set(".0123456789 "):
            text, source = puzzle, "argument"
        else:
            raise InputError(f"{puzzle}: no such file")
        grid = parse_grid(text, source)
        shape: tuple[int, int] | str | None = "auto"
        if latin:
            shape = None
        elif box is not None:
            try:
                bh, bw = (int(t) for t in box.lower().split("x"))
            except ValueError as exc:
                raise InputError(f"--box must look like 3x3, got {box!r}") from exc
            shape = (bh, bw)
        elif int(np.sqrt(grid.shape[0])) ** 2 != grid.shape[0]:
            raise InputError(
                f"a {grid.shape[0]}x{grid.shape[0]} grid has no square boxes: "
                "use --latin or --box RxC"
            )
        problem = LatinRRR(grid, box=shape)
    except DnnsolveError as exc:
        _fail(str(exc))
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {puzzle}: {exc}")
    o.update(puzzle=puzzle, latin=latin, box=box, output=output)
    _run(f"rrr {problem.name} {grid.shape[0]}x{grid.shape[0]}", problem, o)


@rrr_app.command("bits")
def bits_command(
    n: Annotated[
        int, typer.Option("--n", "-n", help="Length of a random instance (hidden ±1 signal).")
    ] = 32,
    autocorr: Annotated[
        Path | None,
        typer.Option(help="File with the N periodic autocorrelation values (whitespace)."),
    ] = None,
    instance_seed: Annotated[int, typer.Option(help="Seed of the random instance.")] = 0,
    fourier_first: Annotated[
        bool,
        typer.Option(
            "--fourier-first/--sign-first", help="Which set is A (reflected through, read off)."
        ),
    ] = True,
    restarts: Restarts = 32,
    beta: Beta = None,
    gamma: Gamma = None,
    max_iter: MaxIter = 100000,
    tol: Tol = 1e-9,
    time_limit: TimeLimit = None,
    seed: Seed = 0,
    device: Device = "cpu",
    output: Output = None,
    quiet: Quiet = False,
) -> None:
    """Bit retrieval: recover x in {±1}^N from its periodic autocorrelation."""
    from ..rrr.constraints import BitRetrievalRRR, autocorrelation, random_bits

    o = _opts(
        restarts=restarts,
        beta=beta,
        gamma=gamma,
        max_iter=max_iter,
        tol=tol,
        time_limit=time_limit,
        seed=seed,
        device=device,
        output=output,
        quiet=quiet,
    )
    try:
        if autocorr is not None:
            try:
                vals = np.array(autocorr.read_text().split(), dtype=np.float64)
            except ValueError as exc:
                raise InputError(f"{autocorr}: values must be integers") from exc
            hidden = None
        else:
            hidden = random_bits(n, seed=instance_seed)
            vals = autocorrelation(hidden)
        problem = BitRetrievalRRR(vals, fourier_first=fourier_first, hidden=hidden)
    except DnnsolveError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot read {autocorr}: {exc.strerror or exc}")
    o.update(
        n=problem.n,
        autocorr=None if autocorr is None else str(autocorr),
        instance_seed=instance_seed if autocorr is None else None,
        fourier_first=fourier_first,
        output=output,
    )
    _run(f"rrr bits N={problem.n}", problem, o)
