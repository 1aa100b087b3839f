"""The certified bound of the ``lp`` and ``qp`` families: the Lagrangian of a dual vector.

The bound lives here, in the LP package, rather than in :mod:`dnnsolve.bounds`: it works on
:class:`~dnnsolve.lp.model.LPData` (the model as HiGHS read it from the file), which the
bounds package may not import. :mod:`dnnsolve.verify.lp` recomputes it with code of its own.

Everything is in the *minimization form* of the model (for a maximization model, of ``min
−f``): ``min cᵀx + offset`` subject to ``l_A ≤ Ax ≤ u_A`` (the rows as HiGHS reads them: the
file's order, less the free ``N`` rows besides the objective) and ``l ≤ x ≤ u`` (the file's
column bounds; ``offset`` is the objective constant, minus the RHS of the objective row). Any
row vector ``y`` proves, by weak duality (the Lagrangian relaxation of the rows),

    OPT ≥ offset + Σ_r (y_r > 0 ? y_r l_r : y_r u_r) + Σ_j min_{l_j ≤ x_j ≤ u_j} λ_j x_j,
    λ = c − Aᵀy,

for *every* y: solver tolerances cannot break it, only weaken it. Three details make it hold
for the duals solvers return:

* a term that needs an infinite bound is −∞. Entries of y whose sign the row's bounds do not
  support (y_r > 0 without l_r) are set to 0 first;
* **zero within rounding**: a reduced cost with ``|λ_j| ≤ band_j = (nnz_j + 3) · 1e-15 ·
  (|c_j| + Σ_r |a_rj y_r|)`` (nnz_j: the column's non-zeros, Q's included) is the rounding
  noise of its own sum and counts as 0, whatever the column's bounds (the bound here uses half
  the band, so that a checker summing in another order agrees). This is the one place where
  the proof is exact only up to float64 rounding, like the evaluation of the sum itself;
* a column with λ_j beyond that band on the side of a missing bound gets an **implied bound**
  from one row, derived from the bounds of the row's other columns (bound propagation,
  earlier derived bounds included): with ``a = a_rj > 0``, ``x_j ≤ (u_r − Σ_{k≠j} min a_rk
  x_k) / a`` and ``x_j ≥ (l_r − Σ_{k≠j} max a_rk x_k) / a`` (``a < 0``: l_r and u_r swap), each
  relaxed by ``1e-9 · (|rhs| + Σ_{k≠j} |a_rk b_k|) / |a| + 1e-9 · |value|`` against the
  rounding of the sum. Every feasible x obeys the derived bounds, so the minimum over them is
  still a bound. Where no row implies one, y is **repaired**: a small LP (HiGHS) finds the
  least change of y on the rows of those columns (then of their neighbours') that brings their
  λ_j into the zero band or to its right side without moving any other column without a
  bound to its wrong side, nor a row's y to its wrong sign; the repaired y is the certificate.

A QP (``½xᵀQx + cᵀx``, Q ⪰ 0) is first linearized at a point x̂ (the answer): convexity gives
``f(x) ≥ −½x̂ᵀQx̂ + (c + Qx̂)ᵀx`` for every x, and the bound above is taken of that linear
function (c becomes c + Qx̂, the constant gains −½x̂ᵀQx̂). At an optimal primal–dual pair the
bound equals the optimum.

Certificate (``bound_method`` ``"lagrangian"``)::

    {"form": "min",            # y is the dual of the minimization form (max: of min −f)
     "y": [m floats],          # row duals, λ = c (+ Qx̂) − Aᵀy, y_r > 0 pairs with l_r
     "implied": [[j, "lower" | "upper", r], ...],   # derivations, applied in this order
     "x": [n floats]}          # QP only: the linearization point x̂

The bound in the file's sense is the value above (minimization) or its negative
(maximization). The point x of a first-order method is feasible only within ``--feas-tol``, so
its objective can lie a little beyond the optimum, and so beyond the bound: the bound recorded
is then the objective itself (still below the proven value; ``notes["lagrangian"]`` keeps the
proven one) when the solver met its tolerance, and none otherwise. An answer the solver calls
optimal whose proven gap exceeds :data:`OPTIMAL_GAP` (1e-6) is recorded ``feasible``: optimal is
what the certificate proves. Methods that give a dual
(``pdhg``, ``projection``, ``highs``, ``osqp``) have a bound; ``energy`` has none.

>>> from dnnsolve.lp.model import make_lp
>>> lp = make_lp([1.0, 1.0], [[1.0, 2.0]], [2.0], [np.inf])
>>> b = lagrangian_bound(lp, np.array([0.5]))
>>> b.value, b.certificate["implied"]
(1.0, [])
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..core.bound import Bound, relative_gap
from ..core.result import Result
from .model import LPData

__all__ = ["OPTIMAL_GAP", "RELAX", "lagrangian_bound", "lp_bound"]

#: the proven gap an ``optimal`` LP / QP answer may have ((objective − bound) / |bound|)
OPTIMAL_GAP = 1e-6
#: the relative slack of a derived column bound (see the module docstring)
RELAX = 1e-9
#: propagation passes at most (each derives the bounds the previous ones made possible)
MAX_PASSES = 50
#: rounds of the dual repair at most
REPAIR_ROUNDS = 6
#: how far the repair reaches: the rows of the columns it fixes, then their neighbours' …
REPAIR_REACH = 3
#: the restricted dual LP of the polish takes at most this many rows
POLISH_MAX_ROWS = 20000


def _implied(
    lp: LPData, need_lo: np.ndarray, need_hi: np.ndarray, deadline: float | None
) -> tuple[np.ndarray, np.ndarray, list[list[Any]], str | None]:
    """Derive finite bounds for the columns ``need_lo`` / ``need_hi`` (boolean masks) lack.

    Returns the working bounds (file bounds, plus the derived ones), the derivations in the
    order they are applied (``[col, side, row]``) and, when a needed bound cannot be derived,
    why. Bounds are derived pass by pass (each pass from the bounds the previous ones left), a
    bound at most once; the needed ones and what they rest on are kept.
    """
    lo, hi = lp.col_lower.copy(), lp.col_upper.copy()
    A = sp.coo_matrix(lp.A)
    rows, cols, vals = A.row.astype(np.int64), A.col.astype(np.int64), A.data
    m = lp.m
    rl, ru = lp.row_lower, lp.row_upper
    # derived[(col, side)] = (row, pass)
    derived: dict[tuple[int, str], tuple[int, int]] = {}
    pos = vals > 0
    for p in range(MAX_PASSES):
        if (not (need_lo & ~np.isfinite(lo)).any()) and not (need_hi & ~np.isfinite(hi)).any():
            break
        if deadline is not None and time.monotonic() > deadline:
            break
        # the bound of each entry's column that enters the row's min / max activity
        b_min = np.where(pos, lo[cols], hi[cols])
        b_max = np.where(pos, hi[cols], lo[cols])
        fin_min, fin_max = np.isfinite(b_min), np.isfinite(b_max)
        t_min = np.where(fin_min, vals * np.where(fin_min, b_min, 0.0), 0.0)
        t_max = np.where(fin_max, vals * np.where(fin_max, b_max, 0.0), 0.0)
        inf_min = np.bincount(rows, ~fin_min, minlength=m)
        inf_max = np.bincount(rows, ~fin_max, minlength=m)
        s_min = np.bincount(rows, t_min, minlength=m)
        s_max = np.bincount(rows, t_max, minlength=m)
        a_min = np.bincount(rows, np.abs(t_min), minlength=m)
        a_max = np.bincount(rows, np.abs(t_max), minlength=m)
        # the rest of the row without the entry's own column (all other bounds finite)
        rest_min_ok = (inf_min[rows] - ~fin_min) == 0
        rest_max_ok = (inf_max[rows] - ~fin_max) == 0
        rest_min = s_min[rows] - t_min
        rest_max = s_max[rows] - t_max
        abs_min = a_min[rows] - np.abs(t_min)
        abs_max = a_max[rows] - np.abs(t_max)
        new = False
        for side, bound in (("upper", hi), ("lower", lo)):
            # upper: a > 0 from u_r and the others' min; a < 0 from l_r and the others' max
            # lower: a > 0 from l_r and the others' max; a < 0 from u_r and the others' min
            use_u = pos if side == "upper" else ~pos
            rhs = np.where(use_u, ru[rows], rl[rows])
            rest = np.where(use_u, rest_min, rest_max)
            ok = np.where(use_u, rest_min_ok, rest_max_ok) & np.isfinite(rhs)
            ok &= ~np.isfinite(bound[cols])
            if not ok.any():
                continue
            absr = np.where(use_u, abs_min, abs_max)
            with np.errstate(invalid="ignore", over="ignore"):
                val = (np.where(ok, rhs, 0.0) - np.where(ok, rest, 0.0)) / vals
                slack = RELAX * (np.abs(np.where(ok, rhs, 0.0)) + absr) / np.abs(vals)
                val = val + (1 if side == "upper" else -1) * (slack + RELAX * np.abs(val))
            ok &= np.isfinite(val)
            idx = np.flatnonzero(ok)
            if idx.size == 0:
                continue
            # the tightest candidate per column
            key = val[idx] if side == "upper" else -val[idx]
            order = np.lexsort((key, cols[idx]))
            idx = idx[order]
            first = np.ones(idx.size, bool)
            first[1:] = cols[idx][1:] != cols[idx][:-1]
            for e in idx[first]:
                j = int(cols[e])
                bound[j] = val[e]
                derived[(j, side)] = (int(rows[e]), p)
                new = True
        if not new:
            break
    missing = np.flatnonzero((need_lo & ~np.isfinite(lo)) | (need_hi & ~np.isfinite(hi)))
    if missing.size:
        j = int(missing[0])
        why = (
            f"column {j} has a reduced cost of the wrong sign for its infinite bound and no "
            f"bound follows from its rows ({missing.size} such columns)"
        )
        return lo, hi, [], why
    # keep the needed derivations and what they rest on (the others' bounds they used)
    csr = sp.csr_matrix(lp.A)
    keep: set[tuple[int, str]] = set()
    stack = [(int(j), "lower") for j in np.flatnonzero(need_lo) if (int(j), "lower") in derived]
    stack += [(int(j), "upper") for j in np.flatnonzero(need_hi) if (int(j), "upper") in derived]
    while stack:
        key = stack.pop()
        if key in keep:
            continue
        keep.add(key)
        j, side = key
        r = derived[key][0]
        s, e = csr.indptr[r], csr.indptr[r + 1]
        idx, vals_r = csr.indices[s:e].tolist(), csr.data[s:e].tolist()
        a_j = vals_r[idx.index(j)]
        # the others at their min activity (upper with a_j > 0, lower with a_j < 0) or max
        uses_min = (side == "upper") == (a_j > 0)
        for k, a in zip(idx, vals_r, strict=True):
            if k == j:
                continue
            k_side = (
                ("lower" if a > 0 else "upper") if uses_min else ("upper" if a > 0 else "lower")
            )
            if (k, k_side) in derived and (k, k_side) not in keep:
                stack.append((k, k_side))
    steps = sorted(keep, key=lambda key: (derived[key][1], key[0], key[1]))
    return lo, hi, [[j, side, derived[(j, side)][0]] for j, side in steps], None


def _replay(lp: LPData, steps: list[list[Any]]) -> tuple[np.ndarray, np.ndarray]:
    """The working bounds after applying ``steps`` in order, one row sum each (what the
    checker computes; the vectorized passes above may round a last bit differently)."""
    lo, hi = lp.col_lower.copy(), lp.col_upper.copy()
    csr = sp.csr_matrix(lp.A)
    for j, side, r in steps:
        s, e = csr.indptr[r], csr.indptr[r + 1]
        idx, a = csr.indices[s:e], csr.data[s:e]
        a_j = float(a[idx == j][0])
        others = idx != j
        k, ak = idx[others], a[others]
        uses_u = (side == "upper") == (a_j > 0)
        if uses_u:  # the others at their minimum activity
            b = np.where(ak > 0, lo[k], hi[k])
            rhs = lp.row_upper[r]
        else:
            b = np.where(ak > 0, hi[k], lo[k])
            rhs = lp.row_lower[r]
        terms = ak * b
        val = (rhs - math.fsum(terms.tolist())) / a_j
        slack = RELAX * (abs(rhs) + math.fsum(np.abs(terms).tolist())) / abs(a_j)
        if side == "upper":
            hi[j] = val + slack + RELAX * abs(val)
        else:
            lo[j] = val - slack - RELAX * abs(val)
    return lo, hi


def _support(lp: LPData, y: np.ndarray) -> np.ndarray:
    """``y`` with the entries whose sign the row bounds do not support set to 0."""
    y = np.where((y > 0) & ~np.isfinite(lp.row_lower), 0.0, y)
    return np.where((y < 0) & ~np.isfinite(lp.row_upper), 0.0, y)


#: a reduced cost within ``(nnz_j + 3) · ROUNDING · (|c_j| + |Q||x̂|_j + |A|ᵀ|y|_j)`` of 0 is 0
#: within the rounding of its own sum: its term is 0 whatever the column's bounds (the value
#: and the checker use this band; which columns need a bound is decided with half of it, so
#: that another summation order agrees)
ROUNDING = 1e-15


class _Reduced:
    """λ = c + Qx̂ − Aᵀy of one dual, its magnitude scale (|c| + |Q||x̂| + |A|ᵀ|y|) and its
    sign, 0 within half the rounding band (see :data:`ROUNDING`)."""

    def __init__(self, lp: LPData, c: np.ndarray, qx: np.ndarray | None, x_hat, y: np.ndarray):
        A = lp.A
        self.lam = c - A.T @ y if qx is None else (c + qx) - A.T @ y
        scale = np.abs(c) + abs(A).T @ np.abs(y)
        nnz = np.diff(sp.csc_matrix(A).indptr)
        if qx is not None:
            scale = scale + abs(lp.Q) @ np.abs(x_hat)
            nnz = nnz + np.diff(sp.csr_matrix(lp.Q).indptr)
        self.band = (nnz + 3) * ROUNDING * scale
        self.sign = np.where(np.abs(self.lam) <= self.band / 2, 0.0, np.sign(self.lam))
        self.scale = scale

    def needs(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Columns whose term needs a lower / an upper bound they do not have."""
        return (self.sign > 0) & ~np.isfinite(lo), (self.sign < 0) & ~np.isfinite(hi)

    def value(self, lp: LPData, const: float, y: np.ndarray, lo, hi) -> float:
        """const + the row terms + the column terms (−∞ when a needed bound is infinite)."""
        with np.errstate(invalid="ignore"):
            row = np.where(y > 0, y * lp.row_lower, np.where(y < 0, y * lp.row_upper, 0.0))
            zero = np.abs(self.lam) <= self.band
            col = np.where(zero, 0.0, np.where(self.lam > 0, self.lam * lo, self.lam * hi))
        return math.fsum([const, math.fsum(row.tolist()), math.fsum(col.tolist())])


