"""Projections of "Learning Without Loss": nearest point (against brute force) and idempotence."""

from __future__ import annotations

import numpy as np
import pytest
import torch

scipy_optimize = pytest.importorskip("scipy.optimize")

from dnnsolve.rrr.lwl.network import FeedForwardDC, init_params  # noqa: E402
from dnnsolve.rrr.lwl.nmf import NMFDC  # noqa: E402
from dnnsolve.rrr.lwl.projections import (  # noqa: E402
    bilinear_project,
    class_bounds,
    consensus,
    interval_project,
    relu_project,
    sphere_project,
    step_project,
)

D = torch.float64


def _t(a):
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


def _brute_bilinear(x, w, y, omega, g2, rng, starts=12):
    """Nearest point of {x'.w' = omega y'} by SLSQP from many starts (independent of the code)."""
    n = len(x)
    x0 = np.concatenate([x, w, [y]])
    sq = np.sqrt(g2)

    def obj(v):
        return np.sum((v[:n] - x) ** 2) + np.sum((v[n : 2 * n] - w) ** 2) + g2 * (v[-1] - y) ** 2

    cons = {"type": "eq", "fun": lambda v: v[:n] @ v[n : 2 * n] - omega * v[-1]}
    best = np.inf
    for s in range(starts):
        start = x0 + (0 if s == 0 else rng.normal(scale=1.0, size=x0.shape))
        r = scipy_optimize.minimize(
            obj, start, constraints=[cons], method="SLSQP", options={"ftol": 1e-14, "maxiter": 500}
        )
        if r.success and abs(cons["fun"](r.x)) < 1e-8:
            best = min(best, r.fun)
    assert sq > 0
    return best


@pytest.mark.parametrize("seed", range(6))
def test_bilinear_is_nearest_point(seed):
    rng = np.random.default_rng(seed)
    n = 3
    x, w = rng.normal(size=n), rng.normal(size=n)
    y = float(rng.normal() * 2)
    omega, g2 = float(rng.uniform(0.5, 3)), float(rng.uniform(0.5, 4))
    xp, wp, yp = bilinear_project(_t([x]), _t([w]), _t([y]), omega, g2)
    xp, wp, yp = xp.numpy()[0], wp.numpy()[0], float(yp[0])
    assert abs(xp @ wp - omega * yp) < 1e-10  # on the set
    d = np.sum((xp - x) ** 2) + np.sum((wp - w) ** 2) + g2 * (yp - y) ** 2
    brute = _brute_bilinear(x, w, y, omega, g2, rng)
    assert d <= brute + 1e-8, (d, brute)


@pytest.mark.parametrize("seed", range(4))
def test_bilinear_fixed_rhs_is_nearest_point(seed):
    rng = np.random.default_rng(100 + seed)
    x, w, c = rng.normal(size=3), rng.normal(size=3), float(rng.uniform(-2, 2))
    xp, wp, _ = bilinear_project(_t([x]), _t([w]), None, c=_t([c]))
    xp, wp = xp.numpy()[0], wp.numpy()[0]
    assert abs(xp @ wp - c) < 1e-10
    d = np.sum((xp - x) ** 2) + np.sum((wp - w) ** 2)
    cons = {"type": "eq", "fun": lambda v: v[:3] @ v[3:] - c}
    best = np.inf
    for s in range(12):
        start = np.concatenate([x, w]) + (0 if s == 0 else rng.normal(size=6))
        r = scipy_optimize.minimize(
            lambda v: np.sum((v - np.concatenate([x, w])) ** 2),
            start,
            constraints=[cons],
            method="SLSQP",
            options={"ftol": 1e-14},
        )
        if r.success and abs(cons["fun"](r.x)) < 1e-8:
            best = min(best, r.fun)
    assert d <= best + 1e-8


