"""Tabucol: conflict-minimizing tabu search for q-colourings, one search per restart.

Every restart b keeps its colouring ``z[b]`` (n,), the conflict table
``γ[b, v, c]`` = number of neighbours of v coloured c, its number of conflicting
edges ``f[b]`` and a tabu table ``T[b, v, c]`` (the iteration until which v may
not take colour c back). One iteration of a restart:

1. candidate moves (v, c) are the conflicting vertices v (γ[v, z_v] > 0) and the
   colours c ≠ z_v; a move changes the conflicts by δ = γ[v, c] − γ[v, z_v];
2. the restart takes its best non-tabu move, ties broken at random; a tabu move
   is allowed when it would beat the restart's best conflicts (aspiration); when
   every move is tabu the best tabu move is taken;
3. the old colour becomes tabu for v for ``L + α·|conflicting vertices|`` iterations
   (Galinier & Hao: L uniform in [0, 10), α = 0.6), and γ is updated over the moved
   vertex's neighbours.

:func:`tabucol` runs it two ways. On the CPU (numba installed) every restart runs the
compiled kernel of :mod:`._tabucol_jit` (:class:`CompiledTabucol`): the conflicting
vertices are kept as an indexed set, so an iteration costs O(conflicting vertices · q)
and a move O(deg), about a microsecond on the DIMACS graphs. On CUDA, or without
numba, all restarts advance together as tensors: only the conflicting vertices are
gathered each iteration (a random subset of at most ``max_candidates`` while there are
many), so an iteration costs O(B · n + B · K · q + B · Δ) with K ≤ ``max_candidates`` and
Δ the largest degree (about 0.2 ms per iteration on a CPU: many tiny kernels).
"""

from __future__ import annotations

import time

import numpy as np
import torch

