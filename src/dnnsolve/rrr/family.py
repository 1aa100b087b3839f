"""The RRR constraint families: ``rrr-color``, ``sudoku`` and ``bit-retrieval``.

Each reads its instance (a graph, a puzzle, an autocorrelation), builds the two constraint
sets of :mod:`dnnsolve.rrr.constraints`, runs ``restarts`` random starts of the
relaxed-reflect-reflect iteration as one batch (:func:`~dnnsolve.rrr.constraints.solve`) and
returns its verified :class:`~dnnsolve.core.result.Result`. The commands
``dnnsolve rrr color|sudoku|bits`` (and ``dnnsolve solve rrr-color|sudoku|bit-retrieval``)
are generated from these specs; a run that finds no solution within its budget is not
feasible and its ``extra["infeasible_reason"]`` says what to try (the CLI exits 2).

:class:`~dnnsolve.core.callbacks.CallbackRun` drives a runner's callbacks (a progress bar) from the RRR iteration; the LWL
families (:mod:`dnnsolve.rrr.lwl.family`) use it too.

>>> from dnnsolve import solve
>>> r = solve("sudoku", "1...  ..2.  .3..  ...4", device="cpu", seed=0)
>>> r.feasible, r.objective, r.solution[0][0]  # verified: rows, columns, boxes, givens
(True, 0.0, 1)
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..core.callbacks import Callback, CallbackRun
from ..core.errors import InputError
from ..core.result import Result
from ..core.seeding import fresh_seed
from ..family import (
    Family,
    Options,
    at_least,
    non_negative,
    option,
    register_family,
)
from .constraints import (
    BitRetrievalRRR,
    ColoringRRR,
    LatinRRR,
    RRRProblem,
    autocorrelation,
    parse_grid,
    random_bits,
)
from .constraints import solve as rrr_solve

__all__ = [
    "BitsOptions",
    "ColorOptions",
    "RRROptions",
    "SudokuOptions",
    "options_record",
    "rrr_step",
]


def rrr_step(v: Any) -> str | None:
    """The check of an RRR step beta: in (0, 2]."""
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v <= 2
    return None if ok else "must be in (0, 2]"


def options_record(opts: Options) -> dict[str, Any]:
    """The option values of a run, JSON-ready (paths as text), for ``Result.extra``."""
    return {
        k: os.fspath(v) if isinstance(v, os.PathLike) else v
        for k, v in dataclasses.asdict(opts).items()
    }


# --------------------------------------------------------------------------- callbacks


# --------------------------------------------------------------------------- options


@dataclass(kw_only=True)
class RRROptions(Options):
    """The options of the RRR constraint families (the settings of
    :func:`~dnnsolve.rrr.constraints.solve`)."""

    restarts: int = option(16, "Random starts run as one batch.", check=at_least(1), short="-r")
    beta: float | None = option(
        None,
        "RRR step beta in (0, 2]; 1 = Douglas-Rachford. Default: 0.8 color/sudoku, 0.3 bits.",
        check=rrr_step,
    )
    gamma: float | None = option(None, "Generalized (difference-map) gamma; unset = standard RRR.")
    steps: int = option(
        10000, "Iteration limit per restart.", check=at_least(1), aliases=("max_iter",)
    )
    tol: float = option(1e-9, "Stop a restart when its gap falls below this.", check=non_negative)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.seed is None:  # a fresh seed, recorded in the result
            self.seed = fresh_seed()


@dataclass(kw_only=True)
class ColorOptions(RRROptions):
    """``rrr-color``: the number of colours K (required)."""

    colors: int | None = option(
        None, "Number of colours K.", check=at_least(1), short="-k", cli_required=True
    )
    format: str | None = option(None, "Force a reader.")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.colors is None:
            raise InputError("--colors is required")


def parse_box(text: Any) -> tuple[int, int] | None:
    """``"3x3"`` → (3, 3); a pair stays a pair.

    >>> parse_box("2x3"), parse_box((3, 3))
    ((2, 3), (3, 3))
    """
    if text is None:
        return None
    if isinstance(text, str):
        try:
            bh, bw = (int(t) for t in text.lower().split("x"))
        except ValueError as exc:
            raise InputError(f"--box must look like 3x3, got {text!r}") from exc
        return bh, bw
    try:
        bh, bw = (int(t) for t in text)
    except (TypeError, ValueError) as exc:
        raise InputError(f"--box must be a pair of box sides, got {text!r}") from exc
    return bh, bw


@dataclass(kw_only=True)
class SudokuOptions(RRROptions):
    """``sudoku``: Latin-square completion or the box shape."""

    latin: bool = option(False, "Latin-square completion: no box constraints.")
    box: tuple[int, int] | None = option(
        None,
        "Box shape RxC (default: sqrt(N) x sqrt(N)).",
        parse=parse_box,
        cli_type=str,
        metavar="RxC",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        self.box = parse_box(self.box)
        if self.box is not None and min(self.box) < 1:
            raise InputError(f"--box sides must be at least 1, got {self.box}")


@dataclass(kw_only=True)
class BitsOptions(RRROptions):
    """``bit-retrieval``: a random instance (``n``, ``instance_seed``) or an autocorrelation."""

    restarts: int = option(32, "Random starts run as one batch.", check=at_least(1), short="-r")
    steps: int = option(
        100000, "Iteration limit per restart.", check=at_least(1), aliases=("max_iter",)
    )
    n: int = option(
        32,
        "Length of a random instance (hidden ±1 signal).",
        check=at_least(1),
        flag="--n",
        short="-n",
    )
    autocorr: Path | None = option(
        None, "File with the N periodic autocorrelation values (whitespace); or give it as INPUT."
    )
    instance_seed: int = option(0, "Seed of the random instance.", check=non_negative)
    fourier_first: bool = option(
        True, "Which set is A (reflected through, read off).", flag="--fourier-first/--sign-first"
    )


# --------------------------------------------------------------------------- readers


def read_graph_input(instance: Any, format: str | None = None):
    """A :class:`~dnnsolve.graph.Graph`, a NetworkX graph, or a graph file's path."""
    from ..graph import Graph
    from ..io import from_networkx, read_graph

    if isinstance(instance, Graph):
        return instance
    if isinstance(instance, (str, os.PathLike)):
        try:
            return read_graph(Path(instance), format=format)
        except OSError as exc:
            raise InputError(f"cannot read {instance}: {exc.strerror or exc}") from None
    if hasattr(instance, "nodes") and hasattr(instance, "edges"):
        return from_networkx(instance)
    raise InputError(f"cannot read a graph from a {type(instance).__name__}")


