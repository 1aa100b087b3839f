"""The dominating-set family of dataless ReLU networks, on one covering machinery.

Problems (CLI names): ``domset`` (minimum dominating set), ``total-domset``,
``connected-domset``, ``disjunctive-domset``, ``liars-domset``,
``ve-domset`` (vertex-edge domination), ``dissociation`` (maximum
dissociation set) and ``k-coloring`` (feasibility, see
:mod:`dnnsolve.problems.domination_color`).

Each covering problem is a list of constraint rows "the set S_j holds at
least r_j chosen vertices" (with an alternative for disjunctive domination),
stored as sparse incidence matrices (:class:`~dnnsolve.search.domination.Covering`):

================== ============================================ =========
problem            rows                                         r
================== ============================================ =========
domset             N[v] per vertex                              1
total-domset       N(v) per vertex                              1
disjunctive-domset N[v]  or  {u ≠ v : dist(u, v) ≤ 2}           1 or 2
liars-domset       N[v] per vertex; N[u] ∪ N[v] per pair at     2; 3
                   distance ≤ 2 (farther pairs hold ≥ 4)
ve-domset          N[u] ∪ N[w] per edge                         1
dissociation       {u, v, w} per path u–v–w, on the complement  1
                   (S is a dissociation set iff V∖S meets every
                   3-vertex path)
================== ============================================ =========

Losses over the relaxed cover y ∈ [0, 1]^n (``formulation``):

* ``"relu"`` — the dataless ReLU network of Jena et al. as in the ``dataless``
  package: f(y) = −Σ_v ReLU(½ − y_v) + γ·n·Σ_j min_a ReLU(r_aj − (M_a y)_j)
  (a Hadamard gate, a fixed 0/1 layer with biases −r, ReLU, fixed weights
  −1 / n); for dissociation y = 1 − x, which is exactly their
  −Σ ReLU(x_v − ½) + n Σ_paths ReLU(x_u + x_v + x_w − 2).
* ``"penalty"`` — a smooth penalty on sigmoid variables:
  Σ_v y_v + λ Σ_j min_a ReLU(r_aj − (M_a y)_j)².

Decoding thresholds at ½; repair is a parallel greedy cover followed by
pruning of redundant vertices; the polish is a batched iterated greedy
(:mod:`dnnsolve.search.domination`). ``evaluate`` counts through the
incidence matrices; ``verify`` re-checks the definition with
:mod:`dnnsolve.problems.domination_check`.

>>> from dnnsolve import solve
>>> from dnnsolve.graph import Graph
>>> star = Graph.from_edges(5, [(0, 1), (0, 2), (0, 3), (0, 4)])
>>> r = solve("domset", star, steps=50, restarts=4, device="cpu", seed=0)
>>> r.objective, r.feasible, r.solution
(1.0, True, [1])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch

from ..bounds.covering import family_bound
from ..core.errors import InputError
from ..core.parameterization import FreeVariables
from ..core.problem import Evaluation, Problem
from ..graph import Graph
from ..methods import BuildContext, register, register_problem
from ..search import domination as kernels
from ..search._common import draw_seed, one_thread
from .domination_check import CHECKS

_HPARAMS: dict[str, dict[str, float]] = {
    "relu": {"gamma": 1.0},
    "penalty": {"penalty": 2.0},
}


@dataclass(frozen=True)
class Kind:
    """A covering problem: CLI name, summary, sense and whether the cover is the complement."""

    name: str
    summary: str
    complement: bool = False
    connected: bool = False

    @property
    def sense(self) -> str:
        return "max" if self.complement else "min"


KINDS: dict[str, Kind] = {
    k.name: k
    for k in [
        Kind("domset", "Minimum dominating set: every vertex in D or adjacent to D."),
        Kind("total-domset", "Minimum total dominating set: every vertex has a neighbour in D."),
        Kind(
            "connected-domset",
            "Minimum connected dominating set: D dominating and inducing a connected subgraph.",
            connected=True,
        ),
        Kind(
            "disjunctive-domset",
            "Minimum disjunctive dominating set: every v ∉ D has a neighbour in D or two "
            "vertices of D at distance 2.",
        ),
        Kind(
            "liars-domset",
            "Minimum liar's dominating set: |N[v] ∩ D| ≥ 2 and |(N[u] ∪ N[v]) ∩ D| ≥ 3.",
        ),
        Kind(
            "ve-domset",
            "Minimum vertex-edge dominating set: every edge uw has a vertex of D in N[u] ∪ N[w].",
        ),
        Kind(
            "dissociation",
            "Maximum dissociation set: S induces a subgraph of maximum degree ≤ 1.",
            complement=True,
        ),
    ]
}


# ---------------------------------------------------------------- covering structures


def _adjacency(graph: Graph) -> sp.csr_matrix:
    rows = np.concatenate([graph.src, graph.dst])
    cols = np.concatenate([graph.dst, graph.src])
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(graph.n, graph.n))


def _pair_rows(closed: sp.csr_matrix, u: np.ndarray, v: np.ndarray) -> sp.csr_matrix:
    """Rows N[u] ∪ N[v] for the pairs (u_i, v_i), as a 0/1 sparse matrix."""
    k = len(u)
    sel = sp.csr_matrix(
        (np.ones(2 * k), (np.tile(np.arange(k), 2), np.concatenate([u, v]))),
        shape=(k, closed.shape[0]),
    )
    out = (sel @ closed).tocsr()
    out.data[:] = 1.0
    return out


def _paths3(graph: Graph) -> sp.csr_matrix:
    """One row {u, v, w} per path u–v–w (v the centre, u < w)."""
    adj = _adjacency(graph)
    rows, cols, r = [], [], 0
    for v in range(graph.n):
        nb = adj.indices[adj.indptr[v] : adj.indptr[v + 1]]
        d = len(nb)
        if d < 2:
            continue
        i, j = np.triu_indices(d, k=1)
        p = len(i)
        ids = np.arange(r, r + p)
        rows += [ids, ids, ids]
        cols += [nb[i], nb[j], np.full(p, v)]
        r += p
    if r == 0:
        return sp.csr_matrix((0, graph.n))
    rr, cc = np.concatenate(rows), np.concatenate(cols)
    return sp.csr_matrix((np.ones(len(rr)), (rr, cc)), shape=(r, graph.n))


def _incidence(mat: sp.spmatrix, device) -> kernels.Incidence:
    m = sp.csr_matrix(mat)
    m.sum_duplicates()
    coo = m.tocoo()
    keep = coo.data != 0
    return kernels.Incidence(coo.row[keep], coo.col[keep], m.shape[0], m.shape[1], device)


def covering_matrices(kind: str, graph: Graph) -> tuple[list[sp.csr_matrix], list[np.ndarray]]:
    """The incidence matrices and thresholds of a covering problem (see the module table).

    >>> g = Graph.from_edges(3, [(0, 1), (1, 2)])
    >>> mats, need = covering_matrices("domset", g)
    >>> mats[0].toarray().astype(int).tolist(), need[0].tolist()
    ([[1, 1, 0], [1, 1, 1], [0, 1, 1]], [1.0, 1.0, 1.0])
    """
    n = graph.n
    adj = _adjacency(graph)
    closed = (adj + sp.identity(n, format="csr")).tocsr()
    if kind in ("domset", "connected-domset"):
        return [closed], [np.ones(n)]
    if kind == "total-domset":
        return [adj], [np.ones(n)]
    if kind == "disjunctive-domset":
        ball2 = (closed @ closed).tocsr()
        ball2.data[:] = 1.0
        ball2 = (ball2 - sp.identity(n, format="csr")).tocsr()
        ball2.eliminate_zeros()
        return [closed, ball2], [np.ones(n), np.full(n, 2.0)]
    if kind == "liars-domset":
        near = sp.triu(closed @ closed, k=1).tocoo()
        pairs = _pair_rows(closed, near.row, near.col)
        mat = sp.vstack([closed, pairs]).tocsr()
        return [mat], [np.concatenate([np.full(n, 2.0), np.full(pairs.shape[0], 3.0)])]
    if kind == "ve-domset":
        rows = _pair_rows(closed, graph.src, graph.dst)
        return [rows], [np.ones(rows.shape[0])]
    if kind == "dissociation":
        paths = _paths3(graph)
        return [paths], [np.ones(paths.shape[0])]
    raise ValueError(f"unknown covering problem {kind!r}")


def build_covering(kind: str, graph: Graph, device: torch.device | str = "cpu"):
    """A :class:`~dnnsolve.search.domination.Covering` on ``device`` for problem ``kind``."""
    mats, need = covering_matrices(kind, graph)
    alts = [_incidence(m, device) for m in mats]
    if len(mats) == 1:
        return kernels.Covering(alts, need)
    union = mats[0] + mats[1]
    inter = mats[0].multiply(mats[1])
    return kernels.Covering(alts, need, _incidence(union, device), _incidence(inter, device))


def _check_instance(kind: str, graph: Graph) -> None:
    """Reject graphs on which the problem has no solution (one-line InputError)."""
    where = graph.meta.get("path")  # the file the graph came from, if any
    deg = graph.degrees()
    isolated = np.flatnonzero(deg == 0)
    if kind == "total-domset" and len(isolated):
        vid = graph.vertex_ids(isolated[:1])[0]
        raise InputError(f"vertex {vid} is isolated: the graph has no total dominating set", where)
    if kind == "liars-domset":
        if len(isolated):
            vid = graph.vertex_ids(isolated[:1])[0]
            raise InputError(
                f"vertex {vid} is isolated: the graph has no liar's dominating set", where
            )
        # a component that is a single edge: both ends of degree 1, adjacent
        lone = (deg[graph.src] == 1) & (deg[graph.dst] == 1)
        if lone.any():
            e = int(np.argmax(lone))
            u, v = graph.vertex_ids([graph.src[e], graph.dst[e]])
            raise InputError(
                f"edge {u}-{v} is a component of its own: the graph has no liar's dominating set",
                where,
            )
    if kind == "connected-domset" and graph.n:
        comps = sp.csgraph.connected_components(_adjacency(graph), directed=False)[0]
        if comps > 1:
            raise InputError(
                f"the graph has {comps} components: a connected dominating set needs a "
                "connected graph",
                where,
            )


# ---------------------------------------------------------------- connectivity (connected-domset)


def induced_connected(
    src: torch.Tensor, dst: torch.Tensor, z: torch.Tensor, max_rounds: int | None = None
) -> torch.Tensor:
    """(B,) bool: the chosen vertices of each row induce a non-empty connected subgraph.

    Min-label propagation over the induced edges, batched. On a graph with no vertices
    the only (empty) row counts as connected, as in
    :func:`~dnnsolve.problems.domination_check.check_connected_domset`.

    >>> s, d = torch.tensor([0, 1, 2]), torch.tensor([1, 2, 3])
    >>> induced_connected(s, d, torch.tensor([[1, 1, 1, 0], [1, 0, 1, 1]]).bool()).tolist()
    [True, False]
    """
    z = z.bool()
    B, n = z.shape
    if n == 0:
        return torch.ones(B, dtype=torch.bool, device=z.device)
    big = n + 1
    idx = torch.arange(n, device=z.device).expand(B, n)
    lab = torch.where(z, idx, torch.full_like(idx, big))
    both = z[:, src] & z[:, dst]
    ends = torch.cat([src, dst])
    for _ in range(max_rounds or n + 1):
        a = torch.where(both, lab[:, dst], torch.full_like(both, big, dtype=lab.dtype))
        b = torch.where(both, lab[:, src], torch.full_like(both, big, dtype=lab.dtype))
        new = lab.scatter_reduce(1, ends.expand(B, -1), torch.cat([a, b], dim=1), "amin")
        if torch.equal(new, lab):
            break
        lab = new
    low = torch.where(z, lab, torch.full_like(lab, -1)).max(dim=1).values
    first = lab.min(dim=1).values
    return z.any(dim=1) & (low == first)


class _Connector:
    """Per-row (CPU) repair of connected dominating sets: join components by shortest paths."""

    def __init__(self, graph: Graph):
        adj = _adjacency(graph)
        self.indptr, self.indices = adj.indptr, adj.indices
        self.n = graph.n

    def _nb(self, v: int) -> np.ndarray:
        return self.indices[self.indptr[v] : self.indptr[v + 1]]

    def _component(self, d: np.ndarray, start: int) -> np.ndarray:
        seen = np.zeros(self.n, dtype=bool)
        seen[start] = True
        stack = [start]
        while stack:
            v = stack.pop()
            for u in self._nb(v):
                if d[u] and not seen[u]:
                    seen[u] = True
                    stack.append(u)
        return seen

    def connect(self, d: np.ndarray) -> np.ndarray:
        """Add the inner vertices of shortest paths until D induces a connected subgraph."""
        d = d.copy()
        members = np.flatnonzero(d)
        if len(members) == 0:
            return d
        while True:
            comp = self._component(d, int(members[0]))
            if comp.sum() == d.sum():
                return d
            # BFS from the component through the graph to the nearest other chosen vertex
            parent = np.full(self.n, -1)
            seen = comp.copy()
            frontier = np.flatnonzero(comp).tolist()
            hit = -1
            while frontier and hit < 0:
                nxt = []
                for v in frontier:
                    for u in self._nb(v):
                        if not seen[u]:
                            seen[u] = True
                            parent[u] = v
                            if d[u]:
                                hit = int(u)
                                break
                            nxt.append(int(u))
                    if hit >= 0:
                        break
                frontier = nxt
            if hit < 0:  # graph disconnected: cannot connect (rejected at build time)
                return d
            v = parent[hit]
            while not comp[v]:
                d[v] = True
                v = parent[v]

    def prune(self, d: np.ndarray, order: np.ndarray) -> np.ndarray:
        """Drop vertices (in ``order``) whose removal keeps D dominating and connected."""
        d = d.copy()
        dom = np.zeros(self.n, dtype=np.int64)  # |N[v] ∩ D|
        for v in np.flatnonzero(d):
            dom[v] += 1
            dom[self._nb(v)] += 1
        for v in order:
            if not d[v] or d.sum() <= 1:
                continue
            ball = np.append(self._nb(v), v)
            if np.any(dom[ball] <= 1):
                continue
            d[v] = False
            rest = np.flatnonzero(d)
            if self._component(d, int(rest[0])).sum() != len(rest):
                d[v] = True
                continue
            dom[ball] -= 1
        return d


# ---------------------------------------------------------------- the problem


#: the sequential greedy baseline costs O(n · nnz); above this size the parallel one runs
_SEQUENTIAL_GREEDY_MAX_N = 5000


class CoveringProblem(Problem):
    """One problem of the dominating-set family on a graph; solutions are 0/1 vertex masks.

    >>> g = Graph.from_edges(4, [(0, 1), (1, 2), (2, 3)])
    >>> p = CoveringProblem(g, "domset")
    >>> p.evaluate(torch.tensor([[0, 1, 1, 0], [1, 0, 0, 0]])).feasible.tolist()
    [True, False]
    >>> p.verify(np.array([0, 1, 1, 0]))
    (2.0, True)
    """

    def __init__(
        self,
        graph: Graph,
        kind: str,
        device: torch.device | str = "cpu",
        reference: float | None = None,
        formulation: str = "relu",
    ):
        if kind not in KINDS:
            raise ValueError(f"unknown problem {kind!r}; choose from {sorted(KINDS)}")
        if formulation not in _HPARAMS:
            raise ValueError(f"unknown formulation {formulation!r}; choose from {sorted(_HPARAMS)}")
        _check_instance(kind, graph)
        self.kind = KINDS[kind]
        self.name = kind  # type: ignore[misc]
        self.sense = self.kind.sense  # type: ignore[misc]
        self.graph = graph
        self.device = torch.device(device)
        self.cov = build_covering(kind, graph, self.device)
        self.n_vars = graph.n
        self.instance = graph.name
        self.formulation = formulation
        self.hparams = dict(_HPARAMS[formulation])
        self._reference = reference
        self.src = torch.as_tensor(graph.src, device=self.device)
        self.dst = torch.as_tensor(graph.dst, device=self.device)
        self._connector = _Connector(graph) if self.kind.connected else None
        self.generator: torch.Generator | None = None

    # -- y (the cover) ↔ z (the solution) ------------------------------------------
    def _flip(self, v: torch.Tensor) -> torch.Tensor:
        return ~v.bool() if self.kind.complement else v.bool()

    # -- loss ----------------------------------------------------------------------
    def loss(self, x: torch.Tensor, hp: Mapping[str, torch.Tensor]) -> torch.Tensor:
        y = 1.0 - x if self.kind.complement else x
        deficit = self.cov.deficit(y)
        if self.formulation == "penalty":
            return y.sum(dim=1) + hp["penalty"] * (deficit * deficit).sum(dim=1)
        node = torch.relu(0.5 - y).sum(dim=1)
        return -node + hp["gamma"] * self.graph.n * deficit.sum(dim=1)

    # -- discrete side ---------------------------------------------------------------
    def decode(self, x: torch.Tensor) -> torch.Tensor:
        return x > 0.5

    def _connect(self, y: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        assert self._connector is not None
        rows = y.cpu().numpy()
        out = np.empty_like(rows)
        for b in range(rows.shape[0]):
            d = self._connector.connect(rows[b])
            g = _cpu_gen(generator)
            perm = torch.randperm(self.graph.n, generator=g, device=g.device).numpy()
            out[b] = self._connector.prune(d, perm)
        return torch.as_tensor(out, device=y.device)

    def _repair_y(self, y: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        if self._connector is None:
            return kernels.repair(self.cov, y, generator)
        return self._connect(kernels.cover(self.cov, y, generator), generator)

    def repair(self, z: torch.Tensor) -> torch.Tensor:
        """Greedy cover of every unsatisfied row, then removal of redundant vertices."""
        with one_thread(self.device):
            return self._flip(self._repair_y(self._flip(z), self.generator))

    def evaluate(self, z: torch.Tensor) -> Evaluation:
        z = z.bool()
        with one_thread(self.device):
            ok = self.cov.satisfied(self._flip(z))
            if self.kind.connected:
                ok &= induced_connected(self.src, self.dst, z)
        return Evaluation(z.sum(dim=1).to(torch.float64), ok)

    def verify(self, solution: np.ndarray) -> tuple[float, bool]:
        return CHECKS[self.kind.name](self.graph, solution)

    baseline_name = "greedy"

    def baseline(self, time_limit: float | None, generator=None) -> torch.Tensor:
        """The sequential max-gain greedy with pruning
        (:func:`~dnnsolve.baselines.greedy_domination`, O(n·nnz): up to n = 5000), else the
        parallel greedy cover + prune from the empty set (connected kinds: then joined)."""
        if not self.kind.connected and self.graph.n <= _SEQUENTIAL_GREEDY_MAX_N:
            from ..baselines.domination import greedy_domination  # imports this module

            sol = greedy_domination(self.kind.name, self.graph).solution
            return torch.as_tensor(sol, dtype=torch.bool, device=self.device)[None]
        empty = torch.zeros((1, self.n_vars), dtype=torch.bool, device=self.device)
        with one_thread(self.device):
            return self._flip(self._repair_y(empty, generator))

    def relax(self, z: torch.Tensor) -> torch.Tensor:
        return z.float()

    def local_search(
        self, z: torch.Tensor, time_limit: float | None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Batched iterated greedy (drop random vertices, re-cover, prune), in cover space.

        Without ``time_limit`` it runs at most 200 iterations (deterministic for a
        seeded generator); it stops once the known ``reference`` is reached.
        """
        n = self.graph.n
        target = self._reference
        if target is not None and self.kind.complement:
            target = n - target
        y = self._flip(z.to(self.device))
        if self._connector is not None:
            return self._flip(self._connected_search(y, time_limit, generator, target))
        kw: dict = {"max_iters": 200, "stall_iters": 100} if time_limit is None else {}
        best = kernels.iterated_greedy(self.cov, y, time_limit, generator, target=target, **kw)
        return self._flip(best)

    def _connected_search(self, y, time_limit, generator, target):
        import time

        t0 = time.perf_counter()
        limit = 1e18 if time_limit is None else time_limit
        iters = 50 if time_limit is None else 1 << 30
        cur = self._repair_y(y, generator)
        best = cur.clone()
        for _ in range(iters):
            if time.perf_counter() - t0 >= limit:
                break
            size = best.sum(dim=1)
            if target is not None and float(size.min()) <= target:
                break
            r = torch.rand(cur.shape, generator=generator, device=cur.device)
            drop = cur & (r < 0.1)
            new = self._repair_y(cur & ~drop, generator)
            ok = new.sum(dim=1) <= cur.sum(dim=1)
            cur = torch.where(ok[:, None], new, cur)
            up = cur.sum(dim=1) < size
            best = torch.where(up[:, None], cur, best)
        return best

    def solution_output(self, solution: np.ndarray) -> list:
        """Vertex ids in the set."""
        return self.graph.vertex_ids(np.asarray(solution).astype(bool))

    def reference(self) -> float | None:
        return self._reference


