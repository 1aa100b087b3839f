"""Optimizers whose learning rate is a per-restart tensor.

Parameters have the restart dimension first, so a (B,) learning rate
broadcasts over each restart's own parameters. Population methods copy
optimizer state between restarts together with the parameters.

A step costs a fixed handful of tensor operations, whatever the number of
parameter tensors: the state of all parameters of one device and dtype lives in
one flat (B, K) buffer per state (K: the parameters' entries per restart), updated
by whole-buffer operations; reading the gradients and writing the parameters are
single ``torch._foreach_*`` calls. The arithmetic is the per-tensor update's,
operation for operation, so results do not depend on the layout.

>>> import torch
>>> w = torch.nn.Parameter(torch.zeros(2, 3))
>>> b = torch.nn.Parameter(torch.zeros(2, 1))
>>> opt = Adam([w, b])
>>> (w.sum() + 2 * b.sum()).backward()
>>> opt.step(torch.tensor([0.1, 0.01]))
>>> [round(v, 4) for v in w[:, 0].tolist()], [round(v, 4) for v in b[:, 0].tolist()]
([-0.1, -0.01], [-0.1, -0.01])
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable

import torch


class _FlatGroup:
    """The parameters of one device and dtype, with their optimizer state in flat buffers.

    ``buffers[name]`` is a (B, K) tensor; ``views[name][i]`` is the slice of it shaped like
    parameter ``i``, so per-parameter and whole-buffer operations update the same memory.
    """

    def __init__(self, params: list[torch.Tensor], state_names: tuple[str, ...]):
        first = params[0]
        restarts = first.shape[0]
        if any(p.dim() == 0 or p.shape[0] != restarts for p in params):
            raise ValueError("batched optimizers need parameters stacked by restart (B, ...)")
        self.params = params
        self.dtype, self.device = first.dtype, first.device
        sizes = [p[0].numel() for p in params]
        self.offsets = [sum(sizes[:i]) for i in range(len(sizes))]
        self.sizes = sizes
        width = sum(sizes)
        self.buffers = {
            name: torch.zeros(restarts, width, dtype=self.dtype, device=self.device)
            for name in state_names
        }
        self.views = {name: self.slices(buf) for name, buf in self.buffers.items()}
        self.broadcast_shapes = [(-1,) + (1,) * (p.dim() - 1) for p in params]

    def slices(self, flat: torch.Tensor) -> list[torch.Tensor]:
        """Views of a (B, K) tensor shaped like each parameter."""
        return [
            flat[:, o : o + n].view(p.shape)
            for p, o, n in zip(self.params, self.offsets, self.sizes)
        ]

    def grads(self) -> list[torch.Tensor] | None:
        """Every parameter's gradient, or None when some parameter has none (it then keeps
        its state and value, as in a per-tensor loop that skips it)."""
        grads = [p.grad for p in self.params]
        return None if any(g is None for g in grads) else grads  # type: ignore[return-value]

    def row(self, v: torch.Tensor) -> torch.Tensor:
        """A (B,) per-restart factor as a (B, 1) column in the group's dtype."""
        return v.view(-1, 1).to(self.dtype)

    def per_param(self, v: torch.Tensor) -> list[torch.Tensor]:
        """A (B,) per-restart factor broadcast over each parameter, in the group's dtype."""
        v = v.to(self.dtype)
        return [v.view(shape) for shape in self.broadcast_shapes]


def _groups(params: list[torch.Tensor], state_names: tuple[str, ...]) -> list[_FlatGroup]:
    by_kind: dict[tuple[torch.device, torch.dtype], list[torch.Tensor]] = {}
    for p in params:
        by_kind.setdefault((p.device, p.dtype), []).append(p)
    return [_FlatGroup(ps, state_names) for ps in by_kind.values()]