def read_puzzle(puzzle: Any) -> np.ndarray:
    """A puzzle grid from a file, ``"-"`` (stdin), the puzzle's text itself (81 characters
    with 0 or . for blanks, or N rows of N numbers) or an N x N array."""
    if puzzle is None:
        raise InputError("sudoku needs a puzzle")
    if not isinstance(puzzle, (str, os.PathLike)):
        return np.asarray(puzzle, dtype=np.int64)  # LatinRRR checks its shape and values
    text = os.fspath(puzzle)
    try:
        if text == "-":
            content, source = sys.stdin.read(), "stdin"
        elif Path(text).is_file():
            content, source = Path(text).read_text(), text
        elif len(text.strip()) >= 4 and set(text.strip()) <= set(".0123456789 "):
            content, source = text, "argument"
        else:
            raise InputError(f"{text}: no such file")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {text}: {exc}") from None
    return parse_grid(content, source)


@dataclass
class Autocorrelation:
    """A bit-retrieval instance: the target autocorrelation and, when generated, the signal."""

    values: np.ndarray
    hidden: np.ndarray | None = None


def read_autocorrelation(instance: Any, opts: Options) -> Autocorrelation:
    """INPUT or ``--autocorr`` (a file of N values, or an array), else a random instance of
    length ``n`` drawn with ``instance_seed``."""
    assert isinstance(opts, BitsOptions)
    if instance is not None and opts.autocorr is not None:
        raise InputError("give the autocorrelation as INPUT or --autocorr, not both")
    source = instance if instance is not None else opts.autocorr
    if source is None:
        hidden = random_bits(opts.n, seed=opts.instance_seed)
        return Autocorrelation(autocorrelation(hidden), hidden)
    if not isinstance(source, (str, os.PathLike)):
        return Autocorrelation(np.asarray(source))
    try:
        text = Path(source).read_text()
    except OSError as exc:
        raise InputError(f"cannot read {os.fspath(source)}: {exc.strerror or exc}") from None
    try:
        return Autocorrelation(np.array(text.split(), dtype=np.float64))
    except ValueError as exc:
        raise InputError(f"{os.fspath(source)}: values must be integers") from exc


# --------------------------------------------------------------------------- runners


def run_rrr(problem: RRRProblem, opts: RRROptions, callbacks: Sequence[Callback] = ()) -> Result:
    """Solve ``problem`` with :func:`~dnnsolve.rrr.constraints.solve` at ``opts``."""

    def solve(callback: Callable[[int, Any], bool] | None) -> Result:
        result = rrr_solve(
            problem,
            restarts=opts.restarts,
            beta=opts.beta,
            gamma=opts.gamma,
            max_iter=opts.steps,
            tol=opts.tol,
            time_limit=opts.time_limit,
            seed=opts.seed,
            device=opts.device,
            callback=callback,
        )
        result.extra["options"] = options_record(opts)
        if not result.feasible:  # RRR is incomplete: no solution found proves nothing
            result.status = "unknown"
            result.extra["infeasible_reason"] = (
                f"no solution found ({result.stop_reason} after {result.steps} iterations, "
                f"{result.restarts} restarts); try more --restarts, --steps or another --beta"
            )
        return result

    return CallbackRun(callbacks, opts.steps, opts, problem).run(solve)


