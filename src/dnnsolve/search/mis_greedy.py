"""Sequential greedy independent-set kernels over CSR arrays, compiled with numba.

The parallel (Luby-style) rules of :mod:`dnnsolve.search.mis` move every local
priority extremum at once, one round per O(B·m) pass; on a CPU a dense start (most
vertices selected, as a relaxation decoded at 0.5 gives) needs tens of rounds on
graphs of 10⁵–10⁶ vertices, each costing a second or more.  The same priority rules
run sequentially, with an indexed binary heap, cost O((n + m) log n) per row in one
pass, and they are the exact greedy the parallel rules approximate:

* :func:`greedy_fill`: grow each row to a maximal independent set, always adding
  the free vertex of smallest ``(free degree + 1) / weight`` (dynamic min-degree
  greedy restricted to the free vertices: from an empty set it is the classical
  baseline);
* :func:`greedy_drop`: remove vertices from each row until it is independent,
  always removing the conflicted vertex of largest ``selected-neighbour count / weight``.

Keys carry a relative perturbation ``1 + 1e-3 · noise`` (the caller's random numbers,
so runs stay reproducible); exact ties go to the smaller vertex index.
Rows are independent: a (B, n) batch is processed row by row.  The kernels are
compiled on first use (cached on disk by numba); without numba, :func:`available`
is False and callers keep the tensor rules.
"""

from __future__ import annotations

import numpy as np

__all__ = ["available", "greedy_drop", "greedy_fill", "ils_kernel"]


_COMPILED: dict[str, object] = {}


def _kernel(name: str):
    # imported on first use: numba costs a third of a second to import
    if "module" not in _COMPILED:
        try:
            from . import _mis_greedy_jit
        except ImportError:  # numba is a dependency; a broken install falls back to tensors
            _COMPILED["module"] = None
        else:
            _COMPILED["module"] = _mis_greedy_jit
    module = _COMPILED["module"]
    return None if module is None else getattr(module, f"{name}_rows")


def available() -> bool:
    """Whether the compiled kernels can run (numba importable)."""
    return _kernel("fill") is not None


def ils_kernel():
    """The compiled iterated local search (:mod:`._mis_ils_jit`: ``init_walk``, ``walk`` and
    the layout of their state arrays), or None without numba."""
    if "ils" not in _COMPILED:
        try:
            from . import _mis_ils_jit
        except ImportError:  # as for the greedy kernels: the tensor search stays
            _COMPILED["ils"] = None
        else:
            _COMPILED["ils"] = _mis_ils_jit
    return _COMPILED["ils"]


def _prepared(indptr, indices, w, z, noise):
    z = np.ascontiguousarray(z, dtype=np.bool_).copy()
    B, n = z.shape
    noise = np.zeros((B, n)) if noise is None else np.ascontiguousarray(noise, dtype=np.float64)
    return (
        np.ascontiguousarray(indptr, dtype=np.int64),
        np.ascontiguousarray(indices, dtype=np.int64),
        np.maximum(np.ascontiguousarray(w, dtype=np.float64), 1e-12),
        z,
        noise,
    )


def greedy_fill(
    indptr: np.ndarray,
    indices: np.ndarray,
    w: np.ndarray,
    z: np.ndarray,
    allowed: np.ndarray | None = None,
    noise: np.ndarray | None = None,
) -> np.ndarray:
    """Grow each independent row of ``z`` (B, n) to a maximal one by dynamic min-degree
    greedy over its free vertices (``allowed`` (B, n), positive weight, no neighbour in the
    set).  Returns a new bool array.

    >>> indptr, indices = np.array([0, 1, 3, 4]), np.array([1, 0, 2, 1])  # the path 0-1-2
    >>> greedy_fill(indptr, indices, np.ones(3), np.zeros((1, 3), bool)).tolist()
    [[True, False, True]]
    """
    ip, ix, w_pos, out, noise = _prepared(indptr, indices, w, z, noise)
    ok = np.ones_like(out) if allowed is None else np.ascontiguousarray(allowed, dtype=np.bool_)
    ok = ok & (np.asarray(w) > 0)[None, :]
    _kernel("fill")(ip, ix, w_pos, out, ok, noise)
    return out


def greedy_drop(
    indptr: np.ndarray,
    indices: np.ndarray,
    w: np.ndarray,
    z: np.ndarray,
    noise: np.ndarray | None = None,
) -> np.ndarray:
    """Remove vertices from each row of ``z`` (B, n) until it is independent, always the
    conflicted vertex with the most selected neighbours per unit weight.  Returns a new
    bool array.

    >>> indptr, indices = np.array([0, 1, 3, 4]), np.array([1, 0, 2, 1])  # the path 0-1-2
    >>> greedy_drop(indptr, indices, np.ones(3), np.ones((1, 3), bool)).tolist()
    [[True, False, True]]
    """
    ip, ix, w_pos, out, noise = _prepared(indptr, indices, w, z, noise)
    _kernel("drop")(ip, ix, w_pos, out, noise)
    return out
