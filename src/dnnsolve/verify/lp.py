"""Rechecking LP and QP results from the model file.

The model is read again here: MPS / QPS / CPLEX LP through HiGHS's reader (``readModel``, then
the model's arrays; nothing is solved), or the arrays of an ``.npz``. In minimization form
(a maximization model is negated): ``min cᵀx + ½xᵀQx + offset``, ``l_A ≤ Ax ≤ u_A``, ``l ≤ x
≤ u``. Recomputed from the solution x: the objective in the file's sense, and ``feasible`` as
the family defines it, the relative primal residual ``‖violation‖₂ / (1 + ‖finite row
bounds‖₂)`` over rows and columns within the run's ``feas_tol``.

The bound (``bound_method`` ``"lagrangian"``, certificate ``{"form": "min", "y": [...],
"implied": [[j, side, r], ...], "x": [...] (QP)}``) is recomputed as the Lagrangian of y:
``offset − ½x̂ᵀQx̂ + Σ_r (y_r > 0 ? y_r l_r : y_r u_r) + Σ_j min_{x_j ∈ [l_j, u_j]} λ_j x_j``
with ``λ = c + Qx̂ − Aᵀy``, the column bounds first tightened by the listed implied bounds,
each derived here from its row (``x_j ≤ (u_r − Σ_{k≠j} min a_rk x_k) / a_rj`` for ``a_rj >
0`` …, relaxed by ``1e-9 · (|rhs| + Σ_{k≠j} |a_rk b_k|) / |a_rj| + 1e-9 · |value|``) and a
reduced cost within ``(nnz_j + 3) · 1e-15 · (|c_j| + |Q||x̂|_j + |A|ᵀ|y|_j)`` of zero counted as
zero. A term that needs an infinite bound makes the certificate prove nothing. The recorded
bound may not be stronger than the value proven (beyond 1e-9 relative), nor beyond the
objective; for a QP, Q must be positive semidefinite (checked up to :data:`PSD_MAX_N`
columns). A result whose status is ``optimal`` must have a proven gap ``(objective − bound) /
|bound|`` of at most :data:`OPTIMAL_GAP` (1e-6, the family's).
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..core.errors import InputError
from . import Failed

#: Q is checked positive semidefinite (dense eigenvalues) up to this many columns
PSD_MAX_N = 3000
#: the reduced-cost band counted as zero, per non-zero of the column and unit of magnitude
ROUNDING = 1e-15
#: the relative slack of an implied column bound
RELAX = 1e-9
#: the proven gap (objective − bound) / |bound| an ``optimal`` LP / QP answer may have
OPTIMAL_GAP = 1e-6


class _Model:
    """The minimization form of the model: c, A (CSR), row / column bounds, Q, offset, sense."""

    def __init__(self, c, A, rl, ru, cl, cu, Q, offset, sense):
        self.c, self.A = c, A
        self.rl, self.ru, self.cl, self.cu = rl, ru, cl, cu
        self.Q, self.offset, self.sense = Q, offset, sense
        self.n, self.m = len(c), A.shape[0]


@contextlib.contextmanager
def _no_stdout() -> Iterator[None]:
    """Keep HiGHS's banner (printed from C) off stdout."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def _read_highs(path: Path) -> _Model:
    try:
        import highspy
    except ImportError:
        raise InputError("rechecking an MPS model needs highspy: pip install highspy") from None
    with _no_stdout():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    low = path.name.lower()
    with tempfile.TemporaryDirectory() as tmp:
        target = path
        if not low.endswith((".mps", ".mps.gz", ".lp", ".lp.gz")):
            target = Path(tmp) / ("model.mps.gz" if low.endswith(".gz") else "model.mps")
            shutil.copyfile(path, target)
        try:
            status = h.readModel(str(target))
        except Exception as exc:
            raise InputError(f"HiGHS could not read the model ({exc})", path=str(path)) from None
    if status == highspy.HighsStatus.kError:
        raise InputError("HiGHS could not read the model", path=str(path))
    model = h.getModel()
    lp = model.lp_
    n, m = int(lp.num_col_), int(lp.num_row_)
    am = lp.a_matrix_
    parts = (
        np.asarray(am.value_, np.float64),
        np.asarray(am.index_, np.int64),
        np.asarray(am.start_, np.int64),
    )
    if am.format_ == highspy.MatrixFormat.kRowwise:
        A = sp.csr_matrix(parts, shape=(m, n))
    else:
        A = sp.csc_matrix(parts, shape=(m, n)).tocsr()
    A.sum_duplicates()
    c = np.asarray(lp.col_cost_, np.float64).copy()
    offset = float(lp.offset_)
    Q = None
    hess = model.hessian_
    if int(hess.dim_) > 0 and len(hess.value_) > 0:
        d = int(hess.dim_)
        H = sp.csc_matrix(
            (
                np.asarray(hess.value_, np.float64),
                np.asarray(hess.index_, np.int64),
                np.asarray(hess.start_, np.int64),
            ),
            shape=(d, d),
        )
        if hess.format_ == highspy.HessianFormat.kTriangular:
            H = H + sp.tril(H, -1).T  # the lower triangle stored: ½xᵀHx with H symmetric
        Q = sp.csr_matrix(H)
        Q.resize((n, n))
    sense = "max" if lp.sense_ == highspy.ObjSense.kMaximize else "min"
    if sense == "max":
        c, offset = -c, -offset
        Q = -Q if Q is not None else None
    return _Model(
        c,
        A,
        np.asarray(lp.row_lower_, np.float64),
        np.asarray(lp.row_upper_, np.float64),
        np.asarray(lp.col_lower_, np.float64),
        np.asarray(lp.col_upper_, np.float64),
        Q,
        offset,
        sense,
    )


