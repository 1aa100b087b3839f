"""Certified bounds of the set families: MIS, clique, vertex cover, colouring, k-colouring.

Every bound here is a covering or packing argument on the (vertex-weighted) graph, with the
sets themselves as the certificate, written in the input's vertex ids:

* **MIS** (upper bound, ``clique-cover`` / ``fractional-clique-cover``): cliques C with
  weights y_C ≥ 0 such that Σ_{C ∋ v} y_C ≥ w_v for every vertex; an independent set meets a
  clique at most once, so α_w ≤ Σ y_C. Without listed weights y_C = max_{v ∈ C} w_v (a plain
  clique cover). First a greedy clique partition (heaviest, then lowest-degree vertices
  first; a clique grows by the candidate with the most candidate neighbours), then, when
  time allows and the partition does not meet the answer already, the covering LP
  min Σ y_C over the partition, a greedy maximal clique through every vertex and the edges
  in none of them (HiGHS; the dual of max Σ w x s.t. Σ_{v ∈ C} x_v ≤ 1). On the MIS graph of
  a satisfiable CNF the partition is the clause cliques: the bound is the number of clauses,
  the optimum.
* **clique** (upper bound, ``coloring`` / ``fractional-coloring``): the same with
  independent sets (a proper colouring's classes): a clique meets each class at most once,
  so ω_w ≤ Σ_S y_S, by default y_S = the class's heaviest weight. Smallest-last, DSatur and
  (weighted) heaviest-first greedy colourings, the best kept; then the LP over their classes
  grown to maximal independent sets when time allows.
* **vertex cover** (lower bound): an edge packing (``edge-packing``: y_e ≥ 0 with
  Σ_{e ∋ v} y_e ≤ w_v; a cover pays for every edge once: τ_w ≥ Σ y_e; greedy, then the LP)
  or the MIS bound's clique cover (``clique-cover``: τ_w = Σw − α_w ≥ Σw − Σ y_C), the
  larger. (With both LPs solved the clique cover never loses: its LP has the edges' columns
  and more; the packing is the fallback when that LP does not fit in the time.)
* **colouring** (lower bound, ``clique``): a clique K needs |K| colours: χ ≥ |K|. Greedy
  cliques from every vertex, then a plateau walk while time is left and the clique falls
  short of the answer.
* **k-colouring** (lower bound on the conflicting edges, ``clique-packing``): edge-disjoint
  cliques C_i; k colours on s vertices leave at least t(s, k) = Σ_j C(s_j, 2) monochromatic
  pairs (s_j the balanced class sizes), so conflicts ≥ Σ_i t(|C_i|, k). A proper colouring
  is met by the empty packing (bound 0).

Values: a certificate's sums are taken as they are; where floating point leaves a covering
constraint short by rounding (an LP's answer, repaired first), the value is scaled by
max_v w_v / covered_v (a packing: by min_v w_v / load_v), which makes the scaled weights
exactly feasible. With integral vertex weights the optimum is an integer, so an upper bound
is rounded down and a lower bound up, after a tolerance of 1e-6·max(1, |value|) that only
weakens it: ``floor(value + tol)``, ``ceil(value − tol)``. ``dnnsolve verify`` recomputes
all of this from the definitions with code of its own (:mod:`dnnsolve.verify.sets`).

>>> from dnnsolve.graph import Graph
>>> c5 = Graph.from_edges(5, [(0, 1), (1, 2), (2, 3), (3, 4), (4, 0)])
>>> b = mis_bound(c5)
>>> b.value, b.method  # three cliques cover C5: α ≤ 3 (α = 2; the fractional cover gives 2.5)
(2.0, 'fractional-clique-cover')
>>> vertex_cover_bound(c5).value, coloring_bound(c5).value
(3.0, 2.0)
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

import numba
import numpy as np
import scipy.sparse as sp

from ..core.bound import Bound
from ..graph import Graph

__all__ = [
    "clique_bound",
    "clique_packing_bound",
    "coloring_bound",
    "greedy_clique",
    "mis_bound",
    "round_lower",
    "round_upper",
    "vertex_cover_bound",
]

#: relative tolerance before rounding a bound on an integral optimum (only weakens it)
ROUND_TOLERANCE = 1e-6

#: the most nonzeros of an LP this module hands to HiGHS
LP_MAX_NONZEROS = 5_000_000

_jit = numba.njit(cache=True, nogil=True)


# --------------------------------------------------------------------------- rounding


def round_upper(value: float, integral: bool) -> float:
    """An upper bound on an integral optimum, rounded down (after a tolerance that only
    weakens it).

    >>> round_upper(4.9999999999, True), round_upper(5.5, True), round_upper(5.5, False)
    (5.0, 5.0, 5.5)
    """
    if not integral or not math.isfinite(value):
        return float(value)
    return float(math.floor(value + ROUND_TOLERANCE * max(1.0, abs(value))))


def round_lower(value: float, integral: bool) -> float:
    """A lower bound on an integral optimum, rounded up (after a tolerance that only
    weakens it).

    >>> round_lower(3.0000000001, True), round_lower(2.5, True)
    (3.0, 3.0)
    """
    if not integral or not math.isfinite(value):
        return float(value)
    return float(math.ceil(value - ROUND_TOLERANCE * max(1.0, abs(value))))


# --------------------------------------------------------------------------- graph data


def _csr(graph: Graph) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric adjacency as (indptr, indices), int64, neighbours sorted."""
    n = graph.n
    a = sp.csr_matrix(
        (
            np.ones(2 * graph.m, dtype=np.int8),
            (np.r_[graph.src, graph.dst], np.r_[graph.dst, graph.src]),
        ),
        shape=(n, n),
    )
    a.sum_duplicates()
    a.sort_indices()
    return a.indptr.astype(np.int64), a.indices.astype(np.int64)


