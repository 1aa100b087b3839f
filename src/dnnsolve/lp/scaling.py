"""Diagonal preconditioning: Ruiz equilibration followed by Pock–Chambolle scaling.

First-order methods (PDHG, ADMM) converge at a rate set by the conditioning of the constraint
matrix; Netlib matrices mix entries from 1e-6 to 1e6, so every splitting method here works on
``Ã = D_r A D_c`` (and ``Q̃ = D_c Q D_c``) with ``x = D_c x̃``, ``y = D_r ỹ``. Ruiz's
iteration drives every row and column ∞-norm of ``[A; Q]`` towards 1; Pock–Chambolle (α = 1)
then divides rows and columns by the square roots of their 1-norms, which bounds ``‖Ã‖₂ ≤ 1``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .model import LPData

__all__ = ["Scaling", "scale_lp"]


@dataclass
class Scaling:
    """Row and column factors: the scaled problem's ``x̃ = x / col``, ``ỹ = y / row``."""

    row: np.ndarray
    col: np.ndarray


def _safe(v: np.ndarray) -> np.ndarray:
    out = np.ones_like(v)
    ok = v > 0
    out[ok] = v[ok]
    return out


def scale_lp(
    lp: LPData, ruiz_iters: int = 10, pock_chambolle: bool = True
) -> tuple[LPData, Scaling]:
    """Return the scaled problem and its factors (the original is unchanged).

    >>> from dnnsolve.lp.model import make_lp
    >>> lp = make_lp([1.0, 1.0], [[1000.0, 1.0]], [1.0], [1.0])
    >>> slp, s = scale_lp(lp)
    >>> bool(abs(slp.A).max() <= 1.0 + 1e-12)
    True
    """
    A = sp.csr_matrix(lp.A, copy=True)
    Q = sp.csr_matrix(lp.Q, copy=True) if lp.is_qp else None
    m, n = A.shape
    dr = np.ones(m)
    dc = np.ones(n)
    for _ in range(ruiz_iters):
        absA = abs(A)
        rmax = absA.max(axis=1).toarray().ravel() if m else np.zeros(0)
        cmax = absA.max(axis=0).toarray().ravel() if m else np.zeros(n)
        if Q is not None:
            cmax = np.maximum(cmax, abs(Q).max(axis=0).toarray().ravel())
        r = 1.0 / np.sqrt(_safe(rmax))
        cc = 1.0 / np.sqrt(_safe(cmax))
        A = sp.diags(r) @ A @ sp.diags(cc)
        if Q is not None:
            Q = sp.diags(cc) @ Q @ sp.diags(cc)
        dr *= r
        dc *= cc
    if pock_chambolle and m:
        absA = abs(A)
        rsum = np.asarray(absA.sum(axis=1)).ravel()
        csum = np.asarray(absA.sum(axis=0)).ravel()
        r = 1.0 / np.sqrt(_safe(rsum))
        cc = 1.0 / np.sqrt(_safe(csum))
        A = sp.diags(r) @ A @ sp.diags(cc)
        if Q is not None:
            Q = sp.diags(cc) @ Q @ sp.diags(cc)
        dr *= r
        dc *= cc
    A = sp.csr_matrix(A)
    scaled = LPData(
        c=lp.c * dc,
        A=A,
        row_lower=lp.row_lower * dr,
        row_upper=lp.row_upper * dr,
        col_lower=lp.col_lower / dc,
        col_upper=lp.col_upper / dc,
        Q=sp.csr_matrix(Q) if Q is not None else None,
        offset=lp.offset,
        name=lp.name,
    )
    return scaled, Scaling(row=dr, col=dc)
