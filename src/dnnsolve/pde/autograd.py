"""Derivatives of network outputs with respect to batched input points, by reverse-mode autograd.

Inputs are points ``x`` of shape ``(N, d)`` that require grad (see :func:`requires_grad`);
outputs ``u`` are ``(N,)`` (a scalar field) or ``(N, m)`` (``m`` components). Each operator
differentiates ``Σ_n u[n]`` with :func:`torch.autograd.grad` (``grad_outputs = ones``), which
is exact because row ``n`` of the output depends only on row ``n`` of the input — true for
pointwise networks (MLPs, SIREN, Fourier features), **not** for layers that mix the batch
(batch normalisation, attention over points).

All operators build the graph of their result by default (``create_graph=True``), so a loss
made of them can be differentiated again with respect to the network parameters (PINN
training) or to ``x`` (higher derivatives). Pass ``create_graph=False`` when only values are
needed (evaluation). Components that do not depend on ``x`` give zero derivatives.

Shapes: for ``u`` ``(N,)`` / ``(N, m)``: :func:`gradient` ``(N, d)`` / ``(N, m, d)``,
:func:`partial` and :func:`laplacian` ``(N,)`` / ``(N, m)``, :func:`hessian` ``(N, d, d)`` /
``(N, m, d, d)``; :func:`jacobian` is always ``(N, m, d)`` (``m = 1`` for ``(N,)``);
:func:`divergence` of ``v`` ``(N, k)`` is ``(N,)``.

>>> x = requires_grad(torch.tensor([[1.0, 2.0]]))
>>> u = x[:, 0] ** 2 * x[:, 1]
>>> gradient(u, x).tolist(), laplacian(u, x).tolist()
([[4.0, 1.0]], [4.0])
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from dnnsolve.core.errors import InputError

__all__ = [
    "divergence",
    "gradient",
    "hessian",
    "jacobian",
    "laplacian",
    "partial",
    "requires_grad",
]


def requires_grad(x: torch.Tensor) -> torch.Tensor:
    """A leaf copy of ``x`` with ``requires_grad=True`` (detached from any previous graph).

    >>> requires_grad(torch.zeros(3, 2)).requires_grad
    True
    """
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise InputError("points must be a floating-point tensor to be differentiated")
    return x.detach().clone().requires_grad_(True)


def _check_x(x: torch.Tensor) -> None:
    if not isinstance(x, torch.Tensor) or x.dim() != 2:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise InputError(f"points must be an (N, d) tensor, got {shape}")
    if not x.requires_grad:
        raise InputError("points do not require grad; evaluate the network on requires_grad(x)")


def _check_u(u: torch.Tensor, x: torch.Tensor, name: str = "output") -> None:
    _check_x(x)
    if not isinstance(u, torch.Tensor) or u.dim() not in (1, 2) or u.shape[0] != x.shape[0]:
        shape = tuple(u.shape) if isinstance(u, torch.Tensor) else type(u).__name__
        raise InputError(
            f"{name} must have shape ({x.shape[0]},) or ({x.shape[0]}, m), got {shape}"
        )


def _dims(dims: Sequence[int] | None, d: int) -> list[int]:
    if dims is None:
        return list(range(d))
    out = [int(i) for i in dims]
    if not out or any(not 0 <= i < d for i in out):
        raise InputError(f"dims must be non-empty indices in [0, {d}), got {list(dims)}")
    return out


def _grad(y: torch.Tensor, x: torch.Tensor, create_graph: bool) -> torch.Tensor:
    """``∂(Σ y)/∂x``, shape of ``x``: per-point gradients of the ``(N,)`` field ``y``."""
    if not y.requires_grad:
        return torch.zeros_like(x)
    (g,) = torch.autograd.grad(
        y,
        x,
        grad_outputs=torch.ones_like(y),
        create_graph=create_graph,
        retain_graph=True,
        allow_unused=True,
    )
    return torch.zeros_like(x) if g is None else g


def _per_component(u: torch.Tensor, fn) -> torch.Tensor:
    """Apply ``fn`` to an ``(N,)`` field, or to each column of ``(N, m)`` and stack at dim 1."""
    if u.dim() == 1:
        return fn(u)
    return torch.stack([fn(u[:, k]) for k in range(u.shape[1])], dim=1)


def gradient(u: torch.Tensor, x: torch.Tensor, *, create_graph: bool = True) -> torch.Tensor:
    """``∇u``: ``(N, d)`` for ``u`` ``(N,)``, ``(N, m, d)`` for ``u`` ``(N, m)``.

    >>> x = requires_grad(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    >>> gradient(torch.stack([x[:, 0] * x[:, 1], x[:, 1]], 1), x).shape
    torch.Size([2, 2, 2])
    """
    _check_u(u, x)
    return _per_component(u, lambda y: _grad(y, x, create_graph))


def jacobian(u: torch.Tensor, x: torch.Tensor, *, create_graph: bool = True) -> torch.Tensor:
    """``∂u_i/∂x_j``, always ``(N, m, d)`` (``m = 1`` for an ``(N,)`` output)."""
    _check_u(u, x)
    return gradient(u[:, None] if u.dim() == 1 else u, x, create_graph=create_graph)


def partial(
    u: torch.Tensor, x: torch.Tensor, *indices: int, create_graph: bool = True
) -> torch.Tensor:
    """``∂^k u / ∂x_{i1} … ∂x_{ik}`` for ``indices = (i1, …, ik)``; shape of ``u``.

    ``partial(u, x, 0)`` is ``u_x``, ``partial(u, x, 0, 0)`` is ``u_xx``, ``partial(u, x, 0, 1)``
    is ``u_xy`` (for space–time points ``(x, t)``: ``partial(u, x, 1)`` is ``u_t``).
    Each call runs its own backward passes: when several first derivatives are needed, take
    them from one ``g = gradient(u, x)`` (``u_x = g[:, 0]``, ``u_xx = partial(g[:, 0], x, 0)``).

    >>> x = requires_grad(torch.tensor([[2.0, 3.0]]))
    >>> u = x[:, 0] ** 3 * x[:, 1]
    >>> partial(u, x, 0).item(), partial(u, x, 0, 0).item(), partial(u, x, 0, 1).item()
    (36.0, 36.0, 12.0)
    """
    _check_u(u, x)
    if not indices:
        raise InputError("partial needs at least one coordinate index")
    d = x.shape[1]
    for i in indices:
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < d:
            raise InputError(f"coordinate index {i!r} out of range for {d}-D points")
    out = u
    for step, i in enumerate(indices):
        cg = create_graph or step < len(indices) - 1
        out = _per_component(out, lambda y, i=i, cg=cg: _grad(y, x, cg)[:, i])
    return out


def laplacian(
    u: torch.Tensor,
    x: torch.Tensor,
    dims: Sequence[int] | None = None,
    *,
    create_graph: bool = True,
) -> torch.Tensor:
    """``Δu = Σ_{i ∈ dims} ∂²u/∂x_i²``, shape of ``u``; ``dims`` defaults to all coordinates
    (pass the spatial ones, e.g. ``range(d - 1)``, for space–time points)."""
    _check_u(u, x)
    idx = _dims(dims, x.shape[1])

    def lap(y: torch.Tensor) -> torch.Tensor:
        g = _grad(y, x, True)
        return sum(_grad(g[:, i], x, create_graph)[:, i] for i in idx)

    return _per_component(u, lap)


def divergence(
    v: torch.Tensor,
    x: torch.Tensor,
    dims: Sequence[int] | None = None,
    *,
    create_graph: bool = True,
) -> torch.Tensor:
    """``∇·v = Σ_j ∂v_j/∂x_{dims[j]}``, ``(N,)``, for a vector field ``v`` ``(N, k)`` with
    ``k = len(dims)`` (``dims`` defaults to all ``d`` coordinates, so ``k = d``).

    >>> x = requires_grad(torch.tensor([[1.0, 2.0]]))
    >>> divergence(torch.stack([x[:, 0] ** 2, x[:, 0] * x[:, 1]], 1), x).item()
    3.0
    """
    _check_u(v, x, "vector field")
    idx = _dims(dims, x.shape[1])
    if v.dim() != 2 or v.shape[1] != len(idx):
        raise InputError(
            f"divergence needs a vector field with {len(idx)} components, got shape {tuple(v.shape)}"
        )
    return sum(_grad(v[:, j], x, create_graph)[:, i] for j, i in enumerate(idx))


def hessian(u: torch.Tensor, x: torch.Tensor, *, create_graph: bool = True) -> torch.Tensor:
    """``∂²u/∂x_i∂x_j``: ``(N, d, d)`` for ``u`` ``(N,)``, ``(N, m, d, d)`` for ``(N, m)``."""
    _check_u(u, x)
    d = x.shape[1]

    def hess(y: torch.Tensor) -> torch.Tensor:
        g = _grad(y, x, True)
        return torch.stack([_grad(g[:, i], x, create_graph) for i in range(d)], dim=1)

    return _per_component(u, hess)