def _repair(
    lp: LPData,
    red: _Reduced,
    y: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    fix_lo: np.ndarray,
    fix_hi: np.ndarray,
    deadline: float | None = None,
) -> np.ndarray | None:
    """Move ``y`` a little so that the columns ``fix_hi`` (no upper bound, λ_j < 0) and
    ``fix_lo`` (no lower bound, λ_j > 0) get λ_j into the band where it counts as 0 or to the
    right side of it, keeping every other column without a bound on its side (no worse than it
    was) and every row's sign: a small LP (HiGHS) over the change δ of the rows those columns
    meet (and, when that has no solution, of their neighbours' rows too), min Σ|δ_r|, in units
    of the largest |λ_j| to fix. None when it has no solution."""
    F = fix_lo | fix_hi
    s = float(np.abs(red.lam[F]).max())
    if not (s > 0 and math.isfinite(s)):
        return None
    Ac = sp.csc_matrix(lp.A)
    Ar_all = sp.csr_matrix(lp.A)
    R = np.unique(Ac[:, np.flatnonzero(F)].indices)
    for _ in range(REPAIR_REACH):
        if R.size == 0:
            return None
        d, C = _repair_lp(lp, red, y, lo, hi, F, R, s, Ar_all, deadline)
        if d is not None:
            ny = y.copy()
            ny[R] += d
            # a y_r the change all but cancels is meant to be 0: HiGHS's tolerance would leave
            # a remainder that the next round shrinks only by its tolerance again
            ny[R] = np.where(np.abs(ny[R]) <= 1e-6 * np.abs(d), 0.0, ny[R])
            return _support(lp, ny)
        wider = np.unique(np.concatenate([R, Ac[:, C].indices]))
        if wider.size == R.size:
            return None
        R = wider
    return None


