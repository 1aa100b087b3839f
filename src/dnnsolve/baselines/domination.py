"""Baselines for the dominating-set family: exact CP-SAT models and a sequential greedy.

The CP-SAT models are written from the definitions on neighbour sets (not from
the incidence matrices the neural methods use); every objective is recomputed
by :mod:`dnnsolve.problems.domination_check`.

>>> from dnnsolve.graph import Graph
>>> path = Graph.from_edges(5, [(0, 1), (1, 2), (2, 3), (3, 4)])
>>> r = cpsat_domination("domset", path, time_limit=5)
>>> r.objective, r.optimal, r.feasible
(2.0, True, True)
>>> greedy_domination("domset", path).objective
2.0
"""

from __future__ import annotations

import time

import numpy as np
from ortools.sat.python import cp_model

from ..graph import Graph
from ..problems.domination_check import CHECKS, check_k_coloring
from .common import BaselineResult
from .cpsat import CPSAT_STATUS, solve_binary, solve_model

#: problems with a CP-SAT model here
CPSAT_PROBLEMS = (
    "domset",
    "total-domset",
    "disjunctive-domset",
    "liars-domset",
    "ve-domset",
    "dissociation",
)


def _nbrs(graph: Graph) -> list[set[int]]:
    nb: list[set[int]] = [set() for _ in range(graph.n)]
    for u, v in zip(graph.src.tolist(), graph.dst.tolist()):
        nb[u].add(v)
        nb[v].add(u)
    return nb


def cpsat_domination(
    problem: str, graph: Graph, time_limit: float, workers: int = 2, seed: int = 0
) -> BaselineResult:
    """Exact model of ``problem`` (one of :data:`CPSAT_PROBLEMS`) with CP-SAT.

    Liar's domination adds the pair constraints only for pairs at distance ≤ 2
    (farther pairs have disjoint closed neighbourhoods, so ≥ 4 follows from
    |N[v] ∩ D| ≥ 2); disjunctive domination uses a reified literal per vertex.
    """
    if problem not in CPSAT_PROBLEMS:
        raise ValueError(f"no CP-SAT model for {problem!r}; choose from {CPSAT_PROBLEMS}")
    t0 = time.perf_counter()
    n = graph.n
    nb = _nbrs(graph)
    closed = [nb[v] | {v} for v in range(n)]
    model = cp_model.CpModel()
    x = [model.NewBoolVar(f"x{v}") for v in range(n)]

    def total(vs) -> cp_model.LinearExpr:
        return sum(x[u] for u in vs)

    if problem == "domset":
        for v in range(n):
            model.AddBoolOr([x[u] for u in closed[v]])
    elif problem == "total-domset":
        for v in range(n):
            model.AddBoolOr([x[u] for u in nb[v]])  # empty for isolated v: infeasible
    elif problem == "disjunctive-domset":
        for v in range(n):
            two = set().union(*(nb[u] for u in nb[v])) - closed[v] if nb[v] else set()
            near = model.NewBoolVar("")
            model.AddBoolOr([x[u] for u in closed[v]]).OnlyEnforceIf(near)
            model.Add(total(two) >= 2).OnlyEnforceIf(near.Not())
    elif problem == "liars-domset":
        for v in range(n):
            model.Add(total(closed[v]) >= 2)
        for u in range(n):
            ball2 = set().union(*(closed[w] for w in closed[u]))
            for v in ball2:
                if v > u:
                    model.Add(total(closed[u] | closed[v]) >= 3)
    elif problem == "ve-domset":
        for u, w in zip(graph.src.tolist(), graph.dst.tolist()):
            model.AddBoolOr([x[a] for a in closed[u] | closed[w]])
    else:  # dissociation: a chosen vertex has at most one chosen neighbour
        for v in range(n):
            if len(nb[v]) >= 2:
                model.Add(total(nb[v]) <= 1).OnlyEnforceIf(x[v])
    if problem == "dissociation":
        model.Maximize(total(range(n)))
    else:
        model.Minimize(total(range(n)))
    return solve_binary(
        model,
        x,
        lambda sol: CHECKS[problem](graph, sol),
        time_limit=time_limit,
        workers=workers,
        seed=seed,
        t0=t0,
    )


