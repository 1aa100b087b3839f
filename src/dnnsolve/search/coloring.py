"""Batched Tabucol: conflict-minimizing tabu search for q-colourings, one search per restart.

Every restart b keeps its colouring ``z[b]`` (n,), the conflict table
``γ[b, v, c]`` = number of neighbours of v coloured c, its number of conflicting
edges ``f[b]`` and a tabu table ``T[b, v, c]`` (the iteration until which v may
not take colour c back). One iteration, for all restarts at once:

1. candidate moves (v, c) are the conflicting vertices v (γ[v, z_v] > 0) and the
   colours c ≠ z_v; a move changes the conflicts by δ = γ[v, c] − γ[v, z_v];
2. each restart takes its best non-tabu move, ties broken at random; a tabu move
   is allowed when it would beat the restart's best conflicts (aspiration); when
   every move is tabu the best tabu move is taken;
3. the old colour becomes tabu for v for ``L + α·f`` iterations (Galinier & Hao:
   L uniform in [0, 10), α = 0.6), and γ is updated with one scatter over the
   moved vertex's neighbours (padded neighbour table, no dense matrix).

Only the conflicting vertices are gathered each iteration (a random subset of
at most ``max_candidates`` while there are many), so an iteration costs
O(B · n + B · K · q + B · Δ) with K ≤ ``max_candidates`` and Δ the largest degree. The same code runs on CPU and CUDA.
"""

from __future__ import annotations

import time

import torch

from ..graph import TorchGraph

_BIG = 1.0e6


def count_conflicts(tg: TorchGraph, z: torch.Tensor) -> torch.Tensor:
    """Conflicting (monochromatic) edges of each colouring ``z`` (B, n) → (B,) int64.

    >>> from dnnsolve.graph import Graph
    >>> tg = Graph.from_edges(3, [(0, 1), (1, 2), (0, 2)]).to_torch()
    >>> count_conflicts(tg, torch.tensor([[0, 0, 1], [0, 1, 2]])).tolist()
    [1, 0]
    """
    return (z[:, tg.src] == z[:, tg.dst]).sum(dim=1)


def conflict_table(tg: TorchGraph, z: torch.Tensor, q: int) -> torch.Tensor:
    """γ[b, v, c] = number of neighbours of v with colour c, shape (B, n + 1, q) int32.

    Row ``n`` is a scratch row for the padding of :attr:`TorchGraph.neighbor_table`.

    >>> from dnnsolve.graph import Graph
    >>> tg = Graph.from_edges(3, [(0, 1), (1, 2)]).to_torch()
    >>> conflict_table(tg, torch.tensor([[0, 1, 0]]), 2)[0, :3].tolist()
    [[0, 1], [2, 0], [0, 1]]
    """
    b, n = z.shape
    rows = torch.cat([tg.src, tg.dst])
    cols = torch.cat([tg.dst, tg.src])
    gamma = torch.zeros((b, (n + 1) * q), dtype=torch.int32, device=z.device)
    idx = rows[None, :] * q + z[:, cols]
    gamma.scatter_add_(1, idx, torch.ones_like(idx, dtype=torch.int32))
    return gamma.view(b, n + 1, q)