def _repair_lp(lp, red, y, lo, hi, F, R, s, Ar_all, deadline=None):
    """The change of ``y[R]`` of :func:`_repair` (None when its LP has no solution) and the
    columns it constrains."""
    from .model import make_lp
    from .reference import highs_solve

    lam = red.lam
    Ar = Ar_all[R, :]
    open_lo, open_hi = ~np.isfinite(lo), ~np.isfinite(hi)
    touched = np.zeros(lp.n, bool)
    touched[np.unique(Ar.indices)] = True
    C = np.flatnonzero(touched & (open_lo | open_hi))
    M = sp.csr_matrix(Ar[:, C].T)  # |C| × |R|: (Aᵀδ) on the columns C, δ in units of s
    lam_c = lam[C] / s
    # the columns fixed reach the middle of the band where λ_j counts as 0 (a zero-cost ray of
    # the feasible set can leave no room for more: its columns' λ sum to 0 up to rounding);
    # no other column gets worse than it is, or than that. λ' = λ − Aᵀδ must lie in
    # [want_lo, want_hi]: ≥ ~0 without an upper bound, ≤ ~0 without a lower one, both if free
    slack = red.band[C] / (4 * s)
    fixed_c = F[C]
    need_ge, need_le = open_hi[C], open_lo[C]
    want_lo = np.where(need_ge, np.where(fixed_c, 0.0, np.minimum(lam_c, 0.0)) - slack, -np.inf)
    want_hi = np.where(need_le, np.where(fixed_c, 0.0, np.maximum(lam_c, 0.0)) + slack, np.inf)
    # row signs: y + δ ≥ 0 where only the lower bound is finite, ≤ 0 where only the upper;
    # δ = p − q with p, q ≥ 0; a free row's y stays 0
    rl_f, ru_f = np.isfinite(lp.row_lower[R]), np.isfinite(lp.row_upper[R])
    yr = y[R] / s
    p_hi = np.where(~rl_f & ru_f, np.maximum(-yr, 0.0), np.inf)
    q_hi = np.where(rl_f & ~ru_f, np.maximum(yr, 0.0), np.inf)
    free = ~rl_f & ~ru_f
    p_hi = np.where(free, 0.0, p_hi)
    q_hi = np.where(free, 0.0, q_hi)
    k = R.size
    rep = make_lp(
        np.ones(2 * k),
        sp.hstack([M, -M], format="csr"),
        lam_c - want_hi,
        lam_c - want_lo,
        np.zeros(2 * k),
        np.concatenate([p_hi, q_hi]),
        name="repair",
    )
    left = None if deadline is None else max(deadline - time.monotonic(), 0.05)
    out = highs_solve(rep, time_limit=left)
    if out["status"] != "optimal" or out["x"] is None:
        return None, C
    return (out["x"][:k] - out["x"][k:]) * s, C


