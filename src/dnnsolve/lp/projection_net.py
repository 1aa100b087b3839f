"""The Xia–Wang projection neural network for convex QP (box or polyhedral constraints).

For ``min ½xᵀQx + cᵀx`` over a box ``X`` alone the network is the classic projection flow

    dx/dt = λ · ( P_X(x − α(Qx + c)) − x ),

an Euler step of which (step 1, ``α = 1/‖Q‖``) is projected gradient descent. With rows
``l_A ≤ Ax ≤ u_A`` we add slacks ``s = Ax ∈ C = [l_A, u_A]`` and dual neurons ``y`` and write
the KKT conditions as the monotone linear variational inequality on ``u = (x, s, y) ∈ Ω =
X × C × ℝᵐ`` with ``F(u) = (Qx + c − Aᵀy, y, Ax − s)``; its projection equation
``e(u) = u − P_Ω(u − αF(u)) = 0`` is solved by Xia and Wang's globally convergent network
for monotone projection equations

    du/dt = −λ (I + αMᵀ) e(u),      M = ∂F/∂u,

integrated with explicit Euler steps on the diagonally scaled problem. It needs four sparse
products per step and converges linearly at best, so it is a slow baseline next to PDHG.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import torch

from .model import LPData
from .ops import SparseOp
from .pdhg import PDHGOutput, ScaledLP, power_norm, relative_kkt
from .scaling import scale_lp

__all__ = ["projection_network"]


def projection_network(
    lp: LPData,
    *,
    tol: float = 1e-6,
    max_iter: int = 200_000,
    time_limit: float | None = None,
    device: torch.device | str = "cpu",
    step: float | None = None,
    check_every: int = 100,
    callback: Callable[[dict], None] | None = None,
) -> PDHGOutput:
    """Integrate the projection network until the relative KKT error is below ``tol``.

    >>> import numpy as np
    >>> from dnnsolve.lp.model import make_lp
    >>> lp = make_lp([-1.0, -1.0], None, col_upper=[1.0, 2.0], Q=[[1.0, 0.0], [0.0, 1.0]])
    >>> out = projection_network(lp, tol=1e-9)
    >>> out.status, np.round(out.x, 6).tolist()
    ('optimal', [1.0, 1.0])
    """
    device = torch.device(device)
    dt = torch.float64
    t0 = time.perf_counter()
    slp, scl = scale_lp(lp)
    S = ScaledLP(slp, device, dt)
    od = ScaledLP(lp, device, dt)
    A = SparseOp(slp.A, device, dt)
    AT = A.T
    Q = SparseOp(slp.Q, device, dt) if slp.is_qp else None
    dr = torch.as_tensor(scl.row, dtype=dt, device=device)
    dc = torch.as_tensor(scl.col, dtype=dt, device=device)
    n, m = lp.n, lp.m
    qn = power_norm(Q, n, device, dt) if Q is not None else 0.0
    an = power_norm(A, n, device, dt) if m else 0.0

    def qmv(v):
        return torch.zeros_like(v) if Q is None else Q.mv(v)

    x = torch.clamp(torch.zeros(n, dtype=dt, device=device), min=S.cl, max=S.cu)
    s = torch.clamp(A.mv(x), min=S.rl, max=S.ru)
    y = torch.zeros(m, dtype=dt, device=device)
    if m == 0:
        alpha = 1.0 / max(qn, 1e-12)
        h = 1.0 if step is None else step
    else:
        alpha = 1.0
        nm = 1.0 + qn + an + 1.0  # ‖M‖ bound (Q, A blocks and the slack identity)
        h = (0.9 / (1.0 + alpha * nm) ** 2) if step is None else step
    history: list[dict] = []
    status = "max_iter"
    k = 0
    rel = (math.inf,) * 3
    try:
        while k < max_iter:
            k += 1
            qx = qmv(x)
            if m == 0:
                x = x + h * (torch.clamp(x - alpha * (qx + S.c), min=S.cl, max=S.cu) - x)
            else:
                aty = AT.mv(y)
                ax = A.mv(x)
                ex = x - torch.clamp(x - alpha * (qx + S.c - aty), min=S.cl, max=S.cu)
                es = s - torch.clamp(s - alpha * y, min=S.rl, max=S.ru)
                ey = alpha * (ax - s)
                # Mᵀ e = (Q e_x + Aᵀ e_y, −e_y, −A e_x + e_s)
                mx = qmv(ex) + AT.mv(ey)
                ms = -ey
                my = -A.mv(ex) + es
                x = x - h * (ex + alpha * mx)
                s = s - h * (es + alpha * ms)
                y = y - h * (ey + alpha * my)
            if k % check_every == 0 or k == max_iter:
                ox, oy = x * dc, y * dr
                oax = A.mv(x) / dr
                oaty = AT.mv(y) / dc
                oqx = None if Q is None else qmv(x) / dc
                rel = relative_kkt(od.kkt(ox, oy, oax, oaty, oqx).cpu().numpy(), od)
                row = {
                    "step": k,
                    "primal_residual": rel[0],
                    "dual_residual": rel[1],
                    "gap": rel[2],
                    "time_s": time.perf_counter() - t0,
                }
                history.append(row)
                if callback is not None:
                    callback(row)
                if not all(math.isfinite(v) for v in rel):
                    status = "diverged"
                    break
                if max(rel) <= tol:
                    status = "optimal"
                    break
                if time_limit is not None and row["time_s"] > time_limit:
                    status = "time_limit"
                    break
    except KeyboardInterrupt:
        status = "interrupted"
    return PDHGOutput(
        x=(x * dc).cpu().numpy(),
        y=(y * dr).cpu().numpy(),
        status=status,
        iterations=k,
        restarts=0,
        kkt={"primal_residual": rel[0], "dual_residual": rel[1], "gap": rel[2]},
        history=history,
    )
