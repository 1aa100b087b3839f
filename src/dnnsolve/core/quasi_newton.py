"""Dense quasi-Newton minimizers (BFGS, self-scaled BFGS, self-scaled Broyden) for B restarts.

For networks of a few thousand parameters a full inverse-Hessian approximation fits in memory
and converges far further than L-BFGS (Urbán, Stefanou & Pons, J. Comput. Phys. 2024;
Kiyani et al., CMAME 2025).  :class:`DenseQuasiNewton` keeps one ``(n, n)`` matrix per restart,
in float64, and moves every restart along its own direction with its own strong-Wolfe step:
the line search is vectorized, so one loss evaluation serves all restarts.

The inverse-Hessian update is the Broyden class written with two scalars, a scale ``τ`` and a
mixing ``φ`` (``H⁺ = (H − Hy yᵀH / yᵀHy + φ·yᵀHy·v vᵀ) / τ + s sᵀ / yᵀs``,
``v = s / yᵀs − Hy / yᵀHy``):

- ``"bfgs"``: ``φ = 1``, ``τ = 1``, with the usual ``yᵀs / yᵀy`` scaling before the first update;
- ``"ssbfgs"``: ``φ = 1``, ``τ = min(1, 1/b)`` with ``b = sᵀBs / yᵀs`` (Al-Baali's self-scaling);
- ``"ssbroyden"``: ``τ`` and ``φ`` chosen from ``b``, ``h = yᵀHy / yᵀs`` and ``a = bh − 1`` as in
  Urbán et al. (their eqs. 13–23, after Al-Baali 2014).

>>> import torch
>>> A = torch.diag(torch.tensor([1.0, 10.0, 100.0], dtype=torch.float64))
>>> def fg(x):  # two restarts of a quadratic: f = ½ xᵀAx, ∇f = Ax
...     return 0.5 * ((x @ A) * x).sum(1), x @ A
>>> qn = DenseQuasiNewton("ssbroyden", n=3, restarts=2)
>>> x = torch.tensor([[1.0, 1.0, 1.0], [-2.0, 0.5, 3.0]], dtype=torch.float64)
>>> f, g = fg(x)
>>> for _ in range(30):
...     x, f, g = qn.step(fg, x, f, g)
>>> bool(f.max() < 1e-12)
True
"""

from __future__ import annotations

from collections.abc import Callable

import torch

__all__ = ["QN_LABELS", "QN_METHODS", "DenseQuasiNewton", "wolfe_search"]

QN_METHODS = ("bfgs", "ssbfgs", "ssbroyden")
#: how progress bars and summaries name the quasi-Newton phase (``"lbfgs"``: torch's L-BFGS)
QN_LABELS = {"lbfgs": "L-BFGS", "bfgs": "BFGS", "ssbfgs": "SSBFGS", "ssbroyden": "SSBroyden"}

#: a loss and its gradient for every restart: ``(B, n) -> ((B,), (B, n))``
LossAndGrad = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def _cubic_min(a0, f0, d0, a1, f1, d1):
    """Minimizer of the cubic through two points with slopes (Nocedal & Wright, eq. 3.59);
    NaN where it does not exist."""
    e1 = d0 + d1 - 3.0 * (f0 - f1) / (a0 - a1)
    disc = e1 * e1 - d0 * d1
    e2 = torch.sign(a1 - a0) * disc.clamp_min(0.0).sqrt()
    a = a1 - (a1 - a0) * (d1 + e2 - e1) / (d1 - d0 + 2.0 * e2)
    return torch.where(disc >= 0, a, torch.full_like(a, float("nan")))


def put(mask: torch.Tensor, dst: torch.Tensor, src: torch.Tensor) -> torch.Tensor:
    """``src`` where ``mask`` holds, else ``dst`` (per restart)."""
    return torch.where(mask, src, dst)