def _polish(
    lp: LPData, red: _Reduced, y: np.ndarray, need: np.ndarray, deadline
) -> np.ndarray | None:
    """The best y on the rows R that the columns ``need`` meet, the other rows kept: the
    restricted dual LP (HiGHS), max Σ_r min(v_r l_r, v_r u_r) + Σ_j min(λ'_j l_j, λ'_j u_j) over
    v = y_R, with λ' = λ + A_Rᵀ(y_R − v) of the columns those rows meet, λ'_j ≥ 0 where u_j is
    infinite and ≤ 0 where l_j is (so the sign conditions hold to HiGHS's tolerance; the plain
    repair does the rest). None when it has no solution or R exceeds :data:`POLISH_MAX_ROWS`."""
    from .model import make_lp
    from .reference import highs_solve

    Ac = sp.csc_matrix(lp.A)
    R = np.unique(Ac[:, np.flatnonzero(need)].indices)
    if R.size == 0 or R.size > POLISH_MAX_ROWS:
        return None
    Ar = sp.csr_matrix(lp.A)[R, :]
    J = np.unique(Ar.indices)
    AJ = sp.csr_matrix(Ar[:, J].T)  # |J| × |R|
    kappa = red.lam[J] + AJ @ y[R]
    lo, hi = lp.col_lower[J], lp.col_upper[J]
    flo, fhi = np.isfinite(lo), np.isfinite(hi)
    nR, nJ = R.size, J.size
    # variables [v (nR), t (nJ), w (nR)]; maximize Σ t + Σ w
    blocks, r_lo, r_hi = [], [], []
    eyeJ = sp.identity(nJ, format="csr")
    zJ = sp.csr_matrix((nJ, nR))
    for bound, fin in ((lo, flo), (hi, fhi)):
        # t_j + b_j (A_Rᵀv)_j ≤ b_j κ_j, for the finite bounds b_j
        rows = np.flatnonzero(fin)
        if rows.size:
            blocks.append(sp.hstack([sp.diags(bound[rows]) @ AJ[rows], eyeJ[rows], zJ[rows]]))
            r_lo.append(np.full(rows.size, -np.inf))
            r_hi.append(bound[rows] * kappa[rows])
    # the sign of λ' where a bound is missing: (A_Rᵀv)_j ≤ κ_j without u_j, ≥ κ_j without l_j
    sign_rows = np.flatnonzero(~flo | ~fhi)
    if sign_rows.size:
        blocks.append(sp.hstack([AJ[sign_rows], sp.csr_matrix((sign_rows.size, nJ + nR))]))
        r_lo.append(np.where(~flo[sign_rows], kappa[sign_rows], -np.inf))
        r_hi.append(np.where(~fhi[sign_rows], kappa[sign_rows], np.inf))
    rl, ru = lp.row_lower[R], lp.row_upper[R]
    eyeR = sp.identity(nR, format="csr")
    for bound in (rl, ru):
        # w_r − b_r v_r ≤ 0 for the finite row bounds b_r
        rows = np.flatnonzero(np.isfinite(bound))
        if rows.size:
            blocks.append(
                sp.hstack(
                    [
                        -sp.diags(bound[rows]) @ eyeR[rows],
                        sp.csr_matrix((rows.size, nJ)),
                        eyeR[rows],
                    ]
                )
            )
            r_lo.append(np.full(rows.size, -np.inf))
            r_hi.append(np.zeros(rows.size))
    v_lo = np.where(np.isfinite(ru), -np.inf, 0.0)  # no upper bound: v ≥ 0
    v_hi = np.where(np.isfinite(rl), np.inf, 0.0)  # no lower bound: v ≤ 0
    # t and w are bounded by their rows; a column or row without one gets t = 0 / w = 0
    t_fix = ~flo & ~fhi
    w_fix = ~np.isfinite(rl) & ~np.isfinite(ru)
    inf = np.inf
    model = make_lp(
        np.concatenate([np.zeros(nR), -np.ones(nJ), -np.ones(nR)]),
        sp.vstack(blocks, format="csr"),
        np.concatenate(r_lo),
        np.concatenate(r_hi),
        np.concatenate([v_lo, np.where(t_fix, 0.0, -inf), np.where(w_fix, 0.0, -inf)]),
        np.concatenate([v_hi, np.where(t_fix, 0.0, inf), np.where(w_fix, 0.0, inf)]),
        name="polish",
    )
    left = None if deadline is None else max(deadline - time.monotonic(), 0.1)
    out = highs_solve(model, time_limit=left)
    if out["status"] != "optimal" or out["x"] is None:
        return None
    ny = y.copy()
    ny[R] = out["x"][:nR]
    return _support(lp, ny)