def _read_npz(path: Path) -> _Model:
    try:
        z = dict(np.load(path, allow_pickle=False))
    except Exception as exc:
        raise InputError(
            f"not a readable .npz file ({type(exc).__name__})", path=str(path)
        ) from None
    if "c" not in z:
        raise InputError("the .npz file needs an array 'c'", path=str(path))
    c = np.asarray(z["c"], np.float64).reshape(-1)
    n = len(c)

    def mat(key: str):
        if key in z:
            return sp.csr_matrix(np.asarray(z[key], np.float64))
        if f"{key}_data" in z:
            shape = tuple(int(k) for k in z[f"{key}_shape"])
            return sp.csr_matrix(
                (z[f"{key}_data"], z[f"{key}_indices"], z[f"{key}_indptr"]), shape=shape
            ).astype(np.float64)
        return None

    def vec(keys, k, default):
        for key in keys:
            if key in z:
                v = np.asarray(z[key], np.float64)
                return np.full(k, float(v)) if v.ndim == 0 else v.reshape(-1)
        return np.full(k, default)

    A = mat("A")
    A = sp.csr_matrix((0, n)) if A is None else A
    m = A.shape[0]
    Q = mat("Q")
    return _Model(
        c,
        A,
        vec(("row_lower", "l"), m, -np.inf),
        vec(("row_upper", "u"), m, np.inf),
        vec(("col_lower", "lb"), n, 0.0),
        vec(("col_upper", "ub"), n, np.inf),
        Q,
        float(np.asarray(z.get("offset", 0.0)).reshape(-1)[0]),
        "min",
    )


def _objective(M: _Model, x: np.ndarray) -> float:
    """cᵀx + ½xᵀQx + offset of the minimization form."""
    val = math.fsum((M.c * x).tolist()) + M.offset
    if M.Q is not None and M.Q.nnz:
        val += 0.5 * float(x @ (M.Q @ x))
    return val


def _residual(M: _Model, x: np.ndarray) -> tuple[float, float]:
    """The relative primal residual and the largest violation (rows and columns)."""
    ax = M.A @ x
    viol = np.concatenate(
        [
            np.maximum(M.rl - ax, 0) + np.maximum(ax - M.ru, 0),
            np.maximum(M.cl - x, 0) + np.maximum(x - M.cu, 0),
        ]
    )
    fin = np.concatenate([M.rl[np.isfinite(M.rl)], M.ru[np.isfinite(M.ru)]])
    rel = float(np.linalg.norm(viol)) / (1.0 + float(np.linalg.norm(fin)))
    return rel, float(viol.max()) if viol.size else 0.0


def _vector(cert: dict, key: str, size: int) -> np.ndarray:
    v = cert.get(key)
    if not isinstance(v, list) or len(v) != size:
        got = len(v) if isinstance(v, list) else type(v).__name__
        raise Failed(f'the certificate\'s "{key}" needs {size} numbers, has {got}')
    try:
        a = np.asarray(v, dtype=np.float64)
    except (TypeError, ValueError):
        raise Failed(f'the certificate\'s "{key}" holds something that is not a number') from None
    if not np.isfinite(a).all():
        raise Failed(f'the certificate\'s "{key}" holds a value that is not finite')
    return a


