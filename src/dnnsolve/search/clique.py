"""Batched clique kernels on the graph itself (the complement is never formed).

A clique of G is an independent set of the complement Ḡ, but on a large sparse
G the complement has ~n²/2 edges. These kernels only use sparse products with
the adjacency A of G: for a batch of sets ``z`` (B, n) with sizes k and
neighbour counts c = A z,

* a vertex v ∉ S can join S iff c_v = k (it is adjacent to every member);
* v ∉ S is *1-tight* iff c_v = k − 1: it misses exactly one member, its
  "owner", found as Σ_{u∈S}(u+1) − (A (z·idx))_v − 1 (one more product);
* a member v ∈ S has k − 1 − c_v non-neighbours in S (conflicts).

Because adding several vertices at once would need them to be mutually
adjacent, extensions add one vertex per restart and round; cliques of sparse
graphs are small, so few rounds are needed. Every function works on CPU and
CUDA with O(B·m) work per round and no dense n×n matrix.

On a CPU (with numba) the same rules run sequentially, row by row, in compiled
kernels over the CSR arrays of G (:mod:`._clique_ils_jit`): each walk keeps the
counts c_v and owner sums for all v and updates them on N(u) when u enters or
leaves, so a move costs O(degrees of a few members), not O(B·m).
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch

from ..graph import EdgeIndex, TorchGraph
from ._common import ROUNDS_PER_CHECK, draw_seed, gain_tolerance, read_due, read_every
from .ils import iterated_local_search


def _weights(tg: TorchGraph, weight: torch.Tensor | None) -> torch.Tensor:
    return tg.node_weight.float() if weight is None else weight.to(tg.device, torch.float32)


def _noise(z: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    return torch.rand(z.shape, generator=generator, device=z.device)


def objective(z: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Total vertex weight of each set, shape (B,) float64."""
    return z.to(torch.float64) @ weight.to(torch.float64)


def is_clique(tg: TorchGraph, z: torch.Tensor) -> torch.Tensor:
    """(B,) bool: every pair of selected vertices is joined by an edge.

    >>> from dnnsolve.graph import Graph
    >>> tg = Graph.from_edges(4, [(0, 1), (1, 2), (0, 2), (2, 3)]).to_torch()
    >>> is_clique(tg, torch.tensor([[True, True, True, False], [True, False, False, True]])).tolist()
    [True, False]
    """
    z = z.bool()
    k = z.sum(dim=1).to(torch.float64)
    inside = (z[:, tg.src] & z[:, tg.dst]).sum(dim=1).to(torch.float64)
    return inside == k * (k - 1) / 2


def drop_conflicts(
    tg: TorchGraph,
    z: torch.Tensor,
    weight: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
    edges: EdgeIndex | None = None,
) -> torch.Tensor:
    """Remove vertices until every set is a clique (batched).

    Each round removes, per row, the member with the most non-neighbours in
    the set per unit weight (random tie-break). When some member misses 8 or
    more others, every member missing at least half the row's maximum leaves
    at once, so large random sets shrink in O(log n) rounds. On a CPU with
    numba the same rule runs sequentially, row by row, in compiled code.

    >>> from dnnsolve.graph import Graph
    >>> tg = Graph.from_edges(4, [(0, 1), (1, 2), (0, 2)]).to_torch()
    >>> drop_conflicts(tg, torch.ones(1, 4, dtype=torch.bool)).tolist()
    [[True, True, True, False]]
    """
    ei = edges or EdgeIndex(tg)
    if _compiled(z):
        return _repair_compiled(tg, z, _weights(tg, weight), generator, ei, grow=False)
    w = _weights(tg, weight).clamp_min(1e-12)
    z = z.bool().clone()
    every = read_every(z.device, ROUNDS_PER_CHECK)
    for rnd in range(tg.n + 1):
        k = z.sum(dim=1, keepdim=True).to(torch.float32)
        nonnb = torch.where(z, k - 1.0 - ei.count(z), torch.zeros_like(k))
        conf = nonnb > 0.5
        # a round without conflicts drops nothing: stopping late returns the same
        if read_due(rnd, every) and not bool(conf.any()):
            break
        mx = nonnb.max(dim=1, keepdim=True).values
        key = (nonnb / w) * (1.0 + 1e-3 * _noise(z, generator))
        key = torch.where(conf, key, torch.full_like(key, -math.inf))
        top = conf & (key >= key.max(dim=1, keepdim=True).values)
        bulk = conf & (nonnb >= torch.ceil(0.5 * mx))
        z &= ~torch.where(mx >= 8, bulk, top)
    return z