def _weights(graph: Graph) -> np.ndarray:
    if graph.node_weight is None:
        return np.ones(graph.n)
    w = np.asarray(graph.node_weight, dtype=np.float64)
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise ValueError("vertex weights must be finite and non-negative")
    return w


def _integral(w: np.ndarray) -> bool:
    return bool(np.all(w == np.round(w)))


def _left(deadline: float | None) -> float:
    return math.inf if deadline is None else deadline - time.monotonic()


# --------------------------------------------------------------------------- compiled loops


@_jit
def _grow_cliques(indptr, indices, seeds, weight, partition):
    """A clique grown from each seed: candidates are the seed's neighbours (in ``partition``
    mode the uncovered ones, and covered seeds are skipped); the candidate with the most
    candidate neighbours joins (ties: heavier, then smaller index) and the candidates not
    adjacent to it leave. Scores are kept up to date by decrements, so a seed costs
    O(Σ of its neighbours' degrees). Returns the cliques flattened (ptr, members)."""
    n = len(indptr) - 1
    covered = np.zeros(n, np.bool_)
    mark = np.zeros(n, np.int64)
    nb = np.zeros(n, np.int64)
    score = np.zeros(n, np.int64)
    cand = np.empty(n, np.int64)
    rem = np.empty(n, np.int64)
    cap = 0
    for s in seeds:
        cap += indptr[s + 1] - indptr[s] + 1
    members = np.empty(cap, np.int64)
    ptr = np.zeros(len(seeds) + 1, np.int64)
    nc = 0
    pos = 0
    stamp = 0
    stamp2 = 0
    for s in seeds:
        if partition and covered[s]:
            continue
        members[pos] = s
        pos += 1
        covered[s] = True
        stamp += 1
        k = 0
        for j in range(indptr[s], indptr[s + 1]):
            u = indices[j]
            if not (partition and covered[u]):
                cand[k] = u
                k += 1
                mark[u] = stamp
        for i in range(k):
            u = cand[i]
            c = 0
            for j in range(indptr[u], indptr[u + 1]):
                if mark[indices[j]] == stamp:
                    c += 1
            score[u] = c
        while k > 0:
            best = cand[0]
            for i in range(1, k):
                u = cand[i]
                if score[u] > score[best] or (
                    score[u] == score[best]
                    and (weight[u] > weight[best] or (weight[u] == weight[best] and u < best))
                ):
                    best = u
            members[pos] = best
            pos += 1
            covered[best] = True
            stamp2 += 1
            for j in range(indptr[best], indptr[best + 1]):
                nb[indices[j]] = stamp2
            k2 = 0
            kr = 0
            for i in range(k):
                u = cand[i]
                if u != best and nb[u] == stamp2:
                    cand[k2] = u
                    k2 += 1
                else:
                    rem[kr] = u
                    kr += 1
                    mark[u] = 0
            for i in range(kr):
                r = rem[i]
                for j in range(indptr[r], indptr[r + 1]):
                    x = indices[j]
                    if mark[x] == stamp:
                        score[x] -= 1
            k = k2
        nc += 1
        ptr[nc] = pos
    return ptr[: nc + 1].copy(), members[:pos].copy()


@_jit
def _pair_keys(ptr, members, n):
    """u·n + v (u < v) for every pair inside every set."""
    total = 0
    for c in range(len(ptr) - 1):
        s = ptr[c + 1] - ptr[c]
        total += s * (s - 1) // 2
    out = np.empty(total, np.int64)
    pos = 0
    for c in range(len(ptr) - 1):
        for i in range(ptr[c], ptr[c + 1]):
            for j in range(i + 1, ptr[c + 1]):
                a, b = members[i], members[j]
                out[pos] = min(a, b) * n + max(a, b)
                pos += 1
    return out