def _implied(M: _Model, steps: Any) -> tuple[np.ndarray, np.ndarray]:
    """The column bounds tightened by the implied bounds listed, each derived from its row."""
    if not isinstance(steps, list):
        raise Failed('the certificate\'s "implied" is not a list')
    lo, hi = M.cl.copy(), M.cu.copy()
    A = M.A
    for s, step in enumerate(steps):
        ok = (
            isinstance(step, list)
            and len(step) == 3
            and isinstance(step[0], int)
            and step[1] in ("lower", "upper")
            and isinstance(step[2], int)
            and 0 <= step[0] < M.n
            and 0 <= step[2] < M.m
        )
        if not ok:
            raise Failed(f"implied bound {s} is not [column, 'lower' | 'upper', row]: {step!r}")
        j, side, r = step
        cols = A.indices[A.indptr[r] : A.indptr[r + 1]]
        vals = A.data[A.indptr[r] : A.indptr[r + 1]]
        here = np.flatnonzero(cols == j)
        if here.size == 0 or vals[here[0]] == 0:
            raise Failed(f"implied bound {s}: column {j} is not in row {r}")
        a = float(vals[here[0]])
        # the others at their smallest activity when the bound comes from u_r (upper with
        # a > 0, lower with a < 0), at their largest when it comes from l_r
        from_upper = (side == "upper") == (a > 0)
        rhs = float(M.ru[r] if from_upper else M.rl[r])
        if not math.isfinite(rhs):
            raise Failed(
                f"implied bound {s}: row {r} has no {'upper' if from_upper else 'lower'} bound"
            )
        terms, sizes = [], []
        for k, ak in zip(cols.tolist(), vals.tolist(), strict=True):
            if k == j:
                continue
            low_side = (ak > 0) == from_upper
            b = lo[k] if low_side else hi[k]
            if not math.isfinite(b):
                raise Failed(
                    f"implied bound {s}: column {k} of row {r} has no "
                    f"{'lower' if low_side else 'upper'} bound to derive it from"
                )
            terms.append(ak * b)
            sizes.append(abs(ak * b))
        val = (rhs - math.fsum(terms)) / a
        slack = RELAX * (abs(rhs) + math.fsum(sizes)) / abs(a) + RELAX * abs(val)
        if side == "upper":
            hi[j] = min(hi[j], val + slack)
        else:
            lo[j] = max(lo[j], val - slack)
    return lo, hi


def _lagrangian(M: _Model, cert: Any) -> tuple[float, str]:
    """The value (in the file's sense) the certificate proves, and what it rests on."""
    if not isinstance(cert, dict):
        raise Failed("the lagrangian certificate is not an object")
    if cert.get("form", "min") != "min":
        raise Failed(f"certificate form {cert.get('form')!r} is not 'min'")
    y = _vector(cert, "y", M.m)
    c, const = M.c.copy(), M.offset
    qp = M.Q is not None and M.Q.nnz > 0
    scale = np.abs(M.c) + abs(M.A).T @ np.abs(y)
    nnz = np.diff(M.A.tocsc().indptr)
    if qp:
        xh = _vector(cert, "x", M.n)
        qx = M.Q @ xh
        c = c + qx
        const = const - 0.5 * float(xh @ qx)
        scale = scale + abs(M.Q) @ np.abs(xh)
        nnz = nnz + np.diff(sp.csr_matrix(M.Q).indptr)
    lo, hi = _implied(M, cert.get("implied", []))
    # rows: y_r > 0 pairs with l_r, y_r < 0 with u_r; an infinite one proves nothing
    wrong = np.flatnonzero(((y > 0) & ~np.isfinite(M.rl)) | ((y < 0) & ~np.isfinite(M.ru)))
    if wrong.size:
        r = int(wrong[0])
        raise Failed(f"y[{r}] = {y[r]:g} has the sign of a bound row {r} lacks: no bound follows")
    rl = np.where(np.isfinite(M.rl), M.rl, 0.0)
    ru = np.where(np.isfinite(M.ru), M.ru, 0.0)
    rows = np.where(y > 0, y * rl, np.where(y < 0, y * ru, 0.0))
    lam = c - M.A.T @ y
    zero = np.abs(lam) <= (nnz + 3) * ROUNDING * scale
    need_lo = ~zero & (lam > 0) & ~np.isfinite(lo)
    need_hi = ~zero & (lam < 0) & ~np.isfinite(hi)
    if need_lo.any() or need_hi.any():
        j = int(np.flatnonzero(need_lo | need_hi)[0])
        side = "lower" if need_lo[j] else "upper"
        raise Failed(
            f"reduced cost {lam[j]:.3g} of column {j} needs a {side} bound it lacks: "
            f"no bound follows ({int(need_lo.sum() + need_hi.sum())} such columns)"
        )
    with np.errstate(invalid="ignore"):
        cols = np.where(zero, 0.0, np.where(lam > 0, lam * lo, lam * hi))
    value = math.fsum([const, math.fsum(rows.tolist()), math.fsum(cols.tolist())])
    if not math.isfinite(value):
        raise Failed("the certificate's Lagrangian is not finite")
    what = f"{M.m} row duals, {len(cert.get('implied', []))} implied bounds"
    return (-value if M.sense == "max" else value), what


