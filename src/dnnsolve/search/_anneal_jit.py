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
