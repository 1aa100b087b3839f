"""The compiled loop of :mod:`dnnsolve.search.anneal` (imported on first use: numba).

Single-spin Metropolis sweeps over a CSR graph, one read after another, each read from its own
random start. Random numbers come from :mod:`._random_jit`, seeded per read.
"""

import math

import numba
import numpy as np

from ._random_jit import uniform

_jit = numba.njit(cache=True, nogil=True)


@_jit
def _fields(indptr, indices, weights, s, h):
    """h_i = Σ_j w_ij s_j."""
    n = len(indptr) - 1
    for i in range(n):
        acc = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            acc += weights[k] * s[indices[k]]
        h[i] = acc


@_jit
def anneal_read(indptr, indices, weights, s, sweeps, beta_hot, beta_cold, seed):
    """One read: anneal the ±1 spins ``s`` (int8, changed in place) for ``sweeps`` sweeps of the
    geometric schedule ``beta_hot → beta_cold``, maximizing the cut, and leave in ``s`` the best
    state seen (not only the last); return its cut gain over the start.

    Flipping spin i changes the cut by s_i h_i; a loss is accepted with probability
    exp(beta · gain); the spins are visited in a fresh random order each sweep.
    """
    n = len(s)
    h = np.empty(n, dtype=np.float64)
    best = s.copy()
    state = np.empty(1, dtype=np.uint64)
    state[0] = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(1)
    if state[0] == 0:
        state[0] = np.uint64(1)
    _fields(indptr, indices, weights, s, h)
    ratio = 1.0 if sweeps <= 1 else (beta_cold / beta_hot) ** (1.0 / (sweeps - 1))
    gain, top, beta = 0.0, 0.0, beta_hot
    order = np.arange(n)
    for _ in range(sweeps):
        # a fresh visiting order each sweep: in a fixed order the domain walls march along
        # with the sweep through neutral flips and never meet (an even ring stays at n - 2)
        for k in range(n - 1, 0, -1):
            j = int(uniform(state) * (k + 1))
            order[k], order[j] = order[j], order[k]
        for i in order:
            d = s[i] * h[i]
            if d >= 0.0 or uniform(state) < math.exp(beta * d):
                old = s[i]
                s[i] = -old
                gain += d
                for k in range(indptr[i], indptr[i + 1]):
                    h[indices[k]] -= 2.0 * weights[k] * old
        if gain > top:
            top = gain
            best[:] = s
        beta *= ratio
    s[:] = best
    return top


@_jit
def _hyper_gain(v, side, vptr, vedges, esize, ew, cnt):
    """Cut change of flipping vertex ``v`` (currently on ``side``): a hyperedge is cut while its
    side-1 count c lies strictly between 0 and its size."""
    d = -1 if side == 1 else 1
    g = 0.0
    for k in range(vptr[v], vptr[v + 1]):
        e = vedges[k]
        c, s = cnt[e], esize[e]
        after = 1.0 if 0 < c + d < s else 0.0
        before = 1.0 if 0 < c < s else 0.0
        g += ew[e] * (after - before)
    return g


@_jit
def anneal_hyper_read(vptr, vedges, esize, ew, sides, sweeps, beta_hot, beta_cold, seed):
    """One read of hypergraph-MaxCut annealing: ``sides`` (uint8 0/1, changed in place) are
    annealed for ``sweeps`` sweeps of the geometric schedule and left at the best state seen;
    return its cut gain over the start. ``vptr``/``vedges`` list each vertex's hyperedges
    (distinct), ``esize`` the members per hyperedge; a flip costs O(degree)."""
    n, m = len(sides), len(esize)
    cnt = np.zeros(m, dtype=np.int64)
    for v in range(n):
        if sides[v]:
            for k in range(vptr[v], vptr[v + 1]):
                cnt[vedges[k]] += 1
    best = sides.copy()
    state = np.empty(1, dtype=np.uint64)
    state[0] = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(1)
    if state[0] == 0:
        state[0] = np.uint64(1)
    ratio = 1.0 if sweeps <= 1 else (beta_cold / beta_hot) ** (1.0 / (sweeps - 1))
    gain, top, beta = 0.0, 0.0, beta_hot
    order = np.arange(n)
    for _ in range(sweeps):
        for k in range(n - 1, 0, -1):  # a fresh visiting order each sweep, as for graphs
            j = int(uniform(state) * (k + 1))
            order[k], order[j] = order[j], order[k]
        for v in order:
            side = sides[v]
            d = _hyper_gain(v, side, vptr, vedges, esize, ew, cnt)
            if d >= 0.0 or uniform(state) < math.exp(beta * d):
                step = -1 if side == 1 else 1
                for k in range(vptr[v], vptr[v + 1]):
                    cnt[vedges[k]] += step
                sides[v] = 1 - side
                gain += d
        if gain > top:
            top = gain
            best[:] = sides
        beta *= ratio
    sides[:] = best
    return top
