"""Rechecking MaxCut and hypergraph MaxCut results: the cut recomputed from the edges, and the
spectral bound recomputed from its certificate u.

For x ∈ {±1}ⁿ and any vector u, xᵀLx = xᵀ(L + Diag u)x − Σu ≤ n·λ_max(L + Diag u) − Σu, and
the cut is xᵀLx / 4 (L the weighted Laplacian), so u proves cut ≤ (n·λ_max − Σu)/4. λ_max is
computed here (dense up to :data:`DENSE_MAX` vertices, else Lanczos with its residual added)
and raised by a margin for rounding before the bound is taken, floored for integer weights.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..core.errors import InputError
from ..io import read_graph
from . import Failed

#: up to this many vertices λ_max is computed densely (LAPACK), above by Lanczos
DENSE_MAX = 6000


def _ids(labels: Any, n: int) -> dict[str, int]:
    labels = labels if labels is not None else np.arange(1, n + 1)
    return {str(x.item() if hasattr(x, "item") else x): i for i, x in enumerate(labels)}


def _side(solution: Any, index: dict[str, int], n: int) -> np.ndarray:
    if not isinstance(solution, list):
        raise Failed("the solution is not a list of vertex ids")
    side = np.zeros(n, dtype=bool)
    for x in solution:
        i = index.get(str(x))
        if i is None:
            raise Failed(f"the solution names vertex {x!r}, not in the input")
        if side[i]:
            raise Failed(f"the solution lists vertex {x!r} twice")
        side[i] = True
    return side


def _same(a: float, b: Any) -> bool:
    return isinstance(b, (int, float)) and abs(a - b) <= 1e-9 * max(1.0, abs(a))


def _lambda_max(M: sp.csr_matrix) -> float:
    """An upper estimate of the largest eigenvalue of the symmetric ``M``."""
    n = M.shape[0]
    norm = float(abs(M).sum(axis=1).max()) if n else 0.0
    if n <= DENSE_MAX:
        lam = float(np.linalg.eigvalsh(M.toarray())[-1])
        return lam + 1e-12 * n * max(norm, 1.0)
    from scipy.sparse.linalg import eigsh

    vals, vecs = eigsh(M, k=1, which="LA", tol=1e-10)
    v = vecs[:, 0] / np.linalg.norm(vecs[:, 0])
    residual = float(np.linalg.norm(M @ v - vals[0] * v))
    return float(vals[0]) + residual + 1e-12 * n * max(norm, 1.0)


def _check_maxcut(input: Path, result: dict, certificate: dict | None, fmt: str | None):
    g = read_graph(input, format=fmt)
    n = g.n
    src, dst = np.asarray(g.src, np.int64), np.asarray(g.dst, np.int64)
    w = np.ones(len(src)) if g.weight is None else np.asarray(g.weight, float)
    side = _side(result["solution"], _ids(g.ids, n), n)
    cut = float(np.sum(w[side[src] != side[dst]]))
    if not _same(cut, result.get("objective")):
        raise Failed(f"objective {result.get('objective')} recorded, but the cut weighs {cut:g}")
    if result.get("feasible") is not True:
        raise Failed("feasible false recorded for a cut (every cut is feasible)")
    lines = [f"maxcut: cut of {cut:g} over {len(src)} edges recomputed"]
    if result.get("bound") is None:
        return lines
    if result.get("bound_method") != "spectral":
        raise Failed(f"unknown MaxCut bound method {result.get('bound_method')!r}")
    u = (certificate or {}).get("u")
    if not isinstance(u, list) or len(u) != n:
        raise Failed(f"the spectral certificate needs u with {n} entries")
    u = np.asarray(u, dtype=float)
    if not np.all(np.isfinite(u)):
        raise Failed("the spectral certificate u has a non-finite entry")
    loops = src != dst
    W = sp.coo_matrix((w[loops], (src[loops], dst[loops])), shape=(n, n)).tocsr()
    W = W + W.T
    L = sp.diags(np.asarray(W.sum(axis=1)).ravel()) - W
    lam = _lambda_max((L + sp.diags(u)).tocsr())
    proven = (n * lam - float(np.sum(u))) / 4
    proven += 1e-9 * max(1.0, abs(proven))  # the sum's own rounding, on the safe side
    if np.all(w == np.round(w)):
        proven = math.floor(proven)
    if result["bound"] < proven - 1e-9 * max(1.0, abs(proven)):
        raise Failed(f"bound {result['bound']:g} recorded, but u proves only {proven:g}")
    lines.append(f"bound {result['bound']:g}: u proves {proven:g} (λ_max = {lam:.9g})")
    return lines


def _check_hypermaxcut(input: Path, result: dict, certificate: dict | None, fmt: str | None):
    from ..io import read_hypergraph

    hg = read_hypergraph(input, format=fmt)
    n = hg.n
    side = _side(result["solution"], _ids(getattr(hg, "ids", None), n), n)
    ptr = np.asarray(hg.edge_ptr, np.int64)
    members = np.asarray(hg.edge_vertices, np.int64)
    w = np.ones(len(ptr) - 1) if hg.weight is None else np.asarray(hg.weight, float)
    cut = 0.0
    for e in range(len(ptr) - 1):
        s = side[members[ptr[e] : ptr[e + 1]]]
        if s.any() and not s.all():
            cut += w[e]
    if not _same(cut, result.get("objective")):
        raise Failed(f"objective {result.get('objective')} recorded, but {cut:g} is cut")
    if result.get("feasible") is not True:
        raise Failed("feasible false recorded for a cut (every cut is feasible)")
    if result.get("bound") is not None:
        raise Failed(f"unknown hypergraph MaxCut bound method {result.get('bound_method')!r}")
    return [f"hypermaxcut: cut weight {cut:g} over {len(ptr) - 1} hyperedges recomputed"]


def check(
    problem: str, input: Path, result: dict, certificate: dict | None, fmt: str | None
) -> list[str]:
    """Recheck a maxcut or hypermaxcut result (and a maxcut's spectral bound)."""
    if problem == "maxcut":
        return _check_maxcut(input, result, certificate, fmt)
    if problem == "hypermaxcut":
        return _check_hypermaxcut(input, result, certificate, fmt)
    raise InputError(f"dnnsolve.verify.cut does not check {problem!r} results")