def extend(
    tg: TorchGraph,
    z: torch.Tensor,
    weight: torch.Tensor | None = None,
    key: torch.Tensor | None = None,
    keep: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
    edges: EdgeIndex | None = None,
) -> torch.Tensor:
    """Grow cliques to maximal ones, one vertex per row and round.

    Among the candidates (adjacent to every member, positive weight, allowed
    by ``keep``) the one with the largest ``key`` joins (default: weight ×
    (1 + candidates adjacent to it), the classic "keep the most candidates"
    greedy); a ``key`` such as relaxed values x is used first, that greedy
    score breaks its ties. ``z`` must hold cliques. On a CPU with numba (and
    no ``keep``) rows grow sequentially in compiled code, each step looking
    only at the neighbours of the member of smallest degree.

    >>> from dnnsolve.graph import Graph
    >>> tg = Graph.from_edges(5, [(0, 1), (1, 2), (0, 2), (2, 3), (3, 4)]).to_torch()
    >>> extend(tg, torch.zeros(1, 5, dtype=torch.bool)).tolist()
    [[True, True, True, False, False]]
    """
    ei = edges or EdgeIndex(tg)
    w = _weights(tg, weight)
    if keep is None and _compiled(z):
        return _repair_compiled(tg, z, w, generator, ei, key=key, drop=False)
    z = z.bool().clone()
    allowed = (w > 0).expand_as(z)
    if keep is not None:
        allowed = allowed & keep.to(z.device).bool().expand_as(z)
    every = read_every(z.device, ROUNDS_PER_CHECK)
    for rnd in range(tg.n + 1):
        k = z.sum(dim=1, keepdim=True).to(torch.float32)
        cand = allowed & ~z & (ei.count(z) > k - 0.5)
        has = cand.any(dim=1)
        # a round without candidates adds nothing: stopping late returns the same
        if read_due(rnd, every) and not bool(has.any()):
            break
        score = w * (1.0 + ei.count(cand))
        if key is not None:
            score = key.to(score.dtype) + 1e-6 * score / (score.max() + 1.0)
        score = score * (1.0 + 1e-4 * _noise(z, generator))
        score = torch.where(cand, score, torch.full_like(score, -math.inf))
        pick = score.argmax(dim=1, keepdim=True)
        # rows without a candidate set nothing (a scatter: a mask index would read the device)
        z.scatter_(1, pick, z.gather(1, pick) | has[:, None])
    return z


def repair(
    tg: TorchGraph,
    z: torch.Tensor,
    weight: torch.Tensor | None = None,
    key: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
    edges: EdgeIndex | None = None,
) -> torch.Tensor:
    """Conflict removal followed by greedy extension: maximal cliques.

    >>> from dnnsolve.graph import Graph
    >>> tg = Graph.from_edges(4, [(0, 1), (1, 2), (0, 2), (2, 3)]).to_torch()
    >>> repair(tg, torch.tensor([[True, True, False, True]])).tolist()
    [[True, True, True, False]]
    """
    ei = edges or EdgeIndex(tg)
    z = drop_conflicts(tg, z, weight, generator, edges=ei)
    return extend(tg, z, weight, key, generator=generator, edges=ei)


