"""Domains and samplers: containment, boundary points and normals, boundary distance functions,
reproducibility, discrepancy, volumes, the DeepXDE L-shape data, periodic pairs, time domains,
residual-based resampling and argument checks."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.stats import qmc

from dnnsolve.core.errors import InputError
from dnnsolve.pde.autograd import gradient, laplacian, requires_grad
from dnnsolve.pde.geometry import (
    Ball,
    Box,
    Disk,
    Geometry,
    Interval,
    Polygon,
    Rectangle,
    TimeDomain,
)
from dnnsolve.pde.sampling import METHODS, UnitStream, rad_resample, rar_select, sample

F64 = torch.float64
LSHAPE_NPZ = (
    Path(__file__).resolve().parents[2] / "shared/datasets/pde/deepxde_examples/Poisson_Lshape.npz"
)


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


GEOMETRIES = {
    "interval": lambda: Interval(-1.0, 2.0),
    "rectangle": lambda: Rectangle([0, -1], [2, 1]),
    "box3": lambda: Box([0, 0, 0], [1, 2, 3]),
    "box5": lambda: Box([-1] * 5, [1] * 5),
    "ball1": lambda: Ball([0.5], 2.0),
    "disk": lambda: Disk([0.5, -0.5], 1.5),
    "ball3": lambda: Ball([0, 0, 1], 1.0),
    "ball6": lambda: Ball([0] * 6, 1.0),
    "lshape": Polygon.l_shape,
    "triangle": lambda: Polygon([[0, 0], [2, 0], [0.5, 1.5]]),
    "interval_t": lambda: TimeDomain(Interval(-1, 1), 0.0, 0.99),
    "disk_t": lambda: TimeDomain(Disk([0, 0], 1), 0.5, 1.0),
    "lshape_t": lambda: TimeDomain(Polygon.l_shape(), 0.0, 1.0),
}


def _space(geom: Geometry) -> Geometry:
    return geom.space if isinstance(geom, TimeDomain) else geom


def _analytic_normals(geom: Geometry, p: torch.Tensor) -> torch.Tensor:
    """Outward unit normals at boundary points ``p``, computed independently of the library."""
    if isinstance(geom, TimeDomain):
        nrm = _analytic_normals(geom.space, p[:, :-1])
        return torch.cat([nrm, torch.zeros_like(nrm[:, :1])], 1)
    if isinstance(geom, Box):
        lo, hi = geom.bbox
        at_lo, at_hi = (p - lo).abs() < 1e-12, (p - hi).abs() < 1e-12
        assert bool(((at_lo | at_hi).sum(1) >= 1).all())  # on some face
        nrm = at_hi.double() - at_lo.double()
        return nrm / nrm.norm(dim=1, keepdim=True)
    if isinstance(geom, Ball):
        return (p - geom.center) / geom.radius
    if isinstance(geom, Polygon):
        v = geom.vertices.numpy()
        area2 = np.sum(v[:, 0] * np.roll(v[:, 1], -1) - np.roll(v[:, 0], -1) * v[:, 1])
        assert area2 > 0  # stored counter-clockwise
        a, b = torch.from_numpy(v), torch.from_numpy(np.roll(v, -1, axis=0))
        ab = b - a
        t = (((p[:, None] - a) * ab).sum(-1) / (ab**2).sum(-1)).clamp(0, 1)
        dist = (p[:, None] - a - t[..., None] * ab).norm(dim=-1)
        edge = dist.argmin(1)
        assert float(dist.min(1).values.max()) < 1e-12
        out = torch.stack([ab[:, 1], -ab[:, 0]], 1) / ab.norm(dim=1, keepdim=True)
        return out[edge]
    raise AssertionError(type(geom))


# ----------------------------------------------------------------------------- sampling


@pytest.mark.parametrize("name", GEOMETRIES)
@pytest.mark.parametrize("method", METHODS)
def test_interior_points_inside(name: str, method: str) -> None:
    geom = GEOMETRIES[name]()
    x = geom.sample_interior(300, method, _gen(), dtype=F64)
    assert x.shape == (300, geom.dim) and x.dtype == F64
    assert bool(geom.contains(x).all())
    assert bool((geom.signed_distance(x) < 0).all())
    phi = geom.boundary_distance(x)
    assert phi.shape == (300,) and bool((phi > 0).all())
    # float32 points from the same stream are inside too (up to rounding)
    x32 = geom.sample_interior(300, method, _gen(), dtype=torch.float32)
    assert x32.dtype == torch.float32 and bool(geom.contains(x32).all())
    assert torch.allclose(x32.double(), x, atol=1e-6)


@pytest.mark.parametrize("name", GEOMETRIES)
@pytest.mark.parametrize("method", METHODS)
def test_boundary_points_and_normals(name: str, method: str) -> None:
    geom = GEOMETRIES[name]()
    p, nrm = geom.sample_boundary(200, method, _gen(1), dtype=F64)
    assert p.shape == nrm.shape == (200, geom.dim)
    assert float(geom.signed_distance(p).abs().max()) < 1e-6
    assert bool(geom.on_boundary(p).all()) and bool(geom.contains(p).all())
    assert float((nrm.norm(dim=1) - 1).abs().max()) < 1e-12
    assert float((nrm - _analytic_normals(geom, p)).abs().max()) < 1e-9
    assert float(geom.boundary_distance(p).abs().max()) < 1e-6
    # outward: a small step along the normal leaves the domain, a step against it enters
    # (away from corners, where a step of 1e-3 could cross another edge)
    sd = _space(geom)
    xs, ns = (p[:, : sd.dim], nrm[:, : sd.dim])
    far = torch.ones(len(p), dtype=torch.bool)
    if isinstance(sd, Polygon):
        far = (xs[:, None] - sd.vertices).norm(dim=-1).min(1).values > 1e-2
    elif isinstance(sd, Box) and sd.dim > 1:
        lo, hi = sd.bbox
        far = (torch.minimum(xs - lo, hi - xs) < 1e-12).sum(1) == 1
    assert int(far.sum()) > 100
    assert bool((sd.signed_distance(xs[far] + 1e-3 * ns[far]) > 0).all())
    assert bool((sd.signed_distance(xs[far] - 1e-3 * ns[far]) < 0).all())
    if isinstance(geom, TimeDomain):  # lateral boundary: all times, zero time normal
        assert float(nrm[:, -1].abs().max()) == 0
        assert geom.t0 <= float(p[:, -1].min()) and float(p[:, -1].max()) <= geom.t1


def test_boundary_points_spread_by_measure() -> None:
    box = Box([0, 0, 0], [1, 2, 3])  # face areas 6, 3, 2 (each twice)
    _, nrm = box.sample_boundary(2**14, "sobol", _gen(), dtype=F64)
    frac = nrm.abs().mean(0)
    assert torch.allclose(frac, torch.tensor([12, 6, 4], dtype=F64) / 22, atol=5e-3)
    lshape = Polygon.l_shape()  # perimeter 8; edge lengths 1, 1, 2, 2, 1, 1
    p, nrm = lshape.sample_boundary(2**14, "uniform", _gen(), dtype=F64)
    left = (nrm[:, 0] == -1).double().mean()  # the edge x = −1 has length 2
    assert abs(float(left) - 2 / 8) < 0.02
    disk = Disk([0, 0], 1)
    p, _ = disk.sample_boundary(2**12, "sobol", _gen(), dtype=F64)
    angles = torch.atan2(p[:, 1], p[:, 0])
    hist = torch.histc(angles, bins=8, min=-math.pi, max=math.pi) / len(p)
    assert float((hist - 1 / 8).abs().max()) < 5e-3


@pytest.mark.parametrize("method", METHODS)
def test_reproducible_with_seed(method: str) -> None:
    for geom in (Polygon.l_shape(), Ball([0, 0, 0], 1), TimeDomain(Interval(0, 1), 0, 1)):
        a = geom.sample_interior(100, method, _gen(3))
        b = geom.sample_interior(100, method, _gen(3))
        c = geom.sample_interior(100, method, _gen(4))
        assert torch.equal(a, b) and not torch.equal(a, c)
        pa, na = geom.sample_boundary(50, method, _gen(3))
        pb, nb = geom.sample_boundary(50, method, _gen(3))
        assert torch.equal(pa, pb) and torch.equal(na, nb)
    torch.manual_seed(7)
    a = sample([0, 0], [1, 1], 10, method)
    torch.manual_seed(7)
    assert torch.equal(a, sample([0, 0], [1, 1], 10, method))


def test_quasi_random_has_lower_discrepancy() -> None:
    box = Box([0, 0, 0], [1, 1, 1])
    disc = {m: [] for m in METHODS}
    for seed in range(5):
        for m in METHODS:
            x = box.sample_interior(256, m, _gen(seed), dtype=F64).numpy()
            disc[m].append(qmc.discrepancy(x))
    mean = {m: float(np.mean(v)) for m, v in disc.items()}
    assert mean["sobol"] < mean["lhs"] < mean["uniform"], mean
    assert max(disc["sobol"]) < min(disc["uniform"])


def test_sample_box_function() -> None:
    x = sample([0.0, -2.0], [1.0, 2.0], 64, "sobol", _gen(), dtype=F64)
    assert x.shape == (64, 2) and x.dtype == F64
    assert bool((x[:, 0] >= 0).all() and (x[:, 0] < 1).all() and (x[:, 1] >= -2).all())
    lhs = sample(0.0, 1.0, 10, "lhs", _gen())  # one point per stratum of width 1/10
    assert sorted((lhs[:, 0] * 10).floor().long().tolist()) == list(range(10))
    assert sample(torch.zeros(3, dtype=F64), torch.ones(3, dtype=F64), 5).shape == (5, 3)
    assert sample([0], [1], 0).shape == (0, 1)
    s = UnitStream(2, "sobol", _gen())
    first = torch.cat([s.draw(4), s.draw(4)])
    assert torch.equal(first, UnitStream(2, "sobol", _gen()).draw(8))  # one continued sequence


# ----------------------------------------------------------------------------- volumes, data


def test_volumes_exact_and_monte_carlo() -> None:
    cases = [
        (Polygon.l_shape(), 3.0),
        (Disk([1, 1], 1), math.pi),
        (Ball([0, 0, 0], 1), 4 * math.pi / 3),
        (Box([0, 0], [2, 3]), 6.0),
        (TimeDomain(Disk([0, 0], 1), 0, 2), 2 * math.pi),
    ]
    for geom, exact in cases:
        assert abs(geom.volume - exact) < 1e-12
        for method in ("sobol", "uniform"):
            est = geom.estimate_volume(2**15, method, _gen(1))
            assert abs(est - exact) / exact < (5e-3 if method == "sobol" else 3e-2), (geom, est)
    assert abs(Disk([0, 0], 2).boundary_measure - 4 * math.pi) < 1e-12
    assert Polygon.l_shape().boundary_measure == 8.0
    assert Interval(0, 1).boundary_measure == 2.0


@pytest.mark.skipif(not LSHAPE_NPZ.exists(), reason="shared PDE datasets not present")
def test_poisson_lshape_points_in_lshape() -> None:
    """DeepXDE's Poisson_Lshape.npz: a 161×161 grid of [−1, 1]² whose reference is NaN exactly
    on the removed quadrant (0, 1]²; every point with a reference value lies in the L-shape."""
    data = np.load(LSHAPE_NPZ)
    x = torch.from_numpy(data["X_test"])
    finite = torch.from_numpy(np.isfinite(data["y_ref"][:, 0]))
    inside = Polygon.l_shape().contains(x)
    assert int(finite.sum()) == 19521
    assert bool(inside[finite].all())
    assert torch.equal(inside, finite)


def test_grid() -> None:
    g = Polygon.l_shape().grid(161, dtype=F64)
    assert g.shape == (161, 161) and g.points.shape == (19521, 2)  # the npz's finite points
    vals = g.fill(g.points[:, 0])
    assert vals.shape == (161, 161)
    assert bool(torch.isnan(vals[-1, -1])) and float(vals[0, 0]) == -1.0
    box = Box([0, 0, 0], [1, 1, 2]).grid([2, 3, 4])
    assert box.shape == (2, 3, 4) and box.points.shape == (24, 3) and bool(box.mask.all())
    assert torch.equal(box.points.reshape(2, 3, 4, 3)[1, 2, 3], torch.tensor([1.0, 1.0, 2.0]))
    td = TimeDomain(Disk([0, 0], 1), 0, 1).grid([11, 11, 3])
    assert td.shape == (11, 11, 3) and 0 < td.points.shape[0] < 11 * 11 * 3
    assert bool(TimeDomain(Disk([0, 0], 1), 0, 1).contains(td.points).all())


# ----------------------------------------------------------------------------- distance functions


def test_boundary_distance_formulas() -> None:
    x = torch.tensor([[0.5, 0.5], [0.0, 0.5], [0.25, 0.75]], dtype=F64)
    box = Box([0, 0], [1, 1])
    expected = 16 * x[:, 0] * (1 - x[:, 0]) * x[:, 1] * (1 - x[:, 1])
    assert torch.allclose(box.boundary_distance(x), expected)
    ball = Ball([0, 0], 2)
    assert torch.allclose(ball.boundary_distance(x), 1 - (x**2).sum(1) / 4)
    td = TimeDomain(box, 0.0, 1.0)
    xt = torch.cat([x, torch.full((3, 1), 0.3, dtype=F64)], 1)
    assert torch.allclose(td.boundary_distance(xt), expected)
    assert torch.allclose(td.time_factor(xt), torch.full((3,), 0.3, dtype=F64))
    assert torch.allclose(td.time_factor(xt[:, -1]), torch.full((3,), 0.3, dtype=F64))


def test_lshape_distance_vanishes_on_the_edges_only() -> None:
    """The L-shape's closed-form φ: 0 on its boundary, > 0 inside, finite derivatives."""
    lshape = Polygon.l_shape()
    p, _ = lshape.sample_boundary(400, generator=_gen())
    p = torch.cat([p.double(), lshape.vertices])
    assert float(lshape.boundary_distance(p).abs().max()) < 1e-12
    x = requires_grad(lshape.sample_interior(500, "sobol", _gen(), dtype=F64))
    phi = lshape.boundary_distance(x)
    assert float(phi.min()) > 0
    # like a distance near an edge's middle: φ ∝ δ (moving in from x = −1 at y = −0.5)
    near = torch.tensor([[-1 + 1e-3, -0.5], [-1 + 1e-4, -0.5]], dtype=F64)
    d1, d2 = lshape.boundary_distance(near).tolist()
    assert abs(d1 / d2 - 10.0) < 0.05  # linear in δ, up to O(δ²)
    g, lap = gradient(phi, x), laplacian(phi, x)
    assert bool(torch.isfinite(g).all() and torch.isfinite(lap).all())
    # at the re-entrant corner Δφ stays bounded (a distance ∝ r would give 1/r there, whose
    # square is not integrable): along the bisector at r = 1e-2 and 1e-5
    diag = requires_grad(torch.tensor([[-1e-2, -1e-2], [-1e-5, -1e-5]], dtype=F64) / math.sqrt(2))
    lap_c = laplacian(lshape.boundary_distance(diag), diag).abs().tolist()
    assert max(lap_c) < 1 and lap_c[1] < lap_c[0]
    corner = requires_grad(torch.zeros(1, 2, dtype=F64))  # φ = 0 with finite derivatives
    phi0 = lshape.boundary_distance(corner)
    assert float(phi0) == 0 and bool(torch.isfinite(gradient(phi0, corner)).all())


