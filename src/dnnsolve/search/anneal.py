"""Simulated annealing for MaxCut on the CPU: single-spin Metropolis sweeps compiled with numba.

The sequential sweep is what a CPU runs well and a tensor program runs badly (every flip
changes the fields the next one reads), so this search is a numba kernel
(:mod:`dnnsolve.search._anneal_jit`) over the graph's CSR arrays rather than torch code. It
follows the classical schedule (as in dwave-samplers): a geometric inverse temperature from
``beta_hot``, where the largest cut loss a flip can cause is accepted half the time, to
``beta_cold``, where the smallest non-zero one is accepted 1 % of the time; every read starts
from a random state, and the best state of each read is kept.

>>> from dnnsolve.graph import Graph
>>> ring = Graph.from_edges(6, [(i, (i + 1) % 6) for i in range(6)])
>>> sides, cuts = anneal_maxcut(ring, reads=4, sweeps=200, seed=0)
>>> float(cuts.max()), sides.shape
(6.0, (4, 6))
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from ..graph import Graph
from ..hypergraph import Hypergraph

#: a read's share of a timed run: reads are sized to take about this fraction of the budget
_READ_SHARE = 1 / 6
#: a hypergraph read's share of a timed run (one long read after the calibration read)
_HYPER_READ_SHARE = 0.9
#: the sweeps of the read that measures the sweep rate (fewer on a large graph, see
#: :func:`calibration_sweeps`)
_CALIBRATION_SWEEPS = 200
#: the adjacency entries the calibration read may visit: 200 sweeps up to 10^5 entries (every
#: Gset graph), fewer above, so that it stays a small part of the budget (10 sweeps at 10^6
#: vertices of degree 3 instead of 200, which took 12 s)
_CALIBRATION_VISITS = 2 * 10**7
_MIN_CALIBRATION_SWEEPS = 10
#: the fewest sweeps a MaxCut read is given when the budget allows: below this, fewer and
#: longer reads anneal better than several short ones (on Gset G70, the mean read gained 15 from
#: 20 000 to 60 000 sweeps, G81 29 from 11 000 to 33 000; G55 8 from 20 000 to 50 000, and 2
#: more to 100 000). Up to 3000 vertices a sixth of a 30 s budget holds more than this.
_MIN_READ_SWEEPS = 50_000
#: the share of what is left after the calibration read that one long read may take
_LONG_READ_SHARE = 0.95


def available() -> bool:
    """Whether the compiled kernel can run (numba importable)."""
    try:
        from . import _anneal_jit  # noqa: F401
    except ImportError:
        return False
    return True


def csr_arrays(graph: Graph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The symmetric adjacency of ``graph`` as CSR arrays (indptr, indices, weights)."""
    n = graph.n
    w = np.asarray(graph.weight, dtype=np.float64)
    a = sp.coo_matrix((w, (graph.src, graph.dst)), shape=(n, n))
    a = (a + a.T).tocsr()
    a.sum_duplicates()
    return a.indptr.astype(np.int64), a.indices.astype(np.int64), a.data.astype(np.float64)


