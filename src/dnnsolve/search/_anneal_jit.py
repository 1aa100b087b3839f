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
def _gcd(a, b):
    while b:
        a, b = b, a % b
    return a


@_jit
def _strided_order(order, state):
    """Fill ``order`` with a fresh visiting order: a random start and a random step coprime
    to n. In a fixed order the domain walls march along with the sweep through neutral flips
    and never meet (an even ring stays at n - 2); this breaks that at O(1) random draws per
    sweep, where a full shuffle costs n (a tenth of a sweep on a sparse graph), and anneals as
    well per sweep (measured on Gset G55 and G70)."""
    n = len(order)
    a = int(uniform(state) * n)
    b = 1 + int(uniform(state) * (n - 1)) if n > 1 else 1
    while _gcd(b, n) != 1:
        b = 1 + int(uniform(state) * (n - 1))
    for k in range(n):
        order[k] = (a + k * b) % n


@_jit
def anneal_read(indptr, indices, weights, s, sweeps, beta_hot, beta_cold, seed, table_size):
    """One read: anneal the ±1 spins ``s`` (int8, changed in place) for ``sweeps`` sweeps of the
    geometric schedule ``beta_hot → beta_cold``, maximizing the cut, and leave in ``s`` the best
    state seen (not only the last); return its cut gain over the start.

    Flipping spin i changes the cut by s_i h_i; a loss is accepted with probability
    exp(beta · gain). With integer weights (``table_size`` > 0, at least the largest possible
    loss + 1) the losses are integers and the probabilities come from a table built once per
    sweep instead of an exp per move; losses accepted with probability below e^-20 are
    rejected without a random draw.
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
    table = np.empty(max(table_size, 1))
    for _ in range(sweeps):
        cutoff = -20.0 / beta
        for t in range(min(table_size, int(-cutoff) + 2)):
            table[t] = math.exp(-beta * t)
        _strided_order(order, state)
        for i in order:
            d = s[i] * h[i]
            if d < 0.0:
                if d < cutoff:
                    continue
                p = table[int(0.5 - d)] if table_size > 0 else math.exp(beta * d)
                if uniform(state) >= p:
                    continue
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
        for k in range(n - 1, 0, -1):  # a fresh visiting order each sweep (a full shuffle)
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