def test_polygon_distance_is_smooth_and_normalised() -> None:
    """Sukumar–Srivastava distance: ≈ distance near an edge, finite derivatives everywhere."""
    lshape = Polygon([[0, 0], [1, 0], [1, -1], [-1, -1], [-1, 1], [0, 1]])  # the generic polygon
    # moving inward from the middle of the edge x = −1 by δ gives φ ≈ δ
    for delta in (1e-3, 1e-4):
        phi = lshape.boundary_distance(torch.tensor([[-1 + delta, -0.5]], dtype=F64))
        assert abs(float(phi) - delta) < 10 * delta**2
    x = requires_grad(lshape.sample_interior(200, "sobol", _gen(), dtype=F64))
    phi = lshape.boundary_distance(x)
    g, lap = gradient(phi, x), laplacian(phi, x)
    assert bool(torch.isfinite(g).all() and torch.isfinite(lap).all())
    # unlike LShape's φ, the generic distance's Laplacian grows like 1/r at a re-entrant corner
    diag = requires_grad(torch.tensor([[-1e-2, -1e-2], [-1e-5, -1e-5]], dtype=F64) / math.sqrt(2))
    lap_c = laplacian(lshape.boundary_distance(diag), diag).abs().tolist()
    assert 500 < lap_c[1] / lap_c[0] < 2000
    # autograd gradient matches central differences
    h = 1e-6
    fd = torch.stack(
        [
            (
                lshape.boundary_distance(x.detach() + h * e)
                - lshape.boundary_distance(x.detach() - h * e)
            )
            / (2 * h)
            for e in torch.eye(2, dtype=F64)
        ],
        1,
    )
    assert float((fd - g.detach()).abs().max()) < 1e-6
    # at boundary points (vertices included) values are 0 and derivatives stay finite
    p, _ = lshape.sample_boundary(100, generator=_gen())
    p = requires_grad(torch.cat([p.double(), lshape.vertices]))
    phi = lshape.boundary_distance(p)
    assert float(phi.detach().abs().max()) < 1e-12
    assert bool(torch.isfinite(gradient(phi, p)).all())