def beta_range(indptr: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """(hot, cold) inverse temperatures: the largest possible cut loss of one flip accepted
    with probability 1/2 at the start; at the end, a loss of the smallest non-zero weight
    accepted with probability 1/100 summed over the vertices that have an edge of that weight,
    so that the last sweep rarely leaves the state it found (the scaling with the number of
    such vertices is dwave-samplers' default rule; a cold end of 1/100 per vertex lost 27-28
    per read on Gset G70's 10 000 vertices, and was within a read's spread on G22, G27, G29,
    G33, G55, G60 and G81).

    >>> beta_range(np.array([0, 2, 4]), np.array([1.0, 1.0, 1.0, 1.0]))
    (0.34657359027997264, 5.298317366548036)
    """
    absw = np.abs(weights)
    n = len(indptr) - 1
    owner = np.repeat(np.arange(n), np.diff(indptr))
    biggest = _largest_loss(indptr, weights)
    nonzero = absw > 0
    if biggest <= 0 or not nonzero.any():
        return 1.0, 1.0
    smallest = float(absw[nonzero].min())
    at_smallest = len(np.unique(owner[nonzero & (absw == smallest)]))
    return math.log(2.0) / biggest, math.log(100.0 * at_smallest) / smallest


def loss_table_size(indptr: np.ndarray, weights: np.ndarray) -> int:
    """The size of the acceptance table of the compiled sweep: the largest possible loss of one
    flip + 1 when every weight is an integer (the losses are then integers), else 0 (an exp per
    move).

    >>> loss_table_size(np.array([0, 2, 4]), np.array([1.0, -1.0, 1.0, -1.0]))
    3
    >>> loss_table_size(np.array([0, 1, 2]), np.array([0.5, 0.5]))
    0
    """
    if len(weights) == 0 or not np.all(weights == np.round(weights)):
        return 0
    biggest = _largest_loss(indptr, weights)
    return int(biggest) + 1 if biggest < 10**7 else 0


def _largest_loss(indptr: np.ndarray, weights: np.ndarray) -> float:
    """The largest cut loss one flip can cause: the largest sum of |weight| at a vertex."""
    n = len(indptr) - 1
    if n == 0 or len(weights) == 0:
        return 0.0
    owner = np.repeat(np.arange(n), np.diff(indptr))
    return float(np.bincount(owner, weights=np.abs(weights), minlength=n).max())


def _warm_up(kernel) -> None:
    ptr, idx, w = np.array([0, 1, 2]), np.array([1, 0]), np.array([1.0, 1.0])
    kernel(ptr, idx, w, np.ones(2, dtype=np.int8), 1, 1.0, 1.0, 0, 2)


def _cuts(graph: Graph, sides: np.ndarray) -> np.ndarray:
    cross = sides[:, graph.src] != sides[:, graph.dst]
    return cross.astype(np.float64) @ np.asarray(graph.weight, dtype=np.float64)


def calibration_sweeps(entries: int) -> int:
    """Sweeps of the read that measures the sweep rate on a graph with ``entries`` adjacency
    entries (incidences for a hypergraph).

    >>> calibration_sweeps(80_000), calibration_sweeps(300_000), calibration_sweeps(3_000_000)
    (200, 66, 10)
    """
    share = _CALIBRATION_VISITS // max(int(entries), 1)
    return int(np.clip(share, _MIN_CALIBRATION_SWEEPS, _CALIBRATION_SWEEPS))


def _timed_reads(
    read: Callable[[int, int], np.ndarray],
    cuts: Callable[[np.ndarray], np.ndarray],
    n: int,
    reads: int | None,
    sweeps: int | None,
    time_limit: float | None,
    target: float | None,
    read_share: float = _READ_SHARE,
    min_sweeps: int = 0,
    calibration: int = _CALIBRATION_SWEEPS,
) -> tuple[np.ndarray, np.ndarray]:
    """Run ``read(k, sweeps)`` (one annealed 0/1 state) ``reads`` times, or, with a
    ``time_limit``, reads sized from a measured sweep rate until the next would not fit or a cut
    reaches ``target``; the states ``(reads, n)`` and their cuts.

    A timed read takes ``read_share`` of the budget, or, when that is fewer than ``min_sweeps``
    sweeps (a large graph), what the calibration read (of ``calibration`` sweeps, kept as a
    read) left, split into as many reads of at least ``min_sweeps`` as fit (one read when
    none fits)."""
    if reads is None and time_limit is None:
        raise ValueError("give reads or a time_limit")
    t0 = time.perf_counter()
    out: list[np.ndarray] = []
    last = 0.0

    def one(k: int, count: int) -> None:
        nonlocal last
        t = time.perf_counter()
        out.append(read(k, count))
        last = time.perf_counter() - t

    if time_limit is None:
        for k in range(int(reads or 0)):
            one(k, int(sweeps or 1000))
    else:
        count = sweeps
        if count is None:  # measure the sweep rate on a short read (kept: it is a read too)
            one(0, calibration)
            per_sweep = max(last / calibration, 1e-9)
            count = int(read_share * time_limit / per_sweep)
            if count < min_sweeps:  # what is left, in as many reads of min_sweeps as fit
                left = time_limit - (time.perf_counter() - t0)
                fit = _LONG_READ_SHARE * left / per_sweep
                count = int(fit / max(1, int(fit // min_sweeps)))
            count = max(calibration, count)
        while reads is None or len(out) < reads:
            left = time_limit - (time.perf_counter() - t0)
            if left <= 0 or (out and last > left):
                break
            if target is not None and out and cuts(np.stack(out)).max() >= target:
                break
            one(len(out), count)
    sides = np.stack(out) if out else np.zeros((0, n), dtype=bool)
    return sides, cuts(sides)


def anneal_maxcut(
    graph: Graph,
    *,
    reads: int | None = None,
    sweeps: int | None = None,
    time_limit: float | None = None,
    seed: int = 0,
    target: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Anneal ``reads`` random starts of ``sweeps`` sweeps each; the 0/1 sides ``(reads, n)``
    and their cuts.

    With a ``time_limit`` instead, the reads are sized from a measured sweep rate to take about
    a sixth of it each (``sweeps`` unset; where a sixth holds fewer than 50 000 sweeps, fewer
    and longer reads) and run until the next would not fit; ``target`` ends the run once
    a cut reaches it. The same seed, reads and sweeps give the same answer.
    """
    from ._anneal_jit import anneal_read

    n = graph.n
    indptr, indices, weights = csr_arrays(graph)
    hot, cold = beta_range(indptr, weights)
    table = loss_table_size(indptr, weights)
    _warm_up(anneal_read)  # loading the compiled kernel must not count as a sweep rate
    rng = np.random.default_rng(seed)

    def read(k: int, count: int) -> np.ndarray:
        s = np.where(rng.random(n) < 0.5, 1, -1).astype(np.int8)
        anneal_read(indptr, indices, weights, s, count, hot, cold, seed * 1_000_003 + k, table)
        return s < 0

    return _timed_reads(
        read, lambda x: _cuts(graph, x), n, reads, sweeps, time_limit, target,
        min_sweeps=_MIN_READ_SWEEPS, calibration=calibration_sweeps(len(indices)),
    )  # fmt: skip


def incidence_arrays(hg: Hypergraph) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The hyperedges of each vertex as CSR arrays (vptr, vedges), with each hyperedge's number
    of distinct members and its weight: a repeated member counts once, as in the cut.

    >>> from dnnsolve.hypergraph import Hypergraph
    >>> vptr, vedges, size, w = incidence_arrays(Hypergraph.from_edges(3, [(0, 1, 2), (1, 2)]))
    >>> vptr.tolist(), vedges.tolist(), size.tolist()
    ([0, 1, 3, 5], [0, 0, 1, 0, 1], [3, 2])
    """
    pairs = np.unique(np.stack([hg.edge_vertices, hg.edge_of_incidence], axis=1), axis=0)
    pairs = pairs.reshape(-1, 2)
    vptr = np.zeros(hg.n + 1, dtype=np.int64)
    np.cumsum(np.bincount(pairs[:, 0], minlength=hg.n), out=vptr[1:])
    size = np.bincount(pairs[:, 1], minlength=hg.m).astype(np.int64)
    return vptr, pairs[:, 1].astype(np.int64), size, np.asarray(hg.weight, dtype=np.float64)


def _hyper_cuts(size: np.ndarray, w: np.ndarray, vedges: np.ndarray, vptr: np.ndarray):
    owner = np.repeat(np.arange(len(vptr) - 1), np.diff(vptr))

    def cuts(sides: np.ndarray) -> np.ndarray:
        cnt = np.zeros((len(sides), len(size)))
        for r, row in enumerate(sides):
            cnt[r] = np.bincount(vedges, weights=row[owner].astype(np.float64), minlength=len(size))
        return ((cnt > 0) & (cnt < size)).astype(np.float64) @ w

    return cuts


def anneal_hypercut(
    hg: Hypergraph,
    *,
    reads: int | None = None,
    sweeps: int | None = None,
    time_limit: float | None = None,
    seed: int = 0,
    target: float | None = None,
    betas: tuple[float, float] | None = None,
    read_share: float = _HYPER_READ_SHARE,
) -> tuple[np.ndarray, np.ndarray]:
    """Simulated annealing for hypergraph MaxCut (a hyperedge is cut unless all its members are
    on one side), with the reads and stopping of :func:`anneal_maxcut`.

    The schedule differs from the graph one: the inverse temperature runs from ``betas``
    (default 1 to 50 over the mean |weight|, the range of the batched torch annealing of
    :func:`~dnnsolve.search.hypermaxcut.parallel_annealing`), and a timed run is one long read
    after the calibration one (``read_share``). Tuned on random hypergraphs of HypOp's sizes
    (``rand-*`` of ``dnnsolve bench hypermaxcut``) at 3 s: the graph rule (a flip's largest
    loss accepted half the time) starts far too hot where a vertex has many hyperedges, and
    one long read beat reads of a sixth or a half of the time.

    >>> from dnnsolve.hypergraph import Hypergraph
    >>> hg = Hypergraph.from_edges(4, [(0, 1, 2), (1, 2, 3), (0, 3)])
    >>> sides, cuts = anneal_hypercut(hg, reads=2, sweeps=100, seed=0)
    >>> float(cuts.max())
    3.0
    """
    from ._anneal_jit import anneal_hyper_read

    n = hg.n
    vptr, vedges, size, w = incidence_arrays(hg)
    scale = float(np.abs(w).mean()) if len(w) else 1.0
    hot, cold = betas or (1.0 / (scale or 1.0), 50.0 / (scale or 1.0))
    one = np.array([0, 1, 2])
    anneal_hyper_read(one, np.array([0, 0]), np.array([2]), np.ones(1), np.zeros(2, np.uint8),
                      1, 1.0, 1.0, 0)  # fmt: skip  # load the compiled kernel before timing
    rng = np.random.default_rng(seed)

    def read(k: int, count: int) -> np.ndarray:
        s = (rng.random(n) < 0.5).astype(np.uint8)
        anneal_hyper_read(vptr, vedges, size, w, s, count, hot, cold, seed * 1_000_003 + k)
        return s.astype(bool)

    cuts = _hyper_cuts(size, w, vedges, vptr)
    return _timed_reads(read, cuts, n, reads, sweeps, time_limit, target, read_share)