def _cpu_gen(generator: torch.Generator | None) -> torch.Generator:
    """A CPU generator seeded from ``generator`` (which may live on a GPU)."""
    return torch.Generator().manual_seed(draw_seed(generator, 2**31 - 1))


# ---------------------------------------------------------------- registration


def _relu_builder(kind: str):
    def build(graph: Graph, ctx: BuildContext):
        prob = CoveringProblem(graph, kind, ctx.device, ctx.reference, "relu")
        prob.generator = ctx.generator
        param = FreeVariables(
            graph.n,
            ctx.restarts,
            squash="clamp",
            init_mean=0.5,
            init_std=float(ctx.options.get("init_std", 0.3)),
            device=ctx.device,
            generator=ctx.generator,
        )
        return prob, param

    return build


def _penalty_builder(kind: str):
    def build(graph: Graph, ctx: BuildContext):
        prob = CoveringProblem(graph, kind, ctx.device, ctx.reference, "penalty")
        prob.generator = ctx.generator
        param = FreeVariables(
            graph.n,
            ctx.restarts,
            squash="sigmoid",
            init_std=float(ctx.options.get("init_std", 1.0)),
            device=ctx.device,
            generator=ctx.generator,
        )
        return prob, param

    return build


for _kind in KINDS.values():
    register_problem(
        _kind.name,
        _kind.summary,
        example=("color_example.col", {}),
        bound=family_bound(_kind.name),  # the LP bound, certified by its dual (bounds.covering)
    )
    register(
        _kind.name,
        "relu",
        "Dataless ReLU network (Jena et al., as in the `dataless` package), sparse, batched "
        "restarts, Adam; greedy repair + iterated-greedy polish",
        default=True,
        restarts=16,
        steps=300,
        lr=[0.01, 0.03],
        eval_every=25,
        patience=4,
        polish_top=8,
    )(_relu_builder(_kind.name))
    register(
        _kind.name,
        "penalty",
        "Smooth penalty Σy + λ Σ deficit² on sigmoid variables, Adam; same repair and polish",
        restarts=16,
        steps=300,
        lr=[0.03, 0.1],
        hparams={"penalty": [1.0, 3.0]},
        eval_every=25,
        patience=4,
        polish_top=8,
    )(_penalty_builder(_kind.name))
