"""RRR engine and projections: idempotence, nearest point vs brute force, stopping rules."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from dnnsolve.core.errors import InputError, NumericalError
from dnnsolve.rrr import RRR, FunctionProjection, batch_norm
from dnnsolve.rrr.constraints import DistinctOneHotPair, LatinRRR
from dnnsolve.rrr.projections import (
    Affine,
    Binary,
    Box,
    Consensus,
    FourierMagnitude,
    Hyperplane,
    NonNegative,
    OneHot,
    Product,
    Sign,
    Simplex,
)

DT = torch.float64


def _rand(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=DT)


def _nearest(x: np.ndarray, candidates: np.ndarray) -> float:
    """Smallest distance from x to a finite candidate set (brute force)."""
    return float(np.min(np.linalg.norm(candidates - x[None], axis=1)))


# ----------------------------------------------------------------------------- discrete sets


@pytest.mark.parametrize(
    "proj, values", [(Sign(), (-1.0, 1.0)), (Binary(), (0.0, 1.0))], ids=["sign", "binary"]
)
def test_vertex_sets_nearest_and_idempotent(proj, values):
    x = _rand(50, 4)
    p = proj(x)
    cands = np.array(list(itertools.product(values, repeat=4)))
    for xi, pi in zip(x.numpy(), p.numpy()):
        assert any(np.array_equal(pi, c) for c in cands)  # in the set
        assert np.linalg.norm(xi - pi) <= _nearest(xi, cands) + 1e-12
    assert torch.equal(proj(p), p)


def test_onehot_nearest_along_any_dim():
    x = _rand(20, 3, 5)
    for dim in (-1, -2):
        p = OneHot(dim=dim)(x)
        assert torch.equal(OneHot(dim=dim)(p), p)
        k = x.shape[dim]
        eye = np.eye(k)
        xm = x.movedim(dim, -1).reshape(-1, k).numpy()
        pm = p.movedim(dim, -1).reshape(-1, k).numpy()
        for xi, pi in zip(xm, pm):
            assert pi.sum() == 1 and set(pi.tolist()) <= {0.0, 1.0}
            assert np.linalg.norm(xi - pi) <= _nearest(xi, eye) + 1e-12


def test_distinct_onehot_pair_brute_force():
    k = 4
    x = _rand(200, 2, k)
    x[:40, 1] = x[:40, 0] + 0.01 * x[:40, 1]  # many clashing argmaxes
    p = DistinctOneHotPair()(x)
    assert torch.equal(DistinctOneHotPair()(p), p)
    cands = np.array(
        [np.concatenate([np.eye(k)[i], np.eye(k)[j]]) for i in range(k) for j in range(k) if i != j]
    )
    for xi, pi in zip(x.reshape(200, -1).numpy(), p.reshape(200, -1).numpy()):
        assert any(np.array_equal(pi, c) for c in cands)
        assert np.linalg.norm(xi - pi) <= _nearest(xi, cands) + 1e-12


def test_latin_box_replica_is_onehot_per_box_and_value():
    """The box replica of a 4x4 Sudoku's A-projection, against an explicit loop."""
    prob = LatinRRR(np.zeros((4, 4), dtype=int), box=(2, 2))
    x = _rand(3, *prob.shape, seed=4)
    pa = prob.project_a(x)
    assert torch.equal(prob.project_a(pa), pa)
    for b in range(3):
        y, p = x[b, 3].numpy(), pa[b, 3].numpy()
        for br, bc, v in itertools.product(range(2), range(2), range(4)):
            cells = [(br * 2 + i, bc * 2 + j) for i in range(2) for j in range(2)]
            vals = [y[r, c, v] for r, c in cells]
            hot = [p[r, c, v] for r, c in cells]
            assert hot == [1.0 if i == int(np.argmax(vals)) else 0.0 for i in range(4)]
    # the row replica: one-hot along the columns for each (row, value)
    assert torch.equal(pa[:, 1].sum(dim=-2), torch.ones(3, 4, 4, dtype=DT))
    assert torch.equal(pa[:, 2].sum(dim=-3), torch.ones(3, 4, 4, dtype=DT))


# ----------------------------------------------------------------------------- convex sets


def _check_convex_projection(x, p, vertices):
    """Variational inequality (x - p).(v - p) <= 0 at every vertex of a polytope."""
    for xi, pi in zip(x, p):
        assert np.all((vertices - pi[None]) @ (xi - pi) <= 1e-9)


def test_box_and_nonneg():
    x = 2 * _rand(40, 3)
    lo, hi = torch.tensor([-1.0, 0.0, 0.5], dtype=DT), torch.tensor([1.0, 0.2, 2.0], dtype=DT)
    p = Box(lo, hi)(x)
    assert torch.equal(Box(lo, hi)(p), p)
    corners = np.array(list(itertools.product(*zip(lo.numpy(), hi.numpy()))))
    _check_convex_projection(x.numpy(), p.numpy(), corners)
    q = NonNegative()(x)
    assert torch.equal(NonNegative()(q), q) and bool((q >= 0).all())
    assert torch.allclose((x - q) * q, torch.zeros_like(q))  # complementarity (KKT)
    with pytest.raises(InputError):
        Box(1.0, 0.0)


