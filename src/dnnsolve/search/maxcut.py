"""Batched MaxCut local search: 1-flip greedy descent and tabu search.

Every function works on a batch of restarts ``z`` of shape (B, n) (bool, side
1 = True) on any device. With spins s = 2z − 1 and the local field
h = A_w s, flipping vertex i changes the cut by g_i = s_i h_i. After a flip
only the neighbours' fields change, so h is kept up to date with one
``scatter_add_`` over the padded neighbour table: O(B·dmax) per move, no SpMM.
"""

from __future__ import annotations

import math
import time

import torch

from ..graph import EdgeIndex, TorchGraph
from ._common import (
    CHECK_EVERY,
    ROUNDS_PER_CHECK,
    device_generator,
    gain_tolerance,
    read_due,
    read_every,
    single_thread,
    tie_noise,
)
from .tabu import tabu_loop


def cut_values(tg: TorchGraph, z: torch.Tensor) -> torch.Tensor:
    """Exact cut of each restart, shape (B,) float64.

    >>> from dnnsolve.graph import Graph
    >>> tg = Graph.from_edges(3, [(0, 1), (1, 2), (0, 2)]).to_torch()
    >>> cut_values(tg, torch.tensor([[True, False, False]])).tolist()
    [2.0]
    """
    z = z.to(tg.device).bool()
    crossing = (z[:, tg.src] != z[:, tg.dst]).to(torch.float64)
    return crossing @ tg.weight.to(torch.float64)