def test_hard_constraint_vanishes_on_boundary() -> None:
    for geom in (Box([0, 0], [1, 1]), Disk([0, 0], 1), Polygon.l_shape()):
        p, _ = geom.sample_boundary(64, "lhs", _gen(), dtype=F64)
        net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
        u = 0.3 + geom.boundary_distance(p) * net.double()(p)[:, 0]  # u = A + φ N with A = 0.3
        assert float((u - 0.3).detach().abs().max()) < 1e-12


# ----------------------------------------------------------------------------- periodic, time


def test_periodic_pairs() -> None:
    box = Box([0, -1, 2], [1, 1, 5])
    left, right = box.periodic_pairs(64, axis=1, method="sobol", generator=_gen(), dtype=F64)
    assert left.shape == right.shape == (64, 3)
    assert bool((left[:, 1] == -1).all() and (right[:, 1] == 1).all())
    assert torch.equal(left[:, [0, 2]], right[:, [0, 2]])
    assert bool(box.on_boundary(left).all() and box.on_boundary(right).all())
    assert float(left[:, [0, 2]].std(0).min()) > 0.2  # spread over the face
    l1, r1 = Interval(-1, 1).periodic_pairs(3, 0)
    assert l1.flatten().tolist() == [-1.0] * 3 and r1.flatten().tolist() == [1.0] * 3
    td = TimeDomain(Interval(-1, 1), 0.0, 1.0)  # Allen–Cahn: u(−1, t) = u(1, t)
    lt, rt = td.periodic_pairs(32, 0, generator=_gen(), dtype=F64)
    assert torch.equal(lt[:, 1], rt[:, 1]) and bool((lt[:, 0] == -1).all())
    assert float(lt[:, 1].min()) >= 0 and float(lt[:, 1].max()) <= 1
    with pytest.raises(InputError):
        box.periodic_pairs(4, axis=3)
    with pytest.raises(InputError):
        td.periodic_pairs(4, axis=1)  # time is not a spatial axis
    with pytest.raises(InputError):
        TimeDomain(Disk([0, 0], 1), 0, 1).periodic_pairs(4, 0)


