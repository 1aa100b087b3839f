"""Batched kernels for covering problems (the dominating-set family) and k-colouring.

A *covering structure* is a list of constraint rows; row ``j`` is satisfied by a
0/1 vertex vector ``y`` when, for at least one alternative ``a``, the set
``S_aj`` holds at least ``r_aj`` chosen vertices. Each alternative is a sparse
0/1 incidence matrix ``M_a`` (rows × n), so the counts of a whole batch are one
sparse product ``M_a yᵀ`` and nothing n × n is ever dense. Domination is
``S_v = N[v], r = 1``; disjunctive domination adds the alternative "two chosen
vertices at distance ≤ 2"; liar's domination has pair rows with ``r = 3``.

Kernels, all batched over the leading restart dimension of ``y`` (B, n) and
device-agnostic:

* :func:`cover` — parallel greedy: a vertex joins when its gain (deficits it
  reduces) beats every other candidate of every unsatisfied row it touches
  (Luby-style, so the vertex of globally largest gain always joins);
* :func:`prune` — parallel removal of redundant vertices: a removable vertex
  leaves when its random priority beats every other removable vertex sharing
  a row with it, so each row loses at most one vertex per round;
* :func:`iterated_greedy` — destroy (drop random chosen vertices), re-cover,
  prune; accept when not worse; keep each row's best;
* :func:`min_conflicts` — batched min-conflicts walk for k-colouring.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np
import torch

from ._common import CHECK_EVERY, ROUNDS_PER_CHECK, read_due, read_every


class Incidence:
    """A sparse 0/1 matrix (R × n) with batched products and segment maxima.

    >>> inc = Incidence(np.array([0, 0, 1]), np.array([0, 1, 1]), 2, 2)
    >>> inc.count(torch.tensor([[1.0, 1.0]])).tolist()
    [[2.0, 1.0]]
    """

    def __init__(
        self,
        rows: np.ndarray,
        cols: np.ndarray,
        n_rows: int,
        n: int,
        device: torch.device | str = "cpu",
    ):
        dev = torch.device(device)
        self.n_rows, self.n, self.device = int(n_rows), int(n), dev
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        order = np.lexsort((cols, rows))
        rows, cols = rows[order], cols[order]
        self.rows = torch.as_tensor(rows, device=dev)
        self.cols = torch.as_tensor(cols, device=dev)
        self.mat = self._csr(rows, cols, self.n_rows, self.n, dev)
        t_order = np.lexsort((rows, cols))
        self.mat_t = self._csr(cols[t_order], rows[t_order], self.n, self.n_rows, dev)

    @staticmethod
    def _csr(rows: np.ndarray, cols: np.ndarray, nr: int, nc: int, dev) -> torch.Tensor:
        crow = np.zeros(nr + 1, dtype=np.int64)
        crow[1:] = np.cumsum(np.bincount(rows, minlength=nr))
        return torch.sparse_csr_tensor(
            torch.as_tensor(crow, device=dev),
            torch.as_tensor(cols, device=dev),
            torch.ones(len(cols), device=dev),
            (nr, nc),
            check_invariants=False,
        )

    @property
    def nnz(self) -> int:
        return len(self.cols)

    def count(self, y: torch.Tensor) -> torch.Tensor:
        """Row sums ``M y`` for a batch (B, n) → (B, R) float32 (differentiable in ``y``)."""
        return (self.mat @ y.to(torch.float32).T.contiguous()).T

    def back(self, w: torch.Tensor) -> torch.Tensor:
        """``Mᵀ w`` for row weights (B, R) → (B, n) float32."""
        return (self.mat_t @ w.to(torch.float32).T.contiguous()).T

    def row_max(self, p: torch.Tensor) -> torch.Tensor:
        """Per row, the max of ``p`` (B, n) over its vertices → (B, R) (−inf for empty rows)."""
        B = p.shape[0]
        out = torch.full((B, self.n_rows), -math.inf, device=p.device, dtype=p.dtype)
        idx = self.rows.expand(B, -1)
        return out.scatter_reduce_(1, idx, p.index_select(1, self.cols), "amax")

    def col_max(self, q: torch.Tensor) -> torch.Tensor:
        """Per vertex, the max of ``q`` (B, R) over the rows holding it → (B, n)."""
        B = q.shape[0]
        out = torch.full((B, self.n), -math.inf, device=q.device, dtype=q.dtype)
        idx = self.cols.expand(B, -1)
        return out.scatter_reduce_(1, idx, q.index_select(1, self.rows), "amax")


class Covering:
    """Constraint rows with one or two alternatives each (see the module docstring).

    ``alts[a]`` is the incidence of alternative ``a`` and ``need[a]`` (R,) its
    thresholds. With two alternatives, ``union`` and ``inter`` hold
    ``S_1j ∪ S_2j`` and ``S_1j ∩ S_2j`` (needed by :func:`prune`).

    >>> c = Covering([Incidence(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), 2, 2)], [[1, 1]])
    >>> c.satisfied(torch.tensor([[True, False], [False, False]])).tolist()
    [True, False]
    """

    def __init__(
        self,
        alts: Sequence[Incidence],
        need: Sequence[Sequence[float] | np.ndarray],
        union: Incidence | None = None,
        inter: Incidence | None = None,
    ):
        if not 1 <= len(alts) <= 2 or len(alts) != len(need):
            raise ValueError("a covering has one or two alternatives, each with thresholds")
        self.alts = list(alts)
        dev = alts[0].device
        self.need = [torch.as_tensor(np.asarray(r), dtype=torch.float32, device=dev) for r in need]
        self.n_rows, self.n, self.device = alts[0].n_rows, alts[0].n, dev
        if len(alts) == 2 and (union is None or inter is None):
            raise ValueError("two alternatives need their union and intersection incidences")
        self.union = union if union is not None else alts[0]
        self.inter = inter

    # -- counts ----------------------------------------------------------------
    def slacks(self, y: torch.Tensor) -> list[torch.Tensor]:
        """Per alternative, ``M_a y − r_a`` (B, R); a row is satisfied when some slack ≥ 0."""
        return [inc.count(y) - r for inc, r in zip(self.alts, self.need)]

    def unsatisfied(self, y: torch.Tensor) -> torch.Tensor:
        """(B, R) bool: rows no alternative satisfies."""
        s = self.slacks(y)
        bad = s[0] < -0.5
        for extra in s[1:]:
            bad &= extra < -0.5
        return bad

    def satisfied(self, y: torch.Tensor) -> torch.Tensor:
        """(B,) bool: every row is satisfied."""
        return ~self.unsatisfied(y).any(dim=1)

    def deficit(self, y: torch.Tensor) -> torch.Tensor:
        """Relaxed shortfall ``min_a ReLU(r_a − M_a y)`` per row, (B, R), differentiable."""
        d = None
        for inc, r in zip(self.alts, self.need):
            da = torch.relu(r - inc.count(y))
            d = da if d is None else torch.minimum(d, da)
        assert d is not None
        return d

    # -- moves -----------------------------------------------------------------
    def gain(self, y: torch.Tensor, unsat: torch.Tensor, slacks: list[torch.Tensor]):
        """How much each vertex helps the unsatisfied rows: Σ_a Σ_j [j unsat] / deficit_aj."""
        g = torch.zeros(y.shape, dtype=torch.float32, device=y.device)
        for inc, s in zip(self.alts, slacks):
            w = torch.where(unsat, 1.0 / (-s).clamp_min(1.0), torch.zeros_like(s))
            g += inc.back(w)
        return g

    def critical(self, y: torch.Tensor) -> torch.Tensor:
        """(B, n) bool: chosen vertices whose removal breaks some row."""
        s = self.slacks(y)
        tight = [x.abs() < 0.5 for x in s]
        if len(s) == 1:
            hit = self.alts[0].back(tight[0])
        else:
            u = [x < -0.5 for x in s]
            hit = self.alts[0].back(tight[0] & u[1]) + self.alts[1].back(tight[1] & u[0])
            assert self.inter is not None
            hit += self.inter.back(tight[0] & tight[1])
        return hit > 0.5


def _noise(shape, generator: torch.Generator | None, device) -> torch.Tensor:
    return torch.rand(shape, generator=generator, device=device)


def cover(cov: Covering, y: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Add vertices until every row is satisfied (parallel greedy; batched).

    Assumes the all-ones vector is feasible (checked when a problem is built).

    >>> inc = Incidence(np.array([0, 0, 1, 1, 1, 2, 2]), np.array([0, 1, 0, 1, 2, 1, 2]), 3, 3)
    >>> cover(Covering([inc], [[1, 1, 1]]), torch.zeros(1, 3, dtype=torch.bool)).tolist()
    [[False, True, False]]
    """
    y = y.bool().clone()
    every = read_every(y.device, ROUNDS_PER_CHECK)
    for rnd in range(cov.n + 1):
        s = cov.slacks(y)
        unsat = s[0] < -0.5
        for extra in s[1:]:
            unsat &= extra < -0.5
        # with every row satisfied no vertex gains, so none joins: stopping late returns the same
        if read_due(rnd, every) and not bool(unsat.any()):
            break
        g = cov.gain(y, unsat, s)
        cand = ~y & (g > 1e-6)
        key = g * (1.0 + 1e-3 * _noise(g.shape, generator, g.device))
        key = torch.where(cand, key, torch.full_like(key, -math.inf))
        best_row = cov.union.row_max(key)
        best_row = torch.where(unsat, best_row, torch.full_like(best_row, -math.inf))
        y |= cand & (key >= cov.union.col_max(best_row))
    return y


