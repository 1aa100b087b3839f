"""Batched hypergraph-MaxCut local search: parallel greedy descent and 1-flip tabu search.

A hyperedge is cut when its members are not all on the same side. With
``cnt[b, e]`` the number of side-1 members of edge e in restart b and
``size[e]`` its size, flipping a member v moves ``cnt`` by ±1, so the gain of v
is Σ_{e∋v} w_e ([0 < c' < s] − [0 < c < s]) with c' = c ∓ 1. After a flip only
the members of v's edges change gain; the tabu search updates them through
padded tables (edges of v × members of each edge), O(B · dmax · kmax) per move.
Every function works on (B, n) bool batches on any device.
"""

from __future__ import annotations

import math
import time

import torch

from ..hypergraph import TorchHypergraph
from ._common import (
    ROUNDS_PER_CHECK,
    device_generator,
    gain_tolerance,
    read_due,
    read_every,
    single_thread,
    tie_noise,
)
from .tabu import tabu_loop

# above this many (edge, member) pairs per move the tabu search recomputes gains in full
_MAX_INCREMENTAL = 4096


def side_counts(th: TorchHypergraph, z: torch.Tensor) -> torch.Tensor:
    """Number of side-1 members of every hyperedge, (B, m) int64."""
    zi = z.to(th.device).to(torch.int64)[:, th.inc_vertex]
    out = torch.zeros(z.shape[0], th.m, dtype=torch.int64, device=th.device)
    return out.index_add_(1, th.inc_edge, zi)


