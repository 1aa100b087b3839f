"""The LP / QP Lagrangian bound and ``dnnsolve verify`` on LP / QP results (issue 21).

The bound is valid for any dual (tolerances only weaken it), within 1e-6 of HiGHS's optimum
on Netlib with the solvers' duals; the verifier accepts genuine results (PDHG, HiGHS, the
energy network without a bound, a maximization model with an objective constant, .npz arrays,
a QP) and rejects a changed dual entry, a point outside a bound, a wrong objective, a bound
stronger than its certificate, a forged implied bound and an indefinite Q."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from dnnsolve import solve
from dnnsolve.cli import main
from dnnsolve.data import example_path
from dnnsolve.lp.bound import lagrangian_bound
from dnnsolve.lp.io import read_lp
from dnnsolve.lp.reference import highs_solve
from dnnsolve.verify import Failed, verify

ROOT = Path(__file__).resolve().parents[1]
NETLIB = Path(os.environ.get("DNNSOLVE_DATA", ROOT.parent / "shared" / "datasets")) / "lp"

LP = example_path("lp_example.mps")
QP = example_path("qp_example.qps")

MAX_MPS = """NAME          MAXEX
OBJSENSE
    MAX
ROWS
 N  obj
 L  c1
 L  c2
COLUMNS
    x         obj       3.0        c1        1.0
    x         c2        1.0
    y         obj       2.0        c1        1.0
    y         c2        3.0
RHS
    rhs       c1        4.0        c2        6.0
    rhs       obj       -10.0
BOUNDS
 UP bnd       x         3.0