def prune(
    cov: Covering,
    y: torch.Tensor,
    generator: torch.Generator | None = None,
    keep_out: torch.Tensor | None = None,
) -> torch.Tensor:
    """Remove redundant vertices until every chosen vertex is needed (parallel; batched).

    ``keep_out`` (B, n) bool, optional: vertices not to remove this call.

    >>> inc = Incidence(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), 2, 2)
    >>> prune(Covering([inc], [[1, 1]]), torch.ones(1, 2, dtype=torch.bool)).sum().item()
    1
    """
    y = y.bool().clone()
    every = read_every(y.device, ROUNDS_PER_CHECK)
    for rnd in range(cov.n + 1):
        removable = y & ~cov.critical(y)
        if keep_out is not None:
            removable &= ~keep_out
        # a round without removable vertices removes nothing: stopping late returns the same
        if read_due(rnd, every) and not bool(removable.any()):
            break
        key = _noise(y.shape, generator, y.device)
        key = torch.where(removable, key, torch.full_like(key, -math.inf))
        row_best = cov.union.row_max(key)
        if len(cov.alts) == 1:
            # a row whose slack covers all its removable members cannot break: only the
            # other rows limit removals to their highest key (many more leave per round)
            inc, need = cov.alts[0], cov.need[0]
            slack = inc.count(y) - need
            loose = inc.count(removable) <= slack + 0.5
            row_best = torch.where(loose, torch.full_like(row_best, -math.inf), row_best)
        y &= ~(removable & (key >= cov.union.col_max(row_best)))
    return y