from ..graph import TorchGraph
from ._common import CHECK_EVERY, draw_seed, read_due, read_every

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
    use_numba: bool | None = None,
) -> torch.Tensor:
    """Run Tabucol from every colouring of ``z`` (B, n); return each restart's best colouring.

    Stops when a restart reaches 0 conflicts, after ``time_limit`` seconds or
    after ``max_iters`` iterations of every restart (default with neither: 20 000). Without
    a time limit the run is deterministic for a seeded ``generator``. ``stats``,
    when given, receives the number of iterations, the best conflicts and whether the
    compiled kernel ran (``compiled``).

    On the CPU the compiled kernel runs (``use_numba=None``: when numba is installed;
    True: required; False: never), the restarts taking turns on one thread
    (:meth:`CompiledTabucol.run`), its seed drawn from ``generator``. Otherwise the
    restarts advance together as tensors; while more than ``max_candidates`` vertices
    conflict, each iteration of that path looks at a random subset of that many of them.

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
    if max_iters is None and time_limit is None:
        max_iters = 20_000
    compiled = z.device.type == "cpu" and use_numba is not False and compiled_available()
    if use_numba and not compiled:
        raise ValueError("use_numba=True needs numba and a CPU tensor")
    if not compiled:
        return _tabucol_tensors(
            tg, z, q, time_limit, generator, max_iters, tenure, alpha, max_candidates, stats
        )
    t0 = time.perf_counter()
    csr = adjacency_csr(tg.graph.n, tg.graph.src, tg.graph.dst)
    start = z.detach().to(torch.int64).numpy()
    rows = CompiledTabucol(csr, start, q, draw_seed(generator), alpha=alpha, tenure=tenure)
    rows.run(max_iters, None if time_limit is None else t0 + time_limit)
    if stats is not None:
        stats.update(
            iterations=int(rows.iterations.max(initial=0)),
            best_conflicts=int(rows.best_f.min()) if len(rows.best_f) else 0,
            compiled=True,
        )
    return torch.as_tensor(rows.best_z.copy(), dtype=torch.int64)


def _tabucol_tensors(
    tg: TorchGraph,
    z: torch.Tensor,
    q: int,
    time_limit: float | None,
    generator: torch.Generator | None,
    max_iters: int | None,
    tenure: int,
    alpha: float,
    max_candidates: int,
    stats: dict | None,
) -> torch.Tensor:
    """:func:`tabucol` with every restart advancing at once as tensors (CUDA, no numba)."""
    t0 = time.perf_counter()
    dev = z.device
    z = z.to(torch.int64).clone()
    B, n = z.shape
    if n == 0 or tg.graph.m == 0:
        if stats is not None:
            stats.update(iterations=0, best_conflicts=0, compiled=False)
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
    # off the CPU the stop test is read every CHECK_EVERY iterations (iterations after it
    # change nothing), and the number of candidates is fixed instead of read every iteration
    every = read_every(dev, CHECK_EVERY)
    fixed = every > 1
    done = torch.zeros((), dtype=torch.bool, device=dev)  # the stop test has held
    iters = torch.zeros((), dtype=torch.int64, device=dev)  # iterations before it held
    it = 0
    while True:
        own = gamma[:, :n].gather(2, z[:, :, None]).squeeze(2)  # (B, n)
        conf = own > 0
        n_conf = conf.sum(dim=1)
        if fixed:
            done |= (best_f.min() == 0) | (n_conf.max() == 0)
            if read_due(it, every) and bool(done):
                break
            k_max = min(max_candidates, n)
        else:
            k_max, f_best = torch.stack([n_conf.max(), best_f.min()]).tolist()
            if f_best == 0 or k_max == 0:
                break
        if max_iters is not None and it >= max_iters:
            break
        if time_limit is not None and time.perf_counter() - t0 >= time_limit:
            break
        iters += ~done
        sel = conf.to(torch.float32)
        if fixed or k_max > max_candidates:  # a random subset of the conflicting vertices
            sel = sel + 0.5 * torch.rand(sel.shape, generator=generator, device=dev)
            k_max = min(k_max, max_candidates)
        _, idx = sel.topk(k_max, dim=1)  # (all) conflicting vertices first
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
        active = torch.isfinite(kmin) & (f > 0) & ~done
        kk, c_new = flat // q, flat % q
        v = idx[ar, kk]
        c_old = z[ar, v]
        d = delta.view(B, -1)[ar, flat].to(torch.int64) * active
        c_new = torch.where(active, c_new, c_old)
        # Galinier & Hao's tenure: L + α · (number of conflicting vertices)
        ten = tenures[it % len(tenures)] + (alpha * n_conf).to(torch.int64)
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
        stats.update(iterations=int(iters), best_conflicts=int(best_f.min()), compiled=False)
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


# ---------------------------------------------------------------- compiled Tabucol and HEA (CPU)
#
# The tensor path above issues ~25 small tensor operations per iteration, about
# 5 000 iterations per second on one CPU core; hard colourings (planted 15-colourings
# of 450 vertices near the threshold) need millions of Tabucol iterations. On the CPU
# each trajectory runs instead in the compiled loop of :mod:`._tabucol_jit` (numba:
# ~10⁶ iterations per second on the DIMACS graphs) or, without numba, in NumPy over the
# conflicting vertices only (~10⁴ per second). :func:`hea` combines such trajectories
# with the greedy partition crossover of Galinier & Hao's hybrid evolutionary
# algorithm (J. Comb. Optim. 3, 1999), which solves the hard cases far faster than
# one long Tabucol run.

_NO_MOVE = 1 << 30
_RANDOM = 8  # origin tag of the random colourings a stalled population restarts from
#: iterations per row and round without a deadline (fixed: seeded runs are reproducible)
_ROUND_ITERS = 4096
#: seconds a round of the compiled kernel should take with a deadline (the clock is read
#: between rounds, so a run ends at most about this late)
_ROUND_S = 0.002
#: kernel work units (candidate moves scanned, neighbours updated) per second, roughly: sizes
#: the first round before a measured one replaces it
_WORK_PER_S = 5e8


def adjacency_csr(n: int, src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric CSR adjacency ``(indptr, indices)`` (int64) of an edge list.

    >>> ip, ix = adjacency_csr(3, np.array([0, 1]), np.array([1, 2]))
    >>> ip.tolist(), ix.tolist()
    ([0, 1, 3, 4], [1, 0, 2, 1])
    """
    rows = np.concatenate([src, dst]).astype(np.int64)
    cols = np.concatenate([dst, src]).astype(np.int64)
    order = np.lexsort((cols, rows))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return indptr, cols[order]