def wolfe_search(
    fg: LossAndGrad,
    x: torch.Tensor,
    p: torch.Tensor,
    f0: torch.Tensor,
    g0: torch.Tensor,
    alpha: torch.Tensor,
    c1: float = 1e-4,
    c2: float = 0.9,
    max_evals: int = 25,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, int]:
    """Strong-Wolfe step lengths along ``p`` for every restart at once (bracket, then zoom by
    safeguarded cubic interpolation).

    Returns ``(alpha, f, g, evaluations)``; a restart whose search fails keeps the point with
    the lowest loss meeting the sufficient-decrease condition, or ``alpha = 0`` (no move, ``f0``
    and ``g0``) if it found none.  Non-finite losses count as failures of sufficient decrease.
    """
    B = x.shape[0]
    d0 = (g0 * p).sum(1)
    a = alpha.clone()
    prev_a, prev_f, prev_d = torch.zeros_like(a), f0.clone(), d0.clone()
    lo, f_lo, d_lo = torch.zeros_like(a), f0.clone(), d0.clone()
    hi, f_hi, d_hi = torch.zeros_like(a), f0.clone(), d0.clone()
    zoom = torch.zeros(B, dtype=torch.bool, device=x.device)
    done = torch.zeros_like(zoom)
    best_a, best_f, best_g = torch.zeros_like(a), f0.clone(), g0.clone()
    evals = 0
    for k in range(max_evals):
        f, g = fg(x + a[:, None] * p)
        evals += 1
        d = (g * p).sum(1)
        finite = torch.isfinite(f) & torch.isfinite(d)
        armijo = finite & (f <= f0 + c1 * a * d0)
        curvature = d.abs() <= -c2 * d0
        active = ~done
        better = active & armijo & (f < best_f)
        best_a = torch.where(better, a, best_a)
        best_f = torch.where(better, f, best_f)
        best_g = torch.where(better[:, None], g, best_g)
        f_safe = torch.where(finite, f, torch.full_like(f, float("inf")))
        # bracketing: look for an interval that holds a Wolfe point
        br = active & ~zoom
        to_hi = br & (~armijo | ((f_safe >= prev_f) & (k > 0)))
        accept_br = br & ~to_hi & curvature
        to_lo = br & ~to_hi & ~accept_br & (d >= 0)
        grow = br & ~to_hi & ~accept_br & ~to_lo
        # zoom: shrink the interval [lo, hi] around the trial point
        zm = active & zoom
        zm_hi = zm & (~armijo | (f_safe >= f_lo))
        accept_zm = zm & ~zm_hi & curvature
        zm_lo = zm & ~zm_hi & ~accept_zm
        flip = zm_lo & (d * (hi - lo) >= 0)
        accept = accept_br | accept_zm
        done = done | accept
        best_a = torch.where(accept, a, best_a)
        best_f = torch.where(accept, f, best_f)
        best_g = torch.where(accept[:, None], g, best_g)

        # entering zoom from the bracketing phase
        lo, f_lo, d_lo = put(to_hi, lo, prev_a), put(to_hi, f_lo, prev_f), put(to_hi, d_lo, prev_d)
        hi, f_hi, d_hi = put(to_hi, hi, a), put(to_hi, f_hi, f_safe), put(to_hi, d_hi, d)
        lo, f_lo, d_lo = put(to_lo, lo, a), put(to_lo, f_lo, f), put(to_lo, d_lo, d)
        hi, f_hi, d_hi = put(to_lo, hi, prev_a), put(to_lo, f_hi, prev_f), put(to_lo, d_hi, prev_d)
        zoom = zoom | to_hi | to_lo
        # inside zoom
        hi, f_hi, d_hi = put(zm_hi, hi, a), put(zm_hi, f_hi, f_safe), put(zm_hi, d_hi, d)
        hi, f_hi, d_hi = put(flip, hi, lo), put(flip, f_hi, f_lo), put(flip, d_hi, d_lo)
        lo, f_lo, d_lo = put(zm_lo, lo, a), put(zm_lo, f_lo, f), put(zm_lo, d_lo, d)
        # an interval shrunk to rounding ends the search (the best point found stands)
        tiny = zoom & (
            (hi - lo).abs() <= 1e-10 * torch.maximum(lo.abs(), hi.abs()).clamp_min(1e-30)
        )
        done = done | tiny
        if bool(done.all()):
            break
        # next trial points
        prev_a = put(grow, prev_a, a)
        prev_f = put(grow, prev_f, f)
        prev_d = put(grow, prev_d, d)
        grown = a * 4.0
        cubic = _cubic_min(lo, f_lo, d_lo, hi, f_hi, d_hi)
        left, right = torch.minimum(lo, hi), torch.maximum(lo, hi)
        margin = 0.1 * (right - left)
        ok = torch.isfinite(cubic) & (cubic >= left + margin) & (cubic <= right - margin)
        inside = torch.where(ok, cubic, 0.5 * (lo + hi))
        a = torch.where(zoom, inside, torch.where(grow, grown, a))
    return best_a, best_f, best_g, evals


