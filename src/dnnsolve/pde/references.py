"""Reference solutions of the built-in PDE problems, data-file loaders and the relative-L2 metric.

Every reference is a :class:`Reference`: evaluation points ``(N, d)`` in float64 and the exact (or
trusted numerical) values there, with the tensor-grid layout for plotting when the points form
one. Coordinates are ordered **space first, time last** (``(x, t)``, ``(x, y)``, ``(x₁, …, x_d)``);
grids are ``meshgrid(..., indexing="ij")`` flattened in C order, so
``values.reshape(grid_shape)`` is indexed ``[i_x, i_t]`` (the layout of Raissi's ``usol``).

Analytic problems (no data needed)
----------------------------------
- Poisson 2-D, ``−Δu = f`` on ``[0, 1]²``: ``u = sin(aπx) sin(bπy)``, ``f = (a² + b²) π² u``,
  ``u = 0`` on the boundary; ``(a, b) = (1, 1)`` and the higher-frequency ``(4, 4)``.
- Poisson in ``d`` dimensions (Deep Ritz), ``−Δu = f`` on the unit cube ``[0, 1]^d`` or the unit
  ball: ``u = Σᵢ sin(π xᵢ / 2)``, ``f = (π² / 4) u``, Dirichlet data ``g = u`` on the boundary
  (``kind="sine"``); or the harmonic ``u = Σₖ x₂ₖ₋₁ x₂ₖ``, ``f = 0`` (``kind="ritz"``, the
  10-d example of E & Yu 2018 as we recall it: Dirichlet data ``g = u``).
- Heat 1-D, ``u_t = α u_xx`` on ``[0, 1] × [0, 1]``: ``u = exp(−απ²t) sin(πx)``.
- Helmholtz 2-D, ``Δu + k²u = q`` on ``[−1, 1]²``: ``u = sin(a₁πx) sin(a₂πy)``,
  ``q = (k² − (a₁² + a₂²) π²) u`` (Wang, Teng & Perdikaris 2021: ``a₁ = 1, a₂ = 4, k = 1``).

Burgers ``u_t + u u_x = ν u_xx`` (``ν = 0.01/π``, ``u(0, x) = −sin(πx)``, ``u(t, ±1) = 0``) is
evaluated from the Cole–Hopf integral by Gauss–Hermite quadrature (:func:`burgers_cole_hopf`);
it matches Raissi's ``burgers_shock.mat`` to about ``3e-12`` relative L2. Allen–Cahn is computed by
the ETDRK4 spectral solver (:func:`dnnsolve.pde.classical.allen_cahn_reference`), which
reproduces ``AC.mat`` to about ``7e-12``. Neither needs a data file.

Data files (``../shared/datasets/pde`` or ``$DNNSOLVE_DATA/pde``) are read by
:func:`load_burgers_shock`, :func:`load_allen_cahn` and :func:`load_poisson_lshape`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dnnsolve.core.errors import InputError

__all__ = [
    "ALLEN_CAHN_D",
    "ALLEN_CAHN_GAMMA",
    "BURGERS_NU",
    "HELMHOLTZ_WTP",
    "Reference",
    "allen_cahn_initial",
    "burgers_cole_hopf",
    "burgers_initial",
    "burgers_reference",
    "default_pde_data_dir",
    "grid_points",
    "heat_forcing",
    "heat_reference",
    "heat_solution",
    "helmholtz_forcing",
    "helmholtz_reference",
    "helmholtz_solution",
    "load_allen_cahn",
    "load_burgers_shock",
    "load_poisson_lshape",
    "poisson2d_forcing",
    "poisson2d_reference",
    "poisson2d_solution",
    "poisson_nd_forcing",
    "poisson_nd_reference",
    "poisson_nd_solution",
    "relative_l2",
]

#: Burgers viscosity of Raissi et al. (2019).
BURGERS_NU: float = 0.01 / math.pi
#: Allen–Cahn ``u_t − D u_xx + γ (u³ − u) = 0`` of Raissi et al.: diffusion and reaction rate.
ALLEN_CAHN_D: float = 1e-4
ALLEN_CAHN_GAMMA: float = 5.0
#: Helmholtz setting of Wang, Teng & Perdikaris (2021): ``(a₁, a₂, k)``.
HELMHOLTZ_WTP: tuple[float, float, float] = (1.0, 4.0, 1.0)

Array = Any  # numpy array or torch tensor: the analytic functions accept both


# --------------------------------------------------------------------------- the container


@dataclass(frozen=True, eq=False)
class Reference:
    """Reference values of a solution at evaluation points.

    ``points`` is ``(N, d)`` float64 (space first, time last); ``values`` is ``(N,)`` or ``(N, m)``.
    When the points form a tensor grid, ``grid_shape`` is its shape and ``axes`` the 1-D
    coordinates along each axis (``points == grid_points(*axes)``). ``NaN`` values mark points
    outside the domain (the L-shape file); :func:`relative_l2` skips them.

    >>> ref = poisson2d_reference(n=5)
    >>> ref.points.shape, ref.values.shape, ref.grid_shape, ref.dim
    ((25, 2), (25,), (5, 5), 2)
    >>> ref.grid_values().shape
    (5, 5)
    """

    name: str
    points: np.ndarray
    values: np.ndarray
    grid_shape: tuple[int, ...] | None = None
    axes: tuple[np.ndarray, ...] | None = None
    source: str = ""

    def __post_init__(self) -> None:
        pts = np.asarray(self.points, dtype=np.float64)
        vals = np.asarray(self.values, dtype=np.float64)
        if pts.ndim != 2:
            raise InputError(f"reference points must be (N, d), got shape {pts.shape}")
        if vals.ndim not in (1, 2) or vals.shape[0] != pts.shape[0]:
            raise InputError(
                f"reference values must be (N,) or (N, m) with N = {pts.shape[0]}, "
                f"got shape {vals.shape}"
            )
        object.__setattr__(self, "points", pts)
        object.__setattr__(self, "values", vals)
        if self.grid_shape is not None:
            shape = tuple(int(s) for s in self.grid_shape)
            if math.prod(shape) != pts.shape[0] or len(shape) != pts.shape[1]:
                raise InputError(f"grid shape {shape} does not match {pts.shape[0]} points")
            object.__setattr__(self, "grid_shape", shape)
        if self.axes is not None:
            axes = tuple(np.asarray(a, dtype=np.float64).ravel() for a in self.axes)
            if self.grid_shape is None or tuple(len(a) for a in axes) != self.grid_shape:
                raise InputError("reference axes need a grid_shape with the same lengths")
            object.__setattr__(self, "axes", axes)

    @property
    def dim(self) -> int:
        """Number of coordinates per point (space and time together)."""
        return int(self.points.shape[1])

    def grid_values(self) -> np.ndarray:
        """``values`` reshaped to ``grid_shape`` (plus the component axis when ``m > 1``)."""
        if self.grid_shape is None:
            raise InputError(f"reference {self.name!r} is not on a tensor grid")
        return self.values.reshape(self.grid_shape + self.values.shape[1:])

    def inside(self) -> Reference:
        """The same reference without the points whose value is NaN (outside the domain)."""
        keep = np.isfinite(self.values.reshape(len(self.values), -1)).all(axis=1)
        if keep.all():
            return self
        return Reference(self.name, self.points[keep], self.values[keep], source=self.source)

    def points_tensor(
        self, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> torch.Tensor:
        """The points as a torch tensor, for evaluating a network on them."""
        return torch.as_tensor(self.points, dtype=dtype, device=device)


def grid_points(*axes: Sequence[float] | np.ndarray) -> np.ndarray:
    """The ``(N, d)`` points of the tensor grid ``axes[0] × … × axes[d−1]`` (``ij`` order).

    >>> grid_points([0.0, 1.0], [5.0, 6.0, 7.0])[:4].tolist()
    [[0.0, 5.0], [0.0, 6.0], [0.0, 7.0], [1.0, 5.0]]
    """
    arrays = [np.asarray(a, dtype=np.float64).ravel() for a in axes]
    mesh = np.meshgrid(*arrays, indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=1)


def _grid_reference(name: str, axes: Sequence[np.ndarray], fn: Callable, source: str) -> Reference:
    axes = tuple(np.asarray(a, dtype=np.float64) for a in axes)
    pts = grid_points(*axes)
    return Reference(name, pts, fn(pts), tuple(len(a) for a in axes), axes, source)


def _as_float64(a: Any, what: str) -> np.ndarray:
    if isinstance(a, Reference):
        return a.values
    if isinstance(a, torch.Tensor):
        a = a.detach().to("cpu", torch.float64).numpy()
    try:
        return np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise InputError(f"{what} is not a numeric array ({e})") from None


def relative_l2(pred: Any, ref: Any) -> float:
    """Relative L2 error ``‖pred − ref‖₂ / ‖ref‖₂`` over the points where ``ref`` is finite.

    ``pred`` and ``ref`` are NumPy arrays, torch tensors (any device) or :class:`Reference`
    objects; shapes must have the same number of elements (``(N, 1)`` against ``(N,)`` is fine).
    A NaN in ``pred`` at a valid point gives NaN.

    >>> relative_l2(np.array([1.0, 2.0, 2.0]), np.array([1.0, 2.0, 3.0]))  # 1 / sqrt(14)
    0.2672612419124244
    >>> relative_l2([1.0, 5.0], [1.0, float("nan")])
    0.0
    """
    r = _as_float64(ref, "reference")
    p = _as_float64(pred, "prediction")
    if p.size != r.size:
        raise InputError(f"prediction has {p.size} values, the reference {r.size}")
    r = r.ravel()
    p = p.reshape(r.shape)
    ok = np.isfinite(r)
    den = float(np.linalg.norm(r[ok]))
    if den == 0.0:
        raise InputError("the reference is zero (or NaN) everywhere: relative error undefined")
    return float(np.linalg.norm(p[ok] - r[ok]) / den)


# --------------------------------------------------------------------------- analytic solutions


def _xp(x: Array):
    return torch if isinstance(x, torch.Tensor) else np


def poisson2d_solution(points: Array, freq: tuple[float, float] = (1.0, 1.0)) -> Array:
    """``u = sin(aπx) sin(bπy)`` at ``points (N, 2)`` (NumPy or torch), ``(a, b) = freq``.

    >>> float(poisson2d_solution(np.array([[0.5, 0.5]]))[0])
    1.0
    """
    xp = _xp(points)
    a, b = freq
    return xp.sin(a * math.pi * points[..., 0]) * xp.sin(b * math.pi * points[..., 1])


def poisson2d_forcing(points: Array, freq: tuple[float, float] = (1.0, 1.0)) -> Array:
    """``f = −Δu = (a² + b²) π² u`` for :func:`poisson2d_solution`."""
    a, b = freq
    return (a * a + b * b) * math.pi**2 * poisson2d_solution(points, freq)


def poisson2d_reference(freq: tuple[float, float] = (1.0, 1.0), n: int = 101) -> Reference:
    """Poisson ``−Δu = f`` on ``[0, 1]²``, ``u = 0`` on the boundary: exact values on an
    ``n × n`` grid (boundary included). ``freq=(4, 4)`` is the higher-frequency variant."""
    ax = np.linspace(0.0, 1.0, _count(n, 2))
    a, b = freq
    name = "poisson2d" if tuple(freq) == (1.0, 1.0) else f"poisson2d-{a:g}x{b:g}"
    src = f"analytic: u = sin({a:g}πx) sin({b:g}πy), f = {a * a + b * b:g}π² u on [0,1]²"
    return _grid_reference(name, (ax, ax), lambda p: poisson2d_solution(p, freq), src)


def poisson_nd_solution(points: Array, kind: str = "sine") -> Array:
    """Exact solution of the d-dimensional Poisson problem at ``points (N, d)``.

    ``kind="sine"``: ``u = Σᵢ sin(π xᵢ / 2)``; ``kind="ritz"``: ``u = Σₖ x₂ₖ₋₁ x₂ₖ``
    (``k = 1 … ⌊d/2⌋``, harmonic). Both are defined on all of ``ℝ^d``, so the Dirichlet data on any
    domain (cube or ball) is ``g = u`` restricted to its boundary.

    >>> float(poisson_nd_solution(np.ones((1, 5)))[0])
    5.0
    >>> float(poisson_nd_solution(np.full((1, 5), 2.0), kind="ritz")[0])
    8.0
    """
    xp = _xp(points)
    if kind == "sine":
        return xp.sin(0.5 * math.pi * points).sum(-1)
    if kind == "ritz":
        d = points.shape[-1] // 2 * 2
        if d == 0:
            raise InputError("the 'ritz' Poisson solution needs d >= 2")
        return (points[..., 0:d:2] * points[..., 1:d:2]).sum(-1)
    raise InputError(f"unknown high-dimensional Poisson solution {kind!r} (use sine or ritz)")


def poisson_nd_forcing(points: Array, kind: str = "sine") -> Array:
    """``f = −Δu`` for :func:`poisson_nd_solution`: ``(π²/4) u`` (sine) or ``0`` (ritz)."""
    if kind == "ritz":
        return 0.0 * poisson_nd_solution(points, kind)
    return (math.pi**2 / 4.0) * poisson_nd_solution(points, kind)


def poisson_nd_reference(
    d: int = 10, domain: str = "cube", n: int = 8192, seed: int = 0, kind: str = "sine"
) -> Reference:
    """High-dimensional Poisson (Deep Ritz) on the unit cube ``[0, 1]^d`` or the unit ball.

    ``n`` fixed evaluation points from scrambled Sobol' (seeded): uniform in the cube, and in the
    ball via Gaussian directions and radius ``s^{1/d}``.

    >>> ref = poisson_nd_reference(d=6, domain="ball", n=64)
    >>> ref.points.shape, bool((np.linalg.norm(ref.points, axis=1) <= 1).all())
    ((64, 6), True)
    """
    from scipy.stats import norm, qmc

    d = _count(d, 1, "dimension d")
    n = _count(n, 1)
    if domain not in ("cube", "ball"):
        raise InputError(f"unknown domain {domain!r} (use cube or ball)")
    poisson_nd_solution(np.zeros((1, d)), kind)  # validates kind and d
    extra = 1 if domain == "ball" else 0
    s = qmc.Sobol(d + extra, scramble=True, seed=seed).random(n)
    if domain == "cube":
        pts = s
    else:
        z = norm.ppf(np.clip(s[:, :d], 1e-12, 1 - 1e-12))
        pts = z / np.linalg.norm(z, axis=1, keepdims=True) * s[:, d:] ** (1.0 / d)
    formula = "Σ sin(π xᵢ/2), f = (π²/4) u" if kind == "sine" else "Σ x₂ₖ₋₁x₂ₖ, f = 0"
    where = "[0,1]^d" if domain == "cube" else "the unit ball"
    return Reference(
        f"poisson-nd{d}-{domain}",
        pts,
        poisson_nd_solution(pts, kind),
        source=f"analytic: −Δu = f on {where}, u = {formula}, g = u on the boundary; "
        f"{n} Sobol' points (seed {seed})",
    )


def heat_solution(points: Array, alpha: float = 0.4) -> Array:
    """``u = exp(−απ²t) sin(πx)`` at ``points (N, 2) = (x, t)``."""
    xp = _xp(points)
    return xp.exp(-alpha * math.pi**2 * points[..., 1]) * xp.sin(math.pi * points[..., 0])


def heat_forcing(points: Array, alpha: float = 0.4) -> Array:
    """Zero source of the heat problem (``u_t − α u_xx = 0``), shaped like the solution."""
    return 0.0 * heat_solution(points, alpha)


def heat_reference(alpha: float = 0.4, nx: int = 101, nt: int = 101) -> Reference:
    """Heat ``u_t = α u_xx`` on ``[0, 1] × [0, 1]``, ``u(0, x) = sin(πx)``, ``u(t, 0) = u(t, 1) =
    0``: exact values on an ``nx × nt`` grid of ``(x, t)``."""
    x = np.linspace(0.0, 1.0, _count(nx, 2))
    t = np.linspace(0.0, 1.0, _count(nt, 2))
    src = f"analytic: u = exp(−{alpha:g}π²t) sin(πx)"
    return _grid_reference("heat", (x, t), lambda p: heat_solution(p, alpha), src)


def helmholtz_solution(points: Array, a1: float = 1.0, a2: float = 4.0) -> Array:
    """``u = sin(a₁πx) sin(a₂πy)`` at ``points (N, 2)``."""
    xp = _xp(points)
    return xp.sin(a1 * math.pi * points[..., 0]) * xp.sin(a2 * math.pi * points[..., 1])


def helmholtz_forcing(points: Array, a1: float = 1.0, a2: float = 4.0, k: float = 1.0) -> Array:
    """``q = Δu + k²u = (k² − (a₁² + a₂²) π²) u`` for :func:`helmholtz_solution`."""
    return (k * k - (a1 * a1 + a2 * a2) * math.pi**2) * helmholtz_solution(points, a1, a2)


def helmholtz_reference(
    a1: float = 1.0, a2: float = 4.0, k: float = 1.0, n: int = 201
) -> Reference:
    """Helmholtz ``Δu + k²u = q`` on ``[−1, 1]²`` with ``u = 0`` on the boundary (integer
    ``a₁, a₂``): exact values on an ``n × n`` grid."""
    ax = np.linspace(-1.0, 1.0, _count(n, 2))
    src = (
        f"analytic: u = sin({a1:g}πx) sin({a2:g}πy), "
        f"q = ({k * k:g} − {a1 * a1 + a2 * a2:g}π²) u on [−1,1]² (Wang, Teng & Perdikaris 2021)"
    )
    return _grid_reference("helmholtz", (ax, ax), lambda p: helmholtz_solution(p, a1, a2), src)


# --------------------------------------------------------------------------- Burgers (Cole–Hopf)


def burgers_initial(x: Array) -> Array:
    """``u(0, x) = −sin(πx)``."""
    return -_xp(x).sin(math.pi * x)


def burgers_cole_hopf(
    x: Any, t: Any, nu: float = BURGERS_NU, nodes: int = 120, chunk: int = 16384
) -> np.ndarray:
    """Burgers ``u_t + u u_x = ν u_xx``, ``u(0, x) = −sin(πx)``, ``u(t, ±1) = 0``, by Cole–Hopf.

    With ``u = −2ν ∂ₓ log θ`` and ``θ`` the heat-kernel convolution of
    ``exp(−cos(πy) / (2πν))`` (the 2-periodic odd extension of the data, so ``u(t, ±1) = 0``),

        ``u(t, x) = −∫ sin(π(x − η)) F(x − η) e^{−η²/4νt} dη / ∫ F(x − η) e^{−η²/4νt} dη``.

    Substituting ``η = √(4νt) z`` turns both integrals into Gauss–Hermite sums over ``nodes``
    nodes. The factor ``F = exp(−cos(πy)/(2πν))`` is ``e^{±50}`` at ``ν = 0.01/π``, so the sums are
    formed as softmax weights (log-weights minus their maximum): no overflow, and ``t = 0`` gives
    ``−sin(πx)`` exactly. ``x`` and ``t`` broadcast together; the result has their shape (float64).
    Accuracy: 100 nodes already agree with 300 to ``1e-15``; against ``burgers_shock.mat`` the
    relative L2 difference is ``2.9e-12``.

    >>> u = burgers_cole_hopf(np.array([-1.0, -0.5, 0.0, 1.0]), 0.0)
    >>> np.allclose(u, [0.0, 1.0, 0.0, 0.0], atol=1e-15)
    True
    """
    if not (nu > 0 and math.isfinite(nu)):
        raise InputError(f"viscosity must be positive, got {nu}")
    nodes = _count(nodes, 2, "number of quadrature nodes")
    xb, tb = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(t, dtype=np.float64))
    if (tb < 0).any():
        raise InputError("Burgers time must be >= 0")
    z, w = np.polynomial.hermite.hermgauss(nodes)
    keep = w > 0  # very high orders underflow their outer weights to 0
    z, logw = z[keep], np.log(w[keep])
    xf, tf = xb.ravel(), tb.ravel()
    out = np.empty_like(xf)
    step = max(1, int(chunk))
    for s in range(0, xf.size, step):
        xs, ts = xf[s : s + step, None], tf[s : s + step, None]
        y = xs - np.sqrt(4.0 * nu * ts) * z
        a = logw - np.cos(math.pi * y) / (2.0 * math.pi * nu)
        e = np.exp(a - a.max(axis=1, keepdims=True))
        out[s : s + step] = -(np.sin(math.pi * y) * e).sum(axis=1) / e.sum(axis=1)
    return out.reshape(xb.shape)


def burgers_reference(
    x: Any = None, t: Any = None, nu: float = BURGERS_NU, nodes: int = 120
) -> Reference:
    """Cole–Hopf Burgers values on the grid ``x × t`` (default Raissi's: 256 points in
    ``[−1, 1]`` × 100 in ``[0, 0.99]``), ordered ``(x, t)`` like ``usol``. No data file needed."""
    xa = np.linspace(-1.0, 1.0, 256) if x is None else np.asarray(x, dtype=np.float64).ravel()
    ta = np.linspace(0.0, 0.99, 100) if t is None else np.asarray(t, dtype=np.float64).ravel()
    src = f"Cole–Hopf integral, Gauss–Hermite quadrature ({nodes} nodes), ν = {nu:.6g}"
    return _grid_reference(
        "burgers", (xa, ta), lambda p: burgers_cole_hopf(p[:, 0], p[:, 1], nu, nodes), src
    )


# --------------------------------------------------------------------------- Allen–Cahn


def allen_cahn_initial(x: Array) -> Array:
    """``u(0, x) = x² cos(πx)``."""
    return x * x * _xp(x).cos(math.pi * x)


# --------------------------------------------------------------------------- data files


def default_pde_data_dir() -> Path | None:
    """The ``pde`` folder of the datasets directory (``$DNNSOLVE_DATA``, else
    ``../shared/datasets``, see :func:`dnnsolve.data.default_data_dir`), or None."""
    from dnnsolve.data import default_data_dir

    base = default_data_dir()
    if base is None or not (base / "pde").is_dir():
        return None
    return base / "pde"


def _data_path(path: str | Path | None, relative: str, what: str) -> Path:
    if path is None:
        base = default_pde_data_dir()
        if base is None:
            raise InputError(
                f"no datasets folder for the {what} file ({relative}); pass a path or set "
                "DNNSOLVE_DATA"
            )
        path = base / relative
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{what} file not found: {p}")
    return p


def _read(p: Path, what: str) -> dict[str, np.ndarray]:
    try:
        if p.suffix.lower() == ".npz":
            with np.load(p, allow_pickle=False) as z:
                return {k: np.asarray(z[k]) for k in z.files}
        from scipy.io import loadmat

        return {k: v for k, v in loadmat(str(p)).items() if not k.startswith("__")}
    except Exception as e:  # scipy / numpy raise many types for corrupt files
        raise InputError(f"cannot read the {what} file ({type(e).__name__})", path=str(p)) from None


def _field(data: dict, keys: Sequence[str], p: Path, what: str) -> np.ndarray:
    for k in keys:
        if k in data:
            try:
                a = np.asarray(data[k], dtype=np.float64)
            except (TypeError, ValueError):
                raise InputError(f"{what}: array {k!r} is not real-valued", path=str(p)) from None
            return a
    raise InputError(f"{what}: missing array {keys[0]!r} (has {sorted(data)})", path=str(p))


def _vector(a: np.ndarray, key: str, p: Path, what: str) -> np.ndarray:
    if a.ndim > 2 or (a.ndim == 2 and min(a.shape) != 1) or a.size < 2:
        raise InputError(f"{what}: {key!r} must be a vector, got shape {a.shape}", path=str(p))
    v = a.ravel()
    if not np.isfinite(v).all() or not (np.diff(v) > 0).all():
        raise InputError(f"{what}: {key!r} must be finite and increasing", path=str(p))
    return v


def _space_time(
    p: Path, what: str, xkey: str, tkeys: Sequence[str], ukeys: Sequence[str], name: str, src: str
) -> Reference:
    data = _read(p, what)
    x = _vector(_field(data, [xkey], p, what), xkey, p, what)
    t = _vector(_field(data, tkeys, p, what), tkeys[0], p, what)
    u = _field(data, ukeys, p, what)
    if u.shape != (x.size, t.size):
        raise InputError(
            f"{what}: {ukeys[0]!r} must have shape ({x.size}, {t.size}) = (x, t), got {u.shape}",
            path=str(p),
        )
    if not np.isfinite(u).all():
        raise InputError(f"{what}: {ukeys[0]!r} has NaN or infinite values", path=str(p))
    return Reference(name, grid_points(x, t), u.ravel(), (x.size, t.size), (x, t), src)


def load_burgers_shock(path: str | Path | None = None) -> Reference:
    """Raissi's ``burgers_shock.mat`` (``x`` (256,1), ``t`` (100,1), ``usol`` (256,100)); also
    reads DeepXDE's identical ``Burgers.npz``. ``None`` looks in the datasets folder."""
    p = _data_path(path, "raissi_PINNs/burgers_shock.mat", "Burgers")
    return _space_time(
        p, "Burgers", "x", ["t"], ["usol"], "burgers", f"{p.name} (Raissi et al. 2019)"
    )