def local_search(
    tg: TorchGraph,
    z: torch.Tensor,
    time_limit: float | None = None,
    generator: torch.Generator | None = None,
    weight: torch.Tensor | None = None,
    max_iters: int | None = None,
    stall_iters: int | None = None,
    p_plateau: float = 0.7,
    p_worse: float = 0.3,
    p_local: float = 0.5,
    target: float | None = None,
    tenure: int = 7,
    share_every: int = 50,
    max_drift: float = 2.0,
    edges: EdgeIndex | None = None,
) -> torch.Tensor:
    """Batched swap-based plateau search for maximum (weight) clique.

    The moves of the independent-set search of Andrade, Resende & Werneck
    (2012), stated in clique terms. Per restart and iteration one vertex v
    enters; its non-neighbours in the clique leave; the clique is extended to
    a maximal one. v is, in order of preference,

    * a 1-tight vertex with a 1-tight neighbour of the same owner (a
      (1,2)-swap: the owner leaves, both enter, +1) or heavier than its owner;
    * with probability ``p_plateau`` another 1-tight vertex (a plateau swap);
    * otherwise a random perturbation: with probability ``p_local`` a 2-tight
      vertex (stays in the region), else any vertex, drawn with a preference
      for high degrees (a jump: on sparse graphs the walk then restarts from
      that vertex's neighbourhood).

    A move is accepted if not worse (a perturbation also with probability
    ``p_worse``). Vertices that left are tabu for 1 + a random 0..``tenure``
    iterations; a walk restarts from its incumbent when it falls ``max_drift``
    heaviest vertices behind it, and every ``share_every`` iterations the worst
    quarter of the walks restart from the best incumbent.

    Returns the best clique of each row (maximal, never worse than the
    repaired input). Stops at ``time_limit`` (default 5 s), ``max_iters``,
    after ``stall_iters`` iterations without improving any row (default
    max(300, 2n), :data:`COMPILED_STALL` times that on the compiled path), or
    once a row reaches ``target``.

    On a CPU with numba the walks are compiled (:class:`_CompiledWalks`): each
    row is its own walk, the rows take turns of a few dozen moves, and the
    sharing above happens every ``share_every`` moves of each walk. A seeded
    run is reproducible; one cut by a time limit is a prefix of the same run
    without one.

    >>> from dnnsolve.graph import Graph
    >>> g = Graph.from_edges(5, [(0, 1), (1, 2), (2, 3), (3, 1), (0, 4)])
    >>> local_search(g.to_torch(), torch.tensor([[True, True, False, False, False]]),
    ...              max_iters=20, generator=torch.Generator().manual_seed(0)).tolist()
    [[False, True, True, True, False]]
    """
    t0 = time.perf_counter()
    ei = edges or EdgeIndex(tg)
    w = _weights(tg, weight)
    z = z.to(tg.device).bool()
    if _compiled(z):
        return _local_search_compiled(
            tg, z, w, time_limit, generator, max_iters, stall_iters, (p_plateau, p_local, p_worse),
            target, tenure, share_every, max_drift, t0, ei,
        )  # fmt: skip
    cur = repair(tg, z, w, generator=generator, edges=ei)
    if z.shape[1] == 0 or len(tg.src) == 0:
        return cur
    return iterated_local_search(
        _Swaps(tg, ei, w, len(cur), p_plateau, p_local, generator),
        cur,
        w,
        time_limit=time_limit,
        generator=generator,
        max_iters=max_iters,
        stall_iters=stall_iters,
        p_worse=p_worse,
        target=target,
        tenure=tenure,
        min_tenure=1,
        share_every=share_every,
        max_drift=max_drift,
        started=t0,
    )


