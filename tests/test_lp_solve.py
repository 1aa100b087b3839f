"""LP/QP solvers checked against HiGHS, with objective and feasibility recomputed in NumPy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("highspy")

from dnnsolve.bench.suites.lp import random_qp
from dnnsolve.lp import make_lp, read_mps, solve_lp, solve_qp
from dnnsolve.lp.pdhg import pdhg
from dnnsolve.lp.reference import highs_solve

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "lp"


def numpy_check(lp, x):
    """Objective and largest bound violation, computed here without the package's helpers."""
    x = np.asarray(x, dtype=float)
    A = lp.A.toarray()
    ax = A @ x
    viol = max(
        np.max(np.maximum(lp.row_lower - ax, 0), initial=0.0),
        np.max(np.maximum(ax - lp.row_upper, 0), initial=0.0),
        np.max(np.maximum(lp.col_lower - x, 0), initial=0.0),
        np.max(np.maximum(x - lp.col_upper, 0), initial=0.0),
    )
    obj = float(lp.c @ x) + lp.offset
    if lp.is_qp:
        obj += 0.5 * float(x @ (lp.Q.toarray() @ x))
    return obj, viol


def tiny_lp():
    # max x + y s.t. x + 2y <= 4, 3x + y <= 6, x, y >= 0  (as min -x - y): optimum (1.6, 1.2)
    return make_lp([-1.0, -1.0], [[1.0, 2.0], [3.0, 1.0]], [-np.inf, -np.inf], [4.0, 6.0])


@pytest.mark.parametrize("backend", ["auto", "torch"])
def test_pdhg_tiny_lp(backend):
    lp = tiny_lp()
    res = solve_lp(lp, tol=1e-9, device="cpu", reference=True, options={"backend": backend})
    obj, viol = numpy_check(lp, res.solution)
    assert res.status == "optimal" and res.feasible
    assert obj == pytest.approx(-2.8, abs=1e-7) and viol < 1e-7
    assert res.reference == pytest.approx(-2.8) and res.metrics["gap_to_reference"] < 1e-7
    assert res.metrics["dual_residual"] < 1e-7 and res.metrics["duality_gap"] < 1e-7


def test_general_bounds_free_fixed_ranged():
    # free, fixed and boxed columns; ranged and equality rows; objective constant
    lp = make_lp(
        c=[1.0, -2.0, 0.5, 1.0],
        A=[[1, 1, 0, 0], [0, 1, 1, 1], [1, 0, 0, -1]],
        row_lower=[-1.0, 1.0, 0.5],
        row_upper=[3.0, 1.0, np.inf],
        col_lower=[-np.inf, -2.0, 0.25, -1.0],
        col_upper=[np.inf, 2.0, 0.25, 4.0],
        offset=10.0,
    )
    h = highs_solve(lp)
    res = solve_lp(lp, tol=1e-9, device="cpu")
    obj, viol = numpy_check(lp, res.solution)
    assert res.status == "optimal"
    assert obj == pytest.approx(h["objective"], abs=1e-6) and viol < 1e-6


def test_infeasible_detected():
    lp = make_lp([1.0, 1.0], [[1.0, 1.0], [1.0, 1.0]], [-np.inf, 2.0], [1.0, np.inf])
    out = pdhg(lp, tol=1e-8, max_iter=50_000)
    assert out.status == "infeasible"
    assert highs_solve(lp)["status"] == "infeasible"
    res = solve_lp(lp, max_iter=50_000, device="cpu")
    assert res.stop_reason == "infeasible" and not res.feasible


def test_unbounded_detected():
    lp = make_lp([-1.0, 0.0], [[1.0, -1.0]], [-np.inf], [1.0])  # x - y <= 1, x, y >= 0
    out = pdhg(lp, tol=1e-8, max_iter=50_000)
    assert out.status == "unbounded"
    d = out.certificate
    assert d is not None and float(lp.c @ d) < 0 and (d >= -1e-9).all()
    assert float((lp.A @ d)[0]) <= 1e-9


def test_max_iter_status():
    res = solve_lp(tiny_lp(), max_iter=5, device="cpu")
    assert res.stop_reason == "max_iter" and res.steps == 5


@pytest.mark.skipif(not DATA.is_dir(), reason="shared Netlib data not present")
@pytest.mark.parametrize("name", ["afiro", "sc50a", "sc50b", "blend"])
def test_netlib_small_against_highs(name):
    lp = read_mps(DATA / f"{name}.mps.gz")
    h = highs_solve(lp)
    res = solve_lp(lp, tol=1e-8, device="cpu", time_limit=30)
    obj, viol = numpy_check(lp, res.solution)
    scale = (
        1.0
        + np.abs(
            np.concatenate([lp.row_lower, lp.row_upper])[
                np.isfinite(np.concatenate([lp.row_lower, lp.row_upper]))
            ]
        ).max()
    )
    assert res.status == "optimal"
    assert abs(obj - h["objective"]) / max(1.0, abs(h["objective"])) <= 1e-6
    assert viol / scale <= 1e-6