class DenseQuasiNewton:
    """Full inverse-Hessian quasi-Newton steps for ``restarts`` independent problems of ``n``
    variables (see the module docstring for the methods)."""

    def __init__(
        self,
        method: str = "ssbroyden",
        n: int = 1,
        restarts: int = 1,
        device: torch.device | str = "cpu",
        c1: float = 1e-4,
        c2: float = 0.9,
        max_evals: int = 25,
    ):
        if method not in QN_METHODS:
            raise ValueError(f"quasi-Newton method must be one of {QN_METHODS}, got {method!r}")
        self.method, self.n, self.restarts = method, int(n), int(restarts)
        self.c1, self.c2, self.max_evals = c1, c2, max_evals
        eye = torch.eye(self.n, dtype=torch.float64, device=device)
        self.H = eye.repeat(self.restarts, 1, 1)
        self.updates = torch.zeros(self.restarts, dtype=torch.long, device=device)
        self.evaluations = 0
        self.failures = torch.zeros(self.restarts, dtype=torch.long, device=device)

    def reset_(self, mask: torch.Tensor) -> None:
        """Forget the curvature of the restarts in ``mask`` (back to the identity)."""
        eye = torch.eye(self.n, dtype=self.H.dtype, device=self.H.device)
        self.H[mask] = eye
        self.updates[mask] = 0

    def step(
        self, fg: LossAndGrad, x: torch.Tensor, f: torch.Tensor, g: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One iteration from ``x`` (loss ``f``, gradient ``g``); returns the new ``x, f, g``.

        A restart whose search direction is not a descent direction, or whose line search
        finds no decrease, has its matrix reset; two failures in a row leave it where it is
        (``failures`` counts them: a stalled restart)."""
        x, f, g = x.double(), f.double(), g.double()
        p = -torch.bmm(self.H, g[:, :, None])[:, :, 0]
        descent = (g * p).sum(1) < 0
        if not bool(descent.all()):
            self.reset_(~descent)
            p = torch.where(descent[:, None], p, -g)
        gnorm = g.norm(dim=1).clamp_min(1e-300)
        alpha = torch.where(self.updates > 0, torch.ones_like(gnorm), (1.0 / gnorm).clamp(max=1.0))
        a, f_new, g_new, evals = wolfe_search(fg, x, p, f, g, alpha, self.c1, self.c2,
                                              self.max_evals)  # fmt: skip
        self.evaluations += evals
        moved = a > 0
        s = torch.where(moved[:, None], a[:, None] * p, torch.zeros_like(p))  # p may be NaN
        y = g_new - g
        self._update(s, y, g, a, moved)
        self.failures = torch.where(moved, torch.zeros_like(self.failures), self.failures + 1)
        if not bool(moved.all()):
            self.reset_(~moved)
        return x + s, f_new, g_new

    def _update(self, s, y, g_old, alpha, moved) -> None:
        sy = (s * y).sum(1)
        ok = moved & torch.isfinite(sy) & (sy > 1e-12 * s.norm(dim=1) * y.norm(dim=1))
        if not bool(ok.any()):
            return
        H = self.H
        first = (self.updates == 0) & ok
        if self.method == "bfgs" and bool(first.any()):
            scale = sy / (y * y).sum(1).clamp_min(1e-300)
            H[first] = H[first] * scale[first][:, None, None]
        rho = 1.0 / torch.where(ok, sy, torch.ones_like(sy))
        Hy = torch.bmm(H, y[:, :, None])[:, :, 0]
        yHy = (y * Hy).sum(1).clamp_min(1e-300)
        if self.method == "bfgs":
            tau, phi = torch.ones_like(sy), torch.ones_like(sy)
        else:
            # b = sᵀBs / yᵀs with Bs = −α g (s = α p, p = −H g)
            b = (-alpha * rho * (s * g_old).sum(1)).clamp_min(1e-300)
            if self.method == "ssbfgs":
                tau, phi = torch.clamp(1.0 / b, max=1.0), torch.ones_like(sy)
            else:
                tau, phi = self._broyden_scalars(b, yHy * rho)
        ok = ok & torch.isfinite(tau) & torch.isfinite(phi) & (tau > 0)
        v = rho[:, None] * s - Hy / yHy[:, None]
        new = (
            H
            - Hy[:, :, None] * Hy[:, None, :] / yHy[:, None, None]
            + (phi * yHy)[:, None, None] * v[:, :, None] * v[:, None, :]
        ) / tau[:, None, None] + rho[:, None, None] * s[:, :, None] * s[:, None, :]
        new = 0.5 * (new + new.transpose(1, 2))  # rounding drifts from symmetry otherwise
        self.H = torch.where(ok[:, None, None], new, H)
        self.updates = self.updates + ok.long()

    def _broyden_scalars(self, b: torch.Tensor, h: torch.Tensor):
        """``τ`` and ``φ`` of the self-scaled Broyden update (Urbán et al. 2024, eqs. 13–23)."""
        a = (b * h - 1.0).clamp_min(1e-12)  # ≥ 0 by Cauchy–Schwarz; kept off zero
        c = (a / (1.0 + a)).sqrt()
        rho_minus = torch.clamp(h * (1.0 - c), min=1e-12, max=1.0)
        theta_minus = (rho_minus - 1.0) / a
        theta_plus = 1.0 / rho_minus
        theta = torch.maximum(theta_minus, torch.minimum(theta_plus, (1.0 - b) / b))
        sigma = 1.0 + theta * a
        sigma_n = sigma.abs().pow(1.0 / (1.0 - self.n)) if self.n > 1 else torch.ones_like(sigma)
        rho_k = torch.clamp(1.0 / b, max=1.0)
        tau = torch.where(
            theta <= 0,
            torch.minimum(rho_k * sigma_n, sigma),
            rho_k * torch.minimum(sigma_n, 1.0 / theta.clamp_min(1e-300)),
        )
        phi = (1.0 - theta) / sigma
        return tau, phi