@_jit
def _adjacent(indptr, indices, u, v):
    lo, hi = indptr[u], indptr[u + 1]
    while lo < hi:
        mid = (lo + hi) >> 1
        if indices[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    return lo < indptr[u + 1] and indices[lo] == v


@_jit
def _clique_walk(indptr, indices, start, iters, seed, tenure):
    """A plateau walk over cliques from ``start``: add a vertex adjacent to the whole clique
    when there is one, else swap in a vertex missing one member (that member turns tabu for
    ``tenure`` steps), else drop a random member. ``miss[v]`` counts the members not adjacent
    to v; a move costs O(n). Returns the largest clique met."""
    np.random.seed(seed)
    n = len(indptr) - 1
    miss = np.zeros(n, np.int64)
    inc = np.zeros(n, np.bool_)
    members = np.empty(n, np.int64)
    pos = np.zeros(n, np.int64)
    tabu = np.zeros(n, np.int64)
    cand = np.empty(n, np.int64)
    size = 0
    best = np.empty(0, np.int64)
    for step in range(len(start) + iters):
        if step < len(start):
            v = start[step]
        else:
            it = step - len(start)
            k = 0
            for x in range(n):
                if not inc[x] and miss[x] == 0 and tabu[x] <= it:
                    cand[k] = x
                    k += 1
            if k == 0:
                for x in range(n):
                    if not inc[x] and miss[x] == 1 and tabu[x] <= it:
                        cand[k] = x
                        k += 1
            v = cand[np.random.randint(k)] if k > 0 else -1
            if v < 0 or miss[v] == 1:  # swap out the member v misses, or drop one at random
                u = members[np.random.randint(size)] if size else -1
                if v >= 0:
                    for i in range(size):
                        if not _adjacent(indptr, indices, v, members[i]):
                            u = members[i]
                            break
                if u >= 0:
                    inc[u] = False
                    last = members[size - 1]
                    members[pos[u]] = last
                    pos[last] = pos[u]
                    size -= 1
                    for x in range(n):
                        miss[x] -= 1
                    for j in range(indptr[u], indptr[u + 1]):
                        miss[indices[j]] += 1
                    tabu[u] = it + tenure + np.random.randint(tenure + 1)
                if v < 0:
                    continue
        inc[v] = True
        members[size] = v
        pos[v] = size
        size += 1
        for x in range(n):
            miss[x] += 1
        for j in range(indptr[v], indptr[v + 1]):
            miss[indices[j]] -= 1
        if size > len(best):
            best = members[:size].copy()
    return best


@_jit
def _heap_push(hkey, hver, size, key, v):
    i = size
    while i > 0:
        p = (i - 1) >> 1
        if hkey[p] > key or (hkey[p] == key and hver[p] < v):
            break
        hkey[i] = hkey[p]
        hver[i] = hver[p]
        i = p
    hkey[i] = key
    hver[i] = v
    return size + 1


@_jit
def _heap_pop(hkey, hver, size):
    size -= 1
    key = hkey[size]
    v = hver[size]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and (
            hkey[c + 1] > hkey[c] or (hkey[c + 1] == hkey[c] and hver[c + 1] < hver[c])
        ):
            c += 1
        if key > hkey[c] or (key == hkey[c] and v < hver[c]):
            break
        hkey[i] = hkey[c]
        hver[i] = hver[c]
        i = c
    hkey[i] = key
    hver[i] = v
    return size


@_jit
def _dsatur(indptr, indices):
    """DSatur (Brélaz): colour next the uncoloured vertex with the most distinct neighbour
    colours (ties: higher degree, smaller index) with the smallest free colour; a max-heap
    with lazy deletion."""
    n = len(indptr) - 1
    color = np.full(n, -1, np.int64)
    if n == 0:
        return color
    deg = indptr[1:] - indptr[:-1]
    base = deg.max() + 1
    sat = np.zeros(n, np.int64)
    cap = n + len(indices) + 1
    hkey = np.empty(cap, np.int64)
    hver = np.empty(cap, np.int64)
    size = 0
    for v in range(n):
        size = _heap_push(hkey, hver, size, deg[v], v)
    used = np.full(n + 1, -1, np.int64)
    while size > 0:
        key = hkey[0]
        v = hver[0]
        size = _heap_pop(hkey, hver, size)
        if color[v] >= 0 or key != sat[v] * base + deg[v]:
            continue
        for j in range(indptr[v], indptr[v + 1]):
            c = color[indices[j]]
            if c >= 0:
                used[c] = v
        c = 0
        while used[c] == v:
            c += 1
        color[v] = c
        for j in range(indptr[v], indptr[v + 1]):
            w = indices[j]
            if color[w] >= 0:
                continue
            new = True
            for jj in range(indptr[w], indptr[w + 1]):
                x = indices[jj]
                if x != v and color[x] == c:
                    new = False
                    break
            if new:
                sat[w] += 1
                size = _heap_push(hkey, hver, size, sat[w] * base + deg[w], w)
    return color


@_jit
def _smallest_last(indptr, indices):
    """Degeneracy order (Batagelj–Zaversnik bucket queue): vertices in removal order."""
    n = len(indptr) - 1
    deg = (indptr[1:] - indptr[:-1]).copy()
    vert = np.empty(n, np.int64)
    if n == 0:
        return vert
    md = deg.max()
    bins = np.zeros(md + 2, np.int64)
    for v in range(n):
        bins[deg[v]] += 1
    start = 0
    for d in range(md + 1):
        num = bins[d]
        bins[d] = start
        start += num
    pos = np.empty(n, np.int64)
    for v in range(n):
        pos[v] = bins[deg[v]]
        vert[pos[v]] = v
        bins[deg[v]] += 1
    for d in range(md, 0, -1):
        bins[d] = bins[d - 1]
    bins[0] = 0
    for i in range(n):
        v = vert[i]
        for j in range(indptr[v], indptr[v + 1]):
            u = indices[j]
            if deg[u] > deg[v]:
                du = deg[u]
                pu = pos[u]
                pw = bins[du]
                w = vert[pw]
                if u != w:
                    pos[u] = pw
                    vert[pu] = w
                    pos[w] = pu
                    vert[pw] = u
                bins[du] += 1
                deg[u] -= 1
    return vert


@_jit
def _first_fit(indptr, indices, order):
    """Greedy colouring in ``order``: each vertex takes the smallest colour free among its
    coloured neighbours."""
    n = len(indptr) - 1
    color = np.full(n, -1, np.int64)
    used = np.full(n + 1, -1, np.int64)
    for v in order:
        for j in range(indptr[v], indptr[v + 1]):
            c = color[indices[j]]
            if c >= 0:
                used[c] = v
        c = 0
        while used[c] == v:
            c += 1
        color[v] = c
    return color


@_jit
def _maximal_independent(indptr, indices, ptr, members, order):
    """Each set (ptr, members: independent sets) grown to a maximal independent set by adding
    the vertices of ``order`` with no neighbour in it."""
    n = len(indptr) - 1
    k = len(ptr) - 1
    inset = np.zeros(n, np.int64)
    blocked = np.zeros(n, np.int64)
    out = np.empty(k * n, np.int64)
    optr = np.zeros(k + 1, np.int64)
    pos = 0
    for c in range(k):
        stamp = c + 1
        for i in range(ptr[c], ptr[c + 1]):
            v = members[i]
            inset[v] = stamp
            out[pos] = v
            pos += 1
            for j in range(indptr[v], indptr[v + 1]):
                blocked[indices[j]] = stamp
        for v in order:
            if inset[v] != stamp and blocked[v] != stamp:
                inset[v] = stamp
                out[pos] = v
                pos += 1
                for j in range(indptr[v], indptr[v + 1]):
                    blocked[indices[j]] = stamp
        optr[c + 1] = pos
    return optr, out[:pos].copy()


@_jit
def _greedy_packing(src, dst, w, order):
    """A maximal edge packing: each edge in ``order`` takes what both its ends have left."""
    r = w.copy()
    y = np.zeros(len(src))
    for e in order:
        a = min(r[src[e]], r[dst[e]])
        if a > 0:
            y[e] = a
            r[src[e]] -= a
            r[dst[e]] -= a
    return y


# --------------------------------------------------------------------------- LPs (HiGHS)


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence C-level stdout (HiGHS prints a banner from its constructor)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def _solve_lp(
    cost: np.ndarray, a: sp.csc_matrix, row_lower: np.ndarray, row_upper: np.ndarray, seconds: float
) -> np.ndarray | None:
    """min costᵀy s.t. row_lower ≤ A y ≤ row_upper, y ≥ 0 with HiGHS (one thread, at most
    ``seconds``); the column values it ends with (None if it has none)."""
    import highspy

    with _quiet_stdout():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    highspy.Highs.resetGlobalScheduler(True)
    h.setOptionValue("threads", 1)
    h.setOptionValue("time_limit", max(float(seconds), 0.01))
    lp = highspy.HighsLp()
    k, m = a.shape[1], a.shape[0]
    lp.num_col_, lp.num_row_ = k, m
    lp.col_cost_ = np.asarray(cost, dtype=np.float64)
    lp.col_lower_ = np.zeros(k)
    lp.col_upper_ = np.full(k, highspy.kHighsInf)
    lp.row_lower_ = np.where(np.isinf(row_lower), -highspy.kHighsInf, row_lower)
    lp.row_upper_ = np.where(np.isinf(row_upper), highspy.kHighsInf, row_upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(np.float64)
    lp.a_matrix_.num_col_ = k
    lp.a_matrix_.num_row_ = m
    h.passModel(lp)
    h.run()
    sol = h.getSolution()
    if not sol.value_valid:
        return None
    return np.maximum(np.asarray(sol.col_value, dtype=np.float64), 0.0)


def _incidence(n: int, ptr: np.ndarray, members: np.ndarray) -> sp.csc_matrix:
    """Vertex × set incidence (CSC: one column per set)."""
    data = np.ones(len(members))
    return sp.csc_matrix((data, members, ptr), shape=(n, len(ptr) - 1))


# --------------------------------------------------------------------------- set covers
# A family of vertex sets is kept flat: ``ptr`` (sets + 1 offsets) and ``members``.

Sets = tuple[np.ndarray, np.ndarray]

#: the LPs here take HiGHS about (size / LP_SIZE_PER_SECOND)^1.5 seconds, size = vertices +
#: edges (measured: 21 000 in 1 s, 120 000 in 15–45 s); a larger LP than the time left allows
#: is not started, its setup alone would overrun the deadline
LP_SIZE_PER_SECOND = 15_000


def _lp_fits(graph: Graph, deadline: float | None) -> bool:
    return ((graph.n + graph.m) / LP_SIZE_PER_SECOND) ** 1.5 <= _left(deadline)


def _cover_value(n: int, sets: Sets, y: np.ndarray, w: np.ndarray) -> float:
    """What the weighted sets prove: Σ y, scaled by max_v w_v / covered_v where rounding left
    a vertex short; inf when a vertex of positive weight is not covered at all."""
    ptr, members = sets
    cov = np.bincount(members, np.repeat(y, np.diff(ptr)), n)
    need = w > 0
    if np.any(cov[need] <= 0):
        return math.inf
    scale = max(1.0, float(np.max(w[need] / cov[need], initial=0.0)))
    return math.fsum(y.tolist()) * scale


def _class_max(sets: Sets, w: np.ndarray) -> np.ndarray:
    """Each set's heaviest weight (the default y of a plain cover)."""
    ptr, members = sets
    sizes = np.diff(ptr)
    out = np.zeros(len(sizes))
    if len(members):
        np.maximum.at(out, np.repeat(np.arange(len(sizes)), sizes), w[members])
    return out


def _repair(n: int, sets: Sets, y: np.ndarray, w: np.ndarray, home: np.ndarray) -> np.ndarray:
    """Add to the set ``home[v]`` what vertex v lacks of its weight (an LP's rounding)."""
    ptr, members = sets
    y = np.where(y < 1e-12 * max(1.0, float(w.max(initial=0.0))), 0.0, y)
    cov = np.bincount(members, np.repeat(y, np.diff(ptr)), n)
    short = np.flatnonzero(cov < w)
    np.add.at(y, home[short], w[short] - cov[short])
    return y


def _concat(*families: Sets) -> Sets:
    ptrs, offset = [np.zeros(1, np.int64)], 0
    for ptr, _ in families:
        ptrs.append(ptr[1:] + offset)
        offset += int(ptr[-1])
    members = [m for _, m in families]
    return np.concatenate(ptrs), np.concatenate(members).astype(np.int64)


def _take(sets: Sets, index: np.ndarray) -> Sets:
    """The sets ``index`` of a family."""
    ptr, members = sets
    sizes = np.diff(ptr)[index]
    out = np.zeros(len(index) + 1, np.int64)
    np.cumsum(sizes, out=out[1:])
    starts = np.repeat(ptr[:-1][index] - out[:-1], sizes)
    return out, members[starts + np.arange(int(out[-1]))]


def _distinct(sets: Sets, seed: int = 0) -> np.ndarray:
    """Indices of the sets of a family, each distinct set once (first occurrence): a set is
    known by the sum of its members' random 64-bit keys (a collision could only drop a set
    from an LP's columns, never change one)."""
    ptr, members = sets
    if len(ptr) <= 1:
        return np.zeros(0, np.int64)
    keys = np.random.default_rng(seed).integers(0, 2**63, int(members.max(initial=0)) + 1)
    owner = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))
    h = np.zeros(len(ptr) - 1, np.uint64)
    np.add.at(h, owner, keys[members].astype(np.uint64))
    h ^= np.diff(ptr).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    _, first = np.unique(h, return_index=True)
    return np.sort(first)


