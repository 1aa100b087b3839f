"""``dnnsolve verify`` on SAT and MaxSAT results (issue 21): genuine answers and bounds pass;
a flipped literal, a clause dropped from a core, a core that names a hard clause, an inflated
bound or core weight, an unsat claim on a satisfiable formula fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dnnsolve import solve
from dnnsolve.cli import main
from dnnsolve.data import example_path
from dnnsolve.io.wcnf import WCNF, write_wcnf
from dnnsolve.verify import Failed, verify

ROOT = Path(__file__).resolve().parents[1]
UUF50 = ROOT.parent / "shared" / "datasets" / "satlib_uf" / "uuf50-218" / "uuf50-01.cnf"

SAT = example_path("sat_example.cnf")


def _tampered(path: Path, tmp_path: Path, change) -> Path:
    data = json.loads(path.read_text())
    change(data)
    out = tmp_path / "tampered.json"
    out.write_text(json.dumps(data))
    return out


@pytest.fixture(scope="module")
def sat_result(tmp_path_factory):
    r = solve("sat", SAT, device="cpu", seed=0, steps=30, restarts=4)
    assert r.status == "sat"
    path = tmp_path_factory.mktemp("sat") / "r.json"
    r.save(path)
    return path


@pytest.fixture(scope="module")
def wcnf(tmp_path_factory) -> Path:
    # hard (x1 ∨ x2 ∨ x3 ∨ x4); soft x1 / ¬x1 (3, 5), x2 / ¬x2 (2, 2), (x3 ∨ x4) 1, ¬x3 4,
    # ¬x4 4: optimum 6, three disjoint cores
    f = WCNF(
        4,
        [[1, 2, 3, 4], [1], [-1], [2], [-2], [3, 4], [-3], [-4]],
        [0, 3, 5, 2, 2, 1, 4, 4],
        [True] + [False] * 7,
    )
    path = tmp_path_factory.mktemp("wcnf") / "f.wcnf"
    write_wcnf(f, path)
    return path


@pytest.fixture(scope="module")
def maxsat_result(wcnf, tmp_path_factory):
    r = solve("maxsat", wcnf, device="cpu", seed=0, steps=20, restarts=4)
    assert r.objective == 6 and r.bound == 6 and r.status == "optimal"
    path = tmp_path_factory.mktemp("maxsat") / "r.json"
    r.save(path)
    return path


def test_a_sat_model_is_verified(sat_result, capsys):
    lines = verify(SAT, sat_result)
    assert any("falsifies 0 clauses" in line for line in lines)
    assert main(["verify", str(SAT), str(sat_result)]) == 0
    assert "verified" in capsys.readouterr().out


def test_one_flipped_literal_is_caught(sat_result, tmp_path, capsys):
    from dnnsolve.io.cnf import read_cnf

    cnf = read_cnf(SAT)
    model = json.loads(sat_result.read_text())["solution"]
    true = {lit for lit in model}
    # a literal that is the only true one of some clause: flipping it falsifies that clause
    lit = next(
        next(x for x in c if x in true) for c in cnf.clauses if sum(x in true for x in c) == 1
    )

    def flip(data):
        data["solution"][abs(lit) - 1] = -lit

    bad = _tampered(sat_result, tmp_path, flip)
    with pytest.raises(Failed, match="status sat recorded, but clause"):
        verify(SAT, bad)
    assert main(["verify", str(SAT), str(bad)]) == 1
    assert "FAILED" in capsys.readouterr().err


def test_a_solution_that_is_not_one_literal_per_variable_fails(sat_result, tmp_path):
    bad = _tampered(sat_result, tmp_path, lambda d: d["solution"].pop())
    with pytest.raises(Failed, match="one signed literal per variable"):
        verify(SAT, bad)
    bad = _tampered(sat_result, tmp_path, lambda d: d["solution"].__setitem__(1, 1))
    with pytest.raises(Failed, match="sets x1 twice"):
        verify(SAT, bad)


def test_a_maxsat_answer_and_its_cores_are_verified(wcnf, maxsat_result):
    lines = verify(wcnf, maxsat_result)
    assert any(line.startswith("cost 6 ") for line in lines)
    assert any("cores: 3 unsatisfiable" in line and "cost >= 6" in line for line in lines)
    assert lines[-1].startswith("gap 0.0")


def test_a_clause_dropped_from_a_core_is_caught(wcnf, maxsat_result, tmp_path):
    def drop(data):
        core = next(c for c in data["certificate"]["cores"] if len(c) == 2)
        core.pop()

    with pytest.raises(Failed, match="is not a core"):
        verify(wcnf, _tampered(maxsat_result, tmp_path, drop))


def test_a_core_naming_a_hard_clause_or_an_inflated_weight_is_caught(wcnf, maxsat_result, tmp_path):
    bad = _tampered(maxsat_result, tmp_path, lambda d: d["certificate"]["cores"][0].append(0))
    with pytest.raises(Failed, match="a hard clause"):
        verify(wcnf, bad)

    def inflate(data):
        data["certificate"]["weights"][0] *= 2

    with pytest.raises(Failed, match="the cores prove only"):
        verify(wcnf, _tampered(maxsat_result, tmp_path, inflate))

    def stronger(data):
        data["bound"] = 7.0
        data["gap"] = None

    with pytest.raises(Failed, match=r"(prove only|below the bound)"):
        verify(wcnf, _tampered(maxsat_result, tmp_path, stronger))


def test_cores_without_weights_must_be_disjoint(wcnf, maxsat_result, tmp_path):
    def plain(data):
        del data["certificate"]["weights"]

    assert verify(wcnf, _tampered(maxsat_result, tmp_path, plain))

    def overlap(data):
        del data["certificate"]["weights"]
        cores = data["certificate"]["cores"]
        cores.append(list(cores[0]))

    with pytest.raises(Failed, match="share clause"):
        verify(wcnf, _tampered(maxsat_result, tmp_path, overlap))


def test_a_wrong_cost_or_feasibility_is_caught(wcnf, maxsat_result, tmp_path):
    bad = _tampered(maxsat_result, tmp_path, lambda d: d.__setitem__("objective", 5.0))
    with pytest.raises(Failed, match=r"objective 5\.0 recorded"):
        verify(wcnf, bad)

    def break_hard(data):  # all false: the hard clause (x1 ∨ x2 ∨ x3 ∨ x4) fails
        data["solution"] = [-1, -2, -3, -4]

    with pytest.raises(Failed, match="hard clause 0 is falsified"):
        verify(wcnf, _tampered(maxsat_result, tmp_path, break_hard))


@pytest.mark.skipif(not UUF50.is_file(), reason="SATLIB uuf50 not in ../shared/datasets")
def test_an_unsat_answer_is_rechecked_by_another_solver(sat_result, tmp_path):
    # what `solve("sat", uuf50, exact=True)` records (CaDiCaL's unsat), without its long run
    def unsat(data):
        data.update(status="unsat", solution=None, feasible=False, objective=None)

    path = _tampered(sat_result, tmp_path, unsat)
    assert any("confirmed unsatisfiable by minisat22" in s for s in verify(UUF50, path))


def test_an_unsat_claim_on_a_satisfiable_formula_fails(sat_result, tmp_path):
    def claim(data):
        data.update(status="unsat", solution=None, feasible=False, objective=None)

    with pytest.raises(Failed, match="satisfiable"):
        verify(SAT, _tampered(sat_result, tmp_path, claim))
