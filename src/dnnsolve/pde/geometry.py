"""Domains for PDEs: interval, box, ball, polygon and their product with a time interval.

Every domain is a :class:`Geometry` with one interface:

- ``dim``, ``bbox`` (``(lo, hi)`` float64 tensors), ``volume`` and ``boundary_measure`` (exact);
- ``signed_distance(x)`` (negative inside, 0 on the boundary, positive outside) and
  ``contains(x)`` / ``on_boundary(x)`` built on it (closed domain, with a rounding tolerance);
- ``sample_interior(n, method, generator)`` and ``sample_boundary(...)`` (points with outward
  unit normals, spread in proportion to the boundary measure), ``method`` one of
  ``"sobol"``, ``"lhs"``, ``"uniform"`` (see :mod:`dnnsolve.pde.sampling`);
- ``boundary_distance(x)``: a smooth function, exactly 0 on the boundary and positive inside,
  for hard Dirichlet constraints ``u = A(x) + φ(x) · N(x)`` (Lagaris trial solutions); each
  domain documents which function it uses;
- ``grid(n_per_dim)``: a regular evaluation grid with its shape for reshaping and plots.

Points are ``(N, dim)`` tensors; for a :class:`TimeDomain` the last column is time. All
methods follow the device and dtype of their input points; samplers default to the
generator's device (else the CPU) and torch's default dtype. Interior points of non-box
domains come from rejection of quasi-random points of the bounding box (balls use an exact
volume-preserving map instead, since rejection degrades with the dimension).

>>> L = Polygon.l_shape()
>>> x = L.sample_interior(64, "sobol", torch.Generator().manual_seed(0), dtype=torch.float64)
>>> bool(L.contains(x).all()), L.volume
(True, 3.0)
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from dnnsolve.core.errors import InputError

from .sampling import ArrayLike, UnitStream, as_vector, check_count, check_method

__all__ = [
    "Ball",
    "Box",
    "Disk",
    "Geometry",
    "Grid",
    "Interval",
    "Polygon",
    "Rectangle",
    "TimeDomain",
]

Device = torch.device | str | None


def _safe_sqrt(s: torch.Tensor) -> torch.Tensor:
    """``sqrt(s)`` for ``s >= 0`` whose autograd stays finite at ``s = 0`` (gradient 0 there)."""
    pos = s > 0
    return torch.where(
        pos, torch.sqrt(torch.where(pos, s, torch.ones_like(s))), torch.zeros_like(s)
    )


def _next_pow2(m: int) -> int:
    return 1 << max(0, math.ceil(math.log2(max(m, 1))))


@dataclass(frozen=True)
class Grid:
    """A regular grid over a domain's bounding box, restricted to the (closed) domain.

    ``axes[i]`` holds the coordinates along dimension ``i``; the full grid has shape
    ``shape = tuple(len(a) for a in axes)`` with ``"ij"`` indexing, and ``mask`` (that shape)
    marks the nodes inside the domain; ``points`` ``(M, dim)`` lists those nodes in C order.
    :meth:`fill` scatters per-point values back onto the full grid (NaN outside).

    >>> g = Box([0, 0], [1, 2]).grid([3, 5], dtype=torch.float64)
    >>> g.shape, g.points.shape, tuple(g.fill(g.points[:, 1]).shape)
    ((3, 5), torch.Size([15, 2]), (3, 5))
    """

    axes: tuple[torch.Tensor, ...]
    points: torch.Tensor
    mask: torch.Tensor

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the full grid (one entry per dimension)."""
        return tuple(len(a) for a in self.axes)

    def fill(self, values: torch.Tensor, fill_value: float = math.nan) -> torch.Tensor:
        """Values at :attr:`points` (``(M,)`` or ``(M, k)``) on the full grid, ``fill_value`` outside."""
        values = torch.as_tensor(values)
        if values.shape[0] != self.points.shape[0]:
            raise InputError(f"{values.shape[0]} values for {self.points.shape[0]} grid points")
        dtype = values.dtype if values.is_floating_point() else torch.get_default_dtype()
        out = torch.full(
            (*self.shape, *values.shape[1:]), fill_value, dtype=dtype, device=values.device
        )
        out[self.mask.to(values.device)] = values.to(dtype)
        return out