def _ids(graph: Graph) -> list:
    return graph.vertex_ids(np.arange(graph.n))


def _certificate_sets(graph: Graph, sets: Sets, y: np.ndarray | None, key: str) -> dict[str, Any]:
    """``{key: [[id, …], …], "weights": [y, …]}`` (weights left out for a plain cover), the
    sets of zero weight dropped."""
    if y is not None:
        keep = np.flatnonzero(y > 0)
        sets, y = _take(sets, keep), y[keep]
    ptr, members = sets
    ids = _ids(graph)
    flat = [ids[v] for v in members.tolist()]
    cert: dict[str, Any] = {key: [flat[s:e] for s, e in itertools.pairwise(ptr.tolist())]}
    if y is not None:
        cert["weights"] = y.tolist()
    return cert


def _fractional_cover(
    graph: Graph, sets: Sets, home: np.ndarray, w: np.ndarray, deadline: float | None
) -> tuple[float, np.ndarray] | None:
    """The covering LP min Σ y_S s.t. Σ_{S ∋ v} y_S ≥ w_v over ``sets`` (the sets ``home[v]``
    among them), repaired; (proven value, y) or None without time or an answer."""
    ptr, members = sets
    if len(members) > LP_MAX_NONZEROS or _left(deadline) < 0.1:
        return None
    a = _incidence(graph.n, ptr, members)
    seconds = 0.8 * _left(deadline) - 0.02
    y = _solve_lp(np.ones(len(ptr) - 1), a, w, np.full(graph.n, np.inf), seconds)
    if y is None:
        return None
    y = _repair(graph.n, sets, y, w, home)
    return _cover_value(graph.n, sets, y, w), y


