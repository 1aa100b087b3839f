"""Compiled RRR kernel for exact NMF: one restart, many iterations, no Python in the loop.

The torch path (:class:`~.nmf.NMFDC` + :class:`~dnnsolve.rrr.engine.RRR`) pays ~100 small
tensor operations per iteration; on a 12 x 10 rank-4 problem that is milliseconds for a few
microseconds of arithmetic. This module runs the same iteration (same projections, same
metric) as a numba-compiled loop over the (item, data node) pairs; the kernels hold no GIL, so
restarts run on parallel threads. numba is optional:
:data:`AVAILABLE` says whether it imported, and :mod:`.nmf` falls back to torch without it.
"""

from __future__ import annotations

import math

import numpy as np

try:  # numba is an optional accelerator, not a dependency
    from numba import njit

    AVAILABLE = True
except ImportError:  # pragma: no cover - depends on the environment
    AVAILABLE = False

    def njit(*args, **kwargs):  # type: ignore[no-redef]
        """No-op stand-in so the module imports without numba (the kernel is then unused)."""

        def wrap(fn):
            return fn

        return wrap(args[0]) if args and callable(args[0]) else wrap


#: safeguarded Newton on the bilinear multiplier u: most iterations, the bracket width that
#: ends it, and the step below which the step just taken is final
NEWTON_ITER = 60
NEWTON_TOL = 1e-13
NEWTON_STEP = 1e-8
#: LLVM fast-math flags that reorder and fuse arithmetic (about a quarter off the iteration);
#: not "nnan" / "ninf", which would let the compiler drop the finiteness check of the gap
FAST_MATH = {"nsz", "arcp", "contract", "afn", "reassoc"}


@njit(cache=True, nogil=True, fastmath=FAST_MATH)
def _consensus(w, z, omega, wa, za):  # pragma: no cover - compiled
    """P_A: W = mean_k w[k], >= 0, columns of norm omega; Z = mean_i z[:, i], >= 0."""
    kk, m, r = w.shape
    for i in range(m):
        for j in range(r):
            s = 0.0
            for k in range(kk):
                s += w[k, i, j]
            wa[i, j] = s / kk
    for j in range(r):
        nrm = 0.0
        best = 0
        for i in range(m):
            if wa[i, j] > wa[best, j]:
                best = i
            if wa[i, j] > 0.0:
                nrm += wa[i, j] * wa[i, j]
        if nrm > 0.0:
            f = omega / math.sqrt(nrm)
            for i in range(m):
                wa[i, j] = wa[i, j] * f if wa[i, j] > 0.0 else 0.0
        else:  # nothing positive: the nearest point of the non-negative sphere
            for i in range(m):
                wa[i, j] = 0.0
            wa[best, j] = omega
    for k in range(kk):
        for j in range(r):
            s = 0.0
            for i in range(m):
                s += z[k, i, j]
            s /= m
            za[k, j] = s if s > 0.0 else 0.0


@njit(cache=True, nogil=True, fastmath=FAST_MATH)
def bilinear_root(p, q, a, c, u):  # pragma: no cover - compiled
    """Root in (-1, 1) of a u + [p(1+u^2) + q u]/(1-u^2)^2 = c: Newton from ``u``, bracketed.

    The multiplier of the bilinear projection (paper App. B): ``p`` = x.w, ``q`` = |x|^2 +
    |w|^2 of the point projected, ``a`` = Omega^2 / g^2 when y moves too (0 when the right side
    ``c`` is fixed, as in NMF); the left side increases in u, so the root is unique.

    Stops once a Newton step is below NEWTON_STEP: convergence is quadratic there, so the
    step taken is already accurate to about its square (a confirming step would cost a fifth
    of the iteration).
    """
    lo, hi = -1.0, 1.0
    if u <= -1.0 or u >= 1.0:
        u = 0.0
    for _ in range(NEWTON_ITER):
        inv = 1.0 / (1.0 - u * u)
        inv2 = inv * inv
        num = p * (1.0 + u * u) + q * u
        f = a * u + num * inv2 - c
        if f == 0.0:
            return u
        if f > 0.0:
            hi = u
        else:
            lo = u
        df = a + (2.0 * p * u + q) * inv2 + 4.0 * u * num * inv2 * inv
        un = u - f / df if df > 0.0 else 0.5 * (lo + hi)
        if not (lo < un < hi):
            un = 0.5 * (lo + hi)
        if abs(un - u) < NEWTON_STEP or hi - lo < NEWTON_TOL:
            return un
        u = un
    return u


@njit(cache=True, nogil=True, fastmath=FAST_MATH)
def rrr_iterate(x, w, z, u, beta, omega, n_iter, check_every, res_tol, wa, za):  # pragma: no cover
    """Run up to ``n_iter`` RRR iterations in place on one restart's copies.

    ``x`` (K, m) data; ``w``, ``z`` (K, m, r) the weight / code copies (the iterate);
    ``u`` (K, m) the last bilinear multipliers (Newton starts); ``wa`` (m, r), ``za`` (K, r)
    receive P_A of the final iterate. Every ``check_every`` iterations the read-off
    Z W^T is compared with X; the run stops when |X - Z W^T|_F <= ``res_tol``.
    Returns (iterations run, solved flag, last gap |P_B(2 P_A x - x) - P_A x|).
    """
    kk, m, r = w.shape
    aw = np.empty(r)
    az = np.empty(r)
    gap = np.inf
    for it in range(1, n_iter + 1):
        _consensus(w, z, omega, wa, za)
        if (it - 1) % check_every == 0:
            res = 0.0
            for k in range(kk):
                for i in range(m):
                    s = 0.0
                    for j in range(r):
                        s += za[k, j] * wa[i, j]
                    res += (x[k, i] - s) ** 2
            if math.sqrt(res) <= res_tol:
                return it - 1, True, gap
        g2 = 0.0
        for k in range(kk):
            for i in range(m):
                p = 0.0
                q = 0.0
                for j in range(r):
                    a = 2.0 * wa[i, j] - w[k, i, j]
                    b = 2.0 * za[k, j] - z[k, i, j]
                    aw[j] = a
                    az[j] = b
                    p += a * b
                    q += a * a + b * b
                uu = bilinear_root(p, q, 0.0, x[k, i], u[k, i])
                u[k, i] = uu
                inv = 1.0 / (1.0 - uu * uu)
                for j in range(r):
                    dw = (aw[j] + uu * az[j]) * inv - wa[i, j]
                    dz = (az[j] + uu * aw[j]) * inv - za[k, j]
                    w[k, i, j] += beta * dw
                    z[k, i, j] += beta * dz
                    g2 += dw * dw + dz * dz
        gap = math.sqrt(g2)
        if not math.isfinite(gap):
            return it, False, gap
    _consensus(w, z, omega, wa, za)
    return n_iter, False, gap