class Geometry(ABC):
    """A bounded domain in ``dim`` dimensions (see the module docstring for the interface).

    Subclasses implement :meth:`signed_distance`, :meth:`boundary_distance`, ``volume``,
    ``boundary_measure`` and the boundary map ``_boundary_map`` (unit cube → boundary points
    and normals); interior sampling defaults to rejection from the bounding box.
    """

    dim: int
    #: dimension of the unit cube fed to :meth:`_interior_map` (``dim`` for bbox rejection)
    _interior_dim: int
    #: dimension of the unit cube fed to :meth:`_boundary_map`
    _boundary_dim: int

    def __init__(self, lo: torch.Tensor, hi: torch.Tensor):
        self._lo = lo.to(torch.float64)
        self._hi = hi.to(torch.float64)
        self.dim = int(lo.numel())
        self._interior_dim = self.dim
        self._cache: dict[tuple[str, torch.device, torch.dtype], torch.Tensor] = {}

    # ------------------------------------------------------------------ parameters, checks

    def _t(self, name: str, like: torch.Tensor) -> torch.Tensor:
        """Stored float64 parameter ``_<name>`` on ``like``'s device and dtype (cached)."""
        key = (name, like.device, like.dtype)
        t = self._cache.get(key)
        if t is None:
            t = getattr(self, "_" + name).to(device=like.device, dtype=like.dtype)
            self._cache[key] = t
        return t

    def _check_points(self, x: torch.Tensor, what: str = "points") -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[1] != self.dim:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise InputError(f"expected {what} of shape (N, {self.dim}), got {shape}")
        if not x.is_floating_point():
            raise InputError(f"{what} must be a floating-point tensor, got {x.dtype}")
        return x

    @property
    def _scale(self) -> float:
        return max(1.0, float(self._lo.abs().max()), float(self._hi.abs().max()))

    def default_tol(self, dtype: torch.dtype) -> float:
        """Rounding tolerance of :meth:`contains` / :meth:`on_boundary` for points of ``dtype``."""
        return 64 * torch.finfo(dtype).eps * self._scale

    # ------------------------------------------------------------------ geometry

    @property
    def bbox(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Bounding box ``(lo, hi)``, float64 CPU tensors of length ``dim``."""
        return self._lo.clone(), self._hi.clone()

    @property
    @abstractmethod
    def volume(self) -> float:
        """Exact d-dimensional volume (length, area, ...)."""

    @property
    @abstractmethod
    def boundary_measure(self) -> float:
        """Exact (d−1)-dimensional measure of the boundary (2 for an interval: two points)."""

    @abstractmethod
    def signed_distance(self, x: torch.Tensor) -> torch.Tensor:
        """Signed Euclidean distance to the boundary, ``(N,)``: < 0 inside, 0 on it, > 0 outside."""

    @abstractmethod
    def boundary_distance(self, x: torch.Tensor) -> torch.Tensor:
        """Smooth ``φ(x)``, ``(N,)``: exactly 0 on the boundary, > 0 inside (hard constraints)."""

    def contains(self, x: torch.Tensor, tol: float | None = None) -> torch.Tensor:
        """Bool ``(N,)``: inside the closed domain, up to ``tol`` (default :meth:`default_tol`)."""
        x = self._check_points(x)
        tol = self.default_tol(x.dtype) if tol is None else tol
        with torch.no_grad():
            return self.signed_distance(x) <= tol

    def on_boundary(self, x: torch.Tensor, tol: float | None = None) -> torch.Tensor:
        """Bool ``(N,)``: within ``tol`` of the boundary (default :meth:`default_tol`)."""
        x = self._check_points(x)
        tol = self.default_tol(x.dtype) if tol is None else tol
        with torch.no_grad():
            return self.signed_distance(x).abs() <= tol

    # ------------------------------------------------------------------ sampling

    def _interior_map(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Unit-cube points → (candidate points, bool mask of the accepted ones)."""
        lo, hi = self._t("lo", u), self._t("hi", u)
        x = lo + (hi - lo) * u
        return x, self.signed_distance(x) < 0

    @abstractmethod
    def _boundary_map(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Unit-cube points ``(n, _boundary_dim)`` → (boundary points, outward unit normals)."""

    def _acceptance(self) -> float:
        """Expected fraction of accepted candidates in :meth:`_interior_map`."""
        box = float(torch.prod(self._hi - self._lo))
        return min(1.0, max(self.volume / box, 1e-4)) if box > 0 else 1.0

    def sample_interior(
        self,
        n: int,
        method: str = "sobol",
        generator: torch.Generator | None = None,
        device: Device = None,
        dtype: torch.dtype | None = None,
    ) -> torch.Tensor:
        """``n`` points strictly inside the domain, ``(n, dim)``.

        Candidates come from one quasi-random (or uniform) stream, drawn until ``n`` are
        accepted, so a seeded ``generator`` makes the result deterministic.
        """
        n = check_count(n)
        stream = UnitStream(self._interior_dim, check_method(method), generator)
        # sobol: first batch and every later one double the total, keeping it a power of two
        m = math.ceil(1.1 * n / self._acceptance()) + 16
        m = _next_pow2(m) if stream.method == "sobol" else m
        budget = 1000 * m  # far beyond the expected draws: only a wrong volume gets here
        chunks, have, drawn = [], 0, 0
        while have < n:
            if drawn > budget:
                raise InputError(f"could not sample {n} interior points of {self!r}")
            u = stream.draw(m)
            drawn += m
            with torch.no_grad():
                x, keep = self._interior_map(u)
            chunks.append(x[keep])
            have += chunks[-1].shape[0]
            if stream.method == "sobol":
                m = drawn
        x = torch.cat(chunks)[:n] if chunks else torch.zeros(0, self.dim, dtype=torch.float64)
        return self._out(x, generator, device, dtype)

    def sample_boundary(
        self,
        n: int,
        method: str = "sobol",
        generator: torch.Generator | None = None,
        device: Device = None,
        dtype: torch.dtype | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` boundary points and their outward unit normals, both ``(n, dim)``.

        Points are spread in proportion to the boundary measure (faces by area, polygon
        edges by length, uniform on spheres).
        """
        n = check_count(n)
        u = UnitStream(self._boundary_dim, check_method(method), generator).draw(n)
        with torch.no_grad():
            x, nrm = self._boundary_map(u)
        return self._out(x, generator, device, dtype), self._out(nrm, generator, device, dtype)

    @staticmethod
    def _out(
        x: torch.Tensor,
        generator: torch.Generator | None,
        device: Device,
        dtype: torch.dtype | None,
    ) -> torch.Tensor:
        if device is None:
            device = generator.device if generator is not None else torch.device("cpu")
        return x.to(device=device, dtype=dtype or torch.get_default_dtype()).contiguous()

    def estimate_volume(
        self, n: int = 2**16, method: str = "sobol", generator: torch.Generator | None = None
    ) -> float:
        """Monte Carlo volume: bbox volume × fraction of ``n`` bbox points inside (a check of
        :meth:`contains` against the exact :attr:`volume`)."""
        n = check_count(n)
        u = UnitStream(self.dim, method, generator).draw(n).cpu()
        x = self._lo + (self._hi - self._lo) * u
        box = float(torch.prod(self._hi - self._lo))
        return box * float(self.contains(x).double().mean())

    def grid(
        self,
        n_per_dim: int | Sequence[int],
        device: Device = None,
        dtype: torch.dtype | None = None,
    ) -> Grid:
        """Regular grid of the bounding box (``n_per_dim`` nodes per axis, an int or one per
        axis, ends included), restricted to the closed domain."""
        counts = [n_per_dim] * self.dim if isinstance(n_per_dim, (int, np.integer)) else n_per_dim
        counts = [check_count(c, "grid size") for c in counts]
        if len(counts) != self.dim or min(counts) < 1:
            raise InputError(f"grid needs {self.dim} positive sizes, got {n_per_dim!r}")
        dtype = dtype or torch.get_default_dtype()
        axes64 = [
            torch.linspace(float(a), float(b), c, dtype=torch.float64)
            for a, b, c in zip(self._lo, self._hi, counts)
        ]
        full = torch.stack(torch.meshgrid(*axes64, indexing="ij"), dim=-1).reshape(-1, self.dim)
        mask = self.contains(full)
        dev = torch.device("cpu") if device is None else device
        return Grid(
            axes=tuple(a.to(device=dev, dtype=dtype) for a in axes64),
            points=full[mask].to(device=dev, dtype=dtype),
            mask=mask.reshape(counts).to(dev),
        )


# ---------------------------------------------------------------------------- boxes


class Box(Geometry):
    """The box ``[lo_1, hi_1] × … × [lo_d, hi_d]`` in any dimension ``d >= 1``.

    ``boundary_distance`` is the normalised product ``∏ᵢ (xᵢ − loᵢ)(hiᵢ − xᵢ) / hᵢ²`` with
    ``hᵢ = (hiᵢ − loᵢ)/2``: a polynomial (smooth everywhere), 1 at the centre, 0 on every face.

    >>> b = Box([0, 0, 0], [1, 2, 3])
    >>> b.dim, b.volume, b.boundary_measure
    (3, 6.0, 22.0)
    """

    def __init__(self, lo: ArrayLike, hi: ArrayLike):
        lo_t, hi_t = as_vector(lo, "lo"), as_vector(hi, "hi")
        if lo_t.shape != hi_t.shape:
            raise InputError(f"box corners differ in length ({lo_t.numel()} vs {hi_t.numel()})")
        if not bool((hi_t > lo_t).all()):
            raise InputError(f"empty box: need lo < hi, got lo={lo_t.tolist()}, hi={hi_t.tolist()}")
        super().__init__(lo_t, hi_t)
        self._boundary_dim = self.dim
        ext = hi_t - lo_t
        # measure of each face, ordered (axis 0 low, axis 0 high, axis 1 low, ...)
        face = torch.stack(
            [torch.prod(torch.cat([ext[:i], ext[i + 1 :]])) for i in range(self.dim)]
        )
        self._faces = face.repeat_interleave(2)
        self._half = ext / 2

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._lo.tolist()}, {self._hi.tolist()})"

    @property
    def volume(self) -> float:
        return float(torch.prod(self._hi - self._lo))

    @property
    def boundary_measure(self) -> float:
        return float(self._faces.sum())

    def signed_distance(self, x: torch.Tensor) -> torch.Tensor:
        x = self._check_points(x)
        lo, hi = self._t("lo", x), self._t("hi", x)
        q = (x - (lo + hi) / 2).abs() - (hi - lo) / 2
        outside = torch.linalg.vector_norm(q.clamp(min=0), dim=1)
        return outside + q.max(dim=1).values.clamp(max=0)

    def boundary_distance(self, x: torch.Tensor) -> torch.Tensor:
        x = self._check_points(x)
        lo, hi, h = self._t("lo", x), self._t("hi", x), self._t("half", x)
        return torch.prod((x - lo) * (hi - x) / h**2, dim=1)

    def _interior_map(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        lo, hi = self._t("lo", u), self._t("hi", u)
        return lo + (hi - lo) * u, torch.ones(u.shape[0], dtype=torch.bool, device=u.device)

    def _acceptance(self) -> float:
        return 1.0

    def _boundary_map(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        d, n = self.dim, u.shape[0]
        faces = self._t("faces", u)
        cum = torch.cumsum(faces, 0) / faces.sum()
        face = torch.searchsorted(cum, u[:, 0].contiguous(), right=True).clamp(max=2 * d - 1)
        axis, side = face // 2, (face % 2).to(u.dtype)
        v = torch.empty(n, d, dtype=u.dtype, device=u.device)
        normals = torch.zeros(n, d, dtype=u.dtype, device=u.device)
        for a in range(d):
            rows = axis == a
            # face coordinates from the remaining unit columns, the face's own axis fixed
            face_pts = torch.cat([u[rows, 1 : a + 1], side[rows, None], u[rows, a + 1 :]], dim=1)
            v[rows] = face_pts
            normals[rows, a] = 2 * side[rows] - 1
        lo, hi = self._t("lo", u), self._t("hi", u)
        x = lo + (hi - lo) * v
        # faces exactly on the planes (no rounding in lo + (hi - lo) * 1)
        x = torch.where(v == 1, hi.expand_as(x), torch.where(v == 0, lo.expand_as(x), x))
        return x, normals

    def periodic_pairs(
        self,
        n: int,
        axis: int,
        method: str = "sobol",
        generator: torch.Generator | None = None,
        device: Device = None,
        dtype: torch.dtype | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Paired points on the faces ``x[axis] = lo[axis]`` and ``x[axis] = hi[axis]``, both
        ``(n, dim)``, equal in every other coordinate (for periodic conditions
        ``u(left) = u(right)``).

        >>> left, right = Box([0, 0], [1, 2]).periodic_pairs(4, axis=1)
        >>> bool((left[:, 0] == right[:, 0]).all()), left[:, 1].tolist(), right[:, 1].tolist()
        (True, [0.0, 0.0, 0.0, 0.0], [2.0, 2.0, 2.0, 2.0])
        """
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise InputError(f"axis must be an integer, got {axis!r}")
        if not 0 <= axis < self.dim:
            raise InputError(f"axis {axis} out of range for a {self.dim}-D box")
        u = UnitStream(self.dim - 1, check_method(method), generator).draw(check_count(n)).cpu()
        lo, hi = self._lo, self._hi
        other = [j for j in range(self.dim) if j != axis]
        left = lo.repeat(u.shape[0], 1)
        left[:, other] = lo[other] + (hi[other] - lo[other]) * u
        right = left.clone()
        right[:, axis] = hi[axis]
        return self._out(left, generator, device, dtype), self._out(right, generator, device, dtype)


class Interval(Box):
    """The interval ``[a, b]`` (a 1-D :class:`Box`); its boundary is the two end points.

    ``boundary_distance`` is ``(x − a)(b − x) / ((b − a)/2)²``.

    >>> Interval(-1, 1).boundary_distance(torch.tensor([[-1.0], [0.0], [0.5]]))
    tensor([0.0000, 1.0000, 0.7500])
    """

    def __init__(self, a: float, b: float):
        try:
            a, b = float(a), float(b)
        except (TypeError, ValueError) as exc:
            raise InputError(f"interval ends must be numbers, got {a!r}, {b!r}") from exc
        if not (math.isfinite(a) and math.isfinite(b)) or not a < b:
            raise InputError(f"empty interval [{a}, {b}]: need finite a < b")
        super().__init__([a], [b])
        self.a, self.b = a, b

    def __repr__(self) -> str:
        return f"Interval({self.a}, {self.b})"


class Rectangle(Box):
    """A 2-D :class:`Box` ``[lo_x, hi_x] × [lo_y, hi_y]``."""

    def __init__(self, lo: ArrayLike, hi: ArrayLike):
        super().__init__(lo, hi)
        if self.dim != 2:
            raise InputError(f"a rectangle needs 2-D corners, got {self.dim}-D")


# ---------------------------------------------------------------------------- balls


class Ball(Geometry):
    """The closed ball ``|x − center| <= radius`` in ``d = len(center)`` dimensions.

    ``boundary_distance`` is ``(r² − |x − c|²) / r²``: smooth, 1 at the centre, 0 on the
    sphere. Interior points use an exact volume-preserving map of the unit cube (``d = 2``:
    ``(r√u, 2πv)``; ``d >= 3``: Gaussian direction and radius ``r·w^{1/d}``), not rejection.

    >>> round(Ball([0, 0, 0], 2).volume, 6), round(Disk([0, 0], 1).boundary_measure, 6)
    (33.510322, 6.283185)
    """

    def __init__(self, center: ArrayLike, radius: float):
        c = as_vector(center, "center")
        try:
            r = float(radius)
        except (TypeError, ValueError) as exc:
            raise InputError(f"radius must be a number, got {radius!r}") from exc
        if not (math.isfinite(r) and r > 0):
            raise InputError(f"ball radius must be positive, got {radius}")
        super().__init__(c - r, c + r)
        self._center = c
        self.radius = r
        d = self.dim
        self._interior_dim = d + 1 if d >= 3 else d
        self._boundary_dim = 1 if d <= 2 else d

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._center.tolist()}, {self.radius})"

    @property
    def center(self) -> torch.Tensor:
        """Centre, a float64 CPU tensor."""
        return self._center.clone()

    @property
    def volume(self) -> float:
        d = self.dim
        return math.pi ** (d / 2) / math.gamma(d / 2 + 1) * self.radius**d

    @property
    def boundary_measure(self) -> float:
        d = self.dim
        return 2 * math.pi ** (d / 2) / math.gamma(d / 2) * self.radius ** (d - 1)

    def signed_distance(self, x: torch.Tensor) -> torch.Tensor:
        x = self._check_points(x)
        return torch.linalg.vector_norm(x - self._t("center", x), dim=1) - self.radius

    def boundary_distance(self, x: torch.Tensor) -> torch.Tensor:
        x = self._check_points(x)
        r2 = self.radius**2
        return (r2 - ((x - self._t("center", x)) ** 2).sum(dim=1)) / r2

    def _acceptance(self) -> float:
        return 1.0

    def _directions(self, u: torch.Tensor) -> torch.Tensor:
        """Unit vectors from unit-cube points: ``d`` Gaussians (inverse CDF), normalised."""
        g = torch.special.ndtri(u.clamp(1e-12, 1 - 1e-12))
        return g / torch.linalg.vector_norm(g, dim=1, keepdim=True).clamp(min=1e-300)

    def _interior_map(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        d, r = self.dim, self.radius
        c = self._t("center", u)
        if d == 1:
            x = c + r * (2 * u - 1)
        elif d == 2:
            rho, th = r * torch.sqrt(u[:, 0]), 2 * math.pi * u[:, 1]
            x = c + rho[:, None] * torch.stack([torch.cos(th), torch.sin(th)], dim=1)
        else:
            x = c + r * u[:, d : d + 1] ** (1.0 / d) * self._directions(u[:, :d])
        keep = torch.ones(u.shape[0], dtype=torch.bool, device=u.device)
        return x, keep

    def _boundary_map(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        d = self.dim
        if d == 1:
            nrm = torch.where(u < 0.5, -1.0, 1.0).to(u.dtype)
        elif d == 2:
            th = 2 * math.pi * u[:, 0]
            nrm = torch.stack([torch.cos(th), torch.sin(th)], dim=1)
        else:
            nrm = self._directions(u)
        return self._t("center", u) + self.radius * nrm, nrm


class Disk(Ball):
    """A 2-D :class:`Ball`."""

    def __init__(self, center: ArrayLike, radius: float):
        super().__init__(center, radius)
        if self.dim != 2:
            raise InputError(f"a disk needs a 2-D centre, got {self.dim}-D")


# ---------------------------------------------------------------------------- polygons


def _orient(p: np.ndarray, q: np.ndarray, r: np.ndarray) -> float:
    """Twice the signed area of the triangle ``p q r`` (> 0: counter-clockwise)."""
    return float((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]))


def _segments_meet(p1, p2, p3, p4, tol: float) -> bool:
    """Whether the closed segments ``p1p2`` and ``p3p4`` share a point (``tol``: area scale)."""
    o1, o2 = _orient(p1, p2, p3), _orient(p1, p2, p4)
    o3, o4 = _orient(p3, p4, p1), _orient(p3, p4, p2)

    def between(p, q, r) -> bool:  # r on segment pq, given collinear
        return (
            min(p[0], q[0]) - 1e-12 <= r[0] <= max(p[0], q[0]) + 1e-12
            and min(p[1], q[1]) - 1e-12 <= r[1] <= max(p[1], q[1]) + 1e-12
        )

    if ((o1 > tol and o2 < -tol) or (o1 < -tol and o2 > tol)) and (
        (o3 > tol and o4 < -tol) or (o3 < -tol and o4 > tol)
    ):
        return True
    return (
        (abs(o1) <= tol and between(p1, p2, p3))
        or (abs(o2) <= tol and between(p1, p2, p4))
        or (abs(o3) <= tol and between(p3, p4, p1))
        or (abs(o4) <= tol and between(p3, p4, p2))
    )


class Polygon(Geometry):
    """A simple polygon (2-D) given by its vertices in order (either orientation).

    Vertices are stored counter-clockwise, so the outward normal of edge ``a → b`` is
    ``(b_y − a_y, a_x − b_x) / |b − a|``. ``boundary_distance`` is the approximate distance
    function of Sukumar & Srivastava ("Exact imposition of boundary conditions with distance
    functions in physics-informed deep neural networks", CMAME 389 (2022) 114333,
    arXiv:2104.08426): per edge the trimmed-segment function
    ``φᵢ = sqrt(f² + ((sqrt(t² + f⁴) − t)/2)²)`` (``f``: signed distance to the edge's line,
    ``t``: trimming disc), joined by R-equivalence ``φ = 1 / Σᵢ 1/φᵢ``. It is exactly 0 on the
    edges, positive elsewhere, ``C^∞`` in the open interior and behaves like the distance near
    each edge (``∂φ/∂n = −1`` there), so it also suits non-convex polygons such as the L-shape.
    On the boundary itself φ is not differentiable (it has a kink like ``|f|``); autograd
    returns finite values there, so apply derivative operators to interior points.

    >>> sq = Polygon([[0, 0], [1, 0], [1, 1], [0, 1]])
    >>> sq.volume, sq.boundary_measure, sq.contains(torch.tensor([[0.5, 0.5], [2.0, 0.5]])).tolist()
    (1.0, 4.0, [True, False])
    """

    def __init__(self, vertices: ArrayLike | Sequence[Sequence[float]]):
        try:
            v = np.array(vertices, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(f"polygon vertices must be an (n, 2) array of numbers: {exc}") from exc
        if v.ndim != 2 or v.shape[1] != 2:
            raise InputError(f"polygon vertices must have shape (n, 2), got {v.shape}")
        if not np.isfinite(v).all():
            raise InputError("polygon vertices must be finite")
        if len(v) >= 2 and np.array_equal(v[0], v[-1]):
            v = v[:-1]  # closed ring given: drop the repeated first vertex
        if len(v) < 3:
            raise InputError(f"a polygon needs at least 3 vertices, got {len(v)}")
        edges = np.roll(v, -1, axis=0) - v
        lengths = np.hypot(edges[:, 0], edges[:, 1])
        scale = max(1.0, float(np.abs(v).max()))
        if (lengths <= 1e-12 * scale).any():
            raise InputError("polygon has repeated consecutive vertices (a zero-length edge)")
        area2 = float(np.sum(v[:, 0] * np.roll(v[:, 1], -1) - np.roll(v[:, 0], -1) * v[:, 1]))
        if abs(area2) <= 1e-12 * scale**2:
            raise InputError("degenerate polygon: zero area (collinear vertices)")
        if area2 < 0:
            v = v[::-1].copy()
        self._check_simple(v, 1e-12 * scale**2)
        t = torch.from_numpy(v)
        super().__init__(t.min(dim=0).values, t.max(dim=0).values)
        self._boundary_dim = 1
        self._area = abs(area2) / 2
        self._a = t
        self._b = torch.roll(t, -1, dims=0)
        ab = self._b - self._a
        self._len = torch.linalg.vector_norm(ab, dim=1)
        self._normals = torch.stack([ab[:, 1], -ab[:, 0]], dim=1) / self._len[:, None]

    @staticmethod
    def _check_simple(v: np.ndarray, tol: float) -> None:
        m = len(v)
        for i in range(m):
            p1, p2 = v[i], v[(i + 1) % m]
            for j in range(i + 1, m):
                p3, p4 = v[j], v[(j + 1) % m]
                if j == i + 1 or (i == 0 and j == m - 1):
                    # adjacent edges share a vertex; they must not fold back onto each other
                    d1 = p2 - p1 if j == i + 1 else p1 - p2
                    d2 = p4 - p3 if j == i + 1 else p3 - p4
                    cross = d1[0] * d2[1] - d1[1] * d2[0]
                    if abs(cross) <= tol and d1 @ d2 < 0:
                        raise InputError(f"polygon is not simple: edges {i} and {j} overlap")
                elif _segments_meet(p1, p2, p3, p4, tol):
                    raise InputError(f"polygon is not simple: edges {i} and {j} intersect")

    @classmethod
    def l_shape(cls) -> Polygon:
        """DeepXDE's L-shape ``[−1, 1]² \\ [0, 1]²`` (area 3), the domain of its
        ``Poisson_Lshape`` example, with a closed-form boundary distance (:class:`LShape`)."""
        return LShape()

    def __repr__(self) -> str:
        return f"Polygon({self._a.tolist()})"

    @property
    def vertices(self) -> torch.Tensor:
        """Vertices, counter-clockwise, float64 CPU ``(n, 2)``."""
        return self._a.clone()

    @property
    def volume(self) -> float:
        return self._area

    @property
    def boundary_measure(self) -> float:
        return float(self._len.sum())

    def _chunks(self, x: torch.Tensor) -> list[torch.Tensor]:
        rows = max(1, 2**22 // self._a.shape[0])  # bound the (rows, edges) work arrays
        return list(torch.split(x, rows)) if x.shape[0] > rows else [x]

    def signed_distance(self, x: torch.Tensor) -> torch.Tensor:
        x = self._check_points(x)
        a, b = self._t("a", x), self._t("b", x)
        ab, l2 = b - a, self._t("len", x) ** 2
        out = []
        for xc in self._chunks(x):
            ap = xc[:, None, :] - a  # (n, E, 2)
            t = ((ap * ab).sum(-1) / l2).clamp(0, 1)
            dist = torch.linalg.vector_norm(ap - t[..., None] * ab, dim=-1).min(dim=1).values
            px, py = xc[:, 0:1], xc[:, 1:2]
            crosses = (a[:, 1] > py) != (b[:, 1] > py)
            dy = torch.where(ab[:, 1] == 0, torch.ones_like(ab[:, 1]), ab[:, 1])
            x_int = a[:, 0] + (py - a[:, 1]) * ab[:, 0] / dy
            inside = ((crosses & (px < x_int)).sum(dim=1) % 2) == 1  # even-odd rule
            out.append(torch.where(inside, -dist, dist))
        return torch.cat(out)

    def boundary_distance(self, x: torch.Tensor) -> torch.Tensor:
        x = self._check_points(x)
        a, b, length = self._t("a", x), self._t("b", x), self._t("len", x)
        ab, mid = b - a, (a + b) / 2
        out = []
        for xc in self._chunks(x):
            ap = xc[:, None, :] - a
            f = (ap[..., 0] * ab[:, 1] - ap[..., 1] * ab[:, 0]) / length  # signed line distance
            t = ((length / 2) ** 2 - ((xc[:, None, :] - mid) ** 2).sum(-1)) / length  # trim
            varphi = _safe_sqrt(t**2 + f**4)
            phi = _safe_sqrt(f**2 + ((varphi - t) / 2) ** 2)  # (n, E)
            on_edge = (phi <= 0).any(dim=1)
            safe = torch.where(phi > 0, phi, torch.ones_like(phi))
            val = 1 / (1 / safe).sum(dim=1)
            out.append(torch.where(on_edge, torch.zeros_like(val), val))
        return torch.cat(out)

    def _boundary_map(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a, b, length = self._t("a", u), self._t("b", u), self._t("len", u)
        cum = torch.cumsum(length, 0)
        s = u[:, 0] * cum[-1]
        e = torch.searchsorted(cum, s.contiguous(), right=True).clamp(max=len(length) - 1)
        frac = ((s - (cum[e] - length[e])) / length[e]).clamp(0, 1)[:, None]
        x = a[e] + frac * (b[e] - a[e])
        return x, self._t("normals", u)[e]


# ---------------------------------------------------------------------------- space × time


class LShape(Polygon):
    """The L-shape ``[−1, 1]² \\ [0, 1]²`` with a boundary function shaped by its re-entrant
    corner: ``φ = (1 − x²)(1 − y²) · r^(2/3) sin(2α/3)``, ``r = |(x, y)|`` and ``α`` the angle
    from the nearer re-entrant edge (``sin(2α/3) = cos(2ψ/3)``, ``ψ`` the angle from the
    bisector direction ``(−1, −1)``).

    Zero on every edge, positive inside, with a non-zero normal derivative on the edges like a
    distance. The corner factor is the harmonic function ``r^(π/ω) sin(πθ/ω)`` of the corner's
    angle ``ω = 3π/2``, the leading term of every solution of a Poisson problem there. Why not
    a distance that vanishes like ``r``: its Laplacian grows like ``1/r`` at the corner, whose
    square is not integrable, so ``φ·N`` has an unbounded PINN residual unless ``N`` vanishes
    at the corner while the solution grows like ``r^(2/3)`` (a seed of the L-shape recipe
    ended at rel. L2 0.45 that way). This φ has a bounded Laplacian (the corner factor is
    harmonic and the gradient of the polynomial factor vanishes at the corner), and the
    solution over φ stays bounded.

    >>> L = LShape()
    >>> pts = torch.tensor([[0.0, 0.5], [0.5, 0.0], [-1.0, 0.3], [-0.5, -0.5]], dtype=torch.float64)
    >>> [round(float(v), 4) for v in L.boundary_distance(pts)]
    [0.0, 0.0, 0.0, 0.4465]
    """

    def __init__(self) -> None:
        super().__init__([[0, 0], [1, 0], [1, -1], [-1, -1], [-1, 1], [0, 1]])

    def boundary_distance(self, x: torch.Tensor) -> torch.Tensor:
        x = self._check_points(x)
        a, b = x[:, 0], x[:, 1]
        s = a * a + b * b
        away = s > 0  # at the corner itself φ = 0, with a zero (not NaN) gradient
        a_, b_ = torch.where(away, a, torch.ones_like(a)), torch.where(away, b, torch.zeros_like(b))
        # the angle from the nearer re-entrant edge: atan2 gives exactly 0 on the edge, so φ is
        # exactly 0 there (cos(2ψ/3) at ψ = ±3π/4 would leave 6e-17); 0 − b, not −b, gives +0
        alpha = torch.where(b_ < a_, torch.atan2(0 - b_, a_), torch.atan2(0 - a_, b_))
        rho = torch.where(away, torch.where(away, s, torch.ones_like(s)) ** (1 / 3), 0 * s)
        return (1 - a * a) * (1 - b * b) * rho * torch.sin(2 * alpha / 3)


class TimeDomain(Geometry):
    """The space–time cylinder ``geometry × [t0, t1]``; points are ``(x_1, …, x_d, t)``.

    - ``sample_interior``: interior of space × time;
    - ``sample_boundary``: the *spatial* boundary × ``[t0, t1]`` (lateral surface; normals
      have a zero time component); the faces ``t = t0`` / ``t = t1`` are not included;
    - ``sample_initial``: spatial interior at ``t = t0``;
    - ``boundary_distance(x)``: the spatial domain's ``boundary_distance`` of the space
      columns (0 on the lateral boundary, independent of ``t``); multiply by
      :meth:`time_factor` (``t − t0``) for a hard initial condition as well, e.g.
      ``u = g(x) + time_factor · φ(x) · N(x, t)``;
    - ``volume`` / ``boundary_measure`` / ``signed_distance``: of the whole cylinder
      (boundary measure of the lateral surface).

    >>> D = TimeDomain(Interval(-1, 1), 0.0, 0.99)
    >>> x0 = D.sample_initial(5, generator=torch.Generator().manual_seed(0))
    >>> x0.shape, x0[:, 1].tolist()
    (torch.Size([5, 2]), [0.0, 0.0, 0.0, 0.0, 0.0])
    """

    def __init__(self, geometry: Geometry, t0: float, t1: float):
        if not isinstance(geometry, Geometry) or isinstance(geometry, TimeDomain):
            raise InputError(f"TimeDomain needs a spatial Geometry, got {type(geometry).__name__}")
        try:
            t0, t1 = float(t0), float(t1)
        except (TypeError, ValueError) as exc:
            raise InputError(f"time bounds must be numbers, got {t0!r}, {t1!r}") from exc
        if not (math.isfinite(t0) and math.isfinite(t1)) or not t0 < t1:
            raise InputError(f"empty time interval [{t0}, {t1}]: need finite t0 < t1")
        lo, hi = geometry.bbox
        super().__init__(torch.cat([lo, lo.new_tensor([t0])]), torch.cat([hi, hi.new_tensor([t1])]))
        self.space = self.geometry = geometry
        self.t0, self.t1 = t0, t1
        self._interior_dim = geometry._interior_dim + 1
        self._boundary_dim = geometry._boundary_dim + 1

    def __repr__(self) -> str:
        return f"TimeDomain({self.space!r}, {self.t0}, {self.t1})"

    @property
    def volume(self) -> float:
        return self.space.volume * (self.t1 - self.t0)

    @property
    def boundary_measure(self) -> float:
        return self.space.boundary_measure * (self.t1 - self.t0)

    def _acceptance(self) -> float:
        return self.space._acceptance()

    def signed_distance(self, x: torch.Tensor) -> torch.Tensor:
        x = self._check_points(x)
        a = self.space.signed_distance(x[:, :-1])
        t = x[:, -1]
        b = torch.maximum(self.t0 - t, t - self.t1)
        outside = torch.sqrt(a.clamp(min=0) ** 2 + b.clamp(min=0) ** 2)
        return outside + torch.maximum(a, b).clamp(max=0)

    def boundary_distance(self, x: torch.Tensor) -> torch.Tensor:
        x = self._check_points(x)
        return self.space.boundary_distance(x[:, :-1])

    def time_factor(self, x: torch.Tensor) -> torch.Tensor:
        """``t − t0``, ``(N,)``, from points ``(N, dim)`` (time = last column) or times ``(N,)``
        / ``(N, 1)``: 0 at the initial time, for hard initial conditions."""
        if x.dim() == 2 and x.shape[1] == self.dim:
            t = x[:, -1]
        elif x.dim() == 1 or (x.dim() == 2 and x.shape[1] == 1):
            t = x.reshape(-1)
        else:
            raise InputError(f"expected (N, {self.dim}) points or (N,) times, got {tuple(x.shape)}")
        return t - self.t0

    def _interior_map(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, keep = self.space._interior_map(u[:, :-1])
        t = self.t0 + (self.t1 - self.t0) * u[:, -1:]
        return torch.cat([x, t], dim=1), keep

    def _boundary_map(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, nrm = self.space._boundary_map(u[:, :-1])
        t = self.t0 + (self.t1 - self.t0) * u[:, -1:]
        return torch.cat([x, t], dim=1), torch.cat([nrm, torch.zeros_like(t)], dim=1)

    def sample_initial(
        self,
        n: int,
        method: str = "sobol",
        generator: torch.Generator | None = None,
        device: Device = None,
        dtype: torch.dtype | None = None,
    ) -> torch.Tensor:
        """``n`` points of the spatial interior at ``t = t0``, ``(n, dim)``."""
        x = self.space.sample_interior(n, method, generator, device, dtype)
        return torch.cat([x, torch.full_like(x[:, :1], self.t0)], dim=1)

    def periodic_pairs(
        self,
        n: int,
        axis: int,
        method: str = "sobol",
        generator: torch.Generator | None = None,
        device: Device = None,
        dtype: torch.dtype | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Paired points on opposite faces of a box-shaped space (spatial ``axis``), with equal
        other coordinates and time: see :meth:`Box.periodic_pairs`."""
        if not isinstance(self.space, Box):
            raise InputError("periodic pairs need a box-shaped (Interval / Box) spatial domain")
        is_int = isinstance(axis, (int, np.integer)) and not isinstance(axis, bool)
        if is_int and not 0 <= axis < self.space.dim:
            raise InputError(f"axis {axis} is not a spatial axis of a {self.space.dim}-D domain")
        return Box(self._lo, self._hi).periodic_pairs(n, axis, method, generator, device, dtype)
