"""Exact non-negative matrix factorization by RRR (LWL §4, eq. 14): X = Z W^T, W, Z >= 0.

Single-layer network: K data items (rows of X, K x m), m data nodes, r code nodes. Per item k
and data node i the weight row W[i, :] and the code Z[k, :] have private copies w[k, i, :] and
z[k, i, :]; the state of R restarts is one flat tensor (R, 2 K m r).

- A (:meth:`NMFDC.project_a`): weight copies agree (mean over k), are >= 0 and every column
  W[:, j] has norm Omega; code copies agree (mean over i) and are >= 0.
- B (:meth:`NMFDC.project_b`): w[k, i, :] . z[k, i, :] = X[k, i] per (item, data node), the
  bilinear projection with the right side fixed by the data.

The column norm Omega only fixes the scale ambiguity W -> W D, Z -> Z D^-1; it sets how the
metric splits changes between W and Z (the paper's LEDM runs use Omega = 0.6 ... 0.9).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from ...core.errors import InputError
from ..engine import RRR
from .projections import bilinear_project, sphere_project


@dataclass
class NMFDC:
    """D&C layout and projections for the exact NMF of ``data`` (K x m) at rank ``rank``.

    >>> nmf = NMFDC(torch.ones(2, 3, dtype=torch.float64), rank=1)
    >>> nmf.size
    12
    """

    data: torch.Tensor
    rank: int
    omega: float = 1.0

    def __post_init__(self) -> None:
        self.k, self.m = self.data.shape
        self._cache: dict = {}  # last bilinear multipliers: Newton warm start
        self.size = 2 * self.k * self.m * self.rank

    def views(self, flat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(w, z) views (B, K, m, r) of a flat state (B, N)."""
        b, half = flat.shape[0], self.size // 2
        shape = (b, self.k, self.m, self.rank)
        return flat[:, :half].view(shape), flat[:, half:].view(shape)

    def consensus(self, flat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The A-side factors: W (B, m, r) and Z (B, K, r)."""
        w, z = self.views(flat)
        wa = sphere_project(w.mean(1).transpose(1, 2), self.omega, nonneg=True).transpose(1, 2)
        za = torch.clamp(z.mean(2), min=0.0)
        return wa, za

    def project_a(self, flat: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(flat)
        w, z = self.views(out)
        wa, za = self.consensus(flat)
        w.copy_(wa.unsqueeze(1).expand_as(w))
        z.copy_(za.unsqueeze(2).expand_as(z))
        return out

    def project_b(self, flat: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(flat)
        w, z = self.views(flat)
        wo, zo = self.views(out)
        wn, zn, _ = bilinear_project(
            w, z, None, c=self.data.to(flat).unsqueeze(0), cache=self._cache
        )
        wo.copy_(wn)
        zo.copy_(zn)
        return out

    def start(self, restarts: int, generator: torch.Generator) -> torch.Tensor:
        """Random W (uniform, columns rescaled to Omega), Z = max(0, least squares), as copies."""
        dt = self.data.dtype
        w = torch.rand(restarts, self.m, self.rank, generator=generator, dtype=dt)
        w = sphere_project(w.transpose(1, 2), self.omega, nonneg=True).transpose(1, 2)
        w = w.to(self.data.device)
        z = torch.linalg.pinv(w) @ self.data.T.unsqueeze(0)  # (R, r, K)
        z = torch.clamp(z.transpose(1, 2), min=0.0)  # (R, K, r)
        flat = torch.empty(restarts, self.size, dtype=dt, device=self.data.device)
        wv, zv = self.views(flat)
        wv.copy_(w.unsqueeze(1).expand_as(wv))
        zv.copy_(z.unsqueeze(2).expand_as(zv))
        return flat


def nmf_residual(x: np.ndarray, w: np.ndarray, z: np.ndarray) -> float:
    """Independent check: relative Frobenius error |X - Z W^T| / |X|, inf if a factor is < 0.

    >>> nmf_residual(np.eye(2), np.eye(2), np.eye(2))
    0.0
    """
    x, w, z = (np.asarray(a, dtype=np.float64) for a in (x, w, z))
    if (w < 0).any() or (z < 0).any() or not (np.isfinite(w).all() and np.isfinite(z).all()):
        return math.inf
    return float(np.linalg.norm(x - z @ w.T) / max(np.linalg.norm(x), 1e-300))


def rrr_nmf(
    data: np.ndarray | torch.Tensor,
    rank: int,
    *,
    beta: float = 0.3,
    omega: float = 0.6,
    restarts: int = 1,
    max_iter: int = 100_000,
    tol: float = 1e-10,
    success_tol: float = 1e-6,
    time_limit: float | None = None,
    seed: int = 0,
    device: torch.device | str = "cpu",
    stop_on_first: bool = False,
) -> dict:
    """Exact NMF of ``data`` at ``rank`` by RRR on ``restarts`` independent starts.

    Returns a dict: per-restart ``solved`` (relative error <= ``success_tol``, re-checked in
    NumPy), ``iterations``, ``errors``, the best factors ``W`` (m x r), ``Z`` (K x r), the
    ``time_s`` and the work in GWMs (1e-9 x iterations x K x edges, LWL §4).

    >>> out = rrr_nmf(np.array([[1.0, 0.0], [1.0, 1.0]]), 2, beta=0.5, omega=1.0)
    >>> out["success_rate"], out["best_error"] < 1e-6
    (1.0, True)
    """
    x = torch.as_tensor(np.asarray(data, dtype=np.float64)).to(device)
    if x.dim() != 2 or min(x.shape) < 1:
        raise InputError("NMF data must be a non-empty 2-D matrix")
    if bool((x < 0).any()) or not bool(torch.isfinite(x).all()):
        raise InputError("NMF data must be finite and non-negative")
    if not 1 <= int(rank) <= max(x.shape):
        raise InputError(f"rank must be in 1..{max(x.shape)}, got {rank}")
    if not omega > 0:
        raise InputError(f"omega must be > 0, got {omega}")
    if int(restarts) < 1 or int(max_iter) < 1:
        raise InputError("restarts and max_iter must be >= 1")
    nmf = NMFDC(x, int(rank), float(omega))
    gen = torch.Generator().manual_seed(int(seed))
    x0 = nmf.start(int(restarts), gen)
    scale = float(x.norm())

    def is_solved(pa: torch.Tensor) -> torch.Tensor:
        wa, za = nmf.consensus(pa)
        res = x.unsqueeze(0) - za @ wa.transpose(1, 2)
        return res.flatten(1).norm(dim=1) <= 0.1 * success_tol * scale

    t0 = time.perf_counter()
    run = RRR(nmf.project_a, nmf.project_b, beta=beta).run(
        x0,
        max_iter=int(max_iter),
        tol=tol * math.sqrt(nmf.size),
        time_limit=time_limit,
        record_every=max(1, int(max_iter) // 100),
        is_solved=is_solved,
        check_every=10,
        stop_on_first=stop_on_first,
    )
    elapsed = time.perf_counter() - t0
    wa, za = nmf.consensus(run.solution)
    errs = [
        nmf_residual(x.cpu().numpy(), wa[i].cpu().numpy(), za[i].cpu().numpy())
        for i in range(wa.shape[0])
    ]
    solved = [e <= success_tol for e in errs]
    best = int(np.argmin(errs))
    iters = run.iterations.cpu().tolist()
    return {
        "solved": solved,
        "success_rate": float(np.mean(solved)),
        "errors": errs,
        "best_error": errs[best],
        "iterations": iters,
        "W": wa[best].cpu().numpy(),
        "Z": za[best].cpu().numpy(),
        "time_s": elapsed,
        "gwm": 1e-9 * sum(iters) * nmf.k * nmf.m * nmf.rank,
        "stop_reason": run.stop_reason,
        "history": run.history,
    }