def _pairs_of(graph: Graph, keep: np.ndarray) -> Sets:
    """The edges ``keep`` (a mask) as a family of two-vertex sets."""
    k = int(np.count_nonzero(keep))
    members = np.stack([graph.src[keep], graph.dst[keep]], 1).reshape(-1)
    return np.arange(0, 2 * k + 1, 2, dtype=np.int64), members.astype(np.int64)


# --------------------------------------------------------------------------- MIS


def _clique_cover(
    graph: Graph,
    w: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    deadline: float | None,
    objective: float | None,
) -> tuple[float, float, str, dict[str, Any], dict[str, Any]]:
    """The best clique cover found: (proven value, rounded value, method, certificate, notes)."""
    n = graph.n
    integral = _integral(w)
    deg = np.diff(indptr)
    # heaviest first (a clique costs its heaviest member), fewest neighbours first
    order = np.lexsort((deg, -w)).astype(np.int64)
    parts = _grow_cliques(indptr, indices, order, w, True)
    y0 = _class_max(parts, w)
    value = _cover_value(n, parts, y0, w)
    notes: dict[str, Any] = {"partition": value, "cliques": len(parts[0]) - 1}
    best = (value, round_upper(value, integral), "clique-cover", parts, None)
    met = objective is not None and best[1] <= objective + 1e-9 * max(1.0, abs(objective))
    if not met and n and _lp_fits(graph, deadline):
        k = len(parts[0]) - 1
        home = np.empty(n, np.int64)
        home[parts[1]] = np.repeat(np.arange(k), np.diff(parts[0]))
        seeds = np.argsort(-deg, kind="stable").astype(np.int64)
        grown = _grow_cliques(indptr, indices, seeds, w, False)
        grown = _take(grown, np.flatnonzero(np.diff(grown[0]) > 1))
        sets = _concat(parts, grown)
        keep = _distinct(sets)
        sets = _take(sets, np.union1d(np.arange(k), keep))  # the partition stays, first
        inside = np.unique(_pair_keys(sets[0], sets[1], max(n, 1)))
        loose = ~np.isin(graph.src * max(n, 1) + graph.dst, inside)
        sets = _concat(sets, _pairs_of(graph, loose))
        notes["lp_columns"] = len(sets[0]) - 1
        found = _fractional_cover(graph, sets, home, w, deadline)
        if found is not None:
            notes["lp"] = found[0]
            if round_upper(found[0], integral) < best[1] or (not integral and found[0] < best[0]):
                lp = round_upper(found[0], integral)
                best = (found[0], lp, "fractional-clique-cover", sets, found[1])
    value, rounded, method, sets, y = best
    return value, rounded, method, _certificate_sets(graph, sets, y, "cliques"), notes