def lagrangian_bound(
    lp: LPData,
    y: np.ndarray,
    x_hat: np.ndarray | None = None,
    deadline: float | None = None,
) -> Bound | None:
    """The Lagrangian bound of the row duals ``y`` (minimization-form convention, see the
    module docstring) on ``lp``'s optimum, in the file's sense; for a QP, linearized at
    ``x_hat``. None when it needs a bound that neither the file nor the rows give."""
    t0 = time.perf_counter()
    y = np.nan_to_num(np.asarray(y, dtype=np.float64).reshape(-1), nan=0.0, posinf=0.0, neginf=0.0)
    if y.shape != (lp.m,):
        raise ValueError(f"y has {y.size} entries for {lp.m} rows")
    # a sign the row's bounds do not support would make the bound −∞: drop those entries
    y = _support(lp, y)
    c, const, qx, xh = lp.c.astype(np.float64), float(lp.offset), None, None
    if lp.is_qp:
        if x_hat is None:
            return None
        xh = np.asarray(x_hat, dtype=np.float64).reshape(-1)
        if xh.shape != (lp.n,) or not np.isfinite(xh).all():
            return None
        qx = lp.Q @ xh
        const = const - 0.5 * float(xh @ qx)
    first = _Reduced(lp, c, qx, xh, y)
    need_lo, need_hi = first.needs(lp.col_lower, lp.col_upper)
    tries = [_attempt(lp, c, qx, xh, const, y, deadline, repair_first=False)]
    if need_lo.any() or need_hi.any():
        for mode in ("repair", "polish"):
            tries.append(_attempt(lp, c, qx, xh, const, y, deadline, True, mode))
    tries = [t for t in tries if t is not None]
    if not tries:
        return None
    value, y, steps, repairs = max(tries, key=lambda t: t[0])
    cert: dict[str, Any] = {"form": "min", "y": y.tolist(), "implied": steps}
    if xh is not None:
        cert["x"] = xh.tolist()
    if lp.sense == "max":
        value = -value
    notes = {
        "implied_bounds": len(steps),
        "repair_rounds": repairs,
        "columns_without_bound": int(need_lo.sum() + need_hi.sum()),
    }
    return Bound(value, "lagrangian", cert, time.perf_counter() - t0, notes)