def reduce_classes(csr: tuple[np.ndarray, np.ndarray], colors: np.ndarray, q: int) -> np.ndarray:
    """A q-colouring from ``colors`` (n,): the q largest colour classes kept (renumbered
    0 … q − 1, largest first), the other vertices recoloured one by one, in index order,
    with their least-conflict colour (conflicts possible).

    The start of a q-colouring from a colouring with more colours (DSatur's, or the last
    proper one of the search for the smallest q).

    >>> csr = adjacency_csr(3, np.array([0, 1]), np.array([1, 2]))
    >>> reduce_classes(csr, np.array([0, 1, 2]), 2).tolist()
    [0, 1, 0]
    """
    indptr, indices = csr
    colors = np.asarray(colors, dtype=np.int64).reshape(-1)
    if len(colors) == 0:
        return colors.copy()
    labels, counts = np.unique(colors, return_counts=True)
    relabel = np.empty(int(labels.max()) + 1, dtype=np.int64)
    relabel[labels[np.argsort(-counts, kind="stable")]] = np.arange(len(labels))
    z = relabel[colors]
    for v in np.flatnonzero(z >= q).tolist():
        # colours ≥ q (not recoloured yet) share the dropped bucket q
        near = np.minimum(z[indices[indptr[v] : indptr[v + 1]]], q)
        z[v] = int(np.argmin(np.bincount(near, minlength=q + 1)[:q]))
    return z


_COMPILED: dict[str, object] = {}


def _jit_module():
    # imported on first use: numba costs a third of a second to import
    if "module" not in _COMPILED:
        try:
            from . import _tabucol_jit
        except ImportError:  # numba is optional here: the NumPy / tensor loops stand in
            _COMPILED["module"] = None
        else:
            _COMPILED["module"] = _tabucol_jit
    return _COMPILED["module"]


def compiled_available() -> bool:
    """Whether the compiled Tabucol kernel can run (numba importable)."""
    return _jit_module() is not None


def warm_up() -> bool:
    """Load the compiled kernel now (numba's first call in a process costs about half a
    second), so that a timed run spends its time searching; whether it is available.

    >>> warm_up() in (True, False)
    True
    """
    if not compiled_available():
        return False
    path = adjacency_csr(3, np.array([0, 1]), np.array([1, 2]))
    CompiledTabucol(path, np.zeros((1, 3), dtype=np.int64), 2).run(max_iters=1)
    return True


def _stream_states(seed: int, rows: int) -> np.ndarray:
    """One xorshift state per row from ``seed`` (splitmix64 of seed and row: never 0).

    >>> a, b = _stream_states(0, 2)
    >>> bool(a != b and a != 0)
    True
    """
    mask = 2**64 - 1
    out = np.empty(rows, dtype=np.uint64)
    for b in range(rows):
        x = (int(seed) * 0x9E3779B97F4A7C15 + (b + 1) * 0xD1B54A32D192ED03) & mask
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & mask
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & mask
        out[b] = (x ^ (x >> 31)) or 1
    return out


def _check_colors(z: np.ndarray, n: int, q: int) -> np.ndarray:
    z = np.ascontiguousarray(z, dtype=np.int64)
    if z.ndim != 2 or z.shape[1] != n or (z.size and (z.min() < 0 or z.max() >= q)):
        raise ValueError("z must hold one colour in [0, q) per vertex")
    return z.copy()