def mis_bound(graph: Graph, deadline: float | None = None, objective: float | None = None) -> Bound:
    """An upper bound on the maximum (weighted) independent set: a clique cover, fractional
    when its LP does better (see the module). ``objective``: the answer's value, to stop once
    the bound meets it; ``deadline``: a ``time.monotonic()`` time (the greedy partition always
    runs; the LP only with time left).

    >>> from dnnsolve.io import cnf_to_mis_graph, CNF
    >>> g = cnf_to_mis_graph(CNF(3, [[1, 2, 3], [-1, -2, 3], [1, -3, 2]]))
    >>> b = mis_bound(g)
    >>> b.value, b.method, len(b.certificate["cliques"])  # the clause triangles
    (3.0, 'clique-cover', 3)
    """
    t0 = time.perf_counter()
    w = _weights(graph)
    indptr, indices = _csr(graph)
    value, rounded, method, cert, notes = _clique_cover(
        graph, w, indptr, indices, deadline, objective
    )
    notes["unrounded"] = value
    return Bound(rounded, method, cert, time.perf_counter() - t0, notes)


# --------------------------------------------------------------------------- clique


def _classes(color: np.ndarray) -> Sets:
    """A colouring's classes as a family."""
    order = np.argsort(color, kind="stable").astype(np.int64)
    k = int(color.max()) + 1 if len(color) else 0
    ptr = np.zeros(k + 1, np.int64)
    np.cumsum(np.bincount(color, minlength=k), out=ptr[1:])
    return ptr, order


def clique_bound(
    graph: Graph, deadline: float | None = None, objective: float | None = None
) -> Bound:
    """An upper bound on the maximum (weighted) clique: Σ over the classes of a proper
    colouring of the class's heaviest weight (smallest-last, DSatur and, weighted,
    heaviest-first greedy colourings: the best), or the fractional colouring LP over their
    classes grown to maximal independent sets when that does better and time allows.

    >>> import networkx as nx
    >>> from dnnsolve.io import from_networkx
    >>> b = clique_bound(from_networkx(nx.complete_multipartite_graph(2, 3, 4)))
    >>> b.value, b.method, sorted(len(s) for s in b.certificate["classes"])
    (3.0, 'coloring', [2, 3, 4])
    """
    t0 = time.perf_counter()
    n = graph.n
    w = _weights(graph)
    integral = _integral(w)
    indptr, indices = _csr(graph)
    deg = np.diff(indptr)
    colorings = {
        "smallest-last": _first_fit(indptr, indices, _smallest_last(indptr, indices)[::-1].copy())
    }
    # DSatur costs about Σ deg² steps: run it when that fits in the time left
    if float(np.sum(deg.astype(np.float64) ** 2)) < 2e7 * _left(deadline):
        colorings["dsatur"] = _dsatur(indptr, indices)
    if graph.vertex_weighted:
        heavy = np.lexsort((-deg, -w)).astype(np.int64)
        colorings["heaviest-first"] = _first_fit(indptr, indices, heavy)
    classes = {name: _classes(col) for name, col in colorings.items()}
    values = {name: _cover_value(n, s, _class_max(s, w), w) for name, s in classes.items()}
    pick = min(values, key=lambda k: values[k])
    sets, value, y, method = classes[pick], values[pick], None, "coloring"
    notes: dict[str, Any] = {"colorings": {k: len(v[0]) - 1 for k, v in classes.items()}}
    notes["by"] = pick
    rounded = round_upper(value, integral)
    met = objective is not None and rounded <= objective + 1e-9 * max(1.0, abs(objective))
    if not met and n and _lp_fits(graph, deadline):
        pool = _concat(*classes.values())
        if (len(pool[0]) - 1) * n <= LP_MAX_NONZEROS:
            order = np.lexsort((deg, -w)).astype(np.int64)
            pool = _maximal_independent(indptr, indices, pool[0], pool[1], order)
        pool = _take(pool, _distinct(pool))
        home = np.empty(n, np.int64)
        home[pool[1]] = np.repeat(np.arange(len(pool[0]) - 1), np.diff(pool[0]))
        found = _fractional_cover(graph, pool, home, w, deadline)
        if found is not None:
            notes["lp"] = found[0]
            if round_upper(found[0], integral) < rounded or (not integral and found[0] < value):
                sets, value, y, method = pool, found[0], found[1], "fractional-coloring"
                rounded = round_upper(value, integral)
    notes["unrounded"] = value
    cert = _certificate_sets(graph, sets, y, "classes")
    return Bound(rounded, method, cert, time.perf_counter() - t0, notes)