class BatchedOptimizer(ABC):
    """Base class: ``step(lr)`` with ``lr`` of shape (B,).

    ``state[name]`` lists, per parameter, its slice of the flat state buffer ``name``.
    """

    state_names: tuple[str, ...] = ()

    def __init__(self, params: Iterable[torch.Tensor]):
        self.params = [p for p in params if p.requires_grad]
        self.groups = _groups(self.params, self.state_names) if self.params else []
        self.state = {name: self._in_param_order(name) for name in self.state_names}
        self.t = (
            torch.zeros(self.params[0].shape[0], device=self.params[0].device)
            if self.params
            else None
        )

    def _in_param_order(self, name: str) -> list[torch.Tensor]:
        view_of = {id(p): v for g in self.groups for p, v in zip(g.params, g.views[name])}
        return [view_of[id(p)] for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @abstractmethod
    def step(self, lr: torch.Tensor) -> None:
        """One update with per-restart learning rates ``lr`` (B,)."""

    def reset_(self, mask: torch.Tensor) -> None:
        """Forget the state of the restarts in ``mask``."""
        for g in self.groups:
            for buf in g.buffers.values():
                buf[mask] = 0
        if self.t is not None:
            self.t[mask] = 0

    def copy_restarts_(self, src: torch.Tensor, dst: torch.Tensor) -> None:
        """Copy the state of restarts ``src`` onto restarts ``dst`` (index tensors)."""
        for g in self.groups:
            for buf in g.buffers.values():
                buf[dst] = buf[src]
        if self.t is not None:
            self.t[dst] = self.t[src]


class SGD(BatchedOptimizer):
    """Plain gradient descent: θ ← θ − α ∇f."""

    @torch.no_grad()
    def step(self, lr: torch.Tensor) -> None:
        for g in self.groups:
            rates = g.per_param(lr)
            pairs = [(p, p.grad, r) for p, r in zip(g.params, rates) if p.grad is not None]
            if pairs:
                params, grads, rates = map(list, zip(*pairs))
                torch._foreach_sub_(params, torch._foreach_mul(grads, rates))


class Momentum(BatchedOptimizer):
    """Heavy-ball momentum as in pCQO-MIS: v ← μ v + α ∇f, θ ← θ − v."""

    state_names = ("velocity",)

    def __init__(self, params: Iterable[torch.Tensor], momentum: float = 0.9):
        super().__init__(params)
        self.momentum = momentum

    @torch.no_grad()
    def step(self, lr: torch.Tensor) -> None:
        for g in self.groups:
            rates = g.per_param(lr)
            grads = g.grads()
            if grads is None:
                self._step_some(g, rates)
                continue
            g.buffers["velocity"].mul_(self.momentum)
            vel = g.views["velocity"]
            torch._foreach_add_(vel, torch._foreach_mul(grads, rates))
            torch._foreach_sub_(g.params, vel)

    def _step_some(self, g: _FlatGroup, rates: list[torch.Tensor]) -> None:
        """The update of the parameters that have a gradient, one at a time."""
        for p, v, r in zip(g.params, g.views["velocity"], rates):
            if p.grad is not None:
                v.mul_(self.momentum).add_(r * p.grad)
                p.sub_(v)


class Adam(BatchedOptimizer):
    """Adam (Kingma & Ba) with per-restart step counts and learning rates.

    >>> p = torch.nn.Parameter(torch.ones(3, 2))
    >>> opt = Adam([p])
    >>> (p**2).sum().backward()
    >>> opt.step(torch.tensor([0.1, 0.2, 0.3]))
    >>> [round(v, 4) for v in p[:, 0].tolist()]
    [0.9, 0.8, 0.7]
    """

    state_names = ("m", "v")

    def __init__(
        self,
        params: Iterable[torch.Tensor],
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ):
        super().__init__(params)
        self.betas, self.eps = betas, eps
        # both betas in one tensor: the two bias corrections are one power and one subtraction
        device = self.t.device if self.t is not None else None
        self._beta_column = torch.tensor([[betas[0]], [betas[1]]], device=device)

    @torch.no_grad()
    def step(self, lr: torch.Tensor) -> None:
        if self.t is None:
            return
        b1, b2 = self.betas
        self.t += 1
        c1, c2 = 1 - self._beta_column**self.t  # 1 − β₁ᵗ and 1 − β₂ᵗ, per restart
        scale = lr / c1  # the bias-corrected learning rate
        for g in self.groups:
            grads = g.grads()
            if grads is None:
                self._step_some(g, scale, c2)
                continue
            m, v = g.buffers["m"], g.buffers["v"]
            m.mul_(b1)
            torch._foreach_add_(g.views["m"], grads, alpha=1 - b1)
            v.mul_(b2)
            torch._foreach_addcmul_(g.views["v"], grads, grads, value=1 - b2)
            denom = (v / g.row(c2)).sqrt_().add_(self.eps)
            update = (g.row(scale) * m).div_(denom)
            torch._foreach_sub_(g.params, g.slices(update))

    def _step_some(self, g: _FlatGroup, scale: torch.Tensor, c2: torch.Tensor) -> None:
        """The update of the parameters that have a gradient, one at a time."""
        for p, m, v in zip(g.params, g.views["m"], g.views["v"]):
            if p.grad is None:
                continue
            grad = p.grad
            shape = (-1,) + (1,) * (p.dim() - 1)
            m.mul_(self.betas[0]).add_(grad, alpha=1 - self.betas[0])
            v.mul_(self.betas[1]).addcmul_(grad, grad, value=1 - self.betas[1])
            denom = (v / c2.view(shape).to(p.dtype)).sqrt_().add_(self.eps)
            p.sub_((scale.view(shape).to(p.dtype) * m).div_(denom))


OPTIMIZERS = {"adam": Adam, "momentum": Momentum, "sgd": SGD}


def make_optimizer(
    name: str, params: Iterable[torch.Tensor], momentum: float = 0.9
) -> BatchedOptimizer:
    """Build a batched optimizer by name (``adam``, ``momentum``, ``sgd``).

    >>> p = torch.nn.Parameter(torch.zeros(2, 1))
    >>> type(make_optimizer("momentum", [p], momentum=0.5)).__name__
    'Momentum'
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose from {sorted(OPTIMIZERS)}")
    if name == "momentum":
        return Momentum(params, momentum)
    return OPTIMIZERS[name](params)
