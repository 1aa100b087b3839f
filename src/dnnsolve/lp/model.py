"""The LP / QP data class: ``min cᵀx + ½xᵀQx + offset`` s.t. ``l_A ≤ Ax ≤ u_A``, ``l ≤ x ≤ u``.

One general form covers equality rows (``l_A = u_A``), one- and two-sided inequalities, free,
fixed and boxed columns (infinite bounds are ``±inf``), and the objective constant that some MPS
files carry (Netlib's e226). Matrices are SciPy CSR on the host; the solvers move them to the
requested device as torch sparse CSR.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..core.errors import InputError

__all__ = ["LPData", "make_lp", "residuals"]


@dataclass
class LPData:
    """A linear or convex quadratic program in general (ranged-row, boxed-column) form.

    >>> lp = make_lp(c=[1.0, 1.0], A=[[1.0, 1.0]], row_lower=[1.0], row_upper=[np.inf])
    >>> lp.n, lp.m, lp.is_qp
    (2, 1, False)
    """

    c: np.ndarray
    A: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    Q: sp.csr_matrix | None = None
    offset: float = 0.0
    name: str = "lp"
    col_names: list[str] | None = field(default=None, repr=False)
    #: ``"max"`` when the file asked to maximize; ``c``/``Q``/``offset`` are then already negated
    #: (the solvers always minimize) and :meth:`user_objective` flips the sign back
    sense: str = "min"

    @property
    def n(self) -> int:
        return int(self.c.shape[0])

    @property
    def m(self) -> int:
        return int(self.A.shape[0])

    @property
    def is_qp(self) -> bool:
        return self.Q is not None and self.Q.nnz > 0

    def objective(self, x: np.ndarray) -> float:
        """Minimization objective ``cᵀx + ½xᵀQx + offset`` (NumPy, float64)."""
        x = np.asarray(x, dtype=np.float64)
        val = float(self.c @ x) + self.offset
        if self.is_qp:
            val += 0.5 * float(x @ (self.Q @ x))
        return val

    def user_objective(self, x: np.ndarray) -> float:
        """Objective in the file's own sense (negated back for maximization problems)."""
        v = self.objective(x)
        return -v if self.sense == "max" else v

    def validate(self) -> LPData:
        """Check shapes, finiteness and bound order; raise :class:`InputError` otherwise."""
        n, m = self.n, self.m
        if self.A.shape[1] != n:
            raise InputError(f"A has {self.A.shape[1]} columns but c has {n} entries")
        for nm, v, k in (
            ("row_lower", self.row_lower, m),
            ("row_upper", self.row_upper, m),
            ("col_lower", self.col_lower, n),
            ("col_upper", self.col_upper, n),
        ):
            if v.shape != (k,):
                raise InputError(f"{nm} must have {k} entries, got shape {v.shape}")
            if np.isnan(v).any():
                raise InputError(f"{nm} contains NaN")
        if not np.isfinite(self.c).all():
            raise InputError("c must be finite")
        if not np.isfinite(self.A.data).all():
            raise InputError("A must be finite")
        if not np.isfinite(self.offset):
            raise InputError("objective offset must be finite")
        if (self.row_lower == np.inf).any() or (self.row_upper == -np.inf).any():
            raise InputError("a row bound is +inf below or -inf above")
        if (self.col_lower == np.inf).any() or (self.col_upper == -np.inf).any():
            raise InputError("a column bound is +inf below or -inf above")
        if self.Q is not None:
            if self.Q.shape != (n, n):
                raise InputError(f"Q must be {n}x{n}, got {self.Q.shape}")
            if not np.isfinite(self.Q.data).all():
                raise InputError("Q must be finite")
            asym = abs(self.Q - self.Q.T)
            if asym.nnz and asym.max() > 1e-9 * max(1.0, abs(self.Q).max()):
                raise InputError("Q must be symmetric")
        return self