def test_simplex_nearest_point():
    x = 2 * _rand(60, 5)
    p = Simplex()(x)
    assert torch.allclose(Simplex()(p), p, atol=1e-12)
    assert bool((p >= 0).all()) and torch.allclose(p.sum(-1), torch.ones(60, dtype=DT))
    _check_convex_projection(x.numpy(), p.numpy(), np.eye(5))
    # along another dim
    y = _rand(4, 5, 3)
    q = Simplex(dim=1)(y)
    assert torch.allclose(q.sum(1), torch.ones(4, 3, dtype=DT))


def test_affine_and_hyperplane():
    gen = torch.Generator().manual_seed(1)
    m = torch.randn(3, 6, generator=gen, dtype=DT)
    m = torch.cat([m, m[:1] + m[1:2]])  # a redundant but consistent row
    sol = torch.randn(6, generator=gen, dtype=DT)
    b = m @ sol
    proj = Affine(m, b)
    x = _rand(10, 6)
    p = proj(x)
    assert torch.allclose(p @ m.T, b.expand(10, -1), atol=1e-9)
    assert torch.allclose(proj(p), p, atol=1e-10)
    # x - p lies in the row space: orthogonal to the null space of m
    null = torch.linalg.svd(m)[2][3:]
    assert torch.allclose((x - p) @ null.T, torch.zeros(10, 3, dtype=DT), atol=1e-9)
    # nearest among random feasible points
    for _ in range(20):
        y = sol + torch.randn(6, generator=gen, dtype=DT) @ null.T @ null
        assert bool((batch_norm(x - p) <= batch_norm(x - y) + 1e-12).all())
    h = Hyperplane(torch.tensor([1.0, 2.0, 2.0]), 3.0)
    z = h(torch.tensor([[0.0, 0.0, 0.0]], dtype=DT))
    assert torch.allclose(z, torch.tensor([[1 / 3, 2 / 3, 2 / 3]], dtype=DT))
    with pytest.raises(InputError):
        Affine(torch.tensor([[1.0, 0.0], [1.0, 0.0]]), torch.tensor([0.0, 1.0]))


def test_consensus_weighted_mean_brute_force():
    groups = torch.tensor([0, 1, 0, 2, 1, 0])
    w = torch.tensor([1.0, 2.0, 3.0, 1.0, 1.0, 0.5], dtype=DT)
    cons = Consensus(groups, w, dim=1)
    x = _rand(5, 6, 2)
    p = cons(x)
    assert torch.allclose(cons(p), p)
    for g in range(3):
        idx = (groups == g).nonzero().flatten()
        assert torch.allclose(p[:, idx], p[:, idx[:1]].expand_as(p[:, idx]))
        # minimize sum_i w_i |z - x_i|^2 over a fine grid of z: the mean is no worse
        xi, wi = x[0, idx, 0].numpy(), w[idx].numpy()
        zs = np.linspace(-4, 4, 8001)
        best = np.min(((zs[:, None] - xi[None]) ** 2 * wi[None]).sum(1))
        got = float((((p[0, idx[0], 0].item() - xi) ** 2) * wi).sum())
        assert got <= best + 1e-9


def test_product_blocks():
    prod = Product([(slice(0, 3), Sign(), None), (torch.tensor([4, 5, 6]), Simplex(), (3,))])
    x = _rand(7, 8)
    p = prod(x)
    assert torch.equal(p[:, :3].abs(), torch.ones(7, 3, dtype=DT))
    assert torch.equal(p[:, 3], x[:, 3]) and torch.equal(p[:, 7], x[:, 7])
    assert torch.allclose(p[:, 4:7].sum(1), torch.ones(7, dtype=DT))
    assert torch.allclose(prod(p), p)


