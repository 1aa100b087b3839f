"""Built-in PDE problems, each with its reference solution (no data file needed).

Add a problem by writing a builder returning a :class:`~dnnsolve.pde.problem.PDE` and listing it
in :data:`PDE_PROBLEMS`. Some builders take arguments (variants the names do not cover):

- :func:`allen_cahn` (``hard_initial``: the trial solution ``u = x² cos(πx) + t·N``;
  ``periodic_network``: leave periodicity to an exactly periodic network, e.g.
  ``solve_pde(allen_cahn(periodic_network=True), net="fourier",
  options={"periodic": {0: (2.0, 10)}, "features": 0})``, whose Fourier embedding of ``x`` makes
  ``u`` and all its ``x``-derivatives periodic, so the ``periodic`` loss term is dropped);
- :func:`poisson_lshape` (``hard``: ``u = φ(x)·N`` with the L-shape's distance function φ);
- :func:`poisson_nd` (dimension ``d``, ``kind``, cube or ball).

>>> sorted(PDE_PROBLEMS)[:4]
['allen-cahn', 'burgers', 'heat', 'helmholtz']
>>> builtin("poisson2d-hf").description[:22]
'−Δu = 32π² sin(4πx) si'
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from ..core.errors import InputError
from . import references as ref
from .geometry import Ball, Box, Interval, Polygon, TimeDomain
from .problem import PDE, Dirichlet, Initial, Periodic

__all__ = [
    "PDE_PROBLEMS",
    "allen_cahn",
    "builtin",
    "poisson2d",
    "poisson_lshape",
    "poisson_nd",
]


def poisson2d(freq: tuple[float, float] = (1.0, 1.0)) -> PDE:
    """``−Δu = (a² + b²)π² sin(aπx) sin(bπy)`` on ``[0, 1]²``, ``u = 0`` on the boundary;
    ``freq = (a, b)``: ``(1, 1)`` is ``poisson2d``, ``(4, 4)`` ``poisson2d-hf``."""
    a, b = (float(f) for f in freq)

    def forcing(x):
        return ref.poisson2d_forcing(x, (a, b))

    def residual(x, u, d):
        return -d.laplacian() - forcing(x)

    def energy(x, u, d):
        return 0.5 * d.grad().square().sum(1) - forcing(x) * u[:, 0]

    name = "poisson2d" if (a, b) == (1.0, 1.0) else "poisson2d-hf" if (a, b) == (4.0, 4.0) else (
        f"poisson2d-{a:g}x{b:g}"
    )  # fmt: skip
    coef = f"{a * a + b * b:g}π²" if (a, b) != (1.0, 1.0) else "2π²"
    fa, fb = ("" if a == 1 else f"{a:g}"), ("" if b == 1 else f"{b:g}")
    return PDE(
        name,
        Box([0.0, 0.0], [1.0, 1.0]),
        residual=residual,
        energy=energy,
        conditions=[Dirichlet("boundary", weight=1.0, value=0.0)],
        reference=lambda pts: ref.poisson2d_solution(pts, (a, b)),
        grid=101,
        description=f"−Δu = {coef} sin({fa}πx) sin({fb}πy) on [0,1]², u = 0 on the boundary",
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


# ---------------------------------------------------------------- Allen–Cahn

_AC_CACHE: dict[tuple[bytes, bytes], np.ndarray] = {}


def allen_cahn_values(points: np.ndarray) -> np.ndarray:
    """The ETDRK4 Allen–Cahn solution (:func:`~dnnsolve.pde.classical.allen_cahn_etdrk4`, 512
    modes, ``dt = 1e-3``, the scheme of ``AC.mat``) at ``points (N, 2) = (x, t)``.

    ``x`` is wrapped into the period ``[−1, 1)``; the solver runs once on the distinct ``x`` and
    ``t`` of the points (a tensor grid: the evaluation grid), and the last few results are cached.

    >>> round(float(allen_cahn_values(np.array([[1.0, 0.0], [3.0, 0.0]]))[1]), 12)  # x² cos(πx)
    -1.0
    """
    from .classical import allen_cahn_etdrk4

    p = np.asarray(points, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 2:
        raise InputError(f"Allen–Cahn points must be (N, 2) = (x, t), got shape {p.shape}")
    xw = np.mod(p[:, 0] + 1.0, 2.0) - 1.0
    xw[np.isclose(xw, 1.0, rtol=0, atol=1e-12)] = -1.0  # rounding at the period's end
    ux, ix = np.unique(xw, return_inverse=True)
    ut, it = np.unique(p[:, 1], return_inverse=True)
    if ux.size * ut.size > max(4 * len(p), 1 << 20):
        raise InputError("Allen–Cahn reference: points must lie on a tensor grid of (x, t)")
    key = (ux.tobytes(), ut.tobytes())
    if key not in _AC_CACHE:
        r, _ = allen_cahn_etdrk4(x_eval=ux, t_eval=ut)
        if len(_AC_CACHE) >= 4:
            _AC_CACHE.pop(next(iter(_AC_CACHE)))
        _AC_CACHE[key] = r.grid_values()
    return _AC_CACHE[key][ix.ravel(), it.ravel()]


def allen_cahn(hard_initial: bool = False, periodic_network: bool = False) -> PDE:
    """Allen–Cahn ``u_t − 1e-4 u_xx + 5u³ − 5u = 0`` on ``[−1, 1] × [0, 1]``, periodic in ``x``,
    ``u(0, x) = x² cos(πx)`` (Raissi et al. 2019), conditions ``initial`` and ``periodic``
    (values and ``u_x`` on ``x = ±1``).

    ``hard_initial``: the initial condition holds exactly through ``u = x² cos(πx) + t·N(x, t)``.
    ``periodic_network``: the ``periodic`` condition is listed as hard (left out of the loss);
    only right with an exactly periodic network, ``net="fourier"`` with
    ``options={"periodic": {0: (2.0, K)}}`` (axis 0 is ``x``). The evaluation grid is
    Raissi's 512 × 201 grid plus the column ``x = 1`` (the periodic image of ``x = −1``).
    """
    dc, gamma = ref.ALLEN_CAHN_D, ref.ALLEN_CAHN_GAMMA

    def residual(x, u, d):
        v = u[:, 0]
        return d(1) - dc * d(0, 0) + gamma * (v**3 - v)

    hard, hard_conditions = None, []
    if hard_initial:

        def hard(x, n):
            return ref.allen_cahn_initial(x[:, :1]) + x[:, 1:2] * n

        hard_conditions.append("initial")
    if periodic_network:
        hard_conditions.append("periodic")
    return PDE(
        "allen-cahn"
        + ("-hard-ic" if hard_initial else "")
        + ("-periodic-net" if periodic_network else ""),
        TimeDomain(Interval(-1.0, 1.0), 0.0, 1.0),
        residual=residual,
        conditions=[
            Initial("initial", value=lambda x: ref.allen_cahn_initial(x[:, 0])),
            Periodic("periodic", axis=0, derivative=True),
        ],
        hard=hard,
        hard_conditions=tuple(hard_conditions),
        reference=allen_cahn_values,
        grid=(513, 201),
        description="u_t − 1e-4 u_xx + 5u³ − 5u = 0 on [−1,1]×[0,1], periodic, u(0,x) = x² cos(πx) "
        "(Raissi; reference ETDRK4 = AC.mat)",
    )


# ---------------------------------------------------------------- Poisson on the L-shape

_LSHAPE_CACHE: dict[int, tuple[np.ndarray, np.ndarray]] = {}

#: the finite-difference error at the re-entrant corner falls like h^(4/3) (measured: the
#: differences between n = 160, 320 and 640 shrink by 2.54 per halving, 2^(4/3) = 2.52)
_LSHAPE_ORDER = 4 / 3


def _lshape_grid(n: int) -> tuple[np.ndarray, np.ndarray]:
    from .classical import fd_poisson_lshape

    if n not in _LSHAPE_CACHE:
        r, _ = fd_poisson_lshape(n=n)
        _LSHAPE_CACHE[n] = (r.axes[0], np.nan_to_num(r.grid_values(), nan=0.0))
    return _LSHAPE_CACHE[n]


def lshape_values(points: np.ndarray, n: int = 640) -> np.ndarray:
    """The L-shape solution at ``points (N, 2)``: the finite-difference solutions
    (:func:`~dnnsolve.pde.classical.fd_poisson_lshape`) on the ``(n+1)²`` and ``(n/2+1)²``
    grids (cached), each interpolated bilinearly, Richardson-extrapolated with the corner's
    order 4/3; NaN outside the closed L-shape.

    With ``n = 640`` it is within 1.4e-5 (relative L2 on the 161² grid) of the same
    extrapolation from n = 160 and 320, where the n = 640 grid alone is 1.5e-4 off."""
    from scipy.interpolate import RegularGridInterpolator

    if n < 4 or n % 4:
        raise InputError(f"the L-shape reference needs n divisible by 4, got {n}")
    q = np.asarray(points, dtype=np.float64)
    if q.ndim != 2 or q.shape[1] != 2:
        raise InputError(f"L-shape points must be (N, 2), got shape {q.shape}")
    fine, coarse = (
        RegularGridInterpolator((axis, axis), u, bounds_error=False)(q)
        for axis, u in (_lshape_grid(n), _lshape_grid(n // 2))
    )
    vals = fine + (fine - coarse) / (2**_LSHAPE_ORDER - 1)
    tol = 1e-9
    outside = ((q[:, 0] > tol) & (q[:, 1] > tol)) | (np.abs(q) > 1 + tol).any(axis=1)
    vals[outside] = np.nan
    return vals


def poisson_lshape(hard: bool = False, n_reference: int = 640) -> PDE:
    """``−Δu = 1`` on the L-shape ``[−1, 1]² \\ [0, 1]²``, ``u = 0`` on its boundary (DeepXDE's
    ``Poisson_Lshape`` example), with the Deep Ritz energy ``½|∇u|² − u``.

    The reference is the 5-point finite-difference solution on the ``(n_reference + 1)²`` and
    ``(n_reference/2 + 1)²`` grids, Richardson-extrapolated (:func:`lshape_values`; about 1e-5
    from the converged solution), not DeepXDE's ``Poisson_Lshape.npz``, whose values are about
    10 % low (see :func:`~dnnsolve.pde.references.load_poisson_lshape`). ``hard``:
    ``u = φ(x)·N(x)`` with the L-shape's boundary function φ
    (:meth:`~dnnsolve.pde.geometry.LShape.boundary_distance`, shaped by the re-entrant corner),
    so the boundary condition holds exactly.
    """
    domain = Polygon.l_shape()

    def residual(x, u, d):
        return -d.laplacian() - 1.0

    def energy(x, u, d):
        return 0.5 * d.grad().square().sum(1) - u[:, 0]

    return PDE(
        "poisson-lshape" + ("-hard" if hard else ""),
        domain,
        residual=residual,
        energy=energy,
        conditions=[Dirichlet("boundary", value=0.0)],
        hard=(lambda x, n: domain.boundary_distance(x)[:, None] * n) if hard else None,
        hard_conditions=("boundary",) if hard else (),
        reference=lambda pts: lshape_values(pts, n_reference),
        grid=161,
        description="−Δu = 1 on the L-shape [−1,1]² \\ [0,1]², u = 0 on the boundary (reference: "
        "FD on 641² and 321² grids, extrapolated; DeepXDE's Poisson_Lshape.npz is ~10 % low)",
    )


# ---------------------------------------------------------------- high-dimensional Poisson


def poisson_nd(
    d: int = 10, kind: str = "sine", domain: str = "cube", n_eval: int = 8192, seed: int = 0
) -> PDE:
    """Poisson ``−Δu = f`` in ``d`` dimensions with Dirichlet data ``g = u`` (Deep Ritz's
    high-dimensional test): ``kind="sine"``, ``u = Σᵢ sin(πxᵢ/2)``, ``f = (π²/4) u``, or
    ``kind="ritz"``, the harmonic ``u = Σₖ x₂ₖ₋₁x₂ₖ``; on the unit cube ``[0, 1]^d``
    (``domain="cube"``) or the unit ball. Energy ``½|∇u|² − f u`` and residual both defined.

    A tensor grid is out of reach in 10-D: the error is measured at ``n_eval`` seeded scrambled
    Sobol' points (:func:`~dnnsolve.pde.references.poisson_nd_reference`), passed as
    ``PDE.eval_points``.
    """
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1:
        raise InputError(f"dimension d must be an integer >= 1, got {d!r}")
    d = int(d)
    if domain not in ("cube", "ball"):
        raise InputError(f"unknown domain {domain!r} (use cube or ball)")
    evaluation = ref.poisson_nd_reference(d, domain, n_eval, seed, kind)  # validates kind, d

    def forcing(x):
        return ref.poisson_nd_forcing(x, kind)

    def residual(x, u, dv):
        return -dv.laplacian() - forcing(x)

    def energy(x, u, dv):
        return 0.5 * dv.grad().square().sum(1) - forcing(x) * u[:, 0]

    geom = Box([0.0] * d, [1.0] * d) if domain == "cube" else Ball([0.0] * d, 1.0)
    formula = "Σ sin(πxᵢ/2)" if kind == "sine" else "Σ x₂ₖ₋₁x₂ₖ"
    where = "[0,1]^d" if domain == "cube" else "the unit ball"
    name = "poisson-nd" if (d, kind, domain) == (10, "sine", "cube") else (
        f"poisson-nd{d}" + ("" if kind == "sine" else f"-{kind}")
        + ("" if domain == "cube" else "-ball")
    )  # fmt: skip
    return PDE(
        name,
        geom,
        residual=residual,
        energy=energy,
        conditions=[Dirichlet("boundary", value=lambda x: ref.poisson_nd_solution(x, kind))],
        reference=lambda pts: ref.poisson_nd_solution(pts, kind),
        grid=2,
        description=f"−Δu = f on {where}, d = {d}, u = {formula}, u = g on the boundary "
        f"(Deep Ritz; error at {n_eval} Sobol' points)",
        eval_points=evaluation.points,
    )


#: built-in problems: name → builder of the :class:`PDE`
PDE_PROBLEMS: dict[str, Callable[[], PDE]] = {
    "poisson2d": poisson2d,
    "poisson2d-hf": lambda: poisson2d((4.0, 4.0)),
    "heat": _heat,
    "burgers": _burgers,
    "helmholtz": _helmholtz,
    "allen-cahn": allen_cahn,
    "poisson-lshape": poisson_lshape,
    "poisson-nd": poisson_nd,
}


def builtin(name: str) -> PDE:
    """The built-in problem ``name`` (a key of :data:`PDE_PROBLEMS`)."""
    if name not in PDE_PROBLEMS:
        raise InputError(f"unknown PDE problem {name!r}; choose from {', '.join(PDE_PROBLEMS)}")
    return PDE_PROBLEMS[name]()
