"""Baselines for maximum clique and minimum vertex cover: CP-SAT and greedy.

Objectives are recomputed from the returned 0/1 masks by :func:`clique_value`
and :func:`cover_value`, never taken from the solver's report.

>>> from dnnsolve.graph import Graph
>>> g = Graph.from_edges(4, [(0, 1), (1, 2), (0, 2), (2, 3)])
>>> cpsat_clique(g, time_limit=5).objective, cpsat_vertex_cover(g, time_limit=5).objective
(3.0, 2.0)
"""

from __future__ import annotations

import time

import numpy as np
from ortools.sat.python import cp_model

from ..graph import Graph
from .common import BaselineResult, csr_adjacency, integer_scale
from .cpsat import solve_binary
from .greedy import greedy_mis

#: CP-SAT clique models list every non-edge; refuse graphs with more than this many
CLIQUE_MAX_NON_EDGES = 3_000_000


def _weights(graph: Graph) -> np.ndarray:
    return np.ones(graph.n) if graph.node_weight is None else graph.node_weight


def clique_value(graph: Graph, mask: np.ndarray) -> tuple[float, bool]:
    """``(weight, is it a clique?)``: every selected vertex has all others as neighbours.

    >>> g = Graph.from_edges(3, [(0, 1), (1, 2)])
    >>> clique_value(g, np.array([1, 1, 0])), clique_value(g, np.array([1, 0, 1]))
    ((2.0, True), (2.0, False))
    """
    x = np.asarray(mask).astype(bool).reshape(-1)
    if x.shape != (graph.n,):
        raise ValueError(f"solution has length {x.size}, graph has {graph.n} vertices")
    idx = np.flatnonzero(x)
    sub = csr_adjacency(graph, weighted=False)[idx][:, idx]
    sub.data[:] = 1.0  # merged duplicates count once
    deg_in = np.asarray(sub.sum(axis=1)).reshape(-1)
    return float(_weights(graph)[x].sum()), bool(np.all(deg_in == len(idx) - 1))


def cover_value(graph: Graph, mask: np.ndarray) -> tuple[float, bool]:
    """``(weight, is it a vertex cover?)``: every edge has an endpoint selected.

    >>> g = Graph.from_edges(3, [(0, 1), (1, 2)])
    >>> cover_value(g, np.array([0, 1, 0])), cover_value(g, np.array([1, 0, 0]))
    ((1.0, True), (1.0, False))
    """
    x = np.asarray(mask).astype(bool).reshape(-1)
    if x.shape != (graph.n,):
        raise ValueError(f"solution has length {x.size}, graph has {graph.n} vertices")
    ok = all(x[u] or x[v] for u, v in zip(graph.src.tolist(), graph.dst.tolist()))
    return float(_weights(graph)[x].sum()), ok


def greedy_clique(graph: Graph, starts: int = 32) -> BaselineResult:
    """Best of ``starts`` greedy cliques, one from each of the highest-degree vertices.

    From a start vertex the candidates are its neighbours; repeatedly the
    candidate with the largest weight × (1 + candidates adjacent to it) joins
    and the candidates shrink to its neighbours.

    >>> g = Graph.from_edges(5, [(0, 1), (1, 2), (0, 2), (2, 3), (3, 4)])
    >>> greedy_clique(g).solution.tolist()
    [1, 1, 1, 0, 0]
    """
    t0 = time.perf_counter()
    n = graph.n
    adj = csr_adjacency(graph, weighted=False)
    adj.data[:] = 1.0
    w = _weights(graph)
    deg = np.diff(adj.indptr)
    best = np.zeros(n, dtype=np.int8)
    best_w = -1.0
    for s in np.argsort(-(w * (deg + 1)), kind="stable")[: max(starts, 1)].tolist():
        if w[s] <= 0 and n:
            continue
        chosen = [s]
        cand = adj.indices[adj.indptr[s] : adj.indptr[s + 1]]
        cand = cand[w[cand] > 0]
        while len(cand):
            sub = adj[cand][:, cand]
            score = w[cand] * (1.0 + np.asarray(sub.sum(axis=1)).reshape(-1))
            i = int(np.argmax(score))
            v = int(cand[i])
            chosen.append(v)
            cand = cand[sub[i].toarray().reshape(-1) > 0]
        tot = float(w[chosen].sum())
        if tot > best_w:
            best_w = tot
            best = np.zeros(n, dtype=np.int8)
            best[chosen] = 1
    obj, feasible = clique_value(graph, best)
    return BaselineResult(
        name="greedy",
        objective=obj,
        solution=best,
        time_s=time.perf_counter() - t0,
        feasible=feasible,
        status="heuristic",
    )