class _Swaps:
    """The moves of :func:`local_search`: a :class:`~dnnsolve.search.ils.SetMoves`."""

    def __init__(
        self,
        tg: TorchGraph,
        ei: EdgeIndex,
        w: torch.Tensor,
        B: int,
        p_plateau: float,
        p_local: float,
        generator: torch.Generator | None,
    ):
        n = tg.n
        self.tg, self.ei, self.w, self.n = tg, ei, w, n
        self.p_plateau, self.p_local, self.generator = p_plateau, p_local, generator
        # sums of 1-based member indices: exact in float32 while n(n+1)/2 < 2^24, which an
        # accelerator runs at twice float64's speed or more; the CPU keeps float64 (its runs
        # as they were)
        small = n * (n + 1) // 2 < 2**24 and torch.device(tg.device).type != "cpu"
        dt = torch.float32 if small else torch.float64
        self.adj_idx = ei.adj.to(dt)
        self.idx1 = torch.arange(1, n + 1, device=tg.device, dtype=dt)
        self.neg_inf = torch.full((B, n), -math.inf, device=tg.device)
        self.positive = (w > 0).expand(B, n)
        self.deg_share = (tg.deg / tg.deg.max().clamp_min(1.0)).to(torch.float32)

    def move(self, cur: torch.Tensor, free: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        ei, w, n, generator = self.ei, self.w, self.n, self.generator
        k = cur.sum(dim=1, keepdim=True).to(torch.float32)
        miss = k - ei.count(cur)  # members it is not adjacent to (for v ∉ S)
        out = self.positive & ~cur & free
        t1 = out & (miss > 0.5) & (miss < 1.5)
        # owner (the one non-adjacent member) of each 1-tight vertex, 1-based
        zi = cur.to(self.idx1.dtype) * self.idx1
        owner_f = zi.sum(dim=1, keepdim=True) - (self.adj_idx @ zi.T.contiguous()).T
        owner_f = torch.where(t1, owner_f, torch.zeros_like(owner_f)).to(torch.float32)
        owner = (owner_f.long() - 1).clamp(0, n - 1)
        # 1-tight neighbours with the same owner: a (1,2)-swap gains
        tag_r = owner_f.index_select(1, ei.rows)
        same = (tag_r > 0) & (tag_r == owner_f.index_select(1, ei.cols))
        n_same = torch.zeros_like(miss).index_add_(1, ei.rows, same.to(torch.float32))
        gain = t1 & ((n_same > 0) | (w > w[owner] + 1e-9))
        noise = _noise(cur, generator)
        coin = _noise(cur[:, :1], generator)
        plateau = t1 & (coin < self.p_plateau)
        pool = out & ~t1
        pool2 = pool & (miss > 1.5) & (miss < 2.5)
        local = pool2.any(dim=1, keepdim=True) & (_noise(cur[:, :1], generator) < self.p_local)
        pool = torch.where(local, pool2, pool)
        # priority classes: gain 3, plateau 2, perturbation 1 (random within a class); a
        # jump favours high-degree vertices, the likelier members of large cliques
        cls = torch.where(gain, 3.0, torch.where(plateau, 2.0, torch.where(pool, 1.0, -math.inf)))
        noise = torch.where(local | ~pool, noise, noise * self.deg_share)
        score = torch.where(torch.isfinite(cls), cls + noise, self.neg_inf)
        val, v = score.max(dim=1)
        has = torch.isfinite(val)
        kicked = has & (val < 2.0)
        onehot = torch.zeros_like(cur).scatter_(1, v[:, None], has[:, None])
        keep_nb = ei.count(onehot) > 0.5
        new = torch.where(has[:, None], (cur & keep_nb) | onehot, cur)
        new = extend(self.tg, new, w, generator=generator, edges=ei)
        return new, kicked


# -- the compiled CPU path ------------------------------------------------------------------
_JIT: dict[str, object] = {}

#: the default stall limit of the compiled walk, in units of the tensor walk's: an iteration
#: costs O(B · degrees) instead of O(B · m), measured 100–200× less on G(200, 0.7) and
#: DSJC500.5 and 2000× less at n = 10⁵, so this keeps about the tensor walk's stall time on
#: the small dense graphs
COMPILED_STALL = 100

#: iterations per call of the compiled walk (the rows take turns after this many moves each);
#: a timed run's last call is shortened to fit the time left
_ROUND_ITERS = 64


def _jit_module():
    # imported on first use: numba costs a third of a second to import
    if "module" not in _JIT:
        try:
            from . import _clique_ils_jit
        except ImportError:  # numba is a dependency; a broken install falls back to tensors
            _JIT["module"] = None
        else:
            _JIT["module"] = _clique_ils_jit
    return _JIT["module"]


def compiled_available() -> bool:
    """Whether the compiled CPU kernels can run (numba importable).

    >>> isinstance(compiled_available(), bool)
    True
    """
    return _jit_module() is not None


def runs_compiled(z: torch.Tensor) -> bool:
    """Whether the kernels take the compiled path for the batch ``z``: on a CPU, with numba.

    >>> runs_compiled(torch.zeros(2, 3, dtype=torch.bool)) == compiled_available()
    True
    """
    return _compiled(z)


def _compiled(z: torch.Tensor) -> bool:
    return z.device.type == "cpu" and z.numel() > 0 and _jit_module() is not None


class _Csr:
    """G as the kernels take it (sorted CSR rows, float64 weights, positive-weight degrees)
    and the state of one walk."""

    def __init__(self, tg: TorchGraph, weight: torch.Tensor, edges: EdgeIndex | None):
        self.n = tg.n
        self.indptr, self.indices = (edges or EdgeIndex(tg)).csr_numpy
        self.w = weight.detach().to("cpu", torch.float64).numpy()
        self.deg = np.diff(self.indptr)
        # positive-weight neighbours: the score of a clique's first vertex
        row = np.repeat(np.arange(self.n), self.deg)
        pos_deg = np.bincount(row[self.w[self.indices] > 0], minlength=self.n)
        self.graph = (self.indptr, self.indices, self.w, pos_deg.astype(np.int64))
        self.jit = _jit_module()
        self.state = self.jit.new_state(self.n)

    def repair(
        self,
        z: np.ndarray,
        seeds: np.ndarray,
        key: np.ndarray | None = None,
        drop: bool = True,
        grow: bool = True,
    ) -> np.ndarray:
        """Rows of ``z`` (B, n) bool with conflicts dropped and/or grown to maximal cliques
        (by ``key`` (n,) or (B, n) first, when given)."""
        out = np.ascontiguousarray(z, dtype=np.bool_).copy()
        use_key = key is not None
        keys = np.atleast_2d(np.ascontiguousarray(key if use_key else self.w, dtype=np.float64))
        self.jit.repair_rows(self.graph, self.state, out, keys, use_key, drop, grow, seeds)
        return out


def _row_seeds(generator: torch.Generator | None, rows: int) -> np.ndarray:
    """One non-zero xorshift seed per row, drawn from ``generator``."""
    rng = np.random.default_rng(draw_seed(generator))
    return rng.integers(1, 2**63, size=rows, dtype=np.uint64)


def _repair_compiled(
    tg: TorchGraph,
    z: torch.Tensor,
    weight: torch.Tensor,
    generator: torch.Generator | None,
    edges: EdgeIndex | None,
    key: torch.Tensor | None = None,
    drop: bool = True,
    grow: bool = True,
) -> torch.Tensor:
    csr = _Csr(tg, weight, edges)
    keys = None if key is None else key.detach().to("cpu", torch.float64).numpy()
    out = csr.repair(z.bool().numpy(), _row_seeds(generator, z.shape[0]), keys, drop, grow)
    return torch.from_numpy(out)


def clique_bound(deg: np.ndarray) -> int:
    """An upper bound on the clique number from degrees alone: a clique of k vertices
    needs k vertices of degree ≥ k − 1.

    >>> clique_bound(np.array([3, 3, 3, 3, 1])), clique_bound(np.array([4, 1, 1, 1, 1]))
    (4, 2)
    """
    d = np.sort(np.asarray(deg))[::-1]
    fits = np.flatnonzero(d >= np.arange(len(d)))
    return int(fits[-1]) + 1 if len(fits) else 1


def _members(masks: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]:
    """(B, cap) vertex lists (padded with 0) and (B,) sizes of bool rows."""
    lists = np.zeros((len(masks), cap), dtype=np.int64)
    sizes = np.zeros(len(masks), dtype=np.int64)
    for b, row in enumerate(masks):
        idx = np.flatnonzero(row)
        lists[b, : len(idx)] = idx
        sizes[b] = len(idx)
    return lists, sizes


def _masks(lists: np.ndarray, sizes: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((len(lists), n), dtype=np.bool_)
    for b in range(len(lists)):
        out[b, lists[b, : sizes[b]]] = True
    return out


class _CompiledWalks:
    """The rows of :func:`local_search` as compiled walks taking turns on one thread.

    Every row is its own walk, and the rows take turns of at most ``_ROUND_ITERS`` moves
    (round lengths do not depend on the clock, so a seeded run cut at a time limit is a
    prefix of the same run without one; tabu tenures end with a turn).  Separate walks
    rather than one long walk: each row keeps the region of its own start (the network's
    decodes, greedy cliques), and the incumbent sharing turns the population into a
    restart strategy that follows the best region without dropping the others.  Measured
    on DSJC1000.5 (target ω = 15, 5 s, 8 seeds): 16 walks reached it 6 times (median
    1.1 s), 4 walks 5 times (3.5 s), one walk 5 times (5.0 s).
    """

    def __init__(self, csr: _Csr, start: np.ndarray, seeds: np.ndarray):
        self.csr = csr
        cap = clique_bound(csr.deg)
        self.cur, self.cur_k = _members(start, cap)
        self.best, self.best_k = self.cur.copy(), self.cur_k.copy()
        self.best_w = np.array([csr.w[row].sum() for row in start], dtype=np.float64)
        self.states = seeds.copy()
        self.last_up = np.zeros(len(start), dtype=np.int64)
        positive = np.flatnonzero(csr.w > 0)
        self.order = positive[np.argsort(-csr.deg[positive], kind="stable")]
        self.minus_deg = -csr.deg[self.order]  # ascending
        pos_w = csr.w[positive]
        self.unweighted = len(pos_w) > 0 and bool(np.all(pos_w == pos_w[0]))

    def jump_range(self) -> int:
        """How many of the degree-ordered vertices a jump draws from: on unweighted graphs
        those of degree ≥ the best size (only they can be in a larger clique)."""
        if not self.unweighted:
            return len(self.order)
        count = int(np.searchsorted(self.minus_deg, -int(self.best_k.max()), side="right"))
        return count if count > 0 else len(self.order)

    def walk(self, iters: int, probs, tenures, eps: float, drift: float, target: float) -> bool:
        """``iters`` moves of every row; True once an incumbent reached ``target``."""
        rules = (self.order, self.jump_range(), probs, tenures, eps)
        walks = (self.cur, self.cur_k, self.best, self.best_k, self.best_w, self.states,
                 self.last_up)  # fmt: skip
        csr = self.csr
        return bool(csr.jit.walk_rows(csr.graph, csr.state, rules, walks, iters, drift, target))

    def share(self) -> None:
        """The worst quarter of the rows restart from the best incumbent."""
        lead = int(np.argmax(self.best_w))
        worst = np.argsort(self.best_w, kind="stable")[: len(self.best_w) // 4]
        for arr, size in ((self.best, self.best_k), (self.cur, self.cur_k)):
            arr[worst] = self.best[lead]
            size[worst] = self.best_k[lead]
        self.best_w[worst] = self.best_w[lead]

    def result(self) -> np.ndarray:
        return _masks(self.best, self.best_k, self.csr.n)


def _local_search_compiled(
    tg: TorchGraph,
    z: torch.Tensor,
    w: torch.Tensor,
    time_limit: float | None,
    generator: torch.Generator | None,
    max_iters: int | None,
    stall_iters: int | None,
    probs: tuple[float, float, float],
    target: float | None,
    tenure: int,
    share_every: int,
    max_drift: float,
    started: float,
    edges: EdgeIndex | None,
) -> torch.Tensor:
    csr = _Csr(tg, w, edges)
    B, n = z.shape
    start = csr.repair(z.numpy(), _row_seeds(generator, B))
    walks = _CompiledWalks(csr, start, _row_seeds(generator, B))
    if n == 0 or len(csr.indices) == 0:
        return torch.from_numpy(start)
    limit = math.inf if time_limit is None and max_iters is not None else (time_limit or 5.0)
    iters_left = max_iters if max_iters is not None else math.inf
    stall_limit = stall_iters if stall_iters is not None else COMPILED_STALL * max(300, 2 * n)
    share = share_every if share_every and B >= 4 else 0
    goal = math.inf if target is None else target - 1e-9
    pos_w = csr.w[csr.w > 0]
    wmax = float(pos_w.max()) if len(pos_w) else 0.0
    eps = gain_tolerance(w, clique_bound(csr.deg))
    probs_arr = np.array(probs, dtype=np.float64)
    tenures = np.array([tenure, 1], dtype=np.int64)  # 1 + a random 0..tenure moves
    done, stall, per_iter = 0, 0, 0.0
    while float(walks.best_w.max()) < goal:
        size = min(_ROUND_ITERS, iters_left - done, stall_limit - stall)
        if share:
            size = min(size, share - done % share)
        if done == 0:
            size = min(size, 1)  # a first move of every row measures the cost of one
        left = limit - (time.perf_counter() - started)
        if per_iter > 0 and math.isfinite(left):
            size = min(size, int(left / per_iter))
        if size < 1 or left <= 0:
            break
        t = time.perf_counter()
        reached = walks.walk(int(size), probs_arr, tenures, eps, max_drift * wmax, goal)
        per_iter = (time.perf_counter() - t) / size
        done += size
        last = int(walks.last_up.max())
        stall = size - 1 - last if last >= 0 else stall + size
        if reached:
            break
        if share and done % share == 0:
            walks.share()
    return torch.from_numpy(walks.result())
