"""``Result.status`` (issue 16, part 3): one field, in the JSON, and ``feasible`` that means it.

SAT on unsatisfiable formulas is infeasible and ``unknown`` (exit 1), or ``unsat`` with
``--exact`` (exit 0); a model is ``sat``; MaxSAT is ``optimal`` / ``feasible`` / ``unknown`` /
``unsat``; LP maps its solver's word onto the same values.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from dnnsolve import solve
from dnnsolve.cli import main
from dnnsolve.core.result import STATUSES, Result
from dnnsolve.io.cnf import CNF, write_cnf

CONTRADICTION = CNF(1, [[1], [-1]], "contradiction")  # (x1) ∧ (¬x1)


def pigeonhole(pigeons: int, holes: int) -> CNF:
    """PHP(p, h): every pigeon in a hole, no hole with two pigeons (unsatisfiable for p > h)."""

    def var(i: int, j: int) -> int:
        return i * holes + j + 1

    clauses = [[var(i, j) for j in range(holes)] for i in range(pigeons)]
    for j in range(holes):
        for i in range(pigeons):
            for k in range(i + 1, pigeons):
                clauses.append([-var(i, j), -var(k, j)])
    return CNF(pigeons * holes, clauses, f"php{pigeons}-{holes}")


PHP43 = pigeonhole(4, 3)
QUICK = {"device": "cpu", "steps": 10, "restarts": 4, "seed": 0}


# ---------------------------------------------------------------- the field


def test_default_status_follows_feasible_and_is_in_the_json(tmp_path):
    r = Result("mis", "g", "pcqo", 3.0, True, [1, 3], 0.1, "cpu", 0)
    assert r.status == "feasible" and r.to_dict()["status"] == "feasible"
    r.feasible = False
    assert r.status == "infeasible"
    # a copy that changes feasible keeps a default status following it
    assert dataclasses.replace(r, feasible=True).status == "feasible"
    r.status = "unknown"
    assert dataclasses.replace(r, feasible=True).status == "unknown"
    r.save(tmp_path / "r.json")
    d = json.loads((tmp_path / "r.json").read_text())
    assert d["status"] == "unknown" and "status" not in d["extra"]
    assert Result.load(tmp_path / "r.json").status == "unknown"
    r.status = None
    assert r.status == "infeasible"
    with pytest.raises(ValueError, match="status must be one of"):
        r.status = "max_iter"
    assert set(STATUSES) == {"optimal", "sat", "unsat", "unknown", "feasible", "infeasible"}


def test_a_json_without_status_derives_it(tmp_path):
    d = Result("maxcut", "g", "relaxed", 6.0, True, [1], 0.1, "cpu", 0).to_dict()
    del d["status"]  # written before status was a field
    assert Result.from_dict(d).status == "feasible"


def test_plain_families_get_the_default(tmp_path):
    r = solve("mis", "src/dnnsolve/data/mis_example.dimacs", **QUICK)
    assert r.feasible and r.status == "feasible" and r.to_dict()["status"] == "feasible"


# ---------------------------------------------------------------- SAT


@pytest.mark.parametrize("cnf", [CONTRADICTION, PHP43], ids=["x-and-not-x", "php4-3"])
def test_unsatisfiable_sat_is_infeasible_and_unknown_or_unsat(cnf):
    r = solve("sat", cnf, polish=False, **QUICK)
    assert r.status == "unknown" and r.feasible is False
    # the best assignment found is still reported, with its falsified clauses
    assert r.objective is not None and r.objective >= 1 and len(r.solution) == cnf.n_vars
    d = r.to_dict()
    assert d["status"] == "unknown" and d["feasible"] is False and "status" not in d["extra"]
    r2 = solve("sat", cnf, polish=False, options={"exact": True}, **QUICK)
    assert r2.status == "unsat" and r2.feasible is False and r2.solution is None


def test_satisfiable_sat_is_sat_and_feasible():
    f = CNF(3, [[1, 2], [-1, 3], [-2, -3], [2, 3]], "small")
    r = solve("sat", f, **QUICK)
    assert r.status == "sat" and r.feasible and r.objective == 0.0
    assert f.satisfied([int(v > 0) for v in r.solution])


@pytest.mark.parametrize("cnf", [CONTRADICTION, PHP43], ids=["x-and-not-x", "php4-3"])
def test_cli_unsat_exit_1_unknown_then_2_unsat(cnf, tmp_path, capsys):
    path = tmp_path / f"{cnf.name}.cnf"
    write_cnf(cnf, path)
    out = tmp_path / "r.json"
    base = ["solve", "sat", str(path), "--device", "cpu", "-q", "--steps", "10", "--no-polish"]
    assert main([*base, "-o", str(out)]) == 1
    assert "unknown" in capsys.readouterr().err
    d = json.loads(out.read_text())
    assert d["status"] == "unknown" and d["feasible"] is False and d["objective"] >= 1
    assert main([*base, "--exact", "-o", str(out)]) == 2  # proven unsatisfiable
    assert "proven unsatisfiable" in capsys.readouterr().err
    d = json.loads(out.read_text())
    assert d["status"] == "unsat" and d["feasible"] is False and d["solution"] is None


def test_cli_summary_row_shows_status():
    from dnnsolve.cli.generate import summary_row as _summary_row

    r = solve("sat", CONTRADICTION, polish=False, **QUICK)
    row = _summary_row(r)
    assert row["status"] == "unknown" and row["feasible"] is False
    assert _summary_row(Result("mis", "g", "m", 2.0, True, [1], 0.1, "cpu", 0))["status"] == (
        "feasible"
    )


# ---------------------------------------------------------------- MaxSAT


def test_maxsat_statuses(tmp_path):
    from dnnsolve.io.wcnf import read_wcnf

    # soft (¬x1) w3, (¬x2) w1, hard (x1 ∨ x2): the optimum falsifies (¬x2) only, cost 1
    good = tmp_path / "g.wcnf"
    good.write_text("h 1 2 0\n3 -1 0\n1 -2 0\n")
    r = solve("maxsat", read_wcnf(good), bound=False, **QUICK)
    assert r.feasible and r.status == "feasible" and r.objective == 1.0  # not proven
    r = solve("maxsat", read_wcnf(good), **QUICK)  # the core {¬x1, ¬x2} proves cost >= 1
    assert r.status == "optimal" and (r.bound, r.gap) == (1.0, 0.0)
    r = solve("maxsat", read_wcnf(good), options={"exact": True}, **QUICK)
    assert r.feasible and r.status == "optimal" and r.objective == 1.0
    # every soft clause can hold: cost 0 is optimal without a proof
    zero = tmp_path / "z.wcnf"
    zero.write_text("h 1 2 0\n1 1 0\n")
    r = solve("maxsat", read_wcnf(zero), **QUICK)
    assert r.feasible and r.status == "optimal" and r.objective == 0.0
    # the hard clauses cannot all hold: never feasible; unknown, or unsat proven by RC2
    bad = tmp_path / "inf.wcnf"
    bad.write_text("h 1 0\nh -1 0\n2 1 0\n")
    r = solve("maxsat", read_wcnf(bad), **QUICK)
    assert r.status == "unknown" and r.feasible is False
    r = solve("maxsat", read_wcnf(bad), options={"exact": True}, **QUICK)
    assert r.status == "unsat" and r.feasible is False
    base = ["solve", "maxsat", str(bad), "--device", "cpu", "-q", "--steps", "5"]
    assert main(base) == 1
    assert main([*base, "--exact"]) == 2  # proven: no assignment satisfies the hard clauses


# ---------------------------------------------------------------- LP


def test_lp_status_on_the_bundled_example(tmp_path):
    pytest.importorskip("highspy")
    from dnnsolve.data import example_path
    from dnnsolve.lp import solve_lp

    mps = example_path("lp_example.mps")
    for method in ("pdhg", "highs"):
        r = solve_lp(mps, method=method, device="cpu", tol=1e-8)
        assert r.status == "optimal" and r.extra["solver_status"] == "optimal", method
        assert r.feasible and r.objective == pytest.approx(8.5, abs=1e-5)
        assert "status" not in r.extra and r.to_dict()["status"] == "optimal"
    # an iteration limit: the solver's word is kept, the status says what the point is
    r = solve_lp(mps, method="pdhg", device="cpu", max_iter=3)
    assert r.extra["solver_status"] == "max_iter"
    assert r.status == ("feasible" if r.feasible else "unknown")


def test_lp_cli_status_and_exit_codes(tmp_path):
    pytest.importorskip("highspy")
    from dnnsolve.data import example_path

    mps = str(example_path("lp_example.mps"))
    out = tmp_path / "lp.json"
    assert main(["solve", "lp", mps, "--device", "cpu", "-q", "-o", str(out)]) == 0
    d = json.loads(out.read_text())
    assert d["status"] == "optimal" and d["extra"]["solver_status"] == "optimal"
    assert d["objective"] == pytest.approx(8.5, abs=1e-5)
    args = ["solve", "lp", mps, "--device", "cpu", "-q", "--steps", "3", "-o", str(out)]
    assert main(args) == 1
    d = json.loads(out.read_text())
    assert d["extra"]["solver_status"] == "max_iter" and d["status"] in ("feasible", "unknown")


# ---------------------------------------------------------------- batch records


def test_batch_record_keeps_the_result_status(tmp_path):
    from dnnsolve.batch.tasks import make_tasks
    from dnnsolve.batch.worker import execute_task

    path = tmp_path / "c.cnf"
    write_cnf(CONTRADICTION, path)
    (task,) = make_tasks("sat", [path], {"steps": 5, "restarts": 2, "polish": False})
    rec = execute_task(task.to_dict(), history=False)
    assert rec["status"] == "ok" and rec["error"] is None  # the task's status
    assert rec["result_status"] == "unknown" and rec["feasible"] is False
