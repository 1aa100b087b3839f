"""Optimizers whose learning rate is a per-restart tensor.

Parameters have the restart dimension first, so a (B,) learning rate
broadcasts over each restart's own parameters. Population methods copy
optimizer state between restarts together with the parameters.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch


def _bcast(v: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    return v.view((-1,) + (1,) * (p.dim() - 1)).to(p.dtype)


class BatchedOptimizer(ABC):
    """Base class: ``step(lr)`` with ``lr`` of shape (B,)."""

    state_names: tuple[str, ...] = ()

    def __init__(self, params):
        self.params = [p for p in params if p.requires_grad]
        self.state = {name: [torch.zeros_like(p) for p in self.params] for name in self.state_names}
        self.t = (
            torch.zeros(self.params[0].shape[0], device=self.params[0].device)
            if self.params
            else None
        )

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @abstractmethod
    def step(self, lr: torch.Tensor) -> None:
        """One update with per-restart learning rates ``lr`` (B,)."""

    def reset_(self, mask: torch.Tensor) -> None:
        """Forget the state of the restarts in ``mask``."""
        for buf in self.state.values():
            for s in buf:
                s[mask] = 0
        if self.t is not None:
            self.t[mask] = 0

    def copy_restarts_(self, src: torch.Tensor, dst: torch.Tensor) -> None:
        for buf in self.state.values():
            for s in buf:
                s[dst] = s[src]
        if self.t is not None:
            self.t[dst] = self.t[src]


class SGD(BatchedOptimizer):
    """Plain gradient descent."""

    @torch.no_grad()
    def step(self, lr: torch.Tensor) -> None:
        for p in self.params:
            if p.grad is not None:
                p.sub_(_bcast(lr, p) * p.grad)


class Momentum(BatchedOptimizer):
    """Heavy-ball momentum as in pCQO-MIS: v ← μ v + α ∇f, θ ← θ − v."""

    state_names = ("velocity",)

    def __init__(self, params, momentum: float = 0.9):
        super().__init__(params)
        self.momentum = momentum

    @torch.no_grad()
    def step(self, lr: torch.Tensor) -> None:
        for p, v in zip(self.params, self.state["velocity"]):
            if p.grad is None:
                continue
            v.mul_(self.momentum).add_(_bcast(lr, p) * p.grad)
            p.sub_(v)


class Adam(BatchedOptimizer):
    """Adam (Kingma & Ba) with per-restart step counts and learning rates."""

    state_names = ("m", "v")

    def __init__(self, params, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        super().__init__(params)
        self.betas, self.eps = betas, eps

    @torch.no_grad()
    def step(self, lr: torch.Tensor) -> None:
        b1, b2 = self.betas
        self.t += 1
        c1 = 1 - b1**self.t
        c2 = 1 - b2**self.t
        for p, m, v in zip(self.params, self.state["m"], self.state["v"]):
            if p.grad is None:
                continue
            g = p.grad
            m.mul_(b1).add_(g, alpha=1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            denom = (v / _bcast(c2, p)).sqrt_().add_(self.eps)
            p.sub_(_bcast(lr / c1, p) * m / denom)


OPTIMIZERS = {"adam": Adam, "momentum": Momentum, "sgd": SGD}


def make_optimizer(name: str, params, momentum: float = 0.9) -> BatchedOptimizer:
    """Build a batched optimizer by name (``adam``, ``momentum``, ``sgd``)."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose from {sorted(OPTIMIZERS)}")
    if name == "momentum":
        return Momentum(params, momentum)
    return OPTIMIZERS[name](params)
