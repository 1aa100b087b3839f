"""Classical anchors: HiGHS (simplex / IPM) for LP and QP, OSQP (ADMM) for QP.

Both run on the same :class:`LPData` the first-order methods see (always a minimization), so
objectives compare directly. HiGHS is single-threaded by default here, as in the measured
baseline of ``datasets/lp/SOURCES.md``.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from ..core.errors import InputError
from .io import new_highs
from .model import LPData

__all__ = ["highs_solve", "osqp_solve"]


def highs_solve(lp: LPData, time_limit: float | None = None, threads: int | None = 1) -> dict:
    """Solve with HiGHS; returns status, objective, x, y (row duals) and solve time.

    >>> from dnnsolve.lp.model import make_lp
    >>> r = highs_solve(make_lp([1.0, 2.0], [[1.0, 1.0]], [1.0], [np.inf]))
    >>> r["status"], r["objective"]
    ('optimal', 1.0)
    """
    import highspy

    h = new_highs(threads)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    model = highspy.HighsLp()
    model.num_col_ = lp.n
    model.num_row_ = lp.m
    model.col_cost_ = lp.c
    model.col_lower_ = lp.col_lower
    model.col_upper_ = lp.col_upper
    model.row_lower_ = lp.row_lower
    model.row_upper_ = lp.row_upper
    model.offset_ = lp.offset
    Ac = sp.csc_matrix(lp.A)
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = Ac.indptr.astype(np.int32)
    model.a_matrix_.index_ = Ac.indices.astype(np.int32)
    model.a_matrix_.value_ = Ac.data
    model.a_matrix_.num_col_ = lp.n
    model.a_matrix_.num_row_ = lp.m
    h.passModel(model)
    if lp.is_qp:
        L = sp.csc_matrix(sp.tril(lp.Q))
        h.passHessian(
            lp.n,
            L.nnz,
            int(highspy.HessianFormat.kTriangular),
            L.indptr.astype(np.int32),
            L.indices.astype(np.int32),
            L.data,
        )
    t = time.perf_counter()
    h.run()
    elapsed = time.perf_counter() - t
    st = h.getModelStatus()
    name = h.modelStatusToString(st)
    mapping = {
        "Optimal": "optimal",
        "Infeasible": "infeasible",
        "Unbounded": "unbounded",
        "Primal infeasible or unbounded": "infeasible_or_unbounded",
        "Time limit reached": "time_limit",
        "Iteration limit reached": "max_iter",
    }
    sol = h.getSolution()
    out = {
        "status": mapping.get(name, name),
        "highs_status": name,
        "objective": float(h.getInfo().objective_function_value) if name == "Optimal" else None,
        "time_s": elapsed,
        "x": np.asarray(sol.col_value, dtype=np.float64) if sol.value_valid else None,
        # HiGHS row duals follow our sign convention (λ = c − Aᵀy)
        "y": np.asarray(sol.row_dual, dtype=np.float64) if sol.dual_valid else None,
    }
    return out


def osqp_solve(
    lp: LPData, eps: float = 1e-6, time_limit: float | None = None, max_iter: int = 100_000
) -> dict:
    """Solve with OSQP (column bounds become identity rows); status, objective, x, the row
    duals y (OSQP's, negated to the convention λ = c + Qx − Aᵀy, y > 0 on lower bounds), time."""
    try:
        import osqp
    except ImportError:
        raise InputError("the OSQP baseline needs osqp: pip install osqp") from None
    A = sp.vstack([lp.A, sp.identity(lp.n)], format="csc")
    lo = np.concatenate([lp.row_lower, lp.col_lower])
    hi = np.concatenate([lp.row_upper, lp.col_upper])
    P = sp.csc_matrix(sp.triu(lp.Q)) if lp.is_qp else sp.csc_matrix((lp.n, lp.n))
    solver = osqp.OSQP()
    kw = {"verbose": False, "eps_abs": eps, "eps_rel": eps, "max_iter": max_iter, "polishing": True}
    if time_limit is not None:
        kw["time_limit"] = float(time_limit)
    t = time.perf_counter()
    solver.setup(P, lp.c, A, np.clip(lo, -1e30, 1e30), np.clip(hi, -1e30, 1e30), **kw)
    try:
        res = solver.solve(raise_error=False)
    except TypeError:  # osqp < 1.0 has no raise_error
        res = solver.solve()
    elapsed = time.perf_counter() - t
    status = str(res.info.status).lower()
    x = None if res.x is None else np.asarray(res.x, dtype=np.float64)
    y = None
    if getattr(res, "y", None) is not None and np.asarray(res.y).size == lp.m + lp.n:
        y = -np.asarray(res.y, dtype=np.float64)[: lp.m]
        if not np.isfinite(y).all():
            y = None
    return {
        "status": "optimal"
        if status.startswith("solved") and "inaccurate" not in status
        else status,
        "objective": lp.objective(x) if x is not None and np.isfinite(x).all() else None,
        "time_s": elapsed,
        "iterations": int(res.info.iter),
        "x": x,
        "y": y,
    }