def _run_color(graph: Any, opts: Options, callbacks: Sequence[Callback] = ()) -> Result:
    assert isinstance(opts, ColorOptions) and opts.colors is not None
    return run_rrr(ColoringRRR(graph, opts.colors), opts, callbacks)


def _run_sudoku(grid: np.ndarray, opts: Options, callbacks: Sequence[Callback] = ()) -> Result:
    assert isinstance(opts, SudokuOptions)
    n = grid.shape[0]
    shape: tuple[int, int] | str | None = "auto"
    if opts.latin:
        shape = None
    elif opts.box is not None:
        shape = opts.box
    elif math.isqrt(n) ** 2 != n:
        raise InputError(f"a {n}x{n} grid has no square boxes: use --latin or --box RxC")
    return run_rrr(LatinRRR(grid, box=shape), opts, callbacks)


def _run_bits(inst: Autocorrelation, opts: Options, callbacks: Sequence[Callback] = ()) -> Result:
    assert isinstance(opts, BitsOptions)
    problem = BitRetrievalRRR(inst.values, fourier_first=opts.fourier_first, hidden=inst.hidden)
    return run_rrr(problem, opts, callbacks)


# --------------------------------------------------------------------------- the summary


def _grid_text(grid: np.ndarray) -> str:
    w = len(str(grid.shape[0]))
    return "\n".join(" ".join(str(int(v)).rjust(w) for v in row) for row in grid)


def rrr_rows(result: Result) -> list[tuple[str, str]]:
    """The summary of an RRR constraint run (with the grid or the signal found)."""
    rows = [
        ("instance", result.instance),
        ("solved", "yes (verified)" if result.feasible else "no"),
        ("objective", "–" if result.objective is None else f"{result.objective:g}"),
        ("stop reason", result.stop_reason),
        ("iterations", str(result.steps)),
        ("solved restarts", f"{result.extra.get('solved_restarts')} / {result.restarts}"),
        ("time", f"{result.time_s:.2f} s ({result.device})"),
    ]
    if result.solution is not None:
        sol = np.asarray(result.solution)
        if result.problem == "sudoku":
            rows.append(("grid", _grid_text(sol)))
        elif result.problem == "bit-retrieval":
            rows.append(("bits", "".join("+" if b > 0 else "-" for b in sol)))
    return rows


# --------------------------------------------------------------------------- the specs


def _only_rrr() -> dict[str, str]:
    return {"rrr": "relaxed-reflect-reflect from batched random restarts (verified answer)"}


def _rrr_default() -> str:
    return "rrr"


register_family(
    Family(
        name="rrr-color",
        summary="K-colour a graph by RRR: edge-end replicas with distinct one-hot colours, "
        "vertex consensus.",
        options=ColorOptions,
        read=lambda instance, opts: read_graph_input(instance, getattr(opts, "format", None)),
        run=_run_color,
        methods=_only_rrr,
        default_method=_rrr_default,
        formats="gset, dimacs, edgelist",
        input_help="Graph file (DIMACS .col, edge list, Gset).",
        group="rrr",
        alias="color",
        example=("maxcut_example.gset", {"colors": 3, "restarts": 4}),  # a sparse graph: ~1 s
        rows=rrr_rows,
    )
)

register_family(
    Family(
        name="sudoku",
        summary="Complete a Sudoku (or, with --latin, a Latin square) by RRR: one-hot replicas "
        "+ consensus.",
        options=SudokuOptions,
        read=lambda instance, opts: read_puzzle(instance),
        run=_run_sudoku,
        methods=_only_rrr,
        default_method=_rrr_default,
        formats="81 characters (0 or . blanks), N rows of N numbers",
        input_help="Puzzle file (81 characters with 0/. blanks, or N rows of N numbers), "
        "'-' for stdin, or the 81-character string itself.",
        group="rrr",
        alias="sudoku",
        example=("sudoku_example.txt", {}),
        rows=rrr_rows,
    )
)

register_family(
    Family(
        name="bit-retrieval",
        summary="Bit retrieval by RRR: recover x in {±1}^N from its periodic autocorrelation.",
        options=BitsOptions,
        read=read_autocorrelation,
        run=_run_bits,
        methods=_only_rrr,
        default_method=_rrr_default,
        formats="N whitespace-separated integers",
        input_help="File with the N periodic autocorrelation values (default: a random "
        "instance of --n bits).",
        input_kind="optional",
        group="rrr",
        alias="bits",
        example=(None, {"n": 24}),
        rows=rrr_rows,
    )
)
