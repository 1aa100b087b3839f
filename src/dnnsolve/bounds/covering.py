"""LP bounds of the dominating-set family, certified by a dual solution.

Every problem of the family is a covering problem over a 0/1 vector x (the set D; for
``dissociation`` the cover V∖S): minimize 1ᵀx subject to rows "Σ_v a_jv x_v ≥ b_j" that
every feasible set satisfies. Relaxing x to [0, 1] gives an LP, solved with HiGHS; any
y ≥ 0 (one per row) and z ≥ 0 (one per vertex, the duals of x ≤ 1) prove, by weak duality,

    OPT ≥ (bᵀy − 1ᵀz) / α,    α = max(1, max_v (Aᵀy − z)_v)

(dividing by α makes (y, z) dual feasible, Aᵀy − z ≤ 1, so LP tolerances cannot break the
proof). The objectives are integers, so the bound is ``ceil(value − 1e-6 − 1e-9·|value|)``
(the slack absorbs the rounding of the float sums; it never makes the bound stronger than
ceil(value)). For ``dissociation`` (maximized) the bound on |S| is n minus that bound on
the cover.

The rows (``ROWS``; each row named in the certificate by the vertices that define it, in
the input's ids, so that a checker rebuilds it from the definition alone):

======================== ===================================================== =========
problem                  rows (name: set, coefficients)                        b
======================== ===================================================== =========
domset                   ``closed`` v: N[v]                                    1
total-domset             ``open`` v: N(v)                                      1
connected-domset         ``closed`` v: N[v]; ``cut`` v: {v} for every cut      1
                         vertex (a connected dominating set holds them all)
disjunctive-domset       ``disjunctive`` v: 2 on N[v], 1 on the vertices at    2
                         distance exactly 2 (v ∉ D needs a neighbour in D or
                         two vertices of D at distance 2)
liars-domset             ``closed2`` v: N[v]; ``pair`` u v: N[u] ∪ N[v]        2; 3
                         (pairs at distance ≤ 2; farther pairs follow)
ve-domset                ``edge`` u w: N[u] ∪ N[w] for the edge uw             1
dissociation (cover C)   ``star`` v: 1 on N(v), deg(v) − 1 on v (deg ≥ 2);     deg − 1;
                         ``path`` u v w: {u, v, w} for the path u–v–w          1
                         (centre v of degree ≥ 3; of degree 2 it is the star)
======================== ===================================================== =========

(A dissociation set S has at most one neighbour of v in S when v ∈ S, so C = V∖S holds
deg(v) − 1 of N(v) or v itself: the star row.) The optional families (``pair``, ``path``:
O(n·Δ²) rows) enter by row generation: HiGHS solves with the other rows, the violated
optional rows are added and it solves again, warm, until none is violated; every solve's dual
is already a certificate (0 on the rows not yet in). When HiGHS does not finish by the deadline
the uniform dual y_j = 1 / max_v (Aᵀ1)_v on the rows always built (e.g. n / (Δ + 1) for
domset) is the bound; the optional row families (``pair``, ``path``) are left out beyond
:data:`MAX_OPTIONAL_ROWS` rows or :data:`MAX_OPTIONAL_NNZ` non-zeros (any subset of valid rows
is still a relaxation).

>>> from dnnsolve.graph import Graph
>>> star = Graph.from_edges(5, [(0, 1), (0, 2), (0, 3), (0, 4)])
>>> b = covering_bound("domset", star)
>>> b.value, b.method, b.certificate["rows"]["closed"]
(1.0, 'covering-lp-dual', [[2, 1.0]])
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..core.bound import Bound
from ..graph import Graph

METHOD = "covering-lp-dual"

#: the absolute and relative slack subtracted before rounding an integral bound up
ROUND_ABS, ROUND_REL = 1e-6, 1e-9

#: a z (upper-bound dual) below this is left to the scaling α instead of the certificate
Z_MIN = 1e-9

#: the row families of each problem (see the module table)
ROWS: dict[str, tuple[str, ...]] = {
    "domset": ("closed",),
    "total-domset": ("open",),
    "connected-domset": ("closed", "cut"),
    "disjunctive-domset": ("disjunctive",),
    "liars-domset": ("closed2", "pair"),
    "ve-domset": ("edge",),
    "dissociation": ("star", "path"),
}

#: the row families that may be left out on large graphs (the others are always built)
OPTIONAL = ("pair", "path")

#: an optional row family with more rows or non-zeros than these is left out (HiGHS's time
#: and the certificate's size grow with them; on dense graphs they add little)
MAX_OPTIONAL_ROWS, MAX_OPTIONAL_NNZ = 200_000, 2_000_000

#: below this many seconds to the deadline HiGHS is not started (the uniform dual stands)
MIN_LP_SECONDS = 0.02


@dataclass
class RowBlock:
    """One family of rows: its certificate name, the vertices naming each row (k, arity),
    the coefficients (k, n) and the right-hand sides (k,)."""

    name: str
    keys: np.ndarray
    A: sp.csr_matrix
    rhs: np.ndarray


def round_up(value: float) -> float:
    """The integral bound a (possibly slightly inexact) lower bound ``value`` proves.

    >>> round_up(4.0000000001), round_up(3.9999999999), round_up(3.2)
    (4.0, 4.0, 4.0)
    """
    return float(math.ceil(value - ROUND_ABS - ROUND_REL * abs(value)))


# --------------------------------------------------------------------------- the rows


def _adjacency(graph: Graph) -> sp.csr_matrix:
    rows = np.concatenate([graph.src, graph.dst])
    cols = np.concatenate([graph.dst, graph.src])
    adj = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(graph.n, graph.n))
    adj.data[:] = 1.0
    return adj


def _binary(m: sp.spmatrix) -> sp.csr_matrix:
    m = sp.csr_matrix(m)
    m.sum_duplicates()
    m.eliminate_zeros()
    m.data[:] = 1.0
    return m


def _union_rows(closed: sp.csr_matrix, u: np.ndarray, v: np.ndarray) -> sp.csr_matrix:
    """Rows N[u_i] ∪ N[v_i] (0/1)."""
    k = len(u)
    sel = sp.csr_matrix(
        (np.ones(2 * k), (np.tile(np.arange(k), 2), np.concatenate([u, v]))),
        shape=(k, closed.shape[0]),
    )
    return _binary(sel @ closed)


def _unit_rows(vertices: np.ndarray, n: int) -> sp.csr_matrix:
    k = len(vertices)
    return sp.csr_matrix((np.ones(k), (np.arange(k), vertices)), shape=(k, n))


def cut_vertices(graph: Graph) -> np.ndarray:
    """The articulation points of ``graph`` (iterative Tarjan), sorted.

    >>> cut_vertices(Graph.from_edges(4, [(0, 1), (1, 2), (2, 3)])).tolist()
    [1, 2]
    """
    n = graph.n
    adj = _adjacency(graph)
    indptr, indices = adj.indptr, adj.indices
    disc = np.full(n, -1, dtype=np.int64)
    low = np.zeros(n, dtype=np.int64)
    cut = np.zeros(n, dtype=bool)
    t = 0
    for root in range(n):
        if disc[root] >= 0:
            continue
        disc[root] = low[root] = t
        t += 1
        children = 0
        stack = [(root, -1, int(indptr[root]))]
        while stack:
            v, parent, i = stack[-1]
            if i < indptr[v + 1]:
                stack[-1] = (v, parent, i + 1)
                u = int(indices[i])
                if disc[u] < 0:
                    disc[u] = low[u] = t
                    t += 1
                    if v == root:
                        children += 1
                    stack.append((u, v, int(indptr[u])))
                elif u != parent:
                    low[v] = min(low[v], disc[u])
                continue
            stack.pop()
            if parent >= 0:
                low[parent] = min(low[parent], low[v])
                if parent != root and low[v] >= disc[parent]:
                    cut[parent] = True
        if children > 1:
            cut[root] = True
    return np.flatnonzero(cut)


def _paths(adj: sp.csr_matrix, centre: np.ndarray) -> np.ndarray:
    """(k, 3) rows (u, v, w): the 3-vertex paths u–v–w, v the centre (where ``centre``),
    u < w."""
    parts = []
    for v in np.flatnonzero(centre).tolist():
        nb = adj.indices[adj.indptr[v] : adj.indptr[v + 1]]
        if len(nb) < 2:
            continue
        i, j = np.triu_indices(len(nb), k=1)
        a, b = nb[i], nb[j]
        parts.append(np.stack([np.minimum(a, b), np.full(len(i), v), np.maximum(a, b)], 1))
    return np.concatenate(parts) if parts else np.zeros((0, 3), dtype=np.int64)


def _path_count(adj: sp.csr_matrix, centre: np.ndarray) -> int:
    d = np.diff(adj.indptr)[centre]
    return int((d * (d - 1) // 2).sum())


def covering_rows(kind: str, graph: Graph, optional: bool = True) -> list[RowBlock]:
    """The row families of problem ``kind`` on ``graph`` (the module table); ``optional``
    False leaves out ``pair`` and ``path`` (as does their size beyond MAX_OPTIONAL_NNZ).

    >>> g = Graph.from_edges(3, [(0, 1), (1, 2)])
    >>> [(b.name, b.A.toarray().tolist(), b.rhs.tolist()) for b in covering_rows("total-domset", g)]
    [('open', [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]], [1.0, 1.0, 1.0])]
    """
    if kind not in ROWS:
        raise ValueError(f"no covering bound for {kind!r}; choose from {sorted(ROWS)}")
    n = graph.n
    adj = _adjacency(graph)
    eye = sp.identity(n, format="csr")
    closed = _binary(adj + eye)
    every = np.arange(n)[:, None]
    out: list[RowBlock] = []
    for name in ROWS[kind]:
        if name == "closed":
            out.append(RowBlock(name, every, closed, np.ones(n)))
        elif name == "closed2":
            out.append(RowBlock(name, every, closed, np.full(n, 2.0)))
        elif name == "open":
            out.append(RowBlock(name, every, adj, np.ones(n)))
        elif name == "cut":
            cut = cut_vertices(graph) if n >= 3 else np.zeros(0, dtype=np.int64)
            out.append(RowBlock(name, cut[:, None], _unit_rows(cut, n), np.ones(len(cut))))
        elif name == "disjunctive":
            ball2 = _binary(closed @ closed)
            dist2 = _binary(ball2 - closed)
            out.append(RowBlock(name, every, sp.csr_matrix(2.0 * closed + dist2), np.full(n, 2.0)))
        elif name == "pair":
            near = sp.triu(_binary(closed @ closed), k=1).tocoo()
            nnz = int(
                np.diff(closed.indptr)[near.row].sum() + np.diff(closed.indptr)[near.col].sum()
            )
            if not optional or nnz > MAX_OPTIONAL_NNZ or near.nnz > MAX_OPTIONAL_ROWS:
                continue
            keys = np.stack([near.row, near.col], 1).astype(np.int64)
            A = _union_rows(closed, keys[:, 0], keys[:, 1])
            out.append(RowBlock(name, keys, A, np.full(len(keys), 3.0)))
        elif name == "edge":
            keys = np.stack([graph.src, graph.dst], 1).astype(np.int64)
            A = _union_rows(closed, keys[:, 0], keys[:, 1])
            out.append(RowBlock(name, keys, A, np.ones(len(keys))))
        elif name == "path":
            deg = np.diff(adj.indptr)
            k = _path_count(adj, deg >= 3)
            if not optional or k > MAX_OPTIONAL_ROWS or 3 * k > MAX_OPTIONAL_NNZ:
                continue
            keys = _paths(adj, deg >= 3)
            k = len(keys)
            A = sp.csr_matrix((np.ones(3 * k), (np.repeat(np.arange(k), 3), keys.ravel())), (k, n))
            out.append(RowBlock(name, keys, _binary(A), np.ones(k)))
        elif name == "star":
            deg = np.diff(adj.indptr)
            centres = np.flatnonzero(deg >= 2)  # degree 2: the path row through v
            A = sp.csr_matrix(
                adj[centres]
                + sp.csr_matrix(
                    ((deg[centres] - 1).astype(float), (np.arange(len(centres)), centres)),
                    shape=(len(centres), n),
                )
            )
            out.append(RowBlock(name, centres[:, None], A, (deg[centres] - 1).astype(float)))
    return out


# --------------------------------------------------------------------------- the duals


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


def _csr_arrays(A: sp.spmatrix, fmt: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    M = sp.csc_matrix(A) if fmt == "csc" else sp.csr_matrix(A)
    return M.indptr.astype(np.int32), M.indices.astype(np.int32), M.data.astype(np.float64)


def new_highs(
    cost: np.ndarray,
    A: sp.spmatrix,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
) -> Any:
    """A silent one-thread ``highspy.Highs`` holding min costᵀx over row_lower ≤ Ax ≤
    row_upper, col_lower ≤ x ≤ col_upper."""
    import highspy

    with _quiet_stdout():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    # HiGHS keeps one global thread pool per process and refuses to run a model asking for
    # another thread count than the last one: start a fresh pool (as dnnsolve.lp does)
    highspy.Highs.resetGlobalScheduler(True)
    h.setOptionValue("threads", 1)
    m, n = A.shape
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, m
    lp.col_cost_ = np.asarray(cost, dtype=np.float64)
    lp.col_lower_ = np.asarray(col_lower, dtype=np.float64)
    lp.col_upper_ = np.asarray(col_upper, dtype=np.float64)
    lp.row_lower_ = np.asarray(row_lower, dtype=np.float64)
    lp.row_upper_ = np.asarray(row_upper, dtype=np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    start, index, value = _csr_arrays(A, "csc")
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = start, index, value
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, m
    h.passModel(lp)
    return h


def run_highs(h: Any, deadline: float | None) -> dict[str, Any]:
    """Run ``h`` until it is solved or ``deadline`` (``time.monotonic()``) nears; the model
    status (a string), the objective when optimal, the primal x and the row duals (HiGHS's
    sign: cost − Aᵀy is the reduced cost) when valid."""
    if deadline is not None:  # what is left, less a share for what follows the solve
        h.setOptionValue("time_limit", max(0.85 * (deadline - time.monotonic()), 1e-3))
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    sol = h.getSolution()
    return {
        "status": status,
        "objective": float(h.getInfo().objective_function_value) if status == "Optimal" else None,
        "x": np.asarray(sol.col_value, dtype=np.float64) if sol.value_valid else None,
        "y": np.asarray(sol.row_dual, dtype=np.float64) if sol.dual_valid else None,
    }


def highs_lp(
    cost: np.ndarray,
    A: sp.spmatrix,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    deadline: float | None = None,
) -> dict[str, Any]:
    """Minimize costᵀx over row_lower ≤ Ax ≤ row_upper, col_lower ≤ x ≤ col_upper with HiGHS
    by ``deadline`` (:func:`run_highs`'s answer)."""
    return run_highs(new_highs(cost, A, row_lower, row_upper, col_lower, col_upper), deadline)


def dual_value(
    blocks: list[RowBlock], ys: list[np.ndarray], n: int
) -> tuple[float, float, np.ndarray]:
    """(value, α, z) that the row duals ``ys`` (one array per block, ≥ 0) prove with the
    upper-bound duals z = max(0, Aᵀy − 1) where above Z_MIN (module docstring)."""
    s = np.zeros(n)
    total = 0.0
    for b, y in zip(blocks, ys):
        s += b.A.T @ y
        total += float(b.rhs @ y)
    z = np.where(s - 1.0 > Z_MIN, s - 1.0, 0.0)
    slack = s - z
    alpha = max(1.0, float(slack.max())) if n else 1.0
    return (total - float(z.sum())) / alpha, alpha, z


def _split(blocks: list[RowBlock], y: np.ndarray) -> list[np.ndarray]:
    out, at = [], 0
    for b in blocks:
        k = b.A.shape[0]
        out.append(np.maximum(y[at : at + k], 0.0))
        at += k
    return out


def _uniform(blocks: list[RowBlock], n: int) -> list[np.ndarray]:
    """y_j = 1 / max_v (Aᵀ1)_v on every row of the families always built (the optional ones
    get 0, keeping the certificate O(n)): dual feasible without an LP."""
    col = np.zeros(n)
    for b in blocks:
        if b.name not in OPTIONAL:
            col += np.asarray(b.A.sum(axis=0)).reshape(-1)
    top = float(col.max()) if n else 0.0
    y = 1.0 / top if top > 0 else 0.0
    return [np.full(b.A.shape[0], 0.0 if b.name in OPTIONAL else y) for b in blocks]


def _certificate(
    kind: str, graph: Graph, blocks: list[RowBlock], ys: list[np.ndarray], z: np.ndarray
) -> dict[str, Any]:
    rows: dict[str, list] = {}
    for b, y in zip(blocks, ys):
        keep = np.flatnonzero(y > 0)
        ids = graph.vertex_ids(b.keys[keep].ravel()) if len(keep) else []
        arity = b.keys.shape[1]
        rows[b.name] = [
            [*ids[i * arity : (i + 1) * arity], float(y[j])] for i, j in enumerate(keep.tolist())
        ]
    zi = np.flatnonzero(z > 0)
    upper = [[vid, float(z[v])] for vid, v in zip(graph.vertex_ids(zi), zi.tolist())]
    return {"problem": kind, "rows": rows, "upper": upper}


def _row_generation(
    blocks: list[RowBlock], n: int, deadline: float | None, notes: dict[str, Any]
) -> Iterator[list[np.ndarray]]:
    """The LP over every row of ``blocks``, the optional families by row generation: solve
    with the rows always built, add the optional rows the solution violates (the most
    violated first, at most ``max(n, 1000)`` a round), solve again (HiGHS warm-starts), until
    none is violated or the deadline. Yields the row duals of every solve, one array per
    block (0 on the rows not in the LP): each a dual of the full LP, so each a certificate."""
    base = [i for i, b in enumerate(blocks) if b.name not in OPTIONAL]
    extra = [i for i, b in enumerate(blocks) if b.name in OPTIONAL]
    A0 = sp.vstack([blocks[i].A for i in base], format="csr")
    rhs0 = np.concatenate([blocks[i].rhs for i in base])
    h = new_highs(np.ones(n), A0, rhs0, np.full(len(rhs0), np.inf), np.zeros(n), np.ones(n))
    # HiGHS row → (block, row)
    where = [(i, np.arange(blocks[i].A.shape[0])) for i in base]
    active = {i: np.zeros(blocks[i].A.shape[0], dtype=bool) for i in extra}
    rounds = 0
    while True:
        rounds += 1
        res = run_highs(h, deadline)
        notes["lp"], notes["lp_rounds"] = res["status"], rounds
        if res["objective"] is not None:
            notes["lp_objective"] = res["objective"]
        if res["y"] is not None:
            ys = [np.zeros(b.A.shape[0]) for b in blocks]
            at = 0
            for i, rows in where:
                ys[i][rows] = np.maximum(res["y"][at : at + len(rows)], 0.0)
                at += len(rows)
            yield ys
        if res["status"] != "Optimal" or res["x"] is None or not extra:
            return
        if deadline is not None and deadline - time.monotonic() <= MIN_LP_SECONDS:
            return
        found = []
        for i in extra:
            short = blocks[i].rhs - blocks[i].A @ res["x"]
            bad = np.flatnonzero((short > 1e-7) & ~active[i])
            found += [(float(short[r]), i, int(r)) for r in bad]
        if not found:
            return  # no optional row is violated: this is the LP over all of them
        found.sort(key=lambda t: -t[0])
        found = found[: max(n, 1000)]
        for i in extra:
            rows = np.array(sorted(r for _, j, r in found if j == i), dtype=np.int64)
            if not len(rows):
                continue
            active[i][rows] = True
            start, index, value = _csr_arrays(blocks[i].A[rows], "csr")
            rhs = blocks[i].rhs[rows]
            h.addRows(len(rows), rhs, np.full(len(rows), np.inf), len(value), start, index, value)
            where.append((i, rows))


def covering_bound(kind: str, graph: Graph, deadline: float | None = None) -> Bound:
    """The certified LP bound of problem ``kind`` (a lower bound on |D|, or for
    ``dissociation`` an upper bound on |S|), computed by ``deadline`` (``time.monotonic()``;
    None: no limit) where HiGHS can finish, else the uniform dual's.

    >>> from dnnsolve.graph import Graph
    >>> p5 = Graph.from_edges(5, [(0, 1), (1, 2), (2, 3), (3, 4)])
    >>> covering_bound("domset", p5).value, covering_bound("dissociation", p5).value
    (2.0, 4.0)
    """
    t0 = time.perf_counter()
    n = graph.n
    blocks = covering_rows(kind, graph)
    ys = _uniform(blocks, n)
    value, alpha, z = dual_value(blocks, ys, n)
    notes: dict[str, Any] = {"lp": "not run", "rows": int(sum(b.A.shape[0] for b in blocks))}
    left = math.inf if deadline is None else deadline - time.monotonic()
    if notes["rows"] and left > MIN_LP_SECONDS:
        for cand in _row_generation(blocks, n, deadline, notes):
            v2, a2, z2 = dual_value(blocks, cand, n)
            if v2 >= value:  # the LP's dual, also on a tie (it is the sparser one)
                ys, value, alpha, z = cand, v2, a2, z2
                notes["dual"] = "lp"
    notes.setdefault("dual", "uniform")
    cover = round_up(value) if n else 0.0
    bound = float(n) - cover if kind == "dissociation" else cover
    notes.update({"value": value, "scale": alpha})
    cert = _certificate(kind, graph, blocks, ys, z)
    return Bound(bound, METHOD, cert, time.perf_counter() - t0, notes)


def family_bound(kind: str):
    """The ``bound(instance, result, deadline)`` hook of problem ``kind`` (a
    :class:`~dnnsolve.family.Family` spec's ``bound``)."""

    def bound(graph: Graph, result: Any, deadline: float) -> Bound:
        return covering_bound(kind, graph, deadline)

    bound.__name__ = f"covering_bound_{kind.replace('-', '_')}"
    return bound


__all__ = [
    "METHOD",
    "ROWS",
    "RowBlock",
    "covering_bound",
    "covering_rows",
    "cut_vertices",
    "dual_value",
    "family_bound",
    "highs_lp",
    "round_up",
]