@pytest.mark.skipif(not DATA.is_dir(), reason="shared Netlib data not present")
@pytest.mark.parametrize("name", ["afiro", "blend"])
def test_step_decided_on_the_device_reaches_highs_optimum(name):
    """The GPU's form of the adaptive step (accepted or rejected on the device), run here on
    the CPU: the same optimum, and no host read per step (only at the checks)."""
    import torch

    lp = read_mps(DATA / f"{name}.mps.gz")
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        out = pdhg(lp, tol=1e-8, time_limit=30, step_decided_on="device")
    reads = sum(e.count for e in prof.key_averages() if e.key == "aten::_local_scalar_dense")
    obj, viol = numpy_check(lp, out.x)
    h = highs_solve(lp)
    assert out.status == "optimal" and viol <= 1e-4
    assert abs(obj - h["objective"]) / max(1.0, abs(h["objective"])) <= 1e-6
    checks = out.iterations / 64 + 2
    assert reads <= 40 * checks < out.iterations  # a few dozen per check, none per step


def test_step_decided_on_the_device_detects_infeasibility():
    lp = make_lp([1.0, 1.0], [[1.0, 1.0], [1.0, 1.0]], [-np.inf, 2.0], [1.0, np.inf])
    assert pdhg(lp, tol=1e-8, max_iter=50_000, step_decided_on="device").status == "infeasible"
    with pytest.raises(ValueError, match="step_decided_on"):
        pdhg(lp, step_decided_on="gpu")


def test_qp_pdhg_against_highs():
    qp = random_qp(30, 1)
    h = highs_solve(qp)
    res = solve_qp(qp, tol=1e-8, device="cpu", time_limit=30)
    obj, viol = numpy_check(qp, res.solution)
    assert res.status == "optimal"
    assert obj == pytest.approx(h["objective"], rel=1e-5, abs=1e-6) and viol < 1e-5


def test_projection_network_qp():
    qp = random_qp(12, 2)
    h = highs_solve(qp)
    res = solve_qp(qp, method="projection", tol=1e-6, device="cpu", time_limit=30)
    obj, viol = numpy_check(qp, res.solution)
    assert res.status == "optimal"
    assert abs(obj - h["objective"]) <= 1e-4 * max(1.0, abs(h["objective"])) and viol < 1e-4


def test_energy_network_tiny_lp():
    lp = tiny_lp()
    res = solve_lp(lp, method="energy", max_iter=1000, device="cpu", options={"restarts": 2})
    obj, viol = numpy_check(lp, res.solution)
    # a penalty method: close, not exact (the penalty biases the minimizer)
    assert abs(obj + 2.8) < 0.05 and viol < 1e-2
    assert res.objective == pytest.approx(obj)


@pytest.mark.gpu
@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs CUDA")
def test_pdhg_cuda_matches_cpu():
    lp = tiny_lp()
    gpu = solve_lp(lp, tol=1e-9, device="cuda")
    obj, viol = numpy_check(lp, gpu.solution)
    assert gpu.status == "optimal" and gpu.device.startswith("cuda")
    assert obj == pytest.approx(-2.8, abs=1e-7) and viol < 1e-7
    qp = random_qp(30, 1)
    res = solve_qp(qp, tol=1e-8, device="cuda", time_limit=60)
    assert res.objective == pytest.approx(highs_solve(qp)["objective"], rel=1e-5, abs=1e-6)
    en = solve_lp(lp, method="energy", max_iter=500, device="cuda", options={"restarts": 2})
    assert en.objective is not None


@pytest.mark.slow
@pytest.mark.skipif(not DATA.is_dir(), reason="shared Netlib data not present")
@pytest.mark.parametrize("name", ["adlittle", "israel", "boeing2", "e226", "scagr7", "stocfor1"])
def test_netlib_more_against_highs(name):
    lp = read_mps(DATA / f"{name}.mps.gz")
    h = highs_solve(lp)
    res = solve_lp(lp, tol=1e-8, device="cpu", time_limit=120)
    obj, viol = numpy_check(lp, res.solution)
    b = np.concatenate([lp.row_lower, lp.row_upper])
    assert abs(obj - h["objective"]) / max(1.0, abs(h["objective"])) <= 1e-6
    assert res.metrics["primal_residual"] <= 1e-6
    assert viol / (1.0 + np.abs(b[np.isfinite(b)]).max()) <= 1e-6