def _psd_line(M: _Model) -> str:
    if M.n > PSD_MAX_N:
        return f"Q ⪰ 0 assumed, not rechecked ({M.n} columns > {PSD_MAX_N})"
    Qd = M.Q.toarray()
    Qd = 0.5 * (Qd + Qd.T)
    low = float(np.linalg.eigvalsh(Qd).min()) if M.n else 0.0
    size = float(np.abs(Qd).max()) if Qd.size else 0.0
    if low < -1e-9 * max(1.0, size):
        raise Failed(f"Q has the eigenvalue {low:.3g} < 0: the linearized bound does not hold")
    return "Q ⪰ 0 (smallest eigenvalue rechecked)"


def check(
    problem: str, input: Path, result: dict, certificate: dict | None, fmt: str | None
) -> list[str]:
    M = _read_npz(input) if input.name.endswith(".npz") else _read_highs(input)
    qp = M.Q is not None and M.Q.nnz > 0
    lines = [f"{input.name}: {M.n} columns, {M.m} rows{', quadratic objective' if qp else ''}"]
    if result.get("sense", M.sense) != M.sense:
        raise Failed(f"sense {result.get('sense')!r} recorded, the model says {M.sense!r}")
    x_list = result.get("solution")
    if not isinstance(x_list, list) or len(x_list) != M.n:
        raise Failed(f"the solution is not {M.n} numbers")
    try:
        x = np.asarray(x_list, dtype=np.float64)
    except (TypeError, ValueError):
        raise Failed("the solution holds something that is not a number") from None
    hp = result.get("hparams") or {}
    feas_tol = float(hp.get("feas_tol", 1e-6))
    finite = bool(np.isfinite(x).all())
    rel, worst = _residual(M, x) if finite else (math.inf, math.inf)
    solver = (result.get("extra") or {}).get("solver_status")
    feasible = finite and rel <= feas_tol
    if result.get("feasible") and not feasible:
        raise Failed(
            f"feasible True recorded, but the relative primal residual is {rel:.3g} "
            f"> feas_tol {feas_tol:g} (largest violation {worst:.3g})"
        )
    if not result.get("feasible") and feasible and solver not in (
        "infeasible", "unbounded", "infeasible_or_unbounded"
    ):  # fmt: skip
        raise Failed(f"feasible False recorded, but the relative primal residual is {rel:.3g}")
    lines.append(f"primal residual {rel:.3g} (largest violation {worst:.3g}); feasible as recorded")
    objective = None
    if finite:
        objective = _objective(M, x)
        objective = -objective if M.sense == "max" else objective
        recorded = result.get("objective")
        if recorded is None or abs(recorded - objective) > 1e-9 * max(1.0, abs(objective)):
            raise Failed(f"objective {recorded!r} recorded, but x gives {objective:.17g}")
        lines.append(f"objective {objective:.17g} as recorded")
    bound = result.get("bound")
    if bound is None:
        return lines
    if result.get("bound_method") != "lagrangian":
        raise Failed(f"bound method {result.get('bound_method')!r} is not one for {problem}")
    proven, what = _lagrangian(M, certificate)
    if qp:
        lines.append(_psd_line(M))
    slack = 1e-9 * max(1.0, abs(proven))
    stronger = bound > proven + slack if M.sense == "min" else bound < proven - slack
    if stronger:
        raise Failed(f"bound {bound:.17g} recorded, but the certificate proves only {proven:.17g}")
    lines.append(f"bound {bound:.17g} no stronger than the proven {proven:.17g} ({what})")
    if objective is not None:
        beyond = bound - objective if M.sense == "min" else objective - bound
        if beyond > 1e-9 * max(1.0, abs(objective)):
            raise Failed(f"bound {bound:.17g} lies beyond the objective {objective:.17g}")
        gap = -beyond / abs(bound) if bound != 0 else 0.0
        if result.get("status") == "optimal" and gap > OPTIMAL_GAP:
            raise Failed(
                f"status optimal recorded, but the proven gap is {gap:.3g} > {OPTIMAL_GAP:g}"
            )
    return lines