def _cut_flag(c: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    return ((c > 0) & (c < s)).to(torch.float64)


def cut_values(th: TorchHypergraph, z: torch.Tensor) -> torch.Tensor:
    """Exact weighted cut of each restart, (B,) float64.

    >>> from dnnsolve.hypergraph import Hypergraph
    >>> th = Hypergraph.from_edges(4, [(0, 1, 2), (2, 3), (0, 3)]).to_torch()
    >>> cut_values(th, torch.tensor([[True, True, True, False]])).tolist()
    [2.0]
    """
    cnt = side_counts(th, z)
    return _cut_flag(cnt, th.sizes) @ th.weight64


def flip_gains(th: TorchHypergraph, z: torch.Tensor, cnt: torch.Tensor | None = None):
    """Cut change of flipping each vertex, (B, n) float64.

    >>> from dnnsolve.hypergraph import Hypergraph
    >>> th = Hypergraph.from_edges(3, [(0, 1, 2), (1, 2)]).to_torch()
    >>> flip_gains(th, torch.tensor([[False, False, False]])).tolist()
    [[1.0, 2.0, 2.0]]
    """
    z = z.to(th.device)
    if cnt is None:
        cnt = side_counts(th, z)
    c = cnt[:, th.inc_edge]
    s = th.sizes[th.inc_edge]
    zv = z.to(torch.int64)[:, th.inc_vertex]
    delta = _cut_flag(c + 1 - 2 * zv, s) - _cut_flag(c, s)
    vals = delta * th.weight64[th.inc_edge]
    out = torch.zeros(z.shape[0], th.n, dtype=torch.float64, device=th.device)
    return out.index_add_(1, th.inc_vertex, vals)


@single_thread
def greedy_descent(
    th: TorchHypergraph,
    z: torch.Tensor,
    max_rounds: int | None = None,
    time_limit: float | None = None,
) -> torch.Tensor:
    """1-flip descent to a local optimum, many flips per round, all restarts at once.

    Each round flips every vertex of positive gain that owns all its hyperedges:
    the owner of an edge is its member of largest (randomly tie-broken) gain,
    smallest index among equals. Flipped vertices share no hyperedge, so their
    gains add up exactly. Stops at a local optimum, after ``max_rounds``
    (default 4 n + 10) or ``time_limit`` seconds.

    >>> from dnnsolve.hypergraph import Hypergraph
    >>> th = Hypergraph.from_edges(4, [(0, 1), (1, 2), (2, 3), (0, 3)]).to_torch()
    >>> cut_values(th, greedy_descent(th, torch.zeros(1, 4, dtype=torch.bool))).tolist()
    [4.0]
    """
    if z.dim() != 2 or z.shape[1] != th.n:
        raise ValueError(f"expected z of shape (B, {th.n}), got {tuple(z.shape)}")
    z = z.to(th.device).bool().clone()
    B, n = z.shape
    if n == 0 or B == 0 or th.m == 0:
        return z
    t0 = time.perf_counter()
    rounds = 4 * n + 10 if max_rounds is None else max_rounds
    tol = gain_tolerance(th.weight64, th.m)
    noise = tie_noise(th.weight64)
    gen = torch.Generator(device=th.device).manual_seed(0)
    e_idx = th.inc_edge.expand(B, -1)
    v_inc = th.inc_vertex
    every = read_every(th.device, ROUNDS_PER_CHECK)
    for rnd in range(rounds):
        if time_limit is not None and time.perf_counter() - t0 >= time_limit:
            break
        g = flip_gains(th, z)
        good = g > tol
        # a round without a good flip flips nothing: stopping late returns the same
        if read_due(rnd, every) and not bool(good.any()):
            break
        u = torch.rand(g.shape, generator=gen, device=g.device, dtype=g.dtype)
        key = torch.where(good, g + noise * u, -math.inf)
        kinc = key[:, v_inc]
        emax = torch.full((B, th.m), -math.inf, dtype=key.dtype, device=key.device)
        emax.scatter_reduce_(1, e_idx, kinc, "amax")
        cand = torch.where(kinc == emax[:, th.inc_edge], v_inc, n)
        owner = torch.full((B, th.m), n, dtype=torch.int64, device=key.device)
        owner.scatter_reduce_(1, e_idx, cand, "amin")
        own = (owner[:, th.inc_edge] == v_inc).to(torch.int64)
        n_own = torch.zeros(B, n, dtype=torch.int64, device=key.device)
        n_own.index_add_(1, v_inc, own)
        flip = good & (n_own == th.vdeg)
        z ^= flip
    return z


class _State:
    """Sides, side-1 counts, gains and cuts of a batch, updated flip by flip: a
    :class:`~dnnsolve.search.tabu.FlipState`.

    Per vertex v the tables hold its incident edges (padded with the dummy edge
    m), their sizes and weights, and the other members of each (v itself and
    padding point at the dummy vertex n), so a flip is a handful of gathers.
    """

    def __init__(self, th: TorchHypergraph, z: torch.Tensor):
        self.th = th
        B, n = z.shape
        dev = th.device
        self.n, self.m = n, th.m
        inc = th.incident_table  # (n + 1, dmax)
        mem = th.member_table  # (m + 1, kmax)
        self.incremental = inc.shape[1] * mem.shape[1] <= _MAX_INCREMENTAL
        size = torch.cat([th.sizes, th.sizes.new_zeros(1)])
        w = torch.cat([th.weight64, th.weight64.new_zeros(1)])
        self.inc = inc
        if self.incremental:
            others = mem[inc]  # (n + 1, dmax, kmax)
            own = torch.arange(n + 1, device=dev)[:, None, None]
            self.others = others.masked_fill(others == own, n).flatten(1)
            self.inc_w = w[inc][:, :, None]
            # gain change of a member u of an edge of the flipped vertex k, looked up by
            # (count before, edge size, side of u, side of k): lut[((c·S + s)·2 + z_u)·2 + z_k]
            S = int(size.max()) + 2
            c = torch.arange(S + 1, device=dev).view(-1, 1, 1, 1)
            sz = torch.arange(S, device=dev).view(1, -1, 1, 1)
            du = 1 - 2 * torch.arange(2, device=dev).view(1, 1, -1, 1)
            step = 1 - 2 * torch.arange(2, device=dev).view(1, 1, 1, -1)
            cn = c + step
            lut = (_cut_flag(cn + du, sz) - _cut_flag(cn, sz) - _cut_flag(c + du, sz)) + _cut_flag(
                c.expand_as(cn), sz
            )
            self.lut = lut.reshape(-1).contiguous()
            self.c_stride = S * 4
            self.inc_base = (size[inc] * 4)[:, :, None]
        self.size, self.w = size, w
        self.z = torch.zeros(B, n + 1, dtype=torch.int64, device=dev)
        self.z[:, :n] = z.to(torch.int64)
        self.refresh()

    def refresh(self) -> None:
        zb = self.z[:, : self.n] > 0
        B = zb.shape[0]
        self.cnt = torch.zeros(B, self.m + 1, dtype=torch.int64, device=self.z.device)
        self.cnt[:, : self.m] = side_counts(self.th, zb)
        self.g = torch.zeros(B, self.n + 1, dtype=torch.float64, device=self.z.device)
        self.g[:, : self.n] = flip_gains(self.th, zb, self.cnt[:, : self.m])
        self.cut = (_cut_flag(self.cnt, self.size) @ self.w)[:, None]

    def flip(self, k: torch.Tensor, gk: torch.Tensor) -> None:
        """Flip vertex ``k[b, 0]`` in every restart b; ``gk`` (B, 1) its gain."""
        kk = k.view(-1)
        E = self.inc.index_select(0, kk)  # (B, dmax)
        zk = self.z.gather(1, k)
        step = 1 - 2 * zk  # +1: 0 → 1
        if self.incremental:
            B, D = E.shape
            base = self.cnt.gather(1, E).unsqueeze(2) * self.c_stride
            base += self.inc_base.index_select(0, kk)
            base += zk.unsqueeze(2)
            M = self.others.index_select(0, kk)  # (B, dmax * kmax)
            idx = self.z.gather(1, M).view(B, D, -1) * 2 + base
            diff = self.lut.take(idx) * self.inc_w.index_select(0, kk)
            self.g.scatter_add_(1, M, diff.view(B, -1))
            self.g.scatter_(1, k, -gk)
        self.cnt.scatter_add_(1, E, step.expand_as(E))
        self.cnt[:, self.m] = 0  # the dummy edge of the padding stays empty
        self.z.scatter_(1, k, zk + step)
        self.cut += gk
        if not self.incremental:
            zb = self.z[:, : self.n] > 0
            self.g[:, : self.n] = flip_gains(self.th, zb, self.cnt[:, : self.m])

    def gains(self) -> torch.Tensor:
        return self.g[:, : self.n]

    def sides(self) -> torch.Tensor:
        return self.z[:, : self.n] > 0

    def reset(self, rows: torch.Tensor, z: torch.Tensor) -> None:
        self.z[:, : self.n] = torch.where(rows[:, None], z.to(torch.int64), self.z[:, : self.n])
        self.refresh()


@single_thread
def tabu_search(
    th: TorchHypergraph,
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

    Every iteration each restart flips its best non-tabu vertex (a tabu move is
    allowed when it beats that restart's best: aspiration); the vertex stays
    tabu for ``randint(*tenure)`` iterations (default ``[n/25, n/9] + 1``, capped
    at (n − 1)/2). A restart without a new best for ``perturb_after``
    iterations (default ``max(500, 3n)``) returns to its best and flips a random
    ``perturb_fraction`` share of vertices. Stops after ``time_limit`` seconds,
    ``max_iters`` iterations (with neither: 20 n), ``patience`` iterations
    without a new overall best, or once a cut reaches ``target``. Never returns
    a row worse than its input.

    >>> from dnnsolve.hypergraph import Hypergraph
    >>> th = Hypergraph.from_edges(5, [(0, 1, 2), (2, 3), (3, 4), (4, 0), (1, 3)]).to_torch()
    >>> cut_values(th, tabu_search(th, torch.zeros(2, 5, dtype=torch.bool), max_iters=50)).tolist()
    [5.0, 5.0]
    """
    if z.dim() != 2 or z.shape[1] != th.n:
        raise ValueError(f"expected z of shape (B, {th.n}), got {tuple(z.shape)}")
    z = z.to(th.device).bool()
    if th.n == 0 or z.shape[0] == 0 or th.m == 0:
        return z.clone()
    t0 = time.perf_counter()
    return tabu_loop(
        _State(th, z),
        lambda out: cut_values(th, out),
        tie_noise(th.weight64),
        time_limit=time_limit,
        max_iters=max_iters,
        tenure=tenure,
        generator=generator,
        perturb_after=perturb_after,
        perturb_fraction=perturb_fraction,
        patience=patience,
        target=target,
        tol=1e-9,
        started=t0,
    )


def color_classes(th: TorchHypergraph) -> list[torch.Tensor]:
    """Greedy colouring of the vertices so that no two of one colour share a hyperedge.

    Vertices of one class can flip simultaneously with exactly additive gains.
    Degree-0 vertices are left out (their flips change nothing).

    >>> from dnnsolve.hypergraph import Hypergraph
    >>> th = Hypergraph.from_edges(4, [(0, 1, 2), (2, 3)]).to_torch()
    >>> [c.tolist() for c in color_classes(th)]
    [[2], [0, 3], [1]]
    """
    cached = getattr(th, "_color_classes", None)
    if cached is not None:
        return cached
    hg = th.hg
    ptr, ev = hg.edge_ptr.tolist(), hg.edge_vertices.tolist()
    inc: list[list[int]] = [[] for _ in range(hg.n)]
    for e in range(hg.m):
        for v in ev[ptr[e] : ptr[e + 1]]:
            inc[v].append(e)
    color = [-1] * hg.n
    order = sorted(range(hg.n), key=lambda v: -len(inc[v]))
    for v in order:
        if not inc[v]:
            continue
        used = {color[u] for e in inc[v] for u in ev[ptr[e] : ptr[e + 1]]}
        c = 0
        while c in used:
            c += 1
        color[v] = c
    cols = torch.as_tensor(color, dtype=torch.int64)
    k = int(cols.max()) + 1 if hg.n else 0
    classes = [torch.nonzero(cols == c).flatten().to(th.device) for c in range(k)]
    th._color_classes = classes
    return classes


class _ClassTables:
    """Incidences of one colour class, grouped by vertex, for the annealing sweeps."""

    def __init__(self, th: TorchHypergraph, verts: torch.Tensor, stride: int):
        inc = th.incident_table[verts]  # (k, dmax), padded with edge m
        real = inc < th.m
        self.verts = verts
        self.loc = torch.arange(len(verts), device=th.device)[:, None].expand_as(inc)[real]
        self.edges = inc[real]
        self.base = th.sizes[self.edges] * 2
        self.w = th.weight64[self.edges]
        self.stride = stride


@single_thread
def parallel_annealing(
    th: TorchHypergraph,
    z: torch.Tensor,
    time_limit: float | None = None,
    max_sweeps: int | None = None,
    t_start: float = 1.0,
    t_end: float = 0.02,
    generator: torch.Generator | None = None,
    target: float | None = None,
) -> torch.Tensor:
    """Chromatic simulated annealing, all restarts at once; returns each restart's best.

    A sweep visits the colour classes of :func:`color_classes` in turn; the
    vertices of one class share no hyperedge, so each is offered a Metropolis
    flip (accepted with probability min(1, exp(g / T))) at the same time and
    exactly, as sequential single-flip annealing would in that order. T falls
    geometrically from ``t_start`` to ``t_end`` (times the mean |weight|) over
    ``time_limit`` seconds or ``max_sweeps`` sweeps (with neither: 100). The
    best state is recorded after every sweep; never returns a row worse than
    its input.

    >>> from dnnsolve.hypergraph import Hypergraph
    >>> th = Hypergraph.from_edges(4, [(0, 1), (1, 2), (2, 3), (0, 3), (0, 2, 3)]).to_torch()
    >>> z = torch.zeros(2, 4, dtype=torch.bool)
    >>> cut_values(th, parallel_annealing(th, z, max_sweeps=50)).tolist()
    [5.0, 5.0]
    """
    if z.dim() != 2 or z.shape[1] != th.n:
        raise ValueError(f"expected z of shape (B, {th.n}), got {tuple(z.shape)}")
    z = z.to(th.device).bool()
    B, n = z.shape
    if n == 0 or B == 0 or th.m == 0:
        return z.clone()
    t0 = time.perf_counter()
    if max_sweeps is None and time_limit is None:
        max_sweeps = 100
    gen = device_generator(generator, th.device)
    scale = float(th.weight64.abs().mean()) or 1.0
    ta, tb = t_start * scale, t_end * scale
    S = int(th.sizes.max()) + 2
    c = torch.arange(S + 1, device=th.device).view(-1, 1, 1)
    sz = torch.arange(S, device=th.device).view(1, -1, 1)
    d = 1 - 2 * torch.arange(2, device=th.device).view(1, 1, -1)
    lut = (_cut_flag(c + d, sz) - _cut_flag(c.expand(-1, S, 2), sz)).reshape(-1)
    tables = [_ClassTables(th, v, 2 * S) for v in color_classes(th)]
    cur = z.to(torch.int64)
    cnt = side_counts(th, z)
    start = cut_values(th, z)
    cut = start.clone()
    best, best_z = cut.clone(), cur.clone()
    sweep = 0
    every = read_every(th.device, ROUNDS_PER_CHECK)  # sweeps past the target lose nothing
    while True:
        if max_sweeps is not None and sweep >= max_sweeps:
            break
        frac = 0.0 if max_sweeps is None else sweep / max_sweeps
        if time_limit is not None:
            frac_t = (time.perf_counter() - t0) / time_limit
            if frac_t >= 1.0:
                break
            frac = max(frac, frac_t)
        if target is not None and read_due(sweep, every) and float(best.max()) >= target - 1e-9:
            break
        temp = ta * (tb / ta) ** min(frac, 1.0)
        for t in tables:
            zv = cur.index_select(1, t.verts)  # (B, k)
            zi = zv.index_select(1, t.loc)
            idx = cnt.index_select(1, t.edges) * t.stride + t.base + zi
            vals = lut.take(idx) * t.w
            g = torch.zeros(B, len(t.verts), dtype=torch.float64, device=th.device)
            g.index_add_(1, t.loc, vals)
            u = torch.rand(g.shape, generator=gen, device=th.device, dtype=torch.float64)
            acc = (u < torch.exp(g / temp)).to(torch.int64)  # g ≥ 0: always
            cur.index_copy_(1, t.verts, zv ^ acc)
            step = (acc * (1 - 2 * zv)).index_select(1, t.loc)
            cnt.index_add_(1, t.edges, step)
            cut += (g * acc).sum(1)
        sweep += 1
        up = cut > best + 1e-9
        best = torch.where(up, cut, best)
        best_z = torch.where(up[:, None], cur, best_z)
    out = best_z > 0
    worse = cut_values(th, out) < start - 1e-9
    return torch.where(worse[:, None], z, out)
