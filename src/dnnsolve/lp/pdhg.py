"""Restarted, diagonally preconditioned PDHG for LP and convex QP (after PDLP).

PDHG (Chambolle–Pock) is a preconditioned Douglas–Rachford splitting of the saddle problem
``min_{x∈X} max_y  cᵀx + ½xᵀQx − yᵀAx + (support terms of the row bounds)``; it needs only
sparse products with ``A`` and ``Aᵀ``, so the same loop runs on the CPU and on a GPU.
Following Applegate et al. (PDLP, arXiv 2106.04756) and cuPDLP (Lu & Yang, arXiv 2311.12180):

- Ruiz + Pock–Chambolle diagonal scaling (:mod:`dnnsolve.lp.scaling`);
- adaptive step size ``η`` (LP): a step is accepted when ``η ≤ ‖Δz‖²_ω / (2|ΔyᵀAΔx|)``;
  for QP a fixed linearized step ``1/τ − σ‖A‖² ≥ ‖Q‖/2`` (Condat–Vũ);
- primal weight ``ω`` (``τ = η/ω``, ``σ = ηω``), re-balanced at every restart from the
  primal and dual movement since the last one;
- adaptive restarts on the weighted KKT error (sufficient decay 0.2, necessary decay 0.8
  without progress, artificial restart after 36 % of all iterations), to the running average
  or the current iterate, whichever has the smaller KKT error;
- infeasibility detection from iterate differences (a dual ray certifies primal
  infeasibility, a primal ray with negative cost unboundedness).

Row bounds are general ``l_A ≤ Ax ≤ u_A``: the dual step is
``y⁺ = y − σ(Ax̄ − P_[l_A,u_A](Ax̄ − y/σ))`` (Moreau), which reduces to PDLP's
``y + σ(b − Ax̄)`` on equality rows and keeps ``y ≥ 0`` on ``≥`` rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from ..core.watch import RunWatch
from .model import LPData
from .ops import SparseOp
from .scaling import scale_lp

__all__ = ["PDHGOutput", "pdhg"]


@dataclass
class PDHGOutput:
    """Primal and dual point in the original space, the status and the iteration log."""

    x: np.ndarray
    y: np.ndarray
    status: str  # optimal / infeasible / unbounded / max_iter / time_limit / interrupted
    iterations: int
    restarts: int
    kkt: dict
    history: list = field(default_factory=list)
    certificate: np.ndarray | None = None


class ScaledLP:
    """Device tensors of one (scaled or original) problem and its KKT measures."""

    def __init__(self, lp: LPData, device, dtype):
        def t(v):
            return torch.as_tensor(np.asarray(v, dtype=np.float64), dtype=dtype, device=device)

        self.c = t(lp.c)
        self.rl, self.ru = t(lp.row_lower), t(lp.row_upper)
        self.cl, self.cu = t(lp.col_lower), t(lp.col_upper)
        fin = np.isfinite
        self.rl_f = t(np.where(fin(lp.row_lower), lp.row_lower, 0.0))
        self.ru_f = t(np.where(fin(lp.row_upper), lp.row_upper, 0.0))
        self.cl_f = t(np.where(fin(lp.col_lower), lp.col_lower, 0.0))
        self.cu_f = t(np.where(fin(lp.col_upper), lp.col_upper, 0.0))
        self.rl_fin = torch.as_tensor(fin(lp.row_lower), device=device)
        self.ru_fin = torch.as_tensor(fin(lp.row_upper), device=device)
        self.cl_fin = torch.as_tensor(fin(lp.col_lower), device=device)
        self.cu_fin = torch.as_tensor(fin(lp.col_upper), device=device)
        fb = np.concatenate([lp.row_lower[fin(lp.row_lower)], lp.row_upper[fin(lp.row_upper)]])
        self.bnorm = float(np.linalg.norm(fb))
        self.cnorm = float(np.linalg.norm(lp.c))
        self.offset = lp.offset
        z = torch.zeros((), dtype=dtype, device=device)
        # recession cones of the row and column sets (for rays)
        inf = torch.tensor(math.inf, dtype=dtype, device=device)
        self.rrl = torch.where(self.rl_fin, z, -inf)
        self.rru = torch.where(self.ru_fin, z, inf)
        self.crl = torch.where(self.cl_fin, z, -inf)
        self.cru = torch.where(self.cu_fin, z, inf)

    def dual_parts(self, y, lam):
        """(dual objective without offset/Q term, dual residual vector parts squared sum)."""
        zero = torch.zeros_like(y)
        ybad = torch.where(self.rl_fin, zero, y.clamp(min=0)) + torch.where(
            self.ru_fin, zero, y.clamp(max=0)
        )
        zl = torch.zeros_like(lam)
        lbad = torch.where(self.cl_fin, zl, lam.clamp(min=0)) + torch.where(
            self.cu_fin, zl, lam.clamp(max=0)
        )
        yok, lok = y - ybad, lam - lbad
        dobj = (
            torch.dot(self.rl_f, yok.clamp(min=0))
            + torch.dot(self.ru_f, yok.clamp(max=0))
            + torch.dot(self.cl_f, lok.clamp(min=0))
            + torch.dot(self.cu_f, lok.clamp(max=0))
        )
        dres2 = torch.dot(ybad, ybad) + torch.dot(lbad, lbad)
        return dobj, dres2

    def kkt(self, x, y, ax, aty, qx):
        """Primal residual norm, dual residual norm, primal and dual objective (tensors)."""
        pv = ax - torch.clamp(ax, min=self.rl, max=self.ru)
        pres = torch.linalg.vector_norm(pv)
        lam = self.c - aty if qx is None else self.c + qx - aty
        dobj, dres2 = self.dual_parts(y, lam)
        pobj = torch.dot(self.c, x) + self.offset
        dobj = dobj + self.offset
        if qx is not None:
            xqx = 0.5 * torch.dot(x, qx)
            pobj, dobj = pobj + xqx, dobj - xqx
        return torch.stack([pres, torch.sqrt(dres2), pobj, dobj])


def relative_kkt(k: np.ndarray, d: ScaledLP) -> tuple[float, float, float]:
    pres, dres, pobj, dobj = (float(v) for v in k)
    return (
        pres / (1.0 + d.bnorm),
        dres / (1.0 + d.cnorm),
        abs(pobj - dobj) / (1.0 + abs(pobj) + abs(dobj)),
    )


def power_norm(op: SparseOp, n: int, device, dtype, iters: int = 60) -> float:
    g = torch.Generator(device="cpu").manual_seed(0)
    v = torch.randn(n, generator=g, dtype=torch.float64).to(device=device, dtype=dtype)
    v /= torch.linalg.vector_norm(v)
    s = 0.0
    for _ in range(iters):
        w = op.T.mv(op.mv(v))
        s = float(torch.linalg.vector_norm(w))
        if s == 0.0:
            return 0.0
        v = w / s
    return math.sqrt(s)


def pdhg(
    lp: LPData,
    *,
    tol: float = 1e-7,
    max_iter: int = 1_000_000,
    time_limit: float | None = None,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float64,
    backend: str = "auto",
    ruiz_iters: int = 10,
    check_every: int = 64,
    infeas_tol: float = 1e-8,
    callback: Callable[[dict], None] | None = None,
    x0: np.ndarray | None = None,
    step_decided_on: str = "auto",
) -> PDHGOutput:
    """Solve ``lp`` with restarted PDHG; relative KKT tolerance ``tol`` (PDLP's criteria).

    ``step_decided_on`` says where an LP's adaptive step is accepted or rejected: ``"host"``
    (three numbers read back per step; a rejected step is retried at once), ``"device"`` (no
    read-back: a rejected try counts as an iteration that leaves the iterate in place) or
    ``"auto"``: the host on a CPU, the device elsewhere.

    >>> from dnnsolve.lp.model import make_lp
    >>> lp = make_lp([-1.0, -1.0], [[1.0, 2.0], [3.0, 1.0]], [-np.inf, -np.inf], [4.0, 6.0])
    >>> out = pdhg(lp, tol=1e-9)
    >>> out.status, np.round(out.x, 6).tolist()
    ('optimal', [1.6, 1.2])
    """
    device = torch.device(device)
    watch = RunWatch(time_limit, [callback] if callback is not None else [], reason="max_iter")
    slp, scl = scale_lp(lp, ruiz_iters=ruiz_iters)
    S = ScaledLP(slp, device, dtype)
    od = ScaledLP(lp, device, dtype)
    A = SparseOp(slp.A, device, dtype, backend)
    AT = A.T
    Qop = SparseOp(slp.Q, device, dtype, backend) if slp.is_qp else None
    dr = torch.as_tensor(scl.row, dtype=dtype, device=device)
    dc = torch.as_tensor(scl.col, dtype=dtype, device=device)
    n, m = lp.n, lp.m

    # primal weight: balance the primal and dual scales
    cn, bn = S.cnorm, S.bnorm
    omega = cn / bn if cn > 1e-10 and bn > 1e-10 else 1.0
    amax = float(abs(slp.A).max()) if slp.A.nnz else 1.0
    eta = 1.0 / max(amax, 1e-12)
    qnorm = 0.0
    anorm = 1.0
    if Qop is not None:
        anorm = power_norm(A, n, device, dtype) if m else 0.0
        qnorm = power_norm(Qop, n, device, dtype)

    def qmv(v):
        return None if Qop is None else Qop.mv(v)

    if x0 is not None:
        x = torch.as_tensor(np.asarray(x0, dtype=np.float64), dtype=dtype, device=device) / dc
    else:
        x = torch.zeros(n, dtype=dtype, device=device)
    x = torch.clamp(x, min=S.cl, max=S.cu)
    y = torch.zeros(m, dtype=dtype, device=device)
    ax, aty = A.mv(x), torch.zeros(n, dtype=dtype, device=device)
    qx = qmv(x)

    # averages since the last restart
    xs, ys = torch.zeros_like(x), torch.zeros_like(y)
    axs, atys = torch.zeros_like(ax), torch.zeros_like(aty)
    wsum: float | torch.Tensor = 0.0
    # restart bookkeeping
    xr, yr = x.clone(), y.clone()

    def wkkt(k: torch.Tensor, w: float) -> float:
        p, d, po, do = (float(v) for v in k)
        return math.sqrt(w * w * p * p + d * d / (w * w) + (po - do) ** 2)

    k_restart = wkkt(S.kkt(x, y, ax, aty, qx), omega)
    k_prev_cand = math.inf
    iters_at_restart = 0
    restarts = 0
    best = None  # (score, x, y, rel) in original space
    prev = None  # (x, y, ax, aty) at the previous check, for rays
    cert = None
    k_iter = 0

    def to_orig(xx, yy, axx, atyy):
        return xx * dc, yy * dr, axx / dr, atyy / dc

    def qp_steps(w):
        sigma = 0.9 * w / max(anorm, 1e-12)
        tau = 1.0 / (1.05 * (sigma * anorm * anorm + 0.5 * qnorm) + 1e-30)
        return tau, sigma

    def pd_step(x, y, ax, aty, grad, tau, sigma):
        xn = torch.clamp(x - tau * grad, min=S.cl, max=S.cu)
        axn = A.mv(xn)
        xbar_a = 2.0 * axn - ax
        v = xbar_a - y / sigma
        yn = y - sigma * (xbar_a - torch.clamp(v, min=S.rl, max=S.ru))
        return xn, yn, axn, AT.mv(yn)

    # The adaptive step (LP) is decided on the host on a CPU, where reading three numbers
    # back costs nothing and tensor-held step sizes cost twice the time of a small LP's step;
    # on an accelerator it is decided on the device, with no read-back per step.
    if step_decided_on not in ("auto", "host", "device"):
        raise ValueError(f"step_decided_on must be auto, host or device, got {step_decided_on!r}")
    on_host = step_decided_on == "host" or (step_decided_on == "auto" and device.type == "cpu")
    eta_t = torch.tensor(eta, dtype=dtype, device=device)
    accepted = torch.zeros((), dtype=torch.int64, device=device)

    def host_step(x, y, ax, aty):
        """An accepted adaptive step (rejected ones retried with the smaller η) and its
        averaging weight, as PDLP takes it."""
        nonlocal eta
        while True:
            xn, yn, axn, atyn = pd_step(x, y, ax, aty, S.c - aty, eta / omega, eta * omega)
            dx, dy = xn - x, yn - y
            inter = abs(float(torch.dot(dy, axn - ax)))
            move = 0.5 * (omega * float(torch.dot(dx, dx)) + float(torch.dot(dy, dy)) / omega)
            eta_max = move / inter if inter > 0 else math.inf
            kk = k_iter + 2  # PDLP counts from k = 1 and uses k + 1
            grow = (1 + kk**-0.6) * eta
            eta_new = grow if math.isinf(eta_max) else min((1 - kk**-0.3) * eta_max, grow)
            if eta <= eta_max:
                step_w, eta = eta, eta_new
                return xn, yn, axn, atyn, step_w
            eta = eta_new

    def device_step(x, y, ax, aty):
        """The same step tried on the device: a rejected one leaves (x, y) where they were,
        with weight 0 and the smaller η for the next try."""
        nonlocal eta_t
        xn, yn, axn, atyn = pd_step(x, y, ax, aty, S.c - aty, eta_t / omega, eta_t * omega)
        dx, dy = xn - x, yn - y
        inter = torch.dot(dy, axn - ax).abs()
        move = 0.5 * (omega * torch.dot(dx, dx) + torch.dot(dy, dy) / omega)
        eta_max = torch.where(inter > 0, move / inter, math.inf)
        kk = (accepted + 2).to(dtype)
        grow = (1 + kk**-0.6) * eta_t
        eta_new = torch.where(eta_max.isinf(), grow, torch.minimum((1 - kk**-0.3) * eta_max, grow))
        ok = eta_t <= eta_max
        accepted.add_(ok)
        step_w, eta_t = torch.where(ok, eta_t, 0.0), eta_new
        pairs = ((xn, x), (yn, y), (axn, ax), (atyn, aty))
        return (*(torch.where(ok, new, old) for new, old in pairs), step_w)

    with watch.running():
        while k_iter < max_iter:
            # ---------------- one PDHG step (adaptive for LP)
            if Qop is not None:
                tau, sigma = qp_steps(omega)
                x, y, ax, aty = pd_step(x, y, ax, aty, S.c + qx - aty, tau, sigma)
                step_w = 1.0
            else:
                x, y, ax, aty, step_w = (host_step if on_host else device_step)(x, y, ax, aty)
            qx = qmv(x)
            k_iter += 1
            if isinstance(step_w, float):
                for avg, v in ((xs, x), (ys, y), (axs, ax), (atys, aty)):
                    avg.add_(v, alpha=step_w)
            else:
                torch._foreach_add_(
                    [xs, ys, axs, atys], torch._foreach_mul([x, y, ax, aty], step_w)
                )
            wsum = wsum + step_w

            if k_iter % check_every and k_iter < max_iter:
                continue
            # ---------------- checks: termination, infeasibility, restarts
            xa, ya = xs / wsum, ys / wsum
            axa, atya = axs / wsum, atys / wsum
            qxa = qmv(xa)
            cands = [(x, y, ax, aty, qx), (xa, ya, axa, atya, qxa)]
            rels = []
            for cx, cy, cax, caty, cqx in cands:
                ox, oy, oax, oaty = to_orig(cx, cy, cax, caty)
                oqx = None if Qop is None else (cqx / dc)
                rels.append(relative_kkt(od.kkt(ox, oy, oax, oaty, oqx).cpu().numpy(), od))
            ib = int(np.argmin([max(r) for r in rels]))
            rel = rels[ib]
            if best is None or max(rel) < best[0]:
                bx, by, _, _ = to_orig(*cands[ib][:4])
                best = (max(rel), bx.clone(), by.clone(), rel)
            watch.record(
                {
                    "step": k_iter,
                    "primal_residual": rel[0],
                    "dual_residual": rel[1],
                    "gap": rel[2],
                    "omega": omega,
                    "restarts": restarts,
                    "time_s": watch.elapsed,
                }
            )
            if max(rel) <= tol:
                watch.stop("optimal")
                break
            # rays from the change since the last check (original space)
            if prev is not None:
                ox, oy, oax, oaty = to_orig(x, y, ax, aty)
                px, py, pax, paty = prev
                ray = _check_rays(od, ox - px, oy - py, oax - pax, oaty - paty, infeas_tol, Qop, dc)
                if ray is not None:
                    watch.stop(ray[0])
                    cert = ray[1]
                    break
            prev = to_orig(x, y, ax, aty)
            if watch.out_of_time():
                watch.stop("time_limit")
                break
            # restart decision on the weighted KKT error in the scaled space
            kc = S.kkt(x, y, ax, aty, qx)
            ka = S.kkt(xa, ya, axa, atya, qxa)
            ec, ea = wkkt(kc, omega), wkkt(ka, omega)
            use_avg = ea < ec
            kcand = min(ec, ea)
            since = k_iter - iters_at_restart
            do_restart = (
                kcand <= 0.2 * k_restart
                or (kcand <= 0.8 * k_restart and kcand > k_prev_cand)
                or since >= 0.36 * k_iter
            )
            k_prev_cand = kcand
            if do_restart:
                if use_avg:
                    x, y, ax, aty, qx = xa, ya, axa, atya, qxa
                dxn = float(torch.linalg.vector_norm(x - xr))
                dyn = float(torch.linalg.vector_norm(y - yr))
                if dxn > 1e-10 and dyn > 1e-10:
                    omega = math.exp(0.5 * math.log(dyn / dxn) + 0.5 * math.log(omega))
                xr, yr = x.clone(), y.clone()
                xs.zero_(), ys.zero_(), axs.zero_(), atys.zero_()
                wsum = 0.0
                k_restart = wkkt(S.kkt(x, y, ax, aty, qx), omega)
                k_prev_cand = math.inf
                iters_at_restart = k_iter
                restarts += 1

    status = watch.stop_reason
    if best is None:
        ox, oy, _, _ = to_orig(x, y, ax, aty)
        best = (math.inf, ox, oy, (math.inf,) * 3)
    if status in ("infeasible", "unbounded"):
        ox, oy, _, _ = to_orig(x, y, ax, aty)
        outx, outy = ox, oy
    else:
        outx, outy = best[1], best[2]
    rel = best[3]
    return PDHGOutput(
        x=outx.detach().cpu().numpy().astype(np.float64),
        y=outy.detach().cpu().numpy().astype(np.float64),
        status=status,
        iterations=k_iter if on_host or Qop is not None else int(accepted),
        restarts=restarts,
        kkt={"primal_residual": rel[0], "dual_residual": rel[1], "gap": rel[2]},
        history=watch.history,
        certificate=None if cert is None else cert.detach().cpu().numpy(),
    )


def _check_rays(od: ScaledLP, dx, dy, dax, daty, eps, Qop, dc):
    """A dual ray (primal infeasible) or a primal ray (unbounded), or None."""
    # dual ray: y in the dual cone of the rows, λ = −Aᵀy, positive dual objective
    ny = float(torch.linalg.vector_norm(dy, ord=math.inf)) if dy.numel() else 0.0
    if ny > 0:
        yr = dy / ny
        lam = -daty / ny
        dobj, dres2 = od.dual_parts(yr, lam)
        dobj = float(dobj)
        if dobj > 0 and math.sqrt(float(dres2)) <= eps * dobj:
            return "infeasible", yr
    nx = float(torch.linalg.vector_norm(dx, ord=math.inf)) if dx.numel() else 0.0
    if nx > 0:
        d = dx / nx
        ad = dax / nx
        cd = float(torch.dot(od.c, d))
        if cd < 0:
            viol = torch.cat(
                [
                    ad - torch.clamp(ad, min=od.rrl, max=od.rru),
                    d - torch.clamp(d, min=od.crl, max=od.cru),
                ]
            )
            v = float(torch.linalg.vector_norm(viol, ord=math.inf)) if viol.numel() else 0.0
            if Qop is not None:
                qd = Qop.mv(d / dc) / dc  # Q in the original space: D⁻¹ Q̃ D⁻¹
                v = max(v, float(torch.linalg.vector_norm(qd, ord=math.inf)))
            if v <= eps * -cd:
                return "unbounded", d
    return None