def test_time_domain() -> None:
    td = TimeDomain(Polygon.l_shape(), 0.25, 1.0)
    assert td.dim == 3 and abs(td.volume - 2.25) < 1e-12
    x0 = td.sample_initial(50, "lhs", _gen(), dtype=F64)
    assert x0.shape == (50, 3) and bool((x0[:, 2] == 0.25).all())
    assert bool(td.space.contains(x0[:, :2]).all()) and bool(td.contains(x0).all())
    assert float(td.time_factor(x0).abs().max()) == 0
    x = td.sample_interior(200, generator=_gen(), dtype=F64)
    assert float(x[:, 2].min()) > 0.25 and float(x[:, 2].max()) < 1.0
    assert torch.allclose(td.boundary_distance(x), td.space.boundary_distance(x[:, :2]))
    lo, hi = td.bbox
    assert lo.tolist() == [-1, -1, 0.25] and hi.tolist() == [1, 1, 1.0]
    outside = torch.tensor([[-0.5, -0.5, 1.5], [0.5, 0.5, 0.5]], dtype=F64)
    assert td.contains(outside).tolist() == [False, False]


# ----------------------------------------------------------------------------- adaptive sampling


def test_rar_select() -> None:
    x = torch.arange(10, dtype=F64)[:, None]
    r = torch.tensor([0, -9, 1, 8, 0, 0, 7, 0, 0, 0], dtype=F64)
    pts, idx = rar_select(x, r, 3, return_indices=True)
    assert idx.tolist() == [1, 3, 6] and pts.flatten().tolist() == [1.0, 3.0, 6.0]
    rm = torch.zeros(10, 2, dtype=F64)
    rm[4] = torch.tensor([3.0, 4.0])  # norm 5 per point
    assert rar_select(x, rm, 1).item() == 4.0
    with pytest.raises(InputError):
        rar_select(x, r, 11)
    with pytest.raises(InputError):
        rar_select(x, r[:5], 2)


