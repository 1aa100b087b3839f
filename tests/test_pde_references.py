"""Reference solutions of the PDE problems, data loaders and the classical solvers.

Figures measured when these tests were written (OMP_NUM_THREADS=1, 2-core CPU):
Cole–Hopf vs burgers_shock.mat 2.9e-12; ETDRK4 (512 modes, dt 1e-3) vs AC.mat 6.5e-12;
Burgers method of lines vs Cole–Hopf 4.1e-4 (n = 1020), 1.0e-4 (n = 2040); FD Poisson error ratio
4.00 per halving of h; FD L-shape (n = 320) vs Poisson_Lshape.npz 0.102 (the file is ~10 % low).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from dnnsolve.core.errors import InputError
from dnnsolve.pde import classical as C
from dnnsolve.pde import references as R

DATA = (
    R.default_pde_data_dir() or Path(__file__).resolve().parents[2] / "shared" / "datasets" / "pde"
)
BURGERS_MAT = DATA / "raissi_PINNs" / "burgers_shock.mat"
AC_MAT = DATA / "raissi_PINNs" / "AC.mat"
LSHAPE_NPZ = DATA / "deepxde_examples" / "Poisson_Lshape.npz"


def _needs(path: Path):
    return pytest.mark.skipif(not path.is_file(), reason=f"dataset {path.name} absent")


# --------------------------------------------------------------------------- container, metric


def test_reference_container_and_grid_layout():
    ref = R.heat_reference(nx=5, nt=3)
    assert ref.points.dtype == np.float64 and ref.points.shape == (15, 2)
    assert ref.grid_shape == (5, 3) and [len(a) for a in ref.axes] == [5, 3]
    g = ref.grid_values()
    # ij layout: row i is x = axes[0][i], column j is t = axes[1][j]
    assert g[2, 1] == pytest.approx(R.heat_solution(np.array([[0.5, 0.5]]))[0])
    assert np.array_equal(ref.points, R.grid_points(*ref.axes))
    assert ref.points_tensor(dtype=torch.float64).shape == (15, 2)
    with pytest.raises(InputError):
        R.Reference("bad", np.zeros((4, 2)), np.zeros(3))
    with pytest.raises(InputError):
        R.Reference("bad", np.zeros((4, 2)), np.zeros(4), grid_shape=(3, 2))
    with pytest.raises(InputError):
        R.poisson2d_reference(n=1)


def test_relative_l2_accepts_tensors_and_skips_nan():
    ref = R.Reference("r", np.zeros((3, 1)), np.array([3.0, np.nan, 4.0]))
    pred = torch.tensor([[3.0], [100.0], [4.0 + 5.0]], dtype=torch.float32)
    assert R.relative_l2(pred, ref) == pytest.approx(1.0)
    assert R.relative_l2(ref, ref) == 0.0
    assert ref.inside().points.shape == (2, 1)
    assert math.isnan(R.relative_l2([np.nan, 0.0, 0.0], ref))
    with pytest.raises(InputError):
        R.relative_l2(np.zeros(2), ref)
    with pytest.raises(InputError):
        R.relative_l2(np.zeros(2), np.zeros(2))


# --------------------------------------------------------------------------- analytic solutions


def _laplacian(u_fn, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    x = x.clone().requires_grad_(True)
    u = u_fn(x)
    (g,) = torch.autograd.grad(u.sum(), x, create_graph=True)
    lap = sum(
        torch.autograd.grad(g[:, i].sum(), x, retain_graph=True)[0][:, i] for i in range(x.shape[1])
    )
    return u.detach(), lap.detach()


@pytest.mark.parametrize("freq", [(1.0, 1.0), (4.0, 4.0)])
def test_poisson2d_solution_satisfies_pde_and_boundary(freq):
    x = torch.rand(256, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    _, lap = _laplacian(lambda p: R.poisson2d_solution(p, freq), x)
    assert torch.allclose(-lap, R.poisson2d_forcing(x, freq), atol=1e-10)
    s = torch.linspace(0, 1, 11, dtype=torch.float64)
    edges = torch.cat([torch.stack([s, 0 * s + v], 1) for v in (0.0, 1.0)])
    edges = torch.cat([edges, edges.flip(1)])
    assert R.poisson2d_solution(edges, freq).abs().max() < 1e-12
    ref = R.poisson2d_reference(freq, n=21)
    assert np.allclose(ref.values, R.poisson2d_solution(ref.points, freq))


@pytest.mark.parametrize(
    ("d", "domain", "kind"),
    [(5, "cube", "sine"), (10, "ball", "sine"), (10, "cube", "ritz"), (7, "ball", "ritz")],
)
def test_poisson_nd_solution_satisfies_pde(d, domain, kind):
    ref = R.poisson_nd_reference(d=d, domain=domain, n=128, kind=kind)
    assert ref.points.shape == (128, d)
    if domain == "ball":
        assert (np.linalg.norm(ref.points, axis=1) <= 1.0).all()
    else:
        assert ((ref.points >= 0) & (ref.points <= 1)).all()
    x = torch.as_tensor(ref.points)
    u, lap = _laplacian(lambda p: R.poisson_nd_solution(p, kind), x)
    assert np.allclose(u.numpy(), ref.values)
    assert torch.allclose(-lap, R.poisson_nd_forcing(x, kind), atol=1e-10)
    # same points for the same seed, different for another
    assert np.array_equal(R.poisson_nd_reference(d, domain, 128, 0, kind).points, ref.points)
    assert not np.array_equal(R.poisson_nd_reference(d, domain, 128, 1, kind).points, ref.points)
    with pytest.raises(InputError):
        R.poisson_nd_reference(d=d, domain="torus")


def test_heat_solution_satisfies_pde():
    xt = torch.rand(200, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    xt.requires_grad_(True)
    u = R.heat_solution(xt, alpha=0.4)
    (g,) = torch.autograd.grad(u.sum(), xt, create_graph=True)
    (h,) = torch.autograd.grad(g[:, 0].sum(), xt)
    assert torch.allclose(g[:, 1], 0.4 * h[:, 0], atol=1e-10)
    ref = R.heat_reference()
    gv = ref.grid_values()
    assert np.allclose(gv[:, 0], np.sin(np.pi * ref.axes[0]))  # initial condition
    assert np.abs(gv[[0, -1], :]).max() < 1e-12  # boundary values


def test_helmholtz_solution_satisfies_pde():
    a1, a2, k = R.HELMHOLTZ_WTP
    x = 2 * torch.rand(256, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(2)) - 1
    u, lap = _laplacian(lambda p: R.helmholtz_solution(p, a1, a2), x)
    assert torch.allclose(lap + k * k * u, R.helmholtz_forcing(x, a1, a2, k), atol=1e-9)
    ref = R.helmholtz_reference()
    gv = ref.grid_values()
    assert ref.grid_shape == (201, 201)
    assert max(np.abs(gv[[0, -1], :]).max(), np.abs(gv[:, [0, -1]]).max()) < 1e-12


# --------------------------------------------------------------------------- Burgers


def test_cole_hopf_initial_and_boundary_values():
    x = np.linspace(-1, 1, 101)
    assert np.abs(R.burgers_cole_hopf(x, 0.0) + np.sin(np.pi * x)).max() < 1e-15
    t = np.linspace(0.0, 1.0, 51)
    assert np.abs(R.burgers_cole_hopf(np.array([[-1.0], [1.0]]), t)).max() < 1e-12
    # odd in x for every t
    u = R.burgers_cole_hopf(x[:, None], t[None, :])
    assert np.abs(u + u[::-1]).max() < 1e-12
    with pytest.raises(InputError):
        R.burgers_cole_hopf(0.0, -1.0)


def test_cole_hopf_satisfies_burgers_equation():
    """Central differences of the Cole–Hopf values leave an O(h²) residual."""
    rng = np.random.default_rng(0)
    x, t, nu = rng.uniform(-0.9, 0.9, 200), rng.uniform(0.05, 0.3, 200), R.BURGERS_NU
    u = R.burgers_cole_hopf

    def residual(h):
        ut = (u(x, t + h) - u(x, t - h)) / (2 * h)
        ux = (u(x + h, t) - u(x - h, t)) / (2 * h)
        uxx = (u(x + h, t) - 2 * u(x, t) + u(x - h, t)) / h**2
        return np.abs(ut + u(x, t) * ux - nu * uxx).max()

    r1, r2 = residual(2e-3), residual(1e-3)
    assert r2 < 1e-3  # measured 5.9e-4, against |u_t| up to 4.3
    assert 3.5 < r1 / r2 < 4.5


@_needs(BURGERS_MAT)
def test_cole_hopf_matches_burgers_shock_mat():
    data = R.load_burgers_shock(BURGERS_MAT)
    ref = R.burgers_reference()
    assert data.grid_shape == ref.grid_shape == (256, 100)
    assert np.allclose(data.points, ref.points, atol=1e-12)
    assert R.relative_l2(ref, data) < 1e-10  # measured 2.9e-12


def test_burgers_method_of_lines_against_cole_hopf():
    exact = R.burgers_reference()
    errors = []
    for n in (1020, 2040):
        ref, seconds = C.burgers_mol(n=n)
        assert ref.grid_shape == (256, 100) and seconds > 0
        errors.append(R.relative_l2(ref, exact))
    assert errors[1] < 2e-4  # measured 1.0e-4
    assert 3.5 < errors[0] / errors[1] < 4.5  # second order


# --------------------------------------------------------------------------- Poisson FD


def test_fd_poisson_second_order():
    errors = []
    for n in (32, 64):
        ref, _ = C.fd_poisson_rectangle(R.poisson2d_forcing, n=n)
        errors.append(R.relative_l2(ref, R.poisson2d_solution(ref.points)))
    assert errors[1] < 3e-4  # measured 2.0e-4
    assert 3.8 < errors[0] / errors[1] < 4.2  # measured 4.00


def test_fd_poisson_exact_for_cubics_with_boundary_data():
    """The 5-point stencil is exact for cubic polynomials: checks boundary handling on a
    non-square rectangle with nx != ny."""

    def u(p):
        return p[:, 0] ** 2 * p[:, 1] + p[:, 1] ** 3 - p[:, 0]

    def f(p):  # −Δu
        return -(2 * p[:, 1] + 6 * p[:, 1])

    ref, _ = C.fd_poisson_rectangle(f, u, bounds=((-1.0, 2.0), (0.5, 1.5)), n=(12, 7))
    assert ref.grid_shape == (13, 8)
    assert np.abs(ref.values - u(ref.points)).max() < 1e-11
    pts = np.array([[0.3, 0.77], [1.9, 1.2]])
    interp, _ = C.fd_poisson_rectangle(
        f, u, bounds=((-1.0, 2.0), (0.5, 1.5)), n=12, eval_points=pts
    )
    assert np.abs(interp.values - u(pts)).max() < 1e-4  # spline interpolation error: 3e-5


def test_fd_lshape_boundary_and_self_convergence():
    coarse, _ = C.fd_poisson_lshape(n=80)
    fine, _ = C.fd_poisson_lshape(n=160, eval_points=coarse.points)
    g = coarse.grid_values()
    assert np.isnan(g[41:, 41:]).all() and not np.isnan(g[:41, :]).any()
    assert np.abs(g[[0, -1], :41]).max() == 0.0 and np.abs(g[40:, 40]).max() == 0.0
    assert R.relative_l2(coarse, fine) < 3e-3  # measured 1.9e-3 (order ≈ 4/3 at the corner)
    assert np.nanmax(coarse.values) == pytest.approx(0.149, abs=2e-3)
    with pytest.raises(InputError):
        C.fd_poisson_lshape(n=81)


@_needs(LSHAPE_NPZ)
def test_fd_lshape_against_deepxde_file():
    data = R.load_poisson_lshape(LSHAPE_NPZ)
    assert data.grid_shape == (161, 161) and int(np.isnan(data.values).sum()) == 6400
    fd, _ = C.fd_poisson_lshape(n=320, eval_points=data.points)
    assert np.array_equal(np.isnan(fd.values), np.isnan(data.values))
    # The file sits ~10 % below the converged solution (FD self-differences are ~1e-3):
    # measured 0.102 at n = 320, 0.1019 at n = 1280.
    assert 0.09 < R.relative_l2(fd, data) < 0.11


# --------------------------------------------------------------------------- ETDRK4, heat


def test_etdrk4_linear_and_fourth_order():
    ref, _ = C.etdrk4_periodic(
        lambda x: np.sin(x) + 0.5 * np.cos(3 * x), lambda k: -0.1 * k**2, lambda v, k: 0 * v,
        [0.0, 0.7], (0.0, 2 * np.pi), n=32, dt=0.1, x_eval=[0.3, 1.1],
    )  # fmt: skip
    x = np.array([0.3, 1.1])
    exact = np.exp(-0.07) * np.sin(x) + 0.5 * np.exp(-0.63) * np.cos(3 * x)
    assert np.abs(ref.grid_values()[:, 1] - exact).max() < 1e-12
    fine, _ = C.allen_cahn_etdrk4(n=128, dt=1e-3, t_eval=[0.0, 0.4])
    e = [
        R.relative_l2(C.allen_cahn_etdrk4(n=128, dt=dt, t_eval=[0.0, 0.4])[0], fine)
        for dt in (0.04, 0.02)
    ]
    assert 10 < e[0] / e[1] < 22  # fourth order: ratio ≈ 16


@_needs(AC_MAT)
def test_etdrk4_allen_cahn_matches_ac_mat():
    data = R.load_allen_cahn(AC_MAT)
    assert data.grid_shape == (512, 201)
    assert np.allclose(data.grid_values()[:, 0], R.allen_cahn_initial(data.axes[0]), atol=1e-14)
    ref, _ = C.allen_cahn_etdrk4(x_eval=data.axes[0], t_eval=data.axes[1])
    assert R.relative_l2(ref, data) < 1e-9  # measured 6.5e-12 in 0.2 s


def test_heat_crank_nicolson_against_exact():
    exact = R.heat_reference()
    errors = [
        R.relative_l2(C.heat_crank_nicolson(n=n, dt=dt)[0], exact)
        for n, dt in ((50, 0.02), (100, 0.01))
    ]
    assert errors[1] < 5e-5  # measured 3.3e-5
    assert 3.5 < errors[0] / errors[1] < 4.5


# --------------------------------------------------------------------------- loaders


def test_loaders_reject_missing_and_malformed_files(tmp_path):
    from scipy.io import savemat

    with pytest.raises(InputError, match="not found"):
        R.load_burgers_shock(tmp_path / "nope.mat")
    garbage = tmp_path / "garbage.mat"
    garbage.write_bytes(b"this is not a MATLAB file" * 10)
    with pytest.raises(InputError, match="cannot read"):
        R.load_allen_cahn(garbage)
    bad_npz = tmp_path / "bad.npz"
    bad_npz.write_bytes(b"PK\x03\x04 broken zip")
    with pytest.raises(InputError, match="cannot read"):
        R.load_poisson_lshape(bad_npz)

    x, t = np.linspace(-1, 1, 8)[:, None], np.linspace(0, 1, 5)[:, None]
    cases = {
        "missing_usol": {"x": x, "t": t},
        "wrong_shape": {"x": x, "t": t, "usol": np.zeros((5, 8))},
        "nan": {"x": x, "t": t, "usol": np.full((8, 5), np.nan)},
        "unsorted": {"x": x[::-1], "t": t, "usol": np.zeros((8, 5))},
        "matrix_x": {"x": np.zeros((8, 2)), "t": t, "usol": np.zeros((8, 5))},
    }
    for name, arrays in cases.items():
        p = tmp_path / f"{name}.mat"
        savemat(p, arrays)
        with pytest.raises(InputError) as info:
            R.load_burgers_shock(p)
        assert "\n" not in str(info.value) and str(p) in str(info.value)
    good = tmp_path / "good.npz"
    np.savez(good, x=x, t=t, usol=np.ones((8, 5)))
    assert R.load_burgers_shock(good).grid_shape == (8, 5)

    for name, arrays in {
        "no_y": {"X_test": np.zeros((4, 2))},
        "bad_X": {"X_test": np.zeros((4, 3)), "y_ref": np.zeros((4, 1))},
        "bad_y": {"X_test": np.zeros((4, 2)), "y_ref": np.zeros((5, 1))},
        "all_nan": {"X_test": np.zeros((4, 2)), "y_ref": np.full((4, 1), np.nan)},
    }.items():
        p = tmp_path / f"{name}.npz"
        np.savez(p, **arrays)
        with pytest.raises(InputError):
            R.load_poisson_lshape(p)
    scattered = tmp_path / "scattered.npz"
    np.savez(scattered, X_test=np.array([[0.0, 0.0], [-0.5, 0.2]]), y_ref=np.array([[0.0], [1.0]]))
    assert R.load_poisson_lshape(scattered).grid_shape is None


def test_default_data_dir_lookup(tmp_path, monkeypatch):
    (tmp_path / "with" / "pde").mkdir(parents=True)
    monkeypatch.setenv("DNNSOLVE_DATA", str(tmp_path / "with"))
    assert R.default_pde_data_dir() == tmp_path / "with" / "pde"
    with pytest.raises(InputError, match="not found"):
        R.load_allen_cahn()  # the folder exists but holds no AC.mat
    (tmp_path / "without").mkdir()
    monkeypatch.setenv("DNNSOLVE_DATA", str(tmp_path / "without"))
    assert R.default_pde_data_dir() is None
    with pytest.raises(InputError, match="DNNSOLVE_DATA"):
        R.load_poisson_lshape()


@_needs(AC_MAT)
def test_allen_cahn_reference_without_data_file():
    ref = C.allen_cahn_reference()
    assert R.relative_l2(ref, R.load_allen_cahn(AC_MAT)) < 1e-9