class CompiledTabucol:
    """Tabucol trajectories of the B rows (restarts) of ``z`` (B, n), compiled (numba).

    Holds each row's colouring ``z``, conflict table ``gamma`` (B, n, q), tabu table,
    conflicting-vertex set, best colouring ``best_z`` and counters; :meth:`run` continues
    them. Iterations cost O(conflicting vertices · q), moves O(deg).

    >>> import networkx as nx
    >>> from dnnsolve.io import from_networkx
    >>> g = from_networkx(nx.petersen_graph())
    >>> rows = CompiledTabucol(adjacency_csr(g.n, g.src, g.dst), np.zeros((2, 10), int), 3)
    >>> _ = rows.run(max_iters=10_000)
    >>> int(rows.best_f.min())
    0
    """

    def __init__(
        self,
        csr: tuple[np.ndarray, np.ndarray],
        z: np.ndarray,
        q: int,
        seed: int = 0,
        *,
        alpha: float = 0.6,
        tenure: int = 10,
    ):
        jit = _jit_module()
        if jit is None:
            raise ValueError("the compiled Tabucol kernel needs numba")
        if q < 1:
            raise ValueError("q must be at least 1")
        self.indptr = np.ascontiguousarray(csr[0], dtype=np.int64)
        self.indices = np.ascontiguousarray(csr[1], dtype=np.int64)
        n = len(self.indptr) - 1
        self.z = _check_colors(z, n, q)
        B = len(self.z)
        self.q, self.alpha, self.tenure = int(q), float(alpha), max(int(tenure), 1)
        self.gamma = np.zeros((B, n, self.q), dtype=np.int32)
        self.tabu = np.zeros((B, n, self.q), dtype=np.int64)
        self.conf = np.zeros((B, n), dtype=np.int64)
        self.pos = np.zeros((B, n), dtype=np.int64)
        self.best_z = self.z.copy()
        self.state = np.zeros((B, 5), dtype=np.int64)
        self.rng = _stream_states(seed, B)
        for b in range(B):
            jit.init_row(
                self.indptr,
                self.indices,
                self.z[b],
                self.gamma[b],
                self.conf[b],
                self.pos[b],
                self.best_z[b],
                self.state[b],
            )
        self._jit = jit
        self._round: int | None = None  # iterations per row and timed round, once measured

    @property
    def iterations(self) -> np.ndarray:
        """Iterations run by each row (B,)."""
        return self.state[:, self._jit.IT].copy()

    @property
    def best_f(self) -> np.ndarray:
        """Conflicting edges of each row's best colouring (B,)."""
        return self.state[:, self._jit.BEST].copy()

    def _first_round(self) -> int:
        # from the work of one iteration (scan the conflicting vertices' moves, update a
        # neighbourhood) until a timed round measures it
        rows, n = self.z.shape
        count = float(self.state[:, self._jit.COUNT].max(initial=0))
        work = rows * (count * self.q + len(self.indices) / max(n, 1) + 1.0)
        return int(np.clip(_WORK_PER_S * _ROUND_S / work, 1, _ROUND_ITERS))

    def run(self, max_iters: int | None = None, deadline: float | None = None) -> int:
        """Continue every row for at most ``max_iters`` iterations, until ``deadline``
        (``time.perf_counter``) or until a row has no conflict; the iterations done (the most
        of any row).

        The rows take turns on one thread, round after round, each round the same number
        of iterations per row: whenever the run stops, every restart has had the same
        effort (the batch is an anytime portfolio, as in the tensor path where all rows
        move at once), the first row to reach 0 conflicts ends it, and a time limit never
        has to be split among the rows up front. Rounds are a fixed number of iterations
        without a deadline (reproducible), else sized from the measured speed to about
        ``_ROUND_S`` seconds, so the clock is read every few milliseconds.
        """
        if max_iters is None and deadline is None:
            raise ValueError("run needs max_iters or a deadline")
        jit = self._jit
        start = int(self.state[:, jit.IT].max(initial=0))
        done = 0
        while len(self.z) and int(self.state[:, jit.BEST].min()) > 0:
            if deadline is None:
                step = _ROUND_ITERS
            else:
                step = self._round if self._round is not None else self._first_round()
            if max_iters is not None:
                step = min(step, max_iters - done)
            t = time.perf_counter()
            if step <= 0 or (deadline is not None and t >= deadline):
                break
            jit.run_rows(
                self.indptr,
                self.indices,
                self.z,
                self.gamma,
                self.tabu,
                self.conf,
                self.pos,
                self.best_z,
                self.state,
                self.rng,
                step,
                self.alpha,
                self.tenure,
            )
            done += step
            if deadline is not None:
                elapsed = time.perf_counter() - t
                rate = step / max(elapsed, 1e-7)  # iterations per row and second
                self._round = int(np.clip(rate * _ROUND_S, 1, 1 << 20))
        return int(self.state[:, jit.IT].max(initial=0)) - start


