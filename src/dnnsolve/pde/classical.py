"""Classical reference solvers, run side by side with the networks for time and accuracy.

Each solver returns ``(Reference, seconds)``: the solution on the requested evaluation grid (a
:class:`~dnnsolve.pde.references.Reference`, coordinates ordered space first, time last) and the
wall time of the solve itself (assembly, factorisation, time stepping and interpolation; not the
Python imports). Everything runs in float64 on the CPU with NumPy / SciPy.

- :func:`fd_poisson_rectangle`, :func:`fd_poisson_lshape`: 5-point finite differences, sparse
  direct solve (second order for smooth solutions; the L-shape's re-entrant corner limits it).
- :func:`etdrk4_periodic`, :func:`allen_cahn_etdrk4`: Fourier pseudo-spectral ETDRK4
  (Kassam & Trefethen 2005) for 1-D periodic semilinear equations.
- :func:`burgers_mol`: method of lines, second-order conservative finite differences with
  Dirichlet boundaries, stiff BDF integration (:func:`scipy.integrate.solve_ivp`).
- :func:`heat_crank_nicolson`: second-order finite differences in space, Crank–Nicolson in time.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from dnnsolve.core.errors import InputError
from dnnsolve.pde.references import (
    ALLEN_CAHN_D,
    ALLEN_CAHN_GAMMA,
    BURGERS_NU,
    Reference,
    allen_cahn_initial,
    burgers_initial,
    grid_points,
)

__all__ = [
    "allen_cahn_etdrk4",
    "allen_cahn_reference",
    "burgers_mol",
    "etdrk4_periodic",
    "fd_poisson_lshape",
    "fd_poisson_rectangle",
    "heat_crank_nicolson",
    "poisson_lshape_reference",
]

Field = Callable[[np.ndarray], np.ndarray] | float


def _evaluate(fn: Field, pts: np.ndarray) -> np.ndarray:
    """A callable on ``(N, d)`` points, or a constant, as an ``(N,)`` float64 array."""
    v = np.asarray(fn(pts) if callable(fn) else fn, dtype=np.float64)
    if v.size == 1:
        return np.full(len(pts), float(v.reshape(())))
    if v.size != len(pts):
        raise InputError(
            f"a source or boundary function returned {v.size} values for {len(pts)} points"
        )
    return v.reshape(len(pts))


def _intervals(n: Any, what: str = "number of grid intervals", minimum: int = 2) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < minimum:
        raise InputError(f"{what} must be an integer >= {minimum}, got {n!r}")
    return int(n)


def _times(t_eval: Any, default: np.ndarray) -> np.ndarray:
    t = default if t_eval is None else np.asarray(t_eval, dtype=np.float64).ravel()
    if t.size == 0 or not np.isfinite(t).all() or t[0] < 0 or (np.diff(t) < 0).any():
        raise InputError("output times must be finite, >= 0 and non-decreasing")
    return t


def _substeps(span: float, dt: float) -> tuple[int, float]:
    """Number of steps and step size covering ``span`` with steps no longer than ``dt``."""
    if span <= 0:
        return 0, 0.0
    k = max(1, math.ceil(span / dt - 1e-9))
    return k, span / k


# --------------------------------------------------------------------------- Poisson


def _lap1d(m: int, h: float) -> sp.csr_matrix:
    """``−d²/dx²`` on ``m`` interior points with spacing ``h`` (Dirichlet): tridiag(−1, 2, −1)/h²."""
    return sp.diags([-np.ones(m - 1), 2.0 * np.ones(m), -np.ones(m - 1)], [-1, 0, 1]) / (h * h)


def fd_poisson_rectangle(
    forcing: Field,
    boundary: Field = 0.0,
    bounds: tuple[tuple[float, float], tuple[float, float]] = ((0.0, 1.0), (0.0, 1.0)),
    n: int | tuple[int, int] = 64,
    eval_points: np.ndarray | None = None,
) -> tuple[Reference, float]:
    """Solve ``−Δu = f`` on a rectangle with ``u = g`` on its boundary.

    Discretization: uniform grid of ``nx × ny`` intervals (``n`` or ``(nx, ny)``), the 5-point
    Laplacian at the interior nodes, boundary values moved to the right-hand side, one sparse
    direct solve (:func:`scipy.sparse.linalg.spsolve`). Second order: the error at the nodes is
    ``O(h²)`` for smooth solutions. ``forcing`` and ``boundary`` are constants or functions of
    ``(N, 2)`` NumPy points. The result is on the ``(nx+1) × (ny+1)`` grid (boundary included)
    unless ``eval_points (M, 2)`` are given, where it is interpolated by bicubic splines.

    >>> from dnnsolve.pde.references import poisson2d_forcing, poisson2d_solution, relative_l2
    >>> ref, seconds = fd_poisson_rectangle(poisson2d_forcing, n=32)
    >>> relative_l2(ref, poisson2d_solution(ref.points)) < 1e-3
    True
    """
    # scipy.interpolate and scipy.sparse.linalg load slowly: imported by the solves alone
    from scipy.interpolate import RegularGridInterpolator
    from scipy.sparse.linalg import spsolve

    nx, ny = (n, n) if not isinstance(n, (tuple, list)) else n
    nx, ny = _intervals(nx), _intervals(ny)
    (x0, x1), (y0, y1) = bounds
    if not (x1 > x0 and y1 > y0):
        raise InputError(f"empty rectangle {bounds}")
    start = time.perf_counter()
    x, y = np.linspace(x0, x1, nx + 1), np.linspace(y0, y1, ny + 1)
    hx, hy = (x1 - x0) / nx, (y1 - y0) / ny
    pts = grid_points(x, y)
    u = np.zeros((nx + 1, ny + 1))
    on_boundary = np.ones_like(u, dtype=bool)
    on_boundary[1:-1, 1:-1] = False
    u[on_boundary] = _evaluate(boundary, pts[on_boundary.ravel()])
    f = _evaluate(forcing, pts).reshape(u.shape)[1:-1, 1:-1]
    # Boundary neighbours of interior nodes move to the right-hand side (u is 0 inside here).
    rhs = f + (u[:-2, 1:-1] + u[2:, 1:-1]) / hx**2 + (u[1:-1, :-2] + u[1:-1, 2:]) / hy**2
    a = sp.kron(_lap1d(nx - 1, hx), sp.identity(ny - 1)) + sp.kron(
        sp.identity(nx - 1), _lap1d(ny - 1, hy)
    )
    u[1:-1, 1:-1] = spsolve(a.tocsc(), rhs.ravel()).reshape(nx - 1, ny - 1)
    src = f"5-point finite differences, {nx}×{ny} intervals, sparse direct solve"
    if eval_points is None:
        ref = Reference("fd-poisson", pts, u.ravel(), u.shape, (x, y), src)
    else:
        q = _points2(eval_points)
        vals = RegularGridInterpolator((x, y), u, method="cubic", bounds_error=False)(q)
        ref = Reference("fd-poisson", q, vals, source=src + ", bicubic interpolation")
    return ref, time.perf_counter() - start


def _points2(p: Any) -> np.ndarray:
    q = np.asarray(p, dtype=np.float64)
    if q.ndim != 2 or q.shape[1] != 2:
        raise InputError(f"evaluation points must be (M, 2), got shape {q.shape}")
    return q


def fd_poisson_lshape(
    n: int = 320, forcing: Field = 1.0, eval_points: np.ndarray | None = None
) -> tuple[Reference, float]:
    """Solve ``−Δu = f`` on the L-shape ``[−1, 1]² \\ [0, 1]²`` with ``u = 0`` on its boundary.

    Discretization: the uniform ``(n+1) × (n+1)`` grid of ``[−1, 1]²`` (``n`` even, so the
    re-entrant edges ``x = 0`` and ``y = 0`` lie on grid lines) with the nodes of the removed
    quadrant ``x ≥ 0, y ≥ 0`` masked out; the 5-point Laplacian at the nodes strictly inside the
    L-shape, a sparse direct solve. Second-order stencil; near the re-entrant corner the solution
    behaves like ``r^{2/3}``, which lowers the observed order. Values in the removed quadrant are
    NaN (its edges carry the boundary value 0). With ``eval_points`` the grid solution is
    interpolated bilinearly (NaN outside the L-shape).

    >>> ref, seconds = fd_poisson_lshape(n=16)
    >>> ref.grid_shape, bool(np.isnan(ref.grid_values()[-1, -1])), round(float(np.nanmax(ref.values)), 2)
    ((17, 17), True, 0.15)
    """
    from scipy.interpolate import RegularGridInterpolator
    from scipy.sparse.linalg import spsolve

    n = _intervals(n)
    if n % 2:
        raise InputError(f"the L-shape grid needs an even number of intervals, got {n}")
    start = time.perf_counter()
    x = np.linspace(-1.0, 1.0, n + 1)
    h = 2.0 / n
    pts = grid_points(x, x)
    c = n // 2  # index of the grid line x = 0 (and y = 0)
    inside = np.zeros((n + 1, n + 1), dtype=bool)
    inside[1:-1, 1:-1] = True
    inside[c:, c:] = False  # the removed quadrant and its edges
    index = -np.ones(inside.shape, dtype=np.int64)
    index[inside] = np.arange(int(inside.sum()))
    i, j = np.nonzero(inside)
    m = i.size
    rows, cols, vals = [np.arange(m)], [np.arange(m)], [np.full(m, 4.0 / h**2)]
    for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        nb = index[i + di, j + dj]
        ok = nb >= 0  # boundary neighbours hold u = 0: nothing to add to the right-hand side
        rows.append(np.nonzero(ok)[0])
        cols.append(nb[ok])
        vals.append(np.full(int(ok.sum()), -1.0 / h**2))
    a = sp.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(m, m)
    )
    f = _evaluate(forcing, pts).reshape(inside.shape)[inside]
    u = np.zeros((n + 1, n + 1))
    u[inside] = spsolve(a, f)
    src = f"5-point finite differences on the L-shape, h = 2/{n}, sparse direct solve"
    if eval_points is None:
        out = u.copy()
        out[c + 1 :, c + 1 :] = np.nan
        ref = Reference("fd-poisson-lshape", pts, out.ravel(), out.shape, (x, x), src)
    else:
        q = _points2(eval_points)
        vals_q = RegularGridInterpolator((x, x), u, bounds_error=False)(q)
        outside = ((q[:, 0] > 0) & (q[:, 1] > 0)) | (np.abs(q) > 1).any(axis=1)
        vals_q[outside] = np.nan
        ref = Reference("fd-poisson-lshape", q, vals_q, source=src + ", bilinear interpolation")
    return ref, time.perf_counter() - start


# --------------------------------------------------------------------------- ETDRK4


def _etdrk4_coefficients(lin: np.ndarray, h: float, m: int) -> tuple[np.ndarray, ...]:
    """ETDRK4 coefficients for the diagonal operator ``lin`` and step ``h``.

    The φ-functions are averaged over ``m`` points on a unit circle around each ``h·L``
    (Kassam & Trefethen 2005, §5): no cancellation where ``h·L`` is near 0.
    """
    r = np.exp(1j * math.pi * (np.arange(1, m + 1) - 0.5) / m)
    lr = h * lin[:, None] + r[None, :]
    elr = np.exp(lr)
    q = h * np.real(np.mean((np.exp(lr / 2) - 1) / lr, axis=1))
    f1 = h * np.real(np.mean((-4 - lr + elr * (4 - 3 * lr + lr**2)) / lr**3, axis=1))
    f2 = h * np.real(np.mean((2 + lr + elr * (-2 + lr)) / lr**3, axis=1))
    f3 = h * np.real(np.mean((-4 - 3 * lr - lr**2 + elr * (4 - lr)) / lr**3, axis=1))
    return np.exp(h * lin), np.exp(h * lin / 2), q, f1, f2, f3


def _trig_eval(v: np.ndarray, n: int, x0: float, length: float, x: np.ndarray) -> np.ndarray:
    """Evaluate the real trigonometric interpolant with ``rfft`` coefficients ``v`` at ``x``."""
    if x.size == n and np.allclose(x, x0 + length * np.arange(n) / n, rtol=0, atol=1e-13):
        return np.fft.irfft(v, n)
    k = 2.0 * math.pi / length * np.arange(v.size)
    idx = np.arange(v.size)
    # rfft keeps one of each ±k pair: double all but the mean and (n even) the Nyquist mode
    c = v / n * np.where((idx == 0) | ((n % 2 == 0) & (idx == n // 2)), 1.0, 2.0)
    return np.real(np.exp(1j * np.outer(x - x0, k)) @ c)


def etdrk4_periodic(
    u0: Callable[[np.ndarray], np.ndarray],
    linear: Callable[[np.ndarray], np.ndarray],
    nonlinear: Callable[[np.ndarray, np.ndarray], np.ndarray],
    t_eval: Any,
    domain: tuple[float, float] = (-1.0, 1.0),
    n: int = 512,
    dt: float = 1e-3,
    x_eval: Any = None,
    contour_points: int = 32,
    name: str = "etdrk4",
) -> tuple[Reference, float]:
    """Solve ``u_t = L u + N(u)`` for a real 1-D periodic ``u`` by Fourier ETDRK4.

    Discretization: ``n`` equispaced nodes ``x_j = a + j (b − a)/n`` on the period ``[a, b)``,
    real FFT (``numpy.fft.rfft``), the linear part diagonal in Fourier space, ``linear(k)`` with
    wavenumbers ``k = 2π/(b − a) · (0, 1, …, n/2)``; fourth-order exponential time differencing
    ETDRK4 (Cox & Matthews 2002) with the φ-functions evaluated by contour integrals of
    ``contour_points`` points (Kassam & Trefethen 2005). ``nonlinear(v, k)`` returns the ``rfft``
    coefficients of ``N(u)`` from those of ``u`` (``v``); no dealiasing. Between consecutive output
    times the step is the largest ``≤ dt`` that lands on them. The solution is returned on
    ``x_eval × t_eval`` (default: the nodes), off-node points by evaluating the trigonometric
    interpolant.

    >>> k2 = lambda k: -(k**2)
    >>> ref, s = etdrk4_periodic(np.sin, k2, lambda v, k: 0 * v, [0.0, 1.0], (0, 2 * np.pi), n=16)
    >>> bool(np.allclose(ref.grid_values()[:, 1], np.exp(-1) * np.sin(ref.axes[0])))
    True
    """
    n = _intervals(n, "number of Fourier nodes", 4)
    if not (dt > 0 and math.isfinite(dt)):
        raise InputError(f"time step must be positive, got {dt}")
    a, b = float(domain[0]), float(domain[1])
    if not b > a:
        raise InputError(f"empty period {domain}")
    t = _times(t_eval, np.array([0.0]))
    length = b - a
    nodes = a + length * np.arange(n) / n
    x = nodes if x_eval is None else np.asarray(x_eval, dtype=np.float64).ravel()
    start = time.perf_counter()
    k = 2.0 * math.pi / length * np.arange(n // 2 + 1)
    lin = np.asarray(linear(k), dtype=np.float64) * np.ones_like(k)
    v = np.fft.rfft(np.asarray(u0(nodes), dtype=np.float64))
    out = np.empty((x.size, t.size))
    cache: dict[float, tuple[np.ndarray, ...]] = {}
    now = 0.0
    for j, tj in enumerate(t):
        steps, h = _substeps(tj - now, dt)
        if steps:
            key = round(h, 14)
            if key not in cache:
                cache[key] = _etdrk4_coefficients(lin, h, contour_points)
            e, e2, q, f1, f2, f3 = cache[key]
            for _ in range(steps):
                nv = nonlinear(v, k)
                av = e2 * v + q * nv
                na = nonlinear(av, k)
                bv = e2 * v + q * na
                nb = nonlinear(bv, k)
                cv = e2 * av + q * (2 * nb - nv)
                nc = nonlinear(cv, k)
                v = e * v + nv * f1 + 2 * (na + nb) * f2 + nc * f3
            now = float(tj)
        out[:, j] = _trig_eval(v, n, a, length, x)
    if not np.isfinite(out).all():
        raise InputError(f"ETDRK4 diverged (dt = {dt} too large?)")
    src = f"Fourier pseudo-spectral ETDRK4, {n} modes, dt ≤ {dt:g}, {contour_points} contour points"
    ref = Reference(name, grid_points(x, t), out.ravel(), out.shape, (x, t), src)
    return ref, time.perf_counter() - start


def allen_cahn_etdrk4(
    d: float = ALLEN_CAHN_D,
    gamma: float = ALLEN_CAHN_GAMMA,
    n: int = 512,
    dt: float = 1e-3,
    x_eval: Any = None,
    t_eval: Any = None,
) -> tuple[Reference, float]:
    """Allen–Cahn ``u_t = d u_xx + γ (u − u³)``, periodic on ``[−1, 1)``, ``u(0, x) = x² cos(πx)``.

    :func:`etdrk4_periodic` with ``L = −d k²`` and ``N(u) = γ (u − u³)`` formed pointwise.
    Defaults: Raissi's ``d = 1e-4, γ = 5``, ``n = 512`` modes, ``dt = 1e-3``, output on the
    ``AC.mat`` grid (``x_j = −1 + j/256``, 201 times in ``[0, 1]``). Measured against ``AC.mat``:
    relative L2 ``6.5e-12`` (about 0.2 s); with 1024 modes ``8.3e-6`` (the file's own spatial
    resolution error).
    """
    n = _intervals(n, "number of Fourier nodes", 4)

    def nonlinear(v: np.ndarray, k: np.ndarray) -> np.ndarray:
        u = np.fft.irfft(v, n)
        return np.fft.rfft(gamma * (u - u**3))

    ref, seconds = etdrk4_periodic(
        allen_cahn_initial,
        lambda k: -d * k**2,
        nonlinear,
        _times(t_eval, np.linspace(0.0, 1.0, 201)),
        (-1.0, 1.0),
        n=n,
        dt=dt,
        x_eval=x_eval,
        name="allen-cahn",
    )
    return ref, seconds


# --------------------------------------------------------------------------- Burgers


def burgers_mol(
    nu: float = BURGERS_NU,
    n: int = 4080,
    x_eval: Any = None,
    t_eval: Any = None,
    u0: Callable[[np.ndarray], np.ndarray] = burgers_initial,
    rtol: float = 1e-8,
    atol: float = 1e-10,
) -> tuple[Reference, float]:
    """Burgers ``u_t + (u²/2)_x = ν u_xx`` on ``[−1, 1]`` with ``u(t, ±1) = 0``.

    Discretization: method of lines on ``n`` uniform intervals; second-order central differences
    in conservative form, ``−(u²_{i+1} − u²_{i−1})/(4h) + ν (u_{i+1} − 2u_i + u_{i−1})/h²``
    (cell Péclet number ``|u| h/ν < 2`` for ``n ≥ 320`` at ``ν = 0.01/π``: no wiggles), integrated
    by BDF (:func:`scipy.integrate.solve_ivp`) with the analytic tridiagonal Jacobian. Output on
    ``x_eval × t_eval`` (default Raissi's grid, 256 × 100), off-node points by cubic splines in
    ``x``. Against the Cole–Hopf solution on Raissi's grid the relative L2 error is ``1.0e-4``
    at ``n = 2040`` and ``2.5e-5`` at ``n = 4080`` (about 0.1–0.2 s): second order.
    """
    from scipy.integrate import solve_ivp
    from scipy.interpolate import CubicSpline

    n = _intervals(n)
    if not (nu > 0 and math.isfinite(nu)):
        raise InputError(f"viscosity must be positive, got {nu}")
    xe = np.linspace(-1.0, 1.0, 256) if x_eval is None else np.asarray(x_eval, float).ravel()
    te = _times(t_eval, np.linspace(0.0, 0.99, 100))
    start = time.perf_counter()
    x = np.linspace(-1.0, 1.0, n + 1)
    h = 2.0 / n
    c = nu / h**2

    def rhs(_t: float, u: np.ndarray) -> np.ndarray:
        w = np.concatenate(([0.0], u, [0.0]))
        return -(w[2:] ** 2 - w[:-2] ** 2) / (4 * h) + c * (w[2:] - 2 * w[1:-1] + w[:-2])

    def jac(_t: float, u: np.ndarray) -> sp.csc_matrix:
        lower = u[:-1] / (2 * h) + c  # ∂F_i/∂u_{i−1}, rows 1 … m−1
        upper = -u[1:] / (2 * h) + c  # ∂F_i/∂u_{i+1}, rows 0 … m−2
        return sp.diags([lower, np.full(u.size, -2 * c), upper], [-1, 0, 1], format="csc")

    full = np.zeros((n + 1, te.size))
    full[1:-1] = u0(x[1:-1])[:, None]
    if te[-1] > 0:
        sol = solve_ivp(
            rhs, (0.0, float(te[-1])), full[1:-1, 0], method="BDF", t_eval=te, jac=jac,
            rtol=rtol, atol=atol,
        )  # fmt: skip
        if not sol.success:
            raise InputError(f"Burgers time integration failed: {sol.message}")
        full[1:-1] = sol.y
    vals = CubicSpline(x, full, axis=0)(xe)
    src = f"method of lines, 2nd-order conservative FD, {n} intervals, BDF (rtol {rtol:g})"
    ref = Reference("burgers-mol", grid_points(xe, te), vals.ravel(), vals.shape, (xe, te), src)
    return ref, time.perf_counter() - start


# --------------------------------------------------------------------------- heat


def heat_crank_nicolson(
    alpha: float = 0.4,
    n: int = 400,
    dt: float = 1e-3,
    x_eval: Any = None,
    t_eval: Any = None,
    u0: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[Reference, float]:
    """Heat ``u_t = α u_xx`` on ``[0, 1]`` with ``u(t, 0) = u(t, 1) = 0``, ``u(0, x) = sin(πx)``.

    Discretization: ``n`` uniform intervals, the 3-point Laplacian, Crank–Nicolson in time (the
    step is the largest ``≤ dt`` landing on the output times; the matrix ``I − (h_t/2) α D₂`` is
    factorised once per step size). Second order in ``h`` and ``h_t``. Output on
    ``x_eval × t_eval`` (default a 101 × 101 grid of ``[0, 1]²``), off-node points by cubic splines.

    >>> from dnnsolve.pde.references import heat_solution, relative_l2
    >>> ref, s = heat_crank_nicolson(n=50, dt=1e-2, t_eval=[0.0, 0.5])
    >>> relative_l2(ref, heat_solution(ref.points)) < 1e-3
    True
    """
    from scipy.interpolate import CubicSpline
    from scipy.sparse.linalg import splu

    n = _intervals(n)
    if not (dt > 0 and alpha > 0):
        raise InputError(f"time step and diffusivity must be positive, got {dt}, {alpha}")
    xe = np.linspace(0.0, 1.0, 101) if x_eval is None else np.asarray(x_eval, float).ravel()
    te = _times(t_eval, np.linspace(0.0, 1.0, 101))
    start = time.perf_counter()
    x = np.linspace(0.0, 1.0, n + 1)
    init = (lambda s: np.sin(math.pi * s)) if u0 is None else u0
    u = np.asarray(init(x[1:-1]), dtype=np.float64)
    a = -alpha * _lap1d(n - 1, 1.0 / n)
    eye = sp.identity(n - 1, format="csc")
    cache: dict[float, tuple[Any, sp.csc_matrix]] = {}
    full = np.zeros((n + 1, te.size))
    now = 0.0
    for j, tj in enumerate(te):
        steps, h = _substeps(tj - now, dt)
        if steps:
            key = round(h, 14)
            if key not in cache:
                cache[key] = (splu((eye - 0.5 * h * a).tocsc()), (eye + 0.5 * h * a).tocsc())
            lhs, rhs = cache[key]
            for _ in range(steps):
                u = lhs.solve(rhs @ u)
            now = float(tj)
        full[1:-1, j] = u
    vals = CubicSpline(x, full, axis=0)(xe)
    src = f"Crank–Nicolson, 3-point FD, {n} intervals, dt ≤ {dt:g}"
    ref = Reference("heat-cn", grid_points(xe, te), vals.ravel(), vals.shape, (xe, te), src)
    return ref, time.perf_counter() - start


# --------------------------------------------------------------------------- references


def allen_cahn_reference(
    nx: int = 512, nt: int = 201, modes: int = 512, dt: float = 1e-3
) -> Reference:
    """Allen–Cahn ``u_t − 1e-4 u_xx + 5u³ − 5u = 0`` on ``[−1, 1)`` (periodic), ``t ∈ [0, 1]``,
    from the Fourier ETDRK4 solver (:func:`dnnsolve.pde.classical.allen_cahn_etdrk4`) on the grid
    of ``AC.mat`` (``x_j = −1 + 2j/nx``, ``nt`` times). With the defaults it agrees with ``AC.mat``
    to ``7e-12`` relative L2 in about 0.2 s: ``AC.mat`` was made with the same scheme."""
    nx, nt = _intervals(nx, "number of points"), _intervals(nt, "number of times")
    x = -1.0 + 2.0 * np.arange(nx) / nx
    ref, _ = allen_cahn_etdrk4(n=modes, dt=dt, x_eval=x, t_eval=np.linspace(0.0, 1.0, nt))
    return ref


def poisson_lshape_reference(n: int = 640) -> Reference:
    """The L-shape Poisson solution (``−Δu = 1``, ``u = 0`` on the boundary of
    ``[−1, 1]² \\ [0, 1]²``) by the 5-point finite-difference solver on an ``(n+1)²`` grid,
    NaN in the removed quadrant. The re-entrant corner limits the observed order to about 4/3:
    successive differences are 1.9e-3, 7.1e-4, 2.9e-4, 1.2e-4 (relative L2, ``n = 80 → 1280``),
    so the default ``n = 640`` (about 2 s) is within about ``2e-4`` of the limit. The built-in
    problem's reference (:func:`dnnsolve.pde.builtins.lshape_values`) extrapolates this grid and
    the one of ``n/2`` to about 1e-5.
    """
    ref, _ = fd_poisson_lshape(n=n)
    return ref
