"""Dense quasi-Newton methods: the line search's Wolfe conditions, convergence on known
minima, restarts kept independent, and the solver's second phase."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dnnsolve.core.quasi_newton import QN_METHODS, DenseQuasiNewton, wolfe_search
from dnnsolve.core.solver import SolverConfig


def rosenbrock(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Rosenbrock per row and its gradient, written out by hand (independent of autograd)."""
    a, b = x[:, :-1], x[:, 1:]
    f = (100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2).sum(1)
    g = torch.zeros_like(x)
    g[:, :-1] += -400.0 * a * (b - a * a) - 2.0 * (1.0 - a)
    g[:, 1:] += 200.0 * (b - a * a)
    return f, g


@pytest.mark.parametrize("method", QN_METHODS)
def test_every_method_finds_the_rosenbrock_minimum_from_three_starts(method):
    x = torch.tensor([[-1.2, 1.0] * 3, [0.5, -0.3] * 3, [2.0, 2.0] * 3], dtype=torch.float64)
    qn = DenseQuasiNewton(method, n=6, restarts=3)
    f, g = rosenbrock(x)
    for _ in range(400):
        x, f, g = qn.step(rosenbrock, x, f, g)
        if float(f.max()) < 1e-18:
            break
    assert float(f.max()) < 1e-14
    np.testing.assert_allclose(x.numpy(), np.ones((3, 6)), atol=1e-6)
    # the matrices stay symmetric positive definite
    for H in qn.H:
        assert torch.allclose(H, H.T)
        assert float(torch.linalg.eigvalsh(H).min()) > 0


def test_bfgs_is_exact_on_a_quadratic_in_n_steps():
    # with exact line searches BFGS ends on a strictly convex quadratic in n iterations; the
    # Wolfe search on a quadratic returns the exact step after one interpolation at most
    gen = torch.Generator().manual_seed(0)
    M = torch.randn(5, 5, generator=gen, dtype=torch.float64)
    A = M @ M.T + 5.0 * torch.eye(5, dtype=torch.float64)
    x_star = torch.randn(1, 5, generator=gen, dtype=torch.float64)

    def quad(x):
        d = x - x_star
        return 0.5 * ((d @ A) * d).sum(1), d @ A

    qn = DenseQuasiNewton("bfgs", n=5, restarts=1, c2=1e-3)
    x = torch.zeros(1, 5, dtype=torch.float64)
    f, g = quad(x)
    for _ in range(8):
        x, f, g = qn.step(quad, x, f, g)
    assert float((x - x_star).abs().max()) < 1e-8


def test_wolfe_search_returns_steps_meeting_both_conditions():
    x = torch.tensor([[-1.2, 1.0], [3.0, -2.0], [0.0, 0.0]], dtype=torch.float64)
    f0, g0 = rosenbrock(x)
    p = -g0 / g0.norm(dim=1, keepdim=True)  # unit steepest-descent directions
    c1, c2 = 1e-4, 0.9
    a, f, g, _ = wolfe_search(rosenbrock, x, p, f0, g0, torch.ones(3, dtype=torch.float64),
                              c1=c1, c2=c2)  # fmt: skip
    fa, ga = rosenbrock(x + a[:, None] * p)
    d0, da = (g0 * p).sum(1), (ga * p).sum(1)
    assert bool((a > 0).all())
    assert torch.allclose(f, fa) and torch.allclose(g, ga)
    assert bool((fa <= f0 + c1 * a * d0).all())
    assert bool((da.abs() <= -c2 * d0).all())


def test_restarts_do_not_interact():
    # a restart alone follows the same path as in a batch with a restart that diverges to NaN
    def fg(x):
        f, g = rosenbrock(x)
        bad = x[:, 0] > 10.0  # restart 1 starts where the "loss" is NaN
        return torch.where(bad, torch.nan, f), torch.where(bad[:, None], torch.nan, g)

    both = torch.tensor([[-1.2, 1.0], [11.0, 0.0]], dtype=torch.float64)
    alone = both[:1].clone()
    qb, qa = DenseQuasiNewton("ssbroyden", 2, 2), DenseQuasiNewton("ssbroyden", 2, 1)
    fb, gb = fg(both)
    fa, ga = fg(alone)
    for _ in range(30):
        both, fb, gb = qb.step(fg, both, fb, gb)
        alone, fa, ga = qa.step(fg, alone, fa, ga)
    assert torch.equal(both[0], alone[0])
    assert torch.equal(both[1], torch.tensor([11.0, 0.0], dtype=torch.float64))  # never moved
    assert int(qb.failures[1]) == 30 and int(qb.failures[0]) == 0


def test_config_refuses_unknown_methods():
    with pytest.raises(ValueError, match="quasi_newton"):
        SolverConfig(quasi_newton="newton")
    with pytest.raises(ValueError, match="qn_refresh"):
        SolverConfig(qn_refresh=-1)


def test_dense_phase_beats_lbfgs_on_a_small_pde():
    """The solver's dense phase, end to end: same Adam warm-up, same iteration count, the
    heat equation with exact conditions; the error is checked against the analytic solution."""
    from dnnsolve.pde import solve_pde

    common = dict(adam_steps=300, lbfgs_steps=300, interior=400, validation=400, seed=0,
                  options={"hidden": 10, "layers": 2}, time_limit=math.inf)  # fmt: skip
    dense = solve_pde("heat", quasi_newton="ssbroyden", qn_refresh=50, **common)
    lbfgs = solve_pde("heat", quasi_newton="lbfgs", **common)
    info = dense.result.extra["quasi_newton"]
    assert info["method"] == "ssbroyden" and info["iterations"] == 300
    exact = np.exp(-0.4 * math.pi**2 * dense.points[:, 1]) * np.sin(math.pi * dense.points[:, 0])
    err = np.linalg.norm(dense.values[:, 0] - exact) / np.linalg.norm(exact)
    assert math.isclose(err, dense.relative_l2, rel_tol=1e-9)
    assert dense.relative_l2 < 1e-3
    assert dense.relative_l2 < 0.5 * lbfgs.relative_l2