def tabucol(
    tg: TorchGraph,
    z: torch.Tensor,
    q: int,
    time_limit: float | None = None,
    generator: torch.Generator | None = None,
    *,
    max_iters: int | None = None,
    tenure: int = 10,
    alpha: float = 0.6,
    max_candidates: int = 64,
    stats: dict | None = None,
) -> torch.Tensor:
    """Run Tabucol from every colouring of ``z`` (B, n); return each restart's best colouring.

    Stops when a restart reaches 0 conflicts, after ``time_limit`` seconds or
    after ``max_iters`` iterations (default with neither: 20 000). Without a
    time limit the run is deterministic for a seeded ``generator``. ``stats``,
    when given, receives the number of iterations and the best conflicts.
    While more than ``max_candidates`` vertices conflict, each iteration looks
    at a random subset of that many of them (the early, many-conflict phase).

    >>> import networkx as nx
    >>> from dnnsolve.io import from_networkx
    >>> tg = from_networkx(nx.petersen_graph()).to_torch()
    >>> z0 = torch.zeros(4, 10, dtype=torch.int64)
    >>> best = tabucol(tg, z0, 3, generator=torch.Generator().manual_seed(0))
    >>> int(count_conflicts(tg, best).min())
    0
    """
    if q < 1:
        raise ValueError("q must be at least 1")
    t0 = time.perf_counter()
    if max_iters is None and time_limit is None:
        max_iters = 20_000
    dev = z.device
    z = z.to(torch.int64).clone()
    B, n = z.shape
    if n == 0 or tg.graph.m == 0:
        if stats is not None:
            stats.update(iterations=0, best_conflicts=0)
        return z
    nbr, _ = tg.neighbor_table
    gamma = conflict_table(tg, z, q)
    gflat = gamma.view(-1)
    tabu = torch.zeros((B, n, q), dtype=torch.int64, device=dev)
    f = count_conflicts(tg, z)
    best_f, best_z = f.clone(), z.clone()
    ar = torch.arange(B, device=dev)
    f_gap = torch.zeros_like(f)  # f − best_f
    # random tenure parts L·U[0, 1), drawn in blocks to save kernel launches
    tenures = torch.randint(0, tenure, (1024, B), generator=generator, device=dev)
    stride = (n + 1) * q
    it = 0
    while True:
        own = gamma[:, :n].gather(2, z[:, :, None]).squeeze(2)  # (B, n)
        conf = own > 0
        k_max, f_best = torch.stack([conf.sum(dim=1).max(), best_f.min()]).tolist()
        if f_best == 0 or k_max == 0:
            break
        if max_iters is not None and it >= max_iters:
            break
        if time_limit is not None and time.perf_counter() - t0 >= time_limit:
            break
        sel = conf.to(torch.float32)
        if k_max > max_candidates:  # many conflicts: a random subset of the conflicting vertices
            sel = sel + 0.5 * torch.rand(sel.shape, generator=generator, device=dev)
            k_max = max_candidates
        _, idx = sel.topk(int(k_max), dim=1)  # (all) conflicting vertices first
        valid = conf.gather(1, idx)  # (B, K)
        idx3 = idx[:, :, None].expand(-1, -1, q)
        delta = gamma.gather(1, idx3) - own.gather(1, idx)[:, :, None]  # (B, K, q)
        zc = z.gather(1, idx)
        tabu_k = tabu.gather(1, idx3) > it
        # a tabu move is allowed when it beats the restart's best (aspiration)
        forbid = tabu_k & ((delta + f_gap[:, None, None]) >= 0)
        noise = torch.rand(delta.shape, generator=generator, device=dev)
        key = torch.add(delta.to(torch.float32), noise, alpha=0.5)
        key = torch.where(forbid, key + _BIG, key)
        key.scatter_(2, zc[:, :, None], torch.inf)  # the current colour is no move
        key.masked_fill_(~valid[:, :, None], torch.inf)
        kmin, flat = key.view(B, -1).min(dim=1)
        active = torch.isfinite(kmin) & (f > 0)
        kk, c_new = flat // q, flat % q
        v = idx[ar, kk]
        c_old = z[ar, v]
        d = delta.view(B, -1)[ar, flat].to(torch.int64) * active
        c_new = torch.where(active, c_new, c_old)
        ten = tenures[it % len(tenures)] + (alpha * f).to(torch.int64)
        tabu[ar, v, c_old] = torch.where(active, it + ten + 1, tabu[ar, v, c_old])
        z[ar, v] = c_new
        nb = nbr[v]  # (B, dmax); padding points at the scratch row n
        base = ar[:, None] * stride + nb * q
        sgn = active.to(torch.int32)[:, None].expand_as(nb)
        gflat.index_add_(0, (base + c_old[:, None]).reshape(-1), (-sgn).reshape(-1))
        gflat.index_add_(0, (base + c_new[:, None]).reshape(-1), sgn.reshape(-1))
        f = f + d
        better = f < best_f
        best_f = torch.minimum(f, best_f)
        f_gap = f - best_f
        best_z = torch.where(better[:, None], z, best_z)
        it += 1
    if stats is not None:
        stats["iterations"] = it
        stats["best_conflicts"] = int(best_f.min())
    return best_z


def reduce_colors(tg: TorchGraph, z: torch.Tensor, q: int) -> torch.Tensor:
    """Map colourings with colours ≥ q onto [0, q): each such vertex takes its least-conflict colour.

    Used to warm-start a q-colouring from a (q+1)-colouring. Processes the
    offending vertices one at a time (sequential greedy), so the result has at
    most as many conflicts as the vertices it moved.

    >>> from dnnsolve.graph import Graph
    >>> tg = Graph.from_edges(3, [(0, 1), (1, 2)]).to_torch()
    >>> reduce_colors(tg, torch.tensor([[0, 1, 2]]), 2).tolist()
    [[0, 1, 0]]
    """
    z = z.to(torch.int64).clone()
    B, n = z.shape
    nbr, _ = tg.neighbor_table
    for b in range(B):
        bad = torch.nonzero(z[b] >= q).flatten().tolist()
        for v in bad:
            nb = nbr[v]
            nb = nb[nb < n]
            cnt = torch.bincount(z[b, nb].clamp_max(q), minlength=q + 1)[:q]
            z[b, v] = int(torch.argmin(cnt))
    return z
