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
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from ..graph import EdgeIndex, TorchGraph
from . import mis_greedy
from ._common import ROUNDS_PER_CHECK, draw_seed, read_due, read_every, reads_free
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
    every = read_every(z.device, ROUNDS_PER_CHECK)
    for rnd in range(max_rounds + 1):
        c = ei.count(z)
        conf = z & (c > 0)
        # a round without conflicts drops nothing: stopping late returns the same
        if read_due(rnd, every) and not bool(conf.any()):
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
    every = read_every(z.device, ROUNDS_PER_CHECK)
    for rnd in range(tg.n + 1):
        free = allowed & ~z & (ei.count(z) == 0)
        # a round without free vertices adds nothing: stopping late returns the same
        if read_due(rnd, every) and not bool(free.any()):
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
    compiled: bool | None = None,
    force_cand: int = 4,
    plateau: float = 2.0,
) -> torch.Tensor:
    """Iterated local search for maximum (weight) independent set.

    On a CPU (with numba; ``compiled`` forces the choice) each row that walks runs the
    classical iterated local search of Andrade, Resende & Werneck (2012) as a compiled
    kernel (:mod:`._mis_ils_jit`): incremental tightness / free / 1-tight bookkeeping, free
    insertions, (1,2)-swaps (and (ω,1)-swaps with weights) to a local optimum, every move
    O(degree); a perturbation forces in one vertex (more, next to it, with probability
    1/(2|S|)), of ``force_cand`` random ones the one out of the solution longest (those that
    left it within ``tenure`` iterations last); a worse set is kept with probability
    1/(1 + δ·δ*) (then none again for ``plateau``·|S| iterations), else undone and replaced
    by a random 1-swap; ``walk_len`` returns a walk to its incumbent (off by default: ARW's
    acceptance already keeps walks near it).  Preferring 2-tight vertices to force (the
    (2,2)-swaps of the tensor search) made no measurable difference there (SATLIB CBS 0–19,
    8 walks each: optimum within 50k iterations 84 % vs 88 %; ER-[700-800] 0–3: 45.25 vs
    45.13; 3-regular n = 2·10⁴: 8959 vs 8964), so the kernel has none.  How the rows share
    the time: see :func:`_ils_rows`.  Measured on 2 loaded cores, one thread: SATLIB CBS
    graphs 0–19 all at the optimum through ``solve`` (10 s limit, mean 0.68 s);
    ER-[700-800] 0–7 mean 45.5 (30 s); 3-regular n = 10⁶ from greedy (432740), 10 s:
    443410 (the tensor search: 440538).  An iteration here is one perturbation and its
    local search, a hundredth of the cost of a batched one (``max_iters``, ``stall_iters``
    count them per walk; with a time limit the stall counts the iterations of all walks
    since the best of all improved, default max(20000, 1000n)).

    Elsewhere (CUDA, no numba) the search is batched: each iteration applies, per restart
    and in parallel, many swaps at once:
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

    Batched walks are cheap in parallel but not free: when a probe iteration of one row
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
    if _use_compiled(cur, compiled):
        return _ils_rows(ei, w, ok, cur, time_limit, generator, max_iters, stall_iters, target,
                         tenure, walk_len, force_cand, plateau, t0)  # fmt: skip
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


def compiled_search(device: torch.device | str) -> bool:
    """Whether :func:`local_search` on ``device`` runs the compiled ARW walks (a CPU with
    numba), whose iterations cost about a hundredth of a batched tensor iteration."""
    return torch.device(device).type == "cpu" and _use_compiled(torch.zeros(1, 1), None)


def _use_compiled(z: torch.Tensor, compiled: bool | None) -> bool:
    """Whether :func:`local_search` runs the compiled ARW walks (CPU, numba) rather than the
    batched tensor search; ``compiled`` True / False forces the choice (True needs numba)."""
    if compiled is False:
        return False
    ok = mis_greedy.available() and mis_greedy.ils_kernel() is not None
    if compiled and not ok:
        raise RuntimeError("compiled=True needs numba")
    return ok and (compiled or z.device.type == "cpu")


#: a timed run gives each walk about this many iterations per vertex before adding walks
_ITERS_PER_VERTEX = 100
#: default stall: iterations (of all walks together) without a new best, per vertex
_STALL_PER_VERTEX = 1000
#: the seconds one call of the compiled walk aims at (the clock is read between calls)
_CHUNK_S = 0.01
#: the state of all walks together stays under this many bytes
_WALK_MEMORY = 1 << 30
_WARM: list[bool] = []


class _Walk:
    """One row's compiled ARW walk (:mod:`._mis_ils_jit`): its state arrays, resumable."""

    def __init__(self, kern, csr, w: np.ndarray, allowed: np.ndarray, z: np.ndarray, seed: int,
                 prm: np.ndarray):  # fmt: skip
        n = len(w)
        self.kern, self.graph, self.prm = kern, (csr[0], csr[1], w, allowed), prm
        self.state = (
            np.empty((kern.N_INT, n), dtype=np.int64),
            np.empty((kern.N_FLOAT, n), dtype=np.float64),
            np.zeros(kern.N_SC, dtype=np.int64),
            np.zeros(kern.N_FS, dtype=np.float64),
            np.empty(4 * n + 64, dtype=np.int64),  # one iteration's operations (to undo it)
            np.array([(seed * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) % 2**64 or 1], np.uint64),
        )
        self.iters, self.done, self.chunk = 0, False, 16
        self.rate: float | None = None  # iterations per second, as last measured
        self.ready, self.budget = False, 1024  # at the first local optimum; swaps per call
        kern.init_walk(*self.graph, *self.state, z)

    @staticmethod
    def nbytes(kern, n: int) -> int:
        return (8 * (kern.N_INT + kern.N_FLOAT + 4) + 1) * n

    def descend(self, deadline: float = math.inf) -> None:
        """The first local search, in calls of about :data:`_CHUNK_S` seconds until
        ``deadline``."""
        while not self.ready and time.perf_counter() < deadline:
            t = time.perf_counter()
            self.ready = bool(self.kern.descend(*self.graph, *self.state[:6], self.budget))
            dt = time.perf_counter() - t
            self.budget = max(16, min(4 * self.budget, int(self.budget * _CHUNK_S / max(dt, 1e-6))))

    def run(self, iters: int) -> int:
        """At most ``iters`` more iterations; marks the walk done when it stopped early (target,
        stall, or no vertex left to force)."""
        if not self.ready:
            self.descend()
        d = int(self.kern.walk(*self.graph, *self.state, self.prm, iters))
        self.iters += d
        self.done = self.done or d < iters
        return d

    def timed_run(self, deadline: float) -> None:
        """One chunk of about :data:`_CHUNK_S` seconds (less near the deadline)."""
        if not self.ready:
            self.descend(min(deadline, time.perf_counter() + _CHUNK_S))
            return
        t = time.perf_counter()
        k = self.chunk if self.rate is None else int(self.rate * (deadline - t))
        k = max(1, min(self.chunk, k))
        d = self.run(k)
        dt = time.perf_counter() - t
        if d == k and dt > 0:
            self.rate = k / dt
            self.chunk = max(1, min(4 * self.chunk, int(self.rate * _CHUNK_S)))

    @property
    def best_w(self) -> float:
        """The incumbent's weight (before the first local optimum: the current set's)."""
        return float(self.state[3][self.kern.BESTW if self.ready else self.kern.CURW])

    @property
    def best(self) -> np.ndarray:
        return self.state[0][self.kern.BEST if self.ready else self.kern.INSOL].astype(bool)


