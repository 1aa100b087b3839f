"""LP/QP data, readers and residuals: MPS (inline text, gzipped), .npz, malformed input."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("highspy")

from dnnsolve.core.errors import InputError
from dnnsolve.lp import make_lp, read_lp, read_mps, read_npz, residuals
from dnnsolve.lp.reference import highs_solve

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "lp"

# min -x - 2y + 3  s.t.  x + y <= 4 (LIM1), x - y >= -2 (LIM2), x + 3y = 6 (EQ), 0<=x<=3, y free
TINY_MPS = """NAME          TINY
ROWS
 N  COST
 L  LIM1
 G  LIM2
 E  EQ
COLUMNS
    X         COST          -1.0   LIM1           1.0
    X         LIM2           1.0   EQ             1.0
    Y         COST          -2.0   LIM1           1.0
    Y         LIM2          -1.0   EQ             3.0
RHS
    RHS       COST          -3.0
    RHS       LIM1           4.0   LIM2          -2.0
    RHS       EQ             6.0
BOUNDS
 UP BND       X              3.0
 FR BND       Y
ENDATA
"""


def write_tiny(tmp_path: Path, text: str = TINY_MPS, gz: bool = False) -> Path:
    p = tmp_path / ("tiny.mps.gz" if gz else "tiny.mps")
    if gz:
        p.write_bytes(gzip.compress(text.encode()))
    else:
        p.write_text(text)
    return p


@pytest.mark.parametrize("gz", [False, True])
def test_read_inline_mps(tmp_path, gz):
    lp = read_mps(write_tiny(tmp_path, gz=gz))
    assert lp.name == "tiny" and lp.n == 2 and lp.m == 3
    np.testing.assert_allclose(lp.c, [-1.0, -2.0])
    np.testing.assert_allclose(lp.A.toarray(), [[1, 1], [1, -1], [1, 3]])
    np.testing.assert_allclose(lp.row_lower, [-np.inf, -2.0, 6.0])
    np.testing.assert_allclose(lp.row_upper, [4.0, np.inf, 6.0])
    np.testing.assert_allclose(lp.col_lower, [0.0, -np.inf])
    np.testing.assert_allclose(lp.col_upper, [3.0, np.inf])
    assert lp.offset == pytest.approx(3.0)  # RHS on the objective row is minus the constant
    # the optimum by hand: vertices of {x+3y=6, x+y<=4, x-y>=-2, 0<=x<=3}: x=3, y=1 gives -2
    assert lp.objective(np.array([3.0, 1.0])) == pytest.approx(-5.0 + 3.0)


def test_malformed_and_missing(tmp_path):
    bad = tmp_path / "bad.mps"
    bad.write_text("this is not\nan mps file at all\n")
    with pytest.raises(InputError):
        read_mps(bad)
    with pytest.raises(InputError):
        read_mps(tmp_path / "missing.mps")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(InputError):
        read_npz(junk)


def test_make_lp_validation():
    with pytest.raises(InputError):
        make_lp([1.0, np.nan], [[1.0, 1.0]], [0.0], [1.0])
    with pytest.raises(InputError):
        make_lp([1.0, 1.0], [[1.0, 1.0, 1.0]], [0.0], [1.0])
    with pytest.raises(InputError):
        make_lp([1.0], [[1.0]], [np.inf], [np.inf])
    with pytest.raises(InputError):
        make_lp([1.0, 1.0], None, Q=[[1.0, 2.0], [0.0, 1.0]])  # not symmetric


def test_npz_roundtrip(tmp_path):
    p = tmp_path / "qp.npz"
    np.savez(
        p, c=[1.0, -1.0], A=[[1.0, 1.0]], l=[1.0], u=[1.0], Q=np.eye(2), lb=[-5, -5], ub=[5, 5]
    )
    qp = read_lp(p)
    assert qp.is_qp and qp.m == 1 and qp.col_lower.tolist() == [-5.0, -5.0]


def test_residuals_agree_with_highs_duals(tmp_path):
    lp = read_mps(write_tiny(tmp_path))
    h = highs_solve(lp)
    assert h["status"] == "optimal"
    r = residuals(lp, h["x"], h["y"])
    assert r["objective"] == pytest.approx(h["objective"], abs=1e-9)
    assert r["primal_violation"] < 1e-9 and r["dual_residual"] < 1e-9 and r["duality_gap"] < 1e-9
    # a wrong dual is caught: flip the sign of the equality multiplier's partner rows
    r2 = residuals(lp, h["x"], -h["y"] - 1.0)
    assert r2["dual_residual"] > 1e-3 or r2["duality_gap"] > 1e-3


def test_maximize_sense(tmp_path):
    text = TINY_MPS.replace("NAME          TINY\n", "NAME          TINY\nOBJSENSE\n    MAX\n")
    lp = read_mps(write_tiny(tmp_path, text))
    assert lp.sense == "max"
    x = np.array([3.0, 1.0])
    assert lp.user_objective(x) == pytest.approx(-3.0 - 2.0 + 3.0)


@pytest.mark.skipif(not DATA.is_dir(), reason="shared Netlib data not present")
def test_e226_objective_constant():
    lp = read_mps(DATA / "e226.mps.gz")
    h = highs_solve(lp)
    # Clp's reference includes the constant: -18.751929066 + 7.113
    assert h["objective"] == pytest.approx(-11.638929066, rel=1e-9)
    assert lp.objective(h["x"]) == pytest.approx(-11.638929066, rel=1e-9)


TINY_QPS = """NAME          QPEX
ROWS
 N  obj
 G  c1
 L  c2
COLUMNS
    x1        obj       -2.0   c1        1.0
    x1        c2         1.0
    x2        obj       -3.0   c1        1.0
    x2        c2         2.0
RHS
    rhs       c1         1.0   c2        4.0
BOUNDS
 UP bnd       x1         3.0
 UP bnd       x2         3.0
QUADOBJ
    x1        x1         2.0
    x1        x2         0.5
    x2        x2         1.0
ENDATA
"""


def test_read_qps_quadratic_section(tmp_path):
    p = tmp_path / "ex.qps"
    p.write_text(TINY_QPS)
    qp = read_lp(p)
    assert qp.is_qp and qp.name == "ex"
    np.testing.assert_allclose(qp.Q.toarray(), [[2.0, 0.5], [0.5, 1.0]])  # symmetric, full
    # HiGHS on the file itself (renamed .mps) and on our arrays give the same optimum
    (tmp_path / "ex.mps").write_text(TINY_QPS)
    from dnnsolve.lp.io import new_highs

    h = new_highs()
    h.readModel(str(tmp_path / "ex.mps"))
    h.run()
    direct = h.getInfo().objective_function_value
    assert highs_solve(qp)["objective"] == pytest.approx(direct, abs=1e-9)
    x = np.array(h.getSolution().col_value)
    assert qp.objective(x) == pytest.approx(direct, abs=1e-9)