def _attempt(
    lp: LPData,
    c: np.ndarray,
    qx: np.ndarray | None,
    xh: np.ndarray | None,
    const: float,
    y: np.ndarray,
    deadline: float | None,
    repair_first: bool,
    mode: str = "repair",
) -> tuple[float, np.ndarray, list[list[Any]], int] | None:
    """One way to a finite Lagrangian: implied bounds first, the repair for the columns no
    row bounds; or (``repair_first``) the repair of every column without its bound first (an
    implied bound far from the optimum costs |λ_j| times its distance: the repair can be the
    stronger bound), implied bounds for what the repair leaves. (value, y, derivations,
    repair rounds), or None."""
    repairs = 0
    rounds_first = REPAIR_ROUNDS if repair_first else 0
    while True:
        red = _Reduced(lp, c, qx, xh, y)
        need_lo, need_hi = red.needs(lp.col_lower, lp.col_upper)
        steps: list[list[Any]] = []
        lo, hi = lp.col_lower, lp.col_upper
        if not (need_lo.any() or need_hi.any()):
            break
        if deadline is not None and time.monotonic() > deadline:
            return None
        if repairs < rounds_first:
            if mode == "polish" and repairs == 0:
                ny = _polish(lp, red, y, need_lo | need_hi, deadline)
            else:
                ny = _repair(lp, red, y, lo, hi, need_lo, need_hi, deadline=deadline)
            if ny is not None:
                y, repairs = ny, repairs + 1
                continue
            rounds_first = repairs  # the repair alone does not reach: implied bounds now
        lo, hi, steps, _ = _implied(lp, need_lo, need_hi, deadline)
        fix_lo, fix_hi = need_lo & ~np.isfinite(lo), need_hi & ~np.isfinite(hi)
        if not (fix_lo.any() or fix_hi.any()):
            lo, hi = _replay(lp, steps)
            break
        if repairs >= rounds_first + REPAIR_ROUNDS:
            return None
        ny = _repair(lp, red, y, lo, hi, fix_lo, fix_hi, deadline=deadline)
        if ny is None:
            return None
        y, repairs = ny, repairs + 1
    value = red.value(lp, const, y, lo, hi)
    return (value, y, steps, repairs) if math.isfinite(value) else None