# --------------------------------------------------------------------------- vertex cover


def vertex_cover_bound(
    graph: Graph, deadline: float | None = None, objective: float | None = None
) -> Bound:
    """A lower bound on the minimum (weighted) vertex cover: the larger of an edge packing
    (greedy, then the LP max Σ y_e s.t. Σ_{e ∋ v} y_e ≤ w_v when time allows) and
    Σw − a clique cover's MIS bound.

    >>> import networkx as nx
    >>> from dnnsolve.io import from_networkx
    >>> b = vertex_cover_bound(from_networkx(nx.complete_graph(5)))
    >>> b.value, b.method  # Σw − 1 (K5 is one clique); a packing proves only 2.5 → 3
    (4.0, 'clique-cover')
    """
    t0 = time.perf_counter()
    n = graph.n
    w = _weights(graph)
    integral = _integral(w)
    total = math.fsum(w.tolist())
    indptr, indices = _csr(graph)
    deg = np.diff(indptr)

    def good(v: float) -> bool:
        return objective is not None and v >= objective - 1e-9 * max(1.0, abs(objective))

    # Σw − MIS bound (a clique cover)
    mis_value, _, mis_method, mis_cert, mis_notes = _clique_cover(
        graph, w, indptr, indices, deadline, None if objective is None else total - objective
    )
    cover_value = total - mis_value
    best = (cover_value, round_lower(cover_value, integral), "clique-cover", mis_cert)
    notes: dict[str, Any] = {"clique_cover": cover_value, "total_weight": total}
    notes["clique_cover_form"] = mis_method
    if not good(best[1]) and graph.m:
        order = np.argsort(deg[graph.src] + deg[graph.dst], kind="stable").astype(np.int64)
        y = _greedy_packing(graph.src, graph.dst, w, order)
        val = _packing_value(graph, y, w)
        notes["greedy_packing"] = val
        cand = [(val, y)]
        lp_time = _lp_fits(graph, deadline) and 2 * graph.m <= LP_MAX_NONZEROS
        if not good(round_lower(val, integral)) and lp_time:
            rows = np.r_[graph.src, graph.dst]
            cols = np.r_[np.arange(graph.m), np.arange(graph.m)]
            a = sp.csc_matrix((np.ones(2 * graph.m), (rows, cols)), shape=(n, graph.m))
            seconds = 0.8 * _left(deadline) - 0.02
            ylp = _solve_lp(-np.ones(graph.m), a, np.full(n, -np.inf), w, seconds)
            if ylp is not None:
                ylp = np.where(ylp < 1e-12, 0.0, ylp)
                cand.append((_packing_value(graph, ylp, w), ylp))
                notes["lp_packing"] = cand[-1][0]
        val, y = max(cand, key=lambda c: c[0])
        if round_lower(val, integral) > best[1] or (not integral and val > best[0]):
            keep = np.flatnonzero(y > 0)
            ids = _ids(graph)
            cert = {
                "edges": [[ids[u], ids[v]] for u, v in zip(graph.src[keep], graph.dst[keep])],
                "weights": [float(x) for x in y[keep]],
            }
            best = (val, round_lower(val, integral), "edge-packing", cert)
    value, rounded, method, cert = best
    notes["unrounded"] = value
    notes["mis"] = mis_notes
    return Bound(rounded, method, cert, time.perf_counter() - t0, notes)


def _packing_value(graph: Graph, y: np.ndarray, w: np.ndarray) -> float:
    """What an edge packing proves: Σ y_e, scaled by min_v w_v / load_v where rounding left a
    vertex over its weight."""
    load = np.bincount(graph.src, y, graph.n) + np.bincount(graph.dst, y, graph.n)
    over = load > w
    scale = 1.0
    if np.any(over):
        scale = float(np.min(w[over] / load[over]))
    return math.fsum(y.tolist()) * scale


# --------------------------------------------------------------------------- colouring


def greedy_clique(graph: Graph, deadline: float | None = None) -> np.ndarray:
    """A large clique: the best of the cliques grown greedily (most common neighbours) from
    every vertex, highest degree first (in blocks, while time is left).

    >>> import networkx as nx
    >>> from dnnsolve.io import from_networkx
    >>> len(greedy_clique(from_networkx(nx.complete_multipartite_graph(2, 3, 4))))
    3
    """
    if graph.n == 0:
        return np.zeros(0, np.int64)
    indptr, indices = _csr(graph)
    deg = np.diff(indptr)
    seeds = np.argsort(-deg, kind="stable").astype(np.int64)
    w = np.zeros(graph.n)
    best = seeds[:1]
    block, i, per_seed = 16, 0, 0.0
    while i < graph.n:
        if i and _left(deadline) <= 0:
            break
        if i and per_seed > 0:  # the next block fits in half the time left
            block = int(min(4096, max(1, 0.5 * _left(deadline) / per_seed)))
        chunk = seeds[i : i + block]
        i += block
        chunk = chunk[deg[chunk] + 1 > len(best)]  # cannot beat the best
        if not len(chunk):
            continue
        t0 = time.perf_counter()
        ptr, members = _grow_cliques(indptr, indices, chunk, w, False)
        per_seed = max(per_seed, (time.perf_counter() - t0) / len(chunk))
        sizes = np.diff(ptr)
        j = int(np.argmax(sizes))
        if sizes[j] > len(best):
            best = members[ptr[j] : ptr[j + 1]]
    return np.sort(best)


