"""Parameterizations: how trainable parameters become a relaxed solution.

Every parameter of a parameterization has the restart dimension first
(shape ``(B, ...)``), so restarts are independent, per-restart learning rates
broadcast, and population methods can copy one restart onto another.
"""

from __future__ import annotations

import math
from abc import ABCMeta, abstractmethod

import torch
from torch import nn


class Parameterization(nn.Module, metaclass=ABCMeta):
    """Maps its parameters to a relaxed solution of shape (B, n) in [0, 1]."""

    restarts: int
    n: int

    @abstractmethod
    def forward(self) -> torch.Tensor:
        """The relaxed solution, shape (B, n), values in [0, 1]."""

    @abstractmethod
    def reset_(self, mask: torch.Tensor, generator: torch.Generator | None = None) -> None:
        """Re-initialize the restarts where ``mask`` (B,) is True."""

    def project_(self) -> None:
        """Project parameters back onto their feasible box after a step (default: none)."""

    def perturb_(
        self, mask: torch.Tensor, scale: float, generator: torch.Generator | None = None
    ) -> None:
        """Add noise of relative size ``scale`` to the restarts in ``mask`` (default: Gaussian)."""
        with torch.no_grad():
            for p in self.parameters():
                noise = torch.randn(p.shape, generator=generator, device=p.device, dtype=p.dtype)
                std = p.detach().flatten(1).std(dim=1).clamp_min(1e-3)
                shape = (-1,) + (1,) * (p.dim() - 1)
                p.add_(noise * (scale * std).view(shape) * mask.view(shape).to(p.dtype))
        self.project_()

    def warm_start_(
        self, idx: torch.Tensor, x: torch.Tensor, generator: torch.Generator | None = None
    ) -> bool:
        """Move restarts ``idx`` to (near) the relaxed points ``x`` (len(idx), n).

        Returns False when the parameterization cannot be set to a given output (networks
        whose output is not a free parameter); the restarts are then left as they are.
        """
        return False

    def copy_restarts_(self, src: torch.Tensor, dst: torch.Tensor) -> None:
        """Copy the parameters of restarts ``src`` onto restarts ``dst`` (index tensors)."""
        with torch.no_grad():
            for p in self.parameters():
                p[dst] = p[src]


_SQUASH = {
    "sigmoid": torch.sigmoid,
    # spins s = tanh(θ) mapped to [0, 1]
    "tanh": lambda t: 0.5 * (1.0 + torch.tanh(t)),
    "clamp": lambda t: t,
}


class FreeVariables(Parameterization):
    """One free parameter per variable and restart, squashed into [0, 1].

    ``squash="clamp"`` keeps x itself in the box [0, 1] by projection after each
    step (the quadratic network of pCQO-MIS); ``"sigmoid"`` and ``"tanh"`` are
    smooth maps (tanh = relaxed spins s = tanh θ).

    >>> p = FreeVariables(n=5, restarts=3, squash="sigmoid", generator=torch.Generator().manual_seed(0))
    >>> p().shape
    torch.Size([3, 5])
    """

    def __init__(
        self,
        n: int,
        restarts: int,
        squash: str = "sigmoid",
        init_mean: torch.Tensor | float | None = None,
        init_std: float = 1.0,
        device: torch.device | str = "cpu",
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        if squash not in _SQUASH:
            raise ValueError(f"unknown squash {squash!r}; choose from {sorted(_SQUASH)}")
        self.n, self.restarts, self.squash = n, restarts, squash
        self.init_std = init_std
        dev = torch.device(device)
        if init_mean is None:
            init_mean = 0.5 if squash == "clamp" else 0.0
        self.register_buffer(
            "init_mean",
            torch.as_tensor(init_mean, dtype=torch.float32, device=dev).expand(n).clone(),
        )
        self.theta = nn.Parameter(torch.empty(restarts, n, device=dev))
        self.reset_(torch.ones(restarts, dtype=torch.bool, device=dev), generator)

    def _sample(self, k: int, generator: torch.Generator | None) -> torch.Tensor:
        noise = torch.randn((k, self.n), generator=generator, device=self.theta.device)
        val = self.init_mean + self.init_std * noise
        return val.clamp(0.0, 1.0) if self.squash == "clamp" else val

    def reset_(self, mask: torch.Tensor, generator: torch.Generator | None = None) -> None:
        idx = torch.nonzero(mask, as_tuple=False).flatten()
        if len(idx):
            with torch.no_grad():
                self.theta[idx] = self._sample(len(idx), generator)

    def project_(self) -> None:
        if self.squash == "clamp":
            with torch.no_grad():
                self.theta.clamp_(0.0, 1.0)

    def perturb_(
        self, mask: torch.Tensor, scale: float, generator: torch.Generator | None = None
    ) -> None:
        with torch.no_grad():
            noise = torch.randn(self.theta.shape, generator=generator, device=self.theta.device)
            width = self.init_std if self.squash == "clamp" else max(self.init_std, 1.0)
            self.theta.add_(scale * width * noise * mask[:, None].to(self.theta.dtype))
        self.project_()

    def warm_start_(
        self, idx: torch.Tensor, x: torch.Tensor, generator: torch.Generator | None = None
    ) -> bool:
        """Set restarts ``idx`` to ``x`` pulled 20 % toward ½ (a saturated squash would have
        no gradient), plus a little noise so copies of one start do not move in lockstep."""
        with torch.no_grad():
            target = 0.5 + 0.8 * (x.to(self.theta) - 0.5)
            if self.squash == "sigmoid":
                theta = torch.logit(target)
            elif self.squash == "tanh":
                theta = torch.atanh(2.0 * target - 1.0)
            else:
                theta = target
            noise = torch.randn(theta.shape, generator=generator, device=theta.device)
            self.theta[idx] = theta + 0.1 * self.init_std * noise
        self.project_()
        return True

    def forward(self) -> torch.Tensor:
        return _SQUASH[self.squash](self.theta)


def glorot_(t: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Glorot-uniform init of a batched weight of shape (B, fan_in, fan_out)."""
    bound = math.sqrt(6.0 / (t.shape[-2] + t.shape[-1]))
    with torch.no_grad():
        return t.uniform_(-bound, bound, generator=generator)
