"""Greedy baselines in NumPy / plain Python, O(m log n), no dense matrices.

* :func:`greedy_mis`: dynamic min-degree greedy, weight aware — repeatedly take
  the vertex with the largest ``w_v / (d_v + 1)`` in the remaining graph (d_v the
  remaining degree), delete it and its neighbours (the compiled
  :func:`~dnnsolve.search.mis_greedy.greedy_fill`; plain Python without numba).
* :func:`greedy_maxcut`: sequential greedy placement (each vertex joins the side
  that cuts more of its already placed neighbours' weight) followed by a 1-flip
  local search done in parallel rounds of non-adjacent improving flips.
"""

from __future__ import annotations

import heapq
import time

import numpy as np

from ..graph import Graph
from ..search import mis_greedy
from .common import BaselineResult, csr_adjacency, maxcut_value, mis_value


def _neighbor_arrays(graph: Graph) -> tuple[np.ndarray, np.ndarray]:
    """CSR ``(indptr, indices)`` of the symmetric adjacency, int64."""
    rows = np.concatenate([graph.src, graph.dst])
    cols = np.concatenate([graph.dst, graph.src])
    order = np.argsort(rows, kind="stable")
    indptr = np.zeros(graph.n + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(np.bincount(rows, minlength=graph.n))
    return indptr, cols[order].astype(np.int64)


def _greedy_mis_python(graph: Graph, weight: np.ndarray) -> list[int]:
    """:func:`greedy_mis` in plain Python (when numba is missing); the same choices."""
    n = graph.n
    ip, nb = _neighbor_arrays(graph)
    indptr, nbrs, w = ip.tolist(), nb.tolist(), weight.tolist()
    deg = [indptr[v + 1] - indptr[v] for v in range(n)]
    alive = [True] * n
    chosen = [0] * n
    # lazy max-heap of (-priority, vertex, degree when pushed); stale entries are skipped
    heap = [(-w[v] / (deg[v] + 1), v, deg[v]) for v in range(n) if w[v] > 0]
    heapq.heapify(heap)
    while heap:
        _, v, d = heapq.heappop(heap)
        if not alive[v] or d != deg[v]:
            continue
        chosen[v] = 1
        alive[v] = False
        for i in range(indptr[v], indptr[v + 1]):
            u = nbrs[i]
            if not alive[u]:
                continue
            alive[u] = False
            for j in range(indptr[u], indptr[u + 1]):
                t = nbrs[j]
                if alive[t]:
                    deg[t] -= 1
                    heapq.heappush(heap, (-w[t] / (deg[t] + 1), t, deg[t]))
    return chosen


def greedy_mis(graph: Graph) -> BaselineResult:
    """Dynamic min-degree greedy independent set (vertex weights aware).

    >>> g = Graph.from_edges(5, [(0, 1), (0, 2), (0, 3), (0, 4)])
    >>> r = greedy_mis(g)
    >>> r.objective, r.solution.tolist()
    (4.0, [0, 1, 1, 1, 1])
    """
    t0 = time.perf_counter()
    n = graph.n
    w = graph.node_weight if graph.node_weight is not None else np.ones(n)
    if mis_greedy.available():
        indptr, nbrs = _neighbor_arrays(graph)
        chosen = mis_greedy.greedy_fill(indptr, nbrs, w, np.zeros((1, n), dtype=bool))[0]
    else:
        chosen = _greedy_mis_python(graph, w)
    sol = np.asarray(chosen, dtype=np.int8)
    obj, feasible = mis_value(graph, sol)
    return BaselineResult(
        name="greedy",
        objective=obj,
        solution=sol,
        time_s=time.perf_counter() - t0,
        feasible=feasible,
        status="heuristic",
    )


def one_flip_local_search(
    graph: Graph, side: np.ndarray, max_rounds: int = 100_000, time_limit: float | None = None
) -> tuple[np.ndarray, int]:
    """Improve a 0/1 cut until no single vertex flip increases it.

    Flipping v changes the cut by g_v = s_v (A s)_v (spins s = ±1). Each round
    flips every improving vertex whose (gain, index) beats all its improving
    neighbours: those vertices are pairwise non-adjacent, so their gains add up
    and the cut grows strictly. Returns ``(side, rounds)``.
    """
    adj = csr_adjacency(graph)
    s = np.where(np.asarray(side).astype(bool), 1.0, -1.0)
    h = adj @ s
    src, dst = graph.src, graph.dst
    idx = np.arange(graph.n)
    t0 = time.perf_counter()
    rounds = 0
    while rounds < max_rounds:
        gain = s * h
        cand = gain > 1e-9
        if not cand.any():
            break
        both = cand[src] & cand[dst]
        a, b = src[both], dst[both]
        # the endpoint with the smaller (gain, index) loses
        a_wins = (gain[a] > gain[b]) | ((gain[a] == gain[b]) & (idx[a] > idx[b]))
        lost = np.zeros(graph.n, dtype=bool)
        lost[np.where(a_wins, b, a)] = True
        flip = cand & ~lost
        delta = np.zeros(graph.n)
        delta[flip] = -2.0 * s[flip]
        s[flip] = -s[flip]
        h += adj @ delta
        rounds += 1
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            break
    return (s > 0).astype(np.int8), rounds


def greedy_maxcut(graph: Graph, local_search: bool = True) -> BaselineResult:
    """Greedy MaxCut: vertices by decreasing weighted degree, each placed on the
    side cutting more already-placed weight, then 1-flip local search.

    >>> g = Graph.from_edges(4, [(0, 1), (1, 2), (2, 3), (3, 0)])
    >>> greedy_maxcut(g).objective
    4.0
    """
    t0 = time.perf_counter()
    n = graph.n
    ip, nb = _neighbor_arrays(graph)
    indptr, nbrs = ip.tolist(), nb.tolist()
    # weights in the same CSR order as nbrs
    rows = np.concatenate([graph.src, graph.dst])
    wts = np.concatenate([graph.weight, graph.weight])[np.argsort(rows, kind="stable")].tolist()
    wdeg = np.zeros(n)
    np.add.at(wdeg, graph.src, np.abs(graph.weight))
    np.add.at(wdeg, graph.dst, np.abs(graph.weight))
    spin = [0.0] * n  # 0 = not placed yet
    for v in np.argsort(-wdeg, kind="stable").tolist():
        field = 0.0
        for i in range(indptr[v], indptr[v + 1]):
            field += wts[i] * spin[nbrs[i]]
        # the cut gains w_uv for each neighbour on the other side: take s_v = −sign(field)
        spin[v] = -1.0 if field > 0 else 1.0
    side = (np.array(spin) > 0).astype(np.int8)
    rounds = 0
    if local_search:
        side, rounds = one_flip_local_search(graph, side)
    return BaselineResult(
        name="greedy",
        objective=maxcut_value(graph, side),
        solution=side,
        time_s=time.perf_counter() - t0,
        feasible=True,
        status="heuristic",
        extra={"local_search_rounds": rounds},
    )