def repair(cov: Covering, y: torch.Tensor, generator: torch.Generator | None = None):
    """:func:`cover` then :func:`prune`: feasible, minimal (no chosen vertex is redundant)."""
    return prune(cov, cover(cov, y, generator), generator)


def iterated_greedy(
    cov: Covering,
    y: torch.Tensor,
    time_limit: float | None = None,
    generator: torch.Generator | None = None,
    max_iters: int | None = None,
    stall_iters: int | None = None,
    target: float | None = None,
    drop: Sequence[float] = (0.03, 0.08, 0.15),
    p_worse: float = 0.05,
    share_every: int = 25,
) -> torch.Tensor:
    """Batched iterated greedy for minimum covers; returns each row's best (feasible, minimal).

    Per iteration and restart: drop each chosen vertex with probability
    ``drop[b % len(drop)]`` (at least one), :func:`cover`, :func:`prune`; accept
    when not larger (or, rarely, one larger with probability ``p_worse``).
    Every ``share_every`` iterations the worst quarter restarts from the best.
    Stops at ``time_limit`` seconds, ``max_iters`` iterations, ``stall_iters``
    iterations without a new best (default max(200, n)), or when a row reaches
    ``target`` chosen vertices.

    >>> inc = Incidence(np.array([0, 0, 1, 1, 1, 2, 2]), np.array([0, 1, 0, 1, 2, 1, 2]), 3, 3)
    >>> iterated_greedy(Covering([inc], [[1, 1, 1]]), torch.ones(2, 3), max_iters=5).sum(1).tolist()
    [1, 1]
    """
    t0 = time.perf_counter()
    limit = math.inf if time_limit is None else time_limit
    if time_limit is None and max_iters is None:
        max_iters = 200
    iters = max_iters if max_iters is not None else 1 << 30
    cur = repair(cov, y.to(cov.device), generator)
    B, n = cur.shape
    size = cur.sum(dim=1)
    best, best_size = cur.clone(), size.clone()
    p = torch.as_tensor(list(drop), dtype=torch.float32, device=cur.device)
    p = p.repeat(-(-B // len(p)))[:B][:, None]
    stall_limit = stall_iters if stall_iters is not None else max(200, n)
    goal = -math.inf if target is None else target + 1e-9
    every = read_every(cur.device, CHECK_EVERY)
    # the stop tests run on the device and are read every `every` iterations; the
    # iterations after they hold change nothing (`live` is False)
    stall = torch.zeros((), dtype=torch.int64, device=cur.device)
    done = torch.zeros((), dtype=torch.bool, device=cur.device)
    for it in range(iters):
        if time.perf_counter() - t0 >= limit or n == 0:
            break
        done |= (stall >= stall_limit) | (best_size.min() <= goal)
        if read_due(it, every) and bool(done):
            break
        live = ~done
        r = _noise(cur.shape, generator, cur.device)
        out = cur & (r < p)
        # at least one: the chosen vertex with the smallest draw
        first = torch.where(cur, r, torch.full_like(r, 2.0)).argmin(dim=1, keepdim=True)
        out.scatter_(1, first, cur.gather(1, first))
        new = repair(cov, cur & ~out, generator)
        new_size = new.sum(dim=1)
        coin = _noise((B,), generator, cur.device)
        acc = (new_size <= size) | ((new_size == size + 1) & (coin < p_worse))
        acc &= live
        cur = torch.where(acc[:, None], new, cur)
        size = torch.where(acc, new_size, size)
        up = size < best_size
        stall = torch.where(up.any(), 0, stall + 1)
        best = torch.where(up[:, None], cur, best)
        best_size = torch.where(up, size, best_size)
        # walks that drifted two above their incumbent go back to it
        back = (size > best_size + 1) & live
        if share_every and B >= 4 and it % share_every == share_every - 1:
            best, best_size, back = _share(best, best_size, back, live)
        cur = torch.where(back[:, None], best, cur)
        size = torch.where(back, best_size, size)
    return best


def _share(best: torch.Tensor, best_size: torch.Tensor, back: torch.Tensor, live: torch.Tensor):
    """The worst quarter of the rows take the best incumbent and go back to it (when
    ``live``); index tensors throughout, so no host read."""
    B = len(best_size)
    lead = best_size.argmin(dim=0, keepdim=True)
    worst = torch.argsort(best_size, descending=True)[: B // 4]
    take = torch.zeros_like(back).index_fill_(0, worst, True) & live
    best = torch.where(take[:, None], best.index_select(0, lead), best)
    best_size = torch.where(take, best_size.index_select(0, lead), best_size)
    return best, best_size, back | take


# ---------------------------------------------------------------- k-colouring


def colour_counts(
    adj: torch.Tensor, colours: torch.Tensor, k: int, onehot: torch.Tensor | None = None
) -> torch.Tensor:
    """(B, n, k): number of neighbours of each vertex holding each colour.

    ``adj`` is a sparse (n × n) 0/1 CSR adjacency; ``colours`` (B, n) long.
    """
    B, n = colours.shape
    if onehot is None:
        # a scatter, not F.one_hot: that one reads the colours' min and max on the host (CPU)
        onehot = torch.zeros(B, n, k, device=colours.device)
        onehot.scatter_(2, colours[:, :, None], 1.0)
    flat = onehot.permute(1, 0, 2).reshape(n, B * k)
    return (adj @ flat).reshape(n, B, k).permute(1, 0, 2)


def conflicts(src: torch.Tensor, dst: torch.Tensor, colours: torch.Tensor) -> torch.Tensor:
    """(B,) number of edges whose ends share a colour."""
    return (colours[:, src] == colours[:, dst]).sum(dim=1)


def min_conflicts(
    adj: torch.Tensor,
    src: torch.Tensor,
    dst: torch.Tensor,
    colours: torch.Tensor,
    k: int,
    time_limit: float | None = None,
    generator: torch.Generator | None = None,
    max_iters: int | None = None,
    p_walk: float = 0.05,
    tenure: int = 10,
) -> torch.Tensor:
    """Batched min-conflicts tabu walk; returns each row's colouring with fewest conflicts.

    Each iteration every conflicted vertex picks its least-conflicting colour
    (not one it left within ``tenure`` iterations; a random colour with
    probability ``p_walk``); moving vertices form an independent set (random
    priorities, Luby-style) so neighbours never move together. Stops at zero
    conflicts, ``time_limit`` or ``max_iters`` (default 2000 without a limit).

    >>> from dnnsolve.graph import Graph
    >>> tg = Graph.from_edges(3, [(0, 1), (1, 2), (0, 2)]).to_torch()
    >>> c = min_conflicts(tg.adj01, tg.src, tg.dst, torch.zeros(1, 3, dtype=torch.long), 3)
    >>> conflicts(tg.src, tg.dst, c).tolist()
    [0]
    """
    t0 = time.perf_counter()
    limit = math.inf if time_limit is None else time_limit
    if time_limit is None and max_iters is None:
        max_iters = 2000
    iters = max_iters if max_iters is not None else 1 << 30
    cur = colours.clone()
    B, n = cur.shape
    best = cur.clone()
    best_c = conflicts(src, dst, cur)
    if n == 0 or len(src) == 0:
        return best
    tabu = torch.zeros((B, n, k), dtype=torch.int64, device=cur.device)
    crow, col = adj.crow_indices(), adj.col_indices()
    row = torch.repeat_interleave(torch.arange(n, device=cur.device), crow[1:] - crow[:-1])
    # the stop test is read every `every` iterations; after it holds, best stays as it is
    every = read_every(cur.device, CHECK_EVERY)
    for it in range(iters):
        live = best_c.min() > 0
        if read_due(it, every) and not bool(live):
            break
        if time.perf_counter() - t0 >= limit:
            break
        cnt = colour_counts(adj, cur, k)
        own = cnt.gather(2, cur[:, :, None])[:, :, 0]
        conf = own > 0.5
        score = cnt + 1e-3 * _noise(cnt.shape, generator, cnt.device)
        score = torch.where(tabu > it, score + 1e6, score)
        score.scatter_(2, cur[:, :, None], math.inf)
        best_score, choice = score.min(dim=2)
        rnd = torch.randint(0, k, cur.shape, generator=generator, device=cur.device)
        walk = _noise(cur.shape, generator, cur.device) < p_walk
        choice = torch.where(walk, rnd, choice)
        # a conflicted vertex moves when that does not add conflicts (or on a random walk)
        willing = conf & ((best_score <= own + 0.5) | walk)
        prio = torch.where(willing, _noise(cur.shape, generator, cur.device), -1.0)
        # max priority over neighbours: gather over the CSR columns, scatter-max per row
        nbmax = torch.full((B, n), -2.0, device=cur.device).scatter_reduce_(
            1, row.expand(B, -1), prio.index_select(1, col), "amax"
        )
        move = willing & (prio > nbmax)
        ten = torch.randint(1, tenure + 1, (B, n), generator=generator, device=cur.device)
        old = tabu.gather(2, cur[:, :, None])[:, :, 0]
        tabu.scatter_(2, cur[:, :, None], torch.where(move, it + ten, old)[:, :, None])
        cur = torch.where(move, choice, cur)
        c = conflicts(src, dst, cur)
        up = (c < best_c) & live
        best = torch.where(up[:, None], cur, best)
        best_c = torch.where(up, c, best_c)
    return best