def test_rad_resample() -> None:
    x = torch.linspace(0, 1, 1000, dtype=F64)[:, None]
    r = torch.where(x[:, 0] > 0.8, 10.0, 0.1).double()
    y = rad_resample(x, r, 100, k=1, c=0, generator=_gen())
    share = float((y > 0.8).double().mean())
    # p ∝ |r|: the 200 points with r = 10 hold 2000/(2000 + 80) of the mass (> 1000/1080
    # still after 100 draws without replacement)
    assert share > 0.9
    y2 = rad_resample(x, r, 100, k=1, c=1, generator=_gen())
    assert 0.3 < float((y2 > 0.8).double().mean()) < share  # c mixes in uniform draws
    assert torch.equal(y, rad_resample(x, r, 100, k=1, c=0, generator=_gen()))
    _, idx = rad_resample(x, r, 300, generator=_gen(), return_indices=True)
    assert len(set(idx.tolist())) == 300  # without replacement
    u = rad_resample(x, torch.zeros(1000, dtype=F64), 500, k=2, c=0, generator=_gen())
    assert 0.3 < float(u.mean()) < 0.7  # zero residuals: uniform
    with pytest.raises(InputError):
        rad_resample(x, r, 2000)
    with pytest.raises(InputError):
        rad_resample(x, r, 10, k=-1)
    with pytest.raises(InputError):
        rad_resample(x, r * math.nan, 10)


