"""Built-in PDE problems: references satisfy their equations, every problem trains a few steps.

Analytic references are checked with autograd (residual and every condition at sampled points);
Burgers' Cole–Hopf values by centred finite differences; the numerical references (Allen–Cahn
ETDRK4, L-shape finite differences) against the classical solver at another resolution.
Figures measured when written (OMP_NUM_THREADS=1, 2-core CPU): Burgers FD residual / term scale
≤ 3.4e-5 (h = 1e-4); Allen–Cahn 512 vs 256 modes 1.4e-4; L-shape FD n = 640 vs 320 2.3e-4.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dnnsolve.core.errors import InputError
from dnnsolve.pde import PDE, PDE_PROBLEMS, Derivatives, Periodic, builtin, solve_pde
from dnnsolve.pde import classical as C
from dnnsolve.pde import references as R
from dnnsolve.pde.builtins import allen_cahn, poisson2d, poisson_lshape, poisson_nd

ANALYTIC = ["poisson2d", "poisson2d-hf", "heat", "helmholtz",
            "poisson-nd"]  # fmt: skip
SMALL = {"hidden": 16, "layers": 2}


def _rel(a, b) -> float:
    a, b = np.asarray(a, float).ravel(), np.asarray(b, float).ravel()
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def _exact(pde: PDE, x: torch.Tensor) -> torch.Tensor:
    """The analytic reference as a differentiable torch function, ``(N, 1)``."""
    return torch.as_tensor(pde.reference(x)).reshape(-1, 1)


@pytest.mark.parametrize("name", ANALYTIC)
def test_analytic_reference_satisfies_residual_and_conditions(name):
    pde = builtin(name)
    gen = torch.Generator().manual_seed(0)
    x = pde.domain.sample_interior(256, "sobol", gen, dtype=torch.float64).requires_grad_(True)
    u = _exact(pde, x)
    r = pde.residual(x, u, Derivatives(u, x))
    scale = float(torch.as_tensor(pde.reference(x.detach())).abs().max()) * 40 * math.pi**2
    assert float(r.detach().abs().max()) < 1e-9 * scale, name
    for cond in pde.conditions:
        data = cond.sample(pde, 128, "sobol", gen, torch.float64)
        xc = data.pop("x").requires_grad_(True)
        uc = _exact(pde, xc)
        err = cond.error(xc, uc, Derivatives(uc, xc), data, 1)
        assert float(err.detach().abs().max()) < 1e-12, (name, cond.label)


@pytest.mark.parametrize("name", ["poisson2d", "poisson2d-hf",
                                  "poisson-nd"])  # fmt: skip
def test_energy_is_stationary_at_the_solution(name):
    """Deep Ritz: d/dε E[u + εv] = ∫ ∇u·∇v − f v = 0 for v vanishing on the boundary (up to
    the quasi-Monte Carlo quadrature error), and the second variation ∫ |∇v|² is positive."""
    pde = builtin(name)
    gen = torch.Generator().manual_seed(1)
    x = pde.domain.sample_interior(1 << 14, "sobol", gen, dtype=torch.float64)
    x.requires_grad_(True)
    v = pde.domain.boundary_distance(x)[:, None] * torch.cos(x[:, :1] * 3.0)

    def energy(eps: float) -> float:
        u = _exact(pde, x) + eps * v
        return float(pde.energy(x, u, Derivatives(u, x)).mean().detach())

    e0, up, down = energy(0.0), energy(1e-3), energy(-1e-3)
    slope, curvature = (up - down) / 2e-3, (up + down - 2 * e0) / 1e-6
    assert abs(slope) < 2e-2 * curvature, (name, slope, curvature)  # quadrature error only
    assert curvature > 0


def test_burgers_cole_hopf_satisfies_the_pde_by_finite_differences():
    pde = builtin("burgers")
    rng = np.random.default_rng(0)
    x, t = rng.uniform(-0.9, 0.9, 200), rng.uniform(0.05, 0.95, 200)

    def u(a, b):
        return pde.reference(np.stack([a, b], 1))

    h = 1e-4
    ut = (u(x, t + h) - u(x, t - h)) / (2 * h)
    ux = (u(x + h, t) - u(x - h, t)) / (2 * h)
    uxx = (u(x + h, t) - 2 * u(x, t) + u(x - h, t)) / h**2
    res = ut + u(x, t) * ux - R.BURGERS_NU * uxx
    scale = np.abs(ut) + np.abs(u(x, t) * ux) + R.BURGERS_NU * np.abs(uxx)
    assert np.max(np.abs(res) / scale) < 2e-4  # measured 3.4e-5
    edge = pde.reference(np.array([[-1.0, 0.5], [1.0, 0.5], [0.5, 0.0]]))
    assert np.allclose(edge, [0.0, 0.0, -1.0], atol=1e-12)


def test_allen_cahn_reference_matches_etdrk4_at_another_resolution():
    pde = builtin("allen-cahn")
    g = pde.domain.grid(pde.grid, dtype=torch.float64)
    assert g.shape == (513, 201)
    vals = pde.reference(g.points.numpy()).reshape(g.shape)
    x, t = (a.numpy() for a in g.axes)
    coarse, _ = C.allen_cahn_etdrk4(n=256, x_eval=x[:-1], t_eval=t)
    assert _rel(vals[:-1], coarse.grid_values()) < 5e-4  # measured 1.4e-4
    assert np.array_equal(vals[-1], vals[0])  # x = 1 is the periodic image of x = −1
    assert np.allclose(vals[:, 0], x**2 * np.cos(math.pi * x), atol=1e-12)
    raissi = C.allen_cahn_reference()  # Raissi's 512 × 201 grid (AC.mat to 7e-12)
    assert _rel(vals[:-1], raissi.grid_values()) < 1e-10


def test_lshape_reference_matches_fd_at_another_resolution():
    pde = builtin("poisson-lshape")
    pts = pde.domain.grid(pde.grid, dtype=torch.float64).points.numpy()
    vals = pde.reference(pts)
    assert np.isfinite(vals).all() and len(pts) == 161**2 - 80**2  # the removed quadrant's interior
    fd = {n: C.fd_poisson_lshape(n=n, eval_points=pts)[0].values for n in (160, 320)}
    assert _rel(vals, fd[320]) < 1e-3  # measured 3.8e-4
    # the FD error falls like h^(4/3) (the differences shrink by 2^(4/3) per halving), so the
    # same extrapolation from the grids 160 and 320 lands within 1.4e-5 of the reference
    k = 2 ** (4 / 3)
    step_640 = np.linalg.norm(fd[320] - vals) * (k - 1) / k  # |fd[640] − fd[320]|
    ratio = np.linalg.norm(fd[160] - fd[320]) / step_640
    assert 2.3 < ratio < 2.8  # measured 2.54
    coarser = fd[320] + (fd[320] - fd[160]) / (k - 1)
    assert _rel(coarser, vals) < 5e-5
    on_boundary = pde.domain.on_boundary(torch.from_numpy(pts)).numpy()
    assert np.abs(vals[on_boundary]).max() < 1e-12
    assert 0.14 < vals.max() < 0.16
    with pytest.raises(InputError):
        pde.reference(np.zeros((3, 3)))


# ---------------------------------------------------------------- every built-in trains


@pytest.mark.parametrize("name", list(PDE_PROBLEMS))
def test_every_builtin_runs_through_solve_pde(name):
    pde = builtin(name)
    assert pde.description and pde.reference is not None and pde.name == name
    out = solve_pde(name, adam_steps=20, lbfgs_steps=5, interior=128, boundary=32,
                    validation=128, options=SMALL, seed=0)  # fmt: skip
    assert np.isfinite(out.values).all() and out.values.shape[1] == 1
    assert out.relative_l2 is not None and np.isfinite(out.relative_l2)
    exact = np.asarray(pde.reference(out.points), float)
    assert out.relative_l2 == pytest.approx(_rel(out.values, exact), rel=1e-9)
    if pde.energy is not None:
        ritz = solve_pde(name, method="deep-ritz", adam_steps=20, lbfgs_steps=0, interior=128,
                         boundary=32, validation=128, options=SMALL, seed=0)  # fmt: skip
        assert np.isfinite(ritz.values).all()


def test_heat_and_poisson2d_errors_recomputed_in_numpy():
    heat = solve_pde("heat", adam_steps=300, lbfgs_steps=100, interior=400, boundary=80,
                     options={"hidden": 20, "layers": 3}, seed=0)  # fmt: skip
    x, t = heat.points[:, 0], heat.points[:, 1]
    err = _rel(heat.values, np.exp(-0.4 * math.pi**2 * t) * np.sin(math.pi * x))
    assert heat.relative_l2 == pytest.approx(err, rel=1e-9) and err < 6e-2  # measured 2.8e-2
    pois = solve_pde("poisson2d", adam_steps=300, lbfgs_steps=500, interior=400, boundary=100,
                     options={"hidden": 20, "layers": 3}, seed=0)  # fmt: skip
    x, y = pois.points[:, 0], pois.points[:, 1]
    err = _rel(pois.values, np.sin(math.pi * x) * np.sin(math.pi * y))
    assert pois.relative_l2 == pytest.approx(err, rel=1e-9) and err < 3e-2  # measured 8.6e-3


def test_allen_cahn_short_run_error_on_raissis_grid():
    out = solve_pde("allen-cahn", adam_steps=100, lbfgs_steps=20, interior=500, boundary=64,
                    validation=256, options=SMALL, seed=0)  # fmt: skip
    assert out.grid_shape == (513, 201)
    vals = out.values.reshape(out.grid_shape)[:-1]  # drop x = 1: Raissi's 512 × 201 grid
    err = _rel(vals, C.allen_cahn_reference().grid_values())
    assert np.isfinite(err) and 0 < err < 1.5  # a short run: far from the solution
    assert out.relative_l2 == pytest.approx(
        _rel(out.values, allen_cahn().reference(out.points)), rel=1e-9
    )


# ---------------------------------------------------------------- variants and bad input


def test_hard_variants_hold_exactly():
    ac = allen_cahn(hard_initial=True, periodic_network=True)
    assert ac.hard_conditions == ("initial", "periodic") and ac.name != "allen-cahn"
    opts = {"periodic": {0: (2.0, 4)}, "features": 0, **SMALL}
    out = solve_pde(ac, net="fourier", options=opts, adam_steps=10, lbfgs_steps=0,
                    interior=128, boundary=32, validation=64, dtype="float64")  # fmt: skip
    v = out.values.reshape(out.grid_shape)
    x = out.points.reshape(*out.grid_shape, 2)[:, 0, 0]
    assert np.abs(v[:, 0] - x**2 * np.cos(math.pi * x)).max() < 1e-14  # t = 0
    assert np.abs(v[0] - v[-1]).max() < 1e-12  # x = −1 and x = 1
    assert "periodic" not in out.result.hparams and "initial" not in out.result.hparams
    L = poisson_lshape(hard=True)
    out = solve_pde(L, adam_steps=10, lbfgs_steps=0, interior=128, boundary=32, validation=64,
                    options=SMALL, dtype="float64")  # fmt: skip
    on = L.domain.on_boundary(torch.from_numpy(out.points)).numpy()
    # φ ~ r^(2/3) at the re-entrant corner, and the grid's corner point lies 8e-17 off it
    # (linspace rounding), where φ is 2e-11: exact elsewhere
    r = np.linalg.norm(out.points, axis=1)
    assert on.sum() > 100 and np.abs(out.values[on & (r > 1e-12)]).max() < 1e-12
    assert np.abs(out.values[on]).max() < 1e-9
    assert any(isinstance(c, Periodic) for c in allen_cahn().conditions)


def test_builders_and_bad_input():
    assert poisson2d((4, 4)).name == "poisson2d-hf" and poisson2d((2, 3)).name == "poisson2d-2x3"
    with pytest.raises(InputError, match="unknown PDE problem"):
        builtin("poisson-3d")
    with pytest.raises(InputError):
        poisson_nd(d=0)
    with pytest.raises(InputError):
        poisson_nd(domain="torus")
    with pytest.raises(InputError):
        poisson_nd(kind="cosine")
    p = poisson_nd(d=5, domain="ball", n_eval=64)
    assert p.name == "poisson-nd5-ball" and p.eval_points.shape == (64, 5)
    assert p.domain.dim == 5 and p.energy is not None


def test_poisson_nd_is_evaluated_at_sobol_points():
    out = solve_pde(poisson_nd(d=6, n_eval=256), method="deep-ritz", adam_steps=30,
                    lbfgs_steps=0, interior=256, boundary=128, validation=128, options=SMALL,
                    resample_every=1)  # fmt: skip
    assert out.points.shape == (256, 6) and out.grid_shape is None
    ref = R.poisson_nd_reference(d=6, n=256)
    assert np.allclose(out.points, ref.points, atol=1e-6)
    assert out.relative_l2 == pytest.approx(_rel(out.values, ref.values), rel=1e-5)
