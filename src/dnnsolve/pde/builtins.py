"""Built-in PDE problems, each with its reference solution (no data file needed).

Add a problem by writing a builder returning a :class:`~dnnsolve.pde.problem.PDE` and listing it
in :data:`PDE_PROBLEMS`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ..core.errors import InputError
from . import references as ref
from .geometry import Box, Interval, TimeDomain
from .problem import PDE, Dirichlet, Initial

__all__ = ["PDE_PROBLEMS", "builtin"]


def _poisson2d() -> PDE:
    def residual(x, u, d):
        return -d.laplacian() - ref.poisson2d_forcing(x)

    def energy(x, u, d):
        return 0.5 * d.grad().square().sum(1) - ref.poisson2d_forcing(x) * u[:, 0]

    return PDE(
        "poisson2d",
        Box([0.0, 0.0], [1.0, 1.0]),
        residual=residual,
        energy=energy,
        conditions=[Dirichlet("boundary", weight=1.0, value=0.0)],
        reference=lambda pts: ref.poisson2d_solution(pts),
        grid=101,
        description="−Δu = 2π² sin(πx) sin(πy) on [0,1]², u = 0 on the boundary",
    )


def _heat() -> PDE:
    alpha = 0.4

    def residual(x, u, d):
        return d(1) - alpha * d(0, 0)

    return PDE(
        "heat",
        TimeDomain(Interval(0.0, 1.0), 0.0, 1.0),
        residual=residual,
        conditions=[
            Dirichlet("boundary", value=0.0),
            Initial("initial", value=lambda x: torch.sin(math.pi * x[:, 0])),
        ],
        reference=lambda pts: ref.heat_solution(pts, alpha),
        grid=(101, 101),
        description="u_t = 0.4 u_xx on [0,1]×[0,1], u(0,x) = sin(πx), u = 0 at x = 0, 1",
    )


def _burgers() -> PDE:
    nu = ref.BURGERS_NU

    def residual(x, u, d):
        g = d.grad()
        return g[:, 1] + u[:, 0] * g[:, 0] - nu * d(0, 0)

    return PDE(
        "burgers",
        TimeDomain(Interval(-1.0, 1.0), 0.0, 1.0),
        residual=residual,
        conditions=[
            Dirichlet("boundary", value=0.0),
            Initial("initial", value=lambda x: -torch.sin(math.pi * x[:, 0])),
        ],
        reference=lambda pts: ref.burgers_cole_hopf(pts[:, 0], pts[:, 1]),
        grid=(256, 100),
        description="u_t + u u_x = (0.01/π) u_xx on [−1,1]×[0,1], u(0,x) = −sin(πx) (Raissi)",
    )


def _helmholtz() -> PDE:
    def residual(x, u, d):
        return d.laplacian() + u[:, 0] - ref.helmholtz_forcing(x)

    return PDE(
        "helmholtz",
        Box([-1.0, -1.0], [1.0, 1.0]),
        residual=residual,
        conditions=[Dirichlet("boundary", value=0.0)],
        reference=lambda pts: ref.helmholtz_solution(pts),
        grid=201,
        description="Δu + u = q on [−1,1]², u = sin(πx) sin(4πy) (Wang, Teng & Perdikaris)",
    )


#: built-in problems: name → builder of the :class:`PDE`
PDE_PROBLEMS: dict[str, Callable[[], PDE]] = {
    "poisson2d": _poisson2d,
    "heat": _heat,
    "burgers": _burgers,
    "helmholtz": _helmholtz,
}


def builtin(name: str) -> PDE:
    """The built-in problem ``name`` (a key of :data:`PDE_PROBLEMS`)."""
    if name not in PDE_PROBLEMS:
        raise InputError(f"unknown PDE problem {name!r}; choose from {', '.join(PDE_PROBLEMS)}")
    return PDE_PROBLEMS[name]()