def test_bilinear_batched_idempotent_and_extreme():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(50, 7, 5, generator=g, dtype=D) * 3
    w = torch.randn(50, 7, 5, generator=g, dtype=D) * 0.1
    y = torch.randn(50, 7, generator=g, dtype=D) * 10  # targets far away: u near +-1
    xp, wp, yp = bilinear_project(x, w, y, 2.0, 3.0)
    assert torch.allclose((xp * wp).sum(-1), 2.0 * yp, atol=1e-9)
    x2, w2, y2 = bilinear_project(xp, wp, yp, 2.0, 3.0)
    assert torch.allclose(x2, xp, atol=1e-10) and torch.allclose(w2, wp, atol=1e-10)
    assert torch.allclose(y2, yp, atol=1e-10)


def _grid_nearest(fn_set, point, weights, grids):
    """Brute force over a grid of candidate points satisfying a constraint set."""
    best = np.inf
    for cand in fn_set(grids):
        d = sum(wt * (c - p) ** 2 for wt, c, p in zip(weights, cand, point))
        best = min(best, d)
    return best


@pytest.mark.parametrize("seed", range(5))
def test_relu_and_step_nearest_point(seed):
    rng = np.random.default_rng(seed)
    a, cw = float(rng.uniform(0.5, 3)), float(rng.uniform(0.5, 3))
    x, y, b = rng.normal(size=3)
    # brute force: minimize over z' on a fine grid (x' = act(z'), y'-b' = z' split evenly)
    m = 0.3
    zs = np.concatenate([np.linspace(-6, 6, 120001), [0.0, m, -m, y - b]])
    dz = lambda z: 0.5 * cw * (z - (y - b)) ** 2  # noqa: E731 - cost of moving y-b to z
    relu_best = np.min(a * (np.maximum(zs, 0) - x) ** 2 + dz(zs))
    xp, yp, bp = (float(v) for v in relu_project(_t([x]), _t([y]), _t([b]), a, cw))
    assert abs(xp - max(yp - bp, 0.0)) < 1e-12
    d = a * (xp - x) ** 2 + cw * ((yp - y) ** 2 + (bp - b) ** 2)
    assert d <= relu_best + 1e-6 and d >= relu_best - 1e-6
    ok = np.abs(zs) >= m
    step_best = np.min((a * ((zs > 0) - x) ** 2 + dz(zs))[ok])
    xp, yp, bp = (float(v) for v in step_project(_t([x]), _t([y]), _t([b]), a, cw, m))
    z = yp - bp
    assert (xp == 1.0 and z >= m - 1e-12) or (xp == 0.0 and z <= -m + 1e-12)
    d = a * (xp - x) ** 2 + cw * ((yp - y) ** 2 + (bp - b) ** 2)
    assert abs(d - step_best) < 1e-6


def test_class_interval_sphere_consensus():
    lo, hi = class_bounds(torch.tensor([0, 1]), 2, 0.5)
    y = _t([[0.0, 1.0], [0.2, 0.1]])
    b = torch.zeros_like(y)
    yp, bp = interval_project(y, b, lo, hi)
    z = yp - bp
    assert z[0, 0] >= 0.5 - 1e-12 and z[0, 1] <= 1e-12 and z[1, 1] >= 0.5 - 1e-12
    assert z[1, 0] <= 1e-12
    assert torch.allclose(yp[0], _t([0.25, 0.5])) and torch.allclose(bp[0], _t([-0.25, 0.5]))
    yp2, bp2 = interval_project(yp, bp, lo, hi)
    assert torch.equal(yp2, yp) and torch.equal(bp2, bp)
    # sphere with non-negativity: brute force on random directions
    rng = np.random.default_rng(0)
    v = rng.normal(size=3)
    p = sphere_project(_t([v]), 2.0, nonneg=True).numpy()[0]
    cand = np.abs(rng.normal(size=(200000, 3)))
    cand = 2.0 * cand / np.linalg.norm(cand, axis=1, keepdims=True)
    assert np.sum((p - v) ** 2) <= np.min(np.sum((cand - v) ** 2, axis=1)) + 1e-9
    assert torch.allclose(sphere_project(_t([p]), 2.0, nonneg=True), _t([p]))
    allneg = sphere_project(_t([[-1.0, -0.2, -3.0]]), 1.0, nonneg=True)
    assert allneg.tolist() == [[0.0, 1.0, 0.0]]
    assert consensus(_t([[1.0, 2.0, 6.0]]), 1, _t([[1.0, 1.0, 2.0]])).item() == pytest.approx(3.75)