def cpsat_k_coloring(
    graph: Graph, k: int, time_limit: float, workers: int = 2, seed: int = 0
) -> BaselineResult:
    """Is the graph k-colourable? ``status`` is ``optimal`` (yes, colouring found) or ``infeasible``.

    >>> from dnnsolve.graph import Graph
    >>> k4 = Graph.from_edges(4, [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)])
    >>> cpsat_k_coloring(k4, 3, 5).status, cpsat_k_coloring(k4, 4, 5).objective
    ('infeasible', 0.0)
    """
    t0 = time.perf_counter()
    model = cp_model.CpModel()
    c = [model.NewIntVar(0, k - 1, f"c{v}") for v in range(graph.n)]
    for u, v in zip(graph.src.tolist(), graph.dst.tolist()):
        model.Add(c[u] != c[v])
    solver, status = solve_model(model, time_limit, workers, seed)
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    sol = np.array([solver.Value(v) for v in c] if found else [0] * graph.n, dtype=np.int64)
    bad, valid = check_k_coloring(graph, sol, k)
    return BaselineResult(
        name="cpsat",
        objective=bad,
        solution=sol,
        optimal=found and bad == 0,
        time_s=time.perf_counter() - t0,
        feasible=found and valid,
        status=CPSAT_STATUS.get(status, str(status)),
    )


def greedy_domination(problem: str, graph: Graph) -> BaselineResult:
    """Sequential greedy on the problem's covering rows, then removal of redundant vertices.

    Repeatedly add the vertex that reduces the most row deficits (ties: lowest
    index), then drop chosen vertices (highest index first) whose removal
    keeps every row satisfied. For dissociation the cover is the complement.
    """
    from ..problems.domination import KINDS, covering_matrices

    if problem not in KINDS or KINDS[problem].connected:
        raise ValueError(f"no greedy baseline for {problem!r}")
    t0 = time.perf_counter()
    mats, need = covering_matrices(problem, graph)
    mats = [m.tocsr() for m in mats]
    mats_t = [m.T.tocsr() for m in mats]
    n = graph.n
    y = np.zeros(n, dtype=bool)
    counts = [np.zeros(m.shape[0]) for m in mats]

    def unsat() -> np.ndarray:
        bad = counts[0] < need[0]
        for c, r in zip(counts[1:], need[1:]):
            bad &= c < r
        return bad

    for _ in range(n):
        bad = unsat()
        if not bad.any():
            break
        gain = np.zeros(n)
        for _m, mt, c, r in zip(mats, mats_t, counts, need):
            gain += mt @ np.where(bad, 1.0 / np.maximum(r - c, 1.0), 0.0)
        gain[y] = -1.0
        v = int(np.argmax(gain))
        if gain[v] <= 0:
            break
        y[v] = True
        for _m, mt, c in zip(mats, mats_t, counts):
            c[mt.indices[mt.indptr[v] : mt.indptr[v + 1]]] += 1
    for v in np.flatnonzero(y)[::-1]:
        for mt, c in zip(mats_t, counts):
            c[mt.indices[mt.indptr[v] : mt.indptr[v + 1]]] -= 1
        if unsat().any():
            for mt, c in zip(mats_t, counts):
                c[mt.indices[mt.indptr[v] : mt.indptr[v + 1]]] += 1
        else:
            y[v] = False
    sol = (~y if KINDS[problem].complement else y).astype(np.int8)
    obj, feasible = CHECKS[problem](graph, sol)
    return BaselineResult(
        name="greedy",
        objective=obj,
        solution=sol,
        time_s=time.perf_counter() - t0,
        feasible=feasible,
    )