# ----------------------------------------------------------------------------- bad arguments


def test_bad_arguments() -> None:
    bad = [
        lambda: Interval(1, 1),
        lambda: Interval(2, 1),
        lambda: Interval(0, math.inf),
        lambda: Box([0, 0], [1, 0]),
        lambda: Box([0, 0], [1, 1, 1]),
        lambda: Rectangle([0, 0, 0], [1, 1, 1]),
        lambda: Ball([0, 0], -1.0),
        lambda: Ball([0, 0], 0.0),
        lambda: Disk([0, 0, 0], 1.0),
        lambda: Polygon([[0, 0], [1, 1]]),  # < 3 vertices
        lambda: Polygon([[0, 0], [1, 1], [2, 2]]),  # collinear: zero area
        lambda: Polygon([[0, 0], [1, 0], [1, 0], [0, 1]]),  # repeated vertex
        lambda: Polygon([[0, 0], [3, 0], [0, 1], [1, 2]]),  # self-intersecting, area ≠ 0
        lambda: Polygon([[0, 0], [2, 0], [1, 0], [1, 1]]),  # edge folds back on itself
        lambda: Polygon([[0, 0, 0], [1, 0, 0], [0, 1, 0]]),
        lambda: TimeDomain(Interval(0, 1), 1.0, 1.0),
        lambda: TimeDomain(TimeDomain(Interval(0, 1), 0, 1), 0, 1),
        lambda: Polygon.l_shape().sample_interior(10, "halton"),
        lambda: Disk([0, 0], 1).sample_boundary(10, "grid"),
        lambda: Box([0], [1]).sample_interior(-1),
        lambda: sample([0], [1], 5, "random"),
        lambda: sample([1], [0], 5),
        lambda: Box([0, 0], [1, 1]).contains(torch.zeros(4, 3)),
        lambda: Box([0, 0], [1, 1]).grid([3]),
    ]
    for make in bad:
        with pytest.raises(InputError):
            make()
    # a closed ring (first vertex repeated) and clockwise order are accepted
    ring = Polygon([[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]])
    assert ring.volume == 1.0 and ring.vertices.shape == (4, 2)