def lp_bound(lp: LPData, result: Result, deadline: float) -> Bound | None:
    """The family's ``bound``: the Lagrangian bound of the run's dual ``extra["y"]`` (linearized
    at the answer for a QP); None for a method without a dual (``energy``).

    A bound beyond the objective (an answer feasible only within ``--feas-tol``) is recorded
    as the objective itself when the solver met its tolerance (status ``optimal``), and left
    out otherwise, with a note. An ``optimal`` answer whose proven gap exceeds
    :data:`OPTIMAL_GAP` becomes ``feasible`` (the solver's own word stays in
    ``extra["solver_status"]``): optimal is what the certificate proves."""
    y = result.extra.get("y")
    if y is None or result.objective is None:
        return None
    x = result.solution_array if result.solution_array is not None else result.solution
    found = lagrangian_bound(lp, np.asarray(y, dtype=np.float64), x, deadline)
    if found is None:
        return None
    obj = float(result.objective)
    beyond = found.value > obj if lp.sense == "min" else found.value < obj
    if beyond:
        found.notes["lagrangian"] = found.value
        if result.status != "optimal":
            note = (
                f"no bound: the proven {found.value:.10g} lies beyond the objective {obj:.10g} "
                "of a point feasible only within --feas-tol"
            )
            result.extra.setdefault("notes", []).append(note)
            return None
        found.value = obj
    gap = relative_gap(obj, found.value, lp.sense)
    if result.status == "optimal" and gap is not None and gap > OPTIMAL_GAP:
        result.status = "feasible"
        result.extra.setdefault("notes", []).append(
            f"the solver met its tolerance, but the proven gap is {gap:.3g} > {OPTIMAL_GAP:g}"
        )
    return found
