"""RRR constraint-solver suites: success rate and time of batched RRR (:mod:`dnnsolve.rrr`).

* ``rrr-color`` — K-colouring of small DIMACS COLOR graphs (``<data>/dimacs_color``) with K
  set to the known chromatic number (the hardest feasible K); DSatur's colour count beside.
* ``rrr-sudoku`` — two classic 9x9 puzzles (Wikipedia's example, Inkala's "hardest"), random
  Sudokus thinned to 30 / 25 / 22 givens, a random 16x16 Sudoku with 128 givens, and
  Latin-square completions of order 6 / 8 / 10 (generated from shuffled valid grids, so each
  has a solution).
* ``rrr-bits`` — bit retrieval of random ±1 signals of length N = 24 … 80 from their
  periodic autocorrelation.

Each instance runs ``trials`` independent seeds (``--option trials=K``, default 3), every
trial a batch of ``restarts`` random starts stopped at the first verified solution or at the
time limit; rows report the fraction of trials solved, the mean (``time_s``) and median time
per trial and the median iterations of the solved trials.
Other options: ``restarts``, ``beta``, ``steps`` (iteration cap).  Solutions are re-checked with the
independent NumPy verifiers of :mod:`dnnsolve.rrr.constraints`.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import numpy as np

from ..harness import (
    Instance,
    Suite,
    SuiteContext,
    mean_of,
    option_float,
    option_int,
    register_suite,
)

#: (name, K = known chromatic number); small DIMACS graphs RRR can be asked to colour at χ
COLOR_SET: tuple[tuple[str, int], ...] = (
    ("myciel3", 4),
    ("myciel4", 5),
    ("myciel5", 6),
    ("queen5_5", 5),
    ("queen6_6", 7),
    ("queen7_7", 7),
    ("huck", 11),
    ("jean", 10),
    ("david", 11),
    ("anna", 11),
    ("games120", 9),
    ("miles250", 8),
    ("DSJC125.1", 5),
)

WIKIPEDIA = "530070000600195000098000060800060003400803001700020006060000280000419005000080079"
INKALA = "800000000003600000070090200050007000000045700000100030001000068008500010090000400"


def _options(ctx: SuiteContext, defaults: dict[str, Any]) -> dict[str, Any]:
    o = dict(defaults)
    for key, val in (ctx.options or {}).items():
        if key in ("trials", "restarts", "steps"):
            o[key] = option_int(val, key)
        elif key == "beta":
            o[key] = option_float(val, key)
            if not 0 < o[key] <= 2:
                from ...core.errors import InputError

                raise InputError("option beta must be in (0, 2]")
    return o


def _trials(make, ctx: SuiteContext, o: dict) -> dict[str, Any]:
    """Run ``trials`` seeds of ``solve(make())``; summarize success, time, iterations."""
    from ...rrr.constraints import solve

    times, iters, solved, errors = [], [], 0, []
    beta_used = o["beta"]
    for t in range(o["trials"]):
        try:
            res = solve(
                make(),
                restarts=o["restarts"],
                beta=o["beta"],
                max_iter=o["steps"],
                time_limit=ctx.time_limit,
                seed=ctx.seed + t,
                device=ctx.device,
            )
        except Exception as exc:  # one failing trial must not lose the table
            errors.append(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            continue
        times.append(res.time_s)
        beta_used = res.hparams["beta"]
        if res.feasible:
            solved += 1
            iters.append(res.steps)
    n = o["trials"]
    return {
        "trials": n,
        "solved": solved,
        "success_rate": solved / n if n else None,
        "time_s": mean_of(times),
        "median_time_s": statistics.median(times) if times else None,
        "median_iterations": statistics.median(iters) if iters else None,
        "restarts": o["restarts"],
        "beta": beta_used,
        "error": "; ".join(errors) or None,
    }


# ----------------------------------------------------------------------------- colouring


def _color_instances(ctx: SuiteContext) -> list[Instance]:
    folder = ctx.data_folder(SUITES_BY_NAME["rrr-color"])
    out = []
    for name, k in COLOR_SET:
        path = folder / f"{name}.col"
        if path.is_file():
            out.append(Instance(name, lambda p=path: _load(p), {"path": str(path), "chi": k}))
    if not out:
        from ...core.errors import InputError

        raise InputError(f"{folder}: none of the rrr-color graphs (*.col) found")
    return out


def _load(path: Path):
    from ...io import read_graph

    g = read_graph(path, format="dimacs")
    g.name = path.name[: -len(".col")]
    return g


def _color_rows(inst: Instance, graph, chosen: dict, ctx: SuiteContext) -> list[dict]:
    from ...baselines.coloring import dsatur
    from ...rrr.constraints import ColoringRRR

    o = _options(ctx, {"trials": 3, "restarts": 16, "beta": None, "steps": 10**6})
    chi = inst.meta["chi"]
    ds = dsatur(graph) if ctx.baselines else None
    rows = []
    for method in chosen.get("rrr", []):
        stats = _trials(lambda: ColoringRRR(graph, chi), ctx, o)
        rows.append(
            {
                "instance": inst.name,
                "n": graph.n,
                "m": graph.m,
                "method": method,
                "colors": chi,
                "chi": chi,
                **stats,
                "dsatur_colors": None if ds is None else int(ds.objective),
                "dsatur_time_s": None if ds is None else ds.time_s,
            }
        )
    return rows


# ----------------------------------------------------------------------------- Sudoku / Latin


def _shuffled_sudoku(rng: np.random.Generator, b: int = 3) -> np.ndarray:
    """A random valid N x N Sudoku (N = b^2): a pattern grid under validity-preserving symmetries."""
    n = b * b
    base = np.array([[(b * (r % b) + r // b + c) % n + 1 for c in range(n)] for r in range(n)])
    digits = rng.permutation(n) + 1
    g = digits[base - 1]
    rows = np.concatenate([k * b + rng.permutation(b) for k in rng.permutation(b)])
    cols = np.concatenate([k * b + rng.permutation(b) for k in rng.permutation(b)])
    g = g[rows][:, cols]
    return g.T if rng.random() < 0.5 else g


def _shuffled_latin(n: int, rng: np.random.Generator) -> np.ndarray:
    base = (np.add.outer(np.arange(n), np.arange(n)) % n) + 1
    return (rng.permutation(n) + 1)[base - 1][rng.permutation(n)][:, rng.permutation(n)]


def _thin(grid: np.ndarray, givens: int, rng: np.random.Generator) -> np.ndarray:
    out = np.zeros_like(grid)
    keep = rng.choice(grid.size, size=givens, replace=False)
    out.flat[keep] = grid.flat[keep]
    return out


def _sudoku_specs(seed: int) -> list[tuple[str, str, np.ndarray]]:
    from ...rrr.constraints import parse_grid

    rng = np.random.default_rng(1000 + seed)
    specs = [
        ("wikipedia", "sudoku", parse_grid(WIKIPEDIA)),
        ("inkala", "sudoku", parse_grid(INKALA)),
    ]
    for givens in (30, 25, 22):
        specs.append((f"random-{givens}", "sudoku", _thin(_shuffled_sudoku(rng), givens, rng)))
    specs.append(("random16-128", "sudoku", _thin(_shuffled_sudoku(rng, 4), 128, rng)))
    for n in (6, 8, 10):
        grid = _shuffled_latin(n, rng)
        specs.append((f"latin{n}", "latin", _thin(grid, int(0.35 * n * n), rng)))
    return specs


def _sudoku_instances(ctx: SuiteContext) -> list[Instance]:
    return [
        Instance(name, lambda g=grid, k=kind: (k, g), {"kind": kind})
        for name, kind, grid in _sudoku_specs(ctx.seed)
    ]


def _sudoku_rows(inst: Instance, loaded, chosen: dict, ctx: SuiteContext) -> list[dict]:
    from ...rrr.constraints import LatinRRR

    kind, grid = loaded
    o = _options(ctx, {"trials": 3, "restarts": 16, "beta": None, "steps": 10**6})
    box = "auto" if kind == "sudoku" else None
    return [
        {
            "instance": inst.name,
            "kind": kind,
            "n": int(grid.shape[0]),
            "givens": int(np.count_nonzero(grid)),
            "method": method,
            **_trials(lambda: LatinRRR(grid, box=box), ctx, o),
        }
        for method in chosen.get("rrr", [])
    ]


# ----------------------------------------------------------------------------- bit retrieval

BITS_SIZES = (24, 32, 40, 48, 56, 64, 80)


def _bits_instances(ctx: SuiteContext) -> list[Instance]:
    top = ctx.max_n if ctx.max_n is not None else max(BITS_SIZES)
    return [Instance(f"bits{n}", lambda n=n: n, {"n": n}) for n in BITS_SIZES if n <= top]


def _bits_rows(inst: Instance, n: int, chosen: dict, ctx: SuiteContext) -> list[dict]:
    from ...rrr.constraints import BitRetrievalRRR, autocorrelation, random_bits

    o = _options(ctx, {"trials": 3, "restarts": 32, "beta": None, "steps": 10**7})
    rows = []
    for method in chosen.get("rrr", []):
        counter = iter(range(10**6))

        def make(counter=counter):  # a fresh random instance per trial
            return BitRetrievalRRR(
                autocorrelation(random_bits(n, seed=ctx.seed * 1000 + n + next(counter)))
            )

        rows.append({"instance": inst.name, "n": n, "method": method, **_trials(make, ctx, o)})
    return rows


def _summary(rows: list[dict]) -> dict:
    by: dict[str, list[dict]] = {}
    for r in rows:
        by.setdefault(r["method"], []).append(r)
    return {
        "methods": {
            m: {
                "instances": len(rs),
                "success_rate": mean_of([r["success_rate"] for r in rs]),
                "instances_solved_every_trial": sum(1 for r in rs if r["solved"] == r["trials"]),
                "mean_time_s": mean_of([r["time_s"] for r in rs]),
            }
            for m, rs in by.items()
        }
    }


_STATS = (
    "trials",
    "solved",
    "success_rate",
    "time_s",
    "median_time_s",
    "median_iterations",
    "beta",
)

SUITES_BY_NAME = {
    "rrr-color": register_suite(
        Suite(
            "rrr-color",
            ("rrr",),
            "RRR K-colouring (edge-end replicas + vertex consensus) of small DIMACS graphs at K = "
            "known χ: success rate over trials and time; DSatur's colours beside",
            "dimacs_color",
            30.0,
            ("instance", "n", "m", "method", "chi", *_STATS, "dsatur_colors", "error"),
            instances=_color_instances,
            rows=_color_rows,
            summarize=_summary,
            methods=("rrr",),
            default_methods=("rrr",),
        )
    ),
    "rrr-sudoku": register_suite(
        Suite(
            "rrr-sudoku",
            ("rrr",),
            "RRR Sudoku (classic + random thinned 9x9) and Latin-square completion (order 6-10): "
            "success rate and time",
            None,
            30.0,
            ("instance", "kind", "n", "givens", "method", *_STATS, "error"),
            instances=_sudoku_instances,
            rows=_sudoku_rows,
            summarize=_summary,
            methods=("rrr",),
            default_methods=("rrr",),
        )
    ),
    "rrr-bits": register_suite(
        Suite(
            "rrr-bits",
            ("rrr",),
            "RRR bit retrieval: random ±1 signals of length N = 24-80 from their periodic "
            "autocorrelation (a fresh instance per trial); success rate and time",
            None,
            30.0,
            ("instance", "n", "method", *_STATS, "error"),
            instances=_bits_instances,
            rows=_bits_rows,
            summarize=_summary,
            methods=("rrr",),
            default_methods=("rrr",),
        )
    ),
}