def _tabu_loop_numpy(indptr, indices, z, gamma, tabu, best_z, state, rng, n_iters, alpha, tenure):
    """One Tabucol trajectory in NumPy (the rules of :mod:`._tabucol_jit`; ``rng`` a NumPy
    Generator; ``state`` = [iteration, conflicts, best conflicts]), for when numba is missing."""
    it, f, best = int(state[0]), int(state[1]), int(state[2])
    end = it + n_iters
    own = gamma[np.arange(len(z)), z]
    noise = rng.random(4096)
    tens = rng.integers(0, tenure, 4096)
    while f > 0 and it < end:
        cand = np.flatnonzero(own)
        zc = z[cand]
        d = gamma[cand] - own[cand, None]
        d[np.arange(len(cand)), zc] = _NO_MOVE
        forbid = (tabu[cand] > it) & (f + d >= best)
        key = np.where(forbid, _NO_MOVE, d)
        if key.min() >= _NO_MOVE:  # every move is tabu: the best tabu move
            key = d
        m = key.min()
        it += 1
        if m >= _NO_MOVE:  # no move at all (q = 1)
            continue
        ties = np.flatnonzero(key == m)
        pick = int(ties[int(noise[it & 4095] * len(ties))])
        k, c = divmod(pick, gamma.shape[1])
        v, a = int(cand[k]), int(zc[k])
        f += int(m)
        nb = indices[indptr[v] : indptr[v + 1]]
        gamma[nb, a] -= 1
        gamma[nb, c] += 1
        z[v] = c
        own[nb] = gamma[nb, z[nb]]
        own[v] = gamma[v, c]
        tabu[v, a] = it + int(tens[it & 4095]) + int(alpha * len(cand))
        if f < best:
            best = f
            best_z[:] = z
    state[0], state[1], state[2] = it, f, best


