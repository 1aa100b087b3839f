"""Baselines for hypergraph MaxCut: simulated annealing and an exact CP-SAT model.

Both recompute their objective with :func:`hypercut_value` (pure NumPy, shares
no code with :mod:`dnnsolve.search.hypermaxcut`).
"""

from __future__ import annotations

import time

import numpy as np
from ortools.sat.python import cp_model

from ..hypergraph import Hypergraph
from .common import BaselineResult, integer_scale
from .cpsat import solve_binary


def hypercut_value(hg: Hypergraph, side: np.ndarray) -> float:
    """Total weight of the hyperedges with members on both sides of ``side`` (0/1 per vertex).

    >>> h = Hypergraph.from_edges(4, [(0, 1, 2), (2, 3), (0, 3)])
    >>> hypercut_value(h, np.array([1, 1, 1, 0]))
    2.0
    """
    s = np.asarray(side).astype(np.int64).reshape(-1)
    if s.shape != (hg.n,):
        raise ValueError(f"solution has length {s.size}, hypergraph has {hg.n} vertices")
    if hg.m == 0:
        return 0.0
    vals = s[hg.edge_vertices]
    starts = hg.edge_ptr[:-1]
    lo = np.minimum.reduceat(vals, starts)
    hi = np.maximum.reduceat(vals, starts)
    return float(hg.weight[lo != hi].sum())


def sa_hypermaxcut(
    hg: Hypergraph,
    time_limit: float | None = None,
    sweeps: int = 300,
    seed: int = 0,
    t_start: float = 1.0,
    t_end: float = 0.02,
) -> BaselineResult:
    """Simulated annealing with single-vertex Metropolis flips and exact incremental gains
    (the compiled kernel of :func:`dnnsolve.search.anneal.anneal_hypercut`).

    Random start; each sweep visits the vertices in a random order; the temperature falls
    geometrically from ``t_start`` to ``t_end`` (times the mean |weight|) over ``sweeps``
    sweeps, or, with a ``time_limit``, over one read sized to fill it. Returns the best
    partition seen, its cut recomputed by :func:`hypercut_value`.

    >>> h = Hypergraph.from_edges(4, [(0, 1), (1, 2), (2, 3), (0, 3), (0, 1, 2)])
    >>> sa_hypermaxcut(h, sweeps=50).objective
    5.0
    """
    from ..search.anneal import anneal_hypercut

    t0 = time.perf_counter()
    scale = float(np.mean(np.abs(hg.weight))) if hg.m else 1.0
    betas = (1.0 / (t_start * scale or 1.0), 1.0 / (t_end * scale or 1.0))
    if time_limit is None:
        sides, cuts = anneal_hypercut(hg, reads=1, sweeps=max(int(sweeps), 1), seed=seed,
                                      betas=betas)  # fmt: skip
    else:
        sides, cuts = anneal_hypercut(hg, time_limit=time_limit, seed=seed, betas=betas)
    side = sides[int(np.argmax(cuts))].astype(np.int8) if len(cuts) else np.zeros(hg.n, np.int8)
    return BaselineResult(
        name="sa",
        objective=hypercut_value(hg, side),
        solution=side,
        time_s=time.perf_counter() - t0,
        status="heuristic",
        extra={"reads": len(cuts)},
    )


def cpsat_hypermaxcut(
    hg: Hypergraph, time_limit: float = 10.0, workers: int = 2, seed: int = 0
) -> BaselineResult:
    """Exact hypergraph MaxCut with CP-SAT (small instances): y_e = [e is cut].

    For w_e > 0: y_e ≤ Σ_{i∈e} x_i and y_e ≤ Σ_{i∈e} (1 − x_i); for w_e < 0:
    y_e ≥ |x_i − x_first| for every member i. Vertex 0 is fixed to side 0.

    >>> h = Hypergraph.from_edges(3, [(0, 1, 2), (0, 1), (1, 2), (0, 2)])
    >>> r = cpsat_hypermaxcut(h)
    >>> r.objective, r.optimal
    (3.0, True)
    """
    t0 = time.perf_counter()
    model = cp_model.CpModel()
    x = [model.NewBoolVar(f"x{v}") for v in range(hg.n)]
    coef, scale = integer_scale(hg.weight)
    terms = []
    for e in range(hg.m):
        c = int(coef[e])
        mem = hg.edge(e).tolist()
        if c == 0 or len(mem) < 2:
            continue
        y = model.NewBoolVar("")
        if c > 0:
            model.Add(y <= sum(x[i] for i in mem))
            model.Add(y <= sum(1 - x[i] for i in mem))
        else:
            f = mem[0]
            for i in mem[1:]:
                model.Add(y >= x[i] - x[f])
                model.Add(y >= x[f] - x[i])
        terms.append(c * y)
    if hg.n:
        model.Add(x[0] == 0)
    model.Maximize(sum(terms))
    return solve_binary(
        model,
        x,
        lambda side: (hypercut_value(hg, side), True),
        time_limit=time_limit,
        workers=workers,
        seed=seed,
        scale=scale,
        fallback=np.zeros(hg.n, dtype=np.int8),  # every side vector is a cut
        t0=t0,
    )
