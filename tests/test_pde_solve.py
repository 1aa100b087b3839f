"""PINN / Deep Ritz training on the core solver: small problems solved on CPU to a stated error.

Errors are recomputed here from the returned field against the analytic solutions, in NumPy;
the thresholds are measured figures with a margin.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dnnsolve.core.errors import InputError
from dnnsolve.pde import (
    PDE,
    Dirichlet,
    Interval,
    Neumann,
    Periodic,
    builtin,
    solve_pde,
)

SMALL = {"hidden": 20, "layers": 3}


def _rel(values, exact) -> float:
    return float(np.linalg.norm(values.ravel() - exact.ravel()) / np.linalg.norm(exact.ravel()))


def test_heat_pinn_adam_then_lbfgs():
    out = solve_pde("heat", adam_steps=500, lbfgs_steps=200, interior=500, boundary=100,
                    options=SMALL, seed=0)  # fmt: skip
    x, t = out.points[:, 0], out.points[:, 1]
    exact = np.exp(-0.4 * math.pi**2 * t) * np.sin(math.pi * x)
    err = _rel(out.values, exact)
    assert err < 2e-2  # measured 6.3e-3
    assert out.relative_l2 == pytest.approx(err, rel=1e-9)
    assert out.result.extra["quasi_newton"]["iterations"] > 0
    assert out.grid_shape == (101, 101)


def test_lbfgs_improves_on_adam_alone():
    kw = dict(adam_steps=300, interior=400, boundary=80, options=SMALL, seed=1)
    adam = solve_pde("poisson2d", lbfgs_steps=0, **kw)
    both = solve_pde("poisson2d", lbfgs_steps=300, **kw)
    assert both.relative_l2 < 0.5 * adam.relative_l2


def test_returned_state_has_the_smallest_validation_loss():
    out = solve_pde("heat", adam_steps=300, lbfgs_steps=0, interior=300, boundary=60,
                    options=SMALL, eval_every=50, seed=0)  # fmt: skip
    vals = [h["batch_objective"] for h in out.result.history]
    assert out.result.objective == pytest.approx(min(vals), rel=1e-6)


def test_deep_ritz_poisson():
    out = solve_pde("poisson2d", method="deep-ritz", adam_steps=1000, lbfgs_steps=0, lr=3e-3,
                    interior=500, boundary=200, resample_every=1, options=SMALL, seed=0)  # fmt: skip
    x, y = out.points[:, 0], out.points[:, 1]
    assert _rel(out.values, np.sin(math.pi * x) * np.sin(math.pi * y)) < 0.08  # measured 0.041
    assert out.result.objective < 0  # the Ritz energy of the solution is negative


def test_batched_restarts_return_the_best_seed():
    out = solve_pde("heat", adam_steps=200, lbfgs_steps=0, interior=300, boundary=60,
                    options=SMALL, restarts=3, seed=0)  # fmt: skip
    assert out.result.restarts == 3
    assert np.isfinite(out.values).all()


def test_hard_constraint_holds_exactly_and_neumann_condition():
    # −u'' = π² sin(πx) on [0, 1] ... with u(0) = 0 exactly by a trial solution u = x·N(x)
    # and the Neumann condition u'(1) = −π as a loss term: u = sin(πx)
    def residual(x, u, d):
        return -d(0, 0) - math.pi**2 * torch.sin(math.pi * x[:, 0])

    pde = PDE(
        "poisson1d",
        Interval(0.0, 1.0),
        residual=residual,
        conditions=[
            Dirichlet("left", value=0.0, where=lambda x: x[:, 0] < 0.5),
            Neumann("right", value=-math.pi, where=lambda x: x[:, 0] > 0.5),
        ],
        hard=lambda x, n: x[:, :1] * n,
        hard_conditions=("left",),
        reference=lambda pts: np.sin(math.pi * pts[:, 0]),
        grid=101,
    )
    out = solve_pde(pde, adam_steps=500, lbfgs_steps=200, interior=200, boundary=20,
                    options=SMALL, dtype="float64", seed=0)  # fmt: skip
    assert out.points[0, 0] == 0.0 and out.values[0, 0] == 0.0  # exactly, by construction
    assert out.relative_l2 < 1e-2
    assert "left" not in out.result.hparams  # a hard condition is not in the loss


def test_periodic_condition_pairs_faces():
    # u'' = −π² cos(πx) ... on [−1, 1], periodic, mean fixed by u(0) = 1: u = cos(πx)
    from dnnsolve.pde import Box

    def residual(x, u, d):
        return d(0, 0) + math.pi**2 * torch.cos(math.pi * x[:, 0])

    pde = PDE(
        "periodic1d",
        Box([-1.0], [1.0]),
        residual=residual,
        conditions=[Periodic("periodic", axis=0, points=1)],
        reference=lambda pts: np.cos(math.pi * pts[:, 0]),
        grid=101,
        hard=lambda x, n: 1.0 + x[:, :1] * n - 0.0 * n,  # u(0) = 1 exactly
    )
    out = solve_pde(pde, adam_steps=400, lbfgs_steps=200, interior=200, boundary=1,
                    options=SMALL, dtype="float64", seed=0)  # fmt: skip
    assert abs(out.values[0, 0] - out.values[-1, 0]) < 1e-2
    assert out.relative_l2 < 5e-2


def test_bad_specifications_are_one_line_errors():
    with pytest.raises(InputError, match="unknown PDE problem"):
        builtin("navier-stokes-3d")
    with pytest.raises(InputError, match="method"):
        solve_pde("heat", method="galerkin")
    with pytest.raises(InputError, match="energy"):
        solve_pde("heat", method="deep-ritz")
    with pytest.raises(InputError, match="loss weight"):
        solve_pde("heat", weights={"bogus": 1.0}, adam_steps=1, lbfgs_steps=0)
    with pytest.raises(InputError, match="dtype"):
        solve_pde("heat", dtype="float16")


def test_nan_during_adam_restores_the_last_good_state():
    calls = {"n": 0}

    def residual(x, u, d):
        calls["n"] += 1
        r = -d(0, 0) - math.pi**2 * torch.sin(math.pi * x[:, 0])
        return r * float("nan") if calls["n"] == 50 else r

    pde = PDE(
        "nan-once",
        Interval(0.0, 1.0),
        residual=residual,
        conditions=[Dirichlet("boundary", value=0.0)],
        reference=lambda pts: np.sin(math.pi * pts[:, 0]),
    )
    out = solve_pde(pde, adam_steps=300, lbfgs_steps=100, interior=100, boundary=10,
                    options=SMALL, eval_every=1000, seed=0)  # fmt: skip
    assert out.result.extra["backtracks"] == 1
    assert out.result.extra["nan_resets"] == 0
    assert out.relative_l2 < 5e-2