class TabuSearch:
    """One Tabucol trajectory on CPU (Galinier & Hao's rules, as :func:`tabucol`).

    ``run`` continues the trajectory; ``best_z`` / ``best_f`` hold the best colouring
    seen and its conflicts. ``use_numba=None`` takes the compiled kernel
    (:class:`CompiledTabucol`, one row) when numba is installed, else a NumPy loop; the
    moves follow the same rules either way (random streams differ).

    >>> import networkx as nx
    >>> from dnnsolve.io import from_networkx
    >>> g = from_networkx(nx.petersen_graph())
    >>> ts = TabuSearch(adjacency_csr(g.n, g.src, g.dst), np.zeros(10, np.int64), 3, seed=0)
    >>> _ = ts.run(max_iters=10_000)
    >>> ts.best_f
    0
    """

    def __init__(
        self,
        csr: tuple[np.ndarray, np.ndarray],
        z: np.ndarray,
        q: int,
        seed: int = 0,
        *,
        alpha: float = 0.6,
        tenure: int = 10,
        use_numba: bool | None = None,
    ):
        if q < 1:
            raise ValueError("q must be at least 1")
        self.compiled = use_numba is not False and compiled_available()
        if use_numba and not self.compiled:
            raise ValueError("use_numba=True but numba is not installed")
        self.indptr, self.indices = csr
        n = len(self.indptr) - 1
        if np.ndim(z) != 1:
            raise ValueError("z must hold one colour in [0, q) per vertex")
        start = _check_colors(np.reshape(z, (1, -1)), n, q)
        if self.compiled:
            self._rows: CompiledTabucol | None = CompiledTabucol(
                csr, start, q, seed, alpha=alpha, tenure=tenure
            )
            # views of the one row: they follow the kernel's updates
            self.z, self.gamma, self.best_z = (
                self._rows.z[0],
                self._rows.gamma[0],
                self._rows.best_z[0],
            )
            return
        self._rows = None
        self.z = start[0]
        self.q, self.alpha, self.tenure = int(q), float(alpha), int(tenure)
        rows = np.repeat(np.arange(n), np.diff(self.indptr))
        gamma = np.zeros((n, self.q), dtype=np.int64)
        np.add.at(gamma, (rows, self.z[self.indices]), 1)
        self.gamma = gamma
        self.tabu = np.zeros((n, self.q), dtype=np.int64)
        f = int(gamma[np.arange(n), self.z].sum()) // 2
        self.state = np.array([0, f, f], dtype=np.int64)
        self.best_z = self.z.copy()
        self._rng = np.random.default_rng(seed)

    @property
    def iterations(self) -> int:
        if self._rows is not None:
            return int(self._rows.iterations[0])
        return int(self.state[0])

    @property
    def best_f(self) -> int:
        if self._rows is not None:
            return int(self._rows.best_f[0])
        return int(self.state[2])

    def run(self, max_iters: int | None = None, deadline: float | None = None) -> int:
        """At most ``max_iters`` more iterations, until ``deadline`` (perf_counter) or 0
        conflicts; returns the iterations done."""
        if max_iters is None and deadline is None:
            raise ValueError("run needs max_iters or a deadline")
        if self._rows is not None:
            return self._rows.run(max_iters, deadline)
        chunk = 256  # iterations between clock checks
        start = self.iterations
        while self.state[2] > 0:
            left = chunk if max_iters is None else min(chunk, start + max_iters - self.iterations)
            if left <= 0 or (deadline is not None and time.perf_counter() >= deadline):
                break
            _tabu_loop_numpy(
                self.indptr,
                self.indices,
                self.z,
                self.gamma,
                self.tabu,
                self.best_z,
                self.state,
                self._rng,
                left,
                self.alpha,
                self.tenure,
            )
        return self.iterations - start


def gpx_crossover(a: np.ndarray, b: np.ndarray, q: int, rng: np.random.Generator) -> np.ndarray:
    """Greedy partition crossover (Galinier & Hao): the child takes, alternately from each
    parent, the colour class with the most unassigned vertices; the rest get random colours.

    >>> rng = np.random.default_rng(0)
    >>> gpx_crossover(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), 2, rng).tolist()
    [0, 0, 1, 1]
    """
    child = np.full(len(a), -1, dtype=np.int64)
    free = np.ones(len(a), dtype=bool)
    parents = (a, b)
    for color in range(q):
        p = parents[color % 2]
        counts = np.bincount(p[free], minlength=q)
        if counts.max() == 0:
            break
        take = free & (p == int(np.argmax(counts)))
        child[take] = color
        free &= ~take
    left = int(free.sum())
    if left:
        child[free] = rng.integers(0, q, left)
    return child


