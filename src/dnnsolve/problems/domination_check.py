"""Independent NumPy checks of the dominating-set family, written from the definitions.

These functions share no code with the torch evaluators of
:mod:`dnnsolve.problems.domination` (which count through covering
incidence matrices); they work from neighbour sets of the
:class:`~dnnsolve.graph.Graph` edge list. Each returns ``(objective, feasible)``
for a 0/1 vertex mask (a colour vector for :func:`check_k_coloring`).

>>> from dnnsolve.graph import Graph
>>> path = Graph.from_edges(4, [(0, 1), (1, 2), (2, 3)])
>>> check_domset(path, [0, 1, 1, 0]), check_domset(path, [1, 0, 0, 0])
((2.0, True), (1.0, False))
"""

from __future__ import annotations

from collections import deque

import numpy as np
import scipy.sparse as sp

from ..graph import Graph


def _mask(graph: Graph, solution) -> np.ndarray | None:
    s = np.asarray(solution).reshape(-1)
    if s.shape != (graph.n,):
        return None
    return s.astype(bool)


def _neighbours(graph: Graph) -> list[set[int]]:
    nb: list[set[int]] = [set() for _ in range(graph.n)]
    for u, v in zip(graph.src.tolist(), graph.dst.tolist()):
        nb[u].add(v)
        nb[v].add(u)
    return nb


def check_domset(graph: Graph, solution) -> tuple[float, bool]:
    """Every vertex is in D or has a neighbour in D; objective |D|."""
    d = _mask(graph, solution)
    if d is None:
        return float("nan"), False
    nb = _neighbours(graph)
    ok = all(d[v] or any(d[u] for u in nb[v]) for v in range(graph.n))
    return float(d.sum()), ok


def check_total_domset(graph: Graph, solution) -> tuple[float, bool]:
    """Every vertex (in D or not) has a neighbour in D; objective |D|.

    >>> g = Graph.from_edges(3, [(0, 1), (1, 2)])
    >>> check_total_domset(g, [0, 1, 0]), check_total_domset(g, [1, 1, 0])
    ((1.0, False), (2.0, True))
    """
    d = _mask(graph, solution)
    if d is None:
        return float("nan"), False
    nb = _neighbours(graph)
    ok = all(any(d[u] for u in nb[v]) for v in range(graph.n))
    return float(d.sum()), ok


def _components_connected(nb: list[set[int]], d: np.ndarray) -> bool:
    members = np.flatnonzero(d).tolist()
    if not members:
        return False
    seen = {members[0]}
    queue = deque([members[0]])
    while queue:
        v = queue.popleft()
        for u in nb[v]:
            if d[u] and u not in seen:
                seen.add(u)
                queue.append(u)
    return len(seen) == len(members)


def check_connected_domset(graph: Graph, solution) -> tuple[float, bool]:
    """D is dominating and induces a connected subgraph (non-empty); objective |D|.

    On a graph with no vertices the empty set is the answer (as NetworkX's
    ``connected_dominating_set`` returns): nothing to dominate, nothing to connect.

    >>> g = Graph.from_edges(5, [(0, 1), (1, 2), (2, 3), (3, 4)])
    >>> check_connected_domset(g, [0, 1, 0, 1, 0]), check_connected_domset(g, [0, 1, 1, 1, 0])
    ((2.0, False), (3.0, True))
    >>> check_connected_domset(Graph.from_edges(0, []), [])
    (0.0, True)
    """
    size, ok = check_domset(graph, solution)
    if not ok or graph.n == 0:
        return size, ok
    d = _mask(graph, solution)
    assert d is not None
    return size, _components_connected(_neighbours(graph), d)


def _distance_two(nb: list[set[int]], v: int) -> set[int]:
    """Vertices at distance exactly 2 from ``v``."""
    out: set[int] = set()
    for u in nb[v]:
        out |= nb[u]
    return out - nb[v] - {v}


def check_disjunctive_domset(graph: Graph, solution) -> tuple[float, bool]:
    """Every v ∉ D has a neighbour in D or at least two vertices of D at distance 2.

    >>> g = Graph.from_edges(5, [(0, 1), (1, 2), (2, 3), (3, 4)])
    >>> check_disjunctive_domset(g, [1, 0, 0, 0, 1]), check_disjunctive_domset(g, [1, 0, 0, 0, 0])
    ((2.0, True), (1.0, False))
    """
    d = _mask(graph, solution)
    if d is None:
        return float("nan"), False
    nb = _neighbours(graph)
    for v in range(graph.n):
        if d[v] or any(d[u] for u in nb[v]):
            continue
        if sum(bool(d[u]) for u in _distance_two(nb, v)) < 2:
            return float(d.sum()), False
    return float(d.sum()), True


