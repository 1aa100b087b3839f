"""``dnnsolve solve lp`` / ``qp`` (generated from the family specs) and the LP/QP bench suites."""

from __future__ import annotations

import json

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

pytest.importorskip("highspy")

from dnnsolve.bench import SUITES
from dnnsolve.bench.harness import Instance, SuiteContext
from dnnsolve.bench.suites.lp import _qp_rows, _summarize, clp_references, random_qp
from dnnsolve.cli import root
from test_lp_io import write_tiny as _write_tiny


def write_tiny(tmp_path):
    """The LP reader tests' tiny MPS (x = 3, y = 1, objective −2), gzipped."""
    return _write_tiny(tmp_path, gz=True)


def app() -> typer.Typer:
    return root.solve_app


def test_cli_lp_json(tmp_path):
    mps = write_tiny(tmp_path)
    out = tmp_path / "res.json"
    r = CliRunner().invoke(
        app(),
        ["lp", str(mps), "--device", "cpu", "--tol", "1e-9", "--compare-highs", "-o", str(out)],
    )
    assert r.exit_code == 0, r.output
    d = json.loads(out.read_text())
    x = np.array(d["solution"])
    # optimum of the tiny LP: x = 3, y = 1, objective -1*3 - 2*1 + 3 = -2
    assert d["objective"] == pytest.approx(-2.0, abs=1e-6)
    assert np.allclose(x, [3.0, 1.0], atol=1e-5)
    ex = d["extra"]
    assert d["status"] == "optimal" and ex["solver_status"] == "optimal"
    metrics = d["metrics"]
    assert metrics["primal_residual"] < 1e-8
    assert metrics["gap_to_reference"] < 1e-7 and d["reference"] == pytest.approx(-2.0)
    assert "dual_residual" in metrics and "duality_gap" in metrics


def test_cli_qp_npz_and_errors(tmp_path):
    p = tmp_path / "qp.npz"
    np.savez(p, c=[-1.0, -1.0], Q=np.eye(2), lb=[0, 0], ub=[1, 2])
    out = tmp_path / "qp.json"
    r = CliRunner().invoke(app(), ["qp", str(p), "--device", "cpu", "-q", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert np.allclose(json.loads(out.read_text())["solution"], [1.0, 1.0], atol=1e-6)
    r = CliRunner().invoke(app(), ["lp", str(tmp_path / "missing.mps"), "-q"])
    assert r.exit_code == 2 and "missing.mps" in r.output
    r = CliRunner().invoke(app(), ["lp", str(p), "--method", "nope", "-q"])
    assert r.exit_code == 2 and "unknown method 'nope'" in r.output


def test_suites_registered_and_clp_parser(tmp_path):
    assert {"netlib", "random-qp"} <= set(SUITES)
    src = tmp_path / "SOURCES.md"
    src.write_text("| afiro.mps.gz | 573 | `x` | 28 | 32 | `-4.6475314286e+02` |\n")
    assert clp_references(src) == {"afiro": pytest.approx(-464.75314286)}


def test_random_qp_rows_against_osqp():
    pytest.importorskip("osqp")
    import torch

    ctx = SuiteContext(device=torch.device("cpu"), time_limit=20.0, seed=0, options={"tol": 1e-8})
    qp = random_qp(20, 3)
    rows = _qp_rows(Instance(qp.name, lambda: qp), qp, {"qp": ["pdhg"]}, ctx)
    (row,) = rows
    assert row["status"] == "optimal" and row["meets_target"]
    assert row["osqp_rel_gap"] is not None and row["osqp_rel_gap"] < 1e-3
    s = _summarize(rows)
    assert s["methods"]["pdhg"]["meets_target"] == 1


INFEASIBLE_MPS = """NAME          INF
ROWS
 N  OBJ
 G  R1
 L  R2
COLUMNS
    X         OBJ            1.0   R1             1.0
    X         R2             1.0
RHS
    RHS       R1             2.0   R2             1.0
ENDATA
"""


def test_cli_exit_2_infeasible_and_1_when_not_optimal(tmp_path):
    """x >= 2 and x <= 1: proven infeasible (exit 2); a too-small iteration budget: not
    optimal (exit 1)."""
    bad = tmp_path / "inf.mps"
    bad.write_text(INFEASIBLE_MPS)
    out = tmp_path / "inf.json"
    r = CliRunner().invoke(app(), ["lp", str(bad), "--device", "cpu", "-q", "-o", str(out)])
    assert r.exit_code == 2, r.output
    assert "proven infeasible" in r.output
    written = json.loads(out.read_text())  # still written
    assert written["status"] == "infeasible" and written["extra"]["solver_status"] == "infeasible"
    r = CliRunner().invoke(app(), ["lp", str(write_tiny(tmp_path)), "--device", "cpu", "-q",
                                   "--steps", "3"])  # fmt: skip
    assert r.exit_code == 1 and "max_iter" in r.output, r.output


def test_random_qp_refuses_peers_it_would_ignore():
    import torch

    from dnnsolve.bench.suites.lp import _qp_instances
    from dnnsolve.core.errors import InputError

    ctx = SuiteContext(
        device=torch.device("cpu"), time_limit=1.0, seed=0, options={"peers": "pdlp"}
    )
    with pytest.raises(InputError, match="netlib"):
        _qp_instances(ctx)


def test_bench_takes_the_former_max_iter_as_steps_with_a_note(tmp_path, capsys):
    """``--option max_iter=K`` (the name before ``steps``) still caps the PDHG, with a note."""
    from dnnsolve.cli import main

    rc = main([
        "bench", "random-qp", "--option", "max_iter=7", "--option", "sizes=20",
        "--option", "per_size=1", "--methods", "pdhg", "--device", "cpu", "-q",
        "--out-dir", str(tmp_path),
    ])  # fmt: skip
    assert rc == 0
    assert "max_iter is deprecated; use steps" in capsys.readouterr().err
    doc = json.loads(next(tmp_path.glob("random-qp-*.json")).read_text())
    assert doc["settings"]["options"]["steps"] == 7
    row = next(x for x in doc["rows"] if x.get("method") == "pdhg")
    assert row["iterations"] <= 7
