"""Batched independent-set kernels: conflict repair, maximal augmentation, local search.

Every function works on a batch ``z`` of shape (B, n) (bool, True = in the set)
on any device, with O(B·m) edge-list scatters per round and no dense matrix.
Both repair steps are Luby-style parallel rules: in each round every vertex
whose priority beats all its competing neighbours moves at once, so a round
always makes progress and random tie-breaks make O(log n) rounds typical.

``keep`` (n,) or (B, n) bool marks the vertices allowed in the set, so the
same kernels serve maximum clique (on a restricted candidate set) and vertex
cover (the complement of an independent set).
"""

from __future__ import annotations

import math
import time

import torch

from ..graph import EdgeIndex, TorchGraph
from . import mis_greedy
from .ils import iterated_local_search


def _weights(tg: TorchGraph, weight: torch.Tensor | None) -> torch.Tensor:
    return tg.node_weight.float() if weight is None else weight.to(tg.device, torch.float32)


def _keep(keep: torch.Tensor | None, z: torch.Tensor) -> torch.Tensor:
    if keep is None:
        return torch.ones_like(z)
    return keep.to(z.device).bool().expand_as(z)


def _noise(z: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    return torch.rand(z.shape, generator=generator, device=z.device)


def _sequential(z: torch.Tensor) -> bool:
    """Whether the sequential compiled kernels replace the parallel rounds: on a CPU,
    where a round costs as much as a whole sequential pass (and dense starts need tens)."""
    return z.device.type == "cpu" and z.numel() > 0 and mis_greedy.available()


def objective(tg: TorchGraph, z: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
    """Total vertex weight of each set, shape (B,) float64."""
    return z.to(torch.float64) @ _weights(tg, weight).to(torch.float64)


def is_independent(tg: TorchGraph, z: torch.Tensor) -> torch.Tensor:
    """(B,) bool: no edge has both ends in the set."""
    z = z.bool()
    return ~(z[:, tg.src] & z[:, tg.dst]).any(dim=1)


def drop_conflicts(
    tg: TorchGraph,
    z: torch.Tensor,
    weight: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
    max_rounds: int = 64,
    edges: EdgeIndex | None = None,
) -> torch.Tensor:
    """Remove vertices until every set is independent (batched, parallel).

    Each round, a conflicted vertex leaves if its priority (selected-neighbour
    count / weight, random tie-break) beats every conflicted neighbour's. After
    ``max_rounds`` the conflicted vertices that are local priority minima are
    kept and the rest dropped, which is independent in one step.  On a CPU the
    same priority rule runs sequentially instead (:func:`~dnnsolve.search.mis_greedy.greedy_drop`,
    one O((n + m) log n) pass per row, no round limit).

    >>> from dnnsolve.graph import Graph
    >>> tg = Graph.from_edges(3, [(0, 1), (1, 2)]).to_torch()
    >>> drop_conflicts(tg, torch.ones(1, 3, dtype=torch.bool)).tolist()
    [[True, False, True]]
    """
    ei = edges or EdgeIndex(tg)
    if _sequential(z):
        noise = _noise(z, generator)
        indptr, indices = ei.csr_numpy
        out = mis_greedy.greedy_drop(indptr, indices, _weights(tg, weight).numpy(),
                                     z.bool().numpy(), noise.double().numpy())  # fmt: skip
        return torch.from_numpy(out)
    w = _weights(tg, weight).clamp_min(1e-12)
    z = z.bool().clone()
    for rnd in range(max_rounds + 1):
        c = ei.count(z)
        conf = z & (c > 0)
        if not bool(conf.any()):
            return z
        key = (c / w) * (1.0 + 1e-3 * _noise(z, generator))
        key = torch.where(conf, key, torch.full_like(key, -math.inf))
        if rnd < max_rounds:
            z &= ~(conf & (key > ei.max(key)))
        else:
            low = torch.where(conf, -key, torch.full_like(key, -math.inf))
            z &= ~(conf & ~(low > ei.max(low)))
    return z


def augment(
    tg: TorchGraph,
    z: torch.Tensor,
    weight: torch.Tensor | None = None,
    keep: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
    edges: EdgeIndex | None = None,
) -> torch.Tensor:
    """Grow independent sets to maximal ones (batched, parallel greedy).

    A free vertex (allowed, positive weight, no neighbour in the set) joins
    when its key (free degree + 1) / weight, randomly perturbed, is below every
    free neighbour's: the parallel form of min-degree greedy.  On a CPU the
    sequential form runs instead (:func:`~dnnsolve.search.mis_greedy.greedy_fill`).

    >>> from dnnsolve.graph import Graph
    >>> tg = Graph.from_edges(3, [(0, 1), (1, 2)]).to_torch()
    >>> augment(tg, torch.zeros(1, 3, dtype=torch.bool)).tolist()
    [[True, False, True]]
    """
    ei = edges or EdgeIndex(tg)
    w = _weights(tg, weight)
    z = z.bool().clone()
    allowed = _keep(keep, z) & (w > 0)
    if _sequential(z):
        indptr, indices = ei.csr_numpy
        noise = _noise(z, generator).double().numpy()
        out = mis_greedy.greedy_fill(indptr, indices, w.numpy(), z.numpy(), allowed.numpy(), noise)
        return torch.from_numpy(out)
    for _ in range(tg.n + 1):
        free = allowed & ~z & (ei.count(z) == 0)
        if not bool(free.any()):
            break
        key = (ei.count(free) + 1.0) / w.clamp_min(1e-12)
        key = key * (1.0 + 1e-3 * _noise(z, generator))
        neg = torch.where(free, -key, torch.full_like(key, -math.inf))
        z |= free & (-neg < -ei.max(neg))
    return z


def repair(
    tg: TorchGraph,
    z: torch.Tensor,
    weight: torch.Tensor | None = None,
    keep: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
    edges: EdgeIndex | None = None,
) -> torch.Tensor:
    """Conflict removal followed by augmentation: maximal independent sets.

    >>> from dnnsolve.graph import Graph
    >>> tg = Graph.from_edges(4, [(0, 1), (1, 2), (2, 3)]).to_torch()
    >>> repair(tg, torch.tensor([[True, True, False, False]])).sum().item()
    2
    """
    ei = edges or EdgeIndex(tg)
    z = z.bool() & _keep(keep, z.bool())
    z = drop_conflicts(tg, z, weight, generator, edges=ei)
    return augment(tg, z, weight, keep, generator, edges=ei)


def local_search(
    tg: TorchGraph,
    z: torch.Tensor,
    time_limit: float | None = None,
    generator: torch.Generator | None = None,
    weight: torch.Tensor | None = None,
    keep: torch.Tensor | None = None,
    max_iters: int | None = None,
    stall_iters: int | None = None,
    p_plateau: float = 0.2,
    p_perturb: float = 1.0,
    perturb_k: int = 1,
    p_worse: float = 0.1,
    target: float | None = None,
    tenure: int = 7,
    share_every: int = 50,
    max_drift: float = 2.0,
    walk_len: int | None = None,
    p_two_tight: float | tuple[float, ...] = (0.0, 0.7),
    min_iters: int = 500,
    edges: EdgeIndex | None = None,
) -> torch.Tensor:
    """Batched iterated local search for maximum (weight) independent set.

    Each iteration applies, per restart and in parallel, many swaps at once:
    an independent set U of 1-tight non-solution vertices is forced in and
    their unique solution neighbours ("owners") leave, then the set is
    re-augmented to a maximal one. Vertices with a non-adjacent 1-tight sibling
    of the same owner ((1,2)-swap candidates, a sure gain) are taken first,
    other 1-tight vertices with probability ``p_plateau`` (plateau 1-swaps);
    since every u ∈ U evicts exactly one owner, the size never drops. With
    probability ``p_perturb`` a restart also force-inserts ``perturb_k``
    random vertices, 2-tight ones when there are any (the perturbation of
    Andrade, Resende & Werneck 2012). A move is accepted if not worse (a
    perturbed one also with probability ``p_worse``); a walk restarts from its
    incumbent when it falls ``max_drift`` heaviest vertices behind it, or has
    stayed below it for ``walk_len`` iterations. Vertices that left the set
    are tabu for swaps and kicks during a random 0..``tenure`` iterations, so
    a kick is not undone at once. Every ``share_every`` iterations the worst
    quarter of the walks restart from the best incumbent (0 disables).

    With ``p_two_tight`` > 0 a walk also makes (2,2)-swaps: a 2-tight vertex
    enters, its two owners leave, when a 1-tight vertex of one of those owners,
    not adjacent to it, can refill (net 0, or a gain when both refill). These
    are the moves that re-route a solution through a dense region (on MIS
    graphs of SAT formulas: flipping a variable), but mixed with sure gains on
    sparse graphs they cost more than they give, so the default is a
    per-walk population (0, 0.7), tiled over the rows: with 6 s per graph and
    16 walks on one core, SATLIB CBS graphs 5–14 reached the optimum 5 times
    in 10 instead of 2, ER-[700-800] graphs 0–3 averaged 44.5 instead of 44.25,
    and a 3-regular graph (n = 10⁴) lost 0.3 % (4426 vs 4438).

    Walks are cheap in parallel but not free: when a probe iteration of one row
    shows that the time limit affords fewer than ``min_iters`` iterations of all
    rows, only the best rows walk, as many as afford ``min_iters`` (at least one).  On
    graphs of 10⁵–10⁶ vertices one long walk gains far more than many short ones
    (tune instances, 9 s from greedy, 10⁵-vertex 3-regular graph: 44443 with one
    walk, 44060 with 8, 43860 with 16); on graphs of a few thousand vertices the
    row count hardly matters.

    Returns the best set of each row: feasible, maximal, never worse than the
    repaired input row (rows left out return the repaired input). Stops at
    ``time_limit`` (default 5 s), ``max_iters``, after ``stall_iters`` iterations
    without improving any row (default max(300, 2n)), or once a row reaches
    ``target`` (a known optimum).

    >>> from dnnsolve.graph import Graph
    >>> tg = Graph.from_edges(4, [(0, 1), (0, 2), (0, 3)]).to_torch()
    >>> local_search(tg, torch.tensor([[True, False, False, False]]), max_iters=5).tolist()
    [[False, True, True, True]]
    """
    t0 = time.perf_counter()
    ei = edges or EdgeIndex(tg)
    w = _weights(tg, weight)
    z = z.to(tg.device).bool()
    B, n = z.shape
    ok = _keep(keep, z)
    cur = repair(tg, z, w, ok, generator, edges=ei)
    if n == 0 or len(tg.src) == 0:
        return cur
    full, rows = None, None  # all rows' best sets, once only some rows walk on
    limit = math.inf if time_limit is None and max_iters is not None else (time_limit or 5.0)
    if math.isfinite(limit) and B > 1:
        # a probe walk of one row prices an iteration: too few for every walk, and only
        # the best rows walk on, alone
        cur_obj = objective(tg, cur, w)
        t_probe = time.perf_counter()
        probe_gen = torch.Generator(device=tg.device).manual_seed(0)
        top = int(torch.argmax(cur_obj))
        local_search(tg, cur[top : top + 1], None, probe_gen, w, ok[top : top + 1], max_iters=1,
                     p_two_tight=p_two_tight, edges=ei)  # fmt: skip
        per_row = time.perf_counter() - t_probe
        left = limit - (time.perf_counter() - t0)
        k = min(B, max(1, int(left / (min_iters * per_row))))
        if k < B:
            rows = torch.argsort(cur_obj, descending=True, stable=True)[:k]
            full = cur.clone()
            cur, ok = cur[rows], ok[rows]
    best = iterated_local_search(
        _Swaps(tg, ei, w, ok, p_two_tight, p_plateau, p_perturb, perturb_k, generator),
        cur,
        w,
        time_limit=time_limit,
        generator=generator,
        max_iters=max_iters,
        stall_iters=stall_iters,
        p_worse=p_worse,
        target=target,
        tenure=tenure,
        share_every=share_every,
        max_drift=max_drift,
        walk_len=walk_len,
        started=t0,
    )
    if full is not None:
        full[rows] = best
        return full
    return best


class _Swaps:
    """The swap moves of :func:`local_search`: a :class:`~dnnsolve.search.ils.SetMoves`."""

    def __init__(
        self,
        tg: TorchGraph,
        ei: EdgeIndex,
        w: torch.Tensor,
        ok: torch.Tensor,
        p_two_tight: float | tuple[float, ...],
        p_plateau: float,
        p_perturb: float,
        perturb_k: int,
        generator: torch.Generator | None,
    ):
        B, n = ok.shape
        self.tg, self.ei, self.w, self.ok, self.n = tg, ei, w, ok, n
        p_two = torch.as_tensor(p_two_tight, dtype=torch.float32).reshape(-1)
        self.p_two = p_two.repeat(-(-B // len(p_two)))[:B].to(tg.device)  # tiled over the rows
        self.two_tight_on = bool((self.p_two > 0).any())
        self.p_plateau, self.p_perturb, self.perturb_k = p_plateau, p_perturb, perturb_k
        self.generator = generator
        self.idx1 = torch.arange(1, n + 1, device=tg.device, dtype=torch.float32)
        self.neg_inf = torch.full((B, n), -math.inf, device=tg.device)

    def move(self, cur: torch.Tensor, free: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        ei, ok, n, idx1, generator = self.ei, self.ok, self.n, self.idx1, self.generator
        tight = ei.count(cur)
        t1 = ok & ~cur & (tight == 1)
        # the unique solution neighbour ("owner") of each 1-tight vertex
        owner_f = ei.sum(cur.to(torch.float32) * idx1).round()
        owner = (owner_f.long() - 1).clamp(0, n - 1)
        # edges joining two 1-tight vertices of the same owner (float gathers are fast)
        tag = torch.where(t1, owner_f, torch.zeros_like(owner_f))
        tag_r = tag.index_select(1, ei.rows)
        same = (tag_r > 0) & (tag_r == tag.index_select(1, ei.cols))
        adj_sib = torch.zeros_like(tight).index_add_(1, ei.rows, same.to(torch.float32))
        n_sib = torch.zeros_like(tight).scatter_add_(1, owner, t1.to(torch.float32))
        two = t1 & (adj_sib < n_sib.gather(1, owner) - 1)
        # sampled vertices with no sampled neighbour form an independent U,
        # (1,2)-swap candidates first, then plateau 1-swaps
        noise = _noise(cur, generator)
        two &= free
        s2 = two & (noise < 0.5)
        s2 &= ei.count(s2) == 0
        if self.two_tight_on:
            # (2,2)-swaps: a 2-tight vertex whose two owners u, u' leave, with a 1-tight
            # vertex of u or u' not adjacent to it ready to refill (net 0, more with luck)
            t2 = ok & ~cur & (tight == 2) & free
            hi = ei.max(torch.where(cur, idx1, torch.zeros_like(idx1)).expand_as(tight))
            hi = torch.where(t2, hi, torch.zeros_like(hi))
            lo = torch.where(t2, owner_f - hi, torch.zeros_like(hi))
            hi_i = (hi.long() - 1).clamp(0, n - 1)
            lo_i = (lo.long() - 1).clamp(0, n - 1)
            avail = n_sib.gather(1, hi_i) + n_sib.gather(1, lo_i)
            tag_c = tag.index_select(1, ei.cols)
            own_nb = (tag_c > 0) & (
                (tag_c == hi.index_select(1, ei.rows)) | (tag_c == lo.index_select(1, ei.rows))
            )
            avail -= torch.zeros_like(tight).index_add_(1, ei.rows, own_nb.to(torch.float32))
            s3 = t2 & (avail >= 1) & (noise < self.p_two[:, None])
            s3 &= ei.count(s2 | s3) == 0
            s2 = s2 | s3
        s1 = t1 & ~two & free & (noise < self.p_plateau)
        ins = s2 | (s1 & (ei.count(s1 | s2) == 0))
        coin = _noise(cur[:, :1], generator)[:, 0]
        kick = coin < self.p_perturb
        if self.perturb_k > 0 and bool(kick.any()):
            # prefer 2-tight vertices: one insertion evicts two, augmentation may refill
            pool = ok & ~cur & free
            pool2 = pool & (tight == 2)
            pool = torch.where(pool2.any(dim=1, keepdim=True), pool2, pool)
            r = torch.where(pool, _noise(cur, generator), self.neg_inf)
            top = r.topk(min(self.perturb_k, n), dim=1)
            add = torch.zeros_like(cur).scatter_(1, top.indices, top.values >= 0)
            ins = drop_conflicts(self.tg, ins | (add & kick[:, None]), self.w, generator, edges=ei)
        new = (cur & (ei.count(ins) == 0)) | ins
        new = augment(self.tg, new, self.w, ok, generator, edges=ei)
        return new, kick
