"""Adaptive loss weights, causal weighting and residual-based refinement (RAR) for PINNs.

Each rule is checked against its formula recomputed here, and on a small solve against the
analytic solution (errors in NumPy).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dnnsolve.core.errors import InputError
from dnnsolve.pde import builtin, solve_pde
from dnnsolve.pde.networks import build_network
from dnnsolve.pde.problem import FieldNetwork, PDEProblem
from dnnsolve.pde.weighting import LossBalancer, causal_residual

SMALL = {"hidden": 20, "layers": 3}


def _terms(params):
    """Two restarts, two terms with very different gradient scales per restart."""
    p = params[0]
    scale = torch.tensor([[10.0], [0.1]])
    return {"residual": (scale * p).square().sum(1), "bc": (p**3).sum(1)}


def _grads(t, params):
    g = torch.autograd.grad(t.sum(), params, retain_graph=True)[0]
    return g.reshape(g.shape[0], -1)


def test_grad_norm_equalizes_weighted_gradients():
    params = [torch.randn(2, 5, generator=torch.Generator().manual_seed(0)).requires_grad_()]
    terms = _terms(params)
    bal = LossBalancer("grad-norm", alpha=0.0)
    bal.update(terms, params)
    norms = {k: _grads(t, params).norm(dim=1) for k, t in terms.items()}
    weighted = {k: bal.weights[k] * norms[k] for k in terms}
    # every weighted term has the same gradient norm, Σ_j ‖∇L_j‖, per restart
    total = norms["residual"] + norms["bc"]
    for k in terms:
        assert torch.allclose(weighted[k], total, rtol=1e-5)
    assert not torch.allclose(bal.weights["bc"][0], bal.weights["bc"][1])  # per restart


def test_annealing_formula_and_smoothing():
    params = [torch.randn(2, 5, generator=torch.Generator().manual_seed(1)).requires_grad_()]
    terms = _terms(params)
    bal = LossBalancer("annealing")  # α = 0.1
    bal.update(terms, params)
    g_r, g_b = (_grads(terms[k], params).abs() for k in ("residual", "bc"))
    target = g_r.amax(1) / g_b.mean(1)
    assert "residual" not in bal.weights  # the residual keeps weight 1
    # first update starts from the estimate itself; the second moves 10 % towards it
    assert torch.allclose(bal.weights["bc"], target, rtol=1e-5)
    bal.weights["bc"] = torch.ones(2)
    bal.update(terms, params)
    assert torch.allclose(bal.weights["bc"], 0.9 + 0.1 * target, rtol=1e-5)


def test_balancer_schedule_and_bad_values():
    bal = LossBalancer("grad-norm", every=3)
    assert [bal.due() for _ in range(7)] == [True, False, False, True, False, False, True]
    bal.frozen = True
    assert not bal.due()
    assert not LossBalancer("fixed").due()
    for kwargs in ({"mode": "ntk"}, {"every": 0}, {"alpha": 1.5}):
        with pytest.raises(InputError):
            LossBalancer(**kwargs)


def _causal_numpy(r2, t, t0, t1, m, eps):
    k = np.clip(np.floor((t - t0) / (t1 - t0) * m), 0, m - 1).astype(int)
    out, w_last = [], []
    for row in r2:
        losses = np.array([row[k == j].mean() if (k == j).any() else 0.0 for j in range(m)])
        w = np.exp(-eps * np.concatenate([[0.0], np.cumsum(losses)[:-1]]))
        out.append((w * losses).mean())
        w_last.append(w[-1])
    return np.array(out), np.array(w_last)


def test_causal_residual_matches_formula_and_stops_gradients():
    g = torch.Generator().manual_seed(2)
    r2 = torch.rand(3, 200, generator=g, dtype=torch.float64).requires_grad_()
    t = torch.rand(200, generator=g, dtype=torch.float64) * 2.0 + 1.0  # times in [1, 3]
    loss, w_last = causal_residual(r2, t, 1.0, 3.0, 8, 0.5)
    ref, ref_w = _causal_numpy(r2.detach().numpy(), t.numpy(), 1.0, 3.0, 8, 0.5)
    np.testing.assert_allclose(loss.detach().numpy(), ref, rtol=1e-12)
    np.testing.assert_allclose(w_last.numpy(), ref_w, rtol=1e-12)
    # the weights are constants: ∂loss/∂r2_n = w_k(n) / (M · |chunk k(n)|)
    loss.sum().backward()
    k = np.clip(np.floor((t.numpy() - 1.0) / 2.0 * 8), 0, 7).astype(int)
    counts = np.bincount(k, minlength=8)
    row = r2.detach().numpy()[0]
    losses = np.array([row[k == j].mean() for j in range(8)])
    w = np.exp(-0.5 * np.concatenate([[0.0], np.cumsum(losses)[:-1]]))
    np.testing.assert_allclose(r2.grad[0].numpy(), w[k] / (8 * counts[k]), rtol=1e-12)


@pytest.mark.parametrize("aid", [{"balance": "grad-norm"}, {"balance": "annealing"},
                                 {"causal": 1.0}])  # fmt: skip
def test_aids_solve_heat(aid):
    out = solve_pde("heat", adam_steps=500, lbfgs_steps=100, interior=512, boundary=64,
                    options=SMALL, seed=0, **aid)  # fmt: skip
    x, t = out.points[:, 0], out.points[:, 1]
    exact = np.exp(-0.4 * math.pi**2 * t) * np.sin(math.pi * x)
    err = float(np.linalg.norm(out.values[:, 0] - exact) / np.linalg.norm(exact))
    assert err < 2e-2  # measured 7.9e-3 (grad-norm), 6.8e-3 (annealing), 9.0e-3 (causal)
    aids = out.result.extra["training_aids"]
    if "balance" in aid:
        # updates at steps 1, 101, …, 401 of Adam; frozen during L-BFGS
        assert aids["balance"]["updates"] == 5
        assert all(v > 0 and math.isfinite(v) for v in aids["balance"]["multipliers"].values())
    else:
        assert 0.0 < aids["causal"]["last_chunk_weight"] <= 1.0


def test_rar_adds_the_worst_points():
    pde = builtin("poisson2d")
    prob = PDEProblem(pde, interior=256, boundary=32, validation=64, rar_every=1,
                      rar_points=20, rar_candidates=400, seed=0)  # fmt: skip
    lo, hi = (torch.as_tensor(b, dtype=torch.float32) for b in pde.domain.bbox)
    param = FieldNetwork(lambda: build_network("mlp", 2, 1, hidden=16, layers=2, lo=lo, hi=hi),
                         prob.points, 1, restarts=2,
                         generator=torch.Generator().manual_seed(0))  # fmt: skip
    prob.attach(param)
    n0 = prob.points.train_blocks[0][1]
    prob._refine()
    assert prob.rar_added == 20 and prob.points.train_blocks[0][1] == n0 + 20
    added = prob.points.train[n0 : n0 + 20]

    def residual(x):
        u, leaf = param.field_at(x)
        from dnnsolve.pde.problem import Derivatives

        flat = u.reshape(-1, 1)
        r = pde.residual(leaf, flat, Derivatives(flat, leaf)).detach().reshape(2, len(x))
        return r.square().mean(0).sqrt()

    fresh = pde.domain.sample_interior(2000, "uniform", torch.Generator().manual_seed(5))
    # the 20 best of 400 candidates sit in the top 5 %: above the 80th percentile of fresh points
    assert float(residual(added).min()) > float(torch.quantile(residual(fresh), 0.8))
    # the refined points survive a redraw of the collocation points
    prob._resample()
    assert prob.points.train_blocks[0][1] == 256 + 20
    assert torch.equal(prob.points.train[256:276], added)


def test_rar_during_training_and_options():
    out = solve_pde("heat", adam_steps=200, lbfgs_steps=20, interior=256, boundary=64,
                    options=SMALL, seed=0, rar_every=50, rar_points=10)  # fmt: skip
    assert out.result.extra["training_aids"]["rar"]["added"] == 40  # steps 50, 100, 150, 200
    with pytest.raises(InputError, match="RAR needs both"):
        solve_pde("heat", adam_steps=1, rar_every=5)
    with pytest.raises(InputError, match="time-dependent"):
        solve_pde("poisson2d", adam_steps=1, causal=1.0)