def _warm_up(kern) -> None:
    """Load (or compile) the kernels once, outside any timed probe."""
    if not _WARM:
        ip, ix = np.array([0, 1, 3, 4]), np.array([1, 0, 2, 1])
        one = np.ones(3)
        prm = np.zeros(kern.N_P)
        prm[kern.P_STALL] = prm[kern.P_TARGET] = math.inf
        wk = _Walk(kern, (ip, ix), one, np.ones(3, dtype=bool), np.zeros(3, dtype=bool), 0, prm)
        wk.run(2)
        _WARM.append(True)


def _ils_rows(
    ei: EdgeIndex,
    w: torch.Tensor,
    ok: torch.Tensor,
    cur: torch.Tensor,
    time_limit: float | None,
    generator: torch.Generator | None,
    max_iters: int | None,
    stall_iters: int | None,
    target: float | None,
    tenure: int,
    walk_len: int | None,
    force_cand: int,
    plateau: float,
    t0: float,
) -> torch.Tensor:
    """:func:`local_search` on the CPU: one compiled ARW walk per row that walks.

    Without a time limit every row walks ``max_iters`` iterations in turn, best rows first
    (reproducible: each walk has its own seeded stream; a walk reaching ``target`` ends it).

    With one, the best row descends to its first local optimum and walks ~20 ms, which
    prices an iteration; then the best rows walk, as many as afford
    :data:`_ITERS_PER_VERTEX` iterations per vertex each in the time left (and fit in
    :data:`_WALK_MEMORY`), round robin in chunks of about 10 ms, spread over
    ``torch.get_num_threads()`` threads (the kernel holds no GIL, so k walks on k threads
    run side by side).  Why: on a big graph one walk needs many iterations per vertex just
    to spread its improvements (3-regular, n = 10⁵, 10 s: one walk 44820, the torch search
    44532), and a second walk only halves the first one's time; on small hard graphs the
    iterations a walk needs to reach the optimum are heavy-tailed (SATLIB CBS 0–19, 16
    seeds: median 6k, but 5 % above 75k), and k round-robin walks reach it after k times
    the fastest one's count (estimated from those runs: within 50k iterations in all,
    92 % of the graphs with one walk, 95 % with 6–8).  Round robin rather than the time
    split in turn keeps that "k times the fastest" when a target is known.
    """
    B, n = cur.shape
    if B == 0:
        return cur
    kern = mis_greedy.ils_kernel()
    _warm_up(kern)
    csr = ei.csr_numpy
    w64 = np.ascontiguousarray(w.double().cpu().numpy())
    allowed = (ok & (w > 0)).cpu().numpy()
    z = cur.cpu().numpy()
    out = z.copy()
    obj = z.astype(np.float64) @ w64
    order = np.argsort(-obj, kind="stable")
    base = draw_seed(generator)
    prm = np.zeros(kern.N_P)
    prm[kern.P_FORCE_CAND] = force_cand
    prm[kern.P_TENURE] = tenure
    prm[kern.P_WALK_LEN] = walk_len or 0
    stall = stall_iters if stall_iters is not None else max(20_000, _STALL_PER_VERTEX * n)
    prm[kern.P_STALL] = stall
    prm[kern.P_TARGET] = math.inf if target is None else target
    prm[kern.P_SWAP_ON_FAILURE] = 1
    prm[kern.P_PLATEAU] = plateau
    tol = 1e-9 * max(float(w64.max(initial=1.0)), 1.0) * max(n, 1)

    def start(r: int) -> _Walk:
        return _Walk(kern, csr, w64, allowed[r], z[r], base * 1_000_003 + int(r), prm)

    def reached(wk: _Walk) -> bool:
        return target is not None and wk.best_w >= target - tol

    cap = max_iters if max_iters is not None else 1 << 62
    limit = math.inf if time_limit is None and max_iters is not None else (time_limit or 5.0)
    if not math.isfinite(limit):
        for r in order:  # each row alone, in turn
            wk = start(r)
            wk.run(cap)
            out[r] = wk.best
            if reached(wk):
                break
        return torch.from_numpy(out).to(cur.device)
    deadline = t0 + limit
    first = start(order[0])
    first.descend(deadline)
    t_probe = time.perf_counter()
    while not first.done and time.perf_counter() < min(deadline, t_probe + 2 * _CHUNK_S):
        first.timed_run(deadline)  # the probe: chunks grow to _CHUNK_S
    threads = max(1, torch.get_num_threads())
    left = deadline - time.perf_counter()
    rate = first.rate or 0.0
    k = int(threads * rate * max(left, 0.0) / (_ITERS_PER_VERTEX * max(n, 1)))
    k = min(B, max(1, k), max(1, _WALK_MEMORY // _Walk.nbytes(kern, n)))
    if reached(first) or first.done:
        k = 1
    walks = [first] + [start(r) for r in order[1:k]]
    stop: list[bool] = []
    # the stall counts the iterations of all walks since the best of all last improved
    top = [max(wk.best_w for wk in walks), sum(wk.iters for wk in walks)]

    def lane(mine: list[_Walk]) -> None:
        while not stop:
            live = [wk for wk in mine if not wk.done and wk.iters < cap]
            if not live or time.perf_counter() >= deadline:
                return
            for wk in live:
                wk.timed_run(deadline)
                if wk.iters >= cap:
                    wk.done = True
                total = sum(x.iters for x in walks)
                if wk.best_w > top[0] + tol:
                    top[:] = [wk.best_w, total]
                if reached(wk) or total - top[1] >= stall:
                    stop.append(True)
                if time.perf_counter() >= deadline or stop:
                    return

    lanes = min(threads, len(walks))
    if lanes <= 1:
        lane(walks)
    else:
        with ThreadPoolExecutor(lanes) as pool:
            list(pool.map(lane, [walks[i::lanes] for i in range(lanes)]))
    for r, wk in zip(order, walks):
        out[r] = wk.best
    return torch.from_numpy(out).to(cur.device)


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
        self.reads_free = reads_free(tg.device)
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
        # off the CPU the kick runs without reading whether a row kicks: for rows that do
        # not, it drops nothing from the independent ``ins``
        if self.perturb_k > 0 and (not self.reads_free or bool(kick.any())):
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
