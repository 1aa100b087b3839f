"""A dataless neural energy network for LP / QP (Kennedy–Chua / Tank–Hopfield line).

The "neurons" are the (scaled) variables ``x̃``; their amplifiers saturate at the column bounds
(the parameterization projects onto the box after each step, as Tank–Hopfield's bounded
amplifiers do), and the constraint rows enter the energy as Kennedy–Chua's quadratic penalty

    E(x) = (cᵀx + ½xᵀQx) / ‖c‖ + (s/2) · ‖Ax − P_[l_A,u_A](Ax)‖²,

minimized by the core :class:`~dnnsolve.core.solver.Solver` (batched Adam restarts) while the
penalty ``s`` grows geometrically (``hparam_schedules``). For any finite ``s`` the minimizer is
only an approximation of the optimum (its row violation is O(1/s)), so this method is far
less accurate than PDHG; it is here as the neural baseline the issue asks for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np
import torch

from ..core.parameterization import Parameterization
from ..core.problem import Evaluation, Problem
from .model import LPData, residuals
from .ops import SparseOp
from .scaling import scale_lp

__all__ = ["BoxVariables", "EnergyProblem"]


class BoxVariables(Parameterization):
    """Free float64 variables per restart, projected onto a (possibly infinite) box.

    >>> p = BoxVariables(torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64), 2)
    >>> p().shape
    torch.Size([2, 3])
    """

    def __init__(
        self,
        lower: torch.Tensor,
        upper: torch.Tensor,
        restarts: int,
        init_std: float = 0.1,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        self.n, self.restarts = int(lower.shape[0]), restarts
        self.init_std = init_std
        self.register_buffer("lower", lower)
        self.register_buffer("upper", upper)
        self.theta = torch.nn.Parameter(
            torch.zeros(restarts, self.n, dtype=lower.dtype, device=lower.device)
        )
        self.reset_(torch.ones(restarts, dtype=torch.bool, device=lower.device), generator)

    def reset_(self, mask: torch.Tensor, generator: torch.Generator | None = None) -> None:
        idx = torch.nonzero(mask, as_tuple=False).flatten()
        if len(idx):
            with torch.no_grad():
                noise = torch.randn(
                    (len(idx), self.n), generator=generator, device=self.theta.device
                ).to(self.theta.dtype)
                self.theta[idx] = self.init_std * noise
            self.project_()

    def project_(self) -> None:
        with torch.no_grad():
            self.theta.copy_(torch.clamp(self.theta, min=self.lower, max=self.upper))

    def forward(self) -> torch.Tensor:
        return self.theta


class EnergyProblem(Problem):
    """Kennedy–Chua penalty energy of a (scaled) LP / QP as a core :class:`Problem`.

    ``hparams["penalty"]`` is the base penalty ``s``; the solver scales it by its schedule.
    The reported iterate is the last one (``select = "last"``): the penalty is then largest.
    ``verify`` re-checks feasibility in NumPy with relative tolerance ``feas_tol``.
    """

    name = "lp-energy"
    sense = "min"
    select = "last"
    hparams: ClassVar[dict[str, float]] = {"penalty": 1.0}

    def __init__(self, lp: LPData, device: torch.device, feas_tol: float = 1e-6):
        self.lp = lp
        self.instance = lp.name
        self.feas_tol = feas_tol
        slp, scl = scale_lp(lp)
        self.slp = slp
        dt = torch.float64
        self.dc = torch.as_tensor(scl.col, dtype=dt, device=device)
        cn = float(np.linalg.norm(slp.c))
        self.cscale = 1.0 / cn if cn > 0 else 1.0
        self.c = torch.as_tensor(slp.c, dtype=dt, device=device)
        self.rl = torch.as_tensor(slp.row_lower, dtype=dt, device=device)
        self.ru = torch.as_tensor(slp.row_upper, dtype=dt, device=device)
        self.cl = torch.as_tensor(slp.col_lower, dtype=dt, device=device)
        self.cu = torch.as_tensor(slp.col_upper, dtype=dt, device=device)
        self.A = SparseOp(slp.A, device, dt, backend="torch")
        self.Q = SparseOp(slp.Q, device, dt, backend="torch") if slp.is_qp else None
        self.n_vars = lp.n

    def _mm(self, op: SparseOp, x: torch.Tensor) -> torch.Tensor:
        # (B, n) → (B, m) through the sparse CSR product (M @ Xᵀ)ᵀ; autograd-capable
        if op.shape[0] == 0:
            return x.new_zeros((x.shape[0], 0))
        return (op._t @ x.T).T

    def loss(self, x: torch.Tensor, hp: Mapping[str, torch.Tensor]) -> torch.Tensor:
        obj = x @ self.c
        if self.Q is not None:
            obj = obj + 0.5 * (x * self._mm(self.Q, x)).sum(dim=1)
        ax = self._mm(self.A, x)
        viol = ax - torch.clamp(ax, min=self.rl, max=self.ru)
        pen = 0.5 * hp["penalty"].to(x.dtype) * (viol * viol).sum(dim=1)
        return obj * self.cscale + pen

    def decode(self, x: torch.Tensor) -> torch.Tensor:
        return x.detach()

    def evaluate(self, z: torch.Tensor) -> Evaluation:
        obj = z @ self.c + self.lp.offset
        if self.Q is not None:
            obj = obj + 0.5 * (z * self._mm(self.Q, z)).sum(dim=1)
        ax = self._mm(self.A, z)
        viol = torch.linalg.vector_norm(ax - torch.clamp(ax, min=self.rl, max=self.ru), dim=1)
        scale = 1.0 + torch.linalg.vector_norm(
            torch.nan_to_num(torch.cat([self.rl, self.ru]), posinf=0.0, neginf=0.0)
        )
        return Evaluation(objective=obj.to(torch.float64), feasible=viol / scale <= self.feas_tol)

    def original(self, z: np.ndarray) -> np.ndarray:
        """Scaled solution → the original problem's x."""
        return np.asarray(z, dtype=np.float64) * self.dc.cpu().numpy()

    def verify(self, solution: np.ndarray) -> tuple[float, bool]:
        r = residuals(self.lp, self.original(solution))
        return r["objective"], bool(r["primal_residual"] <= self.feas_tol)

    def solution_output(self, solution: np.ndarray):
        return self.original(solution).tolist()
