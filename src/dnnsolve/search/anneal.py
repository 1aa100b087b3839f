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

import numpy as np
import scipy.sparse as sp

from ..graph import Graph

#: a read's share of a timed run: reads are sized to take about this fraction of the budget
_READ_SHARE = 1 / 6
#: the sweeps of the read that measures the sweep rate
_CALIBRATION_SWEEPS = 200


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
    with probability 1/2 at the start, the smallest non-zero weight with 1/100 at the end.

    >>> beta_range(np.array([0, 2, 4]), np.array([1.0, 1.0, 1.0, 1.0]))
    (0.34657359027997264, 4.605170185988092)
    """
    absw = np.abs(weights)
    n = len(indptr) - 1
    owner = np.repeat(np.arange(n), np.diff(indptr))
    per_vertex = np.bincount(owner, weights=absw, minlength=n)
    biggest = float(per_vertex.max()) if n else 0.0
    nonzero = absw[absw > 0]
    smallest = float(nonzero.min()) if len(nonzero) else 1.0
    if biggest <= 0:
        return 1.0, 1.0
    return math.log(2.0) / biggest, math.log(100.0) / smallest


def _warm_up(kernel) -> None:
    ptr, idx, w = np.array([0, 1, 2]), np.array([1, 0]), np.array([1.0, 1.0])
    kernel(ptr, idx, w, np.ones(2, dtype=np.int8), 1, 1.0, 1.0, 0)


def _cuts(graph: Graph, sides: np.ndarray) -> np.ndarray:
    cross = sides[:, graph.src] != sides[:, graph.dst]
    return cross.astype(np.float64) @ np.asarray(graph.weight, dtype=np.float64)


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
    a sixth of it each (``sweeps`` unset) and run until the next would not fit; ``target`` ends
    the run once a cut reaches it. The same seed, reads and sweeps give the same answer.
    """
    from ._anneal_jit import anneal_read

    if reads is None and time_limit is None:
        raise ValueError("give reads or a time_limit")
    n = graph.n
    indptr, indices, weights = csr_arrays(graph)
    hot, cold = beta_range(indptr, weights)
    _warm_up(anneal_read)  # loading the compiled kernel must not count as a sweep rate
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    out: list[np.ndarray] = []

    def one(k: int, count: int) -> float:
        s = np.where(rng.random(n) < 0.5, 1, -1).astype(np.int8)
        t = time.perf_counter()
        anneal_read(indptr, indices, weights, s, count, hot, cold, seed * 1_000_003 + k)
        out.append(s < 0)
        return time.perf_counter() - t

    if time_limit is None:
        for k in range(int(reads or 0)):
            one(k, int(sweeps or 1000))
    else:
        count = sweeps
        if count is None:  # measure the sweep rate on a short read (kept: it is a read too)
            per_sweep = one(0, _CALIBRATION_SWEEPS) / _CALIBRATION_SWEEPS
            count = max(_CALIBRATION_SWEEPS, int(_READ_SHARE * time_limit / max(per_sweep, 1e-9)))
        k, last = len(out), 0.0
        while reads is None or len(out) < reads:
            left = time_limit - (time.perf_counter() - t0)
            if left <= 0 or (out and last > left):
                break
            if target is not None and out and _cuts(graph, np.stack(out)).max() >= target:
                break
            last = one(k, count)
            k += 1
    sides = np.stack(out) if out else np.zeros((0, n), dtype=bool)
    return sides, _cuts(graph, sides)