def test_reprs_and_defaults() -> None:
    assert repr(Interval(0, 1)) == "Interval(0.0, 1.0)"
    assert "TimeDomain(Disk" in repr(TimeDomain(Disk([0, 0], 1), 0, 1))
    x = Disk([0, 0], 1).sample_interior(8)
    assert x.dtype == torch.get_default_dtype() and x.device.type == "cpu"
    assert Disk([0, 0], 1).sample_interior(0).shape == (0, 2)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_sampling_and_distances() -> None:
    """Same code on CUDA: a CUDA generator, CUDA points, distances and operators on the GPU."""
    dev = torch.device("cuda")
    g = torch.Generator(device=dev).manual_seed(0)
    for geom in (Polygon.l_shape(), Ball([0, 0, 0], 1), TimeDomain(Interval(-1, 1), 0, 1)):
        for method in METHODS:
            x = geom.sample_interior(500, method, g)
            assert x.device.type == "cuda" and bool(geom.contains(x).all())
            p, nrm = geom.sample_boundary(200, method, g, dtype=F64)
            assert nrm.device.type == "cuda"
            assert p.device.type == "cuda" and float(geom.signed_distance(p).abs().max()) < 1e-6
            xr = requires_grad(x.double())
            lap = laplacian(geom.boundary_distance(xr), xr)
            assert lap.device.type == "cuda" and bool(torch.isfinite(lap).all())
    x = torch.rand(1000, 2, device=dev, generator=g)
    r = x[:, 0] ** 2
    assert rad_resample(x, r, 100, generator=g).device.type == "cuda"
    assert rar_select(x, r, 10).device.type == "cuda"
