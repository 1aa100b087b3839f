"""The compiled probSAT walker (the SAT family's classical baseline): models checked clause by
clause here, reproducible walks, unsatisfiable input, long clauses and the time limit."""

from __future__ import annotations

import time

import numpy as np
import pytest

from dnnsolve.baselines.sat import probsat
from dnnsolve.data import example_path
from dnnsolve.io.cnf import CNF, read_cnf


def _satisfies(clauses, assignment) -> bool:
    value = {v + 1: bool(b) for v, b in enumerate(assignment)}
    return all(any(value[abs(lit)] == (lit > 0) for lit in c) for c in clauses)


def test_finds_a_model_of_the_bundled_formula():
    cnf = read_cnf(example_path("sat_example"))
    r = probsat(cnf, time_limit=10, seed=0)
    assert r.status == "sat" and r.objective == 0.0
    assert _satisfies(cnf.clauses, r.solution)


def test_same_seed_same_walk():
    cnf = read_cnf(example_path("sat_example"))
    a, b = probsat(cnf, max_flips=300, seed=7), probsat(cnf, max_flips=300, seed=7)
    np.testing.assert_array_equal(a.solution, b.solution)
    assert a.extra["flips"] == b.extra["flips"] and a.objective == b.objective


def test_unsatisfiable_input_is_unknown_with_its_best_count():
    cnf = CNF(2, [[1, 2], [-1, 2], [1, -2], [-1, -2]])  # every assignment falsifies one clause
    r = probsat(cnf, max_flips=2000, seed=0)
    assert r.status == "unknown" and r.objective == 1.0 and r.extra["flips"] == 2000


def test_long_clauses_and_tautologies():
    n = 100
    long_clause = [-v for v in range(1, n + 1)]  # 100 literals: beyond the break table
    clauses = [[v] for v in range(1, n)] + [long_clause] + [[1, -1]]
    r = probsat(CNF(n, clauses), time_limit=5, seed=1)
    assert r.status == "sat" and _satisfies(clauses[:-1], r.solution)
    assert not r.solution[n - 1]  # the only model: x1..x99 true, x100 false


def test_time_limit_on_an_unsatisfiable_formula():
    rng = np.random.default_rng(0)
    n = 60  # 3-SAT at ratio 8: unsatisfiable with overwhelming probability
    clauses = [
        [int(v) * (1 if s else -1) for v, s in zip(rng.choice(n, 3, replace=False) + 1,
                                                   rng.random(3) < 0.5)]
        for _ in range(8 * n)
    ]  # fmt: skip
    t = time.perf_counter()
    r = probsat(CNF(n, clauses), time_limit=0.3, seed=0)
    assert time.perf_counter() - t < 1.5 and r.status == "unknown"
    assert r.objective == sum(not _satisfies([c], r.solution) for c in clauses)


@pytest.mark.slow
def test_uf250_all_solved_quickly():
    from dnnsolve.data import default_data_dir

    root = default_data_dir()
    folder = None if root is None else root / "satlib_uf" / "uf250-1065"
    if folder is None or not folder.exists():
        pytest.skip("SATLIB uf250 not present")
    for path in sorted(folder.glob("*.cnf"))[:20]:
        cnf = read_cnf(path)
        r = probsat(cnf, time_limit=10, seed=0)
        assert r.status == "sat" and _satisfies(cnf.clauses, r.solution), path.name
