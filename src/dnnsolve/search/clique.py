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
"""

from __future__ import annotations

import math
import time

import torch

from ..graph import EdgeIndex, TorchGraph
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
    at once, so large random sets shrink in O(log n) rounds.

    >>> from dnnsolve.graph import Graph
    >>> tg = Graph.from_edges(4, [(0, 1), (1, 2), (0, 2)]).to_torch()
    >>> drop_conflicts(tg, torch.ones(1, 4, dtype=torch.bool)).tolist()
    [[True, True, True, False]]
    """
    ei = edges or EdgeIndex(tg)
    w = _weights(tg, weight).clamp_min(1e-12)
    z = z.bool().clone()
    for _ in range(tg.n + 1):
        k = z.sum(dim=1, keepdim=True).to(torch.float32)
        nonnb = torch.where(z, k - 1.0 - ei.count(z), torch.zeros_like(k))
        conf = nonnb > 0.5
        if not bool(conf.any()):
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
    score breaks its ties. ``z`` must hold cliques.

    >>> from dnnsolve.graph import Graph
    >>> tg = Graph.from_edges(5, [(0, 1), (1, 2), (0, 2), (2, 3), (3, 4)]).to_torch()
    >>> extend(tg, torch.zeros(1, 5, dtype=torch.bool)).tolist()
    [[True, True, True, False, False]]
    """
    ei = edges or EdgeIndex(tg)
    w = _weights(tg, weight)
    z = z.bool().clone()
    allowed = (w > 0).expand_as(z)
    if keep is not None:
        allowed = allowed & keep.to(z.device).bool().expand_as(z)
    rows = torch.arange(z.shape[0], device=z.device)
    for _ in range(tg.n + 1):
        k = z.sum(dim=1, keepdim=True).to(torch.float32)
        cand = allowed & ~z & (ei.count(z) > k - 0.5)
        has = cand.any(dim=1)
        if not bool(has.any()):
            break
        score = w * (1.0 + ei.count(cand))
        if key is not None:
            score = key.to(score.dtype) + 1e-6 * score / (score.max() + 1.0)
        score = score * (1.0 + 1e-4 * _noise(z, generator))
        score = torch.where(cand, score, torch.full_like(score, -math.inf))
        pick = score.argmax(dim=1)
        z[rows[has], pick[has]] = True
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
    max(300, 2n)), or once a row reaches ``target``.

    >>> from dnnsolve.graph import Graph
    >>> g = Graph.from_edges(5, [(0, 1), (1, 2), (2, 3), (3, 1), (0, 4)])
    >>> local_search(g.to_torch(), torch.tensor([[True, True, False, False, False]]),
    ...              max_iters=20, generator=torch.Generator().manual_seed(0)).tolist()
    [[False, True, True, True, False]]
    """
    t0 = time.perf_counter()
    ei = EdgeIndex(tg)
    w = _weights(tg, weight)
    z = z.to(tg.device).bool()
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
        self.adj64 = ei.adj.to(torch.float64)
        self.idx1 = torch.arange(1, n + 1, device=tg.device, dtype=torch.float64)
        self.rows = torch.arange(B, device=tg.device)
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
        zi = cur.to(torch.float64) * self.idx1
        owner_f = zi.sum(dim=1, keepdim=True) - (self.adj64 @ zi.T.contiguous()).T
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
        onehot = torch.zeros_like(cur)
        onehot[self.rows[has], v[has]] = True
        keep_nb = ei.count(onehot) > 0.5
        new = torch.where(has[:, None], (cur & keep_nb) | onehot, cur)
        new = extend(self.tg, new, w, generator=generator, edges=ei)
        return new, kicked