def greedy_vertex_cover(graph: Graph) -> BaselineResult:
    """Complement of the min-degree greedy independent set (a minimal cover).

    >>> g = Graph.from_edges(5, [(0, 1), (0, 2), (0, 3), (0, 4)])
    >>> greedy_vertex_cover(g).solution.tolist()
    [1, 0, 0, 0, 0]
    """
    t0 = time.perf_counter()
    sol = (1 - greedy_mis(graph).solution).astype(np.int8)
    obj, feasible = cover_value(graph, sol)
    return BaselineResult(
        name="greedy",
        objective=obj,
        solution=sol,
        time_s=time.perf_counter() - t0,
        feasible=feasible,
        status="heuristic",
    )


def _non_edges(graph: Graph) -> tuple[np.ndarray, np.ndarray]:
    from ..graph import complement_graph

    comp = complement_graph(graph, max_edges=CLIQUE_MAX_NON_EDGES)
    return comp.src, comp.dst


def cpsat_clique(
    graph: Graph, time_limit: float, workers: int = 2, seed: int = 0, hint: bool = True
) -> BaselineResult:
    """Maximum (weighted) clique with CP-SAT: x_u + x_v ≤ 1 for every non-edge.

    Three greedy colourings of G add at-most-one constraints over their colour
    classes (independent sets of G), which tighten the relaxation a lot on
    dense graphs.

    Raises ValueError when the graph has more than :data:`CLIQUE_MAX_NON_EDGES`
    non-edges. With ``hint`` the greedy clique is given as a solution hint.

    >>> g = Graph.from_edges(5, [(0, 1), (1, 2), (0, 2), (2, 3), (3, 4)])
    >>> r = cpsat_clique(g, time_limit=5)
    >>> r.objective, r.optimal
    (3.0, True)
    """
    t0 = time.perf_counter()
    src, dst = _non_edges(graph)
    model = cp_model.CpModel()
    x = [model.NewBoolVar(f"x{v}") for v in range(graph.n)]
    for u, v in zip(src.tolist(), dst.tolist()):
        model.AddBoolOr([x[u].Not(), x[v].Not()])
    if graph.n:
        # a colour class of G is an independent set: it holds at most one clique vertex
        import networkx as nx

        gx = graph.to_networkx()
        for strategy in ("largest_first", "smallest_last", "DSATUR"):
            classes: dict[int, list[int]] = {}
            for v, c in nx.coloring.greedy_color(gx, strategy=strategy).items():
                classes.setdefault(c, []).append(v)
            for members in classes.values():
                if len(members) > 1:
                    model.AddAtMostOne([x[v] for v in members])
    coef, scale = integer_scale(_weights(graph))
    model.Maximize(sum(int(c) * xv for c, xv in zip(coef.tolist(), x) if c != 0))
    if hint and graph.n:
        for xv, val in zip(x, greedy_clique(graph).solution.tolist()):
            model.AddHint(xv, int(val))
    return solve_binary(
        model,
        x,
        lambda sol: clique_value(graph, sol),
        time_limit=time_limit,
        workers=workers,
        seed=seed,
        scale=scale,
        fallback=np.zeros(graph.n, dtype=np.int8),  # the empty clique
        t0=t0,
    )


def cpsat_vertex_cover(
    graph: Graph, time_limit: float, workers: int = 2, seed: int = 0, hint: bool = True
) -> BaselineResult:
    """Minimum (weighted) vertex cover with CP-SAT: x_u + x_v ≥ 1 for every edge.

    >>> g = Graph.from_edges(4, [(0, 1), (1, 2), (2, 3)])
    >>> r = cpsat_vertex_cover(g, time_limit=5)
    >>> r.objective, r.feasible, r.optimal
    (2.0, True, True)
    """
    t0 = time.perf_counter()
    model = cp_model.CpModel()
    x = [model.NewBoolVar(f"x{v}") for v in range(graph.n)]
    for u, v in zip(graph.src.tolist(), graph.dst.tolist()):
        model.AddBoolOr([x[u], x[v]])
    coef, scale = integer_scale(_weights(graph))
    model.Minimize(sum(int(c) * xv for c, xv in zip(coef.tolist(), x) if c != 0))
    if hint and graph.n:
        for xv, val in zip(x, greedy_vertex_cover(graph).solution.tolist()):
            model.AddHint(xv, int(val))
    return solve_binary(
        model,
        x,
        lambda sol: cover_value(graph, sol),
        time_limit=time_limit,
        workers=workers,
        seed=seed,
        scale=scale,
        fallback=np.ones(graph.n, dtype=np.int8),  # every vertex
        t0=t0,
    )