def hea(
    csr: tuple[np.ndarray, np.ndarray],
    starts: np.ndarray,
    q: int,
    time_limit: float | None = None,
    seed: int = 0,
    *,
    pop_size: int = 8,
    ls_iters: int = 10_000,
    max_iters: int | None = None,
    origins: np.ndarray | None = None,
    stats: dict | None = None,
    stall_generations: int = 1000,
    max_extend: int = 20,
    use_numba: bool | None = None,
) -> np.ndarray:
    """Hybrid evolutionary colouring from ``starts`` (k, n): the best q-colouring found.

    The population is the starts (cycled up to ``pop_size``), each improved by
    ``ls_iters`` Tabucol iterations (repeated, up to ``max_extend`` times, while the last
    ``ls_iters`` found a new best); then, until 0 conflicts, ``time_limit`` seconds or
    ``max_iters`` Tabucol iterations in all (default with neither: 200 000), two random
    parents give a :func:`gpx_crossover` child, Tabucol improves it as above and it replaces
    the worse parent. ``origins`` (k,) int bit masks tag the starts (e.g.
    1 network, 2 baseline); children carry the union of their parents' tags and ``stats``
    gets the winner's (``origin``), the generations and the iterations.

    >>> import networkx as nx
    >>> from dnnsolve.io import from_networkx
    >>> g = from_networkx(nx.petersen_graph())
    >>> col = hea(adjacency_csr(g.n, g.src, g.dst), np.zeros((1, 10), np.int64), 3)
    >>> int(np.sum(col[g.src] == col[g.dst]))
    0
    """
    t0 = time.perf_counter()
    starts = np.atleast_2d(np.asarray(starts, dtype=np.int64))
    if len(starts) == 0:
        raise ValueError("hea needs at least one start")
    if max_iters is None and time_limit is None:
        max_iters = 200_000
    deadline = None if time_limit is None else t0 + time_limit
    tags = np.ones(len(starts), np.int64) if origins is None else np.asarray(origins, np.int64)
    rng = np.random.default_rng(seed)
    size = max(int(pop_size), 2, len(starts))  # every start gets into the population
    pick = np.arange(size) % len(starts)
    used = 0

    def budget() -> int | None:
        return ls_iters if max_iters is None else max(min(ls_iters, max_iters - used), 0)

    def done() -> bool:
        out_of_time = deadline is not None and time.perf_counter() >= deadline
        return out_of_time or (max_iters is not None and used >= max_iters)

    pop: list[TabuSearch] = []
    tag: list[int] = []
    best: tuple[int, np.ndarray, int] = (_NO_MOVE, starts[0], int(tags[0]))  # (f, z, origin)
    made = 0  # Tabucol runs started (their seeds)

    def tabu(z: np.ndarray) -> TabuSearch:
        # ls_iters iterations, extended by ls_iters more while the last ones found a new best:
        # graphs on which Tabucol keeps improving (le450_15a needs ~50 000 iterations) get
        # long runs, those where it plateaus (planted near the threshold) short ones
        nonlocal used, made
        ts = TabuSearch(csr, z, q, seed * 1009 + made, use_numba=use_numba)
        made += 1
        for _ in range(max_extend):
            before = ts.best_f
            used += ts.run(budget(), deadline)
            if ts.best_f == 0 or ts.best_f >= before or done():
                break
        return ts

    def fill(members: list[np.ndarray], member_tags: list[int]) -> None:
        nonlocal best
        pop.clear()
        tag.clear()
        for z, t in zip(members, member_tags):
            if pop and (done() or min(m.best_f for m in pop) == 0):
                break
            pop.append(tabu(z))
            tag.append(t)
            if pop[-1].best_f < best[0]:
                best = (pop[-1].best_f, pop[-1].best_z.copy(), t)

    fill([starts[i] for i in pick.tolist()], [int(tags[i]) for i in pick.tolist()])
    generations = restarts = stall = 0
    while best[0] > 0 and len(pop) >= 2 and not done():
        if stall >= stall_generations:
            # the population has converged on a region without a q-colouring: start again
            # from random colourings (the best colouring so far is kept aside)
            restarts += 1
            stall = 0
            fill(list(rng.integers(0, q, (size, len(starts[0])))), [_RANDOM] * size)
            continue
        a, b = rng.choice(len(pop), 2, replace=False)
        ts = tabu(gpx_crossover(pop[a].best_z, pop[b].best_z, q, rng))
        worse = a if pop[a].best_f >= pop[b].best_f else b
        pop[worse] = ts
        tag[worse] = tag[a] | tag[b]
        generations += 1
        stall += 1
        if ts.best_f < best[0]:
            best = (ts.best_f, ts.best_z.copy(), tag[worse])
            stall = 0
    if stats is not None:
        stats.update(
            iterations=used,
            generations=generations,
            restarts=restarts,
            best_conflicts=best[0],
            origin=best[2],
            compiled=pop[0].compiled,
            seconds=time.perf_counter() - t0,
        )
    return best[1].copy()
