"""Autograd operators against closed-form derivatives (float64, 1e-10), shapes and double backward."""

from __future__ import annotations

import pytest
import torch

from dnnsolve.core.errors import InputError
from dnnsolve.pde.autograd import (
    divergence,
    gradient,
    hessian,
    jacobian,
    laplacian,
    partial,
    requires_grad,
)

TOL = 1e-10


def _points(n: int = 40, d: int = 3, seed: int = 0, dtype=torch.float64) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return requires_grad(torch.rand(n, d, generator=g, dtype=torch.float64).to(dtype) * 2 - 1)


def _close(a: torch.Tensor, b: torch.Tensor, tol: float = TOL) -> None:
    assert a.shape == b.shape, (a.shape, b.shape)
    assert float((a - b).detach().abs().max()) < tol


# --------------------------------------------------------------------- scalar field in 3-D


def _scalar(x):
    """u = sin(x) cos(2y) exp(z) and its exact derivatives."""
    X, Y, Z = x[:, 0].detach(), x[:, 1].detach(), x[:, 2].detach()
    s, c, s2, c2, e = torch.sin(X), torch.cos(X), torch.sin(2 * Y), torch.cos(2 * Y), torch.exp(Z)
    u = torch.sin(x[:, 0]) * torch.cos(2 * x[:, 1]) * torch.exp(x[:, 2])
    grad = torch.stack([c * c2 * e, -2 * s * s2 * e, s * c2 * e], dim=1)
    uxx, uyy, uzz = -s * c2 * e, -4 * s * c2 * e, s * c2 * e
    uxy, uxz, uyz = -2 * c * s2 * e, c * c2 * e, -2 * s * s2 * e
    hess = torch.stack(
        [
            torch.stack([uxx, uxy, uxz], 1),
            torch.stack([uxy, uyy, uyz], 1),
            torch.stack([uxz, uyz, uzz], 1),
        ],
        dim=1,
    )
    return u, grad, hess


def test_scalar_gradient_laplacian_hessian_partials() -> None:
    x = _points()
    u, grad, hess = _scalar(x)
    _close(gradient(u, x), grad)
    _close(laplacian(u, x), hess.diagonal(dim1=1, dim2=2).sum(-1))
    _close(laplacian(u, x), -4 * u.detach())
    _close(hessian(u, x), hess)
    _close(jacobian(u, x), grad[:, None, :])
    for i in range(3):
        _close(partial(u, x, i), grad[:, i])
        for j in range(3):
            _close(partial(u, x, i, j), hess[:, i, j])
    _close(partial(u, x, 2, 2, 2), u.detach())  # third derivative in z
    _close(partial(u, x, 0, 0, 1), -grad[:, 1])  # ∂y(u_xx) = ∂y(−u)
    _close(laplacian(u, x, dims=[0, 1]), -5 * u.detach())


# --------------------------------------------------------------------- vector field in 3-D


def _vector(x):
    """v = (x² y, y z, sin(x z)) and its exact derivatives."""
    X, Y, Z = x[:, 0].detach(), x[:, 1].detach(), x[:, 2].detach()
    v = torch.stack([x[:, 0] ** 2 * x[:, 1], x[:, 1] * x[:, 2], torch.sin(x[:, 0] * x[:, 2])], 1)
    cs, sn, zero = torch.cos(X * Z), torch.sin(X * Z), torch.zeros_like(X)
    jac = torch.stack(
        [
            torch.stack([2 * X * Y, X**2, zero], 1),
            torch.stack([zero, Z, Y], 1),
            torch.stack([Z * cs, zero, X * cs], 1),
        ],
        dim=1,
    )
    lap = torch.stack([2 * Y, zero, -(X**2 + Z**2) * sn], 1)
    h3 = torch.stack(
        [
            torch.stack([-(Z**2) * sn, zero, cs - X * Z * sn], 1),
            torch.stack([zero, zero, zero], 1),
            torch.stack([cs - X * Z * sn, zero, -(X**2) * sn], 1),
        ],
        dim=1,
    )
    return v, jac, lap, h3


def test_vector_field_jacobian_divergence_laplacian_hessian() -> None:
    x = _points(seed=1)
    v, jac, lap, h3 = _vector(x)
    _close(jacobian(v, x), jac)
    _close(gradient(v, x), jac)
    _close(divergence(v, x), jac.diagonal(dim1=1, dim2=2).sum(-1))
    _close(laplacian(v, x), lap)
    h = hessian(v, x)
    assert h.shape == (40, 3, 3, 3)
    _close(h[:, 2], h3)
    _close(h[:, 0, 0, 1], 2 * x[:, 0].detach())  # ∂x∂y (x² y)
    _close(partial(v, x, 0), jac[:, :, 0])
    # divergence over a subset of coordinates: ∂v0/∂x + ∂v1/∂z
    _close(divergence(v[:, :2], x, dims=[0, 2]), jac[:, 0, 0] + jac[:, 1, 2])