def load_allen_cahn(path: str | Path | None = None) -> Reference:
    """Raissi's ``AC.mat`` (``x`` (1,512), ``tt`` (1,201), ``uu`` (512,201)) for
    ``u_t − 1e-4 u_xx + 5u³ − 5u = 0``, periodic on ``[−1, 1]``, ``u(0, x) = x² cos(πx)``."""
    p = _data_path(path, "raissi_PINNs/AC.mat", "Allen-Cahn")
    return _space_time(
        p, "Allen-Cahn", "x", ["tt", "t"], ["uu"], "allen-cahn", f"{p.name} (Raissi et al. 2019)"
    )


def load_poisson_lshape(path: str | Path | None = None) -> Reference:
    """DeepXDE's ``Poisson_Lshape.npz`` (``X_test`` (N, 2), ``y_ref`` (N, 1)).

    The problem (DeepXDE example ``Poisson_Lshape.py``): ``−Δu = 1`` on the L-shape
    ``[−1, 1]² \\ [0, 1]²`` with ``u = 0`` on the boundary. Points in the removed quadrant carry
    NaN (kept, so the 161 × 161 grid stays whole for plotting; :func:`relative_l2` skips them,
    :meth:`Reference.inside` drops them). Caution: these values are about 10 % below the converged
    solution (relative L2 0.10 against :func:`dnnsolve.pde.classical.poisson_lshape_reference`; their own discrete
    Laplacian is ≈ −0.93, not −1), so prefer the finite-difference reference for accuracy claims.
    """
    p = _data_path(path, "deepxde_examples/Poisson_Lshape.npz", "Poisson L-shape")
    what = "Poisson L-shape"
    data = _read(p, what)
    pts = _field(data, ["X_test"], p, what)
    y = _field(data, ["y_ref"], p, what)
    if pts.ndim != 2 or pts.shape[1] != 2 or pts.shape[0] < 1:
        raise InputError(f"{what}: 'X_test' must be (N, 2), got {pts.shape}", path=str(p))
    if y.size != pts.shape[0] or (y.ndim == 2 and y.shape[1] != 1) or y.ndim > 2:
        raise InputError(f"{what}: 'y_ref' must be ({pts.shape[0]}, 1), got {y.shape}", path=str(p))
    if not np.isfinite(pts).all() or not np.isfinite(y).any():
        raise InputError(f"{what}: non-finite coordinates or no finite values", path=str(p))
    y = y.ravel()
    xs, ys = np.unique(pts[:, 0]), np.unique(pts[:, 1])
    shape, axes = None, None
    if xs.size * ys.size == pts.shape[0] and np.array_equal(pts, grid_points(xs, ys)):
        shape, axes = (xs.size, ys.size), (xs, ys)
    src = f"{p.name} (DeepXDE example data): −Δu = 1 on [−1,1]² \\ [0,1]², u = 0 on the boundary"
    return Reference("poisson-lshape", pts, y, shape, axes, src)


# --------------------------------------------------------------------------- helpers


def _count(n: Any, minimum: int, what: str = "number of points") -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < minimum:
        raise InputError(f"{what} must be an integer >= {minimum}, got {n!r}")
    return int(n)