def test_network_projections_idempotent_and_warm_start_feasible():
    g = torch.Generator().manual_seed(1)
    net = FeedForwardDC([3, 4, 2], k=5, omega=2.0)
    net.inputs = torch.rand(5, 3, generator=g, dtype=D)
    net.lo, net.hi = class_bounds(torch.tensor([0, 1, 1, 0, 1]), 2, 0.1)
    s = torch.randn(3, net.size, generator=g, dtype=D)
    pa = net.project_a(s)
    assert torch.allclose(net.project_a(pa), pa, atol=1e-12)
    pb = net.project_b(s)
    assert torch.allclose(net.project_b(pb), pb, atol=1e-9)
    v = net.views(pb)
    for layer in (1, 2):
        lhs = (v[f"x{layer}"] * v[f"w{layer}"]).sum(-1)
        assert torch.allclose(lhs, 2.0 * v[f"y{layer}"], atol=1e-9)
    # the warm start satisfies B exactly and A except the class constraint
    ws, bs = init_params(net.sizes, 3, 2.0, g)
    x0 = net.warm_start(ws, bs)
    assert torch.allclose(net.project_b(x0), x0, atol=1e-9)
    lo, hi = net.lo, net.hi
    net.lo = net.hi = None
    assert torch.allclose(net.project_a(x0), x0, atol=1e-12)
    net.lo, net.hi = lo, hi


def test_exemption_leaves_the_farthest_items_out_of_the_class_constraint():
    g = torch.Generator().manual_seed(4)
    net = FeedForwardDC([3, 4, 2], k=6, omega=2.0, exempt=2)
    net.inputs = torch.rand(6, 3, generator=g, dtype=D)
    net.lo, net.hi = class_bounds(torch.tensor([0, 1, 1, 0, 1, 0]), 2, 0.1)
    s = torch.randn(1, net.size, generator=g, dtype=D)
    y, b = net.views(s)["y2"][0], net.views(s)["b2"][0]
    z = y - b
    # distance of each item to its class interval, computed here by hand
    dist = ((torch.clamp(z, net.lo, net.hi) - z) ** 2).sum(-1)
    far = set(dist.argsort(descending=True)[:2].tolist())
    pa = net.project_a(s)
    ya, ba = net.views(pa)["y2"][0], net.views(pa)["b2"][0]
    for k in range(6):
        if k in far:  # exempt: y and b untouched
            assert torch.equal(ya[k], y[k]) and torch.equal(ba[k], b[k])
        else:  # in its class interval
            za = ya[k] - ba[k]
            assert bool(((za >= net.lo[k] - 1e-12) & (za <= net.hi[k] + 1e-12)).all())
    assert torch.allclose(net.project_a(pa), pa, atol=1e-12)


def test_nmf_projections_idempotent():
    g = torch.Generator().manual_seed(2)
    nmf = NMFDC(torch.rand(4, 5, generator=g, dtype=D), 3, omega=0.7)
    s = torch.randn(2, nmf.size, generator=g, dtype=D)
    pa = nmf.project_a(s)
    assert torch.allclose(nmf.project_a(pa), pa, atol=1e-12)
    wa, za = nmf.consensus(pa)
    assert bool((wa >= 0).all() and (za >= 0).all())
    assert torch.allclose(wa.norm(dim=1), torch.full((2, 3), 0.7, dtype=D))
    pb = nmf.project_b(s)
    assert torch.allclose(nmf.project_b(pb), pb, atol=1e-9)
    w, z = nmf.views(pb)
    assert torch.allclose((w * z).sum(-1), nmf.data.unsqueeze(0).expand(2, -1, -1), atol=1e-9)