def _real(v, nm: str, what: str) -> np.ndarray:
    """``v`` as a float64 array; :class:`InputError` for text, objects or complex numbers."""
    if np.iscomplexobj(v) or (sp.issparse(v) and np.iscomplexobj(v.data)):
        raise InputError(f"{nm} must be {what} of real numbers, not complex")
    try:
        return np.asarray(v, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{nm} must be {what}") from None


def _vec(v, k: int, default: float, nm: str) -> np.ndarray:
    if v is None:
        return np.full(k, default, dtype=np.float64)
    a = _real(v, nm, "numeric")
    if a.ndim == 0:
        a = np.full(k, float(a))
    return a.reshape(-1) if a.size == k else a


def make_lp(
    c,
    A=None,
    row_lower=None,
    row_upper=None,
    col_lower=None,
    col_upper=None,
    Q=None,
    offset: float = 0.0,
    name: str = "lp",
) -> LPData:
    """Build a validated :class:`LPData` from arrays (dense or SciPy sparse).

    Missing row bounds default to equality-free (``-inf`` / ``+inf``), missing column bounds to
    ``x ≥ 0`` below and ``+inf`` above (the MPS convention).

    >>> lp = make_lp([1.0, -1.0], [[1.0, 1.0]], [-np.inf], [4.0], col_upper=[3.0, 3.0])
    >>> lp.col_lower.tolist(), lp.row_upper.tolist()
    ([0.0, 0.0], [4.0])
    """
    cc = _real(c, "c", "a numeric vector").reshape(-1)
    n = cc.shape[0]
    if A is None:
        AA = sp.csr_matrix((0, n))
    else:
        _real(A.data if sp.issparse(A) else A, "A", "a numeric matrix")
        try:
            AA = sp.csr_matrix(A, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError("A must be a numeric matrix") from None
        if AA.ndim != 2:
            raise InputError("A must be two-dimensional")
    m = AA.shape[0]
    QQ = None
    if Q is not None:
        _real(Q.data if sp.issparse(Q) else Q, "Q", "a numeric matrix")
        try:
            QQ = sp.csr_matrix(Q, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError("Q must be a numeric matrix") from None
    off = _real(offset, "offset", "a number")
    if off.size != 1:
        raise InputError(f"offset must be one number, got shape {off.shape}")
    lp = LPData(
        c=cc,
        A=AA,
        row_lower=_vec(row_lower, m, -np.inf, "row_lower"),
        row_upper=_vec(row_upper, m, np.inf, "row_upper"),
        col_lower=_vec(col_lower, n, 0.0, "col_lower"),
        col_upper=_vec(col_upper, n, np.inf, "col_upper"),
        Q=QQ,
        offset=float(off.reshape(-1)[0]),
        name=name,
    )
    return lp.validate()


def _proj(v: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return np.minimum(np.maximum(v, lo), hi)


def residuals(lp: LPData, x: np.ndarray, y: np.ndarray | None = None) -> dict[str, float]:
    """Independent NumPy re-check of a primal (and optionally dual) point.

    ``primal_residual`` is PDLP's relative measure ``‖viol‖₂ / (1 + ‖finite bounds‖₂)`` over
    rows and columns; ``primal_violation`` the absolute largest violation. With a dual ``y`` the
    reduced costs ``λ = c + Qx − Aᵀy`` give ``dual_residual`` (the part of ``λ`` no finite bound
    supports, relative to ``1 + ‖c‖₂``), the dual objective and the relative duality gap.

    >>> lp = make_lp([1.0], [[1.0]], [2.0], [np.inf])
    >>> r = residuals(lp, np.array([2.0]), np.array([1.0]))
    >>> r["objective"], r["primal_violation"], r["dual_residual"], r["duality_gap"]
    (2.0, 0.0, 0.0, 0.0)
    """
    x = np.asarray(x, dtype=np.float64)
    ax = lp.A @ x
    rv = ax - _proj(ax, lp.row_lower, lp.row_upper)
    cv = x - _proj(x, lp.col_lower, lp.col_upper)
    fin = np.concatenate(
        [lp.row_lower[np.isfinite(lp.row_lower)], lp.row_upper[np.isfinite(lp.row_upper)]]
    )
    bnorm = float(np.linalg.norm(fin))
    viol = np.concatenate([rv, cv])
    pobj = lp.objective(x)
    out = {
        "objective": pobj,
        "primal_residual": float(np.linalg.norm(viol)) / (1.0 + bnorm),
        "primal_violation": float(np.abs(viol).max()) if viol.size else 0.0,
    }
    if y is None:
        return out
    y = np.asarray(y, dtype=np.float64)
    # y's sign must be supported by the row bounds: y > 0 needs a finite lower bound
    yp, yn = np.maximum(y, 0.0), np.minimum(y, 0.0)
    ybad = np.where(np.isfinite(lp.row_lower), 0.0, yp) + np.where(
        np.isfinite(lp.row_upper), 0.0, yn
    )
    qx = lp.Q @ x if lp.is_qp else 0.0
    lam = lp.c + qx - lp.A.T @ y
    lp_, ln_ = np.maximum(lam, 0.0), np.minimum(lam, 0.0)
    lbad = np.where(np.isfinite(lp.col_lower), 0.0, lp_) + np.where(
        np.isfinite(lp.col_upper), 0.0, ln_
    )
    lam_ok = lam - lbad
    yok = y - ybad
    dobj = (
        lp.offset
        + float(np.sum(np.where(np.isfinite(lp.row_lower), lp.row_lower, 0.0) * np.maximum(yok, 0)))
        + float(np.sum(np.where(np.isfinite(lp.row_upper), lp.row_upper, 0.0) * np.minimum(yok, 0)))
        + float(
            np.sum(np.where(np.isfinite(lp.col_lower), lp.col_lower, 0.0) * np.maximum(lam_ok, 0))
        )
        + float(
            np.sum(np.where(np.isfinite(lp.col_upper), lp.col_upper, 0.0) * np.minimum(lam_ok, 0))
        )
    )
    if lp.is_qp:
        dobj -= 0.5 * float(x @ (lp.Q @ x))
    dres = float(np.sqrt(np.sum(lbad**2) + np.sum(ybad**2)))
    out["dual_residual"] = dres / (1.0 + float(np.linalg.norm(lp.c)))
    out["dual_objective"] = dobj
    out["duality_gap"] = abs(pobj - dobj) / (1.0 + abs(pobj) + abs(dobj))
    return out