def spins(z: torch.Tensor, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Spins s = 2z − 1 in ``dtype``."""
    return z.to(dtype) * 2 - 1


def local_fields(tg: TorchGraph, s: torch.Tensor, adj: torch.Tensor | None = None) -> torch.Tensor:
    """Weighted local fields h = A_w s of spins ``s`` (B, n), padded to (B, n + 1).

    The extra column is the dummy vertex of :attr:`TorchGraph.neighbor_table`.
    """
    B, n = s.shape
    h = torch.zeros(B, n + 1, dtype=s.dtype, device=s.device)
    if n:
        if adj is None:
            adj = tg.adj if s.dtype == tg.dtype else tg.adj.to(s.dtype)
        h[:, :n] = (adj @ s.T.contiguous()).T
    return h


def flip_gains(tg: TorchGraph, z: torch.Tensor) -> torch.Tensor:
    """Cut change of flipping each vertex, shape (B, n) float64.

    >>> from dnnsolve.graph import Graph
    >>> tg = Graph.from_edges(3, [(0, 1), (1, 2)]).to_torch()
    >>> flip_gains(tg, torch.tensor([[False, False, False]])).tolist()
    [[1.0, 2.0, 1.0]]
    """
    s = spins(z.to(tg.device))
    return s * local_fields(tg, s)[:, : tg.n]


def state_dtype(tg: TorchGraph) -> torch.dtype:
    """The dtype of the tabu searches' spins, fields and cuts on ``tg``.

    float32 on an accelerator when the weights are integers with Σ|w| < 2²³: every field,
    gain, cut and difference of two cuts is then an integer below 2²⁴ in magnitude, exact
    in float32, which runs at twice the float64 speed on H100-class GPUs and 32–64 times on
    consumer ones. float64 otherwise: real weights (drift between the exact refreshes),
    and the CPU, where float32 would also change the random draws of seeded runs.

    >>> from dnnsolve.graph import Graph
    >>> state_dtype(Graph.from_edges(2, [(0, 1)]).to_torch())
    torch.float64
    """
    w = tg.weight
    if torch.device(tg.device).type == "cpu" or w.numel() == 0:
        return torch.float64
    exact = torch.stack([(w != w.round()).any().double(), w.double().abs().sum()]).tolist()
    return torch.float32 if exact[0] == 0 and exact[1] < 2**23 else torch.float64


def _table(tg: TorchGraph, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    nbr, w = tg.neighbor_table
    return nbr, w.to(dtype)


class _State:
    """Spins, padded fields and cuts (B, 1) of a batch, updated move by move: a
    :class:`~dnnsolve.search.tabu.FlipState`."""

    def __init__(self, tg: TorchGraph, z: torch.Tensor, dtype: torch.dtype = torch.float64):
        self.tg = tg
        self.nbr, self.w = _table(tg, dtype)
        self.n = tg.n
        self.adj = tg.adj if dtype == tg.dtype else tg.adj.to(dtype)
        self.s = spins(z.to(tg.device), dtype).contiguous()
        self.h = local_fields(tg, self.s, self.adj)
        self.cut = cut_values(tg, z)[:, None].to(dtype)
        self.g = torch.empty_like(self.s)

    def gains(self) -> torch.Tensor:
        torch.mul(self.s, self.h[:, : self.n], out=self.g)
        return self.g

    def flip(self, k: torch.Tensor, gk: torch.Tensor) -> None:
        """Flip vertex ``k[b, 0]`` in every restart b; ``gk`` (B, 1) its gain."""
        sk = self.s.gather(1, k)
        step = sk * -2
        self.s.scatter_(1, k, sk + step)
        # neighbours' fields move by w_jk * (s_k_new - s_k_old)
        kk = k.view(-1)
        self.h.scatter_add_(1, self.nbr.index_select(0, kk), self.w.index_select(0, kk).mul_(step))
        self.cut += gk

    def refresh(self) -> None:
        """Recompute fields and cuts from scratch (drift control for real weights)."""
        self.h = local_fields(self.tg, self.s, self.adj)
        self.cut = cut_values(self.tg, self.s > 0)[:, None].to(self.s.dtype)

    def sides(self) -> torch.Tensor:
        return self.s > 0

    def reset(self, rows: torch.Tensor, z: torch.Tensor) -> None:
        new = spins(z, self.s.dtype)
        self.s = torch.where(rows[:, None], new, self.s).contiguous()
        self.refresh()


@single_thread
def greedy_one_flip(
    tg: TorchGraph,
    z: torch.Tensor,
    max_rounds: int | None = None,
    time_limit: float | None = None,
) -> torch.Tensor:
    """1-flip descent to a local optimum, all restarts at once, many flips per round.

    Each round flips, in every restart, every vertex of positive gain whose
    gain (random tie-break) beats the gains of all its neighbours. Those
    vertices are pairwise non-adjacent, so their gains add up exactly and the
    cut grows by their sum; the row's largest (noisy) gain always flips, so each
    round makes progress and typical descents take tens of rounds, not O(n).
    Stops at a 1-flip local optimum, after ``max_rounds`` (default
    ``4 n + 10``) or after ``time_limit`` seconds.

    >>> from dnnsolve.graph import Graph
    >>> tg = Graph.from_edges(4, [(0, 1), (1, 2), (2, 3), (3, 0)]).to_torch()
    >>> cut_values(tg, greedy_one_flip(tg, torch.zeros(1, 4, dtype=torch.bool))).tolist()
    [4.0]
    """
    if z.dim() != 2 or z.shape[1] != tg.n:
        raise ValueError(f"expected z of shape (B, {tg.n}), got {tuple(z.shape)}")
    if tg.n == 0 or z.shape[0] == 0:
        return z.clone()
    t0 = time.perf_counter()
    ei = EdgeIndex(tg)
    adj = tg.adj
    s = spins(z.to(tg.device), tg.dtype)
    rounds = 4 * tg.n + 10 if max_rounds is None else max_rounds
    tol = gain_tolerance(tg.weight, tg.n)
    gen = torch.Generator(device=tg.device).manual_seed(0)
    every = read_every(tg.device, ROUNDS_PER_CHECK)
    for rnd in range(rounds):
        if time_limit is not None and time.perf_counter() - t0 >= time_limit:
            break
        g = s * (adj @ s.T.contiguous()).T
        good = g > tol
        # a round without a good flip flips nothing: stopping late returns the same
        if read_due(rnd, every) and not bool(good.any()):
            break
        # compare in float32 with a strict >, so two adjacent vertices never both flip;
        # the 1e-3 relative noise breaks ties far above float32 rounding
        u = torch.rand(g.shape, generator=gen, device=g.device)
        key = torch.where(good, g.to(torch.float32) * (1.0 + 1e-3 * u), -math.inf)
        flip = good & (key > ei.max(key))
        s = torch.where(flip, -s, s)
    return s > 0


@single_thread
def tabu_search(
    tg: TorchGraph,
    z: torch.Tensor,
    time_limit: float | None = None,
    max_iters: int | None = None,
    tenure: tuple[int, int] | None = None,
    generator: torch.Generator | None = None,
    perturb_after: int | None = None,
    perturb_fraction: tuple[float, float] = (0.02, 0.08),
    patience: int | None = None,
    target: float | None = None,
) -> torch.Tensor:
    """Batched 1-flip tabu search with perturbation; returns each restart's best.

    Every iteration each restart flips its best non-tabu vertex (a tabu vertex
    is allowed when the move beats that restart's best cut: aspiration). A
    flipped vertex stays tabu for ``randint(*tenure)`` iterations (default
    ``[n/25, n/9] + 1``, capped at (n − 1)/2 for tiny graphs). A restart that has
    not improved its best for ``perturb_after`` iterations (default ``max(500, 3n)``)
    jumps back to its best and flips a random ``perturb_fraction`` share of
    the vertices (breakout); defaults were tuned on Gset G14/G22 (n = 800/2000).
    Stops after ``time_limit`` seconds (checked every 50 iterations),
    ``max_iters`` iterations (with neither: ``20 n``), ``patience``
    iterations without a new best over all restarts, or once a restart's cut
    reaches ``target`` (checked with the clock).

    The result is never worse than the input, restart by restart.

    >>> from dnnsolve.graph import Graph
    >>> tg = Graph.from_edges(5, [(0, 1), (1, 2), (2, 3), (3, 4), (4, 0)]).to_torch()
    >>> z = torch.zeros(2, 5, dtype=torch.bool)
    >>> cut_values(tg, tabu_search(tg, z, max_iters=50)).tolist()
    [4.0, 4.0]
    """
    if z.dim() != 2 or z.shape[1] != tg.n:
        raise ValueError(f"expected z of shape (B, {tg.n}), got {tuple(z.shape)}")
    z = z.to(tg.device).bool()
    if tg.n == 0 or z.shape[0] == 0 or tg.weight.numel() == 0:
        return z.clone()
    t0 = time.perf_counter()
    return tabu_loop(
        _State(tg, z, state_dtype(tg)),
        lambda out: cut_values(tg, out),
        tie_noise(tg.weight),
        time_limit=time_limit,
        max_iters=max_iters,
        tenure=tenure,
        generator=generator,
        perturb_after=perturb_after,
        perturb_fraction=perturb_fraction,
        # the patience count starts after the first block of moves
        patience=None if patience is None else max(patience, 1),
        target=target,
        started=t0,
    )


@single_thread
def parallel_tabu_search(
    tg: TorchGraph,
    z: torch.Tensor,
    time_limit: float | None = None,
    max_iters: int | None = None,
    move_fraction: float | tuple[float, ...] = (0.03, 0.05, 0.1),
    generator: torch.Generator | None = None,
    perturb_fraction: tuple[float, float] = (0.02, 0.08),
    target: float | None = None,
) -> torch.Tensor:
    """Tabu search that makes many non-adjacent moves per iteration; each restart's best.

    Each iteration computes all flip gains, keeps the non-tabu vertices whose
    gain (random tie-break) beats every neighbour's — pairwise non-adjacent,
    so their gains add up exactly — and flips the best ``move_fraction · n``
    of them, worsening moves included, as 1-flip tabu search does one at a
    time. A tuple of fractions is tiled over the restarts (a per-restart
    population: the best share differs by graph family, 0.1 on Gset G70, 0.03
    on the toroidal G65). A tabu vertex may move when its gain alone beats the
    restart's best (aspiration); flipped vertices stay tabu 1–2 iterations.
    On large sparse graphs this does many moves for the price of one: with
    20 s on one CPU core and fraction 0.1 it reached a cut of 9543 on G70
    (n = 10⁴), where 1-flip tabu reached 9177 (best known 9595); on denser
    mid-size graphs (G22) 1-flip tabu is better, so
    :class:`~dnnsolve.problems.maxcut.MaxCut` uses this one only for n ≥ 4000.
    Restarts that stall are sent back to their best and perturbed. Stops at
    ``time_limit`` (default 5 s), ``max_iters``, or a cut ≥ ``target``; never
    returns a row worse than its input.

    >>> from dnnsolve.graph import Graph
    >>> tg = Graph.from_edges(4, [(0, 1), (1, 2), (2, 3), (3, 0)]).to_torch()
    >>> z = torch.zeros(1, 4, dtype=torch.bool)
    >>> cut_values(tg, parallel_tabu_search(tg, z, max_iters=20)).tolist()
    [4.0]
    """
    if z.dim() != 2 or z.shape[1] != tg.n:
        raise ValueError(f"expected z of shape (B, {tg.n}), got {tuple(z.shape)}")
    z = z.to(tg.device).bool()
    B, n = z.shape
    if n == 0 or B == 0 or tg.weight.numel() == 0:
        return z.clone()
    t0 = time.perf_counter()
    limit = math.inf if time_limit is None and max_iters is not None else (time_limit or 5.0)
    iters = max_iters if max_iters is not None else 1 << 62
    dev = tg.device
    gen = device_generator(generator, dev)
    ei = EdgeIndex(tg)
    dtype = state_dtype(tg)
    adj = tg.adj.to(dtype)
    fracs = torch.as_tensor(move_fraction, dtype=torch.float64).reshape(-1)
    k_row = (fracs.repeat(-(-B // len(fracs)))[:B] * n).long().clamp(1, n).to(dev)
    k = int(k_row.max())
    keep_rank = torch.arange(k, device=dev) < k_row[:, None]  # (B, k): row b keeps k_b moves
    stall_limit = max(200, 3 * n // int(k_row.min()))
    noise_scale = tie_noise(tg.weight)

    s = spins(z, dtype).contiguous()
    h = (adj @ s.T.contiguous()).T
    start = cut_values(tg, z)
    cut = start.to(dtype, copy=True)
    best, best_s = cut.clone(), s.clone()
    best_it = torch.zeros(B, dtype=torch.int64, device=dev)
    last_kick = torch.zeros(B, dtype=torch.int64, device=dev)
    tabu = torch.zeros(B, n, dtype=torch.int64, device=dev)
    neg_inf = torch.tensor(-math.inf, device=dev)
    it = 0
    while it < iters:
        # the clock every iteration: on a large graph one iteration of many rows costs tens of
        # milliseconds, so CHECK_EVERY of them overran the budget by seconds (n = 10^5)
        if time.perf_counter() - t0 >= limit:
            break
        if it % CHECK_EVERY == 0:
            stuck = (it - best_it >= stall_limit) & (it - last_kick >= stall_limit)
            # one host read per block: a read waits for the device's queued work
            top, any_stuck = torch.stack([best.max().double(), stuck.any().double()]).tolist()
            if target is not None and top >= target - 1e-9:
                break
            if any_stuck:
                frac = torch.empty(B, 1, dtype=s.dtype, device=dev)
                frac.uniform_(*perturb_fraction, generator=gen)
                flip = torch.rand(B, n, generator=gen, device=dev, dtype=s.dtype) < frac
                s = torch.where(stuck[:, None], torch.where(flip, -best_s, best_s), s)
                s = s.contiguous()
                h = (adj @ s.T.contiguous()).T
                cut = torch.where(stuck, cut_values(tg, s > 0).to(dtype), cut)
                tabu.masked_fill_(stuck[:, None], 0)
                last_kick.masked_fill_(stuck, it)
        g = s * h
        blocked = (tabu > it) & (g <= (best - cut)[:, None])
        u = torch.rand(B, n, generator=gen, device=dev, dtype=g.dtype)
        score = (g + noise_scale * u).to(torch.float32).masked_fill_(blocked, -math.inf)
        # float32 compare with strict >: no two adjacent vertices are both local maxima
        score = torch.where(score > ei.max(score), score, neg_inf)
        top = score.topk(k, dim=1)
        sel = torch.zeros_like(z).scatter_(1, top.indices, (top.values > -math.inf) & keep_rank)
        cut = cut + (g * sel).sum(dim=1)
        s = torch.where(sel, -s, s)
        h = (adj @ s.T.contiguous()).T
        ten = torch.randint(1, 3, (B, 1), generator=gen, device=dev)
        tabu = torch.where(sel, it + ten, tabu)
        it += 1
        # no host read of whether any row improved: unchanged rows keep their values
        up = cut > best + 1e-9
        best = torch.where(up, cut, best)
        best_s = torch.where(up[:, None], s, best_s)
        best_it = torch.where(up, it, best_it)
    out = best_s > 0
    worse = cut_values(tg, out) < start - 1e-9
    return torch.where(worse[:, None], z, out)
