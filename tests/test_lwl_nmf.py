"""Exact NMF by RRR at its defaults, the compiled kernel, the polish and the held-out generator.

Every factorization is re-checked here with plain NumPy (non-negativity and the residual
|X - Z W^T|), never with the solver's own error.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from dnnsolve.bench.harness import SuiteContext
from dnnsolve.bench.heldout import nmf as held
from dnnsolve.cli import app as cli_app
from dnnsolve.core.errors import InputError
from dnnsolve.rrr.engine import RRR
from dnnsolve.rrr.lwl.nmf import NMFDC, auto_omega, numba_available, polish_nmf, rrr_nmf


def _residual(x, w, z):
    """Relative error of X ~ Z W^T, asserting the factors are non-negative and shaped right."""
    w, z = np.asarray(w), np.asarray(z)
    assert w.shape[0] == x.shape[1] and z.shape[0] == x.shape[0] and w.shape[1] == z.shape[1]
    assert (w >= 0).all() and (z >= 0).all()
    return np.sqrt(((x - z @ w.T) ** 2).sum() / (x**2).sum())


def test_default_finds_random_rank3_quickly():
    rng = np.random.default_rng(7)
    w0 = rng.integers(1, 5, (10, 3)) * (rng.random((10, 3)) < 0.5)
    h0 = rng.integers(1, 5, (3, 9)) * (rng.random((3, 9)) < 0.5)
    w0[np.arange(10), rng.integers(0, 3, 10)] += 1  # no zero rows
    h0[rng.integers(0, 3, 9), np.arange(9)] += 1  # no zero columns
    x = (w0 @ h0).astype(float)
    assert np.linalg.matrix_rank(x) == 3
    t0 = time.perf_counter()
    out = rrr_nmf(x, 3, restarts=None, time_limit=20, seed=3)
    assert time.perf_counter() - t0 < 20
    assert _residual(x, out["W"], out["Z"]) <= 1e-6
    assert out["found_by"] in ("rrr", "rrr+polish") and out["time_to_solution"] is not None


def test_torch_fallback_solves_small_instance():
    x, _, _ = held.random_nmf(8, 8, 2, seed=11)
    out = rrr_nmf(x, 2, restarts=None, time_limit=30, seed=0, backend="torch")
    assert out["backend"] == "torch"
    assert _residual(x, out["W"], out["Z"]) <= 1e-6


def test_scale_does_not_matter_with_auto_omega():
    x, _, _ = held.random_nmf(9, 8, 3, seed=4)
    a = rrr_nmf(x, 3, restarts=None, time_limit=20, seed=1)
    b = rrr_nmf(1e4 * x, 3, restarts=None, time_limit=20, seed=1)
    assert _residual(x, a["W"], a["Z"]) <= 1e-6
    assert _residual(1e4 * x, b["W"], b["Z"]) <= 1e-6
    assert b["omega"] == pytest.approx(100.0 * a["omega"])


def test_impossible_rank_is_not_claimed():
    # a rank-3 matrix has no rank-2 factorization: nothing may be reported as solved
    x, _, _ = held.random_nmf(8, 7, 3, seed=2)
    out = rrr_nmf(x, 2, restarts=2, max_iter=2000, seed=0)
    assert not any(out["solved"]) and out["best_error"] > 1e-3
    assert _residual(x, out["W"], out["Z"]) > 1e-3


@pytest.mark.skipif(not numba_available(), reason="numba not installed")
def test_compiled_iteration_equals_torch_iteration():
    from dnnsolve.rrr.lwl.nmf_kernel import rrr_iterate

    g = torch.Generator().manual_seed(0)
    x = torch.rand(5, 4, generator=g, dtype=torch.float64)
    nmf = NMFDC(x, 3, omega=0.8)
    x0 = nmf.start(1, g) + 0.05 * torch.rand(1, nmf.size, generator=g, dtype=torch.float64)
    rrr = RRR(nmf.project_a, nmf.project_b, beta=0.3)
    x1 = x0.clone()
    for _ in range(3):
        x1, _ = rrr.step(x1)
    w, z = (t[0].numpy().copy() for t in nmf.views(x0))
    wa, za = np.empty((4, 3)), np.empty((5, 3))
    n, solved, _ = rrr_iterate(x.numpy(), w, z, np.zeros((5, 4)), 0.3, 0.8, 3, 10**6, -1.0, wa, za)
    assert n == 3 and not solved
    w1, z1 = (t[0].numpy() for t in nmf.views(x1))
    assert np.allclose(w, w1, atol=1e-10) and np.allclose(z, z1, atol=1e-10)
    wt, zt = nmf.consensus(nmf.project_a(x1))
    assert np.allclose(wa, wt[0].numpy(), atol=1e-10) and np.allclose(za, zt[0].numpy())


@pytest.mark.skipif(not numba_available(), reason="numba not installed")
def test_parallel_restarts_are_the_serial_restarts():
    # each restart has its own seed stream: two threads must reproduce one thread exactly
    x, _, _ = held.random_nmf(9, 8, 3, seed=6, kind="dense")
    one = rrr_nmf(x, 3, restarts=4, max_iter=3000, seed=2, threads=1)
    two = rrr_nmf(x, 3, restarts=4, max_iter=3000, seed=2, threads=2)
    assert one["iterations"] == two["iterations"] and one["errors"] == two["errors"]
    assert len(two["restart_seconds"]) == 4 and all(t >= 0 for t in two["restart_seconds"])


@pytest.mark.skipif(not numba_available(), reason="numba not installed")
def test_ledm6_at_the_papers_rank_is_factored():
    # the paper's smallest LEDM instance (Table 1): nonnegative rank 5, about 10^5 iterations
    from dnnsolve.rrr.lwl.data import ledm

    x = ledm(6)
    out = rrr_nmf(x, 5, restarts=4, seed=0, time_limit=60)
    assert sum(out["solved"]) >= 3  # measured: 20 of 20 seeds within 1.2 * 10^6 iterations
    assert _residual(x, out["W"], out["Z"]) <= 1e-6


def test_polish_finishes_a_near_solution():
    x, w0, h0 = held.random_nmf(10, 9, 3, seed=5)
    rng = np.random.default_rng(0)
    w, z = h0.T * (1 + 0.01 * rng.random(h0.T.shape)), w0 * (1 + 0.01 * rng.random(w0.shape))
    wp, zp, err = polish_nmf(x, w, z)
    assert _residual(x, wp, zp) <= 1e-10 and err == pytest.approx(_residual(x, wp, zp), abs=1e-12)


def test_auto_omega_and_errors():
    assert auto_omega(np.full((3, 8), 2.0), 4, factor=1.0) == pytest.approx(2.0)
    with pytest.raises(InputError):
        rrr_nmf(-np.ones((2, 2)), 1)
    with pytest.raises(InputError):
        rrr_nmf(np.ones((2, 2)), 1, backend="gpu-magic")
    zero = rrr_nmf(np.zeros((3, 2)), 1)
    assert zero["solved"] == [True] and not zero["Z"].any() and (zero["W"] >= 0).all()


@pytest.mark.parametrize("kind", held.KINDS)
def test_generator_has_the_promised_factorization(kind):
    for inst in held.instance_list("report", "mixed", 6):
        x, w, h = inst.load()
        k, m, r = inst.meta["k"], inst.meta["m"], inst.meta["rank"]
        assert 8 <= k <= 40 and 8 <= m <= 40 and 2 <= r <= 6
        assert x.shape == (k, m) and w.shape == (k, r) and h.shape == (r, m)
        assert (w >= 0).all() and (h >= 0).all() and np.allclose(x, w @ h, rtol=0, atol=1e-12)
        assert np.linalg.matrix_rank(x) == r  # so the non-negative rank is exactly r
        assert (x.sum(0) > 0).all() and (x.sum(1) > 0).all()
    x, w, h = held.random_nmf(12, 10, 4, seed=1003, kind=kind)
    if kind == "sparse-int":
        assert np.array_equal(x, np.round(x)) and set(np.unique(w)) <= {0, 1, 2, 3, 4}
        assert (w == 0).mean() > 0.2  # sparse
    assert np.linalg.matrix_rank(x) == 4


def test_generator_splits_and_issue_set():
    tune = held.instance_list("tune", "issue")
    report = held.instance_list("report", "issue")
    assert len(report) == 10 and all(i.meta["seed"] >= 1000 for i in report)
    assert all(i.meta["seed"] < 100 for i in tune)
    assert all(i.meta["k"] == 12 and i.meta["m"] == 10 and i.meta["rank"] == 4 for i in report)
    assert [i.meta["split"] for i in held.instances("tune")] == ["tune"] * 12
    a, _, _ = report[0].load()
    b, _, _ = held.random_nmf(12, 10, 4, 1000)
    assert np.array_equal(a, b)  # a pure function of the seed
    with pytest.raises(InputError):
        held.instance_list("test", "issue")


def test_heldout_rows_are_rechecked():
    inst = held.instance_list("report", "issue", 1)[0]
    ctx = SuiteContext(device=torch.device("cpu"), time_limit=1.0, seed=0)
    loaded = inst.load()
    rows = {r["variant"]: r for r in held.rows(inst, loaded, ctx, ablation=True)}
    assert set(rows) == {"default", "baseline", "network-only", "random+polish", "baseline+polish"}
    x = loaded[0]
    for r in rows.values():
        assert r["sense"] == "min" and r["error"] is None
        if r["objective"] is not None:
            assert r["recheck"] is True and r["objective"] >= 0
    assert rows["default"]["feasible"] and rows["default"]["objective"] <= 1e-6
    out = rrr_nmf(x, 4, restarts=None, time_limit=5, seed=0)
    assert held.relative_error(x, out["W"], out["Z"]) == pytest.approx(
        _residual(x, out["W"], out["Z"]), abs=1e-12
    )
    assert held.relative_error(x, -out["W"], out["Z"]) is None


def test_cli_nmf_defaults(tmp_path):
    x, _, _ = held.random_nmf(12, 10, 4, seed=1001)
    np.savetxt(tmp_path / "x.txt", x)
    out = tmp_path / "r.json"
    r = CliRunner().invoke(
        cli_app,
        ["rrr", "nmf", "--matrix", str(tmp_path / "x.txt"), "--rank", "4", "-o", str(out), "-q"],
    )
    assert r.exit_code == 0, r.output
    d = json.loads(out.read_text())
    assert d["feasible"] is True and d["extra"]["found_by"] in ("rrr", "rrr+polish")
    assert _residual(x, np.array(d["solution"]["W"]), np.array(d["solution"]["Z"])) <= 1e-6
    r = CliRunner().invoke(
        cli_app,
        ["rrr", "nmf", "--matrix", str(tmp_path / "x.txt"), "--rank", "4", "--backend", "nope"],
    )
    assert r.exit_code == 2 and "backend" in r.output