ENDATA
"""


def _netlib(name: str) -> Path:
    path = NETLIB / f"{name}.mps.gz"
    if not path.is_file():
        pytest.skip(f"{path.name} not in {NETLIB}")
    return path


def _optimum(path: Path) -> float:
    lp = read_lp(path)
    h = highs_solve(lp)
    return -h["objective"] if lp.sense == "max" else h["objective"]


def _saved(r, tmp_path: Path, name: str = "r.json") -> Path:
    path = tmp_path / name
    r.save(path)
    return path


def _tampered(path: Path, tmp_path: Path, change) -> Path:
    data = json.loads(path.read_text())
    change(data)
    out = tmp_path / "tampered.json"
    out.write_text(json.dumps(data))
    return out


@pytest.fixture(scope="module")
def lp_pdhg(tmp_path_factory):
    r = solve("lp", LP, device="cpu")
    assert r.status == "optimal" and r.bound_method == "lagrangian"
    return _saved(r, tmp_path_factory.mktemp("lp"))


# ------------------------------------------------------------------ the bound


@pytest.mark.parametrize("name", ["afiro", "blend", "sc50a", "adlittle", "share2b", "boeing2"])
def test_the_bound_of_highs_duals_meets_the_optimum_on_netlib(name):
    path = _netlib(name)
    lp = read_lp(path)
    h = highs_solve(lp)
    b = lagrangian_bound(lp, h["y"])
    assert b is not None
    assert b.value <= h["objective"] + 1e-9 * max(1, abs(h["objective"]))
    assert abs(h["objective"] - b.value) <= 1e-6 * max(1.0, abs(h["objective"]))


def test_any_dual_gives_a_valid_bound():
    path = _netlib("afiro")
    lp = read_lp(path)
    opt = highs_solve(lp)["objective"]
    rng = np.random.default_rng(0)
    y = highs_solve(lp)["y"]
    found = 0
    for scale in (1e-8, 1e-4, 1e-1, 1.0):
        b = lagrangian_bound(lp, y + scale * rng.standard_normal(lp.m))
        if b is not None:
            found += 1
            assert b.value <= opt + 1e-9 * abs(opt)  # never above the optimum
    assert found >= 2
    assert lagrangian_bound(lp, np.zeros(lp.m)) is None or True  # may need an infinite bound


def test_pdhg_bound_on_netlib_is_below_and_near_the_optimum(tmp_path):
    path = _netlib("afiro")
    r = solve("lp", path, device="cpu")
    opt = _optimum(path)
    assert r.bound is not None and r.bound <= opt + 1e-9 * abs(opt)
    assert abs(opt - r.bound) <= 1e-6 * abs(opt)
    assert r.gap is not None and r.gap <= 1e-6
    assert verify(path, _saved(r, tmp_path))


def test_a_qp_bound_is_the_linearized_lagrangian(tmp_path):
    r = solve("qp", QP, device="cpu")
    opt = highs_solve(read_lp(QP))["objective"]
    assert r.bound is not None and r.bound <= opt + 1e-9
    assert abs(r.bound - opt) < 1e-6 and "x" in r.certificate
    lines = verify(QP, _saved(r, tmp_path))
    assert any("Q ⪰ 0" in line for line in lines)


def test_a_method_without_a_dual_has_no_bound_and_is_still_verified(tmp_path):
    r = solve("lp", LP, device="cpu", method="energy", steps=300)
    assert r.bound is None and r.certificate is None
    assert verify(LP, _saved(r, tmp_path))


# ------------------------------------------------------------------ the verifier


def test_genuine_lp_results_are_verified(lp_pdhg, tmp_path, capsys):
    lines = verify(LP, lp_pdhg)
    assert any(line.startswith("bound ") and "no stronger" in line for line in lines)
    h = solve("lp", LP, device="cpu", method="highs")
    assert h.gap == 0.0
    assert verify(LP, _saved(h, tmp_path, "h.json"))
    assert main(["verify", str(LP), str(lp_pdhg)]) == 0
    assert "verified" in capsys.readouterr().out


def test_a_changed_dual_entry_is_caught(lp_pdhg, tmp_path, capsys):
    def change(data):
        y = data["certificate"]["y"]
        r = int(np.argmax(np.abs(y)))  # a row that carries the bound
        y[r] = y[r] * 0.5

    bad = _tampered(lp_pdhg, tmp_path, change)
    with pytest.raises(Failed, match=r"(the certificate proves only|no bound follows)"):
        verify(LP, bad)
    assert main(["verify", str(LP), str(bad)]) == 1
    assert "FAILED" in capsys.readouterr().err


def test_a_dual_of_the_wrong_sign_proves_nothing(lp_pdhg, tmp_path):
    # row r0 is "≥ 5": y > 0 pairs with its lower bound; y < 0 needs an upper bound it lacks
    bad = _tampered(lp_pdhg, tmp_path, lambda d: d["certificate"]["y"].__setitem__(0, -1.0))
    with pytest.raises(Failed, match="no bound follows"):
        verify(LP, bad)


def test_a_point_outside_a_bound_is_caught(lp_pdhg, tmp_path):
    def push(data):
        data["solution"][0] = 11.0  # c0 ≤ 10

    with pytest.raises(Failed, match="feasible True recorded"):
        verify(LP, _tampered(lp_pdhg, tmp_path, push))


def test_a_wrong_objective_or_a_stronger_bound_is_caught(lp_pdhg, tmp_path):
    bad = _tampered(lp_pdhg, tmp_path, lambda d: d.__setitem__("objective", 8.4))
    with pytest.raises(Failed, match=r"objective 8\.4 recorded"):
        verify(LP, bad)

    def stronger(data):
        data["bound"] = data["objective"]  # the answer's own value, not what y proves
        data["gap"] = 0.0

    data = json.loads(lp_pdhg.read_text())
    if data["bound"] < data["objective"] - 1e-9 * abs(data["objective"]):
        with pytest.raises(Failed, match="the certificate proves only"):
            verify(LP, _tampered(lp_pdhg, tmp_path, stronger))


def test_implied_bounds_are_derived_again_and_a_forged_one_is_caught(tmp_path):
    # min −x − 0.5·z, x + z ≤ 10, x, z ≥ 0: with y = −0.5 (optimum: −1), λ_x = −0.5 needs
    # an upper bound on x, which the row implies (x ≤ 10 − z ≤ 10)
    path = tmp_path / "m.npz"
    np.savez(
        path,
        c=np.array([-1.0, -0.5]),
        A=np.array([[1.0, 1.0]]),
        row_lower=np.array([-np.inf]),
        row_upper=np.array([10.0]),
    )
    lp = read_lp(path)
    b = lagrangian_bound(lp, np.array([-0.5]))  # implied bound or repaired y: both reach −10
    assert b.value == pytest.approx(-10.0) and b.value <= -10.0 + 1e-12
    certificate = {"form": "min", "y": [-0.5], "implied": [[0, "upper", 0]]}
    result = {
        "problem": "lp",
        "schema_version": 2,
        "status": "optimal",
        "feasible": True,
        "objective": -10.0,
        "sense": "min",
        "solution": [10.0, 0.0],
        "bound": -10.0 - 1e-7,  # the implied x ≤ 10 is relaxed by 1e-9 · (10 + 10)
        "bound_method": "lagrangian",
        "gap": 1e-8,
        "certificate": certificate,
        "hparams": {"tol": 1e-7, "feas_tol": 1e-6},
    }
    saved = tmp_path / "r.json"
    saved.write_text(json.dumps(result))
    assert any("1 implied bounds" in line for line in verify(path, saved))

    def forge(data):
        data["certificate"]["implied"][0][1] = "lower"  # the row has no lower bound

    with pytest.raises(Failed, match="implied bound 0: row 0 has no lower bound"):
        verify(path, _tampered(saved, tmp_path, forge))

    def drop(data):
        data["certificate"]["implied"] = []

    with pytest.raises(Failed, match=r"needs a upper bound it lacks|no bound follows"):
        verify(path, _tampered(saved, tmp_path, drop))


def test_a_maximization_model_with_an_objective_constant(tmp_path):
    path = tmp_path / "maxex.mps"
    path.write_text(MAX_MPS)
    opt = _optimum(path)
    assert opt == pytest.approx(21.0)  # 3·3 + 2·1 + the constant 10
    for method in ("pdhg", "highs"):
        r = solve("lp", path, device="cpu", method=method)
        assert r.sense == "max" and r.bound >= r.objective - 1e-9  # an upper bound
        assert r.bound >= opt - 1e-9 and r.bound == pytest.approx(opt, abs=1e-6)
        assert verify(path, _saved(r, tmp_path))

    def lower(data):  # a bound below the answer is no upper bound
        data["bound"] = data["objective"] - 1.0
        data["gap"] = None

    with pytest.raises(Failed):
        verify(path, _tampered(_saved(r, tmp_path), tmp_path, lower))


def test_npz_arrays_are_rechecked(tmp_path):
    path = tmp_path / "m.npz"
    np.savez(
        path,
        c=np.array([-1.0, -1.0]),
        A=np.array([[1.0, 2.0], [3.0, 1.0]]),
        row_lower=np.array([-np.inf, -np.inf]),
        row_upper=np.array([4.0, 6.0]),
    )
    r = solve("lp", path, device="cpu")
    assert r.bound == pytest.approx(-2.8, abs=1e-6)
    assert verify(path, _saved(r, tmp_path))


def test_an_indefinite_q_voids_the_linearized_bound(tmp_path):
    # min ½(x² − y²) on the box [0, 1]²: Q indefinite, so the tangent plane is no lower bound
    path = tmp_path / "q.npz"
    np.savez(
        path,
        c=np.zeros(2),
        A=np.zeros((0, 2)),
        col_upper=np.ones(2),
        Q=np.array([[1.0, 0.0], [0.0, -1.0]]),
    )
    result = {
        "problem": "qp",
        "schema_version": 2,
        "status": "feasible",
        "feasible": True,
        "objective": 0.0,
        "sense": "min",
        "solution": [0.0, 0.0],
        "bound": 0.0,
        "bound_method": "lagrangian",
        "gap": 0.0,
        "certificate": {"form": "min", "y": [], "implied": [], "x": [0.0, 0.0]},
        "hparams": {"tol": 1e-7, "feas_tol": 1e-6},
    }
    saved = tmp_path / "r.json"
    saved.write_text(json.dumps(result))
    with pytest.raises(Failed, match="eigenvalue"):
        verify(path, saved)


@pytest.mark.slow
def test_every_netlib_lp_gets_a_bound_from_highs_duals():
    files = sorted(NETLIB.glob("*.mps.gz"))
    if not files:
        pytest.skip(f"no Netlib LPs in {NETLIB}")
    missing, far = [], []
    for path in files:
        lp = read_lp(path)
        h = highs_solve(lp, time_limit=60)
        if h["status"] != "optimal" or h["y"] is None:
            continue
        b = lagrangian_bound(lp, h["y"])
        if b is None:
            missing.append(lp.name)
            continue
        opt = h["objective"]
        assert b.value <= opt + 1e-9 * max(1.0, abs(opt)), lp.name
        if opt - b.value > 1e-6 * max(1.0, abs(opt)):
            far.append(lp.name)
    assert not missing and not far, (missing, far)