def coloring_bound(
    graph: Graph, deadline: float | None = None, objective: float | None = None
) -> Bound:
    """A lower bound on the chromatic number: the size of a clique (:func:`greedy_clique`),
    then, while time is left and it falls short of the answer's colours (``objective``), a
    plateau walk from it (graphs up to :data:`WALK_MAX_VERTICES` vertices; it stops after
    :data:`WALK_STALL` steps without a larger clique, fewer on large graphs).

    >>> import networkx as nx
    >>> from dnnsolve.io import from_networkx
    >>> coloring_bound(from_networkx(nx.complete_multipartite_graph(2, 3, 4))).certificate
    {'clique': [0, 2, 5]}
    """
    t0 = time.perf_counter()
    clique = greedy_clique(graph, deadline)
    notes: dict[str, Any] = {"greedy": len(clique)}
    short = objective is None or len(clique) < objective
    if short and 0 < graph.n <= WALK_MAX_VERTICES and graph.m and _left(deadline) > 0.05:
        indptr, indices = _csr(graph)
        # fixed chunks of about 2·10⁶ vertex visits (deterministic; the deadline is checked
        # between them)
        steps = max(100, min(20_000, 2_000_000 // graph.n))
        stall = min(WALK_STALL, WALK_STALL_WORK // graph.n)
        seed, walked, stale = 0, 0, 0
        while _left(deadline) > 0 and stale < stall:
            found = _clique_walk(indptr, indices, clique, steps, seed, 7)
            walked, stale, seed = walked + steps, stale + steps, seed + 1
            if len(found) > len(clique):
                clique, stale = np.sort(found), 0
                if objective is not None and len(clique) >= objective:
                    break
        notes["walk_steps"] = walked
    ids = _ids(graph)
    cert = {"clique": [ids[v] for v in clique.tolist()]}
    return Bound(float(len(clique)), "clique", cert, time.perf_counter() - t0, notes)


#: the most vertices :func:`coloring_bound` walks on (a step costs O(n))
WALK_MAX_VERTICES = 20_000
#: walk steps without a larger clique after which :func:`coloring_bound` stops: this many,
#: or fewer on large graphs (steps × vertices at most WALK_STALL_WORK, about 0.3 s)
WALK_STALL = 200_000
WALK_STALL_WORK = 50_000_000


def monochromatic_pairs(s: int, k: int) -> int:
    """The fewest monochromatic pairs when s vertices get k colours: balanced classes.

    >>> monochromatic_pairs(4, 3), monochromatic_pairs(7, 3), monochromatic_pairs(3, 3)
    (1, 5, 0)
    """
    q, r = divmod(int(s), int(k))
    return r * (q + 1) * q // 2 + (k - r) * q * (q - 1) // 2


def clique_packing_bound(
    graph: Graph, k: int, deadline: float | None = None, objective: float | None = None
) -> Bound:
    """A lower bound on the conflicting edges of a k-colouring: edge-disjoint cliques larger
    than k, each forcing :func:`monochromatic_pairs` conflicts. A proper colouring
    (``objective`` 0) is met by the empty packing.

    >>> import networkx as nx
    >>> from dnnsolve.io import from_networkx
    >>> b = clique_packing_bound(from_networkx(nx.complete_graph(5)), 3)
    >>> b.value, b.certificate["k"], len(b.certificate["cliques"][0])
    (2.0, 3, 5)
    """
    t0 = time.perf_counter()
    chosen: list[np.ndarray] = []
    if objective != 0 and graph.n:
        indptr, indices = _csr(graph)
        deg = np.diff(indptr)
        seeds = np.flatnonzero(deg >= k).astype(np.int64)
        grown = _grow_cliques(indptr, indices, seeds, np.zeros(graph.n), False)
        grown = _take(grown, np.flatnonzero(np.diff(grown[0]) > k))
        ptr, members = _take(grown, _distinct(grown))
        pool = [np.sort(members[ptr[i] : ptr[i + 1]]) for i in range(len(ptr) - 1)]
        pool.sort(key=len, reverse=True)
        n = max(graph.n, 1)
        used: set[int] = set()
        for s in pool:
            if _left(deadline) <= 0:
                break
            a, b = np.triu_indices(len(s), 1)
            keys = (np.minimum(s[a], s[b]) * n + np.maximum(s[a], s[b])).tolist()
            if used.isdisjoint(keys):
                used.update(keys)
                chosen.append(s)
    ids = _ids(graph)
    cert = {"k": int(k), "cliques": [[ids[v] for v in s.tolist()] for s in chosen]}
    value = float(sum(monochromatic_pairs(len(s), k) for s in chosen))
    return Bound(value, "clique-packing", cert, time.perf_counter() - t0, {})