def test_space_time_dims() -> None:
    """Heat-type operators on (x, t) points: u = sin(πx) e^{−t}."""
    x = _points(d=2, seed=2)
    u = torch.sin(torch.pi * x[:, 0]) * torch.exp(-x[:, 1])
    ud = u.detach()
    _close(partial(u, x, 1), -ud)
    _close(laplacian(u, x, dims=[0]), -(torch.pi**2) * ud)
    _close(partial(u, x, 1) - laplacian(u, x, dims=range(1)), (torch.pi**2 - 1) * ud)


@pytest.mark.parametrize("m", [None, 1, 4])
def test_shapes(m) -> None:
    n, d = 7, 3
    x = _points(n, d)
    w = torch.randn(d, m or 1, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    u = torch.tanh(x @ w)
    if m is None:
        u = u[:, 0]
    lead = (n,) if m is None else (n, m)
    assert gradient(u, x).shape == (*lead, d)
    assert laplacian(u, x).shape == lead
    assert partial(u, x, 0, 1).shape == lead
    assert hessian(u, x).shape == (*lead, d, d)
    assert jacobian(u, x).shape == (n, m or 1, d)
    assert torch.allclose(hessian(u, x), hessian(u, x).transpose(-1, -2), atol=1e-12)


def test_second_order_is_differentiable_wrt_parameters() -> None:
    """create_graph: a loss of second derivatives backpropagates to the parameters exactly."""
    x = _points(n=30, d=2, seed=3)
    a = torch.tensor(1.7, dtype=torch.float64, requires_grad=True)
    u = a * torch.sin(x[:, 0]) * torch.cos(x[:, 1])  # Δu = −2u
    loss = (laplacian(u, x) ** 2).mean()
    loss.backward()
    sc2 = ((torch.sin(x[:, 0]) * torch.cos(x[:, 1])).detach() ** 2).mean()
    assert abs(float(a.grad) - 8 * 1.7 * float(sc2)) < 1e-12

    # a small MLP: the gradient of a PINN-style loss matches finite differences
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2)
    ).double()
    params = list(net.parameters())

    def loss_of(w1: torch.Tensor) -> torch.Tensor:
        h = torch.tanh(x @ w1.T + params[1])
        out = h @ params[2].T + params[3]
        r = laplacian(out[:, 0], x) + divergence(out, x) + hessian(out[:, 1], x)[:, 0, 1]
        return (r**2).mean()

    assert torch.autograd.gradcheck(loss_of, (params[0].detach().clone().requires_grad_(),))
    x.grad = None
    out = net(x)
    (laplacian(out, x) ** 2).sum().backward()
    # the output bias does not enter a Laplacian: no gradient for it, finite ones for the rest
    assert params[3].grad is None
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in params[:3])


def test_create_graph_false_gives_values() -> None:
    x = _points(seed=4)
    u, grad, hess = _scalar(x)
    g = gradient(u, x, create_graph=False)
    assert not g.requires_grad
    _close(g, grad)
    _close(hessian(u, x, create_graph=False), hess)
    _close(laplacian(u, x, create_graph=False), -4 * u.detach())
    _close(partial(u, x, 0, 1, create_graph=False), hess[:, 0, 1])


def test_unused_inputs_give_zeros() -> None:
    x = _points(n=5, d=3)
    u = torch.stack([x[:, 0] ** 2, torch.ones(5, dtype=torch.float64)], 1)  # column 1 constant
    g = gradient(u, x).detach()
    assert float(g[:, 1].abs().max()) == 0
    _close(laplacian(u, x), torch.stack([torch.full((5,), 2.0), torch.zeros(5)], 1).double())
    assert float(laplacian(torch.ones(5, dtype=torch.float64), x).detach().abs().max()) == 0
    assert float(hessian(x[:, 1] * 3, x).detach().abs().max()) == 0  # linear: zero Hessian


def test_float32() -> None:
    x = _points(seed=5, dtype=torch.float32)
    u, grad, hess = _scalar(x)
    _close(gradient(u, x), grad.float(), 1e-5)
    assert gradient(u, x).dtype == torch.float32
    _close(laplacian(u, x), -4 * u.detach(), 1e-4)
    _close(hessian(u, x), hess, 1e-4)


def test_requires_grad_helper() -> None:
    base = torch.zeros(3, 2)
    y = base * 2
    x = requires_grad(y)
    assert x.is_leaf and x.requires_grad and not base.requires_grad
    x.data.add_(1)
    assert float(y.abs().max()) == 0  # a copy, not a view
    with pytest.raises(InputError):
        requires_grad(torch.zeros(3, dtype=torch.long))


def test_bad_arguments() -> None:
    x = _points(n=4, d=2)
    u = x.sum(1)
    with pytest.raises(InputError, match="require grad"):
        gradient(u, x.detach())
    with pytest.raises(InputError):
        gradient(u[:3], x)
    with pytest.raises(InputError):
        laplacian(torch.zeros(4, 2, 2, dtype=torch.float64), x)
    with pytest.raises(InputError):
        partial(u, x, 2)
    with pytest.raises(InputError):
        partial(u, x)
    with pytest.raises(InputError):
        divergence(torch.stack([u, u, u], 1), x)
    with pytest.raises(InputError):
        laplacian(u, x, dims=[5])
    with pytest.raises(InputError):
        gradient(u, x[0])