def test_fourier_magnitude_projection():
    n = 9
    x = _rand(30, n)
    target = torch.fft.rfft(_rand(1, n, seed=7)[0]).abs()
    proj = FourierMagnitude(target, n)
    p = proj(x)
    assert torch.allclose(torch.fft.rfft(p).abs(), target.expand(30, -1), atol=1e-10)
    assert torch.allclose(proj(p), p, atol=1e-10)
    # no random member of the set (random phases, real signal) is closer
    gen = torch.Generator().manual_seed(3)
    for _ in range(200):
        ph = torch.exp(1j * 2 * torch.pi * torch.rand(n // 2 + 1, generator=gen, dtype=DT))
        ph[0] = torch.sign(torch.randn(1, generator=gen, dtype=DT))
        y = torch.fft.irfft(target * ph, n=n)
        assert bool((batch_norm(x - p) <= batch_norm(x - y) + 1e-9).all())


# ----------------------------------------------------------------------------- engine


def _simplex_problem():
    nonneg = NonNegative()
    plane = Hyperplane(torch.ones(4), 1.0)
    return nonneg, plane


def test_rrr_convex_feasibility_and_history():
    a, b = _simplex_problem()
    x0 = 3 * _rand(6, 4)
    run = RRR(a, b, beta=1.0).run(x0, tol=1e-10, record_every=5)
    assert run.stop_reason == "solved" and bool(run.solved.all())
    assert bool((run.solution >= -1e-12).all())
    assert torch.allclose(run.solution.sum(1), torch.ones(6, dtype=DT), atol=1e-8)
    assert bool((run.gap < 1e-10).all())
    assert run.history and all({"step", "gap_min", "gap_median"} <= set(h) for h in run.history)
    assert run.history[-1]["step"] == int(run.iterations.max())
    assert run.x.shape == x0.shape and run.time_s > 0


def test_rrr_update_formula_and_gamma_one():
    a, b = _simplex_problem()
    x = _rand(3, 4)
    eng = RRR(a, b, beta=0.7)
    new, gap = eng.step(x)
    pa = a(x)
    d = b(2 * pa - x) - pa
    assert torch.allclose(new, x + 0.7 * d) and torch.allclose(gap, batch_norm(d))
    g1 = RRR(a, b, beta=0.7, gamma=1.0).step(x)[0]
    assert torch.allclose(g1, new)
    # generalized form: x + beta*[P_B((1+g)P_A x - g x) - P_A((1-g)P_B x + g x)]
    g = 0.5
    ref = x + 0.7 * (b((1 + g) * pa - g * x) - a((1 - g) * b(x) + g * x))
    assert torch.allclose(RRR(a, b, beta=0.7, gamma=g).step(x)[0], ref)
    run = RRR(a, b, beta=0.5, gamma=0.5).run(3 * _rand(4, 4), tol=1e-9, max_iter=20000)
    assert bool(run.solved.all())
    assert torch.allclose(run.solution.sum(1), torch.ones(4, dtype=DT), atol=1e-6)


def test_rrr_frozen_restarts_and_is_solved():
    """Solved restarts keep their iterate; is_solved stops them early."""
    a, b = _simplex_problem()
    x0 = 3 * _rand(5, 4)
    x0[0] = torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=DT)  # already a solution
    calls = []

    def solved(pa):
        calls.append(pa.shape[0])
        return (pa.sum(1) - 1).abs() < 1e-3

    run = RRR(a, b, beta=0.5).run(x0, tol=0.0, is_solved=solved, max_iter=5000)
    assert bool(run.solved.all()) and int(run.iterations[0]) == 0
    assert torch.equal(run.x[0], x0[0])
    assert calls[0] == 5 and min(calls) < 5  # the batch shrinks as restarts finish
    assert bool(((run.solution.sum(1) - 1).abs() < 1e-3).all())


def test_rrr_limits_and_callback():
    # two disjoint sets: {sum = 1} and {sum = 3}: never solved
    a = Hyperplane(torch.ones(3), 1.0)
    b = Hyperplane(torch.ones(3), 3.0)
    x0 = _rand(2, 3)
    run = RRR(a, b).run(x0, max_iter=37)
    assert run.stop_reason == "max_iter" and run.iterations.tolist() == [37, 37]
    assert not bool(run.solved.any()) and bool((run.gap > 1).all())
    run = RRR(a, b).run(x0, max_iter=10**9, time_limit=0.2)
    assert run.stop_reason == "time_limit" and 0.15 < run.time_s < 5
    run = RRR(a, b).run(x0, callback=lambda step, x: step >= 5)
    assert run.stop_reason == "callback" and int(run.iterations.max()) == 5


def test_rrr_bad_input_and_nan():
    a, b = _simplex_problem()
    with pytest.raises(InputError):
        RRR(a, b, beta=0.0)
    with pytest.raises(InputError):
        RRR(a, b, beta=2.5)
    with pytest.raises(InputError):
        RRR(a, b).run(_rand(2, 4), max_iter=-1)
    bad = FunctionProjection(lambda x: x * float("nan"), name="nan")
    with pytest.raises(NumericalError):
        RRR(bad, b).run(_rand(2, 4))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_rrr_cuda_matches_cpu():
    a, b = _simplex_problem()
    x0 = 3 * _rand(8, 4)
    cpu = RRR(a, b, beta=1.0).run(x0, tol=1e-10)
    gpu = RRR(a, b, beta=1.0).run(x0.cuda(), tol=1e-10)
    assert gpu.solution.device.type == "cuda"
    assert torch.allclose(gpu.solution.cpu(), cpu.solution, atol=1e-8)