def check_liars_domset(graph: Graph, solution) -> tuple[float, bool]:
    """|N[v] ∩ D| ≥ 2 for every v and |(N[u] ∪ N[v]) ∩ D| ≥ 3 for every pair u ≠ v.

    The pair condition uses |(N[u] ∪ N[v]) ∩ D| = c_u + c_v − |N[u] ∩ N[v] ∩ D|
    with c_v = |N[v] ∩ D|: when the first condition holds, pairs whose closed
    neighbourhoods share no vertex of D have at least 4, so only the pairs of
    the sparse product (N·D)(N·D)ᵀ need checking (N the closed-neighbourhood
    matrix) — all pairs are covered without enumerating n² of them.

    >>> k4 = Graph.from_edges(4, [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)])
    >>> check_liars_domset(k4, [1, 1, 1, 0]), check_liars_domset(k4, [1, 1, 0, 0])
    ((3.0, True), (2.0, False))
    """
    d = _mask(graph, solution)
    if d is None:
        return float("nan"), False
    n = graph.n
    rows = np.concatenate([graph.src, graph.dst, np.arange(n)])
    cols = np.concatenate([graph.dst, graph.src, np.arange(n)])
    closed = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    nd = closed @ sp.diags(d.astype(np.float64))
    c = np.asarray(nd.sum(axis=1)).reshape(-1)
    if n and c.min() < 2:
        return float(d.sum()), False
    common = sp.triu(nd @ nd.T, k=1).tocoo()
    union = c[common.row] + c[common.col] - common.data
    ok = not bool(np.any(union < 3 - 1e-9))
    return float(d.sum()), ok


def check_ve_domset(graph: Graph, solution) -> tuple[float, bool]:
    """Every edge (u, w) has a vertex of D in N[u] ∪ N[w]; objective |D|.

    >>> g = Graph.from_edges(6, [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)])
    >>> check_ve_domset(g, [0, 0, 1, 0, 0, 0]), check_ve_domset(g, [0, 0, 1, 1, 0, 0])
    ((1.0, False), (2.0, True))
    """
    d = _mask(graph, solution)
    if d is None:
        return float("nan"), False
    nb = _neighbours(graph)
    for u, w in zip(graph.src.tolist(), graph.dst.tolist()):
        ball = nb[u] | nb[w] | {u, w}
        if not any(d[x] for x in ball):
            return float(d.sum()), False
    return float(d.sum()), True


def check_dissociation(graph: Graph, solution) -> tuple[float, bool]:
    """S induces a subgraph of maximum degree ≤ 1; objective |S| (maximized).

    >>> g = Graph.from_edges(4, [(0, 1), (1, 2), (2, 3)])
    >>> check_dissociation(g, [1, 1, 0, 1]), check_dissociation(g, [1, 1, 1, 0])
    ((3.0, True), (3.0, False))
    """
    s = _mask(graph, solution)
    if s is None:
        return float("nan"), False
    nb = _neighbours(graph)
    ok = all(sum(bool(s[u]) for u in nb[v]) <= 1 for v in range(graph.n) if s[v])
    return float(s.sum()), ok


def check_k_coloring(graph: Graph, solution, k: int) -> tuple[float, bool]:
    """Number of edges with equally coloured ends (minimized; 0 = proper colouring).

    Feasible when every colour is an integer in [0, k).

    >>> tri = Graph.from_edges(3, [(0, 1), (1, 2), (0, 2)])
    >>> check_k_coloring(tri, [0, 1, 2], 3), check_k_coloring(tri, [0, 1, 0], 3)
    ((0.0, True), (1.0, True))
    """
    c = np.asarray(solution).reshape(-1)
    if c.shape != (graph.n,):
        return float("nan"), False
    valid = bool(np.all((c >= 0) & (c < k) & (c == np.round(c))))
    bad = sum(1 for u, v in zip(graph.src.tolist(), graph.dst.tolist()) if c[u] == c[v])
    return float(bad), valid


CHECKS = {
    "domset": check_domset,
    "total-domset": check_total_domset,
    "connected-domset": check_connected_domset,
    "disjunctive-domset": check_disjunctive_domset,
    "liars-domset": check_liars_domset,
    "ve-domset": check_ve_domset,
    "dissociation": check_dissociation,
}
