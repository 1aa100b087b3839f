"""Exact boundary and initial conditions by construction (hard constraints).

A network whose output is ``u = c + φ(x)·N(x)`` (steady) or
``u = u₀(x) + (t − t₀)·φ(x)·N(x, t)`` (time-dependent), with ``c`` constant Dirichlet data and
``φ`` the domain's smooth boundary distance (zero exactly on the boundary), satisfies the
boundary and initial conditions for every parameter value: the loss keeps the residual alone, so the optimizer does not trade the equation against
penalty terms.  At the accuracies quasi-Newton training reaches, that trade is what limits a
penalty formulation (Urbán, Stefanou & Pons 2024 impose Burgers' conditions this way too).

:func:`exact_conditions` builds that variant when a problem has the structure, else returns
``None`` (other data are left to the loss).

>>> from dnnsolve.pde import builtin
>>> hard = exact_conditions(builtin("heat"))
>>> hard.name, hard.hard_conditions
('heat-exact', ('boundary', 'initial'))
>>> x = torch.tensor([[0.0, 0.3], [1.0, 0.7], [0.25, 0.0]], dtype=torch.float64)
>>> u = hard.hard(x, torch.ones(3, 1, dtype=torch.float64))  # any network output
>>> [round(float(v), 12) for v in u[:, 0]]  # u = 0 at x = 0, 1; u = sin(π/4) at t = 0
[0.0, 0.0, 0.707106781187]
"""

from __future__ import annotations

import dataclasses

import torch

from .geometry import TimeDomain
from .problem import PDE, Dirichlet, Initial, field_value

__all__ = ["exact_conditions"]


def _constant_dirichlet(c: object) -> bool:
    return isinstance(c, Dirichlet) and c.where is None and not callable(c.value)


def exact_conditions(pde: PDE, check_points: int = 256) -> PDE | None:
    """``pde`` with its conditions built into the output, or ``None`` when they are not all
    of the forms handled: constant Dirichlet data on the whole boundary, and on a time domain
    one initial condition that agrees with them at ``t₀`` (checked at ``check_points`` boundary
    points).

    Conditions already hard, periodic, Neumann or Robin conditions, Dirichlet data on part of
    the boundary, or Dirichlet data given as a function give ``None``: the caller keeps the
    loss formulation.  (A function could lift itself into the interior, ``u = g(x) + φ·N``, but
    only its boundary values are data: a benchmark whose data function is the solution would
    be handed its answer.)"""
    if pde.hard is not None or not pde.conditions:
        return None
    dirichlet = [c for c in pde.conditions if _constant_dirichlet(c)]
    initial = [c for c in pde.conditions if isinstance(c, Initial)]
    if len(dirichlet) + len(initial) != len(pde.conditions) or len(dirichlet) != 1:
        return None
    labels = tuple(c.label for c in pde.conditions)
    dom, m, g = pde.domain, pde.outputs, dirichlet[0].value
    if isinstance(dom, TimeDomain):
        if len(initial) != 1:
            return None
        u0 = initial[0].value
        space, t0 = dom.space, float(dom.t0)
        gen = torch.Generator().manual_seed(0)
        edge = space.sample_boundary(check_points, "uniform", gen, dtype=torch.float64)[0]
        edge_t = torch.cat([edge, torch.full((len(edge), 1), t0, dtype=torch.float64)], 1)
        gap = field_value(u0, edge_t, m) - field_value(g, edge_t, m)
        scale = 1.0 + field_value(u0, edge_t, m).abs().max()
        if bool((gap.abs() > 1e-9 * scale).any()):
            return None  # the initial data do not meet the boundary data

        def hard(x: torch.Tensor, n: torch.Tensor) -> torch.Tensor:
            xs, t = x[:, :-1], x[:, -1:]
            return field_value(u0, x, m) + (t - t0) * space.boundary_distance(xs)[:, None] * n

    elif initial:
        return None
    else:

        def hard(x: torch.Tensor, n: torch.Tensor) -> torch.Tensor:
            return field_value(g, x, m) + dom.boundary_distance(x)[:, None] * n

    return dataclasses.replace(pde, name=f"{pde.name}-exact", hard=hard, hard_conditions=labels)
